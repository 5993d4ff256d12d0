//! R51 (issue 22 item 3): reclaiming unused licenses — a policy per
//! organization (GLOBAL_ADMIN) or subscription (who assigns its licenses);
//! a dry run; the holder told first (RECLAIM_NOTICE, R52), the license
//! taken back after the notice period unless used meanwhile, audited and
//! emitted as LICENSES_UNASSIGNED.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use entity::{license_assignment, notice, outbox_event};
use licensedesk::service::reclaim;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const SET: &str = "mutation($s: ID, $u: Int, $n: Int!) { setReclaimPolicy(subscriptionId: $s, unusedDays: $u, noticeDays: $n) { subscriptionId unusedDays noticeDays } }";
const PREVIEW: &str = "{ reclaimPreview { userId action due } }";

async fn assignment(app: &TestApp, user: &str) -> license_assignment::Model {
    license_assignment::Entity::find()
        .filter(license_assignment::Column::UserId.eq(Uuid::parse_str(user).expect("uuid")))
        .one(&app.db)
        .await
        .expect("query")
        .expect("assignment")
}

fn steps(data: &Value) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = data["reclaimPreview"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (s["userId"].as_str().unwrap_or("").to_owned(), s["action"].as_str().unwrap_or("").to_owned()))
        .collect();
    steps.sort();
    steps
}

#[tokio::test]
async fn r51_unused_licenses_are_reclaimed_after_the_holder_was_told() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 3).await;
    let (used, idle, late) = (&people[0], &people[1], &people[2]);
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [used.id, idle.id, late.id]})).await;

    // Who may set what.
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    assert!(app.err(Some(&license_admin.token), SET, json!({"u": 30, "n": 7})).await.contains("FORBIDDEN"));
    let own = app.ok(&license_admin.token, SET, json!({"s": sub, "u": 60, "n": 7})).await;
    assert_eq!(own["setReclaimPolicy"]["subscriptionId"], sub.as_str());
    app.ok(&license_admin.token, SET, json!({"s": sub, "n": 7})).await; // removed again
    assert!(app.err(Some(&used.token), SET, json!({"s": sub, "u": 30, "n": 7})).await.contains("NOT_FOUND"));
    let other = app.register_org("Northwind", "US").await;
    assert!(app.err(Some(&other.admin), SET, json!({"s": sub, "u": 30, "n": 7})).await.contains("NOT_FOUND"));
    assert!(app.err(Some(&shop.org.admin), SET, json!({"u": 3, "n": 7})).await.contains("VALIDATION"));
    app.ok(&shop.org.admin, SET, json!({"u": 30, "n": 7})).await;

    // 2026-04-15: `used` was used on 04-10; the others never (assigned 03-01).
    app.clock.set_date(date(2026, 4, 15));
    let at = |m, d| Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).single().expect("time");
    let uses = HashMap::from([(assignment(&app, &used.id).await.id, at(4, 10))]);
    licensedesk::service::usage::record_last_used(&app.db, &uses).await.expect("uses");
    let preview = app.ok(&shop.org.admin, PREVIEW, json!({})).await;
    let mut expected = vec![(idle.id.clone(), "NOTIFY".to_owned()), (late.id.clone(), "NOTIFY".to_owned())];
    expected.sort();
    assert_eq!(steps(&preview), expected, "the dry run changes nothing");
    assert!(assignment(&app, &idle.id).await.reclaim_notice_at.is_none());
    assert!(app.err(Some(&used.token), PREVIEW, json!({})).await.contains("FORBIDDEN"));
    assert_eq!(app.ok(&other.admin, PREVIEW, json!({})).await["reclaimPreview"], json!([]));

    let report = reclaim::run(&app.state).await.expect("run");
    assert_eq!((report.notified, report.unassigned), (2, 0));
    assert_eq!(reclaim::run(&app.state).await.expect("run again").notified, 0, "told once");
    let told: Vec<String> = notice::Entity::find()
        .filter(notice::Column::Kind.eq("RECLAIM_NOTICE"))
        .all(&app.db)
        .await
        .expect("notices")
        .into_iter()
        .map(|n| n.recipient_email)
        .collect();
    assert_eq!(told.len(), 2);
    assert!(told.contains(&idle.email) && told.contains(&late.email));
    let preview = app.ok(&shop.org.admin, PREVIEW, json!({})).await;
    assert!(steps(&preview).iter().all(|(_, a)| a == "UNASSIGN"));

    // `late` uses it during the notice period; after it only `idle` goes.
    let uses = HashMap::from([(assignment(&app, &late.id).await.id, at(4, 20))]);
    licensedesk::service::usage::record_last_used(&app.db, &uses).await.expect("uses");
    app.clock.set_date(date(2026, 4, 21));
    assert_eq!(reclaim::run(&app.state).await.expect("run").unassigned, 0, "the notice period runs to 04-22");
    app.clock.set_date(date(2026, 4, 23));
    let report = reclaim::run(&app.state).await.expect("run");
    assert_eq!((report.notified, report.unassigned), (0, 1));
    assert!(!assignment(&app, &idle.id).await.active);
    assert!(assignment(&app, &late.id).await.active && assignment(&app, &used.id).await.active);
    let data = app.ok(&shop.org.admin, "query($s: ID!) { subscription(id: $s) { assigned } }", json!({"s": sub})).await;
    assert_eq!(data["subscription"]["assigned"], 2);
    let audit = app.ok(&shop.org.admin, "{ auditEvents(first: 50) { edges { node { action } } } }", json!({})).await;
    assert!(audit.to_string().contains("subscription.reclaim_license"));
    assert!(audit.to_string().contains("organization.reclaim_policy"));
    let events = outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq("LICENSES_UNASSIGNED"))
        .all(&app.db)
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert!(events[0].user_ids.contains(&idle.id));
}
