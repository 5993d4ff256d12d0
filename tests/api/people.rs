//! User management (issue 9 item 5, SPEC R43 with R1, R3, R16, R26, R27, R36):
//! deactivate, reactivate, delete, set roles; the last GLOBAL_ADMIN stays.

use serde_json::{Value, json};

use crate::authz::{ASSIGN, AUDIT, CANCEL, STATE, attempt, outcome};
use crate::helpers::*;

const DEACTIVATE: &str = "mutation($u: ID!) { deactivateUser(userId: $u) { id active deletedAt } }";
const REACTIVATE: &str = "mutation($u: ID!) { reactivateUser(userId: $u) { id active } }";
const DELETE: &str = "mutation($u: ID!) { deleteUser(userId: $u) { user { id active deletedAt email roles } \
    releasedLicenseSubscriptionIds handedOverSubscriptionIds } }";
const SET_ROLES: &str = "mutation($u: ID!, $r: [OrgRole!]!) { setUserRoles(userId: $u, roles: $r) { id roles } }";
const ME: &str = "{ me { id roles } }";
const USERS: &str =
    "query($d: Boolean!) { users(first: 100, includeDeactivated: $d) { totalCount nodes { id active } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

fn user_ids(data: &Value) -> Vec<String> {
    data["users"]["nodes"].as_array().expect("nodes").iter().map(|n| n["id"].as_str().expect("id").to_owned()).collect()
}

/// A shop with an active per-license subscription of 5 on which `holder` has a license.
async fn licensed(app: &TestApp) -> (Shop, String, Person) {
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let holder = app.user(&shop.org, "Hal Holder", &[]).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [holder.id]})).await;
    (shop, sub, holder)
}

#[tokio::test]
async fn r43_deactivation_stops_tokens_at_once_and_keeps_licenses_until_reactivated() {
    let app = TestApp::spawn().await;
    let (shop, sub, holder) = licensed(&app).await;
    app.ok(&holder.token, ME, json!({})).await;

    let data = app.ok(&shop.org.admin, DEACTIVATE, json!({"u": holder.id})).await;
    assert_eq!(data["deactivateUser"]["active"], false);
    // R43: the token issued before is refused on the very next request, and sign-in fails.
    assert_eq!(app.err(Some(&holder.token), ME, json!({})).await, "UNAUTHENTICATED");
    assert_eq!(
        app.err(None, LOGIN, json!({"e": holder.email, "p": PASSWORD})).await,
        "UNAUTHENTICATED",
        "a deactivated user cannot sign in"
    );
    // Licenses stay assigned.
    let state = app.ok(&shop.org.admin, STATE, json!({"id": sub})).await;
    assert_eq!(state["subscription"]["assigned"], 1);
    assert_eq!(state["subscription"]["assignedUsers"][0]["id"], holder.id.as_str());
    // The people picker hides them; the user manager can list them to reactivate.
    let listed = app.ok(&shop.org.admin, USERS, json!({"d": false})).await;
    assert!(!user_ids(&listed).contains(&holder.id));
    let listed = app.ok(&shop.org.admin, USERS, json!({"d": true})).await;
    assert!(user_ids(&listed).contains(&holder.id));

    let data = app.ok(&shop.org.admin, REACTIVATE, json!({"u": holder.id})).await;
    assert_eq!(data["reactivateUser"]["active"], true);
    let token = app.login(&holder.email).await;
    app.ok(&token, ME, json!({})).await;

    let actions: Vec<String> =
        app.ok(&shop.org.admin, AUDIT, json!({"f": {"objectId": holder.id}})).await["auditEvents"]["nodes"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["action"].as_str().expect("action").to_owned())
            .collect();
    assert!(
        actions.contains(&"user.deactivate".to_owned()) && actions.contains(&"user.reactivate".to_owned()),
        "R36: {actions:?}"
    );
}

#[tokio::test]
async fn r43_deleting_a_user_releases_their_licenses_says_so_in_the_audit_log_and_frees_the_address() {
    let app = TestApp::spawn().await;
    let (shop, sub, holder) = licensed(&app).await;

    let data = app.ok(&shop.org.admin, DELETE, json!({"u": holder.id})).await;
    let payload = &data["deleteUser"];
    assert_eq!(payload["user"]["active"], false);
    assert!(payload["user"]["deletedAt"].is_string());
    assert_eq!(payload["user"]["roles"], json!(["USER"]));
    assert_eq!(payload["releasedLicenseSubscriptionIds"], json!([sub]));

    let state = app.ok(&shop.org.admin, STATE, json!({"id": sub})).await;
    assert_eq!(state["subscription"]["assigned"], 0, "the license is released");
    assert_eq!(state["subscription"]["assignedUsers"], json!([]));
    assert_eq!(app.err(Some(&holder.token), ME, json!({})).await, "UNAUTHENTICATED");

    let audit = app.ok(&shop.org.admin, AUDIT, json!({"f": {"objectId": sub}})).await;
    let released = audit["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .any(|e| e["action"] == "subscription.release_license");
    assert!(released, "R36: the subscription's log says the license was released: {audit}");
    let audit = app.ok(&shop.org.admin, AUDIT, json!({"f": {"objectId": holder.id}})).await;
    assert_eq!(audit["auditEvents"]["nodes"][0]["action"], "user.delete");

    // A deleted user is gone for every user operation (NOT_FOUND), and the address is free again.
    for (query, vars) in [
        (DEACTIVATE, json!({"u": holder.id})),
        (REACTIVATE, json!({"u": holder.id})),
        (DELETE, json!({"u": holder.id})),
        (SET_ROLES, json!({"u": holder.id, "r": ["LICENSE_ADMIN"]})),
    ] {
        assert_eq!(app.err(Some(&shop.org.admin), query, vars).await, "NOT_FOUND", "{query}");
    }
    app.ok(
        &shop.org.admin,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        json!({"i": {"name": "Hal Again", "email": holder.email, "password": PASSWORD}}),
    )
    .await;
}

#[tokio::test]
async fn r43_the_last_global_admin_cannot_be_deactivated_deleted_or_demoted() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let before = app.count("audit_events").await;
    for (query, vars) in [
        (DEACTIVATE, json!({"u": org.admin_id})),
        (DELETE, json!({"u": org.admin_id})),
        (SET_ROLES, json!({"u": org.admin_id, "r": ["BILLING_ADMIN"]})),
    ] {
        assert_eq!(app.err(Some(&org.admin), query, vars).await, "INVALID_STATE", "{query}");
    }
    assert_eq!(app.count("audit_events").await, before, "nothing changed");
    assert_eq!(app.ok(&org.admin, ME, json!({})).await["me"]["roles"], json!(["GLOBAL_ADMIN", "USER"]));

    // A deactivated second global admin does not count.
    let second = app.user(&org, "Second Admin", &["GLOBAL_ADMIN"]).await;
    app.ok(&org.admin, DEACTIVATE, json!({"u": second.id})).await;
    assert_eq!(app.err(Some(&org.admin), SET_ROLES, json!({"u": org.admin_id, "r": []})).await, "INVALID_STATE");
    // Once another global admin is active, the first may step down.
    app.ok(&org.admin, REACTIVATE, json!({"u": second.id})).await;
    let data = app.ok(&org.admin, SET_ROLES, json!({"u": org.admin_id, "r": ["BILLING_ADMIN", "USER"]})).await;
    assert_eq!(data["setUserRoles"]["roles"], json!(["BILLING_ADMIN", "USER"]));
    // Roles are read live: the demoted admin lost user management with their next request.
    assert_eq!(app.err(Some(&org.admin), DEACTIVATE, json!({"u": second.id})).await, "FORBIDDEN");
    // And now the second one is the last. Their deactivation ended their
    // sessions and reactivation did not revive them (R47): they sign in anew.
    assert_eq!(app.err(Some(&second.token), ME, json!({})).await, "UNAUTHENTICATED");
    let second_token = app.login(&second.email).await;
    assert_eq!(app.err(Some(&second_token), DELETE, json!({"u": second.id})).await, "INVALID_STATE");
}

#[tokio::test]
async fn r43_self_service_subscriptions_of_a_deleted_user_are_handed_to_billing_managers_to_cancel() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let buyer = app.user(&shop.org, "Sam Self", &[]).await;
    let license_admin = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let billing_admin = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let own = app.personal_profile(&buyer.token, "US", CARD_OK).await;
    let data = app
        .ok(
            &buyer.token,
            TestApp::PURCHASE,
            json!({"i": {"productId": shop.per_license, "term": "MONTHLY", "quantity": 3, "billingProfileId": own, "channel": "SELF_SERVICE"}}),
        )
        .await;
    let sub = data["purchaseSubscription"]["id"].as_str().expect("id").to_owned();
    let cancel = json!({"s": sub, "r": "NO_LONGER_NEEDED", "f": null});
    // R27 while the buyer is there: admins only look.
    assert_eq!(app.err(Some(&shop.org.admin), CANCEL, cancel.clone()).await, "FORBIDDEN");

    let data = app.ok(&shop.org.admin, DELETE, json!({"u": buyer.id})).await;
    assert_eq!(data["deleteUser"]["handedOverSubscriptionIds"], json!([sub]));
    let state = app.ok(&shop.org.admin, STATE, json!({"id": sub})).await;
    assert_eq!(state["subscription"]["autoRenew"], false, "no renewal is charged to a departed person's card");
    assert_eq!(state["subscription"]["status"], "PENDING_ACTIVATION");

    // A license admin is no billing manager: still no.
    assert_eq!(outcome(&attempt(&app, Some(&license_admin.token), CANCEL, cancel.clone()).await), "NOT_FOUND");
    let data = app.ok(&billing_admin.token, CANCEL, cancel.clone()).await;
    assert_eq!(data["cancelSubscription"]["status"], "DISABLED");
    assert_eq!(data["cancelSubscription"]["disabledReason"], "CANCELED");
}

/// The authorization rows of the four R43 operations: only the organization's
/// GLOBAL_ADMIN may run them; everyone else is refused and nothing changes.
#[tokio::test]
async fn r43_authorization_table_for_user_management() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let billing = app.user(&org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&org, "Ursula User", &[]).await;
    let target = app.user(&org, "Tess Target", &[]).await;
    let other = app.register_org("Northwind", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;

    let operations = [
        ("deactivateUser", DEACTIVATE, json!({"u": target.id})),
        ("reactivateUser", REACTIVATE, json!({"u": target.id})),
        ("setUserRoles", SET_ROLES, json!({"u": target.id, "r": ["LICENSE_ADMIN"]})),
        ("deleteUser", DELETE, json!({"u": target.id})),
    ];
    let refused: [(&str, Option<&str>, &str); 6] = [
        ("BILLING_ADMIN", Some(&billing.token), "FORBIDDEN"),
        ("LICENSE_ADMIN", Some(&license.token), "FORBIDDEN"),
        ("USER", Some(&plain.token), "FORBIDDEN"),
        ("other org's GLOBAL_ADMIN", Some(&other.admin), "NOT_FOUND"),
        ("publisher", Some(&publisher.token), "FORBIDDEN"),
        ("anonymous", None, "UNAUTHENTICATED"),
    ];
    let target_state =
        "query($d: Boolean!) { users(first: 100, includeDeactivated: $d) { nodes { id active roles } } }";
    let before_users = app.ok(&org.admin, target_state, json!({"d": true})).await;
    let before_audit = app.count("audit_events").await;
    for (name, query, vars) in &operations {
        for (actor, token, expected) in &refused {
            let got = outcome(&attempt(&app, *token, query, vars.clone()).await).to_owned();
            assert_eq!(got, *expected, "{name} by {actor}");
        }
    }
    assert_eq!(app.ok(&org.admin, target_state, json!({"d": true})).await, before_users, "nothing changed");
    assert_eq!(app.count("audit_events").await, before_audit, "no audit event for a refusal");

    // GLOBAL_ADMIN: every operation succeeds, in order.
    for (name, query, vars) in &operations {
        assert_eq!(
            outcome(&attempt(&app, Some(&org.admin), query, vars.clone()).await),
            "ok",
            "{name} by GLOBAL_ADMIN"
        );
    }
    // A malformed ID is NOT_FOUND like any unknown one (R3).
    assert_eq!(app.err(Some(&org.admin), DEACTIVATE, json!({"u": "not-an-id"})).await, "NOT_FOUND");
}
