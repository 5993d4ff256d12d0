//! Demo data, loaded through the public GraphQL API itself (so it always
//! obeys the same rules as a client). Idempotent: if the demo admin exists,
//! nothing is loaded again.

use entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};

use crate::{
    app,
    auth::Caller,
    clock::ManualClock,
    error::{AppError, AppResult},
    i18n::Lang,
    state::{AppState, RequestInfo},
};

pub const DEMO_PASSWORD: &str = "licensedesk-demo";
pub const DEMO_ADMIN: &str = "admin@contoso.demo";
pub const DEMO_PUBLISHER: &str = "publisher@fabrikam.demo";

struct Client {
    state: AppState,
    schema: app::AppSchema,
}

impl Client {
    /// Runs one operation as the holder of `token` (or anonymously) and returns `data`.
    async fn run(&self, token: Option<&str>, query: &str, variables: Value) -> AppResult<Value> {
        let caller = crate::service::identity::resolve_caller(&self.state, token).await?;
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data::<Caller>(caller)
            .data(RequestInfo { request_id: "demo-seed".into(), lang: Lang::En, client: None, user_agent: None })
            .data(crate::graphql::loaders::new_loaders(&self.state));
        let response = self.schema.execute(request).await;
        if let Some(error) = response.errors.first() {
            return Err(AppError::internal(format!("demo step failed: {}", error.message)));
        }
        response.data.into_json().map_err(AppError::internal)
    }

    fn token(&self, data: &Value, field: &str) -> AppResult<String> {
        data[field]["token"].as_str().map(str::to_owned).ok_or_else(|| AppError::internal("demo: no token"))
    }
}

fn id_of(data: &Value, field: &str) -> AppResult<String> {
    data[field]["id"].as_str().map(str::to_owned).ok_or_else(|| AppError::internal(format!("demo: no id in {field}")))
}

pub async fn seed(state: &AppState) -> AppResult<()> {
    let exists = user::Entity::find().filter(user::Column::Email.eq(DEMO_ADMIN)).one(&state.db).await?.is_some();
    if !exists {
        load(state).await?;
    }
    if state.config.log_format == crate::config::LogFormat::Json {
        // Every line JSON when JSON logs are chosen (issue 24 item 4): the banner as one event.
        tracing::info!(
            graphiql = %format!("http://{}/", state.config.listen),
            login = DEMO_ADMIN,
            password = DEMO_PASSWORD,
            other_accounts = %format!(
                "billing@contoso.demo (BILLING_ADMIN), licenses@contoso.demo (LICENSE_ADMIN), ann@contoso.demo, \
                 bob@contoso.demo, carl@contoso.demo (users), {DEMO_PUBLISHER} (publisher)"
            ),
            "LicenseDesk demo data is loaded"
        );
        return Ok(());
    }
    println!(
        "\nLicenseDesk demo data is loaded. Open GraphiQL at http://{}/ and log in with\n  \
         mutation {{ login(email: \"{DEMO_ADMIN}\", password: \"{DEMO_PASSWORD}\") {{ token }} }}\n\
         then send the token as the header  Authorization: Bearer <token>.\n\
         Other demo accounts (same password): billing@contoso.demo (BILLING_ADMIN), licenses@contoso.demo (LICENSE_ADMIN),\n  \
         ann@contoso.demo, bob@contoso.demo, carl@contoso.demo (users), {DEMO_PUBLISHER} (publisher).\n",
        state.config.listen
    );
    Ok(())
}

/// Months of history the demo data covers: it is loaded as of the first of
/// the month this many months ago, then billed month by month up to today.
pub const DEMO_HISTORY_MONTHS: u32 = 4;

async fn load(state: &AppState) -> AppResult<()> {
    let today = state.services.clock.today();
    let start = today
        .with_day(1)
        .and_then(|first| first.checked_sub_months(Months::new(DEMO_HISTORY_MONTHS)))
        .ok_or_else(|| AppError::internal("demo: no start date"))?;
    // The same database and keys, with a clock of its own that the billing runs move.
    let clock = ManualClock::at_date(start);
    let mut past = state.clone();
    past.services.clock = Arc::new(clock.clone());
    let state = &past;
    let client = Client { state: state.clone(), schema: app::build_schema(state) };
    let org = client
        .run(
            None,
            "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
            json!({"i": {"organizationName": "Contoso (demo)", "country": "US", "name": "Alex Admin", "email": DEMO_ADMIN, "password": DEMO_PASSWORD}}),
        )
        .await?;
    let admin = client.token(&org, "registerOrganization")?;
    let mut people = Vec::new();
    for (name, email, roles) in [
        ("Bea Billing", "billing@contoso.demo", vec!["BILLING_ADMIN"]),
        ("Leo Licenses", "licenses@contoso.demo", vec!["LICENSE_ADMIN"]),
        ("Ann Andersson", "ann@contoso.demo", vec![]),
        ("Bob Berg", "bob@contoso.demo", vec![]),
        ("Carl Carlsson", "carl@contoso.demo", vec![]),
    ] {
        let data = client
            .run(
                Some(&admin),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({"i": {"name": name, "email": email, "password": DEMO_PASSWORD, "roles": roles}}),
            )
            .await?;
        people.push(id_of(&data, "createUser")?);
    }
    let publisher = client
        .run(
            None,
            "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
            json!({"i": {"publisherName": "Fabrikam Apps (demo)", "name": "Pia Publisher", "email": DEMO_PUBLISHER, "password": DEMO_PASSWORD}}),
        )
        .await?;
    let publisher = client.token(&publisher, "registerPublisher")?;
    let create = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let chat = client
        .run(
            Some(&publisher),
            create,
            json!({"i": {"name": "Fabrikam Chat", "description": "Team chat with threads and video calls.", "pricingModel": "PER_LICENSE",
                "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "8.00"}, {"term": "ANNUAL", "currency": "USD", "amount": "80.00"},
                           {"term": "MONTHLY", "currency": "EUR", "amount": "7.50"}, {"term": "MONTHLY", "currency": "GBP", "amount": "6.50"}],
                "selfServiceEligible": true, "portalUrl": "https://portal.fabrikam.example/chat/setup", "supportUrl": "https://support.fabrikam.example/chat"}}),
        )
        .await?;
    let chat = id_of(&chat, "createProduct")?;
    let whiteboard = client
        .run(
            Some(&publisher),
            create,
            json!({"i": {"name": "Fabrikam Whiteboard", "description": "An infinite whiteboard for the whole organization.", "pricingModel": "FLAT_RATE",
                "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "120.00"}, {"term": "ANNUAL", "currency": "USD", "amount": "1200.00"}],
                "markets": ["UNITED_STATES", "CANADA", "UNITED_KINGDOM"],
                "portalUrl": "https://portal.fabrikam.example/whiteboard/setup", "supportUrl": "https://support.fabrikam.example/whiteboard"}}),
        )
        .await?;
    let whiteboard = id_of(&whiteboard, "createProduct")?;
    client.run(Some(&admin), "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await?;
    let profile = client
        .run(
            Some(&admin),
            "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
            json!({"i": {"name": "Contoso main", "contactName": "Bea Billing", "contactEmail": "billing@contoso.demo",
                "billToAddress": {"line1": "1 Microsoft Way", "city": "Redmond", "region": "WA", "postalCode": "98052", "country": "US"}, "poNumber": "PO-1001"}}),
        )
        .await?;
    let profile = id_of(&profile, "createBillingProfile")?;
    client
        .run(
            Some(&admin),
            "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
            json!({"p": profile, "i": {"kind": "CREDIT_CARD", "card": {"number": "4242424242424242", "securityCode": "123", "expirationMonth": 12,
                "expirationYear": 2030, "nameOnCard": "Bea Billing",
                "billingAddress": {"line1": "1 Microsoft Way", "city": "Redmond", "region": "WA", "postalCode": "98052", "country": "US"}}}}),
        )
        .await?;
    let sub = client
        .run(
            Some(&admin),
            "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
            json!({"i": {"productId": chat, "term": "MONTHLY", "quantity": 10, "billingProfileId": profile, "idempotencyKey": "demo-chat"}}),
        )
        .await?;
    let sub = id_of(&sub, "purchaseSubscription")?;
    client
        .run(
            Some(&publisher),
            "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { id } }",
            json!({"s": sub}),
        )
        .await?;
    client
        .run(
            Some(&admin),
            "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
            json!({"s": sub, "u": [people[2], people[3]]}),
        )
        .await?;
    let more = More { client: &client, admin: &admin, publisher: &publisher, chat: &chat, whiteboard: &whiteboard };
    more.load(state, &clock, start, today).await
}

/// The rest of the tour: a flat-rate subscription paid by wire, a
/// self-service purchase, a declined card, a proposal waiting, and the
/// months of billing that give them invoices (issue 13 item 8).
struct More<'a> {
    client: &'a Client,
    admin: &'a str,
    publisher: &'a str,
    chat: &'a str,
    whiteboard: &'a str,
}

const CREATE_PROFILE: &str = "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }";
const ADD_PAYMENT: &str =
    "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }";
const PURCHASE: &str = "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }";
const ACTIVATE: &str = "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { id } }";

fn demo_address() -> Value {
    json!({"line1": "1 Microsoft Way", "city": "Redmond", "region": "WA", "postalCode": "98052", "country": "US"})
}

fn demo_card(number: &str, name: &str) -> Value {
    json!({"kind": "CREDIT_CARD", "card": {"number": number, "securityCode": "123", "expirationMonth": 12,
        "expirationYear": 2030, "nameOnCard": name, "billingAddress": demo_address()}})
}

impl More<'_> {
    async fn profile(&self, token: &str, name: &str, self_service: bool, payment: Value) -> AppResult<String> {
        let input = json!({"name": name, "contactName": "Bea Billing", "contactEmail": "billing@contoso.demo",
            "billToAddress": demo_address(), "selfService": self_service});
        let profile =
            id_of(&self.client.run(Some(token), CREATE_PROFILE, json!({"i": input})).await?, "createBillingProfile")?;
        self.client.run(Some(token), ADD_PAYMENT, json!({"p": profile, "i": payment})).await?;
        Ok(profile)
    }

    async fn buy(&self, token: &str, input: Value) -> AppResult<String> {
        let sub = id_of(&self.client.run(Some(token), PURCHASE, json!({"i": input})).await?, "purchaseSubscription")?;
        self.client.run(Some(self.publisher), ACTIVATE, json!({"s": sub})).await?;
        Ok(sub)
    }

    async fn load(&self, state: &AppState, clock: &ManualClock, start: NaiveDate, today: NaiveDate) -> AppResult<()> {
        let (client, admin) = (self.client, self.admin);
        // Flat rate, unlimited licenses, paid by check or wire transfer.
        let wire = self.profile(admin, "Contoso facilities", false, json!({"kind": "CHECK_OR_WIRE"})).await?;
        self.buy(
            admin,
            json!({"productId": self.whiteboard, "term": "MONTHLY", "billingProfileId": wire,
            "idempotencyKey": "demo-whiteboard"}),
        )
        .await?;
        // A card the offline processor declines (R34): its invoices stay unpaid.
        let declined = self.profile(admin, "Contoso labs", false, demo_card("4000000000000002", "Bea Billing")).await?;
        self.buy(
            admin,
            json!({"productId": self.chat, "term": "MONTHLY", "quantity": 3, "billingProfileId": declined,
            "idempotencyKey": "demo-labs"}),
        )
        .await?;
        // Ann buys Chat for herself with her own card (R24–R27).
        let ann = client
            .run(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": "ann@contoso.demo", "p": DEMO_PASSWORD}),
            )
            .await?;
        let ann = client.token(&ann, "login")?;
        client.run(Some(&ann), "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await?;
        let own = self.profile(&ann, "Ann's own", true, demo_card("5555555555554444", "Ann Andersson")).await?;
        self.buy(
            &ann,
            json!({"productId": self.chat, "term": "MONTHLY", "quantity": 1, "billingProfileId": own,
            "channel": "SELF_SERVICE", "idempotencyKey": "demo-ann"}),
        )
        .await?;
        // A year of Chat for the finance team, canceled early in the last
        // month: its credit exceeds that month's charges, so the invoice is
        // CREDITED and the main profile has a credit balance to refund (R44).
        let main = client.run(Some(admin), "{ billingProfiles { nodes { id name } } }", json!({})).await?;
        let main = main["billingProfiles"]["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["name"] == "Contoso main"))
            .and_then(|n| n["id"].as_str())
            .ok_or_else(|| AppError::internal("demo: no main profile"))?
            .to_owned();
        let annual = self
            .buy(
                admin,
                json!({"productId": self.chat, "term": "ANNUAL", "quantity": 5, "billingProfileId": main,
                "idempotencyKey": "demo-annual"}),
            )
            .await?;
        // Months of billing: invoices issued on each 1st, cards charged; the
        // wire transfers arrive for every invoice but the newest.
        let mut day = start;
        while let Some(next) = day.checked_add_months(Months::new(1)).filter(|next| *next <= today) {
            let last = next.checked_add_months(Months::new(1)).is_none_or(|after| after > today);
            if last {
                clock.set_date(day + chrono::Days::new(4));
                client
                    .run(
                        Some(admin),
                        "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE) { id } }",
                        json!({"s": annual}),
                    )
                    .await?;
            }
            self.mark_wire_invoices_paid(&wire, start, next).await?;
            day = next;
            clock.set_date(day);
            crate::service::billing_run::run_billing(state, day).await?;
        }
        if day < today {
            clock.set_date(today);
            crate::service::billing_run::run_billing(state, today).await?;
        }
        // A proposal waiting for the organization to accept it (R9).
        let me = client.run(Some(admin), "{ me { organization { id } } }", json!({})).await?;
        let org = me["me"]["organization"]["id"].as_str().ok_or_else(|| AppError::internal("demo: no organization"))?;
        client
            .run(
                Some(self.publisher),
                "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id } }",
                json!({"i": {"organizationId": org, "title": "Whiteboard for the whole year",
                    "lines": [{"productId": self.whiteboard, "term": "ANNUAL"}]}}),
            )
            .await?;
        Ok(())
    }

    async fn mark_wire_invoices_paid(&self, profile: &str, from: NaiveDate, to: NaiveDate) -> AppResult<()> {
        let list = self
            .client
            .run(
                Some(self.admin),
                "query($f: InvoiceFilter) { invoices(filter: $f, first: 100) { nodes { id status } } }",
                json!({"f": {"period": "CUSTOM", "from": from.to_string(), "to": to.to_string(), "billingProfileId": profile}}),
            )
            .await?;
        for invoice in list["invoices"]["nodes"].as_array().into_iter().flatten() {
            if matches!(invoice["status"].as_str(), Some("OPEN" | "OVERDUE")) {
                self.client
                    .run(
                        Some(self.admin),
                        "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { status } }",
                        json!({"i": invoice["id"]}),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
