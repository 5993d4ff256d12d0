//! R51, R30, R31 (issue 22, "done when"): a simulated year with usage. Three
//! subscriptions with people; the publisher's app reports some of them as
//! using their license (usage reports, and license checks written in
//! batches) and not the others; the organization's reclaim policy takes
//! back licenses unused for 30 days after a 7-day notice and lowers
//! auto-renewing quantities to what is assigned 5 days before each renewal.
//! The billing run goes day by day from 2026-03-01 to 2027-04-01 (the test
//! clock). Then: every dormant license was taken back a full notice period
//! after its holder was told, no used one was; every renewal charged the
//! licenses assigned on its day; and every invoice's total equals, to the
//! minor unit, an independent recomputation from the quantities seen each
//! day — unit price × quantity per term, and R30's pro-rata credit, rounded
//! half to even, for each decrease.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use entity::{charge, license_assignment, notice, subscription};
use licensedesk::clock::Clock as _;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::*,
    publisher_api::{api_client, api_get, api_post, app_token},
};

const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const POLICY: &str = "mutation { setReclaimPolicy(unusedDays: 30, lowerQuantityDaysBeforeRenewal: 5, noticeDays: 7) { unusedDays lowerQuantityDaysBeforeRenewal noticeDays } }";

/// One subscription of the scenario: its term length, unit price, who uses
/// their license and who does not.
struct Plan {
    id: String,
    months: u32,
    unit_minor: i64,
    start: NaiveDate,
    used: Vec<Person>,
    dormant: Vec<Person>,
}

/// The n-th term end (R30): n·months after the start, clamped to the month's last day.
fn term_end(start: NaiveDate, months: u32, n: u32) -> NaiveDate {
    start.checked_add_months(chrono::Months::new(months * n)).expect("date")
}

/// (start, end) of the term `day` falls in.
fn term_of(start: NaiveDate, months: u32, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let mut n = 1;
    while term_end(start, months, n) <= day {
        n += 1;
    }
    let from = if n == 1 { start } else { term_end(start, months, n - 1) };
    (from, term_end(start, months, n))
}

/// unit × quantity × num / den, rounded half to even to the minor unit (R30).
fn half_even(unit: i64, quantity: i64, num: i64, den: i64) -> i64 {
    let n = i128::from(unit) * i128::from(quantity) * i128::from(num);
    let d = i128::from(den);
    let (q, r) = (n / d, n % d);
    let q = if 2 * r > d || (2 * r == d && q % 2 != 0) { q + 1 } else { q };
    i64::try_from(q).expect("fits")
}

fn cents(v: &Value) -> i64 {
    let s = v.as_str().expect("amount");
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().expect("digits");
    if s.starts_with('-') { -n } else { n }
}

async fn quantity_and_assigned(app: &TestApp, id: &str) -> (i64, i64) {
    let sub = subscription::Entity::find_by_id(Uuid::parse_str(id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("subscription");
    (sub.quantity.expect("per license"), sub.assigned_count)
}

async fn assignment_of(app: &TestApp, sub: &str, user: &str) -> license_assignment::Model {
    license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(Uuid::parse_str(sub).expect("uuid")))
        .filter(license_assignment::Column::UserId.eq(Uuid::parse_str(user).expect("uuid")))
        .one(&app.db)
        .await
        .expect("query")
        .expect("assignment")
}

#[tokio::test]
async fn r51_a_year_of_usage_reclaims_dormant_licenses_and_lowers_renewals_with_exact_invoices() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = shop.org.admin.clone();
    let start = date(2026, 3, 1);
    // S1: monthly × 8, six people (four use it); S2: annual × 5, four people
    // (two use it); S3: monthly × 3, three people, all use it (checked by the app).
    let mut plans = Vec::new();
    for (term, months, unit, quantity, used, dormant) in
        [("MONTHLY", 1, 1000, 8, 4, 2), ("ANNUAL", 12, 10_000, 5, 2, 2), ("MONTHLY", 1, 1000, 3, 3, 0)]
    {
        let id = app.buy(&admin, &shop.per_license, term, Some(quantity), &shop.profile).await;
        app.activate(&shop.publisher, &id).await;
        let used = app.users(&shop.org, &format!("User {term} {quantity}"), used).await;
        let dormant = app.users(&shop.org, &format!("Idle {term} {quantity}"), dormant).await;
        let ids: Vec<&str> = used.iter().chain(&dormant).map(|p| p.id.as_str()).collect();
        app.ok(&admin, ASSIGN, json!({"s": id, "u": ids})).await;
        plans.push(Plan { id, months, unit_minor: unit, start, used, dormant });
    }
    app.ok(&admin, POLICY, json!({})).await;
    let (_, client_id, secret) = api_client(&app, &shop.publisher, None).await;

    // Day by day: the run, then the day's uses; the quantities seen after each run.
    let mut seen: BTreeMap<(usize, NaiveDate), (i64, i64)> = BTreeMap::new();
    let last = date(2027, 4, 1);
    let mut day = start;
    while day <= last {
        let report = app.bill(day).await;
        assert_eq!(report.failures, 0, "{day}: {report}");
        for (i, plan) in plans.iter().enumerate() {
            seen.insert((i, day), quantity_and_assigned(&app, &plan.id).await);
        }
        if day.weekday() == chrono::Weekday::Mon {
            let token = app_token(&app, &client_id, &secret).await;
            // S1 and S2 users: a usage report of yesterday's use.
            let used_at = (app.clock.now() - Duration::days(1)).to_rfc3339();
            let uses: Vec<Value> =
                plans[..2].iter().flat_map(|p| &p.used).map(|p| json!({"email": p.email, "usedAt": used_at})).collect();
            let (status, body) =
                api_post(&app, &token, "/api/v1/usage-reports", json!({"organizationId": shop.org.id, "uses": uses}))
                    .await;
            assert_eq!(status, 200, "{body}");
            // S3 users: the app checks their licenses; the checks are written in a batch.
            for person in &plans[2].used {
                let path = format!("/api/v1/license-checks?organizationId={}&email={}", shop.org.id, person.email);
                assert_eq!(api_get(&app, &token, &path).await.0, 200);
            }
            app.state.usage.flush(&app.db).await.expect("flush");
        }
        if day.day() == 1 {
            crate::money::assert_money_identity(&app, &day.to_string()).await;
        }
        day = day.succ_opt().expect("day");
    }

    // Dormant licenses: told once, taken back a full notice period later; used ones kept.
    for plan in &plans {
        for person in &plan.dormant {
            let a = assignment_of(&app, &plan.id, &person.id).await;
            let told = a.reclaim_notice_at.expect("the holder was told");
            let gone = a.unassigned_at.expect("taken back");
            assert!(!a.active);
            assert!(a.last_used_at.is_none());
            assert!(
                gone - told >= Duration::days(7),
                "{person:?}: told {told}, taken back {gone}",
                person = person.email
            );
            assert!(told.date_naive() >= a.assigned_at.date_naive() + Duration::days(30));
            let holder_notices = notice::Entity::find()
                .filter(notice::Column::Kind.eq("RECLAIM_NOTICE"))
                .filter(notice::Column::RecipientEmail.eq(person.email.to_lowercase()))
                .all(&app.db)
                .await
                .expect("notices");
            assert_eq!(holder_notices.len(), 1, "told once");
        }
        for person in &plan.used {
            let a = assignment_of(&app, &plan.id, &person.id).await;
            assert!(a.active && a.reclaim_notice_at.is_none(), "a used license stays: {}", person.email);
        }
    }

    // Renewals charged the licenses assigned on their day: S1 4, S2 2, S3 3.
    for (i, (plan, expected)) in plans.iter().zip([4, 2, 3]).enumerate() {
        let renewals = charge::Entity::find()
            .filter(charge::Column::SubscriptionId.eq(Uuid::parse_str(&plan.id).expect("uuid")))
            .filter(charge::Column::Kind.eq("RENEWAL"))
            .all(&app.db)
            .await
            .expect("charges");
        assert_eq!(renewals.len(), if plan.months == 1 { 13 } else { 1 }, "subscription {i}");
        for renewal in &renewals {
            let (_, assigned) = seen[&(i, renewal.charge_date)];
            assert_eq!(renewal.quantity, assigned.max(1), "S{} renewal on {}", i + 1, renewal.charge_date);
        }
        assert_eq!(renewals.iter().map(|r| r.quantity).min(), Some(expected), "S{} lowered", i + 1);
        let (quantity, assigned) = seen[&(i, last)];
        assert_eq!((quantity, assigned), (expected, expected), "S{} at the end", i + 1);
    }

    // The independent recomputation, per invoice month, from the quantities seen.
    let mut expected: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    for (i, plan) in plans.iter().enumerate() {
        let mut previous: Option<i64> = None;
        let mut day = start;
        while day <= last {
            let (quantity, _) = seen[&(i, day)];
            let (s, e) = term_of(plan.start, plan.months, day);
            let mut amount = 0;
            if day == s {
                // A term starts: the first one at purchase, then each renewal, at the quantity then.
                amount += plan.unit_minor * quantity;
            } else if let Some(before) = previous
                && quantity < before
            {
                // R30: a decrease credits the removed licenses for the rest of the term.
                amount -= half_even(plan.unit_minor, before - quantity, (e - day).num_days(), (e - s).num_days());
            } else {
                assert_eq!(Some(quantity), previous, "S{} only lowered on {day}", i + 1);
            }
            *expected.entry((day.year(), day.month())).or_default() += amount;
            previous = Some(quantity);
            day = day.succ_opt().expect("day");
        }
    }
    let invoices = app.all_invoices(&admin, date(2026, 1, 1), date(2027, 12, 31)).await;
    assert_eq!(invoices.len(), 13, "March 2026 to March 2027");
    for invoice in &invoices {
        let period: NaiveDate = invoice["periodStart"].as_str().expect("period").parse().expect("date");
        let want = expected[&(period.year(), period.month())];
        assert_eq!(cents(&invoice["total"]["amount"]), want, "invoice {} for {period}", invoice["number"]);
        assert_eq!(cents(&invoice["subtotal"]["amount"]), want);
        let lines: i64 =
            invoice["lines"].as_array().expect("lines").iter().map(|l| cents(&l["amount"]["amount"])).sum();
        assert_eq!(lines, want, "the lines add up");
    }
    // R51: the spend kept as the year's invoices were issued is the same
    // amount per month, to the minor unit.
    let spend = app
        .ok(
            &admin,
            "{ spendByProduct(from: \"2026-03-01\", to: \"2027-03-31\") { productName month amount { amount currency } } }",
            json!({}),
        )
        .await;
    let months: BTreeMap<(i32, u32), i64> = spend["spendByProduct"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            assert_eq!((&row["productName"], &row["amount"]["currency"]), (&json!("Seat App"), &json!("USD")));
            let month: NaiveDate = row["month"].as_str().expect("month").parse().expect("date");
            ((month.year(), month.month()), cents(&row["amount"]["amount"]))
        })
        .collect();
    let invoiced: BTreeMap<(i32, u32), i64> =
        expected.iter().filter(|(month, _)| **month <= (2027, 3)).map(|(m, a)| (*m, *a)).collect();
    assert_eq!(months, invoiced, "R51: spend per month is what was invoiced");
    // S1 was lowered in March (8 → 6 on 03-27: 2 × 10.00 × 5/31 = 3.2258… → 3.23)
    // and April (6 → 4 on 04-26: 2 × 10.00 × 5/30 = 3.333… → 3.33).
    assert_eq!(expected[&(2026, 3)], 8000 + 10_000 * 5 + 3000 - 323);
    assert_eq!(expected[&(2026, 4)], 6000 + 3000 - 333);
}
