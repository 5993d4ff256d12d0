//! R51 (issue 22 item 2): utilization per subscription (bought / assigned /
//! used in the last 30 and 90 days), dormant licenses, spend per product and
//! month, the renewal calendar — for admins, each row under the rule of its
//! subscription or invoice (R37); others FORBIDDEN or see nothing.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use entity::license_assignment;
use licensedesk::clock::Clock as _;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const UTILIZATION: &str = "{ subscriptionUtilization(first: 50) { totalCount edges { node { subscription { id } purchased assigned usedLast30Days usedLast90Days } } } }";
const DORMANT: &str = "query($d: Int!, $s: ID) { dormantLicenses(days: $d, subscriptionId: $s, first: 50) { totalCount edges { node { userEmail lastUsedAt subscriptionId } } } }";
const SPEND: &str = "query($f: NaiveDate!, $t: NaiveDate!) { spendByProduct(from: $f, to: $t) { productName month amount { amount currency } } }";
const CALENDAR: &str = "{ renewalCalendar(days: 90) { totalCount edges { node { subscription { id } date quantity unitPrice { amount } nextUnitPrice { amount } autoRenew forecast { amount currency } priceChange { amount } } } } }";

fn nodes(data: &Value, field: &str) -> Vec<Value> {
    data[field]["edges"].as_array().map(|e| e.iter().map(|e| e["node"].clone()).collect()).unwrap_or_default()
}

async fn assignment(app: &TestApp, user: &str) -> Uuid {
    license_assignment::Entity::find()
        .filter(license_assignment::Column::UserId.eq(Uuid::parse_str(user).expect("uuid")))
        .one(&app.db)
        .await
        .expect("query")
        .expect("assignment")
        .id
}

/// R51, R37: counts of use over 30 and 90 days and the dormant list from
/// the recorded last uses; the admins see them, a user and a publisher are
/// refused, another organization sees none, another's subscription ID is
/// NOT_FOUND.
#[tokio::test]
async fn r51_utilization_and_dormant_licenses_by_role() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 3).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": people.iter().map(|p| p.id.clone()).collect::<Vec<_>>()}))
        .await;
    // Today is 2026-06-01: one used 12 days ago, one 52 days ago, one never (assigned 2026-03-01).
    app.clock.set_date(date(2026, 6, 1));
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().expect("time");
    let uses = HashMap::from([
        (assignment(&app, &people[0].id).await, at(2026, 5, 20)),
        (assignment(&app, &people[1].id).await, at(2026, 4, 10)),
    ]);
    licensedesk::service::usage::record_last_used(&app.db, &uses).await.expect("uses");

    let data = app.ok(&shop.org.admin, UTILIZATION, json!({})).await;
    let rows = nodes(&data, "subscriptionUtilization");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0]["purchased"], &rows[0]["assigned"], &rows[0]["usedLast30Days"], &rows[0]["usedLast90Days"]),
        (&json!(5), &json!(3), &json!(1), &json!(2))
    );
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    let seen = app.ok(&license_admin.token, UTILIZATION, json!({})).await;
    assert_eq!(seen["subscriptionUtilization"]["totalCount"], 1);

    let dormant = app.ok(&shop.org.admin, DORMANT, json!({"d": 30})).await;
    let emails: Vec<String> =
        nodes(&dormant, "dormantLicenses").iter().map(|n| n["userEmail"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(emails, vec![people[2].email.clone(), people[1].email.clone()], "longest unused first");
    let long = app.ok(&license_admin.token, DORMANT, json!({"d": 60, "s": sub})).await;
    assert_eq!(long["dormantLicenses"]["totalCount"], 1, "only the never-used one");
    assert!(app.err(Some(&shop.org.admin), DORMANT, json!({"d": 0})).await.contains("VALIDATION"));

    let user = &people[0];
    assert!(app.err(Some(&user.token), UTILIZATION, json!({})).await.contains("FORBIDDEN"));
    assert!(app.err(Some(&shop.publisher.token), DORMANT, json!({"d": 30})).await.contains("FORBIDDEN"));
    let other = app.register_org("Northwind", "US").await;
    assert_eq!(app.ok(&other.admin, UTILIZATION, json!({})).await["subscriptionUtilization"]["totalCount"], 0);
    assert_eq!(app.ok(&other.admin, DORMANT, json!({"d": 30})).await["dormantLicenses"]["totalCount"], 0);
    assert!(app.err(Some(&other.admin), DORMANT, json!({"d": 30, "s": sub})).await.contains("NOT_FOUND"));
}

/// R51: spend per product and month from the invoices (the billing
/// admins'; a license admin sees no invoices, so no spend), and the renewals
/// of the next 90 days with their forecast amounts.
#[tokio::test]
async fn r51_spend_by_product_and_the_renewal_calendar() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let monthly = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &monthly).await;
    let annual = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(4), &shop.profile).await;
    app.activate(&shop.publisher, &annual).await;
    app.bill(date(2026, 4, 1)).await;

    let spend = app.ok(&shop.org.admin, SPEND, json!({"f": "2026-01-01", "t": "2026-12-31"})).await;
    let rows = spend["spendByProduct"].as_array().expect("rows").clone();
    assert!(!rows.is_empty(), "{spend}");
    assert!(rows.iter().all(|r| r["productName"] == "Seat App" && r["amount"]["currency"] == "USD"), "{spend}");
    let total: f64 = rows.iter().filter_map(|r| r["amount"]["amount"].as_str()?.parse::<f64>().ok()).sum();
    assert!(total >= 450.0, "March: 5 × 10.00 and 4 × 100.00 at least: {spend}");
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    let none = app.ok(&license_admin.token, SPEND, json!({"f": "2026-01-01", "t": "2026-12-31"})).await;
    assert_eq!(none["spendByProduct"], json!([]), "invoices are not the license admin's");
    assert!(
        app.err(Some(&shop.org.admin), SPEND, json!({"f": "2026-01-01", "t": "2028-12-31"}))
            .await
            .contains("VALIDATION")
    );

    // 2027-01-15: the annual subscription renews on 2027-03-01, within 90 days.
    app.clock.set_date(date(2027, 1, 15));
    let data = app.ok(&shop.org.admin, CALENDAR, json!({})).await;
    let rows = nodes(&data, "renewalCalendar");
    let row = rows.iter().find(|r| r["subscription"]["id"] == annual.as_str()).expect("the annual renewal");
    assert_eq!(row["date"], "2027-03-01");
    assert_eq!(row["quantity"], 4);
    assert_eq!(row["unitPrice"]["amount"], "100.00");
    assert_eq!(row["nextUnitPrice"]["amount"], "100.00");
    assert_eq!(row["autoRenew"], true);
    assert_eq!(row["forecast"], json!({"amount": "400.00", "currency": "USD"}));
    assert_eq!(row["priceChange"], Value::Null);
    let user = app.user(&shop.org, "Plain", &[]).await;
    assert!(app.err(Some(&user.token), CALENDAR, json!({})).await.contains("FORBIDDEN"));
    let _ = Duration::days(1);
}

/// The spend the caller should see, recomputed from the invoice lines
/// themselves: (month, product, currency) → minor units, over the invoices
/// of the profiles `sees` admits, credit lines carried from an earlier
/// invoice (R44) left out.
async fn spend_from_lines(
    app: &TestApp,
    sees: impl Fn(&entity::billing_profile::Model) -> bool,
) -> std::collections::BTreeMap<(String, String, String), i64> {
    let profiles: HashMap<Uuid, entity::billing_profile::Model> = entity::billing_profile::Entity::find()
        .all(&app.db)
        .await
        .expect("profiles")
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let invoices: HashMap<Uuid, entity::invoice::Model> =
        entity::invoice::Entity::find().all(&app.db).await.expect("invoices").into_iter().map(|i| (i.id, i)).collect();
    let mut expected = std::collections::BTreeMap::new();
    for line in entity::invoice_line::Entity::find().all(&app.db).await.expect("lines") {
        let invoice = &invoices[&line.invoice_id];
        if line.source_invoice_id.is_some() || !sees(&profiles[&invoice.billing_profile_id]) {
            continue;
        }
        let key = (invoice.period_start.format("%Y-%m-01").to_string(), line.product_name, invoice.currency.clone());
        *expected.entry(key).or_insert(0) += line.amount_minor;
    }
    expected
}

/// The rows of `spendByProduct` as (month, product, currency) → minor units.
fn spend_rows(data: &Value) -> std::collections::BTreeMap<(String, String, String), i64> {
    let text = |v: &Value| v.as_str().expect("text").to_owned();
    data["spendByProduct"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let minor: i64 = text(&r["amount"]["amount"]).replace('.', "").parse().expect("amount");
            ((text(&r["month"]), text(&r["productName"]), text(&r["amount"]["currency"])), minor)
        })
        .collect()
}

/// R51 with R2, R38, R33, R44: the spend a billing admin reads from the
/// totals kept at issue agrees to the minor unit with the invoice lines, in
/// each currency; it holds the admin's own self-service invoices but never
/// another buyer's; a rerun of the billing run adds nothing; a license
/// admin with a role on one profile sees that profile's spend alone; and
/// the totals rebuilt from the invoices (the migration's backfill) are the
/// same.
#[tokio::test]
async fn r51_spend_totals_agree_with_the_invoice_lines() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin_id = Uuid::parse_str(&shop.org.admin_id).expect("uuid");
    let monthly = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &monthly).await;
    let flat = app.buy(&shop.org.admin, &shop.flat, "MONTHLY", None, &shop.profile).await;
    app.activate(&shop.publisher, &flat).await;
    let euro = app.billing_profile(&shop.org.admin, "DE", Some(CARD_OK)).await;
    let in_euro = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &euro).await;
    app.activate(&shop.publisher, &in_euro).await;
    // Two self-service purchases: the admin's own and a plain user's.
    let buyer = app.user(&shop.org, "Pat Buyer", &[]).await;
    for token in [&shop.org.admin, &buyer.token] {
        let bought = app.buy_self_service(token, &shop.per_license, 2).await;
        app.activate(&shop.publisher, &bought).await;
    }
    for month in [4, 5, 6] {
        app.bill(date(2026, month, 1)).await;
    }
    app.bill(date(2026, 6, 1)).await;

    let range = json!({"f": "2026-01-01", "t": "2026-12-31"});
    let seen = spend_rows(&app.ok(&shop.org.admin, SPEND, range.clone()).await);
    let expected = spend_from_lines(&app, |p| p.owner_user_id.is_none() || p.owner_user_id == Some(admin_id)).await;
    assert_eq!(seen, expected, "R51: the kept totals are the invoice lines, to the minor unit");
    assert!(expected.keys().any(|(_, _, currency)| currency == "EUR"), "both currencies billed: {expected:?}");
    let everything = spend_from_lines(&app, |_| true).await;
    assert_ne!(seen, everything, "R38: another buyer's self-service invoices are theirs alone");

    // A license admin reading through a role on the euro profile (R2).
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    app.grant_role(&shop.org.admin, &euro, &license_admin.id, "READER").await;
    let euro_id = Uuid::parse_str(&euro).expect("uuid");
    let theirs = spend_rows(&app.ok(&license_admin.token, SPEND, range.clone()).await);
    assert_eq!(theirs, spend_from_lines(&app, |p| p.id == euro_id).await, "R2: one profile's spend");

    // The totals rebuilt from the invoices are the ones kept at issue.
    migration::backfill_spend_totals(&app.db).await.expect("backfill");
    assert_eq!(spend_rows(&app.ok(&shop.org.admin, SPEND, range).await), expected);
}

/// R51 with R26, R27, R3: the dormant total an admin reads (counted per
/// organization, less the subscriptions hidden from them) is the number of
/// dormant rows they can list: a billing manager counts every subscription
/// of the organization, a license admin not other people's self-service
/// purchases (but their own), and no one counts another organization's.
#[tokio::test]
async fn r51_dormant_total_counts_what_each_admin_sees() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let org_sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &org_sub).await;
    let holders = app.users(&shop.org, "Holder", 3).await;
    let ids: Vec<&str> = holders.iter().map(|p| p.id.as_str()).collect();
    app.ok(&shop.org.admin, ASSIGN, json!({"s": org_sub, "u": ids})).await;
    // Self-service purchases, each assigned to its buyer: a plain user's (two
    // seats held) and the license admin's own (one).
    let buyer = app.user(&shop.org, "Pat Buyer", &[]).await;
    let colleague = app.user(&shop.org, "Colleague", &[]).await;
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    let billing_admin = app.user(&shop.org, "Billing Admin", &["BILLING_ADMIN"]).await;
    let seats =
        [(&buyer, vec![buyer.id.clone(), colleague.id.clone()]), (&license_admin, vec![license_admin.id.clone()])];
    for (person, holders) in seats {
        let sub = app.buy_self_service(&person.token, &shop.per_license, 2).await;
        app.activate(&shop.publisher, &sub).await;
        app.ok(&person.token, ASSIGN, json!({"s": sub, "u": holders})).await;
    }
    // Another organization's dormant license.
    let other = app.register_org("Northwind", "US").await;
    app.accept_agreement(&other.admin).await;
    let other_profile = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
    let other_sub = app.buy(&other.admin, &shop.per_license, "MONTHLY", Some(1), &other_profile).await;
    app.activate(&shop.publisher, &other_sub).await;
    app.ok(&other.admin, ASSIGN, json!({"s": other_sub, "u": [other.admin_id]})).await;

    // 60 days on, nothing has been used: every assignment is dormant.
    app.clock.set_date(app.clock.today() + Duration::days(60));
    for (who, token, expected) in [
        ("GLOBAL_ADMIN", &shop.org.admin, 6),
        ("BILLING_ADMIN", &billing_admin.token, 6),
        ("LICENSE_ADMIN", &license_admin.token, 4),
        ("another organization's admin", &other.admin, 1),
    ] {
        let data = app.ok(token, DORMANT, json!({"d": 30})).await;
        let listed = nodes(&data, "dormantLicenses").len();
        assert_eq!(data["dormantLicenses"]["totalCount"], expected, "{who}: R51 total");
        assert_eq!(listed, expected, "{who}: the total is what they can list");
    }
    assert!(app.err(Some(&buyer.token), DORMANT, json!({"d": 30})).await.contains("FORBIDDEN"));
}
