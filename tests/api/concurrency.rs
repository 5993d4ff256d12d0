//! R21: seats are never oversold, whatever races, on however many instances
//! share the database. On PostgreSQL two independent instances (own pools,
//! own routers) serve the race; on SQLite one instance does.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{helpers::*, licensing::post};

const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const QUANTITY: &str =
    "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }";

/// Inserts `count` members straight into the organization (no password hashing: they never log in).
async fn members(app: &TestApp, org_id: &str, count: usize) -> Vec<String> {
    let org = Uuid::parse_str(org_id).expect("uuid");
    let mut ids = Vec::new();
    for i in 0..count {
        let id = Uuid::now_v7();
        entity::user::ActiveModel {
            id: Set(id),
            organization_id: Set(Some(org)),
            publisher_id: Set(None),
            email: Set(format!("member{i}-{}@example.test", id.simple())),
            name: Set(format!("Member {i}")),
            password_hash: Set("not-a-hash".into()),
            active: Set(true),
            is_partner: Set(false),
            deleted_at: Set(None),
            is_operator: Set(false),
            created_at: Set(chrono::Utc::now()),
            external_id: Set(None),
        }
        .insert(&app.db)
        .await
        .expect("insert member");
        ids.push(id.to_string());
    }
    ids
}

async fn instances(app: &TestApp) -> Vec<axum::Router> {
    let mut routers = vec![app.router.clone()];
    if engine_is_postgres() {
        let second = TestApp::on_database(&app.database_url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")).await;
        routers.push(second.router.clone());
    }
    routers
}

async fn active_rows(app: &TestApp, subscription: &str) -> u64 {
    entity::license_assignment::Entity::find()
        .filter(entity::license_assignment::Column::SubscriptionId.eq(Uuid::parse_str(subscription).expect("uuid")))
        .filter(entity::license_assignment::Column::Active.eq(true))
        .count(&app.db)
        .await
        .expect("count")
}

async fn stored(app: &TestApp, subscription: &str) -> entity::subscription::Model {
    entity::subscription::Entity::find_by_id(Uuid::parse_str(subscription).expect("uuid"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("subscription")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r21_two_hundred_racing_assigns_fill_exactly_fifty_seats() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(50), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = members(&app, &shop.org.id, 200).await;
    let routers = instances(&app).await;
    let mut tasks = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let router = routers[i % routers.len()].clone();
        tasks.push(tokio::spawn(post(router, shop.org.admin.clone(), ASSIGN, json!({"s": sub, "u": [person]}))));
    }
    let (mut assigned, mut refused) = (0, 0);
    for task in tasks {
        let response: Value = task.await.expect("task");
        match response["errors"][0]["extensions"]["code"].as_str() {
            None => assigned += 1,
            Some("INSUFFICIENT_LICENSES") => refused += 1,
            Some(other) => panic!("R21: every refusal is INSUFFICIENT_LICENSES, got {other}: {response}"),
        }
    }
    assert_eq!((assigned, refused), (50, 150), "R21: exactly the 50 seats are assigned");
    let row = stored(&app, &sub).await;
    assert_eq!(row.assigned_count, 50);
    assert_eq!(active_rows(&app, &sub).await, 50, "no license lost or duplicated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r21_assigns_racing_quantity_decreases_never_leave_assigned_above_quantity() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(60), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = members(&app, &shop.org.id, 100).await;
    let routers = instances(&app).await;
    let mut tasks = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let router = routers[i % routers.len()].clone();
        tasks.push(tokio::spawn(post(
            router.clone(),
            shop.org.admin.clone(),
            ASSIGN,
            json!({"s": sub, "u": [person]}),
        )));
        if i % 5 == 0 {
            // Quantities between 30 and 60, interleaved with the assigns.
            let quantity = 30 + (i as i64 * 7) % 31;
            tasks.push(tokio::spawn(post(router, shop.org.admin.clone(), QUANTITY, json!({"s": sub, "q": quantity}))));
        }
    }
    for task in tasks {
        let response: Value = task.await.expect("task");
        if let Some(code) = response["errors"][0]["extensions"]["code"].as_str() {
            assert!(
                matches!(code, "INSUFFICIENT_LICENSES" | "QUANTITY_BELOW_ASSIGNED"),
                "R21: only the two business refusals, got {code}: {response}"
            );
        }
    }
    let row = stored(&app, &sub).await;
    let quantity = row.quantity.expect("seat based");
    assert!(row.assigned_count <= quantity, "R21: assigned {} > quantity {quantity}", row.assigned_count);
    assert_eq!(active_rows(&app, &sub).await as i64, row.assigned_count, "the counter matches the rows");
}
