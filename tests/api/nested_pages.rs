//! Issue 20 item 2: lists nested in an object that grow with data are pages
//! (`first` 1–100, default 50; `after` = the `id` of the previous page's last
//! item): `Subscription.assignmentHistory` and `PaymentMethod.billingProfiles`.
//! Paging walks the whole list once, in order; bad pages are VALIDATION_FAILED
//! naming the argument; an `after` from another list is refused, never used.

use serde_json::{Value, json};

use crate::authz::{ASSIGN, UNASSIGN};
use crate::helpers::*;

const HISTORY: &str = "query($id: ID!, $first: Int, $after: ID) { subscription(id: $id) { \
    assignmentHistory(first: $first, after: $after) { id user { id } assignedAt } } }";

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|e| e["id"].as_str().expect("id").to_owned()).collect()
}

async fn field(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.gql(Some(token), query, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

/// R16 + issue 20: `assignmentHistory(first, after)` pages the whole history once, oldest first.
#[tokio::test]
async fn issue20_assignment_history_pages_with_first_and_after() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(10), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 5).await;
    let all: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": all})).await;
    app.ok(&shop.org.admin, UNASSIGN, json!({"s": sub, "u": [people[0].id]})).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [people[0].id]})).await;

    let whole = field(&app, &shop.org.admin, HISTORY, json!({"id": sub})).await;
    let whole = ids(&whole["subscription"]["assignmentHistory"]);
    assert_eq!(whole.len(), 6, "5 assignments, one ended and given again");

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = field(&app, &shop.org.admin, HISTORY, json!({"id": sub, "first": 4, "after": after})).await;
        let page = ids(&page["subscription"]["assignmentHistory"]);
        assert!(page.len() <= 4);
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        paged.extend(page);
    }
    assert_eq!(paged, whole, "each entry once, in order");

    for (variables, arg) in [
        (json!({"id": sub, "first": 0}), "first"),
        (json!({"id": sub, "first": 101}), "first"),
        (json!({"id": sub, "after": "not-an-id"}), "after"),
        (json!({"id": sub, "after": "00000000-0000-0000-0000-000000000000"}), "after"),
    ] {
        let response = app.gql(Some(&shop.org.admin), HISTORY, variables.clone()).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{variables}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], arg, "{variables}: {response}");
    }
    // An entry of another subscription's history is not a place in this one.
    let other = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    app.activate(&shop.publisher, &other).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": other, "u": [people[1].id]})).await;
    let theirs = field(&app, &shop.org.admin, HISTORY, json!({"id": other})).await;
    let foreign = ids(&theirs["subscription"]["assignmentHistory"]).remove(0);
    let response = app.gql(Some(&shop.org.admin), HISTORY, json!({"id": sub, "after": foreign})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{response}");
}

const USE: &str =
    "mutation($p: ID!, $m: ID!) { useExistingPaymentMethod(billingProfileId: $p, paymentMethodId: $m) { id } }";
const PROFILES: &str = "query($p: ID!, $first: Int, $after: ID) { billingProfile(id: $p) { paymentMethod { id \
    billingProfiles(first: $first, after: $after) { id } } } }";

/// R41 + issue 20: one card serving many profiles lists them a page at a time.
#[tokio::test]
async fn issue20_billing_profiles_of_a_payment_method_page_with_first_and_after() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let main = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let method = {
        let data = field(
            &app,
            &org.admin,
            "query($id: ID!) { billingProfile(id: $id) { paymentMethod { id } } }",
            json!({"id": main}),
        )
        .await;
        data["billingProfile"]["paymentMethod"]["id"].as_str().expect("method").to_owned()
    };
    for _ in 0..4 {
        let other = app.billing_profile(&org.admin, "US", Some("5555555555554444")).await;
        app.ok(&org.admin, USE, json!({"p": other, "m": method})).await;
    }
    let of_method = |data: &Value| {
        assert_eq!(data["billingProfile"]["paymentMethod"]["id"], method.as_str());
        data["billingProfile"]["paymentMethod"]["billingProfiles"].clone()
    };
    let whole = ids(&of_method(&field(&app, &org.admin, PROFILES, json!({"p": main})).await));
    assert_eq!(whole.len(), 5);
    let first = ids(&of_method(&field(&app, &org.admin, PROFILES, json!({"p": main, "first": 3})).await));
    assert_eq!(first, whole[..3]);
    let rest =
        ids(&of_method(&field(&app, &org.admin, PROFILES, json!({"p": main, "first": 3, "after": first[2]})).await));
    assert_eq!(rest, whole[3..]);
    let response = app.gql(Some(&org.admin), PROFILES, json!({"p": main, "first": 101})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{response}");
}
