//! Issue 26 item 1, "time is a calendar, not a run": the same random
//! scenarios driven twice — billing every day, then with gaps of up to 45
//! days — give the same invoices, lines, charges, statuses and balances.
//! Plus the findings of the issue, one by one, outside in.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{billing_profile, charge, invoice, invoice_line, subscription};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use crate::helpers::*;

const SET_AUTO_RENEW: &str =
    "mutation($s: ID!, $a: Boolean!) { setAutoRenew(subscriptionId: $s, autoRenew: $a) { autoRenew } }";
const CHANGE_QUANTITY: &str =
    "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }";
const CANCEL: &str = "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE) { status } }";
const MOVE: &str =
    "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }";
const MARK_PAID: &str = "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { status } }";
const UPDATE_PRODUCT: &str = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }";
const SUBSCRIPTION: &str = "query($s: ID!) { subscription(id: $s) { status disabledReason autoRenew quantity termEndDate unitPrice { amount } } }";

/// A small deterministic generator (xorshift64*), so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What a customer or publisher does on one day.
#[derive(Debug, Clone)]
enum Action {
    /// (product index, quantity, profile index)
    Buy(usize, i64, usize),
    /// (product index, new monthly price in cents)
    Price(usize, i64),
    /// (subscription index, new quantity)
    Quantity(usize, i64),
    /// (subscription index, auto-renew)
    AutoRenew(usize, bool),
    Cancel(usize),
    /// (subscription index, profile index)
    Move(usize, usize),
}

struct Scenario {
    start: NaiveDate,
    days: u64,
    /// Actions by day offset.
    actions: BTreeMap<u64, Vec<Action>>,
    /// Day offsets on which the gappy mode runs billing (always the last day).
    run_days: Vec<u64>,
}

fn scenario(seed: u64) -> Scenario {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let days = 150;
    // Month-end and mid-month starts, leap year or not.
    let start = [date(2027, 1, 29), date(2028, 1, 31), date(2026, 10, 15), date(2027, 11, 30)][(seed % 4) as usize];
    let mut actions: BTreeMap<u64, Vec<Action>> = BTreeMap::new();
    let mut subs = 0usize;
    for day in 0..days {
        let mut today = Vec::new();
        if day == 0 || rng.chance(8) {
            today.push(Action::Buy(rng.below(2) as usize, 1 + rng.below(9) as i64, rng.below(2) as usize));
            subs += 1;
        }
        if rng.chance(5) {
            today.push(Action::Price(rng.below(2) as usize, 500 + 100 * rng.below(16) as i64));
        }
        if subs > 0 {
            let pick = |rng: &mut Rng| rng.below(subs as u64) as usize;
            if rng.chance(7) {
                let s = pick(&mut rng);
                today.push(Action::Quantity(s, 1 + rng.below(12) as i64));
            }
            if rng.chance(5) {
                let s = pick(&mut rng);
                today.push(Action::AutoRenew(s, rng.chance(50)));
            }
            if rng.chance(2) {
                today.push(Action::Cancel(pick(&mut rng)));
            }
            if rng.chance(3) {
                let s = pick(&mut rng);
                today.push(Action::Move(s, rng.below(2) as usize));
            }
        }
        if !today.is_empty() {
            actions.insert(day, today);
        }
    }
    let mut run_days = Vec::new();
    let mut day = rng.below(10);
    while day < days - 1 {
        run_days.push(day);
        day += 1 + rng.below(45);
    }
    run_days.push(days - 1);
    Scenario { start, days, actions, run_days }
}

/// Everything money and status, with ids replaced by labels (S1…, P1/P2, invoice numbers).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    invoices: Vec<String>,
    lines: Vec<String>,
    charges: Vec<String>,
    subscriptions: Vec<String>,
    balances: Vec<String>,
}

async fn drive(seed: u64, daily: bool) -> Outcome {
    let plan = scenario(seed);
    let app = TestApp::spawn().await;
    app.clock.set_date(plan.start);
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let products = [
        app.product(
            &publisher,
            "Seat App",
            "PER_LICENSE",
            &[("MONTHLY", "USD", "10.00")],
            Some(&["UNITED_STATES"]),
            false,
        )
        .await,
        app.product(
            &publisher,
            "Site App",
            "FLAT_RATE",
            &[("MONTHLY", "USD", "50.00")],
            Some(&["UNITED_STATES"]),
            false,
        )
        .await,
    ];
    app.accept_agreement(&org.admin).await;
    let profiles =
        [app.billing_profile(&org.admin, "US", Some(CARD_OK)).await, app.check_or_wire_profile(&org.admin, "US").await];
    let token = org.admin.clone();
    let mut subs: Vec<(String, bool)> = Vec::new(); // (id, per-license)
    for offset in 0..plan.days {
        let day = plan.start + chrono::Days::new(offset);
        app.clock.set_date(day);
        if daily || plan.run_days.contains(&offset) {
            app.bill(day).await;
            // The check arrives as soon as the customer sees the invoice.
            for i in invoice::Entity::find().order_by_asc(invoice::Column::Number).all(&app.db).await.expect("invoices")
            {
                if i.billing_profile_id.to_string() == profiles[1] && i.status.as_str() == "OPEN" {
                    app.ok(&token, MARK_PAID, json!({"i": i.id.to_string()})).await;
                }
            }
        }
        for action in plan.actions.get(&offset).cloned().unwrap_or_default() {
            match action {
                Action::Buy(p, quantity, profile) => {
                    let per_license = p == 0;
                    let id = app
                        .buy(&token, &products[p], "MONTHLY", per_license.then_some(quantity), &profiles[profile])
                        .await;
                    app.activate(&publisher, &id).await;
                    subs.push((id, per_license));
                }
                Action::Price(p, cents) => {
                    let amount = format!("{}.{:02}", cents / 100, cents % 100);
                    let prices = json!([{"term": "MONTHLY", "currency": "USD", "amount": amount}]);
                    app.ok(&publisher.token, UPDATE_PRODUCT, json!({"id": products[p], "i": {"prices": prices}})).await;
                }
                // Refused changes (a disabled subscription, a flat-rate quantity)
                // are refused the same way in both modes; the outcome compares them.
                Action::Quantity(s, q) => {
                    let (id, per_license) = &subs[s % subs.len()];
                    if *per_license {
                        app.gql(Some(&token), CHANGE_QUANTITY, json!({"s": id, "q": q})).await;
                    }
                }
                Action::AutoRenew(s, on) => {
                    app.gql(Some(&token), SET_AUTO_RENEW, json!({"s": subs[s % subs.len()].0, "a": on})).await;
                }
                Action::Cancel(s) => {
                    app.gql(Some(&token), CANCEL, json!({"s": subs[s % subs.len()].0})).await;
                }
                Action::Move(s, p) => {
                    app.gql(Some(&token), MOVE, json!({"s": subs[s % subs.len()].0, "p": profiles[p]})).await;
                }
            }
        }
    }
    // Whatever the last run issued to the check-paying profile is paid in both modes.
    for i in invoice::Entity::find().all(&app.db).await.expect("invoices") {
        if i.billing_profile_id.to_string() == profiles[1] && i.status.as_str() == "OPEN" {
            app.ok(&token, MARK_PAID, json!({"i": i.id.to_string()})).await;
        }
    }
    crate::money::assert_money_identity(&app, &format!("seed {seed}")).await;
    outcome(&app, &profiles, &subs).await
}

async fn outcome(app: &TestApp, profiles: &[String; 2], subs: &[(String, bool)]) -> Outcome {
    let sub_label: BTreeMap<String, String> =
        subs.iter().enumerate().map(|(n, (id, _))| (id.clone(), format!("S{}", n + 1))).collect();
    let profile_label = |id: uuid::Uuid| if id.to_string() == profiles[0] { "P1 card" } else { "P2 check" };
    let label = |id: Option<uuid::Uuid>| id.and_then(|i| sub_label.get(&i.to_string()).cloned()).unwrap_or_default();
    let invoices = invoice::Entity::find().order_by_asc(invoice::Column::Number).all(&app.db).await.expect("invoices");
    let number: BTreeMap<uuid::Uuid, i64> = invoices.iter().map(|i| (i.id, i.number)).collect();
    // Issue and due dates (and when it was paid) are the day the invoice was
    // actually issued (item 1): the only thing a late run may change.
    let invoice_rows = invoices
        .iter()
        .map(|i| {
            format!(
                "#{} {} {} subtotal {} credit {} total {} carried {} {} {}",
                i.number,
                profile_label(i.billing_profile_id),
                i.period_start,
                i.subtotal_minor,
                i.credit_applied_minor,
                i.total_minor,
                i.credit_carried_minor,
                i.currency,
                i.status.as_str()
            )
        })
        .collect();
    let mut lines: Vec<String> = invoice_line::Entity::find()
        .all(&app.db)
        .await
        .expect("lines")
        .iter()
        .map(|l| {
            // A credit line's period ends on its invoice's issue date.
            let period = if l.source_invoice_id.is_some() {
                String::new()
            } else {
                format!("{}..{}", l.period_start, l.period_end)
            };
            format!(
                "#{} {:02} {} {} {} {} × {} = {} from {:?}",
                number.get(&l.invoice_id).copied().unwrap_or(0),
                l.position,
                label(l.subscription_id),
                l.description,
                period,
                l.quantity,
                l.unit_price_minor,
                l.amount_minor,
                l.source_invoice_id.and_then(|s| number.get(&s).copied())
            )
        })
        .collect();
    lines.sort();
    let mut charges: Vec<String> = charge::Entity::find()
        .all(&app.db)
        .await
        .expect("charges")
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}..{} {} × {} = {} on #{:?} {}",
                label(Some(c.subscription_id)),
                c.charge_date,
                c.kind.as_str(),
                c.description,
                c.period_start,
                c.period_end,
                c.quantity,
                c.unit_price_minor,
                c.amount_minor,
                c.invoice_id.and_then(|i| number.get(&i).copied()),
                profile_label(c.billing_profile_id)
            )
        })
        .collect();
    charges.sort();
    let mut subscriptions: Vec<String> = subscription::Entity::find()
        .all(&app.db)
        .await
        .expect("subscriptions")
        .iter()
        .map(|s| {
            format!(
                "{} {} {:?} q{:?} term {} {}..{} at {} auto-renew {} {}",
                label(Some(s.id)),
                s.status.as_str(),
                s.disabled_reason.map(|r| r.as_str()),
                s.quantity,
                s.term_number,
                s.current_term_start,
                s.current_term_end,
                s.unit_price_minor,
                s.auto_renew,
                profile_label(s.billing_profile_id)
            )
        })
        .collect();
    subscriptions.sort();
    let mut balances = Vec::new();
    for p in billing_profile::Entity::find().all(&app.db).await.expect("profiles") {
        let balance = licensedesk::service::credit_balance::balance(&app.db, p.id).await.expect("balance");
        balances.push(format!("{} {balance}", profile_label(p.id)));
    }
    balances.sort();
    Outcome { invoices: invoice_rows, lines, charges, subscriptions, balances }
}

fn assert_same(seed: u64, daily: &Outcome, gappy: &Outcome) {
    let plan = scenario(seed);
    let context = format!("seed {seed}, runs on days {:?}", plan.run_days);
    assert_eq!(daily.invoices, gappy.invoices, "invoices; {context}");
    assert_eq!(daily.lines, gappy.lines, "lines; {context}");
    assert_eq!(daily.charges, gappy.charges, "charges; {context}");
    assert_eq!(daily.subscriptions, gappy.subscriptions, "subscriptions; {context}");
    assert_eq!(daily.balances, gappy.balances, "balances; {context}");
}

/// Issue 26 "done when": random scenarios (purchases, price changes both
/// ways, quantity changes, auto-renew on and off, cancellations, moves
/// between a card profile and a check profile, month-end starts) driven once
/// with the billing run every day and once with gaps of up to 45 days give
/// identical invoices, lines, charges, statuses and balances (R15, R17, R30,
/// R31, R33, R44).
#[tokio::test]
async fn issue_26_daily_runs_and_runs_with_gaps_give_the_same_money() {
    for seed in [1u64, 2, 3, 4] {
        let daily = drive(seed, true).await;
        assert!(daily.invoices.len() >= 4, "seed {seed}: a scenario worth comparing: {:?}", daily.invoices);
        let gappy = drive(seed, false).await;
        assert_same(seed, &daily, &gappy);
    }
}

/// The issue's own example (5 licenses at 10.00, no run from Jan 16 to
/// Feb 27, price 12.00 from Jan 25, S1 5 → 8 on Feb 5, S2's auto-renew off on
/// Feb 10): the Jan 20 renewals are at 10.00 × 5, the Feb 5 increase is
/// charged pro rata against the term it fell in, S2 renews on Jan 20 (its
/// auto-renew was on then) and expires on Feb 20; the check profile's
/// December invoice is issued on the day of the late run, due 30 days later,
/// and neither overdue nor disabled by that run.
#[tokio::test]
async fn issue_26_the_late_run_of_the_issue() {
    let app = TestApp::spawn().await;
    app.clock.set_date(date(2026, 12, 20));
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let seat = app
        .product(&publisher, "Seat App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], Some(&["UNITED_STATES"]), false)
        .await;
    app.accept_agreement(&org.admin).await;
    let check = app.check_or_wire_profile(&org.admin, "US").await;
    let token = org.admin.clone();
    let s1 = app.buy(&token, &seat, "MONTHLY", Some(5), &check).await;
    let s2 = app.buy(&token, &seat, "MONTHLY", Some(5), &check).await;
    app.activate(&publisher, &s1).await;
    app.activate(&publisher, &s2).await;
    for day in [date(2026, 12, 20), date(2027, 1, 1)] {
        app.bill(day).await;
    }
    // December's invoice (the first terms) issued Jan 1 and paid.
    let paid = invoice::Entity::find().all(&app.db).await.expect("invoices");
    assert_eq!(paid.iter().map(|i| i.total_minor).collect::<Vec<_>>(), vec![10000]);
    app.ok(&token, MARK_PAID, json!({"i": paid[0].id.to_string()})).await;
    app.bill(date(2027, 1, 15)).await;
    // No run from Jan 16 to Feb 27.
    app.clock.set_date(date(2027, 1, 25));
    let prices = json!([{"term": "MONTHLY", "currency": "USD", "amount": "12.00"}]);
    app.ok(&publisher.token, UPDATE_PRODUCT, json!({"id": seat, "i": {"prices": prices}})).await;
    app.clock.set_date(date(2027, 2, 5));
    app.ok(&token, CHANGE_QUANTITY, json!({"s": s1, "q": 8})).await;
    app.clock.set_date(date(2027, 2, 10));
    app.ok(&token, SET_AUTO_RENEW, json!({"s": s2, "a": false})).await;
    let report = app.bill(date(2027, 2, 27)).await;
    assert_eq!((report.marked_overdue, report.disabled_for_payment), (0, 0), "{report}");

    let charges: Vec<(String, NaiveDate, i64)> = charge::Entity::find()
        .order_by_asc(charge::Column::ChargeDate)
        .order_by_asc(charge::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("charges")
        .iter()
        .filter(|c| c.charge_date > date(2027, 1, 1))
        .map(|c| {
            (if c.subscription_id.to_string() == s1 { "S1" } else { "S2" }.to_owned(), c.charge_date, c.amount_minor)
        })
        .collect();
    assert_eq!(
        charges,
        vec![
            // Jan 20: both renew at the price and quantity of Jan 20.
            ("S1".to_owned(), date(2027, 1, 20), 5000),
            ("S2".to_owned(), date(2027, 1, 20), 5000),
            // Feb 5: 3 licenses at 10.00 for Feb 5..Feb 20 of the term Jan 20..Feb 20:
            // 3 × 10.00 × 15 / 31 = 14.516… → 14.52.
            ("S1".to_owned(), date(2027, 2, 5), 1452),
            // Feb 20: S1 renews at the new price and quantity, 8 × 12.00; S2 expires.
            ("S1".to_owned(), date(2027, 2, 20), 9600),
        ]
    );
    let s2_now = app.ok(&token, SUBSCRIPTION, json!({"s": s2})).await["subscription"].clone();
    assert_eq!((s2_now["status"].as_str(), s2_now["disabledReason"].as_str()), (Some("DISABLED"), Some("EXPIRED")));
    assert_eq!(s2_now["termEndDate"], "2027-02-20", "the month it paid for is the customer's");
    let s1_now = app.ok(&token, SUBSCRIPTION, json!({"s": s1})).await["subscription"].clone();
    assert_eq!((s1_now["status"].as_str(), s1_now["unitPrice"]["amount"].as_str()), (Some("ACTIVE"), Some("12.00")));
    // January's invoice: issued by the late run, on its day, due 30 days later, open.
    let january = invoice::Entity::find()
        .order_by_desc(invoice::Column::Number)
        .one(&app.db)
        .await
        .expect("invoice")
        .expect("January's invoice");
    assert_eq!(
        (january.period_start, january.issue_date, january.due_date, january.total_minor, january.status.as_str()),
        (date(2027, 1, 1), date(2027, 2, 27), date(2027, 3, 29), 5000 + 5000, "OPEN")
    );
    // The next daily run marks nothing overdue before Mar 29.
    let report = app.bill(date(2027, 3, 28)).await;
    assert_eq!((report.marked_overdue, report.disabled_for_payment), (0, 0), "{report}");
}

/// Issue 26 item 3: a month whose total is beyond the bounds is held on its
/// billing profile — visible in the API with the reason, an INVOICE_HELD
/// audit event and event, counted by the run — and the rest of the run goes
/// on: another profile's invoice is issued and the date is recorded. The
/// hold ends when the invoice can be issued.
#[tokio::test]
async fn issue_26_an_invoice_that_cannot_be_issued_is_held_visibly_and_the_run_goes_on() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    let create = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let big = app
        .ok(
            &shop.publisher.token,
            create,
            json!({"i": {"name": "Big App", "description": "Big", "pricingModel": "PER_LICENSE",
                "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "10000000000.00"}],
                "selfServiceEligible": false, "markets": ["UNITED_STATES"],
                "portalUrl": "https://portal.example.com/setup", "supportUrl": "https://support.example.com"}}),
        )
        .await["createProduct"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other = app.billing_profile(&token, "US", Some(CARD_OK)).await;
    let mut big_subs = Vec::new();
    for _ in 0..10 {
        big_subs.push(app.buy(&token, &big, "MONTHLY", Some(1_000_000), &shop.profile).await);
    }
    app.buy(&token, &shop.per_license, "MONTHLY", Some(2), &other).await;
    let report = app.bill(date(2026, 4, 1)).await;
    assert_eq!((report.invoices_held, report.invoices_issued, report.failures), (1, 1, 0), "{report}");
    assert!(licensedesk::service::billing_run::has_run(&app.state, date(2026, 4, 1)).await.expect("runs"));
    let hold = "query($p: ID!) { billingProfile(id: $p) { invoiceHold { periodStart since reason } } }";
    let held = app.ok(&token, hold, json!({"p": shop.profile})).await;
    let held = &held["billingProfile"]["invoiceHold"];
    assert_eq!((held["periodStart"].as_str(), held["since"].as_str()), (Some("2026-03-01"), Some("2026-04-01")));
    assert!(held["reason"].as_str().unwrap_or("").contains("beyond the largest amount"), "{held}");
    let free = app.ok(&token, hold, json!({"p": other})).await;
    assert!(free["billingProfile"]["invoiceHold"].is_null());
    // One audit event and one event for the hold, not one a day.
    let report = app.bill(date(2026, 4, 2)).await;
    assert_eq!((report.invoices_held, report.failures), (1, 0), "{report}");
    let audited = entity::audit_event::Entity::find().all(&app.db).await.expect("audit");
    let held_audit: Vec<_> = audited.iter().filter(|e| e.action == "billing_profile.invoice_held").collect();
    assert_eq!(held_audit.len(), 1);
    assert_eq!(held_audit[0].object_id.to_string(), shop.profile);
    let outbox = entity::outbox_event::Entity::find().all(&app.db).await.expect("events");
    let held_events: Vec<_> = outbox.iter().filter(|e| e.event_type == "INVOICE_HELD").collect();
    assert_eq!(held_events.len(), 1);
    assert!(held_events[0].billing, "a billing event (R37)");
    assert!(held_events[0].payload.contains("2026-03-01"), "{}", held_events[0].payload);
}
