//! R29: the full card number and the security code never reach a log line.
//! Captures every log line the server writes (at TRACE) while card
//! operations run, then greps them.

use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::helpers::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn r29_card_numbers_and_security_codes_never_reach_the_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let installed = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .try_init()
        .is_ok();
    assert!(installed, "this test owns the process-wide log subscriber");
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let profile = app.billing_profile(&org.admin, "US", None).await;
    let number = "5555555555554444";
    let mut input = card(number, "US");
    input["card"]["securityCode"] = json!("9731");
    let add =
        "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id last4 } }";
    let added = app.ok(&org.admin, add, json!({"p": profile, "i": input})).await;
    assert_eq!(added["addPaymentMethod"]["last4"], "4444");
    let replace =
        "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id } }";
    let mut second = card("4000000000009995", "US");
    second["card"]["securityCode"] = json!("8642");
    app.ok(&org.admin, replace, json!({"p": profile, "i": second})).await;
    // A rejected card is logged nowhere either.
    let mut bad = card("4000000000009996", "US");
    bad["card"]["securityCode"] = json!("5319");
    app.gql(Some(&org.admin), add, json!({"p": profile, "i": bad})).await;
    let text = String::from_utf8_lossy(&capture.0.lock().expect("lock")).to_string();
    assert!(text.contains("request"), "the capture saw the requests: {} bytes", text.len());
    // Security codes count only as whole tokens: four digits also occur inside
    // the UUIDs and timestamps of other tests' log lines.
    let tokens: std::collections::HashSet<&str> = text.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    for number in [number, "4000000000009995", "4000000000009996"] {
        assert!(!text.contains(number), "R29: card number {number} appears in the logs");
    }
    for code in ["9731", "8642", "5319"] {
        assert!(!tokens.contains(code), "R29: security code {code} appears in the logs");
    }
}
