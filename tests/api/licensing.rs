//! Catalog, buying, activation, lifecycle and licenses (SPEC §2–5, §8, R36).

use serde_json::{Value, json};

use crate::helpers::*;

const SUB: &str = "query($id: ID!) { subscription(id: $id) { id status disabledReason cancelReason cancelFeedback quantity isUnlimited assigned available
    assignedUsers { id } term termEndDate autoRenew unitPrice { amount currency } channel purchaser { id } billingProfile { id }
    portalUrl supportUrl product { name } } }";

async fn sub(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(token, SUB, json!({"id": id})).await["subscription"].clone()
}

#[tokio::test]
async fn r4_r8_publishers_list_products_and_customers_browse_the_catalog() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam").await;
    let org = app.register_org("Contoso", "SE").await;
    let seats = app
        .product(
            &publisher,
            "Seat App",
            "PER_LICENSE",
            &[("MONTHLY", "USD", "10.00"), ("ANNUAL", "SEK", "1200.50"), ("MONTHLY", "CLP", "9990")],
            Some(&["WESTERN_EUROPE", "CHILE"]),
            true,
        )
        .await;
    app.product(&publisher, "US Site", "FLAT_RATE", &[("MONTHLY", "USD", "50.00")], Some(&["UNITED_STATES"]), false)
        .await;
    let q = "query($id: ID!) { product(id: $id) { name pricingModel offeredTerms markets selfServiceEligible selfServiceAllowed portalUrl supportUrl
        publisher { name } prices { term price { amount currency } } } }";
    let product = app.ok(&org.admin, q, json!({"id": seats})).await["product"].clone();
    assert_eq!(product["pricingModel"], "PER_LICENSE");
    assert_eq!(product["offeredTerms"], json!(["MONTHLY", "ANNUAL"]), "R6");
    assert_eq!(product["markets"], json!(["CHILE", "WESTERN_EUROPE"]), "R8");
    assert_eq!(product["publisher"]["name"], "Fabrikam", "R4");
    assert_eq!(product["selfServiceAllowed"], true, "R24: allowed by default");
    let prices: Vec<(String, String)> = product["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .map(|p| {
            (
                p["price"]["amount"].as_str().unwrap_or("").to_owned(),
                p["price"]["currency"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(prices.contains(&("10.00".into(), "USD".into())), "R7: decimal strings: {prices:?}");
    assert!(prices.contains(&("9990".into(), "CLP".into())), "R7: CLP has no decimals: {prices:?}");
    assert!(prices.contains(&("1200.50".into(), "SEK".into())));
    let list = "query($f: ProductFilter) { products(filter: $f) { totalCount nodes { name } } }";
    let mine = app.ok(&org.admin, list, json!({"f": {"availableInMyMarket": true}})).await;
    assert_eq!(mine["products"]["totalCount"], 1, "R8: only the Western Europe product for SE");
    let flat = app.ok(&org.admin, list, json!({"f": {"pricingModel": "FLAT_RATE"}})).await;
    assert_eq!(flat["products"]["nodes"][0]["name"], "US Site");
    let search = app.ok(&org.admin, list, json!({"f": {"search": "seat"}})).await;
    assert_eq!(search["products"]["totalCount"], 1);
    let eligible = app.ok(&org.admin, list, json!({"f": {"selfServiceEligible": true}})).await;
    assert_eq!(eligible["products"]["nodes"][0]["name"], "Seat App");
    let markets = app.ok(&org.admin, "{ markets { market name countries } }", json!({})).await;
    let markets = markets["markets"].as_array().expect("markets");
    assert_eq!(markets.len(), 12, "R8: twelve markets");
    let we = markets.iter().find(|m| m["market"] == "WESTERN_EUROPE").expect("WE");
    for country in ["AT", "BE", "CH", "DK", "ES", "FI", "IE", "IS", "IT", "LI", "LU", "MC", "NL", "NO", "PT", "SE"] {
        assert!(
            we["countries"].as_array().expect("countries").iter().any(|c| c == country),
            "R8: Western Europe covers {country}"
        );
    }
    let own = app.ok(&publisher.token, "{ publisherProducts { totalCount } }", json!({})).await;
    assert_eq!(own["publisherProducts"]["totalCount"], 2);
}

#[tokio::test]
async fn r4_only_publishers_manage_their_own_products_and_bad_input_is_typed() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam").await;
    let rival = app.register_publisher("Rival").await;
    let org = app.register_org("Contoso", "US").await;
    let product = app.product(&publisher, "Seat App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], None, false).await;
    let update = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { name } }";
    assert_eq!(
        app.err(Some(&rival.token), update, json!({"id": product, "i": {"name": "Mine now"}})).await,
        "NOT_FOUND",
        "R3"
    );
    assert_eq!(app.err(Some(&org.admin), update, json!({"id": product, "i": {"name": "Mine now"}})).await, "FORBIDDEN");
    let create = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let base = json!({"name": "X", "pricingModel": "FLAT_RATE", "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "1.00"}],
        "portalUrl": "https://p.example", "supportUrl": "https://s.example"});
    assert_eq!(
        app.err(Some(&org.admin), create, json!({"i": base})).await,
        "FORBIDDEN",
        "org users do not list products"
    );
    let before = app.count("products").await;
    for (field, patch) in [
        ("prices.amount", json!({"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "1.005"}]})),
        ("prices.amount", json!({"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "-1.00"}]})),
        ("prices.currency", json!({"prices": [{"term": "MONTHLY", "currency": "XYZ", "amount": "1.00"}]})),
        ("prices", json!({"prices": []})),
        (
            "prices",
            json!({"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "1.00"}, {"term": "MONTHLY", "currency": "usd", "amount": "2.00"}]}),
        ),
        ("portalUrl", json!({"portalUrl": "javascript:alert(1)"})),
        ("name", json!({"name": " "})),
        ("markets", json!({"markets": []})),
    ] {
        let mut input = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            input[k] = v.clone();
        }
        let response = app.gql(Some(&publisher.token), create, json!({"i": input})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{field}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field, "{response}");
    }
    assert_eq!(app.count("products").await, before, "bad input changes nothing");
    let renamed = app.ok(&publisher.token, update, json!({"id": product, "i": {"name": "Seat App 2"}})).await;
    assert_eq!(renamed["updateProduct"]["name"], "Seat App 2");
}

/// Issue 3 §3: agreement, market, currency, right on the profile, payment method, quantity — first failure wins.
#[tokio::test]
async fn r10_r11_r12_purchase_checks_in_order_and_change_nothing() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let us_seats = app
        .product(&publisher, "Seat App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], Some(&["UNITED_STATES"]), false)
        .await;
    let eu_only = app
        .product(&publisher, "EU App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], Some(&["WESTERN_EUROPE"]), false)
        .await;
    let eur_only = app
        .product(&publisher, "Euro App", "PER_LICENSE", &[("MONTHLY", "EUR", "10.00")], Some(&["UNITED_STATES"]), false)
        .await;
    let profile = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let bare_profile = app.billing_profile(&org.admin, "US", None).await;
    let reader = app.user(&org, "Rita Reader", &[]).await;
    app.ok(
        &org.admin,
        "mutation($p: ID!, $u: ID!) { grantBillingRole(billingProfileId: $p, userId: $u, role: READER) { id } }",
        json!({"p": profile, "u": reader.id}),
    )
    .await;
    let buy = |product: &str, profile: &str, quantity: i64| json!({"i": {"productId": product, "term": "MONTHLY", "quantity": quantity, "billingProfileId": profile}});
    let subs = app.count("subscriptions").await;
    let charges = app.count("charges").await;
    // Even with every other problem present, the missing agreement is reported first.
    assert_eq!(
        app.err(Some(&org.admin), TestApp::PURCHASE, buy(&eu_only, &bare_profile, 0)).await,
        "AGREEMENT_REQUIRED",
        "R10"
    );
    app.accept_agreement(&org.admin).await;
    assert_eq!(
        app.err(Some(&org.admin), TestApp::PURCHASE, buy(&eu_only, &bare_profile, 0)).await,
        "REGION_NOT_SUPPORTED",
        "R11 market"
    );
    assert_eq!(
        app.err(Some(&org.admin), TestApp::PURCHASE, buy(&eur_only, &bare_profile, 0)).await,
        "CURRENCY_NOT_SUPPORTED",
        "R11 currency"
    );
    assert_eq!(
        app.err(Some(&reader.token), TestApp::PURCHASE, buy(&us_seats, &profile, 0)).await,
        "FORBIDDEN",
        "R2: a READER cannot buy"
    );
    let response = app.gql(Some(&org.admin), TestApp::PURCHASE, buy(&us_seats, &bare_profile, 0)).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "R12: a payment method is needed: {response}"
    );
    let response = app.gql(Some(&org.admin), TestApp::PURCHASE, buy(&us_seats, &profile, 0)).await;
    assert_eq!(response["errors"][0]["extensions"]["field"], "quantity", "R5: at least one license");
    let response = app.gql(Some(&org.admin), TestApp::PURCHASE, buy(&us_seats, &profile, -3)).await;
    assert_eq!(response["errors"][0]["extensions"]["field"], "quantity");
    assert_eq!(
        app.err(Some(&org.admin), TestApp::PURCHASE, buy(&uuid::Uuid::new_v4().to_string(), &profile, 1)).await,
        "NOT_FOUND"
    );
    assert_eq!(app.count("subscriptions").await, subs, "failed purchases create nothing");
    assert_eq!(app.count("charges").await, charges, "failed purchases charge nothing");
}

#[tokio::test]
async fn r12_r30_a_purchase_is_pending_with_its_first_term_charge() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let id = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(7), &shop.profile).await;
    let s = sub(&app, &shop.org.admin, &id).await;
    assert_eq!(s["status"], "PENDING_ACTIVATION", "R12");
    assert_eq!(s["quantity"], 7);
    assert_eq!(s["available"], 7);
    assert_eq!(s["unitPrice"], json!({"amount": "10.00", "currency": "USD"}));
    assert_eq!(s["termEndDate"], "2026-04-01", "R30: one month from 2026-03-01");
    assert_eq!(s["autoRenew"], true, "R12: auto-renew defaults on");
    assert_eq!(s["channel"], "DIRECT");
    assert_eq!(s["purchaser"]["id"], shop.org.admin_id);
    assert_eq!(s["billingProfile"]["id"], shop.profile);
    assert_eq!(s["portalUrl"], "https://portal.example.com/setup", "R14: the portal URL is shown");
    assert_eq!(app.charges_of(&id).await, vec![("FIRST_TERM".to_owned(), 7000)], "R30: 7 × $10.00");
    let flat = app.buy(&shop.org.admin, &shop.flat, "MONTHLY", None, &shop.profile).await;
    let s = sub(&app, &shop.org.admin, &flat).await;
    assert_eq!(
        (s["quantity"].clone(), s["isUnlimited"].clone(), s["available"].clone()),
        (Value::Null, json!(true), Value::Null),
        "R5"
    );
    assert_eq!(app.charges_of(&flat).await, vec![("FIRST_TERM".to_owned(), 5000)], "R30: flat rate × 1");
    let annual = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(2), &shop.profile).await;
    assert_eq!(sub(&app, &shop.org.admin, &annual).await["termEndDate"], "2027-03-01", "R6: twelve months");
    let partner = app.ok(&shop.org.admin, TestApp::PURCHASE, json!({"i": {"productId": shop.flat, "term": "MONTHLY", "billingProfileId": shop.profile, "channel": "PARTNER", "partnerName": "Adatum Partners", "partnerId": "P-1"}})).await;
    let partner_id = partner["purchaseSubscription"]["id"].as_str().expect("id");
    let s = app
        .ok(
            &shop.org.admin,
            "query($id: ID!) { subscription(id: $id) { channel partnerName partnerId } }",
            json!({"id": partner_id}),
        )
        .await;
    assert_eq!(
        s["subscription"],
        json!({"channel": "PARTNER", "partnerName": "Adatum Partners", "partnerId": "P-1"}),
        "R9"
    );
}

#[tokio::test]
async fn r13_same_key_same_input_returns_the_first_result_and_charges_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let input = json!({"i": {"productId": shop.per_license, "term": "MONTHLY", "quantity": 3, "billingProfileId": shop.profile, "idempotencyKey": "order-42"}});
    let first = app.ok(&shop.org.admin, TestApp::PURCHASE, input.clone()).await;
    let second = app.ok(&shop.org.admin, TestApp::PURCHASE, input.clone()).await;
    assert_eq!(first["purchaseSubscription"]["id"], second["purchaseSubscription"]["id"]);
    assert_eq!(app.count("subscriptions").await, 1);
    assert_eq!(app.count("charges").await, 1);
    let mut other = input.clone();
    other["i"]["quantity"] = json!(4);
    assert_eq!(app.err(Some(&shop.org.admin), TestApp::PURCHASE, other).await, "IDEMPOTENCY_CONFLICT");
    assert_eq!(app.count("subscriptions").await, 1, "a conflict creates nothing");
}

/// R13 under a race: 20 identical requests at once, on two instances.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r13_twenty_identical_purchases_racing_create_one_subscription() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let second =
        TestApp::on_database(&app.database_url, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")).await;
    let input = json!({"i": {"productId": shop.per_license, "term": "MONTHLY", "quantity": 5, "billingProfileId": shop.profile, "idempotencyKey": "race-1"}});
    let mut tasks = Vec::new();
    for i in 0..20 {
        let router = if i % 2 == 0 { app.router.clone() } else { second.router.clone() };
        tasks.push(tokio::spawn(post(router, shop.org.admin.clone(), TestApp::PURCHASE, input.clone())));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let response = task.await.expect("task");
        assert!(response.get("errors").is_none(), "every repeat answers with the first result: {response}");
        ids.insert(response["data"]["purchaseSubscription"]["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 1, "one subscription for 20 identical requests");
    assert_eq!(app.count("subscriptions").await, 1);
    assert_eq!(app.count("charges").await, 1, "charged once");
}

/// POST one GraphQL request to a router from a spawned task.
pub async fn post(router: axum::Router, token: String, query: &'static str, variables: Value) -> Value {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let body = json!({"query": query, "variables": variables}).to_string();
    let request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(body))
        .expect("request");
    let response = router.oneshot(request).await.expect("response");
    assert!(!response.status().is_server_error(), "5xx: {}", response.status());
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("json")
}

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
