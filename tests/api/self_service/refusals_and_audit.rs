//! Self-service, continued: bad input, other users, license admins, and the audit of every change (R25–R27, R36).

use super::*;

/// R25 bad input: paying with an org profile (without a role: NOT_FOUND; with
/// one: FORBIDDEN, self-service is paid from the buyer's own profile), a
/// personal profile without a card or with check/wire, someone else's
/// profile, people of another organization, 21 users — typed errors, nothing changed.
#[tokio::test]
async fn r25_self_service_bad_input_is_typed_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let product = shop.per_license.as_str();
    let purchaser = app.user(&shop.org, "Pat Purchaser", &[]).await;
    let stranger = app.user(&shop.org, "Sam Stranger", &[]).await;
    let contributor = app.user(&shop.org, "Connie Contributor", &[]).await;
    app.grant_role(&shop.org.admin, &shop.profile, &contributor.id, "CONTRIBUTOR").await;
    let other = app.register_org("Northwind", "US").await;
    let foreigner = app.user(&other, "Nora Northwind", &[]).await;
    let profile = app.personal_profile(&purchaser.token, "US", CARD_OK).await;
    let cardless = app.profile_without_card(&purchaser.token).await;

    let cases: [(&str, &str, Value, &str, &str); 8] = [
        (
            "USER",
            &stranger.token,
            purchase(product, Some(5), &shop.profile, "SELF_SERVICE"),
            "NOT_FOUND",
            "R2/R25: an org profile they hold no role on",
        ),
        (
            "USER",
            &stranger.token,
            purchase(product, Some(5), &shop.profile, "DIRECT"),
            "NOT_FOUND",
            "R2: an org profile they hold no role on",
        ),
        (
            "CONTRIBUTOR",
            &contributor.token,
            purchase(product, Some(5), &shop.profile, "SELF_SERVICE"),
            "FORBIDDEN",
            "R25: self-service is paid from the buyer's own profile",
        ),
        (
            "USER",
            &purchaser.token,
            purchase(product, Some(5), &profile, "DIRECT"),
            "FORBIDDEN",
            "R1/R25: a user's own profile pays for self-service purchases only",
        ),
        (
            "USER",
            &stranger.token,
            purchase(product, Some(5), &profile, "SELF_SERVICE"),
            "NOT_FOUND",
            "R26: someone else's own profile",
        ),
        (
            "USER",
            &purchaser.token,
            purchase(product, Some(0), &profile, "SELF_SERVICE"),
            "VALIDATION_FAILED",
            "R5: at least 1",
        ),
        (
            "USER",
            &purchaser.token,
            purchase(product, Some(5), &cardless, "SELF_SERVICE"),
            "VALIDATION_FAILED",
            "R12/R25: a card on the profile",
        ),
        (
            "USER",
            &purchaser.token,
            purchase(&uuid::Uuid::new_v4().to_string(), Some(5), &profile, "SELF_SERVICE"),
            "NOT_FOUND",
            "an unknown product",
        ),
    ];
    for (label, token, input, want, rule) in cases {
        let (subscriptions, charges) = (app.count("subscriptions").await, app.count("charges").await);
        assert_eq!(app.err(Some(token), BUY, input).await, want, "{label}: {rule}");
        assert_eq!(
            (app.count("subscriptions").await, app.count("charges").await),
            (subscriptions, charges),
            "{rule}: nothing bought"
        );
    }

    // R25, R29: cards only on a user's own profile.
    let methods = app.count("payment_methods").await;
    let before = app.ok(&purchaser.token, PROFILE, json!({"id": profile})).await;
    for query in [ADD_METHOD, REPLACE_METHOD] {
        let response =
            app.gql(Some(&purchaser.token), query, json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}})).await;
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
            "R25: no check or wire: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["field"], "kind", "{response}");
    }
    assert_eq!(app.count("payment_methods").await, methods, "R25: no method added");
    assert_eq!(app.ok(&purchaser.token, PROFILE, json!({"id": profile})).await, before, "R29: the card stays current");

    // The purchaser's own subscription: bad license changes.
    let sub = buy_self_service(&app, &purchaser.token, product, 5, &profile).await;
    app.activate(&shop.publisher, &sub).await;
    let teammates = app.users(&shop.org, "Teammate", 21).await;
    let teammate_ids: Vec<&str> = teammates.iter().map(|p| p.id.as_str()).collect();
    let long_feedback = "x".repeat(1001);
    let cases: [(&str, &str, Value, &str); 8] = [
        ("a user of another organization", ASSIGN, json!({"s": sub, "u": [foreigner.id]}), "USER_NOT_IN_ORGANIZATION"),
        ("21 users at once", ASSIGN, json!({"s": sub, "u": teammate_ids}), "TOO_MANY_USERS"),
        ("6 users for 5 licenses", ASSIGN, json!({"s": sub, "u": &teammate_ids[..6]}), "INSUFFICIENT_LICENSES"),
        ("21 users at once", UNASSIGN, json!({"s": sub, "u": teammate_ids}), "TOO_MANY_USERS"),
        ("quantity 0", QUANTITY, json!({"s": sub, "q": 0}), "VALIDATION_FAILED"),
        ("quantity -1", QUANTITY, json!({"s": sub, "q": -1}), "VALIDATION_FAILED"),
        (
            "feedback over 1000 characters",
            CANCEL,
            json!({"s": sub, "r": "OTHER", "f": long_feedback}),
            "VALIDATION_FAILED",
        ),
        ("an org profile they hold no role on", MOVE, json!({"s": sub, "p": shop.profile}), "NOT_FOUND"),
    ];
    for (what, query, variables, want) in cases {
        let before = snapshot(&app, &shop.org.admin, &sub).await;
        assert_eq!(app.err(Some(&purchaser.token), query, variables).await, want, "R19/R18/R35/R28: {what}");
        assert_eq!(snapshot(&app, &shop.org.admin, &sub).await, before, "{what}: nothing changed");
    }
}

impl TestApp {
    /// A user's own profile without a payment method.
    async fn profile_without_card(&self, token: &str) -> String {
        let input = json!({"i": {"name": "No card yet", "contactName": "Pat Payer", "contactEmail": "pat@example.test",
            "billToAddress": address("US"), "selfService": true}});
        self.ok(token, CREATE_PROFILE, input).await["createBillingProfile"]["id"].as_str().expect("id").to_owned()
    }
}

/// A self-service purchase ready for the isolation tests: 10 licenses, active,
/// one colleague assigned, March invoiced.
struct Purchase {
    shop: Shop,
    purchaser: Person,
    colleague: Person,
    profile: String,
    method: String,
    sub: String,
    invoice: String,
}

async fn a_purchase(app: &TestApp) -> Purchase {
    let shop = app.shop().await;
    let purchaser = app.user(&shop.org, "Pat Purchaser", &[]).await;
    let colleague = app.user(&shop.org, "Colleague Alice", &[]).await;
    let profile = app.personal_profile(&purchaser.token, "US", CARD_OK).await;
    let sub = buy_self_service(app, &purchaser.token, &shop.per_license, 10, &profile).await;
    app.activate(&shop.publisher, &sub).await;
    app.ok(&purchaser.token, ASSIGN, json!({"s": sub, "u": [colleague.id]})).await;
    let method =
        app.ok(&purchaser.token, PROFILE, json!({"id": profile})).await["billingProfile"]["paymentMethod"]["id"]
            .as_str()
            .expect("method")
            .to_owned();
    app.bill(date(2026, 4, 1)).await;
    let page = app.invoice_page(&purchaser.token, json!({"period": "PAST_6_MONTHS"}), Some(100), None).await;
    let invoice = page["edges"][0]["node"]["id"].as_str().expect("the purchaser's invoice").to_owned();
    Purchase { shop, purchaser, colleague, profile, method, sub, invoice }
}

/// Issue 5 §5 (R3, R26): another plain user of the same organization — and a
/// LICENSE_ADMIN, and another organization's admin — can neither see nor
/// change someone else's self-service subscription, billing profile, card or
/// invoices: NOT_FOUND, and nothing in their lists.
#[tokio::test]
async fn r26_another_user_can_neither_see_nor_change_a_self_service_purchase() {
    let app = TestApp::spawn().await;
    let p = a_purchase(&app).await;
    let nosy = app.user(&p.shop.org, "Nosy Neighbour", &[]).await;
    let license_admin = app.user(&p.shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let other = app.register_org("Northwind", "US").await;
    let spare = app.user(&p.shop.org, "Spare Seat", &[]).await;
    let admin = p.shop.org.admin.as_str();
    let not_found = |label: &str, what: &str, result: Result<Value, String>| {
        assert_eq!(outcome(&result), "NOT_FOUND", "R3/R26: {label} {what}: {result:?}");
    };
    for (label, token) in [
        ("another plain USER", nosy.token.as_str()),
        ("LICENSE_ADMIN", license_admin.token.as_str()),
        ("OTHER_ORG_ADMIN", other.admin.as_str()),
    ] {
        // The subscription.
        not_found(label, "subscription(id)", attempt(&app, Some(token), VIEW, json!({"id": p.sub})).await);
        for (operation, query, variables) in changes(&p.sub, &spare.id, &p.colleague.id, &p.profile) {
            let before = snapshot(&app, admin, &p.sub).await;
            not_found(label, operation, attempt(&app, Some(token), query, variables).await);
            assert_eq!(snapshot(&app, admin, &p.sub).await, before, "{label} {operation}: nothing changed");
        }
        // The billing profile and its card.
        let methods = app.count("payment_methods").await;
        let profile_before = app.ok(&p.purchaser.token, PROFILE, json!({"id": p.profile})).await;
        not_found(label, "billingProfile(id)", attempt(&app, Some(token), PROFILE, json!({"id": p.profile})).await);
        let rename = json!({"id": p.profile, "i": {"name": "Mine now"}});
        not_found(label, "updateBillingProfile", attempt(&app, Some(token), UPDATE_PROFILE, rename).await);
        for (what, query) in [("addPaymentMethod", ADD_METHOD), ("replacePaymentMethod", REPLACE_METHOD)] {
            let input = json!({"p": p.profile, "i": card("5555555555554444", "US")});
            not_found(label, what, attempt(&app, Some(token), query, input).await);
        }
        let edit = json!({"m": p.method, "i": {"expirationYear": 2031, "nameOnCard": "Mallory"}});
        not_found(label, "updatePaymentMethod", attempt(&app, Some(token), UPDATE_METHOD, edit).await);
        assert_eq!(app.count("payment_methods").await, methods, "{label}: no card added");
        assert_eq!(
            app.ok(&p.purchaser.token, PROFILE, json!({"id": p.profile})).await,
            profile_before,
            "{label}: the profile and card are unchanged"
        );
        // The invoice.
        let invoice = "query($id: ID!) { invoice(id: $id) { id } }";
        not_found(label, "invoice(id)", attempt(&app, Some(token), invoice, json!({"id": p.invoice})).await);
        // Nothing in their lists.
        let all = app.ok(token, LIST, json!({})).await;
        assert!(!ids(&all["subscriptions"]).contains(&p.sub), "R26: {label} does not list it");
        let self_service = app.ok(token, SELF_SERVICE_LIST, json!({})).await;
        assert_eq!(self_service["subscriptions"]["totalCount"], 0, "R26/R27: {label} sees no self-service purchase");
        let profiles = app.ok(token, PROFILES, json!({})).await;
        assert!(!ids(&profiles["billingProfiles"]).contains(&p.profile), "R26: {label} does not list the profile");
        let invoices = app.invoice_page(token, json!({"period": "PAST_6_MONTHS"}), Some(100), None).await;
        let listed: Vec<&str> =
            invoices["edges"].as_array().expect("edges").iter().filter_map(|e| e["node"]["id"].as_str()).collect();
        assert!(!listed.contains(&p.invoice.as_str()), "R26: {label} does not list the invoice");
    }
    // The purchaser still sees and manages all of it.
    app.ok(&p.purchaser.token, VIEW, json!({"id": p.sub})).await;
    app.ok(&p.purchaser.token, "query($id: ID!) { invoice(id: $id) { id } }", json!({"id": p.invoice})).await;
}

/// R27 names GLOBAL_ADMIN and BILLING_ADMIN for the read-only view: a
/// LICENSE_ADMIN, who views and assigns org subscriptions (R1), neither sees
/// nor assigns self-service ones (only the purchaser assigns, R26).
#[tokio::test]
async fn r27_license_admins_do_not_see_self_service_subscriptions() {
    let app = TestApp::spawn().await;
    let p = a_purchase(&app).await;
    let license_admin = app.user(&p.shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let billing_admin = app.user(&p.shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let spare = app.user(&p.shop.org, "Spare Seat", &[]).await;
    let org_sub = app.buy(&p.shop.org.admin, &p.shop.per_license, "MONTHLY", Some(3), &p.shop.profile).await;
    app.activate(&p.shop.publisher, &org_sub).await;

    let seen = app.ok(&license_admin.token, LIST, json!({})).await;
    assert_eq!(
        ids(&seen["subscriptions"]),
        vec![org_sub.clone()],
        "R1: org subscriptions only, not the self-service one"
    );
    let filtered = app.ok(&license_admin.token, SELF_SERVICE_LIST, json!({})).await;
    assert_eq!(filtered["subscriptions"]["totalCount"], 0, "R27: not for LICENSE_ADMIN");
    assert_eq!(app.err(Some(&license_admin.token), VIEW, json!({"id": p.sub})).await, "NOT_FOUND", "R27");
    let before = snapshot(&app, &p.shop.org.admin, &p.sub).await;
    let assign = json!({"s": p.sub, "u": [spare.id]});
    assert_eq!(
        app.err(Some(&license_admin.token), ASSIGN, assign).await,
        "NOT_FOUND",
        "R26: only the purchaser assigns"
    );
    assert_eq!(snapshot(&app, &p.shop.org.admin, &p.sub).await, before, "nothing changed");
    // The license admin still assigns org licenses (R1).
    app.ok(&license_admin.token, ASSIGN, json!({"s": org_sub, "u": [spare.id]})).await;
    // And the admins R27 names do see both.
    for token in [p.shop.org.admin.as_str(), billing_admin.token.as_str()] {
        let all = ids(&app.ok(token, LIST, json!({})).await["subscriptions"]);
        assert!(all.contains(&p.sub) && all.contains(&org_sub), "R27: {all:?}");
    }
}

/// R36, issue 5 §7, R37, R38: every self-service change writes an audit event;
/// the organization's admins read the subscription's events (the purchaser as
/// actor), but not the buyer's own profile and card events, which are theirs alone.
#[tokio::test]
async fn r36_every_self_service_change_is_audited_for_admins() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let billing_admin = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let purchaser = app.user(&shop.org, "Pat Purchaser", &[]).await;
    let nosy = app.user(&shop.org, "Nosy Neighbour", &[]).await;
    let team = app.users(&shop.org, "Colleague", 2).await;

    let profile = app.personal_profile(&purchaser.token, "US", CARD_OK).await;
    let method =
        app.ok(&purchaser.token, PROFILE, json!({"id": profile})).await["billingProfile"]["paymentMethod"]["id"]
            .as_str()
            .expect("method")
            .to_owned();
    let edit = json!({"m": method, "i": {"expirationYear": 2031, "securityCode": "987"}});
    app.ok(&purchaser.token, UPDATE_METHOD, edit).await;
    app.ok(&purchaser.token, REPLACE_METHOD, json!({"p": profile, "i": card("5555555555554444", "US")})).await;
    app.ok(&purchaser.token, UPDATE_PROFILE, json!({"id": profile, "i": {"name": "Pat's own"}})).await;
    let sub = buy_self_service(&app, &purchaser.token, &shop.per_license, 10, &profile).await;
    app.activate(&shop.publisher, &sub).await;
    app.ok(&purchaser.token, QUANTITY, json!({"s": sub, "q": 12})).await;
    app.ok(&purchaser.token, ASSIGN, json!({"s": sub, "u": [team[0].id, team[1].id]})).await;
    app.ok(&purchaser.token, UNASSIGN, json!({"s": sub, "u": [team[0].id]})).await;
    app.ok(&purchaser.token, AUTO_RENEW, json!({"s": sub, "a": false})).await;
    app.ok(&purchaser.token, CANCEL, json!({"s": sub, "r": "MISSING_FEATURES", "f": "No dark mode"})).await;
    app.ok(&shop.org.admin, POLICY, json!({"p": shop.per_license, "a": false})).await;

    let actions_by = |events: &Value| -> Vec<(String, Value)> {
        let mut rows: Vec<(String, Value)> = events["auditEvents"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|e| (e["action"].as_str().unwrap_or("").to_owned(), e["actor"]["id"].clone()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let me = json!(purchaser.id);
    for (label, token) in [("GLOBAL_ADMIN", shop.org.admin.as_str()), ("BILLING_ADMIN", billing_admin.token.as_str())] {
        let on_sub = app.ok(token, AUDIT, json!({"f": {"objectId": sub}})).await;
        let mut want = vec![
            // The publisher's user is not one of the organization's people (R3): actor null.
            ("subscription.activate".to_owned(), Value::Null),
            ("subscription.assign_licenses".to_owned(), me.clone()),
            ("subscription.cancel".to_owned(), me.clone()),
            ("subscription.change_quantity".to_owned(), me.clone()),
            ("subscription.purchase".to_owned(), me.clone()),
            ("subscription.set_auto_renew".to_owned(), me.clone()),
            ("subscription.unassign_licenses".to_owned(), me.clone()),
        ];
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(actions_by(&on_sub), want, "R36: {label} sees every change of the self-service subscription");
        let on_profile = app.ok(token, AUDIT, json!({"f": {"objectId": profile}})).await;
        assert_eq!(actions_by(&on_profile), vec![], "R38: {label} does not see the buyer's profile changes");
        let on_cards = app.ok(token, AUDIT, json!({"f": {"objectType": "payment_method"}})).await;
        let mut cards = actions_by(&on_cards);
        cards.retain(|(_, actor)| actor == &me);
        assert_eq!(cards, vec![], "R38: {label} does not see the buyer's card changes");
        let snapshots =
            "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) { nodes { before after } } }";
        let on_sub_text = app.ok(token, snapshots, json!({"f": {"objectId": sub}})).await.to_string();
        assert!(on_sub_text.contains("\"quantity\""), "the snapshots are there: {on_sub_text}");
        assert!(!on_sub_text.contains(&profile), "R38: no buyer's profile ID in {label}'s snapshots");
        let policy = app.ok(token, AUDIT, json!({"f": {"action": "self_service_policy.set"}})).await;
        assert_eq!(
            actions_by(&policy),
            vec![("self_service_policy.set".to_owned(), json!(shop.org.admin_id))],
            "R36: {label} sees the policy change"
        );
    }
    let everything = app
        .ok(&shop.org.admin, "{ auditEvents(first: 100) { nodes { action before after } } }", json!({}))
        .await
        .to_string();
    for secret in [CARD_OK, "5555555555554444"] {
        assert!(!everything.contains(secret), "R29/R36: no card number in the audit log");
    }
    assert_eq!(app.err(Some(&nosy.token), AUDIT, json!({})).await, "FORBIDDEN", "R36: admins only");
}
