//! Issue 13 item 3, issue 14: keyset cursors (inserts and deletes between
//! pages never repeat or skip an item), `orderBy` across page boundaries with
//! ties, filters by billing profile and invoice status, `totalCount` counted
//! only when selected, and cursors that do not belong to the list refused.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{audit_event, enums::InvoiceStatus, invoice, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("uuid")
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).single().expect("time") + Duration::seconds(seconds)
}

fn event(org: Uuid, created_at: DateTime<Utc>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(Some(org)),
        publisher_id: Set(None),
        actor_user_id: Set(None),
        action: Set("user.update".into()),
        object_type: Set("user".into()),
        object_id: Set(Uuid::new_v4()),
        before: Set(None),
        after: Set(None),
        created_at: Set(created_at),
    }
}

async fn insert_events(app: &TestApp, events: Vec<audit_event::ActiveModel>) {
    for chunk in events.chunks(100) {
        audit_event::Entity::insert_many(chunk.to_vec()).exec(&app.db).await.expect("insert audit events");
    }
}

/// Pages `query` (which takes `$after` and returns the connection at `key`)
/// to the end, calling `between` after each page; returns every node.
async fn page_all<F, Fut>(app: &TestApp, token: &str, query: &str, vars: Value, key: &str, mut between: F) -> Vec<Value>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    for page_no in 0.. {
        let mut vars = vars.clone();
        vars["after"] = json!(after);
        let data = app.ok(token, query, vars).await;
        let connection = &data[key];
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], page_no > 0, "{connection}");
        nodes.extend(connection["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()));
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(page_no < 200, "paging does not end");
        between(page_no).await;
    }
    nodes
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes.iter().map(|n| n["id"].as_str().expect("id").to_owned()).collect()
}

fn assert_no_repeats(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an item was repeated across pages");
}

const AUDIT_PAGE: &str = "query($after: String) { auditEvents(first: 100, after: $after) \
    { pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } } } }";

/// Issue 13 "Done when": paging through 1,000 audit events while new ones are
/// written (newer ones, and ones tied with already-paged and not-yet-paged
/// timestamps) returns each of the 1,000 exactly once.
#[tokio::test]
async fn issue13_paging_1000_audit_events_while_writing_returns_each_once() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let org_id = uuid(&org.id);
    // Four events per second: ties in the sort key, broken by id.
    insert_events(&app, (0..1000).map(|i| event(org_id, at(i / 4))).collect()).await;
    let before: HashSet<String> = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(org_id))
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.id.to_string())
        .collect();
    assert!(before.len() >= 1000);
    let db = app.db.clone();
    let nodes = page_all(&app, &org.admin, AUDIT_PAGE, json!({}), "auditEvents", |page| {
        let db = db.clone();
        async move {
            // Newest first: a newer event, events tied with one already paged
            // (second 240, near the top) and with one still to come (second 10).
            let new = vec![event(org_id, at(10_000 + page as i64)), event(org_id, at(240)), event(org_id, at(10))];
            audit_event::Entity::insert_many(new).exec(&db).await.expect("insert between pages");
        }
    })
    .await;
    let seen = ids(&nodes);
    assert_no_repeats(&seen);
    let seen: HashSet<String> = seen.into_iter().collect();
    let missing = before.difference(&seen).count();
    assert_eq!(missing, 0, "{missing} of the events present before paging were skipped");
}

fn person(org: Uuid, name: &str) -> user::ActiveModel {
    let id = Uuid::new_v4();
    user::ActiveModel {
        id: Set(id),
        organization_id: Set(Some(org)),
        publisher_id: Set(None),
        email: Set(format!("{}@example.test", id.simple())),
        name: Set(name.to_owned()),
        password_hash: Set("not-a-hash".into()),
        active: Set(true),
        is_operator: Set(false),
        is_partner: Set(false),
        deleted_at: Set(None),
        created_at: Set(at(0)),
        external_id: Set(None),
    }
}

async fn insert_people(app: &TestApp, org: Uuid, names: &[&str]) -> Vec<Uuid> {
    let rows: Vec<user::ActiveModel> = names.iter().map(|n| person(org, n)).collect();
    let ids = rows.iter().map(|r| *r.id.as_ref()).collect();
    user::Entity::insert_many(rows).exec(&app.db).await.expect("insert users");
    ids
}

const USERS_PAGE: &str = "query($after: String, $first: Int, $order: UserOrder) { users(first: $first, after: $after, orderBy: $order) \
    { pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name } } } }";

/// Issue 13: a user deleted between pages (R43), one already shown and one
/// still to come, neither shifts the pages: every other user appears exactly once.
#[tokio::test]
async fn issue13_deleting_between_pages_skips_and_repeats_nothing() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let names: Vec<String> = (0..25).map(|i| format!("Pat {i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let people = insert_people(&app, uuid(&org.id), &names).await;
    // By name: "Contoso Admin", then "Pat 00"…: Pat 02 is on page 1, Pat 20 on page 4.
    let (seen_then_deleted, deleted_later) = (people[2], people[20]);
    let admin = org.admin.clone();
    let app_ref = &app;
    let nodes = page_all(&app, &org.admin, USERS_PAGE, json!({"first": 6}), "users", |page| {
        let admin = admin.clone();
        async move {
            if page == 0 {
                for id in [seen_then_deleted, deleted_later] {
                    app_ref
                        .ok(&admin, "mutation($u: ID!) { deleteUser(userId: $u) { __typename } }", json!({"u": id}))
                        .await;
                }
            }
        }
    })
    .await;
    let seen = ids(&nodes);
    assert_no_repeats(&seen);
    let seen: HashSet<String> = seen.into_iter().collect();
    for (i, id) in people.iter().enumerate() {
        let expected = *id != deleted_later;
        assert_eq!(seen.contains(&id.to_string()), expected, "Pat {i:02}");
    }
    assert!(seen.contains(&org.admin_id));
}

/// Sorts `(key, id)` pairs the way the database does: by key, then id (UUIDs
/// compare as their lower-case text), in `direction`.
fn expected_order<K: Ord + Clone>(rows: &[(K, String)], descending: bool) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort();
    if descending {
        rows.reverse();
    }
    rows.into_iter().map(|(_, id)| id).collect()
}

/// Issue 13: users by NAME, both directions, across pages of 3 with names
/// shared by several people (ties broken by id).
#[tokio::test]
async fn issue13_users_order_by_name_across_pages_with_ties() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    insert_people(&app, uuid(&org.id), &["Kim", "Lee", "Kim", "Ann", "Lee", "Kim", "Bo", "Ann", "Lee", "Kim"]).await;
    let all = app.ok(&org.admin, USERS_PAGE, json!({"first": 100})).await;
    let rows: Vec<(String, String)> = all["users"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (e["node"]["name"].as_str().expect("name").to_owned(), e["node"]["id"].as_str().expect("id").to_owned())
        })
        .collect();
    assert_eq!(rows.len(), 11);
    for (direction, descending) in [("ASC", false), ("DESC", true)] {
        let vars = json!({"first": 3, "order": {"field": "NAME", "direction": direction}});
        let nodes = page_all(&app, &org.admin, USERS_PAGE, vars, "users", |_| async {}).await;
        assert_eq!(ids(&nodes), expected_order(&rows, descending), "NAME {direction}");
    }
    // No orderBy: by name, A to Z.
    let nodes = page_all(&app, &org.admin, USERS_PAGE, json!({"first": 4}), "users", |_| async {}).await;
    assert_eq!(ids(&nodes), expected_order(&rows, false));
}

const SUBS_PAGE: &str = "query($after: String, $first: Int, $order: SubscriptionOrder, $filter: SubscriptionFilter) { \
    subscriptions(first: $first, after: $after, orderBy: $order, filter: $filter) \
    { pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id status termEndDate product { name } } } } }";

/// Issue 13: subscriptions by PRODUCT_NAME (a join), STATUS and TERM_END, and
/// the default (newest first), each both ways across pages of 2 with ties.
#[tokio::test]
async fn issue13_subscriptions_order_by_each_field_across_pages() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let alpha =
        app.product(&shop.publisher, "Alpha App", "PER_LICENSE", &[("MONTHLY", "USD", "5.00")], None, true).await;
    let buys = [
        (&shop.per_license, "ANNUAL"),
        (&shop.flat, "MONTHLY"),
        (&alpha, "MONTHLY"),
        (&shop.per_license, "MONTHLY"),
        (&alpha, "MONTHLY"),
        (&shop.per_license, "ANNUAL"),
        (&shop.flat, "MONTHLY"),
    ];
    for (i, (product, term)) in buys.iter().enumerate() {
        let quantity = (*product != &shop.flat).then_some(1);
        let sub = app.buy(admin, product, term, quantity, &shop.profile).await;
        if i % 2 == 0 {
            app.activate(&shop.publisher, &sub).await;
        }
    }
    let all = app.ok(admin, SUBS_PAGE, json!({"first": 100})).await;
    let nodes: Vec<Value> =
        all["subscriptions"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect();
    assert_eq!(nodes.len(), buys.len());
    let keyed = |f: &dyn Fn(&Value) -> String| -> Vec<(String, String)> {
        nodes.iter().map(|n| (f(n), n["id"].as_str().expect("id").to_owned())).collect()
    };
    let orders: [(&str, Vec<(String, String)>); 3] = [
        ("PRODUCT_NAME", keyed(&|n| n["product"]["name"].as_str().expect("name").to_owned())),
        ("STATUS", keyed(&|n| n["status"].as_str().expect("status").to_owned())),
        ("TERM_END", keyed(&|n| n["termEndDate"].as_str().expect("date").to_owned())),
    ];
    for (field, rows) in &orders {
        let distinct: HashSet<&String> = rows.iter().map(|(k, _)| k).collect();
        assert!(distinct.len() > 1 && distinct.len() < rows.len(), "{field}: ties and differences");
        for (direction, descending) in [("ASC", false), ("DESC", true)] {
            let vars = json!({"first": 2, "order": {"field": field, "direction": direction}});
            let paged = page_all(&app, admin, SUBS_PAGE, vars, "subscriptions", |_| async {}).await;
            assert_eq!(ids(&paged), expected_order(rows, descending), "{field} {direction}");
        }
    }
    // The default and CREATED_AT DESC are the same order (all bought at the
    // same instant of the test clock: by id).
    let default = page_all(&app, admin, SUBS_PAGE, json!({"first": 3}), "subscriptions", |_| async {}).await;
    let vars = json!({"first": 3, "order": {"field": "CREATED_AT", "direction": "DESC"}});
    let created = page_all(&app, admin, SUBS_PAGE, vars, "subscriptions", |_| async {}).await;
    assert_eq!(ids(&default), ids(&created));
    assert_eq!(ids(&default), ids(&nodes));
}

struct TestInvoice {
    issue: NaiveDate,
    number: i64,
    currency: &'static str,
    total: i64,
    status: InvoiceStatus,
}

async fn insert_invoices(app: &TestApp, org: Uuid, profile: Uuid, list: &[TestInvoice]) -> Vec<Uuid> {
    let mut out = Vec::new();
    for (i, inv) in list.iter().enumerate() {
        let id = Uuid::new_v4();
        let row = invoice::ActiveModel {
            id: Set(id),
            organization_id: Set(org),
            billing_profile_id: Set(profile),
            number: Set(inv.number),
            period_start: Set(date(2024, 1, 1) + chrono::Months::new(i as u32)),
            issue_date: Set(inv.issue),
            due_date: Set(inv.issue + Duration::days(30)),
            subtotal_minor: Set(inv.total),
            total_minor: Set(inv.total),
            currency: Set(inv.currency.to_owned()),
            status: Set(inv.status),
            payment_method_id: Set(None),
            payment_method_summary: Set("Check or wire transfer".into()),
            paid_at: Set(None),
            paid_by: Set(None),
            last_charge_attempt: Set(None),
            credit_applied_minor: Set(0),
            credit_carried_minor: Set(0),
            credit_remaining_minor: Set(0),
            created_at: Set(at(i as i64)),
        };
        invoice::Entity::insert(row).exec(&app.db).await.expect("insert invoice");
        out.push(id);
    }
    // Written without the billing run: the invoice counts it keeps (for
    // totals) are rebuilt from them, as the benchmark's generator does.
    migration::backfill_invoice_counts(&app.db).await.expect("invoice counts");
    out
}

const INVOICES_PAGE: &str = "query($after: String, $first: Int, $order: InvoiceOrder, $filter: InvoiceFilter) { \
    invoices(first: $first, after: $after, orderBy: $order, filter: $filter) \
    { pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id status } } } }";

/// Issue 13: invoices by ISSUE_DATE (then number) and by TOTAL (grouped by
/// currency), both ways across pages of 3 with ties; filtered by status.
#[tokio::test]
async fn issue13_invoices_order_by_issue_date_and_total_and_filter_by_status() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let profile = app.billing_profile(admin, "US", None).await;
    let days = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)];
    let list: Vec<TestInvoice> = (0..10)
        .map(|i| TestInvoice {
            issue: days[(i * 7) % 3],
            number: i as i64 + 1,
            currency: if i % 4 == 3 { "EUR" } else { "USD" },
            total: [500, 1500, 500, 2500][i % 4],
            status: if i % 3 == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open },
        })
        .collect();
    let invoice_ids = insert_invoices(&app, uuid(&shop.org.id), uuid(&profile), &list).await;
    let by_issue: Vec<((NaiveDate, i64), String)> =
        list.iter().zip(&invoice_ids).map(|(i, id)| ((i.issue, i.number), id.to_string())).collect();
    let by_total: Vec<((&str, i64), String)> =
        list.iter().zip(&invoice_ids).map(|(i, id)| ((i.currency, i.total), id.to_string())).collect();
    let filter = json!({"from": "2025-12-01", "to": "2026-03-01"});
    for (direction, descending) in [("ASC", false), ("DESC", true)] {
        let vars = json!({"first": 3, "filter": filter, "order": {"field": "ISSUE_DATE", "direction": direction}});
        let nodes = page_all(&app, admin, INVOICES_PAGE, vars, "invoices", |_| async {}).await;
        assert_eq!(ids(&nodes), expected_order(&by_issue, descending), "ISSUE_DATE {direction}");
        let vars = json!({"first": 3, "filter": filter, "order": {"field": "TOTAL", "direction": direction}});
        let nodes = page_all(&app, admin, INVOICES_PAGE, vars, "invoices", |_| async {}).await;
        assert_eq!(ids(&nodes), expected_order(&by_total, descending), "TOTAL {direction}");
    }
    let vars = json!({"first": 4, "filter": filter});
    let default = page_all(&app, admin, INVOICES_PAGE, vars, "invoices", |_| async {}).await;
    assert_eq!(ids(&default), expected_order(&by_issue, true), "default: newest first");
    // Status filter, with an order.
    let paid: Vec<((&str, i64), String)> = list
        .iter()
        .zip(&by_total)
        .filter(|(i, _)| i.status == InvoiceStatus::Paid)
        .map(|(_, row)| row.clone())
        .collect();
    let mut status_filter = filter.clone();
    status_filter["status"] = json!("PAID");
    let vars = json!({"first": 2, "filter": status_filter, "order": {"field": "TOTAL"}});
    let nodes = page_all(&app, admin, INVOICES_PAGE, vars, "invoices", |_| async {}).await;
    assert!(nodes.iter().all(|n| n["status"] == "PAID"));
    assert_eq!(ids(&nodes), expected_order(&paid, false), "PAID by TOTAL ASC");
}

/// Issue 13: a cursor that is not base64/JSON, one cut short, one made for
/// another ordering of the same list, and one of another list are each
/// VALIDATION_FAILED on "after" (SPEC §10).
#[tokio::test]
async fn issue13_bad_tampered_and_foreign_cursors_are_validation_failed_after() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    insert_people(&app, uuid(&org.id), &["Ann", "Bo", "Kim"]).await;
    let page = app.ok(&org.admin, USERS_PAGE, json!({"first": 1})).await;
    let cursor = page["users"]["pageInfo"]["endCursor"].as_str().expect("cursor").to_owned();
    let audit = app.ok(&org.admin, AUDIT_PAGE, json!({})).await;
    let audit_cursor = audit["auditEvents"]["edges"][0]["cursor"].as_str().expect("audit cursor").to_owned();
    let cut = cursor[..cursor.len() - 4].to_owned();
    let offset_style = base64_of("o:0");
    let cases = [
        (json!({"first": 1, "after": "not a cursor!"}), "garbage"),
        (json!({"first": 1, "after": cut}), "cut short"),
        (json!({"first": 1, "after": offset_style}), "an old offset cursor"),
        (json!({"first": 1, "after": cursor, "order": {"field": "NAME", "direction": "DESC"}}), "another ordering"),
        (json!({"first": 1, "after": audit_cursor}), "another list"),
    ];
    for (vars, what) in cases {
        let response = app.gql(Some(&org.admin), USERS_PAGE, vars).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{what}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "after", "{what}: {response}");
    }
    // The good cursor still works.
    let next = app.ok(&org.admin, USERS_PAGE, json!({"first": 1, "after": cursor})).await;
    assert_eq!(next["users"]["edges"][0]["node"]["name"], "Bo");
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// Issue 14: COUNT runs only when `totalCount` is selected, and is then the
/// whole list's size, whatever the page.
#[tokio::test]
async fn issue14_total_count_is_counted_only_when_selected() {
    let url = fresh_database_url().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::with_statement_log(&url, log.clone()).await;
    let org = app.register_org("Contoso", "US").await;
    insert_people(&app, uuid(&org.id), &["Ann", "Bo", "Kim", "Lee", "Max"]).await;
    let counts = |log: &Arc<Mutex<Vec<String>>>| -> usize {
        log.lock().map(|l| l.iter().filter(|sql| sql.to_uppercase().contains("COUNT(")).count()).unwrap_or(usize::MAX)
    };
    let clear = |log: &Arc<Mutex<Vec<String>>>| {
        if let Ok(mut l) = log.lock() {
            l.clear();
        }
    };
    clear(&log);
    let data = app.ok(&org.admin, USERS_PAGE, json!({"first": 2})).await;
    assert_eq!(data["users"]["edges"].as_array().map(Vec::len), Some(2));
    assert_eq!(counts(&log), 0, "no COUNT without totalCount: {:?}", log.lock().map(|l| l.clone()));
    clear(&log);
    let q = "query($after: String) { users(first: 2, after: $after) { totalCount pageInfo { endCursor } } }";
    let first = app.ok(&org.admin, q, json!({})).await;
    assert_eq!(first["users"]["totalCount"], 6);
    assert_eq!(counts(&log), 1, "one COUNT with totalCount");
    let after = first["users"]["pageInfo"]["endCursor"].clone();
    let second = app.ok(&org.admin, q, json!({"after": after})).await;
    assert_eq!(second["users"]["totalCount"], 6, "the whole list, not what follows the cursor");
}

/// Issue 13: subscriptions filtered by billing profile; a profile the caller
/// cannot view (in their organization or another) is NOT_FOUND (R3), never
/// its subscriptions. Invoice lines link to their subscription, null when
/// the caller may not view it.
#[tokio::test]
async fn issue13_filter_subscriptions_by_billing_profile_and_invoice_line_subscription() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let second = app.billing_profile(admin, "US", Some(CARD_OK)).await;
    let on_first = app.buy(admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let on_second = app.buy(admin, &shop.per_license, "MONTHLY", Some(2), &second).await;
    let q = "query($p: ID) { subscriptions(filter: {billingProfileId: $p}) { totalCount nodes { id } } }";
    let only = app.ok(admin, q, json!({"p": second})).await;
    assert_eq!(only["subscriptions"]["nodes"], json!([{"id": on_second}]));
    let only = app.ok(admin, q, json!({"p": shop.profile})).await;
    assert_eq!(only["subscriptions"]["nodes"], json!([{"id": on_first}]));
    // A reader of the second profile sees its subscription, and nothing of the first profile.
    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    app.grant_role(admin, &second, &reader.id, "READER").await;
    let theirs = app.ok(&reader.token, q, json!({"p": second})).await;
    assert_eq!(theirs["subscriptions"]["nodes"], json!([{"id": on_second}]));
    assert_eq!(app.err(Some(&reader.token), q, json!({"p": shop.profile})).await, "NOT_FOUND");
    let other = app.register_org("Northwind", "US").await;
    assert_eq!(app.err(Some(&other.admin), q, json!({"p": shop.profile})).await, "NOT_FOUND");

    // Invoice lines point to their subscription, through the access rule.
    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 2));
    let lines =
        "query($p: ID) { invoices(filter: {billingProfileId: $p}) { nodes { lines { subscription { id } } } } }";
    let data = app.ok(&reader.token, lines, json!({"p": second})).await;
    let subs: Vec<Value> = data["invoices"]["nodes"][0]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["subscription"]["id"].clone())
        .collect();
    assert!(!subs.is_empty() && subs.iter().all(|s| s == &json!(on_second)), "{data}");
    // Moved to the first profile: the reader still sees the old invoice, but no longer the subscription.
    app.ok(
        admin,
        "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }",
        json!({"s": on_second, "p": shop.profile}),
    )
    .await;
    let data = app.ok(&reader.token, lines, json!({"p": second})).await;
    let lines_now = data["invoices"]["nodes"][0]["lines"].as_array().expect("lines").clone();
    assert!(!lines_now.is_empty() && lines_now.iter().all(|l| l["subscription"].is_null()), "{data}");
    let data = app.ok(admin, lines, json!({"p": second})).await;
    assert_eq!(
        data["invoices"]["nodes"][0]["lines"][0]["subscription"]["id"],
        json!(on_second),
        "the admin still does"
    );
}
