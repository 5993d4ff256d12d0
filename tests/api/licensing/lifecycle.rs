//! Licensing, continued: activation, cancel, auto-renew, quantity, assignment, proposals, moves and the audit log (R9, R14–R20, R28, R30, R35, R36).

use super::*;

#[tokio::test]
async fn r14_only_the_products_publisher_activates_and_only_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let rival = app.register_publisher("Rival").await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    let user = app.user(&shop.org, "Ann", &[]).await;
    let assign = "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
    assert_eq!(
        app.err(Some(&shop.org.admin), assign, json!({"s": id, "u": [user.id]})).await,
        "SUBSCRIPTION_NOT_ACTIVE",
        "R14: not before activation"
    );
    let activate = "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { status organizationName } }";
    assert_eq!(app.err(Some(&rival.token), activate, json!({"s": id})).await, "NOT_FOUND", "R14: another publisher");
    assert_eq!(app.err(Some(&shop.org.admin), activate, json!({"s": id})).await, "FORBIDDEN", "R14: not the customer");
    let done = app.ok(&shop.publisher.token, activate, json!({"s": id})).await;
    assert_eq!(done["activateSubscription"], json!({"status": "ACTIVE", "organizationName": "Contoso"}));
    assert_eq!(
        app.err(Some(&shop.publisher.token), activate, json!({"s": id})).await,
        "INVALID_STATE",
        "R14: only from PENDING_ACTIVATION"
    );
    app.ok(&shop.org.admin, assign, json!({"s": id, "u": [user.id]})).await;
    let seen = app
        .ok(
            &shop.publisher.token,
            "{ publisherSubscriptions { totalCount nodes { organizationName status quantity assigned } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        seen["publisherSubscriptions"]["nodes"][0],
        json!({"organizationName": "Contoso", "status": "ACTIVE", "quantity": 2, "assigned": 1})
    );
    let rivals = app.ok(&rival.token, "{ publisherSubscriptions { totalCount } }", json!({})).await;
    assert_eq!(rivals["publisherSubscriptions"]["totalCount"], 0);
}

#[tokio::test]
async fn r15_r16_r35_cancel_disables_at_once_with_a_credit_and_disabled_is_final() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(4), &shop.profile).await;
    app.activate(&shop.publisher, &id).await;
    let user = app.user(&shop.org, "Ann", &[]).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": id, "u": [user.id]}),
    )
    .await;
    let cancel = "mutation($s: ID!, $r: CancelReason!, $f: String) { cancelSubscription(subscriptionId: $s, reason: $r, feedback: $f) { status disabledReason cancelReason cancelFeedback } }";
    let before = sub(&app, &shop.org.admin, &id).await;
    let response =
        app.gql(Some(&shop.org.admin), cancel, json!({"s": id, "r": "TOO_EXPENSIVE", "f": "x".repeat(1001)})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "R35: feedback ≤ 1000");
    assert_eq!(response["errors"][0]["extensions"]["field"], "feedback");
    assert_eq!(sub(&app, &shop.org.admin, &id).await, before, "rejected cancel changes nothing");
    app.clock.set_date(chrono::NaiveDate::from_ymd_opt(2026, 3, 11).expect("date"));
    let done = app.ok(&shop.org.admin, cancel, json!({"s": id, "r": "TOO_EXPENSIVE", "f": "x".repeat(1000)})).await;
    assert_eq!(done["cancelSubscription"]["status"], "DISABLED");
    assert_eq!(done["cancelSubscription"]["disabledReason"], "CANCELED", "R15");
    assert_eq!(done["cancelSubscription"]["cancelReason"], "TOO_EXPENSIVE");
    // R30: 4 × $10.00 × (31 − 10)/31 days = 2709.677… → 2710 credited.
    assert_eq!(app.charges_of(&id).await, vec![("FIRST_TERM".into(), 4000), ("CANCELLATION_CREDIT".into(), -2710)]);
    // R16: every mutation now fails with SUBSCRIPTION_DISABLED and the assignment is history.
    let mutations = [
        ("mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 9) { id } }", json!({"s": id})),
        ("mutation($s: ID!) { setAutoRenew(subscriptionId: $s, autoRenew: true) { id } }", json!({"s": id})),
        ("mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: OTHER) { id } }", json!({"s": id})),
        (
            "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
            json!({"s": id, "u": [shop.org.admin_id]}),
        ),
        (
            "mutation($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
            json!({"s": id, "u": [user.id]}),
        ),
        (
            "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }",
            json!({"s": id, "p": shop.profile}),
        ),
    ];
    for (query, vars) in mutations {
        assert_eq!(app.err(Some(&shop.org.admin), query, vars).await, "SUBSCRIPTION_DISABLED", "R16: {query}");
    }
    let mine = app.ok(&user.token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(mine["myLicenses"], json!([]), "R16: a disabled subscription's license no longer counts");
    let history =
        app.ok(&user.token, "{ myLicenses(includeHistory: true) { subscriptionId active } }", json!({})).await;
    assert_eq!(history["myLicenses"][0]["active"], false, "R16: but stays readable as history");
}

#[tokio::test]
async fn r17_auto_renew_can_be_turned_off_and_on() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let id = app.buy(&shop.org.admin, &shop.flat, "MONTHLY", None, &shop.profile).await;
    let q = "mutation($s: ID!, $on: Boolean!) { setAutoRenew(subscriptionId: $s, autoRenew: $on) { autoRenew } }";
    assert_eq!(app.ok(&shop.org.admin, q, json!({"s": id, "on": false})).await["setAutoRenew"]["autoRenew"], false);
    assert_eq!(app.ok(&shop.org.admin, q, json!({"s": id, "on": true})).await["setAutoRenew"]["autoRenew"], true);
}

#[tokio::test]
async fn r18_r30_quantity_changes_are_seat_based_bounded_and_pro_rated() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.clock.set_date(chrono::NaiveDate::from_ymd_opt(2026, 3, 15).expect("date"));
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(7), &shop.profile).await;
    app.activate(&shop.publisher, &id).await;
    let q = "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity available } }";
    // Ten days later raise 7 → 10: 3 × $10.00 × 21/31 = 2032.258… → 2032 (R30).
    app.clock.set_date(chrono::NaiveDate::from_ymd_opt(2026, 3, 25).expect("date"));
    let raised = app.ok(&shop.org.admin, q, json!({"s": id, "q": 10})).await;
    assert_eq!(raised["changeLicenseQuantity"], json!({"quantity": 10, "available": 10}));
    let people = app.users(&shop.org, "P", 4).await;
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": id, "u": ids}),
    )
    .await;
    let response = app.gql(Some(&shop.org.admin), q, json!({"s": id, "q": 2})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "QUANTITY_BELOW_ASSIGNED", "R18");
    assert_eq!(response["errors"][0]["extensions"]["toUnassign"], 2, "R18: says how many to unassign");
    assert!(response["errors"][0]["message"].as_str().unwrap_or("").contains('2'));
    for bad in [0, -1] {
        let response = app.gql(Some(&shop.org.admin), q, json!({"s": id, "q": bad})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "R18: at least 1");
    }
    // Lower 10 → 4 on 2026-04-05 (term 2026-04-15… no: still the first term [03-15, 04-15)): 6 × 1000 × 10/31 = 1935.48… → 1935 credit.
    app.clock.set_date(chrono::NaiveDate::from_ymd_opt(2026, 4, 5).expect("date"));
    app.ok(&shop.org.admin, q, json!({"s": id, "q": 4})).await;
    assert_eq!(
        app.charges_of(&id).await,
        vec![("FIRST_TERM".into(), 7000), ("QUANTITY_INCREASE".into(), 2032), ("QUANTITY_DECREASE".into(), -1935)],
        "R30 amounts"
    );
    let flat = app.buy(&shop.org.admin, &shop.flat, "MONTHLY", None, &shop.profile).await;
    assert_eq!(app.err(Some(&shop.org.admin), q, json!({"s": flat, "q": 5})).await, "NOT_SEAT_BASED", "R18: flat rate");
    assert_eq!(app.charges_of(&flat).await.len(), 1, "nothing charged for the refused change");
}

#[tokio::test]
async fn r19_r20_assign_and_unassign_are_all_or_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let other = app.register_org("Northwind", "US").await;
    let stranger = app.user(&other, "Stranger", &[]).await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &id).await;
    let people = app.users(&shop.org, "Person", 4).await;
    let assign = "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned available } assignedUsers { id } alreadyAssignedUsers { id } } }";
    let unassign = "mutation($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } unassignedUsers { id } notAssignedUsers { id } } }";
    let twenty_one: Vec<String> = (0..21).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    assert_eq!(
        app.err(Some(&shop.org.admin), assign, json!({"s": id, "u": twenty_one})).await,
        "TOO_MANY_USERS",
        "R19: at most 20"
    );
    let response = app.gql(Some(&shop.org.admin), assign, json!({"s": id, "u": [people[0].id, stranger.id]})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "USER_NOT_IN_ORGANIZATION", "R19");
    assert_eq!(app.count("license_assignments").await, 0, "R19: nothing assigned when one user fails");
    let first = app.ok(&shop.org.admin, assign, json!({"s": id, "u": [people[0].id, people[1].id]})).await;
    assert_eq!(first["assignLicenses"]["subscription"], json!({"assigned": 2, "available": 1}));
    let again = app.ok(&shop.org.admin, assign, json!({"s": id, "u": [people[1].id, people[2].id]})).await;
    assert_eq!(
        again["assignLicenses"]["alreadyAssignedUsers"],
        json!([{"id": people[1].id}]),
        "R19: reported, not counted twice"
    );
    assert_eq!(again["assignLicenses"]["subscription"]["assigned"], 3);
    let response = app.gql(Some(&shop.org.admin), assign, json!({"s": id, "u": [people[3].id]})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "INSUFFICIENT_LICENSES", "R19");
    assert_eq!(response["errors"][0]["extensions"]["available"], 0);
    let s = sub(&app, &shop.org.admin, &id).await;
    assert_eq!(s["assigned"], 3);
    assert_eq!(s["assignedUsers"].as_array().map(Vec::len), Some(3), "R22: assigned users listed");
    let mine = app.ok(&people[0].token, "{ myLicenses { subscriptionId product { name } active } }", json!({})).await;
    assert_eq!(
        mine["myLicenses"],
        json!([{"subscriptionId": id, "product": {"name": "Seat App"}, "active": true}]),
        "R22: my licenses"
    );
    let response = app.gql(Some(&shop.org.admin), unassign, json!({"s": id, "u": [people[0].id, stranger.id]})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "USER_NOT_IN_ORGANIZATION", "R20: all or nothing");
    assert_eq!(sub(&app, &shop.org.admin, &id).await["assigned"], 3);
    let removed = app.ok(&shop.org.admin, unassign, json!({"s": id, "u": [people[0].id, people[3].id]})).await;
    assert_eq!(removed["unassignLicenses"]["subscription"]["assigned"], 2, "R20");
    assert_eq!(removed["unassignLicenses"]["notAssignedUsers"], json!([{"id": people[3].id}]));
    let mine = app.ok(&people[0].token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(mine["myLicenses"], json!([]));
}

#[tokio::test]
async fn r9_accepting_a_proposal_creates_all_its_subscriptions_or_none() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let eu_only = app
        .product(
            &shop.publisher,
            "EU App",
            "FLAT_RATE",
            &[("MONTHLY", "USD", "5.00")],
            Some(&["WESTERN_EUROPE"]),
            false,
        )
        .await;
    let create = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id status lines { term quantity product { name } } } }";
    let good = app.ok(&shop.publisher.token, create, json!({"i": {"organizationId": shop.org.id, "title": "Bundle", "lines": [
        {"productId": shop.per_license, "term": "ANNUAL", "quantity": 10}, {"productId": shop.flat, "term": "MONTHLY"}]}})).await;
    let good_id = good["createProposal"]["id"].as_str().expect("id").to_owned();
    let bad = app
        .ok(
            &shop.publisher.token,
            create,
            json!({"i": {"organizationId": shop.org.id, "title": "Mixed", "lines": [
        {"productId": shop.flat, "term": "MONTHLY"}, {"productId": eu_only, "term": "MONTHLY"}]}}),
        )
        .await;
    let bad_id = bad["createProposal"]["id"].as_str().expect("id").to_owned();
    let listed = app.ok(&shop.org.admin, "{ proposals { totalCount nodes { title status } } }", json!({})).await;
    assert_eq!(listed["proposals"]["totalCount"], 2);
    let accept = "mutation($p: ID!, $b: ID!) { acceptProposal(proposalId: $p, billingProfileId: $b) { channel quantity product { name } } }";
    assert_eq!(
        app.err(Some(&shop.org.admin), accept, json!({"p": bad_id, "b": shop.profile})).await,
        "REGION_NOT_SUPPORTED"
    );
    assert_eq!(app.count("subscriptions").await, 0, "R9: none when one line fails");
    let subs = app.ok(&shop.org.admin, accept, json!({"p": good_id, "b": shop.profile})).await;
    assert_eq!(subs["acceptProposal"].as_array().map(Vec::len), Some(2), "R9: all at once");
    assert!(subs["acceptProposal"].as_array().expect("subs").iter().all(|s| s["channel"] == "PROPOSAL"));
    assert_eq!(
        app.err(Some(&shop.org.admin), accept, json!({"p": good_id, "b": shop.profile})).await,
        "INVALID_STATE",
        "accepted once"
    );
    let rival = app.register_publisher("Rival").await;
    let response = app.gql(Some(&rival.token), create, json!({"i": {"organizationId": shop.org.id, "title": "Steal", "lines": [{"productId": shop.flat, "term": "MONTHLY"}]}})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "NOT_FOUND", "a publisher proposes only its own products");
}

#[tokio::test]
async fn r28_moving_a_subscription_sends_future_charges_to_the_new_profile() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let second = app.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await;
    let euro = app.billing_profile(&shop.org.admin, "DE", Some(CARD_OK)).await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    let q = "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { billingProfile { id } } }";
    assert_eq!(app.err(Some(&shop.org.admin), q, json!({"s": id, "p": euro})).await, "CURRENCY_NOT_SUPPORTED");
    let moved = app.ok(&shop.org.admin, q, json!({"s": id, "p": second})).await;
    assert_eq!(moved["changeSubscriptionBillingProfile"]["billingProfile"]["id"], second);
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 3) { id } }",
        json!({"s": id}),
    )
    .await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = entity::charge::Entity::find()
        .filter(entity::charge::Column::SubscriptionId.eq(uuid::Uuid::parse_str(&id).expect("uuid")))
        .order_by_asc(entity::charge::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("charges");
    assert_eq!(rows[0].billing_profile_id.to_string(), shop.profile, "the first charge stays where it was");
    assert_eq!(rows[1].billing_profile_id.to_string(), second, "R28: future charges go to the new profile");
}

#[tokio::test]
async fn r36_every_change_is_audited_and_admins_read_the_log() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    app.activate(&shop.publisher, &id).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 3) { id } }",
        json!({"s": id}),
    )
    .await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: OTHER) { id } }",
        json!({"s": id}),
    )
    .await;
    let q = "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount nodes { action objectId actor { id } before after } } }";
    let events = app.ok(&shop.org.admin, q, json!({"f": {"objectId": id}})).await;
    let actions: Vec<&str> =
        events["auditEvents"]["nodes"].as_array().expect("nodes").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        vec!["subscription.cancel", "subscription.change_quantity", "subscription.activate", "subscription.purchase"],
        "R36: newest first"
    );
    let change = &events["auditEvents"]["nodes"][1];
    assert_eq!(
        (change["before"]["quantity"].clone(), change["after"]["quantity"].clone()),
        (json!(2), json!(3)),
        "R36: the change"
    );
    let license_admin = app.user(&shop.org, "Lisa", &["LICENSE_ADMIN"]).await;
    app.ok(&license_admin.token, q, json!({})).await;
    let plain = app.user(&shop.org, "Ursula", &[]).await;
    assert_eq!(app.err(Some(&plain.token), q, json!({})).await, "FORBIDDEN");
    let other = app.register_org("Northwind", "US").await;
    let theirs = app.ok(&other.admin, q, json!({"f": {"objectId": id}})).await;
    assert_eq!(theirs["auditEvents"]["totalCount"], 0, "R3: another organization sees none of it");
}
