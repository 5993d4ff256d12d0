//! Catalog, buying, activation, lifecycle and licenses (SPEC §2–5, §8, R36).

use serde_json::{Value, json};

use crate::helpers::*;

mod lifecycle;

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
