//! Issue 12 §2 and §8: every string input of the API — each string field of
//! every input type and each string argument — gets NUL, a bell, a line
//! break, over-long, right-to-left and emoji text, one input at a time with
//! valid values everywhere else (so that the resolver really reaches it).
//! Never INTERNAL; NUL and the bell are VALIDATION_FAILED naming a field. A
//! check over `schema.graphql` fails when a new string input is not listed
//! here. IDs are fuzzed too (a malformed ID is NOT_FOUND, R3).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{PASSWORD, Server, code, fresh_database_url};

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Admin,
    Publisher,
}

struct Ids {
    org: String,
    product: String,
    profile: String,
    card_profile: String,
    payment_method: String,
    subscription: String,
}

/// (caller, document, valid variables, the string inputs: JSON pointer into
/// the variables and the schema name it covers, "Type.field" or "Root.field.arg").
type Case = (Who, &'static str, fn(&Ids, usize) -> Value, &'static [(&'static str, &'static str)]);

fn address() -> Value {
    json!({"line1": "1 Main St", "line2": "Floor 2", "city": "Redmond", "region": "WA", "postalCode": "98052", "country": "US"})
}

fn card() -> Value {
    json!({"number": "4242424242424242", "securityCode": "123", "expirationMonth": 12, "expirationYear": 2031,
        "nameOnCard": "Bea", "billingAddress": address()})
}

fn cases() -> Vec<Case> {
    vec![
        (
            Who::Nobody,
            "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
            |_, n| json!({"i": {"organizationName": "Org", "country": "US", "name": "Ada", "email": format!("org{n}@x.example"), "password": "0123456789ab"}}),
            &[
                ("/i/organizationName", "RegisterOrganizationInput.organizationName"),
                ("/i/country", "RegisterOrganizationInput.country"),
                ("/i/name", "RegisterOrganizationInput.name"),
                ("/i/email", "RegisterOrganizationInput.email"),
                ("/i/password", "RegisterOrganizationInput.password"),
            ],
        ),
        (
            Who::Nobody,
            "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
            |_, n| json!({"i": {"publisherName": "Pub", "name": "Pat", "email": format!("pub{n}@x.example"), "password": "0123456789ab"}}),
            &[
                ("/i/publisherName", "RegisterPublisherInput.publisherName"),
                ("/i/name", "RegisterPublisherInput.name"),
                ("/i/email", "RegisterPublisherInput.email"),
                ("/i/password", "RegisterPublisherInput.password"),
            ],
        ),
        (
            Who::Nobody,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            |_, n| json!({"e": format!("nobody{n}@x.example"), "p": "wrong-password-1"}),
            &[("/e", "Mutation.login.email"), ("/p", "Mutation.login.password")],
        ),
        (
            Who::Admin,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            |_, n| json!({"i": {"name": "Bo", "email": format!("user{n}@x.example"), "password": "0123456789ab"}}),
            &[
                ("/i/name", "CreateUserInput.name"),
                ("/i/email", "CreateUserInput.email"),
                ("/i/password", "CreateUserInput.password"),
            ],
        ),
        (
            Who::Admin,
            "query($s: String, $a: String) { users(search: $s, after: $a) { totalCount } }",
            |_, _| json!({"s": "bo", "a": null}),
            &[("/s", "Query.users.search"), ("/a", "Query.users.after")],
        ),
        (
            Who::Admin,
            "query($s: String, $a: String) { products(filter: {search: $s}, after: $a) { totalCount } }",
            |_, _| json!({"s": "chat", "a": null}),
            &[("/s", "ProductFilter.search"), ("/a", "Query.products.after")],
        ),
        (
            Who::Admin,
            "query($t: String, $x: String, $a: String) { auditEvents(filter: {objectType: $t, action: $x}, after: $a) { totalCount } }",
            |_, _| json!({"t": "user", "x": "user.create", "a": null}),
            &[
                ("/t", "AuditEventFilter.objectType"),
                ("/x", "AuditEventFilter.action"),
                ("/a", "Query.auditEvents.after"),
            ],
        ),
        (
            Who::Admin,
            "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
            |_, _| json!({"i": {"name": "Main", "contactName": "Bea", "contactEmail": "bea@x.example", "billToAddress": address(), "poNumber": "PO-1", "language": "sv"}}),
            &[
                ("/i/name", "CreateBillingProfileInput.name"),
                ("/i/language", "CreateBillingProfileInput.language"),
                ("/i/contactName", "CreateBillingProfileInput.contactName"),
                ("/i/contactEmail", "CreateBillingProfileInput.contactEmail"),
                ("/i/poNumber", "CreateBillingProfileInput.poNumber"),
                ("/i/billToAddress/line1", "AddressInput.line1"),
                ("/i/billToAddress/line2", "AddressInput.line2"),
                ("/i/billToAddress/city", "AddressInput.city"),
                ("/i/billToAddress/region", "AddressInput.region"),
                ("/i/billToAddress/postalCode", "AddressInput.postalCode"),
                ("/i/billToAddress/country", "AddressInput.country"),
            ],
        ),
        (
            Who::Admin,
            "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id } }",
            |ids, _| json!({"id": ids.profile, "i": {"name": "Main 2", "contactName": "Bea", "contactEmail": "bea@x.example", "poNumber": "PO-2", "language": "nl"}}),
            &[
                ("/id", "Mutation.updateBillingProfile.id"),
                ("/i/language", "UpdateBillingProfileInput.language"),
                ("/i/name", "UpdateBillingProfileInput.name"),
                ("/i/contactName", "UpdateBillingProfileInput.contactName"),
                ("/i/contactEmail", "UpdateBillingProfileInput.contactEmail"),
                ("/i/poNumber", "UpdateBillingProfileInput.poNumber"),
            ],
        ),
        (
            Who::Admin,
            "mutation($b: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $b, input: $i) { last4 } }",
            |ids, _| json!({"b": ids.profile, "i": {"kind": "CREDIT_CARD", "card": card()}}),
            &[
                ("/b", "Mutation.addPaymentMethod.billingProfileId"),
                ("/i/card/number", "CardInput.number"),
                ("/i/card/securityCode", "CardInput.securityCode"),
                ("/i/card/nameOnCard", "CardInput.nameOnCard"),
                ("/i/card/billingAddress/city", "AddressInput.city"),
            ],
        ),
        (
            Who::Admin,
            "mutation($p: ID!, $i: UpdatePaymentMethodInput!) { updatePaymentMethod(paymentMethodId: $p, input: $i) { last4 } }",
            |ids, _| json!({"p": ids.payment_method, "i": {"securityCode": "321", "nameOnCard": "Bea B", "billingAddress": address()}}),
            &[
                ("/p", "Mutation.updatePaymentMethod.paymentMethodId"),
                ("/i/securityCode", "UpdatePaymentMethodInput.securityCode"),
                ("/i/nameOnCard", "UpdatePaymentMethodInput.nameOnCard"),
                ("/i/billingAddress/line1", "AddressInput.line1"),
            ],
        ),
        (
            Who::Publisher,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            |_, n| {
                json!({"i": {"name": format!("Tool {n}"), "description": "A tool", "pricingModel": "PER_LICENSE",
                "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "8.00"}], "markets": ["UNITED_STATES"],
                "selfServiceEligible": true, "portalUrl": "https://portal.example/setup", "supportUrl": "https://support.example",
                "supportEmail": "help@support.example"}})
            },
            &[
                ("/i/name", "CreateProductInput.name"),
                ("/i/description", "CreateProductInput.description"),
                ("/i/portalUrl", "CreateProductInput.portalUrl"),
                ("/i/supportUrl", "CreateProductInput.supportUrl"),
                ("/i/supportEmail", "CreateProductInput.supportEmail"),
                ("/i/prices/0/currency", "PriceInput.currency"),
                ("/i/prices/0/amount", "PriceInput.amount"),
            ],
        ),
        (
            Who::Publisher,
            "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }",
            |ids, _| json!({"id": ids.product, "i": {"name": "Chat", "description": "Team chat", "portalUrl": "https://portal.example/a", "supportUrl": "https://support.example/a", "supportEmail": "help@support.example"}}),
            &[
                ("/id", "Mutation.updateProduct.id"),
                ("/i/name", "UpdateProductInput.name"),
                ("/i/description", "UpdateProductInput.description"),
                ("/i/portalUrl", "UpdateProductInput.portalUrl"),
                ("/i/supportUrl", "UpdateProductInput.supportUrl"),
                ("/i/supportEmail", "UpdateProductInput.supportEmail"),
            ],
        ),
        (
            Who::Publisher,
            "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { client { id } } }",
            |_, n| json!({"i": {"name": format!("Portal {n}"), "redirectUris": ["https://portal.example/cb"]}}),
            &[("/i/name", "CreateApiClientInput.name"), ("/i/redirectUris/0", "CreateApiClientInput.redirectUris")],
        ),
        (
            // R53: an unknown client answers NOT_FOUND after the input checks.
            Who::Publisher,
            "mutation($c: ID!, $i: UpdateApiClientInput!) { updateApiClient(apiClientId: $c, input: $i) { id } }",
            |_, _| json!({"c": Uuid::new_v4().to_string(), "i": {"name": "Portal", "redirectUris": ["https://portal.example/cb"]}}),
            &[
                ("/c", "Mutation.updateApiClient.apiClientId"),
                ("/i/name", "UpdateApiClientInput.name"),
                ("/i/redirectUris/0", "UpdateApiClientInput.redirectUris"),
            ],
        ),
        (
            Who::Admin,
            "mutation($id: ID!) { revokePortalConsent(id: $id) { id } }",
            |_, _| json!({"id": Uuid::new_v4().to_string()}),
            &[("/id", "Mutation.revokePortalConsent.id")],
        ),
        (
            Who::Admin,
            "mutation($i: SingleSignOnInput!) { configureSingleSignOn(input: $i) { issuer } }",
            |_, _| json!({"i": {"issuer": "https://login.example.com/tenant/v2.0", "clientId": "licensedesk", "clientSecret": "s3cret-value", "allowedDomains": ["x.example"], "enabled": false}}),
            &[
                ("/i/issuer", "SingleSignOnInput.issuer"),
                ("/i/clientId", "SingleSignOnInput.clientId"),
                ("/i/clientSecret", "SingleSignOnInput.clientSecret"),
            ],
        ),
        (
            Who::Publisher,
            "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id } }",
            |ids, _| {
                json!({"i": {"organizationId": ids.org, "title": "Offer", "lines": [{"productId": ids.product, "term": "MONTHLY", "quantity": 5,
                "unitPrice": {"amount": "7.50", "currency": "USD"}}]}})
            },
            &[
                ("/i/organizationId", "CreateProposalInput.organizationId"),
                ("/i/title", "CreateProposalInput.title"),
                ("/i/lines/0/productId", "ProposalLineInput.productId"),
                ("/i/lines/0/unitPrice/amount", "PriceAmountInput.amount"),
                ("/i/lines/0/unitPrice/currency", "PriceAmountInput.currency"),
            ],
        ),
        (
            Who::Nobody,
            "mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { token } }",
            |_, n| json!({"i": {"partnerName": "Adatum", "country": "US", "name": "Pia", "email": format!("partner{n}@x.example"), "password": "0123456789ab"}}),
            &[
                ("/i/partnerName", "RegisterPartnerInput.partnerName"),
                ("/i/country", "RegisterPartnerInput.country"),
                ("/i/name", "RegisterPartnerInput.name"),
                ("/i/email", "RegisterPartnerInput.email"),
                ("/i/password", "RegisterPartnerInput.password"),
            ],
        ),
        (
            // An org admin is not a partner (FORBIDDEN); control characters are refused before that.
            Who::Admin,
            "mutation($i: PurchaseForCustomerInput!) { purchaseForCustomer(input: $i) { id } }",
            |ids, n| {
                json!({"i": {"organizationId": ids.org, "productId": ids.product, "term": "MONTHLY", "quantity": 1,
                "billingProfileId": ids.card_profile, "idempotencyKey": format!("partner-key-{n}")}})
            },
            &[("/i/idempotencyKey", "PurchaseForCustomerInput.idempotencyKey")],
        ),
        (
            Who::Admin,
            "mutation($p: ID!, $r: String!) { declineProposal(proposalId: $p, reason: $r) { id } }",
            |_, _| json!({"p": Uuid::new_v4().to_string(), "r": "Too dear"}),
            &[("/p", "Mutation.declineProposal.proposalId"), ("/r", "Mutation.declineProposal.reason")],
        ),
        (
            Who::Publisher,
            "mutation($t: String!) { activateWithPurchaseToken(token: $t) { id } }",
            |_, n| json!({"t": format!("no-such-token-{n}")}),
            &[("/t", "Mutation.activateWithPurchaseToken.token")],
        ),
        (
            Who::Publisher,
            "query($t: String!) { resolvePurchaseToken(token: $t) { id } }",
            |_, n| json!({"t": format!("no-such-token-{n}")}),
            &[("/t", "Query.resolvePurchaseToken.token")],
        ),
        (
            Who::Admin,
            "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
            |ids, n| {
                json!({"i": {"productId": ids.product, "term": "MONTHLY", "quantity": 2, "billingProfileId": ids.card_profile,
                "partnerName": "Partner", "partnerId": "P-1", "idempotencyKey": format!("key-{n}")}})
            },
            &[
                ("/i/productId", "PurchaseSubscriptionInput.productId"),
                ("/i/billingProfileId", "PurchaseSubscriptionInput.billingProfileId"),
                ("/i/partnerName", "PurchaseSubscriptionInput.partnerName"),
                ("/i/partnerId", "PurchaseSubscriptionInput.partnerId"),
                ("/i/idempotencyKey", "PurchaseSubscriptionInput.idempotencyKey"),
            ],
        ),
        (
            Who::Admin,
            "mutation($p: ID!, $b: ID!, $k: String) { acceptProposal(proposalId: $p, billingProfileId: $b, idempotencyKey: $k) { id } }",
            |ids, n| json!({"p": Uuid::new_v4().to_string(), "b": ids.card_profile, "k": format!("accept-{n}")}),
            &[("/p", "Mutation.acceptProposal.proposalId"), ("/k", "Mutation.acceptProposal.idempotencyKey")],
        ),
        (
            Who::Admin,
            "mutation($s: ID!, $f: String) { cancelSubscription(subscriptionId: $s, reason: OTHER, feedback: $f) { status } }",
            |ids, _| json!({"s": ids.subscription, "f": "Too dear"}),
            &[("/s", "Mutation.cancelSubscription.subscriptionId"), ("/f", "Mutation.cancelSubscription.feedback")],
        ),
        (
            Who::Publisher,
            "mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: [SUBSCRIPTION_PURCHASED]) { secret } }",
            |_, n| json!({"u": format!("https://hooks.example/{n}")}),
            &[("/u", "Mutation.createWebhookEndpoint.url")],
        ),
        (
            Who::Admin,
            "mutation($b: ID!, $k: String!) { refundCreditBalance(billingProfileId: $b, idempotencyKey: $k) { paymentMethod } }",
            |ids, n| json!({"b": ids.card_profile, "k": format!("refund-{n}")}),
            &[
                ("/b", "Mutation.refundCreditBalance.billingProfileId"),
                ("/k", "Mutation.refundCreditBalance.idempotencyKey"),
            ],
        ),
        (
            Who::Admin,
            "query($s: ID!, $p: ID!) { subscription(id: $s) { id } product(id: $p) { id } }",
            |ids, _| json!({"s": ids.subscription, "p": ids.product}),
            &[("/s", "Query.subscription.id"), ("/p", "Query.product.id")],
        ),
        (
            Who::Admin,
            "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }",
            |ids, _| json!({"s": ids.subscription, "u": [Uuid::new_v4().to_string()]}),
            &[("/u/0", "Mutation.assignLicenses.userIds")],
        ),
        (
            // R41: the method is in use, so the valid call answers INVALID_STATE.
            Who::Admin,
            "mutation($m: ID!) { removePaymentMethod(paymentMethodId: $m) { id } }",
            |ids, _| json!({"m": ids.payment_method}),
            &[("/m", "Mutation.removePaymentMethod.paymentMethodId")],
        ),
        (
            Who::Admin,
            "mutation($b: ID!, $m: ID!) { useExistingPaymentMethod(billingProfileId: $b, paymentMethodId: $m) { id } }",
            |ids, _| json!({"b": ids.profile, "m": ids.payment_method}),
            &[
                ("/b", "Mutation.useExistingPaymentMethod.billingProfileId"),
                ("/m", "Mutation.useExistingPaymentMethod.paymentMethodId"),
            ],
        ),
    ]
}

/// Every string input of the schema (fields of input types, arguments of
/// root fields), except page cursors (`after`, one paging code, fuzzed on
/// three lists) and ID arguments (fuzzed where listed above).
fn string_inputs_of_schema() -> BTreeSet<String> {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    let mut inputs = BTreeSet::new();
    let mut block: Option<(bool, String)> = None; // (is input type, name)
    let mut in_doc = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("\"\"\"") {
            if !(trimmed.len() > 3 && trimmed.ends_with("\"\"\"")) {
                in_doc = !in_doc;
            }
            continue;
        }
        if in_doc || trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("input ") {
            block = Some((true, rest.split_whitespace().next().unwrap_or_default().to_owned()));
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("type ") {
            let name = rest.split_whitespace().next().unwrap_or_default().to_owned();
            let root = matches!(name.as_str(), "Query" | "Mutation");
            block = root.then_some((false, name));
            continue;
        }
        if trimmed == "}" {
            block = None;
            continue;
        }
        let Some((is_input, name)) = &block else { continue };
        if *is_input {
            if let Some((field, ty)) = trimmed.split_once(':')
                && ty.trim_start().starts_with("String")
            {
                inputs.insert(format!("{name}.{}", field.trim()));
            }
        } else if let Some((field, args)) = trimmed.split_once('(') {
            let args = args.rsplit_once(')').map_or(args, |(a, _)| a);
            for arg in args.split(',') {
                if let Some((arg, ty)) = arg.split_once(':')
                    && ty.trim_start().starts_with("String")
                    && arg.trim() != "after"
                {
                    inputs.insert(format!("{name}.{}.{}", field.trim(), arg.trim()));
                }
            }
        }
    }
    inputs
}

fn set(value: &mut Value, pointer: &str, text: &str) {
    let shown = value.to_string();
    *value.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer} in {shown}")) = Value::String(text.to_owned());
}

#[tokio::test]
async fn every_string_input_survives_nul_control_long_rtl_and_emoji_text() {
    // Coverage first (cheap): a new string input must be added to the cases.
    let covered: BTreeSet<String> = cases().iter().flat_map(|c| c.3.iter().map(|(_, key)| (*key).to_owned())).collect();
    let missing: Vec<_> = string_inputs_of_schema().difference(&covered).cloned().collect();
    assert!(missing.is_empty(), "string inputs without a fuzz case in tests/process/string_fuzz.rs: {missing:?}");

    let url = fresh_database_url().await;
    let server = Server::start(&url, &[]).await;
    let (admin, _) = server.register("Contoso").await;
    let publisher = server
        .graphql(
            None,
            "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
            json!({"i": {"publisherName": "Fabrikam", "name": "Pat", "email": "pat@fabrikam.example", "password": PASSWORD}}),
        )
        .await;
    let publisher = publisher["data"]["registerPublisher"]["token"].as_str().expect("publisher token").to_owned();
    let call = |token: &str, query: &str, vars: Value| {
        let (server, token, query) = (&server, token.to_owned(), query.to_owned());
        async move {
            let answer = server.graphql(Some(&token), &query, vars).await;
            assert!(answer["errors"].is_null(), "setup {query}: {answer}");
            answer["data"].clone()
        }
    };
    let product = call(
        &publisher,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({"i": {"name": "Chat", "description": "Team chat", "pricingModel": "PER_LICENSE",
            "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "8.00"}], "markets": ["UNITED_STATES"],
            "selfServiceEligible": true, "portalUrl": "https://portal.example/setup", "supportUrl": "https://support.example"}}),
    )
    .await["createProduct"]["id"]
        .as_str()
        .expect("product")
        .to_owned();
    let org = call(&admin, "{ me { organization { id } } }", json!({})).await["me"]["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();
    call(&admin, "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await;
    let profile_input = json!({"i": {"name": "Main", "contactName": "Bea", "contactEmail": "bea@x.example", "billToAddress": address()}});
    let create_profile = "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }";
    let profile = call(&admin, create_profile, profile_input.clone()).await["createBillingProfile"]["id"]
        .as_str()
        .expect("profile")
        .to_owned();
    let card_profile = call(&admin, create_profile, profile_input).await["createBillingProfile"]["id"]
        .as_str()
        .expect("profile")
        .to_owned();
    let payment_method = call(
        &admin,
        "mutation($b: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $b, input: $i) { id } }",
        json!({"b": card_profile, "i": {"kind": "CREDIT_CARD", "card": card()}}),
    )
    .await["addPaymentMethod"]["id"]
        .as_str()
        .expect("payment method")
        .to_owned();
    let subscription = call(
        &admin,
        "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
        json!({"i": {"productId": product, "term": "MONTHLY", "quantity": 3, "billingProfileId": card_profile}}),
    )
    .await["purchaseSubscription"]["id"]
        .as_str()
        .expect("subscription")
        .to_owned();
    let ids = Ids { org, product, profile, card_profile, payment_method, subscription };

    let texts = [
        ("nul", "a\u{0}b".to_owned()),
        ("bell", "a\u{7}b".to_owned()),
        ("newline", "two\nlines".to_owned()),
        ("long", "x".repeat(5000)),
        ("rtl", "\u{202e}مرحبا עולם".to_owned()),
        ("emoji", "Ada 👩‍💻 🚀".to_owned()),
    ];
    let mut n = 0;
    let mut sent = 0;
    for (who, query, vars, leaves) in cases() {
        let token = match who {
            Who::Nobody => None,
            Who::Admin => Some(admin.as_str()),
            Who::Publisher => Some(publisher.as_str()),
        };
        for (pointer, key) in leaves {
            for (kind, text) in &texts {
                n += 1;
                let mut variables = vars(&ids, n);
                set(&mut variables, pointer, text);
                let response = server.graphql(token, query, variables).await;
                sent += 1;
                let got = code(&response);
                assert_ne!(got, Some("INTERNAL"), "{kind} in {key}: {response}");
                if matches!(*kind, "nul" | "bell") {
                    assert_eq!(got, Some("VALIDATION_FAILED"), "{kind} in {key}: {response}");
                    assert!(response["errors"][0]["extensions"]["field"].is_string(), "{kind} in {key}: {response}");
                }
            }
        }
    }
    eprintln!("{sent} fuzzed requests over {} string inputs, none INTERNAL", covered.len());
    let (status, _) = server.get("/readyz").await.expect("readyz");
    assert_eq!(status, 200);
}

/// R53: the portal's HTTP string inputs — the authorization request's
/// parameters, the consent form's fields, the token and revocation
/// endpoints' parameters and the portal API's search — with NUL, a bell,
/// over-long, right-to-left and emoji text: never a server error (5xx).
#[tokio::test]
async fn r53_portal_http_inputs_survive_nul_control_long_rtl_and_emoji_text() {
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let base = format!("http://{}", server.addr);
    let (admin, admin_email) = server.register("Contoso").await;
    let publisher = server
        .graphql(
            None,
            "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
            json!({"i": {"publisherName": "Fabrikam", "name": "Pat", "email": "pat@fabrikam.example", "password": PASSWORD}}),
        )
        .await["data"]["registerPublisher"]["token"]
        .as_str()
        .expect("publisher token")
        .to_owned();
    let redirect = "https://portal.example/cb";
    let created = server
        .graphql(
            Some(&publisher),
            "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { clientId } } }",
            json!({"i": {"name": "Portal", "redirectUris": [redirect]}}),
        )
        .await;
    let client_id = created["data"]["createApiClient"]["client"]["clientId"].as_str().expect("client").to_owned();
    let secret = created["data"]["createApiClient"]["clientSecret"].as_str().expect("secret").to_owned();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorize = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", redirect),
        ("scope", "licenses.read licenses.assign"),
        ("state", "s"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    let form_token = |page: &str| {
        let marker = "name=\"form_token\" value=\"";
        page.find(marker).map(|i| page[i + marker.len()..].split('"').next().unwrap_or_default().to_owned())
    };
    let texts = [
        "a\u{0}b".to_owned(),
        "a\u{7}b".to_owned(),
        "x".repeat(5000),
        "\u{202e}مرحبا עולם".to_owned(),
        "Ada 👩‍💻".to_owned(),
    ];
    let mut sent = 0;
    for (i, _) in authorize.iter().enumerate() {
        for text in &texts {
            let mut params = authorize.to_vec();
            params[i].1 = text;
            let response = http.get(format!("{base}/oauth/authorize")).query(&params).send().await.expect("authorize");
            sent += 1;
            assert!(response.status().as_u16() < 500, "{} = {text:?}: {}", params[i].0, response.status());
        }
    }
    // The consent form's fields.
    for field in ["form_token", "email", "password", "decision"] {
        for text in &texts {
            let page = http.get(format!("{base}/oauth/authorize")).query(&authorize).send().await.expect("page");
            let token = form_token(&page.text().await.expect("page")).expect("form token");
            let mut form = vec![
                ("form_token", token),
                ("email", admin_email.clone()),
                ("password", PASSWORD.to_owned()),
                ("decision", "approve".to_owned()),
            ];
            if let Some(entry) = form.iter_mut().find(|(k, _)| *k == field) {
                entry.1 = text.clone();
            }
            let response = http.post(format!("{base}/oauth/authorize")).form(&form).send().await.expect("consent");
            sent += 1;
            assert!(response.status().as_u16() < 500, "{field} = {text:?}: {}", response.status());
        }
    }
    // R48 on the consent page: the single sign-on form's organization, the
    // signed-in user's ID posted back, and the return's resume token, code and error.
    for field in ["organization", "sso_user"] {
        for text in &texts {
            let page = http.get(format!("{base}/oauth/authorize")).query(&authorize).send().await.expect("page");
            let token = form_token(&page.text().await.expect("page")).expect("form token");
            let decision = if field == "organization" { "sso" } else { "approve" };
            let form = [("form_token", token.as_str()), (field, text.as_str()), ("decision", decision)];
            let response = http.post(format!("{base}/oauth/authorize")).form(&form).send().await.expect("consent");
            sent += 1;
            assert!(response.status().as_u16() < 500, "{field} = {text:?}: {}", response.status());
        }
    }
    for field in ["resume", "sso_code", "sso_error"] {
        for text in &texts {
            let mut params = vec![("resume", "ldf_unknown"), ("sso_code", "c")];
            match params.iter_mut().find(|(k, _)| *k == field) {
                Some(entry) => entry.1 = text,
                None => params.push((field, text)),
            }
            let response = http.get(format!("{base}/oauth/authorize")).query(&params).send().await.expect("resume");
            sent += 1;
            assert!(response.status().as_u16() < 500, "{field} = {text:?}: {}", response.status());
        }
    }
    // The token and revocation endpoints.
    for (grant, field) in [
        ("authorization_code", "code"),
        ("authorization_code", "code_verifier"),
        ("authorization_code", "redirect_uri"),
        ("refresh_token", "refresh_token"),
        ("refresh_token", "scope"),
        ("client_credentials", "client_id"),
    ] {
        for text in &texts {
            let mut form = vec![
                ("grant_type", grant.to_owned()),
                ("code", "c".to_owned()),
                ("code_verifier", "v".to_owned()),
                ("redirect_uri", redirect.to_owned()),
                ("refresh_token", "r".to_owned()),
            ];
            match form.iter_mut().find(|(k, _)| *k == field) {
                Some(entry) => entry.1 = text.clone(),
                None if field != "client_id" => form.push((field, text.clone())),
                None => {}
            }
            let request = http.post(format!("{base}/oauth/token"));
            let request = if field == "client_id" {
                request.basic_auth(text, Some("x"))
            } else {
                request.basic_auth(&client_id, Some(&secret))
            };
            let response = request.form(&form).send().await.expect("token");
            sent += 1;
            assert!(response.status().as_u16() < 500, "{grant} {field} = {text:?}: {}", response.status());
        }
        let response = http
            .post(format!("{base}/oauth/revoke"))
            .basic_auth(&client_id, Some(&secret))
            .form(&[("token", &texts[0])])
            .send()
            .await
            .expect("revoke");
        assert_eq!(response.status().as_u16(), 200);
    }
    // The portal API's search, with a real delegated token.
    let page = http.get(format!("{base}/oauth/authorize")).query(&authorize).send().await.expect("page");
    let token = form_token(&page.text().await.expect("page")).expect("form token");
    let answer = http
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("form_token", token.as_str()),
            ("email", admin_email.as_str()),
            ("password", PASSWORD),
            ("decision", "approve"),
        ])
        .send()
        .await
        .expect("consent");
    let location = answer.headers().get("location").and_then(|l| l.to_str().ok()).expect("redirect").to_owned();
    let code =
        url::Url::parse(&location).expect("url").query_pairs().find(|(k, _)| k == "code").expect("code").1.into_owned();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge_ok = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    assert_eq!(challenge_ok, challenge, "RFC 7636 appendix B");
    let tokens: Value = serde_json::from_str(
        &http
            .post(format!("{base}/oauth/token"))
            .basic_auth(&client_id, Some(&secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("token")
            .text()
            .await
            .expect("body"),
    )
    .expect("json");
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    for text in &texts {
        let response = http
            .get(format!("{base}/api/v1/portal/people"))
            .query(&[("search", text)])
            .bearer_auth(access)
            .send()
            .await
            .expect("people");
        sent += 1;
        let status = response.status().as_u16();
        assert!(status < 500, "search = {text:?}: {status}");
        if text.contains('\u{0}') || text.contains('\u{7}') {
            assert_eq!(status, 400, "control characters in search");
        }
    }
    let _ = admin;
    eprintln!("{sent} fuzzed portal requests, none a server error");
}
