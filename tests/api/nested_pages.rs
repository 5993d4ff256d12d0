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

const ROLES: &str = "query($p: ID!, $first: Int, $after: String) { billingProfile(id: $p) { \
    roleAssignments(first: $first, after: $after) { user { id } role cursor } } }";
const ROLES_OF_ALL: &str = "query($first: Int) { billingProfiles(first: 10) { nodes { id \
    roleAssignments(first: $first) { user { id } role } } } }";

fn holders(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| (e["user"]["id"].as_str().expect("user").to_owned(), e["role"].as_str().expect("role").to_owned()))
        .collect()
}

/// R2 + issue 20 item 2: `BillingProfile.roleAssignments(first, after)` is a
/// page (a profile may have a role for everyone in the organization): the
/// pages walk every assignment once, in grant order; a list of profiles
/// gets at most `first` per profile (one statement for all of them); a bad
/// page or cursor is VALIDATION_FAILED naming the argument.
#[tokio::test]
async fn issue20_role_assignments_page_with_first_and_after() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let readers = app.users(&shop.org, "Reader", 6).await;
    for (i, person) in readers.iter().enumerate() {
        app.grant_role(&shop.org.admin, &shop.profile, &person.id, "READER").await;
        if i % 2 == 0 {
            app.grant_role(&shop.org.admin, &shop.profile, &person.id, "INVOICE_MANAGER").await;
        }
    }
    let whole = field(&app, &shop.org.admin, ROLES, json!({"p": shop.profile, "first": 100})).await;
    let whole = holders(&whole["billingProfile"]["roleAssignments"]);
    assert!(whole.len() >= 9, "6 readers and 3 invoice managers (and whoever else holds a role): {whole:?}");

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = field(&app, &shop.org.admin, ROLES, json!({"p": shop.profile, "first": 4, "after": after})).await;
        let entries = page["billingProfile"]["roleAssignments"].as_array().expect("list").clone();
        assert!(entries.len() <= 4);
        let Some(last) = entries.last() else { break };
        after = Some(last["cursor"].as_str().expect("cursor").to_owned());
        paged.extend(holders(&Value::Array(entries)));
    }
    assert_eq!(paged, whole, "each assignment once, in grant order");

    let two_each = field(&app, &shop.org.admin, ROLES_OF_ALL, json!({"first": 2})).await;
    let profiles = two_each["billingProfiles"]["nodes"].as_array().expect("profiles");
    assert!(profiles.iter().any(|p| p["id"] == json!(shop.profile)));
    for profile in profiles {
        let count = profile["roleAssignments"].as_array().expect("list").len();
        assert!(count <= 2, "at most `first` per profile: {profile}");
    }

    for (variables, arg) in [
        (json!({"p": shop.profile, "first": 0}), "first"),
        (json!({"p": shop.profile, "first": 101}), "first"),
        (json!({"p": shop.profile, "after": "not a cursor"}), "after"),
        (json!({"p": shop.profile, "after": "eyJ4IjoxfQ"}), "after"),
    ] {
        let response = app.gql(Some(&shop.org.admin), ROLES, variables.clone()).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{variables}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], arg, "{variables}: {response}");
    }
}
