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
use licensedesk::{app, clock::ManualClock, config::Config, db, state::AppState};
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
    /// Shared by every instance on this database; the last one to go deletes it.
    _database: Arc<DatabaseGuard>,
}

/// Deletes a test database when the last `TestApp` on it is dropped: the
/// PostgreSQL database (its connections ended first) or the SQLite file with
/// its WAL and shared-memory files.
pub struct DatabaseGuard {
    url: String,
}

static GUARDS: std::sync::Mutex<Vec<(String, std::sync::Weak<DatabaseGuard>)>> = std::sync::Mutex::new(Vec::new());

impl DatabaseGuard {
    pub fn for_url(url: &str) -> Arc<DatabaseGuard> {
        let mut guards = GUARDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        guards.retain(|(_, weak)| weak.strong_count() > 0);
        if let Some(guard) = guards.iter().find(|(u, _)| u == url).and_then(|(_, weak)| weak.upgrade()) {
            return guard;
        }
        let guard = Arc::new(DatabaseGuard { url: url.to_owned() });
        guards.push((url.to_owned(), Arc::downgrade(&guard)));
        guard
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let Some(path) = self.url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            return;
        }
        let Ok(server) = std::env::var(POSTGRES_ENV) else { return };
        let Some((_, name)) = self.url.rsplit_once('/') else { return };
        if !name.starts_with("ld_test_") || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return;
        }
        let name = name.to_owned();
        let shown = name.clone();
        // Drop is not async: run the statements on a runtime of their own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(server.as_str()).await.ok()?;
                let end = format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                );
                admin.execute_unprepared(&end).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("test database {shown} was not dropped");
        }
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let url = fresh_database_url().await;
        Self::on_database(&url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")).await
    }

    /// Another instance on the same database: its own pool, its own router.
    pub async fn on_database(url: &str, today: NaiveDate) -> TestApp {
        Self::build(url, today, None, None).await
    }

    /// An instance whose database connection counts every SQL statement it runs.
    pub async fn with_statement_counter(url: &str, counter: Arc<std::sync::atomic::AtomicUsize>) -> TestApp {
        Self::build(url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"), Some(counter), None).await
    }

    /// An instance whose database connection records the SQL text of every statement it runs.
    pub async fn with_statement_log(url: &str, log: Arc<std::sync::Mutex<Vec<String>>>) -> TestApp {
        Self::build(url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"), None, Some(log)).await
    }

    /// An instance on `url` whose configuration `change` adjusts first.
    pub async fn with_config(url: &str, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(url);
        change(&mut config);
        Self::build_with(url, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"), None, None, config).await
    }

    async fn build(
        url: &str,
        today: NaiveDate,
        counter: Option<Arc<std::sync::atomic::AtomicUsize>>,
        log: Option<Arc<std::sync::Mutex<Vec<String>>>>,
    ) -> TestApp {
        Self::build_with(url, today, counter, log, Config::for_tests(url)).await
    }

    async fn build_with(
        url: &str,
        today: NaiveDate,
        counter: Option<Arc<std::sync::atomic::AtomicUsize>>,
        log: Option<Arc<std::sync::Mutex<Vec<String>>>>,
        mut config: Config,
    ) -> TestApp {
        if counter.is_some() {
            // Debug builds on a busy CI machine are slow: give each batch a wide
            // window so that counting statements measures batching, not timing
            // (the default, no timer, batches what is already requested and may
            // split a level in two when the runtime interleaves other work).
            config.dataloader_delay_ms = 100;
        }
        let mut database = db::connect(url).await.expect("connect");
        if let Some(counter) = counter {
            database.set_metric_callback(move |info| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if std::env::var("LD_TRACE_SQL").is_ok() {
                    eprintln!("SQL: {}", &info.statement.sql.chars().take(90).collect::<String>());
                }
            });
        }
        if let Some(log) = log {
            database.set_metric_callback(move |info| {
                if let Ok(mut log) = log.lock() {
                    log.push(info.statement.sql.clone());
                }
            });
        }
        db::migrate(&database).await.expect("migrate");
        let clock = ManualClock::at_date(today);
        let secret = config.jwt_secret.clone().expect("secret");
        let state = AppState::new(database.clone(), config, secret.expose().as_bytes(), Arc::new(clock.clone()))
            .expect("state");
        TestApp {
            router: app::build_router(state.clone()),
            state,
            clock,
            db: database,
            database_url: url.to_owned(),
            _database: DatabaseGuard::for_url(url),
        }
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

    /// `count` plain users named "<prefix> <i>".
    pub async fn users(&self, org: &Org, prefix: &str, count: usize) -> Vec<Person> {
        let mut people = Vec::new();
        for i in 0..count {
            people.push(self.user(org, &format!("{prefix} {i}"), &[]).await);
        }
        people
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

// ---- Commerce set-up (catalog, billing profiles, purchases) ----

pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";

pub fn address(country: &str) -> Value {
    json!({"line1": "1 Main Street", "city": "Springfield", "postalCode": "12345", "country": country})
}

pub fn card(number: &str, country: &str) -> Value {
    json!({"kind": "CREDIT_CARD", "card": {"number": number, "securityCode": "123", "expirationMonth": 12, "expirationYear": 2030,
        "nameOnCard": "Pat Payer", "billingAddress": address(country)}})
}

impl TestApp {
    /// A product of `publisher`; `prices` like [("MONTHLY", "USD", "10.00")].
    pub async fn product(
        &self,
        publisher: &Person,
        name: &str,
        model: &str,
        prices: &[(&str, &str, &str)],
        markets: Option<&[&str]>,
        self_service: bool,
    ) -> String {
        let prices: Vec<Value> =
            prices.iter().map(|(t, c, a)| json!({"term": t, "currency": c, "amount": a})).collect();
        let mut input = json!({"name": name, "description": format!("{name} does things"), "pricingModel": model, "prices": prices,
            "selfServiceEligible": self_service, "portalUrl": "https://portal.example.com/setup", "supportUrl": "https://support.example.com"});
        if let Some(markets) = markets {
            input["markets"] = json!(markets);
        }
        let data = self
            .ok(
                &publisher.token,
                "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
                json!({"i": input}),
            )
            .await;
        data["createProduct"]["id"].as_str().expect("product id").to_owned()
    }

    /// An org billing profile in `country` (created by `token`, an admin), with a card unless `card_number` is None.
    pub async fn billing_profile(&self, token: &str, country: &str, card_number: Option<&str>) -> String {
        self.profile_with(token, country, card_number, false).await
    }

    /// A user's own self-service profile with a card.
    pub async fn personal_profile(&self, token: &str, country: &str, card_number: &str) -> String {
        self.profile_with(token, country, Some(card_number), true).await
    }

    async fn profile_with(&self, token: &str, country: &str, card_number: Option<&str>, self_service: bool) -> String {
        let input = json!({"name": format!("Profile {country}"), "contactName": "Pat Payer", "contactEmail": "pat@example.test",
            "billToAddress": address(country), "selfService": self_service});
        let data = self
            .ok(
                token,
                "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
                json!({"i": input}),
            )
            .await;
        let id = data["createBillingProfile"]["id"].as_str().expect("profile id").to_owned();
        if let Some(number) = card_number {
            self.ok(token, "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }", json!({"p": id, "i": card(number, country)})).await;
        }
        id
    }

    pub async fn accept_agreement(&self, token: &str) {
        self.ok(token, "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await;
    }

    pub const PURCHASE: &'static str =
        "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id status quantity } }";

    /// Buys and returns the subscription id.
    pub async fn buy(&self, token: &str, product: &str, term: &str, quantity: Option<i64>, profile: &str) -> String {
        let data = self
            .ok(
                token,
                Self::PURCHASE,
                json!({"i": {"productId": product, "term": term, "quantity": quantity, "billingProfileId": profile}}),
            )
            .await;
        data["purchaseSubscription"]["id"].as_str().expect("subscription id").to_owned()
    }

    /// A self-service purchase (R25) of `quantity` monthly licenses by
    /// `token`, paid from a new profile of their own; returns the subscription id.
    pub async fn buy_self_service(&self, token: &str, product: &str, quantity: i64) -> String {
        let own = self.personal_profile(token, "US", CARD_OK).await;
        let input = json!({"i": {"productId": product, "term": "MONTHLY", "quantity": quantity,
            "billingProfileId": own, "channel": "SELF_SERVICE"}});
        let bought = self.ok(token, Self::PURCHASE, input).await;
        bought["purchaseSubscription"]["id"].as_str().expect("subscription id").to_owned()
    }

    pub async fn activate(&self, publisher: &Person, subscription: &str) {
        self.ok(
            &publisher.token,
            "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { status } }",
            json!({"s": subscription}),
        )
        .await;
    }

    /// Sum of charge amounts (minor units) and row count for a subscription.
    pub async fn charges_of(&self, subscription: &str) -> Vec<(String, i64)> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let id = Uuid::parse_str(subscription).expect("uuid");
        entity::charge::Entity::find()
            .filter(entity::charge::Column::SubscriptionId.eq(id))
            .order_by_asc(entity::charge::Column::CreatedAt)
            .all(&self.db)
            .await
            .expect("charges")
            .into_iter()
            .map(|c| (c.kind.as_str().to_owned(), c.amount_minor))
            .collect()
    }
}

/// A ready shop: a US organization with agreement and a carded profile, a
/// publisher with a per-license ($10/month, $100/year) and a flat-rate
/// ($50/month) product sold everywhere.
pub struct Shop {
    pub org: Org,
    pub publisher: Person,
    pub per_license: String,
    pub flat: String,
    pub profile: String,
}

impl TestApp {
    pub async fn shop(&self) -> Shop {
        let org = self.register_org("Contoso", "US").await;
        let publisher = self.register_publisher("Fabrikam").await;
        let per_license = self
            .product(
                &publisher,
                "Seat App",
                "PER_LICENSE",
                &[("MONTHLY", "USD", "10.00"), ("ANNUAL", "USD", "100.00"), ("MONTHLY", "EUR", "9.00")],
                None,
                true,
            )
            .await;
        let flat = self.product(&publisher, "Site App", "FLAT_RATE", &[("MONTHLY", "USD", "50.00")], None, false).await;
        self.accept_agreement(&org.admin).await;
        let profile = self.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
        Shop { org, publisher, per_license, flat, profile }
    }
}

// ==== Invoices and the billing run (issue 4: R31–R34) — helpers used by invoices.rs and billing_run.rs ====

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// Every field of an invoice the tests look at.
pub const INVOICE_FIELDS: &str = "id number sequence status issueDate dueDate periodStart periodEnd currency paymentMethod paidAt pdfUrl \
    subtotal { amount currency } total { amount currency } billingProfile { id } \
    lines(first: 20) { productName description periodStart periodEnd quantity unitPrice { amount } amount { amount } }";

impl TestApp {
    /// Moves the clock to `day` and runs billing for it (R33), failing the test on error.
    pub async fn bill(&self, day: NaiveDate) -> licensedesk::service::billing_run::BillingReport {
        self.clock.set_date(day);
        licensedesk::service::billing_run::run_billing(&self.state, day).await.expect("billing run")
    }

    /// An org profile paying by check or wire transfer (R29).
    pub async fn check_or_wire_profile(&self, token: &str, country: &str) -> String {
        let profile = self.billing_profile(token, country, None).await;
        self.ok(
            token,
            "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
            json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}}),
        )
        .await;
        profile
    }

    pub async fn grant_role(&self, token: &str, profile: &str, user: &str, role: &str) {
        self.ok(
            token,
            "mutation($p: ID!, $u: ID!, $r: BillingRole!) { grantBillingRole(billingProfileId: $p, userId: $u, role: $r) { id } }",
            json!({"p": profile, "u": user, "r": role}),
        )
        .await;
    }

    /// One page of `invoices(filter)`: the whole `invoices` connection.
    pub async fn invoice_page(&self, token: &str, filter: Value, first: Option<i64>, after: Option<&str>) -> Value {
        let query = format!(
            "query($f: InvoiceFilter, $first: Int, $after: String) {{ invoices(filter: $f, first: $first, after: $after) \
             {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {INVOICE_FIELDS} }} }} }} }}"
        );
        let data = self.ok(token, &query, json!({"f": filter, "first": first, "after": after})).await;
        data["invoices"].clone()
    }

    /// Every invoice the caller sees issued between `from` and `to`, in pages of 100, newest first.
    pub async fn all_invoices(&self, token: &str, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let filter = json!({"from": from.to_string(), "to": to.to_string()});
            let page = self.invoice_page(token, filter, Some(100), after.as_deref()).await;
            out.extend(page["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()));
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false) {
                return out;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }

    pub async fn invoice(&self, token: &str, id: &str) -> Value {
        let query = format!("query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}");
        self.ok(token, &query, json!({"id": id})).await["invoice"].clone()
    }
}
// ==== end of invoice / billing-run helpers ====

/// A PDF's text: poppler's `pdftotext` reads it by position, as finance
/// tools do (`.ci/run` installs it and sets LICENSEDESK_REQUIRE_PDFTOTEXT);
/// without it, lopdf's pieces (one per font run) compared with the
/// whitespace taken out.
pub struct PdfText {
    pub text: String,
    positional: bool,
}

impl PdfText {
    pub fn read(bytes: &[u8]) -> PdfText {
        use std::io::Write;
        let spawned = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(bytes).expect("write to pdftotext");
                }
                let out = child.wait_with_output().expect("pdftotext");
                assert!(out.status.success(), "pdftotext: {out:?}");
                // No-break spaces ("1 234,56 SEK") come out as spaces.
                PdfText { text: String::from_utf8_lossy(&out.stdout).replace('\u{a0}', " "), positional: true }
            }
            Err(e) => {
                assert!(
                    std::env::var_os("LICENSEDESK_REQUIRE_PDFTOTEXT").is_none(),
                    "LICENSEDESK_REQUIRE_PDFTOTEXT is set but pdftotext does not run: {e}"
                );
                let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
                let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
                let text = doc.extract_text(&pages).expect("text");
                PdfText { text: text.chars().filter(|c| !c.is_whitespace()).collect(), positional: false }
            }
        }
    }

    pub fn contains(&self, needle: &str) -> bool {
        if self.positional {
            self.text.contains(&needle.replace('\u{a0}', " "))
        } else {
            self.text.contains(&needle.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        }
    }
}
