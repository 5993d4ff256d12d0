//! Issue 26 item 1, outside in: the real binary on the days of the issue's
//! example (the day set with `LICENSEDESK_TEST_TODAY`), no billing run from
//! Jan 16 to Feb 27, then `licensedesk billing run` on Feb 27: renewals at the
//! price and quantity in force on their term end, the change prorated in its
//! term, the subscription whose auto-renew was on at its term end renewed,
//! and the check/wire invoice issued that day — neither overdue nor disabled.
//! Both engines (PostgreSQL when LICENSEDESK_TEST_POSTGRES_URL is set).

use serde_json::{Value, json};

use crate::harness::{Server, command, fresh_database_url};

const PASSWORD: &str = "correct horse battery staple";

async fn on(url: &str, day: &str) -> Server {
    Server::start(url, &[("LICENSEDESK_TEST_TODAY", day)]).await
}

async fn ok(server: &Server, token: Option<&str>, query: &str, variables: Value) -> Value {
    let response = server.graphql(token, query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

fn billing_run(url: &str, day: &str) -> String {
    let out = command(url)
        .env("LICENSEDESK_TEST_TODAY", day)
        .args(["billing", "run", "--date", day])
        .output()
        .expect("run licensedesk");
    assert!(out.status.success(), "billing run {day}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn issue_26_cli_billing_run_after_a_gap_bills_each_day_as_it_was() {
    let url = fresh_database_url().await;
    let out = command(&url).arg("migrate").output().expect("migrate");
    assert!(out.status.success(), "migrate: {}", String::from_utf8_lossy(&out.stderr));

    // Dec 20: a product at 10.00, two subscriptions of 5 licenses on a check/wire profile.
    let server = on(&url, "2026-12-20").await;
    let (admin, _) = server.register("Contoso").await;
    let publisher = ok(
        &server,
        None,
        "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
        json!({"i": {"publisherName": "Fabrikam", "name": "Fab Owner", "email": "owner@fabrikam.test", "password": PASSWORD}}),
    )
    .await["registerPublisher"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let product = ok(
        &server,
        Some(&publisher),
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({"i": {"name": "Seat App", "description": "Seats", "pricingModel": "PER_LICENSE",
            "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "10.00"}], "markets": ["UNITED_STATES"],
            "selfServiceEligible": false, "portalUrl": "https://portal.example.com", "supportUrl": "https://support.example.com"}}),
    )
    .await["createProduct"]["id"]
        .as_str()
        .expect("product")
        .to_owned();
    ok(&server, Some(&admin), "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await;
    let profile = ok(
        &server,
        Some(&admin),
        "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
        json!({"i": {"name": "Main", "contactName": "Pat", "contactEmail": "pat@example.test", "selfService": false,
            "billToAddress": {"line1": "1 Main Street", "city": "Springfield", "postalCode": "12345", "country": "US"}}}),
    )
    .await["createBillingProfile"]["id"]
        .as_str()
        .expect("profile")
        .to_owned();
    ok(
        &server,
        Some(&admin),
        "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}}),
    )
    .await;
    let mut subs = Vec::new();
    for _ in 0..2 {
        let id = ok(
            &server,
            Some(&admin),
            "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
            json!({"i": {"productId": product, "term": "MONTHLY", "quantity": 5, "billingProfileId": profile}}),
        )
        .await["purchaseSubscription"]["id"]
            .as_str()
            .expect("subscription")
            .to_owned();
        ok(
            &server,
            Some(&publisher),
            "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { status } }",
            json!({"s": id}),
        )
        .await;
        subs.push(id);
    }
    drop(server);
    // Daily runs up to Jan 15; December's invoice is paid by check.
    for day in ["2026-12-20", "2027-01-01", "2027-01-15"] {
        billing_run(&url, day);
    }
    let invoices = "query { invoices(filter: {from: \"2026-01-01\", to: \"2027-12-31\"}, first: 20) { edges { node {
        id number periodStart issueDate dueDate status total { amount } } } } }";
    let server = on(&url, "2027-01-15").await;
    let first = ok(&server, Some(&admin), invoices, json!({})).await;
    let december = first["invoices"]["edges"][0]["node"].clone();
    assert_eq!(december["total"]["amount"], "100.00", "{first}");
    ok(
        &server,
        Some(&admin),
        "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { status } }",
        json!({"i": december["id"]}),
    )
    .await;
    drop(server);

    // No run from Jan 16 to Feb 27. Jan 25: the price becomes 12.00.
    let server = on(&url, "2027-01-25").await;
    ok(
        &server,
        Some(&publisher),
        "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }",
        json!({"id": product, "i": {"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "12.00"}]}}),
    )
    .await;
    drop(server);
    // Feb 5: S1 goes from 5 to 8 licenses.
    let server = on(&url, "2027-02-05").await;
    ok(
        &server,
        Some(&admin),
        "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }",
        json!({"s": subs[0], "q": 8}),
    )
    .await;
    drop(server);
    // Feb 10: S2's auto-renew is turned off.
    let server = on(&url, "2027-02-10").await;
    ok(
        &server,
        Some(&admin),
        "mutation($s: ID!, $a: Boolean!) { setAutoRenew(subscriptionId: $s, autoRenew: $a) { autoRenew } }",
        json!({"s": subs[1], "a": false}),
    )
    .await;
    drop(server);

    // Feb 27: the late run, from the command line.
    let report = billing_run(&url, "2027-02-27");
    assert!(report.contains("0 invoice(s) overdue, 0 subscription(s) disabled for payment"), "{report}");
    let server = on(&url, "2027-02-27").await;
    let all = ok(&server, Some(&admin), invoices, json!({})).await;
    let january = all["invoices"]["edges"][0]["node"].clone();
    // Jan 20: both renew at 5 × 10.00 (the price and quantity of Jan 20).
    assert_eq!(
        (
            january["periodStart"].as_str(),
            january["issueDate"].as_str(),
            january["dueDate"].as_str(),
            january["status"].as_str(),
            january["total"]["amount"].as_str()
        ),
        (Some("2027-01-01"), Some("2027-02-27"), Some("2027-03-29"), Some("OPEN"), Some("100.00")),
        "{all}"
    );
    let sub =
        "query($s: ID!) { subscription(id: $s) { status disabledReason termEndDate quantity unitPrice { amount } } }";
    let s1 = ok(&server, Some(&admin), sub, json!({"s": subs[0]})).await["subscription"].clone();
    // Feb 20: S1 renews at the new price and quantity.
    assert_eq!(
        (
            s1["status"].as_str(),
            s1["termEndDate"].as_str(),
            s1["quantity"].as_i64(),
            s1["unitPrice"]["amount"].as_str()
        ),
        (Some("ACTIVE"), Some("2027-03-20"), Some(8), Some("12.00")),
        "{s1}"
    );
    let s2 = ok(&server, Some(&admin), sub, json!({"s": subs[1]})).await["subscription"].clone();
    // S2 had auto-renew on at Jan 20 (renewed) and off at Feb 20 (expired).
    assert_eq!(
        (s2["status"].as_str(), s2["disabledReason"].as_str(), s2["termEndDate"].as_str()),
        (Some("DISABLED"), Some("EXPIRED"), Some("2027-02-20")),
        "{s2}"
    );
    drop(server);
    // March 1: February's invoice has the Feb 5 increase, prorated in its term
    // (3 × 10.00 × 15/31 = 14.52), and S1's Feb 20 renewal at 8 × 12.00.
    billing_run(&url, "2027-03-01");
    let server = on(&url, "2027-03-01").await;
    let all = ok(&server, Some(&admin), invoices, json!({})).await;
    let february = all["invoices"]["edges"][0]["node"].clone();
    assert_eq!(
        (february["periodStart"].as_str(), february["total"]["amount"].as_str()),
        (Some("2027-02-01"), Some("110.52")),
        "{all}"
    );
}
