//! Demo data, loaded through the public GraphQL API itself (so it always
//! obeys the same rules as a client). Idempotent: if the demo admin exists,
//! nothing is loaded again.

use entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    app::{self, AppState, RequestInfo},
    auth::Caller,
    error::{AppError, AppResult},
    i18n::Lang,
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
            .data(RequestInfo { request_id: "demo-seed".into(), lang: Lang::En, client: None })
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

async fn load(state: &AppState) -> AppResult<()> {
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
    client
        .run(
            Some(&publisher),
            create,
            json!({"i": {"name": "Fabrikam Whiteboard", "description": "An infinite whiteboard for the whole organization.", "pricingModel": "FLAT_RATE",
                "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "120.00"}, {"term": "ANNUAL", "currency": "USD", "amount": "1200.00"}],
                "markets": ["UNITED_STATES", "CANADA", "UNITED_KINGDOM"],
                "portalUrl": "https://portal.fabrikam.example/whiteboard/setup", "supportUrl": "https://support.fabrikam.example/whiteboard"}}),
        )
        .await?;
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
    Ok(())
}
