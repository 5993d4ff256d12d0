//! Issue 19 item 2: payInvoice and the credit refund follow claim → commit →
//! processor → record, like the billing run (billing_kill.rs). The real
//! server is killed (`abort`, like `kill -9`) right after the processor took
//! the money and before the outcome was recorded; the payer asks again on a
//! restarted server: the payment is recorded once and the processor's ledger
//! (`LICENSEDESK_TEST_PROCESSOR_LEDGER`) holds it once.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Server, command, fresh_database_url, request};

/// The demo's months, billed: open invoices, a credited one.
const DATE: &str = "2027-04-02";
const DEMO_ADMIN: &str = "admin@contoso.demo";
const DEMO_PASSWORD: &str = "licensedesk-demo";

async fn seeded_and_billed(ledger: &Path) -> String {
    let url = fresh_database_url().await;
    let out = command(&url).arg("seed-demo").output().expect("seed");
    assert!(out.status.success(), "seed-demo: {}", String::from_utf8_lossy(&out.stderr));
    let out = command(&url)
        .env("LICENSEDESK_TEST_PROCESSOR_LEDGER", ledger)
        .args(["billing", "run", "--date", DATE])
        .output()
        .expect("billing run");
    assert!(out.status.success(), "billing run: {}", String::from_utf8_lossy(&out.stderr));
    url
}

async fn start(url: &str, ledger: &Path, crash_at: Option<&str>) -> Server {
    let ledger = ledger.to_string_lossy().to_string();
    let mut env = vec![("LICENSEDESK_TEST_PROCESSOR_LEDGER", ledger.as_str())];
    if let Some(point) = crash_at {
        env.push(("LICENSEDESK_TEST_CRASH_AT", point));
    }
    Server::start(url, &env).await
}

async fn sign_in(server: &Server) -> String {
    let data = server
        .graphql(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": DEMO_ADMIN, "p": DEMO_PASSWORD}),
        )
        .await;
    data["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("{data}")).to_owned()
}

async fn ok(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    let response = server.graphql(Some(token), query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

fn good_card() -> Value {
    json!({"kind": "CREDIT_CARD", "card": {"number": "4242424242424242", "securityCode": "123",
        "expirationMonth": 12, "expirationYear": 2035, "nameOnCard": "Pat Payer",
        "billingAddress": {"line1": "1 Main Street", "city": "Springfield", "postalCode": "12345", "country": "US"}}})
}

async fn use_good_card(server: &Server, token: &str, profile: &str) {
    ok(
        server,
        token,
        "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": profile, "i": good_card()}),
    )
    .await;
}

/// Sends a mutation the server is to die in: no answer comes back.
async fn dies_on(server: &mut Server, token: &str, query: &str, variables: Value) {
    let body = json!({"query": query, "variables": variables}).to_string();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = request(server.addr, None, &head).await;
    assert!(!matches!(answer, Ok((200, _))), "the server was to die: {answer:?}");
    let status = server.child.wait().expect("wait");
    assert!(!status.success(), "aborted at the crash point");
}

fn ledger_lines(ledger: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_to_string(ledger)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Issue 19, R31, R34: payInvoice killed after the processor charged the card
/// (`charge-sent`), then asked again on a restarted server: PAID, and the
/// card charged once (one ledger line for the payment's key).
#[tokio::test]
async fn issue19_pay_invoice_killed_after_the_charge_is_charged_once() {
    let dir = std::env::temp_dir().join(format!("ld-pay-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ledger = dir.join("ledger");
    let url = seeded_and_billed(&ledger).await;
    let mut server = start(&url, &ledger, Some("charge-sent")).await;
    let token = sign_in(&server).await;
    let open = ok(
        &server,
        &token,
        "{ invoices(filter: {status: OPEN, from: \"2026-01-01\", to: \"2027-12-31\"}, first: 100) \
         { nodes { id billingProfile { id } } } }",
        json!({}),
    )
    .await;
    let invoice = open["invoices"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("an open invoice: {open}"));
    let id = invoice["id"].as_str().expect("id").to_owned();
    let profile = invoice["billingProfile"]["id"].as_str().expect("profile").to_owned();
    // payInvoice charges the profile's current card: a good one from now on.
    use_good_card(&server, &token, &profile).await;
    let before = ledger_lines(&ledger, "pay:").len();

    let pay = "mutation($i: ID!) { payInvoice(invoiceId: $i) { status paymentMethod } }";
    dies_on(&mut server, &token, pay, json!({"i": id})).await;
    let taken = ledger_lines(&ledger, &format!("pay:{id}:"));
    assert_eq!(taken.len(), 1, "the processor charged before the kill: {taken:?}");

    let server = start(&url, &ledger, None).await;
    let token = sign_in(&server).await;
    let paid = ok(&server, &token, pay, json!({"i": id})).await;
    assert_eq!(paid["payInvoice"]["status"], "PAID", "{paid}");
    assert_eq!(paid["payInvoice"]["paymentMethod"], "VISA ending 4242");
    assert_eq!(ledger_lines(&ledger, &format!("pay:{id}:")), taken, "charged once, with the same key");
    assert_eq!(ledger_lines(&ledger, "pay:").len(), before + 1);
    let again = server.graphql(Some(&token), pay, json!({"i": id})).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "INVALID_STATE", "{again}");
    assert_eq!(ledger_lines(&ledger, "pay:").len(), before + 1, "nothing more charged");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 19, R44: refundCreditBalance killed after the processor refunded
/// (`refund-sent`), then repeated with the same key on a restarted server:
/// the same refund, refunded once.
#[tokio::test]
async fn issue19_credit_refund_killed_after_the_refund_is_refunded_once() {
    let dir = std::env::temp_dir().join(format!("ld-refund-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ledger = dir.join("ledger");
    let url = seeded_and_billed(&ledger).await;
    // The demo's CREDITED invoice carried its credit to the balance and later
    // invoices used it; give it back, so there is a balance to refund.
    let db = sea_orm::Database::connect(url.as_str()).await.expect("connect");
    let restored = sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        "UPDATE invoices SET credit_remaining_minor = credit_carried_minor WHERE status = 'CREDITED'",
    )
    .await
    .expect("restore the credit");
    assert!(restored.rows_affected() >= 1, "the demo has a CREDITED invoice");
    db.close().await.ok();
    let mut server = start(&url, &ledger, Some("refund-sent")).await;
    let token = sign_in(&server).await;
    let profiles =
        ok(&server, &token, "{ billingProfiles(first: 100) { nodes { id creditBalance { amount } } } }", json!({}))
            .await;
    let profile = profiles["billingProfiles"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["creditBalance"]["amount"].as_str().is_some_and(|a| a != "0.00"))
        .and_then(|p| p["id"].as_str())
        .unwrap_or_else(|| panic!("a profile with a credit balance: {profiles}"))
        .to_owned();
    use_good_card(&server, &token, &profile).await;

    let refund = "mutation($p: ID!, $k: String!) { refundCreditBalance(billingProfileId: $p, idempotencyKey: $k) \
        { id amount { amount } billingProfile { creditBalance { amount } } } }";
    let vars = json!({"p": profile, "k": "kill-1"});
    dies_on(&mut server, &token, refund, vars.clone()).await;
    let key = format!("refund:{profile}:kill-1 ");
    assert_eq!(ledger_lines(&ledger, &key).len(), 1, "the processor refunded before the kill");

    let server = start(&url, &ledger, None).await;
    let token = sign_in(&server).await;
    let first = ok(&server, &token, refund, vars.clone()).await;
    assert_eq!(first["refundCreditBalance"]["billingProfile"]["creditBalance"]["amount"], "0.00", "{first}");
    let second = ok(&server, &token, refund, vars).await;
    assert_eq!(first["refundCreditBalance"]["id"], second["refundCreditBalance"]["id"], "the same refund");
    assert_eq!(ledger_lines(&ledger, &key).len(), 1, "refunded once");
    std::fs::remove_dir_all(&dir).ok();
}
