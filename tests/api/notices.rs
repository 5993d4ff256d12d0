//! R52 (issue 22 item 4): notices by e-mail are queued in the transaction of
//! the change that calls for them, once each, in the recipient's language;
//! each organization turns kinds off; the notice log follows the rule of the
//! notice's invoice or subscription (R37); senders on several instances
//! never hold the same notice at once.

use chrono::Utc;
use entity::notice;
use licensedesk::service::notices;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::*;

const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const LOG: &str = "query($k: NoticeKind) { notices(kind: $k, first: 50) { totalCount edges { node { id kind recipient language status objectId } } } }";
const SET: &str =
    "mutation($k: NoticeKind!, $e: Boolean!) { setNoticeEnabled(kind: $k, enabled: $e) { kind enabled } }";

async fn rows(app: &TestApp) -> Vec<notice::Model> {
    notice::Entity::find().order_by_asc(notice::Column::CreatedAt).all(&app.db).await.expect("notices")
}

fn kinds(log: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = log["notices"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// R52, R37: an invoice (to the billing contact, in the profile's language)
/// and a license assigned (to the person) are queued with their changes; the
/// GLOBAL_ADMIN sees both in the log, the LICENSE_ADMIN only the license
/// notice, a user and a publisher nothing, another organization nothing.
#[tokio::test]
async fn r52_changes_queue_notices_in_the_recipients_language_and_the_log_follows_visibility() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let dutch = app.billing_profile(&shop.org.admin, "NL", Some(CARD_OK)).await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &dutch).await;
    app.activate(&shop.publisher, &sub).await;
    let person = app.user(&shop.org, "Lee Holder", &[]).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [person.id]})).await;
    app.bill(date(2026, 4, 1)).await;

    let queued = rows(&app).await;
    let assigned = queued.iter().find(|n| n.kind == "LICENSE_ASSIGNED").expect("license notice");
    assert_eq!(assigned.recipient_email, person.email);
    assert_eq!(assigned.language, "en", "the organization is in the US");
    let invoice = queued.iter().find(|n| n.kind == "INVOICE").expect("invoice notice");
    assert_eq!(invoice.recipient_email, "pat@example.test");
    assert_eq!(invoice.language, "nl", "the profile is in the Netherlands");
    assert_eq!(invoice.status, "PENDING");
    let rendered = notices::render(invoice).expect("render");
    assert!(rendered.subject.starts_with("Factuur "), "{}", rendered.subject);
    assert!(rendered.text.contains("Hallo Pat Payer,") && rendered.html.contains("<html lang=\"nl\">"));
    assert_eq!(notices::attaches_invoice(invoice), Some(invoice.object_id));

    // A second run the same day queues nothing new (one notice per invoice).
    let before = queued.len();
    app.bill(date(2026, 4, 1)).await;
    assert_eq!(rows(&app).await.len(), before);

    let global = app.ok(&shop.org.admin, LOG, json!({})).await;
    assert_eq!(kinds(&global), vec!["INVOICE", "LICENSE_ASSIGNED"]);
    assert_eq!(global["notices"]["totalCount"], 2);
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    let seen = app.ok(&license_admin.token, LOG, json!({})).await;
    assert_eq!(kinds(&seen), vec!["LICENSE_ASSIGNED"], "invoices are not the license admin's (R37)");
    let only = app.ok(&shop.org.admin, LOG, json!({"k": "INVOICE"})).await;
    assert_eq!(kinds(&only), vec!["INVOICE"]);
    assert!(app.err(Some(&person.token), LOG, json!({})).await.contains("FORBIDDEN"));
    assert!(app.err(Some(&shop.publisher.token), LOG, json!({})).await.contains("FORBIDDEN"));
    let other = app.register_org("Northwind", "US").await;
    assert_eq!(app.ok(&other.admin, LOG, json!({})).await["notices"]["totalCount"], 0);
}

/// R52: a kind turned off (GLOBAL_ADMIN only, audited) is not queued; the
/// settings list every kind.
#[tokio::test]
async fn r52_an_organization_turns_a_kind_off() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    let refused = app.err(Some(&license_admin.token), SET, json!({"k": "LICENSE_ASSIGNED", "e": false})).await;
    assert!(refused.contains("FORBIDDEN"), "{refused}");
    let settings = app.ok(&shop.org.admin, SET, json!({"k": "LICENSE_ASSIGNED", "e": false})).await;
    let settings = settings["setNoticeEnabled"].as_array().expect("settings").clone();
    assert_eq!(settings.len(), 9);
    assert!(settings.iter().any(|s| s["kind"] == "LICENSE_ASSIGNED" && s["enabled"] == false));
    assert!(settings.iter().filter(|s| s["kind"] != "LICENSE_ASSIGNED").all(|s| s["enabled"] == true));
    let seen = app.ok(&license_admin.token, "{ noticeSettings { kind enabled } }", json!({})).await;
    assert_eq!(seen["noticeSettings"].as_array().map(Vec::len), Some(9));

    let person = app.user(&shop.org, "Lee Holder", &[]).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [person.id]})).await;
    assert!(rows(&app).await.iter().all(|n| n.kind != "LICENSE_ASSIGNED"));
    let audit = app.ok(&shop.org.admin, "{ auditEvents(first: 50) { edges { node { action } } } }", json!({})).await;
    assert!(audit.to_string().contains("organization.notice_setting"), "{audit}");

    // On again: the next assignment is told.
    app.ok(&shop.org.admin, SET, json!({"k": "LICENSE_ASSIGNED", "e": true})).await;
    let second = app.user(&shop.org, "Kim Holder", &[]).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [second.id]})).await;
    let told: Vec<String> =
        rows(&app).await.into_iter().filter(|n| n.kind == "LICENSE_ASSIGNED").map(|n| n.recipient_email).collect();
    assert_eq!(told, vec![second.email]);
}

/// R52: renewal reminders 30 days ahead (annual terms) and 7 days ahead,
/// each queued once however often the billing run goes, with the forecast
/// amount in the subscription's currency.
#[tokio::test]
async fn r52_renewal_reminders_thirty_and_seven_days_ahead_once_each() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(4), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    // Bought 2026-03-01: the term ends 2027-03-01.
    app.bill(date(2027, 1, 29)).await;
    assert!(rows(&app).await.iter().all(|n| !n.kind.starts_with("RENEWAL")), "31 days ahead: not yet");
    let report = app.bill(date(2027, 1, 30)).await;
    assert_eq!(report.renewal_notices, 1);
    app.bill(date(2027, 1, 31)).await;
    let thirty: Vec<notice::Model> = rows(&app).await.into_iter().filter(|n| n.kind == "RENEWAL_30").collect();
    assert_eq!(thirty.len(), 1);
    let text = notices::render(&thirty[0]).expect("render").text.replace('\u{a0}', " ");
    assert!(text.contains("for 4 at USD 100.00 each, about USD 400.00"), "{text}");
    app.bill(date(2027, 2, 22)).await;
    app.bill(date(2027, 2, 23)).await;
    let seven = rows(&app).await.into_iter().filter(|n| n.kind == "RENEWAL_7").count();
    assert_eq!(seven, 1);
}

/// R52: two senders (two instances) claiming at once never hold the same
/// notice; a claimed notice is not claimed again until its lease ends; a
/// failure is retried later, SENT is final.
#[tokio::test]
async fn r52_senders_share_the_queue_by_lease() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(6), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 6).await;
    for person in &people {
        app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [person.id]})).await;
    }
    let second = TestApp::on_database(&app.database_url, date(2026, 3, 1)).await;
    let until = Utc::now() + chrono::Duration::seconds(60);
    let (a, b) = tokio::join!(notices::claim(&app.state, 4, until), notices::claim(&second.state, 4, until));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    assert_eq!(a.len() + b.len(), 6);
    assert!(a.iter().all(|x| b.iter().all(|y| x.id != y.id)), "no notice held twice");
    assert!(notices::claim(&app.state, 10, until).await.expect("claim").is_empty(), "all leased");
    // Which sender got more depends on timing; one of them holds at least 3.
    let a = if a.len() >= b.len() { a } else { b };

    notices::mark_sent(&app.state, a[0].id).await.expect("sent");
    let retry_at = Utc::now() - chrono::Duration::seconds(1);
    notices::mark_failed(&app.state, a[1].id, "TRANSIENT: 451 try later", Some(retry_at)).await.expect("failed");
    notices::mark_failed(&app.state, a[2].id, "PERMANENT: 550 no such user", None).await.expect("failed");
    let again = notices::claim(&app.state, 10, until).await.expect("claim");
    assert_eq!(again.iter().map(|n| n.id).collect::<Vec<_>>(), vec![a[1].id], "only the retry is due");
    let stored = notice::Entity::find().filter(notice::Column::Id.is_in([a[0].id, a[2].id])).all(&app.db).await;
    let stored = stored.expect("rows");
    let sent = stored.iter().find(|n| n.id == a[0].id).expect("sent row");
    assert_eq!((sent.status.as_str(), sent.attempts, sent.sent_at.is_some()), ("SENT", 1, true));
    let failed = stored.iter().find(|n| n.id == a[2].id).expect("failed row");
    assert_eq!((failed.status.as_str(), failed.last_error.as_deref()), ("FAILED", Some("PERMANENT: 550 no such user")));
}
