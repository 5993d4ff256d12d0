//! R49: group-based licensing — a subscription assigned to a group gives its
//! members licenses within the seats; members left over show a license error
//! and get a seat when one frees up; leaving the group takes only a license
//! that came from the group. R1/R2/R3/R37 for every new field.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::scim::{GROUP_SCHEMA, patch};

const GROUP: &str = "query($id: ID!) { group(id: $id) { id displayName members { id } subscriptions { id assigned }
    memberLicenses { user { id } subscription { id } fromGroup error } } }";
const ASSIGN: &str = "mutation($g: ID!, $s: ID!) { assignSubscriptionToGroup(groupId: $g, subscriptionId: $s) { subscription { assigned } } }";
const UNASSIGN: &str = "mutation($g: ID!, $s: ID!) { unassignSubscriptionFromGroup(groupId: $g, subscriptionId: $s) { subscription { assigned } } }";
const MEMBERS: &str =
    "mutation($g: ID!, $a: [ID!]!, $r: [ID!]!) { changeGroupMembers(groupId: $g, add: $a, remove: $r) { id } }";

fn errors(group: &Value) -> Vec<(String, Option<String>, bool)> {
    let mut out: Vec<(String, Option<String>, bool)> = group["group"]["memberLicenses"]
        .as_array()
        .expect("test value")
        .iter()
        .map(|l| {
            (
                l["user"]["id"].as_str().expect("test value").to_owned(),
                l["error"].as_str().map(str::to_owned),
                l["fromGroup"].as_bool().expect("test value"),
            )
        })
        .collect();
    out.sort();
    out
}

/// R49, R21: three members, two seats: the two earliest get licenses, the
/// third shows NO_SEAT; when a member leaves, their license goes and the
/// waiting member gets it; a license assigned directly stays when its holder
/// leaves; unassigning the subscription from the group releases what came
/// only from it. Every change is audited and raises the usual events.
#[tokio::test]
async fn r49_group_licenses_within_seats() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Member", 3).await;
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    let group = app
        .ok(
            admin,
            "mutation($m: [ID!]!) { createGroup(displayName: \"Engineering\", memberIds: $m) { id } }",
            json!({"m": [ids[0], ids[1]]}),
        )
        .await["createGroup"]["id"]
        .as_str()
        .expect("test value")
        .to_owned();
    app.ok(admin, MEMBERS, json!({"g": group, "a": [ids[2]], "r": []})).await;
    let assigned = app.ok(admin, ASSIGN, json!({"g": group, "s": sub})).await;
    assert_eq!(assigned["assignSubscriptionToGroup"]["subscription"]["assigned"], 2, "never more than the seats");
    let seen = app.ok(admin, GROUP, json!({"id": group})).await;
    let mut expected = vec![
        (ids[0].to_owned(), None, true),
        (ids[1].to_owned(), None, true),
        (ids[2].to_owned(), Some("NO_SEAT".to_owned()), false),
    ];
    expected.sort();
    assert_eq!(errors(&seen), expected);
    assert_eq!(seen["group"]["subscriptions"][0]["id"], sub.as_str());

    // A member leaves: their group license goes, the waiting member gets the seat.
    app.ok(admin, MEMBERS, json!({"g": group, "a": [], "r": [ids[0]]})).await;
    assert_eq!(app.assigned(admin, &sub).await, 2);
    let seen = app.ok(admin, GROUP, json!({"id": group})).await;
    assert!(errors(&seen).iter().all(|(_, e, from)| e.is_none() && *from), "{seen}");
    let held = app.ok(&people[0].token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(held["myLicenses"].as_array().expect("test value").len(), 0, "left the group, lost the license");

    // A member joins with no seat free.
    app.ok(admin, MEMBERS, json!({"g": group, "a": [ids[0]], "r": []})).await;
    assert_eq!(
        errors(&app.ok(admin, GROUP, json!({"id": group})).await).iter().filter(|(_, e, _)| e.is_some()).count(),
        1
    );
    app.ok(
        admin,
        "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }",
        json!({"s": sub, "q": 3}),
    )
    .await;
    // Seats added by a quantity change go to the member waiting.
    assert_eq!(app.assigned(admin, &sub).await, 3);
    assert!(errors(&app.ok(admin, GROUP, json!({"id": group})).await).iter().all(|(_, e, _)| e.is_none()));

    // A license assigned directly is not taken when its holder leaves the group.
    let direct = app.user(&shop.org, "Direct", &[]).await;
    app.ok(
        admin,
        "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { quantity } }",
        json!({"s": sub, "q": 4}),
    )
    .await;
    app.assign_licenses(admin, &sub, &[&direct.id]).await;
    let before = app.assigned(admin, &sub).await;
    app.ok(admin, MEMBERS, json!({"g": group, "a": [direct.id], "r": []})).await;
    app.ok(admin, MEMBERS, json!({"g": group, "a": [], "r": [direct.id]})).await;
    let held = app.ok(&direct.token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(held["myLicenses"].as_array().expect("test value").len(), 1, "direct license kept");
    assert_eq!(app.assigned(admin, &sub).await, before);

    // Unassigning the subscription from the group releases what came only from it.
    let out = app.ok(admin, UNASSIGN, json!({"g": group, "s": sub})).await;
    assert_eq!(out["unassignSubscriptionFromGroup"]["subscription"]["assigned"], 1, "only the direct license is left");
    let audit = app.ok(admin, "{ auditEvents(first: 100) { nodes { action } } }", json!({})).await.to_string();
    for action in ["group.create", "group.update_members", "group.assign_subscription", "group.unassign_subscription"] {
        assert!(audit.contains(action), "{action} audited");
    }
    assert!(app.count_where("outbox_events WHERE event_type = 'LICENSES_ASSIGNED'").await >= 2);
    assert!(app.count_where("outbox_events WHERE event_type = 'LICENSES_UNASSIGNED'").await >= 2);
}

/// R1, R3, R27, R37: who may see and change groups and group licensing.
/// Admins see groups; plain users, publishers and other organizations get
/// NOT_FOUND exactly as for an ID that does not exist; only the global admin
/// changes groups; those who assign licenses (global and license admins)
/// assign subscriptions to groups; a billing admin may not.
#[tokio::test]
async fn r49_group_roles_and_visibility() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let group = app.ok(admin, "mutation { createGroup(displayName: \"Ops\") { id } }", json!({})).await["createGroup"]
        ["id"]
        .as_str()
        .expect("test value")
        .to_owned();
    let billing = app.user(&shop.org, "Billing", &["BILLING_ADMIN"]).await;
    let license = app.user(&shop.org, "License", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&shop.org, "Plain", &[]).await;
    let other = app.register_org("Fabrikam", "US").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let get = "query($id: ID!) { group(id: $id) { id } }";
    for token in [admin, &billing.token, &license.token] {
        assert_eq!(app.ok(token, get, json!({"id": group})).await["group"]["id"], group.as_str());
    }
    for token in [&plain.token, &other.admin, &shop.publisher.token] {
        assert_eq!(app.err(Some(token), get, json!({"id": group})).await, "NOT_FOUND");
        assert_eq!(app.err(Some(token), get, json!({"id": unknown})).await, "NOT_FOUND");
        let listed = app.gql(Some(token), "{ groups { totalCount } }", json!({})).await;
        assert!(listed["data"]["groups"]["totalCount"] == 0 || listed.get("errors").is_some(), "{listed}");
    }
    for token in [&billing.token, &license.token, &plain.token] {
        let code = app.err(Some(token), "mutation { createGroup(displayName: \"X\") { id } }", json!({})).await;
        assert_eq!(code, "FORBIDDEN");
        let code = app.err(Some(token), MEMBERS, json!({"g": group, "a": [plain.id], "r": []})).await;
        assert_eq!(code, "FORBIDDEN");
    }
    assert_eq!(app.err(Some(&other.admin), MEMBERS, json!({"g": group, "a": [], "r": []})).await, "NOT_FOUND");
    // Assigning a subscription: global and license admins; a billing admin is FORBIDDEN (R1); outsiders NOT_FOUND.
    assert_eq!(app.err(Some(&billing.token), ASSIGN, json!({"g": group, "s": sub})).await, "FORBIDDEN");
    assert_eq!(app.err(Some(&plain.token), ASSIGN, json!({"g": group, "s": sub})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&other.admin), ASSIGN, json!({"g": group, "s": sub})).await, "NOT_FOUND");
    app.ok(&license.token, ASSIGN, json!({"g": group, "s": sub})).await;
    // Another organization's group cannot take this subscription (R3).
    let theirs = app.ok(&other.admin, "mutation { createGroup(displayName: \"Ops\") { id } }", json!({})).await["createGroup"]["id"]
        .as_str()
        .expect("test value")
        .to_owned();
    assert_eq!(app.err(Some(admin), ASSIGN, json!({"g": theirs, "s": sub})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&other.admin), ASSIGN, json!({"g": theirs, "s": sub})).await, "NOT_FOUND");
    // A member of another organization cannot join.
    assert_eq!(
        app.err(Some(admin), MEMBERS, json!({"g": group, "a": [other.admin_id], "r": []})).await,
        "USER_NOT_IN_ORGANIZATION"
    );
}

/// R49: a directory's group drives licenses like one made here: SCIM member
/// changes (Entra ID's shapes) move seats; deactivating a member through SCIM
/// frees their seat for the member waiting.
#[tokio::test]
async fn r49_scim_groups_drive_licenses() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let token = app.scim_token(&shop.org).await;
    let ann = app.scim_user(&token, "ann@contoso.example", "a").await["id"].as_str().expect("test value").to_owned();
    let bob = app.scim_user(&token, "bob@contoso.example", "b").await["id"].as_str().expect("test value").to_owned();
    let created = app
        .scim(&token, "POST", "/Groups", Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales"})), None)
        .await;
    let group = created.body["id"].as_str().expect("test value").to_owned();
    app.ok(admin, ASSIGN, json!({"g": group, "s": sub})).await;
    let path = format!("/Groups/{group}");
    for member in [&ann, &bob] {
        let out = app
            .scim(
                &token,
                "PATCH",
                &path,
                Some(patch(json!([{"op": "Add", "path": "members", "value": [{"value": member}]}]))),
                None,
            )
            .await;
        assert_eq!(out.status, StatusCode::OK);
    }
    assert_eq!(app.assigned(admin, &sub).await, 1);
    let seen = errors(&app.ok(admin, GROUP, json!({"id": group})).await);
    assert!(
        seen.contains(&(ann.clone(), None, true)) && seen.contains(&(bob.clone(), Some("NO_SEAT".into()), false)),
        "{seen:?}"
    );
    // Ann is deactivated by the directory: her seat goes to Bob.
    let out = app
        .scim(
            &token,
            "PATCH",
            &format!("/Users/{ann}"),
            Some(patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(app.assigned(admin, &sub).await, 1);
    let seen = errors(&app.ok(admin, GROUP, json!({"id": group})).await);
    assert_eq!(seen, vec![(bob.clone(), None, true)]);
    // Bob leaves through SCIM: his license goes.
    let out = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "Remove", "path": format!("members[value eq \"{bob}\"]")}]))),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(app.assigned(admin, &sub).await, 0);
    // Deleting the group releases nothing more and leaves no links.
    assert_eq!(app.scim(&token, "DELETE", &path, None, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count_where("group_subscriptions").await, 0);
}
