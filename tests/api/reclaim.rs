//! R51 (issue 22 item 3): reclaiming unused licenses — a policy per
//! organization (GLOBAL_ADMIN) or subscription (who assigns its licenses);
//! a dry run; the holder and the admins told first (RECLAIM_NOTICE, R52),
//! the license taken back after the notice period unless used meanwhile,
//! audited and emitted as LICENSES_UNASSIGNED; and a renewal's quantity
//! lowered to what is assigned, after telling the admins, through the same
//! quantity change as `changeLicenseQuantity`.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use entity::{license_assignment, notice, outbox_event, reclaim_quantity_notice};
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

async fn admin_email(app: &TestApp, org: &Org) -> String {
    let data = app.ok(&org.admin, "{ me { email } }", json!({})).await;
    data["me"]["email"].as_str().expect("email").to_owned()
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
    let notices =
        notice::Entity::find().filter(notice::Column::Kind.eq("RECLAIM_NOTICE")).all(&app.db).await.expect("notices");
    let variant = |n: &notice::Model| -> String {
        serde_json::from_str::<Value>(&n.data).expect("data")["variant"].as_str().unwrap_or("HOLDER").to_owned()
    };
    let told: Vec<String> =
        notices.iter().filter(|n| variant(n) == "HOLDER").map(|n| n.recipient_email.clone()).collect();
    assert_eq!(told.len(), 2);
    assert!(told.contains(&idle.email) && told.contains(&late.email));
    // R51: the admins who assign its licenses are told too, once each, one notice for both licenses.
    let admins: Vec<&notice::Model> = notices.iter().filter(|n| variant(n) == "ADMIN_UNASSIGN").collect();
    let mut admin_ids: Vec<String> = Vec::new();
    for n in &admins {
        let data: Value = serde_json::from_str(&n.data).expect("data");
        assert_eq!(data["count"], "2", "{data}");
        let people = data["people"].as_str().expect("people");
        assert!(people.contains(&idle.email) && people.contains(&late.email) && !people.contains(&used.email));
        let rendered = licensedesk::service::notices::render(n).expect("render");
        assert!(rendered.subject.starts_with("2 Seat App licenses will be reclaimed"), "{}", rendered.subject);
        admin_ids.push(n.recipient_email.clone());
    }
    admin_ids.sort();
    let mut expected_admins = vec![license_admin.email.clone(), admin_email(&app, &shop.org).await];
    expected_admins.sort();
    assert_eq!(admin_ids, expected_admins, "the GLOBAL_ADMIN and the LICENSE_ADMIN, not the holders");
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

const SET_LOWER: &str = "mutation($s: ID, $u: Int, $l: Int, $n: Int!) { setReclaimPolicy(subscriptionId: $s, unusedDays: $u, lowerQuantityDaysBeforeRenewal: $l, noticeDays: $n) { subscriptionId unusedDays lowerQuantityDaysBeforeRenewal noticeDays } }";
const QUANTITY_PREVIEW: &str = "{ reclaimPreview { subscriptionId userId action due quantity newQuantity } }";

/// R51, R18, R30: lowering a renewal's quantity to what is assigned — the
/// admins who manage it told first (once per term, in their language, not
/// when the kind is off), then lowered through the quantity change (credit
/// pro rata, audited, SUBSCRIPTION_QUANTITY_CHANGED), never below 1, so the
/// renewal charges the lowered quantity.
#[tokio::test]
async fn r51_renewal_quantity_is_lowered_to_what_is_assigned_after_the_admins_were_told() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    // 2026-03-01: annual × 10 at 100.00 (term to 2027-03-01), 3 assigned;
    // monthly × 4 with none assigned; monthly × 6 without auto-renew.
    let annual = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(10), &shop.profile).await;
    app.activate(&shop.publisher, &annual).await;
    let empty = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(4), &shop.profile).await;
    app.activate(&shop.publisher, &empty).await;
    let manual = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(6), &shop.profile).await;
    app.activate(&shop.publisher, &manual).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { setAutoRenew(subscriptionId: $s, autoRenew: false) { autoRenew } }",
        json!({"s": manual}),
    )
    .await;
    let people = app.users(&shop.org, "Holder", 3).await;
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    app.ok(&shop.org.admin, ASSIGN, json!({"s": annual, "u": ids})).await;
    let billing_admin = app.user(&shop.org, "Billing Admin", &["BILLING_ADMIN"]).await;

    // Validation, and who may set it.
    assert!(app.err(Some(&shop.org.admin), SET_LOWER, json!({"l": 0, "n": 7})).await.contains("VALIDATION"));
    assert!(app.err(Some(&shop.org.admin), SET_LOWER, json!({"l": 61, "n": 7})).await.contains("VALIDATION"));
    assert!(app.err(Some(&people[0].token), SET_LOWER, json!({"l": 10, "n": 7})).await.contains("FORBIDDEN"));
    // Lowering changes the quantity: a LICENSE_ADMIN may not set it on a subscription (R1).
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    assert!(
        app.err(Some(&license_admin.token), SET_LOWER, json!({"s": annual, "l": 10, "n": 7}))
            .await
            .contains("FORBIDDEN")
    );
    app.ok(&license_admin.token, SET_LOWER, json!({"s": annual, "u": 60, "n": 7})).await;
    app.ok(&license_admin.token, SET_LOWER, json!({"s": annual, "n": 7})).await; // removed again
    let set = app.ok(&shop.org.admin, SET_LOWER, json!({"l": 10, "n": 7})).await;
    assert_eq!(
        set["setReclaimPolicy"],
        json!({"subscriptionId": null, "unusedDays": null, "lowerQuantityDaysBeforeRenewal": 10, "noticeDays": 7})
    );

    // The dry run: the annual one is told 2027-02-12 and lowered 02-19 (10 days before 03-01).
    let preview = app.ok(&shop.org.admin, QUANTITY_PREVIEW, json!({})).await;
    let steps = preview["reclaimPreview"].as_array().expect("steps");
    let of = |s: &str| steps.iter().find(|x| x["subscriptionId"] == s).cloned();
    let step = of(&annual).expect("annual step");
    assert_eq!(
        (step["action"].as_str(), step["due"].as_str(), step["quantity"].as_i64(), step["newQuantity"].as_i64()),
        (Some("NOTIFY_LOWER_QUANTITY"), Some("2027-02-12T00:00:00+00:00"), Some(10), Some(3))
    );
    assert!(step["userId"].is_null());
    assert!(of(&manual).is_none(), "without auto-renew nothing renews");
    // The monthly one renews 04-01: told 03-15 (notice period 7 days), lowered 03-22 to 1, never 0.
    let step = of(&empty).expect("monthly step");
    assert_eq!(
        (step["action"].as_str(), step["due"].as_str(), step["newQuantity"].as_i64()),
        (Some("NOTIFY_LOWER_QUANTITY"), Some("2026-03-15T00:00:00+00:00"), Some(1))
    );
    assert_eq!(reclaim_quantity_notice::Entity::find().all(&app.db).await.expect("rows").len(), 0, "a dry run");
    // R52: the kind turned off — the admins are not told of the monthly one; the policy still acts.
    let toggle = "mutation($e: Boolean!) { setNoticeEnabled(kind: RECLAIM_NOTICE, enabled: $e) { kind enabled } }";
    app.ok(&shop.org.admin, toggle, json!({"e": false})).await;

    // Run day by day through the year.
    let mut day = date(2026, 3, 1);
    while day <= date(2027, 3, 2) {
        app.bill(day).await;
        if day == date(2026, 3, 15) {
            assert_eq!(reclaim_quantity_notice::Entity::find().all(&app.db).await.expect("rows").len(), 1, "told");
            assert_eq!(admin_notices(&app, &empty).await.len(), 0, "the kind is off");
        }
        if day == date(2026, 3, 21) {
            assert_eq!(quantity(&app, &shop, &empty).await, 4, "not before the day");
        }
        if day == date(2026, 3, 22) {
            assert_eq!(quantity(&app, &shop, &empty).await, 1, "lowered to 1, never 0 (R18)");
            app.ok(&shop.org.admin, toggle, json!({"e": true})).await;
        }
        if day == date(2027, 2, 11) {
            assert_eq!(admin_notices(&app, &annual).await.len(), 0);
        }
        if day == date(2027, 2, 12) {
            let told = admin_notices(&app, &annual).await;
            let mut to: Vec<String> = told.iter().map(|n| n.recipient_email.clone()).collect();
            to.sort();
            let mut expected =
                vec![admin_email(&app, &shop.org).await, billing_admin.email.clone(), license_admin.email.clone()];
            expected.sort();
            assert_eq!(to, expected, "GLOBAL_ADMIN, LICENSE_ADMIN and BILLING_ADMIN, not the holders");
            let rendered = licensedesk::service::notices::render(&told[0]).expect("render");
            assert!(
                rendered.text.contains("renews on 1 Mar 2027 with 10 licenses, of which 3 are assigned"),
                "{}",
                rendered.text
            );
            assert!(rendered.subject.contains("on 19 Feb 2027"), "{}", rendered.subject);
        }
        if day == date(2027, 2, 18) {
            assert_eq!(quantity(&app, &shop, &annual).await, 10);
            // One more license assigned during the notice period: lowered to 4, not 3.
            let extra = app.user(&shop.org, "Late Holder", &[]).await;
            app.ok(&shop.org.admin, ASSIGN, json!({"s": annual, "u": [extra.id]})).await;
        }
        if day == date(2027, 2, 19) {
            assert_eq!(quantity(&app, &shop, &annual).await, 4);
        }
        day = day.succ_opt().expect("day");
    }
    assert_eq!(admin_notices(&app, &annual).await.len(), 3, "told once each");
    assert_eq!(admin_notices(&app, &empty).await.len(), 0);

    // The same quantity change as a person's: a credit for 6 licenses over
    // 10 of 365 days (600.00 × 10 / 365 = 16.438… → 16.44), audited, an event.
    let charges = app.charges_of(&annual).await;
    assert_eq!(
        charges,
        vec![
            ("FIRST_TERM".to_owned(), 100_000),
            ("QUANTITY_DECREASE".to_owned(), -1644),
            ("RENEWAL".to_owned(), 40_000),
        ],
        "the renewal charges the lowered quantity: 4 × 100.00"
    );
    let empty_charges = app.charges_of(&empty).await;
    assert_eq!(empty_charges[0], ("FIRST_TERM".to_owned(), 4000));
    assert_eq!(empty_charges[1].0, "QUANTITY_DECREASE");
    assert!(empty_charges[2..].iter().all(|(kind, amount)| kind == "RENEWAL" && *amount == 1000), "{empty_charges:?}");
    assert_eq!(quantity(&app, &shop, &manual).await, 6, "no auto-renew: left alone");
    let changes = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("subscription.change_quantity"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(changes.len(), 2, "one audited change each");
    assert!(changes.iter().all(|c| c.actor_user_id.is_none()), "by the billing run");
    let events = outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq("SUBSCRIPTION_QUANTITY_CHANGED"))
        .all(&app.db)
        .await
        .expect("events");
    assert_eq!(events.len(), 2);
}

async fn admin_notices(app: &TestApp, subscription: &str) -> Vec<notice::Model> {
    notice::Entity::find()
        .filter(notice::Column::Kind.eq("RECLAIM_NOTICE"))
        .filter(notice::Column::ObjectId.eq(Uuid::parse_str(subscription).expect("uuid")))
        .all(&app.db)
        .await
        .expect("notices")
        .into_iter()
        .filter(|n| n.data.contains("ADMIN_QUANTITY"))
        .collect()
}

async fn quantity(app: &TestApp, shop: &Shop, subscription: &str) -> i64 {
    let data = app
        .ok(&shop.org.admin, "query($s: ID!) { subscription(id: $s) { quantity } }", json!({"s": subscription}))
        .await;
    data["subscription"]["quantity"].as_i64().expect("quantity")
}
