//! R49 from outside: the real binary. The `scim2-tester` compliance checker
//! (tests/clients/scim_check.py, the interpreter from LICENSEDESK_TEST_PYTHON;
//! CI sets LICENSEDESK_REQUIRE_SCIM_TESTER once it is installed) runs against
//! `/scim/v2` and reports no failure; and group membership changes on two
//! instances sharing one database at once never oversell seats (R21).

use futures::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use super::harness::{PASSWORD, Server, fresh_database_url};

async fn ok(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    let response = server.graphql(Some(token), query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

async fn scim_token(server: &Server, admin: &str) -> String {
    let data = ok(server, admin, "mutation { createScimToken(name: \"IdP\") { token } }", json!({})).await;
    data["createScimToken"]["token"].as_str().expect("token").to_owned()
}

/// The Python with scim2-tester installed, or None (the test is skipped) —
/// unless LICENSEDESK_REQUIRE_SCIM_TESTER says it must be there.
async fn tester_python() -> Option<std::ffi::OsString> {
    let required = std::env::var_os("LICENSEDESK_REQUIRE_SCIM_TESTER").is_some();
    let python = std::env::var_os("LICENSEDESK_TEST_PYTHON");
    let usable = match &python {
        Some(python) => tokio::process::Command::new(python)
            .args(["-c", "import scim2_tester, scim2_client.engines.httpx2"])
            .output()
            .await
            .is_ok_and(|o| o.status.success()),
        None => false,
    };
    if usable {
        return python;
    }
    assert!(!required, "LICENSEDESK_REQUIRE_SCIM_TESTER is set but LICENSEDESK_TEST_PYTHON has no scim2-tester");
    eprintln!(
        "WARNING: skipped: set LICENSEDESK_TEST_PYTHON to a python with tests/clients/requirements.txt (scim2-tester)"
    );
    None
}

/// R49, RFC 7643/7644: scim2-tester's whole suite (discovery, CRUD, PATCH
/// add/replace/remove on every attribute, attribute projection) against the
/// running binary: 0 failures.
#[tokio::test]
async fn r49_scim2_tester_reports_no_failures() {
    let Some(python) = tester_python().await else { return };
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let (admin, _) = server.register("Contoso").await;
    let token = scim_token(&server, &admin).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/scim_check.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}/scim/v2", server.addr))
        .arg(&token)
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no summary:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(summary["failures"], 0, "scim2-tester failures:\n{stdout}");
    assert!(summary["checks"].as_u64().unwrap_or(0) >= 50, "the checker ran its suite: {summary}");
    assert!(output.status.success(), "{stdout}");
}

/// A publisher's per-license product, a customer with a card, a subscription
/// of `seats` seats, activated; (customer admin token, subscription id).
async fn seats(server: &Server, seats: i64) -> (String, String) {
    let email = format!("pub-{}@publisher.test", Uuid::new_v4().simple());
    let data = server
        .graphql(
            None,
            "mutation($i: RegisterPublisherInput!) { registerPublisher(input: $i) { token } }",
            json!({"i": {"publisherName": "Fabrikam", "name": "Owner", "email": email, "password": PASSWORD}}),
        )
        .await;
    let publisher = data["data"]["registerPublisher"]["token"].as_str().expect("publisher").to_owned();
    let input = json!({"name": "Seats", "description": "Seats", "pricingModel": "PER_LICENSE",
        "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "10.00"}], "selfServiceEligible": false,
        "portalUrl": "https://portal.example.com/setup", "supportUrl": "https://support.example.com"});
    let product = ok(
        server,
        &publisher,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({"i": input}),
    )
    .await["createProduct"]["id"]
        .as_str()
        .expect("product")
        .to_owned();
    let (admin, _) = server.register("Contoso").await;
    ok(server, &admin, "mutation { acceptCustomerAgreement { acceptedAt } }", json!({})).await;
    let address = json!({"line1": "1 Main Street", "city": "Springfield", "postalCode": "12345", "country": "US"});
    let input =
        json!({"name": "Main", "contactName": "Pat", "contactEmail": "pat@example.test", "billToAddress": address});
    let profile = ok(
        server,
        &admin,
        "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
        json!({"i": input}),
    )
    .await["createBillingProfile"]["id"]
        .as_str()
        .expect("profile")
        .to_owned();
    let card = json!({"kind": "CREDIT_CARD", "card": {"number": "4242424242424242", "securityCode": "123",
        "expirationMonth": 12, "expirationYear": 2035, "nameOnCard": "Pat", "billingAddress": address}});
    ok(
        server,
        &admin,
        "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": profile, "i": card}),
    )
    .await;
    let sub = ok(
        server,
        &admin,
        "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) { id } }",
        json!({"i": {"productId": product, "term": "MONTHLY", "quantity": seats, "billingProfileId": profile}}),
    )
    .await["purchaseSubscription"]["id"]
        .as_str()
        .expect("subscription")
        .to_owned();
    ok(
        server,
        &publisher,
        "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { status } }",
        json!({"s": sub}),
    )
    .await;
    (admin, sub)
}

const STATE: &str = "query($s: ID!, $g1: ID!, $g2: ID!) {
    subscription(id: $s) { assigned quantity assignedUsers { id } }
    a: group(id: $g1) { memberLicenses { user { id } error } }
    b: group(id: $g2) { memberLicenses { user { id } error } } }";

/// (assigned, distinct holders, members with a license error, members with a license through a group)
async fn state(server: &Server, admin: &str, sub: &str, groups: &[String; 2]) -> (i64, usize, usize, usize) {
    let data = ok(server, admin, STATE, json!({"s": sub, "g1": groups[0], "g2": groups[1]})).await;
    let holders: std::collections::HashSet<String> = data["subscription"]["assignedUsers"]
        .as_array()
        .expect("holders")
        .iter()
        .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut rows: Vec<Value> = Vec::new();
    for group in ["a", "b"] {
        rows.extend(data[group]["memberLicenses"].as_array().cloned().unwrap_or_default());
    }
    let waiting = rows.iter().filter(|r| r["error"].is_string()).count();
    let licensed = rows.iter().filter(|r| r["error"].is_null()).count();
    (data["subscription"]["assigned"].as_i64().expect("assigned"), holders.len(), waiting, licensed)
}

/// R49, R21: two instances on one database change two groups' members at
/// once (12 people joining, then 6 leaving, in parallel across both); the
/// subscription's 5 seats are never oversold, every seat is used while
/// someone waits, and the members left over show NO_SEAT.
#[tokio::test]
async fn r49_group_membership_changes_on_two_instances_never_oversell() {
    let url = fresh_database_url().await;
    let a = Server::start(&url, &[]).await;
    let b = Server::start(&url, &[]).await;
    let (admin, sub) = seats(&a, 5).await;
    let mut people = Vec::new();
    for i in 0..12 {
        let email = format!("member{i}-{}@contoso.test", Uuid::new_v4().simple());
        let input = json!({"name": format!("Member {i}"), "email": email, "password": PASSWORD, "roles": []});
        let data =
            ok(&a, &admin, "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", json!({"i": input}))
                .await;
        people.push(data["createUser"]["id"].as_str().expect("id").to_owned());
    }
    let mut groups = Vec::new();
    for name in ["Engineering", "Sales"] {
        let data =
            ok(&b, &admin, "mutation($n: String!) { createGroup(displayName: $n) { id } }", json!({"n": name})).await;
        let group = data["createGroup"]["id"].as_str().expect("group").to_owned();
        ok(&a, &admin, "mutation($g: ID!, $s: ID!) { assignSubscriptionToGroup(groupId: $g, subscriptionId: $s) { group { id } } }", json!({"g": group, "s": sub}))
            .await;
        groups.push(group);
    }
    let groups: [String; 2] = [groups[0].clone(), groups[1].clone()];
    let change =
        "mutation($g: ID!, $a: [ID!]!, $r: [ID!]!) { changeGroupMembers(groupId: $g, add: $a, remove: $r) { id } }";
    // 12 joins at once, alternating instances and groups (members 0..6 in both groups).
    let joins = people.iter().enumerate().map(|(i, person)| {
        let server = if i % 2 == 0 { &a } else { &b };
        let group = &groups[i % 2];
        let extra = if i < 6 { Some(&groups[(i + 1) % 2]) } else { None };
        let admin = admin.clone();
        async move {
            ok(server, &admin, change, json!({"g": group, "a": [person], "r": []})).await;
            if let Some(other) = extra {
                ok(server, &admin, change, json!({"g": other, "a": [person], "r": []})).await;
            }
        }
    });
    join_all(joins).await;
    let (assigned, holders, waiting, _) = state(&a, &admin, &sub, &groups).await;
    assert_eq!((assigned, holders), (5, 5), "every seat used, none oversold");
    assert!(waiting >= 7, "the 7 people without a seat show NO_SEAT ({waiting} rows)");
    // 6 leave at once from both instances: their seats go to people waiting.
    let leaves = people.iter().take(6).enumerate().map(|(i, person)| {
        let server = if i % 2 == 0 { &b } else { &a };
        let admin = admin.clone();
        let groups = groups.clone();
        async move {
            for group in &groups {
                ok(server, &admin, change, json!({"g": group, "a": [], "r": [person]})).await;
            }
        }
    });
    join_all(leaves).await;
    let (assigned, holders, waiting, licensed) = state(&b, &admin, &sub, &groups).await;
    assert_eq!((assigned, holders, licensed, waiting), (5, 5, 5, 1), "6 left: 5 of the 6 waiting got a seat");
}
