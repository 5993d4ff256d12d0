//! Issue 24 item 2: errors a console can act on without reading the text —
//! `extensions.reason` and the figures for every code with more than one
//! cause — and the defaults the schema documents hold: a sign-up with a
//! country that is no country is refused, `pdfUrl` is absolute (tested in
//! `clients.rs`), an empty `eventTypes` means all (`events.rs`).

use serde_json::{Value, json};

use crate::helpers::*;

fn first_error(response: &Value) -> &Value {
    &response["errors"][0]
}

#[tokio::test]
async fn issue_24_sign_up_refuses_a_country_that_is_no_iso_country() {
    let app = TestApp::spawn().await;
    for country in ["ZZ", "XX", "AA", "UK"] {
        let response = app
            .gql(
                None,
                "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
                json!({"i": {"organizationName": "Nowhere", "country": country, "name": "N", "email": format!("n-{country}@example.test"), "password": PASSWORD}}),
            )
            .await;
        let error = first_error(&response);
        assert_eq!(error["extensions"]["code"], "VALIDATION_FAILED", "{country}: {response}");
        assert_eq!(error["extensions"]["reason"], "BAD_FORMAT", "{response}");
        assert_eq!(error["extensions"]["field"], "country", "{response}");
    }
    assert_eq!(app.count("organizations").await, 0);
    // A real country outside every market still signs up (R8 decides purchases, not sign-up).
    app.register_org("Tokyo", "JP").await;
}

#[tokio::test]
async fn issue_24_query_too_complex_says_which_limit_with_the_cost_and_the_limit() {
    let url = fresh_database_url().await;
    let app = TestApp::with_config(&url, |c| c.query_limits.authenticated.max_cost = 150).await;
    let org = app.register_org("Costly", "SE").await;
    let many = (0..2).map(|i| format!("a{i}: users(first: 100) {{ nodes {{ id }} }}")).collect::<Vec<_>>().join(" ");
    let response = app.gql(Some(&org.admin), &format!("{{ {many} }}"), json!({})).await;
    let ext = &first_error(&response)["extensions"];
    assert_eq!(ext["code"], "QUERY_TOO_COMPLEX", "{response}");
    assert_eq!(ext["reason"], "COST", "{response}");
    let (cost, limit) = (ext["cost"].as_u64().expect("cost"), ext["limit"].as_u64().expect("limit"));
    assert!(cost > limit, "{response}");
    assert_eq!(limit, app.state.config.query_limits.authenticated.max_cost);
    // The message is the translated sentence, not a token.
    assert!(!first_error(&response)["message"].as_str().unwrap_or("").contains("COST"));
}

#[tokio::test]
async fn issue_24_validation_and_not_found_carry_reason_figures_and_entity() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Reasons", "SE").await;
    let long = "x".repeat(300);
    let response = app
        .gql(
            Some(&org.admin),
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({"i": {"name": long, "email": "r@example.test", "password": PASSWORD}}),
        )
        .await;
    let ext = &first_error(&response)["extensions"];
    assert_eq!(ext["code"], "VALIDATION_FAILED", "{response}");
    assert_eq!(ext["reason"], "TOO_LONG", "{response}");
    assert!(ext["max"].is_u64(), "{response}");
    let response = app
        .gql(
            Some(&org.admin),
            "query($i: ID!) { invoice(id: $i) { id } }",
            json!({"i": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    let ext = &first_error(&response)["extensions"];
    assert_eq!(ext["code"], "NOT_FOUND", "{response}");
    assert_eq!(ext["entity"], "INVOICE", "{response}");
}
