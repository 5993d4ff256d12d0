//! The billing run (R15, R17, R30, R31, R33, R34): a simulated year, day by
//! day, with every invoice amount written out by hand; idempotency, crash
//! safety, catch-up and the one-runner lease.

use chrono::Utc;
use entity::{enums::InvoiceStatus, invoice, job_lease};
use licensedesk::service::billing_run::{self as run, LEASE_NAME};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::*;

mod catch_up;
mod reruns_and_leases;

const SET_AUTO_RENEW: &str =
    "mutation($s: ID!, $a: Boolean!) { setAutoRenew(subscriptionId: $s, autoRenew: $a) { autoRenew } }";
const CHANGE_QUANTITY: &str =
    "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }";
const CANCEL: &str = "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE, feedback: \"too dear\") { status } }";
const SUBSCRIPTION: &str =
    "query($s: ID!) { subscription(id: $s) { status disabledReason autoRenew termEndDate unitPrice { amount } } }";
const PAY: &str = "mutation($i: ID!) { payInvoice(invoiceId: $i) { status paidAt } }";
const MARK_PAID: &str = "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { status paidAt } }";

/// One invoice as the year test compares it: (number, profile label, total, line count, status).
type Row = (String, &'static str, String, usize, String);

struct Year {
    rows: Vec<Row>,
    /// Line amounts of a few invoices, by number.
    lines: Vec<(String, Vec<String>)>,
    audit_events: i64,
    charges: i64,
}

async fn subscription(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(token, SUBSCRIPTION, json!({"s": id})).await["subscription"].clone()
}

fn invoice_id_by_number(invoices: &[Value], number: &str) -> String {
    invoices
        .iter()
        .find(|i| i["number"] == number)
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no invoice {number}"))
        .to_owned()
}

/// Simulates 2026-03-01 to 2027-03-01 day by day, running billing
/// `runs_per_day` times each morning, then the day's actions:
///
/// Profiles: P1 pays by card (4242, approved), P2 by check or wire, P3 by a
/// card the processor declines (4000 0000 0000 0002).
/// Product A "Seat App" PER_LICENSE monthly USD 10.00 (12.00 from 2026-06-20);
/// product B "Site App" FLAT_RATE monthly USD 50.00.
///  - 03-10 S1 = A × 5 on P1 (terms start on the 10th)
///  - 03-15 S2 = A × 2 on P2; 03-16 auto-renew off → expires 04-15
///  - 03-20 S3 = A × 1 on P3 (declined card: its invoices stay unpaid)
///  - 04-02 payInvoice on P3's invoice → PAYMENT_DECLINED, unchanged
///  - 04-05 markInvoicePaid on P2's invoice (check received)
///  - 04-17 S1 5 → 7 licenses
///  - 05-31 S5 = B on P1 (month-end start: terms end Jun 30, Jul 31, Aug 31, Sep 30)
///  - 06-01 S3 disabled: its March invoice (due 05-01) unpaid after 30 days' grace
///  - 06-20 price of A becomes 12.00 → S1 renews at 12.00 from 07-10
///  - 09-10 S5 canceled (credit)
///  - 10-25 S1 7 → 6 licenses (credit)
async fn simulate_year(runs_per_day: usize) -> Year {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let seat = app
        .product(&publisher, "Seat App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], Some(&["UNITED_STATES"]), false)
        .await;
    let site = app
        .product(&publisher, "Site App", "FLAT_RATE", &[("MONTHLY", "USD", "50.00")], Some(&["UNITED_STATES"]), false)
        .await;
    app.accept_agreement(&org.admin).await;
    let p1 = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let p2 = app.check_or_wire_profile(&org.admin, "US").await;
    let p3 = app.billing_profile(&org.admin, "US", Some(CARD_DECLINED)).await;
    let label = |profile: &str| -> &'static str {
        if profile == p1 {
            "P1"
        } else if profile == p2 {
            "P2"
        } else if profile == p3 {
            "P3"
        } else {
            "?"
        }
    };
    let token = org.admin.clone();
    let (mut s1, mut s2, mut s3, mut s5) = (String::new(), String::new(), String::new(), String::new());

    let mut day = date(2026, 3, 1);
    let last = date(2027, 3, 1);
    while day <= last {
        app.clock.set_date(day);
        for _ in 0..runs_per_day {
            app.bill(day).await;
            // R44: no money appears or disappears, after every run.
            crate::money::assert_money_identity(&app, &day.to_string()).await;
        }
        match (day.format("%m-%d").to_string().as_str(), day.format("%Y").to_string().as_str()) {
            ("03-10", "2026") => {
                s1 = app.buy(&token, &seat, "MONTHLY", Some(5), &p1).await;
                app.activate(&publisher, &s1).await;
            }
            ("03-15", "2026") => {
                s2 = app.buy(&token, &seat, "MONTHLY", Some(2), &p2).await;
                app.activate(&publisher, &s2).await;
            }
            ("03-16", "2026") => {
                app.ok(&token, SET_AUTO_RENEW, json!({"s": s2, "a": false})).await;
            }
            ("03-20", "2026") => {
                s3 = app.buy(&token, &seat, "MONTHLY", Some(1), &p3).await;
                app.activate(&publisher, &s3).await;
            }
            ("04-01", "2026") => {
                // R31: March's invoices issued today; the approved card paid P1's at issue,
                // the declined card left P3's open.
                let invoices = app.all_invoices(&token, date(2026, 1, 1), date(2026, 12, 31)).await;
                let status: Vec<(&str, &str)> = invoices
                    .iter()
                    .map(|i| (i["number"].as_str().unwrap_or(""), i["status"].as_str().unwrap_or("")))
                    .collect();
                assert_eq!(status, vec![("LD-000003", "OPEN"), ("LD-000002", "OPEN"), ("LD-000001", "PAID")]);
            }
            ("04-02", "2026") => {
                // R31, R34: paying with the declined card fails and changes nothing.
                let invoices = app.all_invoices(&token, date(2026, 1, 1), date(2026, 12, 31)).await;
                let id = invoice_id_by_number(&invoices, "LD-000003");
                assert_eq!(app.err(Some(&token), PAY, json!({"i": id})).await, "PAYMENT_DECLINED");
                let after = app.invoice(&token, &id).await;
                assert_eq!((after["status"].as_str(), after["paidAt"].is_null()), (Some("OPEN"), true));
            }
            ("04-05", "2026") => {
                // R29: the check arrived; the admin marks P2's invoice paid.
                let invoices = app.all_invoices(&token, date(2026, 1, 1), date(2026, 12, 31)).await;
                let id = invoice_id_by_number(&invoices, "LD-000002");
                let paid = app.ok(&token, MARK_PAID, json!({"i": id})).await;
                assert_eq!(paid["markInvoicePaid"]["status"], "PAID");
            }
            ("04-14", "2026") => assert_eq!(subscription(&app, &token, &s2).await["status"], "ACTIVE"),
            ("04-15", "2026") => {
                // R15: term end without auto-renew → DISABLED/EXPIRED.
                let sub = subscription(&app, &token, &s2).await;
                assert_eq!(
                    (sub["status"].as_str(), sub["disabledReason"].as_str()),
                    (Some("DISABLED"), Some("EXPIRED"))
                );
            }
            ("04-17", "2026") => {
                app.ok(&token, CHANGE_QUANTITY, json!({"s": s1, "q": 7})).await;
            }
            ("05-02", "2026") => {
                // R31: P3's March invoice was due 05-01.
                let invoices = app.all_invoices(&token, date(2026, 1, 1), date(2026, 12, 31)).await;
                let march = invoices.iter().find(|i| i["number"] == "LD-000003").expect("LD-000003");
                assert_eq!(march["status"], "OVERDUE");
            }
            ("05-31", "2026") => {
                // R15: the grace period (30 days after 05-01) has not ended yet.
                assert_eq!(subscription(&app, &token, &s3).await["status"], "ACTIVE");
                s5 = app.buy(&token, &site, "MONTHLY", None, &p1).await;
                app.activate(&publisher, &s5).await;
            }
            ("06-01", "2026") => {
                // R15: 06-01 > 05-01 + 30 days with LD-000003 unpaid.
                let sub = subscription(&app, &token, &s3).await;
                assert_eq!(
                    (sub["status"].as_str(), sub["disabledReason"].as_str()),
                    (Some("DISABLED"), Some("PAYMENT_NOT_CURRENT"))
                );
                assert_eq!(subscription(&app, &token, &s1).await["status"], "ACTIVE", "S1's invoices are paid");
            }
            ("06-20", "2026") => {
                app.ok(
                    &publisher.token,
                    "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }",
                    json!({"id": seat, "i": {"prices": [{"term": "MONTHLY", "currency": "USD", "amount": "12.00"}]}}),
                )
                .await;
            }
            ("07-10", "2026") => {
                // R17: renewed today at the price then in force.
                assert_eq!(subscription(&app, &token, &s1).await["unitPrice"]["amount"], "12.00");
            }
            ("09-10", "2026") => {
                app.ok(&token, CANCEL, json!({"s": s5})).await;
            }
            ("10-25", "2026") => {
                app.ok(&token, CHANGE_QUANTITY, json!({"s": s1, "q": 6})).await;
            }
            _ => {}
        }
        day = day.succ_opt().expect("next day");
    }

    let invoices = app.all_invoices(&token, date(2026, 1, 1), date(2027, 12, 31)).await;
    let mut rows: Vec<Row> = invoices
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap_or("").to_owned(),
                label(i["billingProfile"]["id"].as_str().unwrap_or("")),
                i["total"]["amount"].as_str().unwrap_or("").to_owned(),
                i["lines"].as_array().map_or(0, Vec::len),
                i["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    rows.reverse();
    let lines = ["LD-000004", "LD-000011", "LD-000012"]
        .iter()
        .map(|n| {
            let invoice = invoices.iter().find(|i| i["number"] == *n).expect("invoice");
            let amounts = invoice["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| l["amount"]["amount"].as_str().unwrap_or("").to_owned())
                .collect();
            ((*n).to_owned(), amounts)
        })
        .collect();
    // Every invoice's subtotal equals its total and the sum of its lines (R31).
    for i in &invoices {
        assert_eq!(i["subtotal"], i["total"]);
        assert_eq!(i["currency"], "USD");
    }
    let year = Year { rows, lines, audit_events: app.count("audit_events").await, charges: app.count("charges").await };
    assert_eq!(app.count("billing_runs").await, 366, "R33: every day of the year recorded once");
    year
}

/// The expected invoices of the year, every amount worked out by hand from R30.
fn expected_year() -> Vec<Row> {
    let row = |n: &str, p: &'static str, total: &str, lines: usize, status: &str| {
        (n.to_owned(), p, total.to_owned(), lines, status.to_owned())
    };
    vec![
        // Issued 2026-04-01 for March.
        // P1: S1 first term 03-10..04-10: 5 × 10.00 = 50.00. Card approved at issue.
        row("LD-000001", "P1", "50.00", 1, "PAID"),
        // P2: S2 first term 03-15..04-15: 2 × 10.00 = 20.00. Marked paid 04-05.
        row("LD-000002", "P2", "20.00", 1, "PAID"),
        // P3: S3 first term 03-20..04-20: 1 × 10.00 = 10.00. Declined; overdue from 05-02.
        row("LD-000003", "P3", "10.00", 1, "OVERDUE"),
        // Issued 05-01 for April.
        // P1: S1 renewal 04-10..05-10: 5 × 10.00 = 50.00
        //   + 2 licenses added 04-17: 2 × 10.00 × (05-10 − 04-17 = 23 days) / 30 days = 15.333… → 15.33
        //   = 65.33
        row("LD-000004", "P1", "65.33", 2, "PAID"),
        // P3: S3 renewal 04-20..05-20: 10.00 (S2 expired 04-15 without a charge).
        row("LD-000005", "P3", "10.00", 1, "OVERDUE"),
        // Issued 06-01 for May.
        // P1: S1 renewal 05-10: 7 × 10.00 = 70.00 + S5 first term 05-31..06-30: 50.00 = 120.00
        row("LD-000006", "P1", "120.00", 2, "PAID"),
        // P3: S3 renewal 05-20..06-20: 10.00 (S3 is disabled on 06-01 and never renews again).
        row("LD-000007", "P3", "10.00", 1, "OVERDUE"),
        // Issued 07-01 for June: S1 renewal 06-10 at the old price 7 × 10.00 = 70.00
        //   + S5 renewal 06-30..07-31: 50.00 = 120.00
        row("LD-000008", "P1", "120.00", 2, "PAID"),
        // Issued 08-01 for July: S1 renewal 07-10 at the new price 7 × 12.00 = 84.00
        //   + S5 renewal 07-31..08-31: 50.00 = 134.00
        row("LD-000009", "P1", "134.00", 2, "PAID"),
        // Issued 09-01 for August: S1 84.00 + S5 renewal 08-31..09-30: 50.00 = 134.00
        row("LD-000010", "P1", "134.00", 2, "PAID"),
        // Issued 10-01 for September: S1 renewal 09-10: 84.00
        //   − S5 canceled 09-10 in term 08-31..09-30 (30 days), 20 days unused:
        //     50.00 × 20 / 30 = 33.333… → 33.33 credit
        //   = 84.00 − 33.33 = 50.67
        row("LD-000011", "P1", "50.67", 2, "PAID"),
        // Issued 11-01 for October: S1 renewal 10-10: 84.00
        //   − 1 license removed 10-25 in term 10-10..11-10 (31 days), 16 days left:
        //     12.00 × 16 / 31 = 6.1935… → 6.19 credit
        //   = 84.00 − 6.19 = 77.81
        row("LD-000012", "P1", "77.81", 2, "PAID"),
        // S1 renewals at 6 × 12.00 = 72.00: November (issued 12-01), December
        // (2027-01-01), January (02-01) and February (03-01).
        row("LD-000013", "P1", "72.00", 1, "PAID"),
        row("LD-000014", "P1", "72.00", 1, "PAID"),
        row("LD-000015", "P1", "72.00", 1, "PAID"),
        row("LD-000016", "P1", "72.00", 1, "PAID"),
    ]
}

fn expected_lines() -> Vec<(String, Vec<String>)> {
    let v = |n: &str, a: &[&str]| (n.to_owned(), a.iter().map(|s| (*s).to_owned()).collect());
    vec![v("LD-000004", &["50.00", "15.33"]), v("LD-000011", &["84.00", "-33.33"]), v("LD-000012", &["84.00", "-6.19"])]
}

/// Issue 4 "done when": a year day by day (R15, R17, R29–R31, R33, R34) yields
/// exactly the invoices worked out by hand; numbers are 1…16 with no gaps (R31).
#[tokio::test]
async fn r31_r33_a_year_day_by_day_yields_the_expected_invoices() {
    let year = simulate_year(1).await;
    assert_eq!(year.rows, expected_year());
    assert_eq!(year.lines, expected_lines());
}

/// R33: running billing twice every day of the same year yields the same
/// invoices, charges and audit trail as running it once — the second run of
/// each day changes nothing.
#[tokio::test]
async fn r33_running_billing_twice_a_day_changes_nothing() {
    let once = simulate_year(1).await;
    let twice = simulate_year(2).await;
    assert_eq!(twice.rows, expected_year());
    assert_eq!(twice.rows, once.rows);
    assert_eq!(twice.lines, once.lines);
    assert_eq!(twice.charges, once.charges, "no duplicate renewal charges");
    assert_eq!(twice.audit_events, once.audit_events, "the second run of a day writes nothing, not even audit events");
}
