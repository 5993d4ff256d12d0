//! Issue 11: money never silently disappears. Credit balances carried forward
//! and refunded (R44), checked arithmetic with documented bounds (R7, R30),
//! explicit renewal outcomes (R15, R17) and the accurate refusal of a
//! currency change (R28).

use entity::{audit_event, billing_profile, charge, credit_refund, enums::InvoiceStatus, invoice};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::*;

const CANCEL: &str =
    "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE) { status disabledReason } }";
const CHANGE_QUANTITY: &str =
    "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }";
const REFUND: &str = "mutation($p: ID!, $k: String!) { refundCreditBalance(billingProfileId: $p, idempotencyKey: $k) \
    { id amount { amount currency } paymentMethod idempotencyKey billingProfile { creditBalance { amount } } } }";
const CREDIT_FIELDS: &str = "id number status subtotal { amount } total { amount } creditApplied { amount } \
    creditCarried { amount } creditRemaining { amount } lines(first: 20) { productName description amount { amount } creditFromInvoiceId }";

/// R44's identity, for every billing profile: charges − credits − payments −
/// refunds = the open amount of its invoices − its credit balance, where a
/// refund counts as a payment in the other direction (money back to the
/// customer is a negative payment, so with refunds as positive amounts the
/// term is + refunded). Charges and credits are the rows already invoiced (the
/// month still running is not yet on any invoice); payments are the totals of
/// PAID invoices; the open amount is the totals of OPEN and OVERDUE ones. Sums
/// in i128, so the check itself cannot overflow.
pub async fn assert_money_identity(app: &TestApp, when: &str) {
    for profile in billing_profile::Entity::find().all(&app.db).await.expect("profiles") {
        let charges = charge::Entity::find()
            .filter(charge::Column::BillingProfileId.eq(profile.id))
            .filter(charge::Column::InvoiceId.is_not_null())
            .all(&app.db)
            .await
            .expect("charges");
        let charged: i128 = charges.iter().filter(|c| c.amount_minor > 0).map(|c| i128::from(c.amount_minor)).sum();
        let credited: i128 = charges.iter().filter(|c| c.amount_minor < 0).map(|c| -i128::from(c.amount_minor)).sum();
        let invoices = invoice::Entity::find()
            .filter(invoice::Column::BillingProfileId.eq(profile.id))
            .all(&app.db)
            .await
            .expect("invoices");
        let paid: i128 = invoices
            .iter()
            .filter(|i| i.status == InvoiceStatus::Paid && i.total_minor > 0)
            .map(|i| i128::from(i.total_minor))
            .sum();
        let open: i128 = invoices
            .iter()
            .filter(|i| matches!(i.status, InvoiceStatus::Open | InvoiceStatus::Overdue))
            .map(|i| i128::from(i.total_minor))
            .sum();
        let refunded: i128 = credit_refund::Entity::find()
            .filter(credit_refund::Column::BillingProfileId.eq(profile.id))
            .all(&app.db)
            .await
            .expect("refunds")
            .iter()
            .map(|r| i128::from(r.amount_minor))
            .sum();
        // The balance recomputed from the invoices themselves: credit each one still holds.
        let balance: i64 = invoices.iter().map(|i| i.credit_remaining_minor.max(0)).sum();
        assert!(balance >= 0, "{when}: a credit balance is never negative");
        assert_eq!(
            charged - credited - (paid - refunded),
            open - i128::from(balance),
            "R44 at {when}, profile {}: charges {charged} − credits {credited} − (payments {paid} − refunded {refunded}) \
             ≠ open {open} − balance {balance}",
            profile.id
        );
    }
}

/// Runs billing for `day` and asserts the identity afterwards.
async fn bill_checked(app: &TestApp, day: chrono::NaiveDate) -> licensedesk::service::billing_run::BillingReport {
    let report = app.bill(day).await;
    assert_money_identity(app, &day.to_string()).await;
    report
}

pub(crate) async fn credit_balance(app: &TestApp, token: &str, profile: &str) -> String {
    let data = app
        .ok(
            token,
            "query($p: ID!) { billingProfile(id: $p) { creditBalance { amount currency } } }",
            json!({"p": profile}),
        )
        .await;
    data["billingProfile"]["creditBalance"]["amount"].as_str().expect("amount").to_owned()
}

async fn invoice_by_number(app: &TestApp, token: &str, number: &str) -> Value {
    let query =
        format!("query($f: InvoiceFilter) {{ invoices(filter: $f, first: 100) {{ nodes {{ {CREDIT_FIELDS} }} }} }}");
    let data = app.ok(token, &query, json!({"f": {"from": "2026-01-01", "to": "2027-12-31"}})).await;
    data["invoices"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|i| i["number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("no invoice {number}"))
}

fn amounts(invoice: &Value) -> Vec<String> {
    invoice["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["amount"]["amount"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find().filter(audit_event::Column::Action.eq(action)).all(&app.db).await.expect("audit")
}

/// An annual subscription (100.00) and a monthly one (10.00) bought 2026-03-10
/// on the shop's card profile; the annual one canceled 2026-04-09, crediting
/// 100.00 × 335/365 = 91.780… → 91.78 (R30). April: renewal 10.00 − 91.78.
pub(crate) async fn canceled_annual(app: &TestApp, shop: &Shop) -> String {
    app.clock.set_date(date(2026, 3, 10));
    let annual = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(1), &shop.profile).await;
    let monthly = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let report = bill_checked(app, date(2026, 4, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved), (1, 1), "March: 110.00 charged to the card");
    app.clock.set_date(date(2026, 4, 9));
    app.ok(&shop.org.admin, CANCEL, json!({"s": annual})).await;
    let report = bill_checked(app, date(2026, 5, 1)).await;
    assert_eq!(
        (report.invoices_issued, report.cards_approved, report.cards_declined),
        (1, 0, 0),
        "R44: a CREDITED invoice charges no card"
    );
    monthly
}

/// R44: a cancellation credit larger than the month's charges is carried to
/// the profile's credit balance (the invoice is CREDITED, not PAID), and the
/// next invoices consume it exactly, with a line naming the source invoice,
/// before any card is charged.
#[tokio::test]
async fn r44_credit_larger_than_the_month_is_carried_forward_and_consumed_exactly() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    let monthly = canceled_annual(&app, &shop).await;

    // April (LD-000002): 10.00 renewal − 91.78 credit = −81.78, all of it carried.
    let april = invoice_by_number(&app, &token, "LD-000002").await;
    assert_eq!(april["status"], "CREDITED");
    assert_eq!(april["total"]["amount"], "-81.78");
    assert_eq!(april["creditCarried"]["amount"], "81.78");
    assert_eq!(april["creditRemaining"]["amount"], "81.78");
    assert_eq!(amounts(&april), vec!["-91.78", "10.00"], "the credit of 04-09, the renewal of 04-10");
    assert_eq!(credit_balance(&app, &token, &shop.profile).await, "81.78");
    let carried = audit_actions(&app, "billing_profile.credit_carried").await;
    assert_eq!(carried.len(), 1, "R36: the balance change is audited on the profile");
    assert!(
        carried[0].after.as_deref().unwrap_or("").contains("\"creditBalanceMinor\":8178"),
        "{:?}",
        carried[0].after
    );
    let pay = app
        .err(Some(&token), "mutation($i: ID!) { payInvoice(invoiceId: $i) { status } }", json!({"i": april["id"]}))
        .await;
    assert_eq!(pay, "INVALID_STATE", "a CREDITED invoice owes nothing");

    // May (LD-000003): renewal 10.00, paid entirely from the balance: total 0.00, no card charge.
    let report = bill_checked(&app, date(2026, 6, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved), (1, 0));
    let may = invoice_by_number(&app, &token, "LD-000003").await;
    assert_eq!((may["status"].as_str(), may["total"]["amount"].as_str()), (Some("PAID"), Some("0.00")));
    assert_eq!(may["subtotal"]["amount"], "10.00");
    assert_eq!(may["creditApplied"]["amount"], "10.00");
    assert_eq!(amounts(&may), vec!["10.00", "-10.00"]);
    let credit_line = &may["lines"][1];
    assert_eq!(credit_line["description"], "Credit balance from invoice LD-000002");
    assert_eq!(credit_line["creditFromInvoiceId"], april["id"]);
    assert_eq!(credit_balance(&app, &token, &shop.profile).await, "71.78");

    // June: renewal 06-10 (10.00) and 7 licenses added on the term's first day
    // (7 × 10.00 = 70.00): 80.00, of which the last 71.78 of credit pays part; the card pays 8.22.
    bill_checked(&app, date(2026, 6, 10)).await;
    app.ok(&token, CHANGE_QUANTITY, json!({"s": monthly, "q": 8})).await;
    let report = bill_checked(&app, date(2026, 7, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved), (1, 1), "the card is charged only for the rest");
    let june = invoice_by_number(&app, &token, "LD-000004").await;
    assert_eq!(amounts(&june), vec!["10.00", "70.00", "-71.78"]);
    assert_eq!(june["subtotal"]["amount"], "80.00");
    assert_eq!(june["creditApplied"]["amount"], "71.78");
    assert_eq!((june["status"].as_str(), june["total"]["amount"].as_str()), (Some("PAID"), Some("8.22")));
    assert_eq!(credit_balance(&app, &token, &shop.profile).await, "0.00");
    let april = invoice_by_number(&app, &token, "LD-000002").await;
    assert_eq!(april["creditRemaining"]["amount"], "0.00", "every unit of the credit was used, once");
    assert_eq!(audit_actions(&app, "billing_profile.credit_applied").await.len(), 2);

    // July: nothing left to consume; the card pays the full 80.00.
    let report = bill_checked(&app, date(2026, 8, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved), (1, 1));
    let july = invoice_by_number(&app, &token, "LD-000005").await;
    assert_eq!(
        (july["total"]["amount"].as_str(), july["creditApplied"]["amount"].as_str()),
        (Some("80.00"), Some("0.00"))
    );
}

/// R44, R2: a refund of the credit balance goes to the profile's card once,
/// even when the request is repeated (in sequence or at the same time); a
/// second request with another key finds no balance; a reader cannot ask.
#[tokio::test]
async fn r44_refund_of_a_credit_balance_is_charged_once_even_when_repeated() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    canceled_annual(&app, &shop).await;
    assert_eq!(credit_balance(&app, &token, &shop.profile).await, "81.78");

    // R2: a READER may view the profile but not pay its invoices.
    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    app.grant_role(&token, &shop.profile, &reader.id, "READER").await;
    let refused = app.err(Some(&reader.token), REFUND, json!({"p": shop.profile, "k": "r-1"})).await;
    assert_eq!(refused, "FORBIDDEN");
    assert_eq!(credit_balance(&app, &token, &shop.profile).await, "81.78", "a refused request changes nothing");

    // Two identical requests at once, then a third in sequence: one refund.
    let vars = json!({"p": shop.profile, "k": "r-1"});
    let (a, b) = futures::join!(app.ok(&token, REFUND, vars.clone()), app.ok(&token, REFUND, vars.clone()));
    let c = app.ok(&token, REFUND, vars).await;
    for r in [&a, &b, &c] {
        assert_eq!(r["refundCreditBalance"]["id"], a["refundCreditBalance"]["id"], "the same refund every time");
        assert_eq!(r["refundCreditBalance"]["amount"], json!({"amount": "81.78", "currency": "USD"}));
        assert_eq!(r["refundCreditBalance"]["paymentMethod"], "VISA ending 4242");
        assert_eq!(r["refundCreditBalance"]["billingProfile"]["creditBalance"]["amount"], "0.00");
    }
    assert_eq!(app.count("credit_refunds").await, 1, "refunded once");
    assert_eq!(audit_actions(&app, "billing_profile.credit_refund").await.len(), 1);
    assert_money_identity(&app, "after the refund").await;

    // Another key: nothing left to refund.
    assert_eq!(app.err(Some(&token), REFUND, json!({"p": shop.profile, "k": "r-2"})).await, "INVALID_STATE");
    assert_eq!(app.count("credit_refunds").await, 1);

    // The refunded credit is not used again: May's 10.00 goes to the card.
    let report = bill_checked(&app, date(2026, 6, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved), (1, 1));
    let may = invoice_by_number(&app, &token, "LD-000003").await;
    assert_eq!(
        (may["total"]["amount"].as_str(), may["creditApplied"]["amount"].as_str()),
        (Some("10.00"), Some("0.00"))
    );
}

/// Issue 11 bounds: a unit price above 10^12 minor units and a quantity above
/// 1,000,000 are VALIDATION_FAILED with the field; at the bounds the amounts are
/// exact, and a sum beyond the exact range is refused, never clipped.
#[tokio::test]
async fn money_overflow_is_refused_never_clipped() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let create = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let input = |amount: &str| {
        json!({"i": {"name": "Big", "description": "Big", "pricingModel": "PER_LICENSE",
            "prices": [{"term": "MONTHLY", "currency": "USD", "amount": amount}], "selfServiceEligible": false,
            "portalUrl": "https://portal.example.com", "supportUrl": "https://support.example.com"}})
    };
    for too_big in ["10000000000.01", "92233720368547758.07"] {
        let response = app.gql(Some(&shop.publisher.token), create, input(too_big)).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{too_big}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "prices.amount", "{too_big}");
    }
    let update = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }";
    let response = app
        .gql(
            Some(&shop.publisher.token),
            update,
            json!({"id": shop.per_license, "i": {"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "10000000000.01"}]}}),
        )
        .await;
    assert_eq!(response["errors"][0]["extensions"]["field"], "prices.amount");
    let big = app.ok(&shop.publisher.token, create, input("10000000000.00")).await["createProduct"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Quantity bound on purchase and on changeLicenseQuantity (R18).
    let over = app
        .gql(
            Some(&shop.org.admin),
            TestApp::PURCHASE,
            json!({"i": {"productId": big, "term": "MONTHLY", "quantity": 1_000_001, "billingProfileId": shop.profile}}),
        )
        .await;
    assert_eq!(over["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
    assert_eq!(over["errors"][0]["extensions"]["field"], "quantity");
    let small = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let over = app.gql(Some(&shop.org.admin), CHANGE_QUANTITY, json!({"s": small, "q": 1_000_001})).await;
    assert_eq!(over["errors"][0]["extensions"]["field"], "quantity");

    // At the bounds: 10^12 × 10^6 = 10^18 minor units, exact.
    let max_line = app.buy(&shop.org.admin, &big, "MONTHLY", Some(1_000_000), &shop.profile).await;
    assert_eq!(app.charges_of(&max_line).await, vec![("FIRST_TERM".to_owned(), 1_000_000_000_000_000_000)]);
    // Nine more such lines: the month's sum (≈ 10^19) leaves i64. That invoice
    // is held (issue 26 item 3: visible on the profile, retried by every run);
    // nothing is clipped or half-written.
    for _ in 0..9 {
        app.buy(&shop.org.admin, &big, "MONTHLY", Some(1_000_000), &shop.profile).await;
    }
    app.clock.set_date(date(2026, 4, 1));
    let result = licensedesk::service::billing_run::run_billing(&app.state, date(2026, 4, 1)).await;
    let report = result.expect("the run goes on past the held invoice");
    assert_eq!((report.invoices_held, report.invoices_issued), (1, 0), "{report}");
    assert_eq!(app.count("invoices").await, 0);
    assert_eq!(app.count("invoice_lines").await, 0);
    let uninvoiced =
        charge::Entity::find().filter(charge::Column::InvoiceId.is_null()).all(&app.db).await.expect("charges");
    assert!(uninvoiced.iter().all(|c| c.amount_minor > 0), "the charges wait, unchanged");
}

/// Issue 11, R15, R17: auto-renew on but the term's price withdrawn (or its
/// currency no longer offered) ends the subscription with NOT_RENEWABLE and a
/// stored message; the publisher is warned when withdrawing the price; the
/// purchaser and billing owners are named in the audit event. Without
/// auto-renew it is still EXPIRED.
#[tokio::test]
async fn withdrawn_price_ends_a_renewal_with_not_renewable() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    let renewing = app.buy(&token, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let not_renewing = app.buy(&token, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.ok(
        &token,
        "mutation($s: ID!) { setAutoRenew(subscriptionId: $s, autoRenew: false) { autoRenew } }",
        json!({"s": not_renewing}),
    )
    .await;
    let site = app.buy(&token, &shop.flat, "MONTHLY", None, &shop.profile).await;

    let update = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) \
        { id renewalWarning { subscriptionsNotRenewing message } } }";
    let withdrawn = app
        .ok(
            &shop.publisher.token,
            update,
            json!({"id": shop.per_license, "i": {"prices": [{"term": "ANNUAL", "currency": "USD", "amount": "100.00"}]}}),
        )
        .await;
    assert_eq!(
        withdrawn["updateProduct"]["renewalWarning"]["subscriptionsNotRenewing"], 1,
        "only the auto-renewing subscription is affected"
    );
    let currency_gone = app
        .ok(
            &shop.publisher.token,
            update,
            json!({"id": shop.flat, "i": {"prices": [{"term": "MONTHLY", "currency": "EUR", "amount": "45.00"}]}}),
        )
        .await;
    assert_eq!(currency_gone["updateProduct"]["renewalWarning"]["subscriptionsNotRenewing"], 1);
    // The count is about customers' subscriptions: customers never see it.
    let seen = app
        .ok(
            &token,
            "query($id: ID!) { product(id: $id) { renewalWarning { message } } }",
            json!({"id": shop.per_license}),
        )
        .await;
    assert!(seen["product"]["renewalWarning"].is_null());

    let report = bill_checked(&app, date(2026, 4, 1)).await;
    assert_eq!((report.renewals, report.expired), (0, 3));
    let query = "query($s: ID!) { subscription(id: $s) { status disabledReason disabledMessage autoRenew } }";
    let sub = app.ok(&token, query, json!({"s": renewing})).await["subscription"].clone();
    assert_eq!(
        (sub["status"].as_str(), sub["disabledReason"].as_str(), sub["autoRenew"].as_bool()),
        (Some("DISABLED"), Some("NOT_RENEWABLE"), Some(false))
    );
    assert_eq!(sub["disabledMessage"], "Not renewed: the publisher withdrew the price of the monthly term.");
    let sub = app.ok(&token, query, json!({"s": site})).await["subscription"].clone();
    assert_eq!(sub["disabledReason"], "NOT_RENEWABLE");
    assert_eq!(sub["disabledMessage"], "Not renewed: the product is no longer offered in USD for the monthly term.");
    let sub = app.ok(&token, query, json!({"s": not_renewing})).await["subscription"].clone();
    assert_eq!((sub["disabledReason"].as_str(), sub["disabledMessage"].as_str()), (Some("EXPIRED"), None));
    assert_eq!(app.count("charges").await, 3, "no renewal charge for any of them");

    let events = audit_actions(&app, "subscription.not_renewable").await;
    assert_eq!(events.len(), 2);
    let purchaser = &shop.org.admin_id;
    for event in &events {
        let after = event.after.as_deref().unwrap_or("");
        assert!(after.contains(purchaser.as_str()), "the purchaser (also the profile's owner) is told: {after}");
    }
}

/// Issue 11, R28: moving a subscription to a profile of another currency says
/// that a subscription's currency is fixed for its term, in every language.
#[tokio::test]
async fn moving_to_another_currency_says_the_currency_is_fixed_for_the_term() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let eur = app.billing_profile(&shop.org.admin, "DE", Some(CARD_OK)).await;
    let query = "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }";
    let expected = [
        ("en", "fixed for its term"),
        ("sv", "fast under dess period"),
        ("da", "ligger fast i hele perioden"),
        ("nl", "ligt vast voor de looptijd"),
        ("zh-TW", "期間內固定不變"),
    ];
    for (lang, words) in expected {
        let response = app.gql_full(Some(&shop.org.admin), query, json!({"s": sub, "p": eur}), Some(lang)).await;
        let error = &response["errors"][0];
        assert_eq!(error["extensions"]["code"], "CURRENCY_NOT_SUPPORTED", "{lang}");
        let message = error["message"].as_str().unwrap_or("");
        assert!(message.contains(words) && message.contains("USD") && message.contains("EUR"), "{lang}: {message}");
    }
}

/// Issue 26 item 4, R44: a check-or-wire profile's credit balance is refunded
/// by a transfer a billing admin records (reference, date); once per key like
/// the card refund; an owner who is not a billing admin, a date after today
/// and a card profile are refused and change nothing.
#[tokio::test]
async fn issue_26_a_check_or_wire_balance_is_refunded_by_a_recorded_transfer() {
    const TRANSFER: &str = "mutation($p: ID!, $k: String!, $r: String!, $d: NaiveDate!) {
        recordCreditBalanceTransfer(billingProfileId: $p, idempotencyKey: $k, reference: $r, transferDate: $d) {
            id amount { amount } reference transferDate paymentMethod billingProfile { creditBalance { amount } } } }";
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    let check = app.check_or_wire_profile(&token, "US").await;
    app.clock.set_date(date(2026, 3, 10));
    let annual = app.buy(&token, &shop.per_license, "ANNUAL", Some(1), &check).await;
    app.bill(date(2026, 4, 1)).await;
    let march = invoice_by_number(&app, &token, "LD-000001").await;
    app.ok(&token, "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { status } }", json!({"i": march["id"]})).await;
    app.clock.set_date(date(2026, 4, 9));
    app.ok(&token, CANCEL, json!({"s": annual})).await;
    app.bill(date(2026, 5, 1)).await;
    app.clock.set_date(date(2026, 5, 4));
    assert_eq!(credit_balance(&app, &token, &check).await, "91.78");

    // The card refund does not apply: there is no card to refund to.
    let card = app.gql(Some(&token), REFUND, json!({"p": check, "k": "c-1"})).await;
    assert_eq!(card["errors"][0]["extensions"]["field"], "billingProfileId.paymentMethod", "{card}");
    // An owner of the profile who is not a billing admin may not record one.
    let owner = app.user(&shop.org, "Olga Owner", &[]).await;
    app.grant_role(&token, &check, &owner.id, "OWNER").await;
    let vars = json!({"p": check, "k": "t-1", "r": "WIRE-2026-0042", "d": "2026-05-03"});
    assert_eq!(app.err(Some(&owner.token), TRANSFER, vars.clone()).await, "FORBIDDEN");
    let future = json!({"p": check, "k": "t-1", "r": "WIRE-2026-0042", "d": "2026-05-05"});
    assert_eq!(app.err(Some(&token), TRANSFER, future).await, "VALIDATION_FAILED");
    assert_eq!(credit_balance(&app, &token, &check).await, "91.78", "refused requests change nothing");

    let admin = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let first = app.ok(&admin.token, TRANSFER, vars.clone()).await["recordCreditBalanceTransfer"].clone();
    assert_eq!(first["amount"]["amount"], "91.78");
    assert_eq!(
        (first["reference"].as_str(), first["transferDate"].as_str()),
        (Some("WIRE-2026-0042"), Some("2026-05-03"))
    );
    assert_eq!(first["billingProfile"]["creditBalance"]["amount"], "0.00");
    let again = app.ok(&admin.token, TRANSFER, vars).await["recordCreditBalanceTransfer"].clone();
    assert_eq!(again["id"], first["id"], "the same key, the same refund");
    assert_eq!(app.count("credit_refunds").await, 1, "recorded once");
    assert_eq!(audit_actions(&app, "billing_profile.credit_refund").await.len(), 1);
    let other = json!({"p": check, "k": "t-2", "r": "WIRE-2026-0043", "d": "2026-05-03"});
    assert_eq!(app.err(Some(&admin.token), TRANSFER, other).await, "INVALID_STATE", "no balance left");
    // A card profile's balance goes back to the card, not by transfer.
    let on_card = json!({"p": shop.profile, "k": "t-3", "r": "WIRE-1", "d": "2026-05-03"});
    let refused = app.gql(Some(&admin.token), TRANSFER, on_card).await;
    assert_eq!(refused["errors"][0]["extensions"]["field"], "billingProfileId.paymentMethod", "{refused}");
    assert_money_identity(&app, "after the transfer").await;
}
