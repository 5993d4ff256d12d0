#![allow(dead_code)] // shared by every test module; not each uses every helper
//! Test harness: every test gets a fresh database (a new SQLite file, or a new
//! PostgreSQL database when LICENSEDESK_TEST_POSTGRES_URL is set) and drives
//! the real HTTP router in-process.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use licensedesk::{
    app::{self, AppState},
    clock::ManualClock,
    config::Config,
    db,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const POSTGRES_ENV: &str = "LICENSEDESK_TEST_POSTGRES_URL";
pub const PASSWORD: &str = "correct-horse-battery";

pub fn engine_is_postgres() -> bool {
    std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty())
}

/// A fresh, migrated database URL for one test.
pub async fn fresh_database_url() -> String {
    match std::env::var(POSTGRES_ENV) {
        Ok(server) if !server.is_empty() => {
            let name = format!("ld_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(server.as_str()).await.expect("connect to PostgreSQL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = server.rsplit_once('/').map(|(base, _)| base).unwrap_or(&server);
            format!("{base}/{name}")
        }
        _ => {
            let path = std::env::temp_dir().join(format!("licensedesk-test-{}.db", Uuid::new_v4().simple()));
            format!("sqlite://{}?mode=rwc", path.display())
        }
    }
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: ManualClock,
    pub db: DatabaseConnection,
    pub database_url: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let url = fresh_database_url().await;
        Self::on_database(&url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")).await
    }

    /// Another instance on the same database: its own pool, its own router.
    pub async fn on_database(url: &str, today: NaiveDate) -> TestApp {
        let config = Config::for_tests(url);
        let database = db::connect(url).await.expect("connect");
        db::migrate(&database).await.expect("migrate");
        let clock = ManualClock::at_date(today);
        let secret = config.jwt_secret.clone().expect("secret");
        let state = AppState::new(database.clone(), config, secret.expose().as_bytes(), Arc::new(clock.clone()))
            .expect("state");
        TestApp { router: app::build_router(state.clone()), state, clock, db: database, database_url: url.to_owned() }
    }

    /// Sends a raw HTTP request through the router.
    pub async fn http(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.expect("router");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, bytes)
    }

    /// POST /graphql; returns the whole JSON response.
    pub async fn gql_full(&self, token: Option<&str>, query: &str, variables: Value, lang: Option<&str>) -> Value {
        let mut builder = Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(lang) = lang {
            builder = builder.header("accept-language", lang);
        }
        let body = json!({"query": query, "variables": variables}).to_string();
        let (status, bytes) = self.http(builder.body(Body::from(body)).expect("request")).await;
        let value: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
        assert!(status.is_success() || value.get("errors").is_some(), "HTTP {status}: {value}");
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "500: {value}");
        value
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_full(token, query, variables, None).await
    }

    /// Expects success; returns `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.gql(Some(token), query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    /// Expects exactly one error; returns its `extensions.code`.
    pub async fn err(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let response = self.gql(token, query, variables).await;
        let errors = response["errors"].as_array().unwrap_or_else(|| panic!("expected an error, got {response}"));
        assert!(!errors.is_empty(), "expected an error, got {response}");
        let code = errors[0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("error without code: {response}"));
        code.to_owned()
    }

    /// Registers an organization; returns (token, org id, admin user id).
    pub async fn register_org(&self, name: &str, country: &str) -> Org {
        let email = format!("admin-{}@{}.test", Uuid::new_v4().simple(), name.to_lowercase().replace(' ', ""));
        let data = self
            .ok_anon(
                "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token user { id organization { id } } } }",
                json!({"i": {"organizationName": name, "country": country, "name": format!("{name} Admin"), "email": email, "password": PASSWORD}}),
            )
            .await;
        let payload = &data["registerOrganization"];
        Org {
            admin: payload["token"].as_str().expect("token").to_owned(),
            admin_id: payload["user"]["id"].as_str().expect("id").to_owned(),
            id: payload["user"]["organization"]["id"].as_str().expect("org id").to_owned(),
        }
    }

    pub async fn ok_anon(&self, query: &str, variables: Value) -> Value {
        let response = self.gql(None, query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    /// Creates a user with `roles` in the admin's organization and logs them in.
    pub async fn user(&self, org: &Org, name: &str, roles: &[&str]) -> Person {
        let email = format!("{}-{}@example.test", name.to_lowercase().replace(' ', "."), Uuid::new_v4().simple());
        let data = self
            .ok(
                &org.admin,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({"i": {"name": name, "email": email, "password": PASSWORD, "roles": roles}}),
            )
            .await;
        let id = data["createUser"]["id"].as_str().expect("id").to_owned();
        let token = self.login(&email).await;
        Person { id, token, email }
    }

    pub async fn login(&self, email: &str) -> String {
        let data = self
            .ok_anon(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": email, "p": PASSWORD}),
            )
            .await;
        data["login"]["token"].as_str().expect("token").to_owned()
    }

    /// Registers a publisher; returns its token.
    pub async fn register_publisher(&self, name: &str) -> Person {
        let email = format!("pub-{}@publisher.test", Uuid::new_v4().simple());
        let data = self
            .ok_anon(
                "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token user { id } } }",
                json!({"i": {"publisherName": name, "name": format!("{name} Owner"), "email": email, "password": PASSWORD}}),
            )
            .await;
        Person {
            id: data["registerPublisher"]["user"]["id"].as_str().expect("id").to_owned(),
            token: data["registerPublisher"]["token"].as_str().expect("token").to_owned(),
            email,
        }
    }

    /// Counts rows of a table (for "nothing changed" checks).
    pub async fn count(&self, table: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, format!("SELECT COUNT(*) AS n FROM {table}")))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

pub struct Org {
    pub admin: String,
    pub admin_id: String,
    pub id: String,
}

pub struct Person {
    pub id: String,
    pub token: String,
    pub email: String,
}
