//! Issue 13: a billing profile's invoice language (en, sv, da, nl, zh-TW),
//! set and read through the API, validated, and used for the PDF.

use serde_json::json;

use crate::helpers::*;

const CREATE: &str = "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id language } }";
const UPDATE: &str =
    "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { language } }";

fn input(country: &str, language: Option<&str>) -> serde_json::Value {
    json!({"name": "Main", "contactName": "Bea", "contactEmail": "bea@contoso.example",
        "billToAddress": address(country), "language": language})
}

#[tokio::test]
async fn profile_language_defaults_to_the_country_and_can_be_chosen_even_zh_tw_for_any_country() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let admin = &org.admin;
    // No choice: the bill-to country's language (Sweden: sv), else English.
    let se = app.ok(admin, CREATE, json!({"i": input("SE", None)})).await;
    assert_eq!(se["createBillingProfile"]["language"], "sv");
    let us = app.ok(admin, CREATE, json!({"i": input("US", None)})).await;
    assert_eq!(us["createBillingProfile"]["language"], "en");
    // zh-TW for a US profile (no market lists Taiwan); case does not matter.
    let tw = app.ok(admin, CREATE, json!({"i": input("US", Some("ZH-tw"))})).await;
    assert_eq!(tw["createBillingProfile"]["language"], "zh-TW");
    let id = us["createBillingProfile"]["id"].as_str().expect("id");
    let set = app.ok(admin, UPDATE, json!({"id": id, "i": {"language": "da"}})).await;
    assert_eq!(set["updateBillingProfile"]["language"], "da");
    let back = app.ok(admin, UPDATE, json!({"id": id, "i": {"language": null}})).await;
    assert_eq!(back["updateBillingProfile"]["language"], "en", "null: the country's language again");
}

#[tokio::test]
async fn an_unknown_profile_language_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let admin = &org.admin;
    let response = app.gql(Some(admin), CREATE, json!({"i": input("US", Some("fr"))})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "language", "{response}");
    assert_eq!(app.count("billing_profiles").await, 0);
    let made = app.ok(admin, CREATE, json!({"i": input("US", Some("nl"))})).await;
    let id = made["createBillingProfile"]["id"].as_str().expect("id");
    let response = app.gql(Some(admin), UPDATE, json!({"id": id, "i": {"language": "zh-CN"}})).await;
    assert_eq!(response["errors"][0]["extensions"]["field"], "language", "{response}");
    let profile = app.ok(admin, "query($id: ID!) { billingProfile(id: $id) { language } }", json!({"id": id})).await;
    assert_eq!(profile["billingProfile"]["language"], "nl");
}
