//! Issue 19 item 2, "each rule once":
//!
//! - one ID rule: a malformed ID answers like an unknown one — NOT_FOUND —
//!   on every query and mutation that takes an ID (README, R3), and changes
//!   nothing;
//! - every payment follows claim → commit → processor → record: a payInvoice
//!   or a credit refund whose process dies after the claim is finished with
//!   the claim's own idempotency key — by the payer asking again or by the
//!   next billing run — so the processor is never asked for a second payment
//!   (R31, R33, R34, R44). `tests/process/payments_kill.rs` kills the real
//!   server at those points and counts the processor's ledger.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use entity::{audit_event, card_charge_claim, credit_refund};
use licensedesk::{
    billing::processor::{CardProcessor, PaymentRequest, ProcessorFuture},
    service::{Services, credit_balance, identity, invoices},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::*,
    money::{assert_money_identity, canceled_annual, credit_balance as balance_of},
};

const PAY: &str = "mutation($i: ID!) { payInvoice(invoiceId: $i) { id status paidAt paymentMethod } }";
const REFUND: &str = "mutation($p: ID!, $k: String!) { refundCreditBalance(billingProfileId: $p, idempotencyKey: $k) \
    { id amount { amount currency } paymentMethod } }";
const REPLACE_CARD: &str =
    "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id } }";

// ---------------------------------------------------------------------------
// One ID rule
// ---------------------------------------------------------------------------

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

fn unwrap_type(t: &Value) -> &Value {
    let mut t = t;
    while t["ofType"].is_object() && t["name"].is_null() {
        t = &t["ofType"];
    }
    t
}

/// The GraphQL spelling of a type reference: `ID!`, `[ID!]!`…
fn spell(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spell(&t["ofType"])),
        Some("LIST") => format!("[{}]", spell(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or("").to_owned(),
    }
}

/// A well-formed value for a required argument of type `t`: IDs are random
/// UUIDs, input objects get their required fields.
fn sample(t: &Value, types: &[Value]) -> Value {
    match t["kind"].as_str() {
        Some("NON_NULL") => sample(&t["ofType"], types),
        Some("LIST") => json!([]),
        _ => {
            let name = t["name"].as_str().unwrap_or("");
            let def = types.iter().find(|d| d["name"] == name).cloned().unwrap_or(Value::Null);
            match (def["kind"].as_str(), name) {
                (Some("ENUM"), _) => def["enumValues"][0]["name"].clone(),
                (Some("INPUT_OBJECT"), _) => {
                    let mut object = serde_json::Map::new();
                    for field in def["inputFields"].as_array().into_iter().flatten() {
                        if field["type"]["kind"] == "NON_NULL" {
                            let key = field["name"].as_str().unwrap_or("").to_owned();
                            object.insert(key, sample(&field["type"], types));
                        }
                    }
                    Value::Object(object)
                }
                (_, "ID") => json!(Uuid::new_v4().to_string()),
                (_, "Int") => json!(1),
                (_, "Float") => json!(1.0),
                (_, "Boolean") => json!(true),
                // A well-formed date (recordCreditBalanceTransfer, issue 26).
                (_, "NaiveDate") => json!("2026-01-01"),
                _ => json!("x"),
            }
        }
    }
}

/// Every root field with an argument of type `ID`/`ID!`, with the
/// operation text and well-formed variables for all its required arguments.
async fn fields_taking_an_id(app: &TestApp, token: &str) -> Vec<(String, String, String, Value)> {
    let query = format!(
        "{{ __schema {{ queryType {{ name }} mutationType {{ name }} types {{ name kind \
         fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} \
         inputFields {{ name type {{ {TYPE_REF} }} }} enumValues {{ name }} }} }} }}"
    );
    let schema = app.ok(token, &query, json!({})).await["__schema"].clone();
    let types = schema["types"].as_array().cloned().unwrap_or_default();
    let mut found = Vec::new();
    for (keyword, root) in [("query", &schema["queryType"]["name"]), ("mutation", &schema["mutationType"]["name"])] {
        let def = types.iter().find(|t| &t["name"] == root).expect("root type");
        for field in def["fields"].as_array().into_iter().flatten() {
            let args = field["args"].as_array().cloned().unwrap_or_default();
            let takes_id = |a: &Value| {
                let t = if a["type"]["kind"] == "NON_NULL" { &a["type"]["ofType"] } else { &a["type"] };
                t["kind"] == "SCALAR" && t["name"] == "ID"
            };
            let required: Vec<&Value> =
                args.iter().filter(|a| a["type"]["kind"] == "NON_NULL" || takes_id(a)).collect();
            let decl: Vec<String> = required
                .iter()
                .map(|a| format!("${}: {}", a["name"].as_str().unwrap_or(""), spell(&a["type"])))
                .collect();
            let pass: Vec<String> =
                required.iter().map(|a| format!("{0}: ${0}", a["name"].as_str().unwrap_or(""))).collect();
            let returns = unwrap_type(&field["type"]);
            let selection = if matches!(returns["kind"].as_str(), Some("OBJECT" | "INTERFACE" | "UNION")) {
                " { __typename }"
            } else {
                ""
            };
            let name = field["name"].as_str().unwrap_or("").to_owned();
            let operation = format!("{keyword}({}) {{ {name}({}){selection} }}", decl.join(", "), pass.join(", "));
            let variables: serde_json::Map<String, Value> = required
                .iter()
                .map(|a| (a["name"].as_str().unwrap_or("").to_owned(), sample(&a["type"], &types)))
                .collect();
            for arg in args.iter().filter(|a| takes_id(a)) {
                let arg = arg["name"].as_str().unwrap_or("").to_owned();
                found.push((name.clone(), arg, operation.clone(), Value::Object(variables.clone())));
            }
        }
    }
    found
}

/// Issue 19, README ("a malformed ID answers NOT_FOUND, like any unknown or
/// foreign ID"), R3: every query and mutation that takes an ID — found by
/// introspection, so a new one cannot be missed — answers a malformed one
/// NOT_FOUND, to an organization's GLOBAL_ADMIN and to a publisher alike,
/// whatever its other (well-formed) arguments, and writes nothing. (Until
/// issue 19 the billing-profile and payment-method operations answered
/// VALIDATION_FAILED.)
#[tokio::test]
async fn issue19_a_malformed_id_is_not_found_on_every_get_and_mutation_that_takes_an_id() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let fields = fields_taking_an_id(&app, &org.admin).await;
    for expected in ["billingProfile", "invoice", "payInvoice", "updatePaymentMethod", "grantBillingRole"] {
        assert!(fields.iter().any(|(name, ..)| name == expected), "{expected} takes an ID");
    }
    assert!(fields.len() >= 40, "{} operations take an ID", fields.len());
    let audit = app.count("audit_events").await;
    for (name, arg, operation, variables) in &fields {
        for (who, token) in [("GLOBAL_ADMIN", org.admin.as_str()), ("publisher", publisher.token.as_str())] {
            let mut malformed = variables.clone();
            malformed[arg.as_str()] = json!("not-a-uuid");
            let response = app.gql(Some(token), operation, malformed).await;
            let code = response["errors"][0]["extensions"]["code"].as_str();
            assert_eq!(code, Some("NOT_FOUND"), "{name}({arg}) as {who}: {response}");
        }
    }
    assert_eq!(app.count("audit_events").await, audit, "nothing was written");
}

// ---------------------------------------------------------------------------
// Payments: claim → commit → processor → record
// ---------------------------------------------------------------------------

/// A processor that never answers: the process "dies" while waiting, after
/// the claim was committed. Counts the calls.
struct NeverAnswers(Arc<AtomicUsize>);

impl CardProcessor for NeverAnswers {
    fn process<'a>(&'a self, _request: &'a PaymentRequest<'a>) -> ProcessorFuture<'a> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

/// The app's services with a processor that never answers, and its call count.
fn stalled(app: &TestApp) -> (Services, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut services = app.state.services.clone();
    services.processor = Arc::new(NeverAnswers(calls.clone()));
    (services, calls)
}

/// Runs `work` until it reaches the processor, then drops it there, as a
/// crash would: what was committed stays, nothing after the call happens.
async fn die_at_the_processor<T>(work: impl std::future::Future<Output = T>) {
    let finished = tokio::time::timeout(Duration::from_millis(1500), work).await;
    assert!(finished.is_err(), "the work waited for the processor");
}

async fn actor_of(app: &TestApp, token: &str) -> licensedesk::auth::Actor {
    let caller = identity::resolve_caller(&app.state, Some(token)).await.expect("caller");
    caller.actor().expect("signed in").clone()
}

async fn audit(app: &TestApp, action: &str, object: Uuid) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::ObjectId.eq(object))
        .all(&app.db)
        .await
        .expect("audit")
}

/// The processor's reference an audit event recorded.
fn reference_of(event: &audit_event::Model) -> Option<Value> {
    let after: Value = serde_json::from_str(event.after.as_deref()?).ok()?;
    Some(after["processorReference"].clone())
}

/// An OPEN invoice of a card profile (its card declined at issue), whose
/// card was then replaced by a good one: payInvoice will charge it.
async fn open_card_invoice(app: &TestApp) -> (Shop, Uuid) {
    let shop = app.shop().await;
    let admin = shop.org.admin.clone();
    let profile = app.billing_profile(&admin, "US", Some(CARD_DECLINED)).await;
    app.buy(&admin, &shop.per_license, "MONTHLY", Some(3), &profile).await;
    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 2));
    let invoices = app.all_invoices(&admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    let invoice = invoices
        .iter()
        .find(|i| i["billingProfile"]["id"] == profile.as_str())
        .and_then(|i| i["id"].as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("the card profile's invoice");
    assert_eq!(app.invoice(&admin, &invoice.to_string()).await["status"], "OPEN", "declined at issue");
    app.ok(&admin, REPLACE_CARD, json!({"p": profile, "i": card(CARD_OK, "US")})).await;
    (shop, invoice)
}

/// payInvoice dies after its claim: a claim in doubt, the invoice unchanged.
async fn pay_dies_after_the_claim(app: &TestApp, token: &str, invoice: Uuid) -> card_charge_claim::Model {
    let (services, calls) = stalled(app);
    let actor = actor_of(app, token).await;
    die_at_the_processor(invoices::pay(&services, &actor, invoice)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the processor was called once, after the claim");
    let claim = card_charge_claim::Entity::find_by_id(invoice).one(&app.db).await.expect("claim").expect("claimed");
    assert!(claim.settled_at.is_none(), "the claim is in doubt");
    assert!(claim.idempotency_key.starts_with("pay:"), "{}", claim.idempotency_key);
    assert_eq!(app.invoice(token, &invoice.to_string()).await["status"], "OPEN", "nothing recorded yet");
    claim
}

/// R31, R34, issue 19: payInvoice claims (committed) before it calls the
/// processor. When the request dies in between, asking again finishes the
/// payment in doubt with the claim's own idempotency key — the processor is
/// asked for the same payment, never a second one — and records it once.
#[tokio::test]
async fn issue19_pay_invoice_in_doubt_is_finished_with_its_own_key_by_the_next_request() {
    let app = TestApp::spawn().await;
    let (shop, invoice) = open_card_invoice(&app).await;
    let admin = shop.org.admin.clone();
    let claim = pay_dies_after_the_claim(&app, &admin, invoice).await;

    let paid = app.ok(&admin, PAY, json!({"i": invoice.to_string()})).await;
    assert_eq!(paid["payInvoice"]["status"], "PAID");
    assert_eq!(paid["payInvoice"]["paymentMethod"], "VISA ending 4242");
    let events = audit(&app, "invoice.pay", invoice).await;
    assert_eq!(events.len(), 1, "recorded once");
    let reference = format!("offline-{}", claim.idempotency_key);
    assert_eq!(reference_of(&events[0]), Some(json!(reference)));
    let settled = card_charge_claim::Entity::find_by_id(invoice).one(&app.db).await.expect("claim").expect("claim");
    assert_eq!(settled.idempotency_key, claim.idempotency_key, "the same key, not a new payment");
    assert_eq!(settled.outcome.as_deref(), Some("approved"));

    // Paid: asking again charges nothing.
    assert_eq!(app.err(Some(&admin), PAY, json!({"i": invoice.to_string()})).await, "INVALID_STATE");
    assert_eq!(audit(&app, "invoice.pay", invoice).await.len(), 1);
}

/// R33, issue 19: a payInvoice left in doubt is finished by the next billing
/// run (before anything is marked overdue), with the claim's key, recorded
/// as the payer's payment.
#[tokio::test]
async fn issue19_pay_invoice_in_doubt_is_finished_by_the_next_billing_run() {
    let app = TestApp::spawn().await;
    let (shop, invoice) = open_card_invoice(&app).await;
    let admin = shop.org.admin.clone();
    let claim = pay_dies_after_the_claim(&app, &admin, invoice).await;

    let report = app.bill(date(2026, 4, 3)).await;
    assert_eq!(report.cards_approved, 1, "{report}");
    let view = app.invoice(&admin, &invoice.to_string()).await;
    assert_eq!((view["status"].as_str(), view["paymentMethod"].as_str()), (Some("PAID"), Some("VISA ending 4242")));
    let events = audit(&app, "invoice.pay", invoice).await;
    assert_eq!(events.len(), 1);
    let reference = format!("offline-{}", claim.idempotency_key);
    assert_eq!(reference_of(&events[0]), Some(json!(reference)));
    // A second run has nothing in doubt left.
    assert_eq!(app.bill(date(2026, 4, 4)).await.cards_approved, 0);
}

/// R34, issue 19: a declined payInvoice is a typed outcome (PAYMENT_DECLINED),
/// changes nothing the caller sees, and leaves no claim in doubt: the next
/// attempt, with a good card, is a new payment with a new key.
#[tokio::test]
async fn issue19_declined_pay_settles_its_claim_and_a_new_attempt_gets_a_new_key() {
    let app = TestApp::spawn().await;
    let (shop, invoice) = open_card_invoice(&app).await;
    let admin = shop.org.admin.clone();
    let profile = app.invoice(&admin, &invoice.to_string()).await["billingProfile"]["id"].clone();
    app.ok(&admin, REPLACE_CARD, json!({"p": profile, "i": card(CARD_DECLINED, "US")})).await;
    let before = app.invoice(&admin, &invoice.to_string()).await;
    let events = app.count("audit_events").await;
    assert_eq!(app.err(Some(&admin), PAY, json!({"i": invoice.to_string()})).await, "PAYMENT_DECLINED");
    assert_eq!(app.invoice(&admin, &invoice.to_string()).await, before, "a decline changes nothing");
    assert_eq!(app.count("audit_events").await, events);
    let declined = card_charge_claim::Entity::find_by_id(invoice).one(&app.db).await.expect("q").expect("claim");
    assert_eq!((declined.settled_at.is_some(), declined.outcome.as_deref()), (true, Some("declined")));

    app.ok(&admin, REPLACE_CARD, json!({"p": profile, "i": card(CARD_OK, "US")})).await;
    assert_eq!(app.ok(&admin, PAY, json!({"i": invoice.to_string()})).await["payInvoice"]["status"], "PAID");
    let approved = card_charge_claim::Entity::find_by_id(invoice).one(&app.db).await.expect("q").expect("claim");
    assert_ne!(approved.idempotency_key, declined.idempotency_key, "a new payment, a new key");
    assert_eq!(approved.outcome.as_deref(), Some("approved"));
}

/// A credit refund dies after its claim: the balance reserved, the refund in doubt.
async fn refund_dies_after_the_claim(app: &TestApp, shop: &Shop, key: &str) -> credit_refund::Model {
    let (services, calls) = stalled(app);
    let actor = actor_of(app, &shop.org.admin).await;
    let profile = Uuid::parse_str(&shop.profile).expect("uuid");
    die_at_the_processor(credit_balance::refund(&services, &actor, profile, key)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let claims = credit_refund::Entity::find().all(&app.db).await.expect("refunds");
    assert_eq!(claims.len(), 1);
    assert!(claims[0].reserved_sources.is_some(), "in doubt");
    assert_eq!(
        balance_of(app, &shop.org.admin, &shop.profile).await,
        "0.00",
        "the credit is reserved, not spent twice"
    );
    claims[0].clone()
}

/// R44, issue 19: the credit refund claims (reserving the balance) before it
/// calls the processor; when the request dies in between, the same request
/// again finishes that refund with the same processor key, once.
#[tokio::test]
async fn issue19_credit_refund_in_doubt_is_finished_once_by_the_same_request() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    canceled_annual(&app, &shop).await;
    assert_eq!(balance_of(&app, &shop.org.admin, &shop.profile).await, "81.78");
    let claim = refund_dies_after_the_claim(&app, &shop, "r-1").await;

    let vars = json!({"p": shop.profile, "k": "r-1"});
    let refund = app.ok(&shop.org.admin, REFUND, vars.clone()).await;
    assert_eq!(refund["refundCreditBalance"]["id"], json!(claim.id.to_string()), "the refund in doubt, finished");
    assert_eq!(refund["refundCreditBalance"]["amount"], json!({"amount": "81.78", "currency": "USD"}));
    let again = app.ok(&shop.org.admin, REFUND, vars).await;
    assert_eq!(again["refundCreditBalance"]["id"], refund["refundCreditBalance"]["id"]);
    let profile = Uuid::parse_str(&shop.profile).expect("uuid");
    let events = audit(&app, "billing_profile.credit_refund", profile).await;
    assert_eq!(events.len(), 1, "refunded once");
    let reference = format!("offline-refund-refund:{}:r-1", shop.profile);
    assert_eq!(reference_of(&events[0]), Some(json!(reference)));
    let stored = credit_refund::Entity::find_by_id(claim.id).one(&app.db).await.expect("q").expect("refund");
    assert_eq!((stored.reserved_sources, stored.processor_reference), (None, reference));
    assert_money_identity(&app, "after the refund").await;
}

/// R33, R44, issue 19: a refund left in doubt is finished by the next billing
/// run; a declined refund gives the reserved credit back to its invoices.
#[tokio::test]
async fn issue19_credit_refund_in_doubt_is_finished_by_the_run_and_a_decline_restores_the_credit() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    canceled_annual(&app, &shop).await;
    let claim = refund_dies_after_the_claim(&app, &shop, "r-1").await;
    app.bill(date(2026, 5, 2)).await;
    let stored = credit_refund::Entity::find_by_id(claim.id).one(&app.db).await.expect("q").expect("refund");
    assert!(stored.reserved_sources.is_none(), "settled by the run");
    assert_eq!(stored.processor_reference, format!("offline-refund-refund:{}:r-1", shop.profile));
    assert_money_identity(&app, "after the run finished the refund").await;

    // A second profile with credit and a card the processor declines.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    canceled_annual(&app, &shop).await;
    app.ok(&shop.org.admin, REPLACE_CARD, json!({"p": shop.profile, "i": card(CARD_DECLINED, "US")})).await;
    let events = app.count("audit_events").await;
    let declined = app.err(Some(&shop.org.admin), REFUND, json!({"p": shop.profile, "k": "r-2"})).await;
    assert_eq!(declined, "PAYMENT_DECLINED");
    assert_eq!(balance_of(&app, &shop.org.admin, &shop.profile).await, "81.78", "the credit is back");
    assert_eq!(app.count("credit_refunds").await, 0, "no refund, no claim left");
    assert_eq!(app.count("audit_events").await, events, "a decline changes nothing");
    assert_money_identity(&app, "after the declined refund").await;
}

/// R31, R34, issue 19: two payInvoice requests at once make one payment: one
/// claim, one processor key, one `invoice.pay` event; each answer is the
/// PAID invoice or INVALID_STATE (already paid).
#[tokio::test]
async fn issue19_two_pay_requests_at_once_pay_once() {
    let app = TestApp::spawn().await;
    let (shop, invoice) = open_card_invoice(&app).await;
    let admin = shop.org.admin.clone();
    let vars = json!({"i": invoice.to_string()});
    let (a, b) = futures::join!(app.gql(Some(&admin), PAY, vars.clone()), app.gql(Some(&admin), PAY, vars.clone()));
    let mut paid = 0;
    for response in [&a, &b] {
        match response["errors"][0]["extensions"]["code"].as_str() {
            None => {
                assert_eq!(response["data"]["payInvoice"]["status"], "PAID", "{response}");
                paid += 1;
            }
            Some(code) => assert_eq!(code, "INVALID_STATE", "{response}"),
        }
    }
    assert!(paid >= 1, "{a} {b}");
    assert_eq!(audit(&app, "invoice.pay", invoice).await.len(), 1, "one payment");
    assert_eq!(app.invoice(&admin, &invoice.to_string()).await["status"], "PAID");
}
