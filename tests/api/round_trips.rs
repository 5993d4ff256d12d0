//! Issue 23 item 4 and issue 25 item 3: the database round trips of the
//! license hot paths, counted (never timed).
//!
//! How round trips are counted: the statement counter
//! (`TestApp::with_statement_counter`, SeaORM's metric callback) sees every
//! statement the server sends — a PostgreSQL statement with all its CTEs is
//! one, and so is a SQLite batch of statements sent in one call — but not
//! `BEGIN` and `COMMIT`, which the driver sends itself. A license mutation is
//! one transaction, so its round trips are the statements counted plus 2
//! (`BEGIN`/`BEGIN IMMEDIATE` and `COMMIT`), the way the issue counts
//! "lock, access, …, commit" in its 15. The license check runs in no
//! explicit transaction: its round trips are its statements.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use licensedesk::service::{identity, licenses};
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::*,
    publisher_api::{api_client, api_get, api_post, app_token},
};

/// BEGIN and COMMIT, which the counter does not see.
const BEGIN_AND_COMMIT: usize = 2;
/// Issue 23 item 4: at most this many round trips per license mutation.
const MAX_ROUND_TRIPS: usize = 5;

async fn actor_of(app: &TestApp, token: &str) -> licensedesk::auth::Actor {
    let caller = identity::resolve_caller(&app.state, Some(token)).await.expect("caller");
    caller.actor().expect("signed in").clone()
}

/// R19–R21, R36, R45, R52, issue 23: assigning 20 users and taking their
/// licenses back cost at most 5 round trips each, BEGIN and COMMIT included,
/// with every write of the change made (assignments, count, event, webhook
/// delivery, notices, audit) — and the same number for 1 user as for 20.
#[tokio::test]
async fn r19_a_license_mutation_is_at_most_five_round_trips() {
    let url = fresh_database_url().await;
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::with_statement_counter(&url, counter.clone()).await;
    let shop = app.shop().await;
    // The publisher listens for license events, so the change queues deliveries too.
    let hook = "mutation($u: String!, $t: [EventType!]!) { createWebhookEndpoint(url: $u, eventTypes: $t) { secret } }";
    app.ok(
        &shop.publisher.token,
        hook,
        json!({"u": "https://hooks.example.com/ld", "t": ["LICENSES_ASSIGNED", "LICENSES_UNASSIGNED"]}),
    )
    .await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(25), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 21).await;
    let ids: Vec<&str> = people[..20].iter().map(|p| p.id.as_str()).collect();
    let actor = actor_of(&app, &shop.org.admin).await;
    let sub_id = Uuid::parse_str(&sub).expect("id");
    let (events, deliveries, notices, audit) = (
        app.count("outbox_events").await,
        app.count("webhook_deliveries").await,
        app.count("notices").await,
        app.count("audit_events").await,
    );

    counter.store(0, Ordering::SeqCst);
    let outcome = licenses::assign(&app.state, &actor, sub_id, &ids).await.expect("assign");
    let assign_20 = counter.load(Ordering::SeqCst) + BEGIN_AND_COMMIT;
    assert_eq!(outcome.assigned.len(), 20);
    assert_eq!(outcome.subscription.assigned_count, 20);
    assert_eq!(app.count("outbox_events").await, events + 1, "one LICENSES_ASSIGNED event");
    assert_eq!(app.count("webhook_deliveries").await, deliveries + 1, "one delivery to the endpoint");
    assert_eq!(app.count("notices").await, notices + 20, "a notice to each new holder (R52)");
    assert_eq!(app.count("audit_events").await, audit + 1);

    counter.store(0, Ordering::SeqCst);
    let outcome = licenses::unassign(&app.state, &actor, sub_id, &ids).await.expect("unassign");
    let unassign_20 = counter.load(Ordering::SeqCst) + BEGIN_AND_COMMIT;
    assert_eq!(outcome.unassigned.len(), 20);
    assert_eq!(outcome.subscription.assigned_count, 0);
    assert_eq!(app.count("outbox_events").await, events + 2, "one LICENSES_UNASSIGNED event");
    assert_eq!(app.count("webhook_deliveries").await, deliveries + 2);
    assert_eq!(app.count("audit_events").await, audit + 2);

    let one = [people[20].id.as_str()];
    counter.store(0, Ordering::SeqCst);
    licenses::assign(&app.state, &actor, sub_id, &one).await.expect("assign one");
    let assign_1 = counter.load(Ordering::SeqCst) + BEGIN_AND_COMMIT;
    counter.store(0, Ordering::SeqCst);
    licenses::unassign(&app.state, &actor, sub_id, &one).await.expect("unassign one");
    let unassign_1 = counter.load(Ordering::SeqCst) + BEGIN_AND_COMMIT;

    let counts = [assign_20, unassign_20, assign_1, unassign_1];
    assert!(counts.iter().all(|n| *n <= MAX_ROUND_TRIPS), "round trips (assign 20, unassign 20, 1, 1): {counts:?}");
    assert_eq!((assign_1, unassign_1), (assign_20, unassign_20), "constant in the number of users: {counts:?}");
}

/// R50, issue 25: a license check is ONE statement — the token is verified in
/// it — for one person and for a batch of 100 alike, and it writes nothing
/// (the use is noted in memory, R51).
#[tokio::test]
async fn r50_a_license_check_is_one_statement_for_one_person_or_a_hundred() {
    let url = fresh_database_url().await;
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::with_statement_counter(&url, counter.clone()).await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Checked", 2).await;
    let assign =
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }";
    app.ok(&shop.org.admin, assign, json!({"s": sub, "u": [people[0].id]})).await;
    let (_, client_id, secret) = api_client(&app, &shop.publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;
    let email = people[0].email.replace('@', "%40");

    counter.store(0, Ordering::SeqCst);
    let (status, body) =
        api_get(&app, &token, &format!("/api/v1/license-checks?organizationId={}&email={email}", shop.org.id)).await;
    let one = counter.load(Ordering::SeqCst);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["licensed"], true, "{body}");

    let mut users: Vec<serde_json::Value> =
        (0..98).map(|i| json!({"email": format!("nobody{i}@example.test")})).collect();
    users.push(json!({"email": people[0].email}));
    users.push(json!({"email": people[1].email}));
    counter.store(0, Ordering::SeqCst);
    let (status, body) =
        api_post(&app, &token, "/api/v1/license-checks", json!({"organizationId": shop.org.id, "users": users})).await;
    let hundred = counter.load(Ordering::SeqCst);
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 100);
    assert_eq!(results[98]["licensed"], true, "{body}");
    assert_eq!(results[99]["licensed"], false, "{body}");
    assert_eq!((one, hundred), (1, 1), "statements of a check of 1 and of 100 people");
}

/// R19, R21, issue 23: the people are read with the lock in one statement;
/// on PostgreSQL a statement that waited for the lock reads them again when
/// the holder before it changed the subscription. Many concurrent requests
/// assigning the same person: one assigns, the others find the license
/// already there — none fails, no seat is counted twice.
#[tokio::test]
async fn r21_concurrent_assignments_of_one_person_see_each_other() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let person = app.user(&shop.org, "Contended", &[]).await;
    let actor = actor_of(&app, &shop.org.admin).await;
    let sub_id = Uuid::parse_str(&sub).expect("id");
    for round in 0..3 {
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (state, actor, id) = (app.state.clone(), actor.clone(), person.id.clone());
            tasks.push(tokio::spawn(async move {
                licenses::assign(&state, &actor, sub_id, &[id.as_str()]).await.map(|o| o.assigned.len())
            }));
        }
        let mut assigned = 0;
        for task in tasks {
            assigned += task.await.expect("task").expect("no request fails");
        }
        assert_eq!(assigned, 1, "round {round}: exactly one request assigns");
        let taken = licenses::unassign(&app.state, &actor, sub_id, &[person.id.as_str()]).await.expect("unassign");
        assert_eq!(taken.subscription.assigned_count, 0, "round {round}");
    }
}
