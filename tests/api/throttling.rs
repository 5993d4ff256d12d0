//! Issue 20 item 5: sign-in throttling holds under concurrency. The attempt
//! is counted before the password is checked, in the database, so parallel
//! guesses from one client — on one instance or on several sharing the
//! database — get at most `FREE_FAILURES` password checks; the owner signing
//! in from another address is not locked out.

use std::net::{IpAddr, Ipv4Addr};

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use licensedesk::{auth::rate_limit::FREE_FAILURES, state::ClientAddr};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::*;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

/// POST /graphql `login` as if from `client` (what `serve` records from the socket).
async fn login_from(router: axum::Router, client: IpAddr, email: String, password: String) -> Value {
    let body = json!({"query": LOGIN, "variables": {"e": email, "p": password}}).to_string();
    let mut request =
        Request::post("/graphql").header("content-type", "application/json").body(Body::from(body)).expect("request");
    request.extensions_mut().insert(ClientAddr(client));
    let response = router.oneshot(request).await.expect("router");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

fn code(response: &Value) -> String {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or("-").to_owned()
}

/// Sends 60 wrong guesses at once from `attacker`, spread over `routers`
/// (instances); returns how many reached the password check (UNAUTHENTICATED)
/// and how many were refused (RATE_LIMITED).
async fn sixty_parallel_guesses(routers: &[axum::Router], attacker: IpAddr, email: &str) -> (usize, usize) {
    let mut tasks = Vec::new();
    for i in 0..60 {
        let router = routers[i % routers.len()].clone();
        tasks.push(tokio::spawn(login_from(router, attacker, email.to_owned(), format!("wrong-guess-{i}"))));
    }
    let (mut checked, mut refused) = (0, 0);
    for task in tasks {
        let response = task.await.expect("task");
        match code(&response).as_str() {
            "UNAUTHENTICATED" => checked += 1,
            "RATE_LIMITED" => refused += 1,
            other => panic!("a guess must be checked or refused, got {other}: {response}"),
        }
    }
    (checked, refused)
}

/// Issue 20 item 5: 60 concurrent wrong guesses from one client → at most
/// five password checks, the rest RATE_LIMITED; the owner still signs in
/// from another address, while the guessing client waits even with the
/// right password.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_concurrent_guesses_get_at_most_five_checks_and_the_owner_still_signs_in() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let target = app.user(&org, "Target", &[]).await;
    let attacker = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    let owner = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

    let (checked, refused) = sixty_parallel_guesses(std::slice::from_ref(&app.router), attacker, &target.email).await;
    assert!(checked <= FREE_FAILURES as usize, "{checked} of 60 parallel guesses reached the password check");
    assert!(checked >= 1, "the free attempts are checked");
    assert_eq!(checked + refused, 60);

    let guesser = login_from(app.router.clone(), attacker, target.email.clone(), PASSWORD.into()).await;
    assert_eq!(code(&guesser), "RATE_LIMITED", "the guessing client waits, even with the right password");
    let owner_in = login_from(app.router.clone(), owner, target.email.clone(), PASSWORD.into()).await;
    assert!(owner_in["data"]["login"]["token"].is_string(), "the owner on another address signs in: {owner_in}");
}

/// Issue 20 item 5, several instances: the counter is in the shared
/// database, so guesses spread over two instances (two AppStates on one
/// database) get no more checks than on one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_across_two_instances_share_one_limit() {
    let one = TestApp::spawn().await;
    let two = TestApp::on_database(&one.database_url, date(2026, 3, 1)).await;
    let org = one.register_org("Contoso", "US").await;
    let target = one.user(&org, "Target", &[]).await;
    let attacker = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 8));
    let owner = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 21));

    let routers = [one.router.clone(), two.router.clone()];
    let (checked, refused) = sixty_parallel_guesses(&routers, attacker, &target.email).await;
    assert!(checked <= FREE_FAILURES as usize, "{checked} of 60 guesses over two instances were checked");
    assert!(checked >= 1);
    assert_eq!(checked + refused, 60);

    for router in &routers {
        let guesser = login_from(router.clone(), attacker, target.email.clone(), PASSWORD.into()).await;
        assert_eq!(code(&guesser), "RATE_LIMITED", "both instances make the guessing client wait");
    }
    let owner_in = login_from(two.router.clone(), owner, target.email.clone(), PASSWORD.into()).await;
    assert!(owner_in["data"]["login"]["token"].is_string(), "the owner signs in on the other instance: {owner_in}");
}

/// Issue 20 item 5: counting before the check must not make successes count
/// as failures: the owner signing in many times (more than the address's
/// limit) is never refused, and a client whose free failures are used up
/// waits once per doubling (the sixth sequential try is refused).
#[tokio::test]
async fn successes_are_not_counted_as_failures_and_the_sixth_sequential_guess_waits() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let target = app.user(&org, "Target", &[]).await;
    let owner = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 22));
    for i in 0..(licensedesk::auth::rate_limit::ADDRESS_FAILURES + 3) {
        let response = login_from(app.router.clone(), owner, target.email.clone(), PASSWORD.into()).await;
        assert!(response["data"]["login"]["token"].is_string(), "sign-in {i} of the owner: {response}");
    }
    let guesser = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    for i in 0..FREE_FAILURES {
        let response = login_from(app.router.clone(), guesser, target.email.clone(), format!("nope-{i}")).await;
        assert_eq!(code(&response), "UNAUTHENTICATED", "free failure {i}");
    }
    let sixth = login_from(app.router.clone(), guesser, target.email.clone(), "nope-6".into()).await;
    assert_eq!(code(&sixth), "RATE_LIMITED");
    let owner_in = login_from(app.router.clone(), owner, target.email.clone(), PASSWORD.into()).await;
    assert!(owner_in["data"]["login"]["token"].is_string(), "{owner_in}");
}
