//! Load benchmark: the real router in-process, SQLite and PostgreSQL side by
//! side in one run. Prints throughput and latency per scenario and the peak
//! resident memory. Run: `cargo bench --bench api` (PostgreSQL too when
//! LICENSEDESK_TEST_POSTGRES_URL is set). Figures are recorded in bench/README.md.
// The schema's root objects nest async-graphql futures deeper than rustc's
// default limit of 128 when the release profile lays them out.
#![recursion_limit = "256"]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{Router, body::Body, http::Request};
use http_body_util::BodyExt;
use licensedesk::{app, clock::SystemClock, config::Config, db, state::AppState};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;

const CLIENTS: usize = 16;
const REQUESTS: usize = 1_600;

async fn call(router: &Router, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let body = Body::from(json!({"query": query, "variables": variables}).to_string());
    let response = router.clone().oneshot(builder.body(body).expect("request")).await.expect("response");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    assert!(value.get("errors").is_none(), "{value}");
    value["data"].clone()
}

async fn database_url(engine: &str) -> String {
    let name = format!("ld_bench_{}", uuid::Uuid::new_v4().simple());
    if engine == "postgres" {
        let server = std::env::var("LICENSEDESK_TEST_POSTGRES_URL").expect("url");
        let admin = Database::connect(server.as_str()).await.expect("connect");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create");
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server).to_owned();
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}?mode=rwc", std::env::temp_dir().join(format!("{name}.db")).display())
    }
}

struct Fixture {
    router: Router,
    admin: String,
    subscription: String,
    users: Vec<String>,
    /// R50: a client-credentials token of the demo publisher, the demo
    /// organization, and the e-mail addresses of some of its people.
    app_token: String,
    organization: String,
    emails: Vec<String>,
}

/// A GET through the router with a bearer token; panics unless 200.
async fn get(router: &Router, token: &str, path: &str) {
    let request =
        Request::get(path).header("authorization", format!("Bearer {token}")).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), 200, "{path}");
    response.into_body().collect().await.expect("body");
}

/// R50: the demo publisher's API client and a client-credentials token.
async fn app_token(router: &Router) -> String {
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let data = call(
        router,
        None,
        login,
        json!({"e": licensedesk::demo::DEMO_PUBLISHER, "p": licensedesk::demo::DEMO_PASSWORD}),
    )
    .await;
    let publisher = data["login"]["token"].as_str().expect("token").to_owned();
    let created = call(
        router,
        Some(&publisher),
        "mutation { createApiClient(input: {name: \"bench\"}) { clientSecret client { clientId } } }",
        json!({}),
    )
    .await;
    let id = created["createApiClient"]["client"]["clientId"].as_str().expect("client id");
    let secret = created["createApiClient"]["clientSecret"].as_str().expect("secret");
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let request = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    value["access_token"].as_str().expect("access token").to_owned()
}

async fn fixture(url: &str) -> Fixture {
    let config = Config::for_tests(url);
    let database = db::connect(url).await.expect("connect");
    db::migrate(&database).await.expect("migrate");
    let state = AppState::new(database, config, b"bench-secret-bench-secret-bench-secret", Arc::new(SystemClock))
        .expect("state");
    licensedesk::demo::seed(&state).await.expect("seed");
    let router = app::build_router(state);
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let data =
        call(&router, None, login, json!({"e": licensedesk::demo::DEMO_ADMIN, "p": licensedesk::demo::DEMO_PASSWORD}))
            .await;
    let admin = data["login"]["token"].as_str().expect("token").to_owned();
    let products =
        call(&router, Some(&admin), "{ products { nodes { id name } } billingProfiles { nodes { id } } }", json!({}))
            .await;
    let chat = products["products"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|p| p["name"] == "Fabrikam Chat")
        .expect("chat")["id"]
        .clone();
    let profile = products["billingProfiles"]["nodes"][0]["id"].clone();
    // 49 more subscriptions so that a page has 50 with their relations.
    for i in 0..49 {
        let q = "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }";
        call(
            &router,
            Some(&admin),
            q,
            json!({"i": {"productId": chat, "term": "MONTHLY", "quantity": 5 + i, "billingProfileId": profile}}),
        )
        .await;
    }
    let subs = call(
        &router,
        Some(&admin),
        "{ me { organization { id } } subscriptions(filter: {status: ACTIVE}) { nodes { id viewerCan { assignLicenses } } } users(first: 100) { nodes { id email } } }",
        json!({}),
    )
    .await;
    // A subscription the admin assigns licenses of (not a self-service or partner one).
    let subscription = subs["subscriptions"]["nodes"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .find(|s| s["viewerCan"]["assignLicenses"] == true)
        .and_then(|s| s["id"].as_str())
        .expect("a subscription the admin assigns")
        .to_owned();
    let nodes = subs["users"]["nodes"].as_array().expect("users");
    let users = nodes.iter().filter_map(|u| u["id"].as_str().map(str::to_owned)).collect();
    let emails = nodes.iter().filter_map(|u| u["email"].as_str().map(str::to_owned)).collect();
    let organization = subs["me"]["organization"]["id"].as_str().expect("organization").to_owned();
    let app_token = app_token(&router).await;
    Fixture { router, admin, subscription, users, app_token, organization, emails }
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p95: Duration,
}

async fn measure<F, Fut>(work: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    measure_with(CLIENTS, work).await
}

async fn measure_with<F, Fut>(clients: usize, work: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in 0..REQUESTS / clients {
                let t = Instant::now();
                work(client * 10_000 + i).await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    let elapsed = start.elapsed();
    all.sort();
    Figures {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: all[all.len() / 2],
        p95: all[all.len() * 95 / 100],
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

const PAGE: &str = "{ subscriptions(first: 50) { totalCount nodes { id status quantity assigned available product { name publisher { name } prices { term price { amount currency } } }
    billingProfile { name paymentMethod { brand last4 } } purchaser { name } assignedUsers { name } unitPrice { amount currency } } } }";
const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
const UNASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";

/// Whether to run a scenario: all by default, or those that
/// LICENSEDESK_BENCH_SCENARIOS names (comma-separated: page, churn, check).
fn wanted(scenario: &str) -> bool {
    std::env::var("LICENSEDESK_BENCH_SCENARIOS")
        .map_or(true, |list| list.is_empty() || list.split(',').any(|s| s.trim() == scenario))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut engines = vec!["sqlite"];
    if std::env::var("LICENSEDESK_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        engines.push("postgres");
    }
    let build = if cfg!(debug_assertions) { "debug build" } else { "release build" };
    println!("{CLIENTS} concurrent clients, {REQUESTS} requests per scenario, in-process router ({build})\n");
    println!("| engine | scenario | req/s | p50 | p95 |\n|---|---|---|---|---|");
    for engine in engines {
        let url = database_url(engine).await;
        let f = fixture(&url).await;
        let mut figures: Vec<(&str, Figures)> = Vec::new();
        if wanted("page") {
            let (router, token) = (f.router.clone(), f.admin.clone());
            let page = measure(move |_| {
                let (router, token) = (router.clone(), token.clone());
                async move {
                    call(&router, Some(&token), PAGE, json!({})).await;
                }
            })
            .await;
            figures.push(("subscriptions page of 50 with relations", page));
        }
        if wanted("churn") {
            let (router, token, sub, users) =
                (f.router.clone(), f.admin.clone(), f.subscription.clone(), f.users.clone());
            let churn = measure(move |i| {
                let (router, token, sub) = (router.clone(), token.clone(), sub.clone());
                // Each client works on its own user, so assign + unassign never collide.
                let user = users[(i / 10_000) % users.len()].clone();
                async move {
                    call(&router, Some(&token), ASSIGN, json!({"s": sub, "u": [user]})).await;
                    call(&router, Some(&token), UNASSIGN, json!({"s": sub, "u": [user]})).await;
                }
            })
            .await;
            figures.push(("assign + unassign (2 writes)", churn));
        }
        if wanted("check") {
            // R50: the publisher's app asks about one person (1 client: the latency
            // the p50 ≤ 1 ms target is about; 16 clients: throughput).
            let check = |clients: usize| {
                let (router, token, org, emails) =
                    (f.router.clone(), f.app_token.clone(), f.organization.clone(), f.emails.clone());
                measure_with(clients, move |i| {
                    let (router, token) = (router.clone(), token.clone());
                    let email = emails[i % emails.len()].replace('@', "%40");
                    let path = format!("/api/v1/license-checks?organizationId={org}&email={email}");
                    async move { get(&router, &token, &path).await }
                })
            };
            figures.push(("license check, one person (1 client)", check(1).await));
            figures.push(("license check, one person (16 clients)", check(CLIENTS).await));
        }
        for (name, fig) in figures {
            println!(
                "| {engine} | {name} | {:.0} | {:.1} ms | {:.1} ms |",
                fig.per_second,
                fig.p50.as_secs_f64() * 1e3,
                fig.p95.as_secs_f64() * 1e3
            );
        }
    }
    println!("\npeak resident memory of the whole run: {:.0} MiB", peak_rss_mib());
}
