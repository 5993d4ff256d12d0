//! What the process tests set up through the public GraphQL API before
//! they play a client: publishers with products, customer organizations
//! ready to buy, active subscriptions, people.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{PASSWORD, Server};

/// The `data` of an answer that must have no errors.
pub(crate) async fn data(server: &Server, token: Option<&str>, query: &str, variables: Value) -> Value {
    let response = server.graphql(token, query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

/// A publisher registered under `name`: its admin's token.
pub(crate) async fn publisher(server: &Server, name: &str) -> String {
    data(
        server,
        None,
        "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
        json!({"i": {"publisherName": name, "name": "Pat", "email": format!("pub-{}@{}.test", Uuid::new_v4().simple(), name.to_lowercase()), "password": PASSWORD}}),
    )
    .await["registerPublisher"]["token"]
        .as_str()
        .expect("publisher token")
        .to_owned()
}

/// A per-license product of `publisher` at 10.00 USD a month.
pub(crate) async fn product(server: &Server, publisher: &str, name: &str) -> String {
    data(
        server,
        Some(publisher),
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({"i": {"name": name, "description": "Seats", "pricingModel": "PER_LICENSE",
            "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "10.00"}], "selfServiceEligible": true,
            "portalUrl": "https://portal.example.test/setup", "supportUrl": "https://support.example.test"}}),
    )
    .await["createProduct"]["id"]
        .as_str()
        .expect("product")
        .to_owned()
}

/// The organization of `admin` accepts the agreement and gets a billing
/// profile with a card: the profile.
pub(crate) async fn ready_to_buy(server: &Server, admin: &str) -> String {
    let admin = admin.to_owned();
    data(server, Some(&admin), "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await;
    let address = json!({"line1": "1 Main Street", "city": "Springfield", "postalCode": "12345", "country": "US"});
    let profile = data(
        server,
        Some(&admin),
        "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
        json!({"i": {"name": "Main", "contactName": "Pat Payer", "contactEmail": "pat@example.test", "billToAddress": address, "selfService": false}}),
    )
    .await["createBillingProfile"]["id"]
        .as_str()
        .expect("profile")
        .to_owned();
    data(
        server,
        Some(&admin),
        "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": profile, "i": {"kind": "CREDIT_CARD", "card": {"number": "4242424242424242", "securityCode": "123",
            "expirationMonth": 12, "expirationYear": 2030, "nameOnCard": "Pat Payer", "billingAddress": address}}}),
    )
    .await;
    profile
}

/// An active subscription of `product` (`quantity` seats).
pub(crate) async fn subscription(
    server: &Server,
    admin: &str,
    profile: &str,
    product: &str,
    publisher: &str,
    quantity: i64,
) -> String {
    let id = data(
        server,
        Some(admin),
        "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
        json!({"i": {"productId": product, "term": "MONTHLY", "quantity": quantity, "billingProfileId": profile}}),
    )
    .await["purchaseSubscription"]["id"]
        .as_str()
        .expect("subscription")
        .to_owned();
    data(
        server,
        Some(publisher),
        "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { status } }",
        json!({"s": id}),
    )
    .await;
    id
}

/// A person of `admin`'s organization with `roles`: (id, e-mail).
pub(crate) async fn new_user(server: &Server, admin: &str, name: &str, roles: &[&str]) -> (String, String) {
    let email = format!("{}-{}@contoso.test", name.to_lowercase().replace(' ', "."), Uuid::new_v4().simple());
    let created = data(
        server,
        Some(admin),
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        json!({"i": {"name": name, "email": email, "password": PASSWORD, "roles": roles}}),
    )
    .await;
    (created["createUser"]["id"].as_str().expect("id").to_owned(), email)
}
