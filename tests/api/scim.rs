//! R49: directory sync through SCIM 2.0 and group-based licensing, in-process.
//! Each test states the rule it checks; every test runs on both engines.

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Org, TestApp};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub etag: Option<String>,
    pub content_type: Option<String>,
}

impl TestApp {
    pub(crate) async fn scim(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("/scim/v2{path}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/scim+json");
        if let Some(version) = if_match {
            builder = builder.header("if-match", version);
        }
        let request = builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).expect("request");
        let response = tower::ServiceExt::oneshot(self.router.clone(), request).await.expect("router");
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let etag = header("etag");
        let content_type = header("content-type");
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "500: {body}");
        Answer { status, body, etag, content_type }
    }

    pub(crate) async fn scim_token(&self, org: &Org) -> String {
        let data = self
            .ok(&org.admin, "mutation { createScimToken(name: \"Entra ID\") { token scimToken { id } } }", json!({}))
            .await;
        data["createScimToken"]["token"].as_str().expect("token").to_owned()
    }

    pub(crate) async fn scim_user(&self, token: &str, user_name: &str, external_id: &str) -> Value {
        let answer = self
            .scim(
                token,
                "POST",
                "/Users",
                Some(
                    json!({"schemas": [USER_SCHEMA], "userName": user_name, "externalId": external_id, "active": true,
                    "name": {"givenName": "Ann", "familyName": user_name},
                    "emails": [{"value": user_name, "type": "work", "primary": true}]}),
                ),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body
    }
}

pub(crate) fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

/// R49, R43, R2/R3/R37: only the organization's GLOBAL_ADMIN creates, lists
/// and revokes SCIM tokens; the secret is shown once and stored as SHA-256;
/// a revoked token stops at once; another organization's token ID is NOT_FOUND.
#[tokio::test]
async fn r49_scim_tokens_belong_to_global_admins_and_are_stored_hashed() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    assert!(token.starts_with("ldscim_") && token.len() > 40);
    let listed = app
        .ok(
            &org.admin,
            "{ scimTokens(first: 10) { totalCount edges { node { id name lastUsedAt revokedAt createdBy { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["scimTokens"]["totalCount"], 1);
    let node = &listed["scimTokens"]["edges"][0]["node"];
    assert_eq!(node["createdBy"]["id"], org.admin_id.as_str());
    assert!(node["lastUsedAt"].is_null());
    // Only the hash is stored.
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    assert_eq!(app.count_where(&format!("scim_tokens WHERE token_hash = '{hash}'")).await, 1);
    assert_eq!(app.count_where(&format!("scim_tokens WHERE token_hash = '{token}' OR name = '{token}'")).await, 0);
    // The token works and records its use.
    assert_eq!(app.scim(&token, "GET", "/Users", None, None).await.status, StatusCode::OK);
    let listed = app.ok(&org.admin, "{ scimTokens(first: 10) { edges { node { lastUsedAt } } } }", json!({})).await;
    assert!(listed["scimTokens"]["edges"][0]["node"]["lastUsedAt"].is_string());

    // Every other role: FORBIDDEN (R1: only the global admin manages users),
    // and the tokens' audit events are not in their log either (R37).
    let audit = "{ auditEvents(first: 100) { nodes { action } } }";
    assert!(app.ok(&org.admin, audit, json!({})).await.to_string().contains("scim_token.create"));
    for role in ["BILLING_ADMIN", "LICENSE_ADMIN"] {
        let person = app.user(&org, role, &[role]).await;
        assert!(!app.ok(&person.token, audit, json!({})).await.to_string().contains("scim_token"), "{role}");
        let code = app.err(Some(&person.token), "mutation { createScimToken(name: \"x\") { token } }", json!({})).await;
        assert_eq!(code, "FORBIDDEN", "{role}");
        assert_eq!(
            app.err(Some(&person.token), "{ scimTokens { totalCount } }", json!({})).await,
            "FORBIDDEN",
            "{role}"
        );
    }
    let plain = app.user(&org, "Plain", &[]).await;
    assert_eq!(
        app.err(Some(&plain.token), "mutation { createScimToken(name: \"x\") { token } }", json!({})).await,
        "FORBIDDEN"
    );
    let id = node["id"].as_str().expect("test value");
    // R3: another organization's admin cannot revoke it, and learns nothing.
    let other = app.register_org("Fabrikam", "US").await;
    let revoke = "mutation($id: ID!) { revokeScimToken(id: $id) { revokedAt } }";
    assert_eq!(app.err(Some(&other.admin), revoke, json!({"id": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&other.admin), revoke, json!({"id": uuid::Uuid::now_v7()})).await, "NOT_FOUND");
    let revoked = app.ok(&org.admin, revoke, json!({"id": id})).await;
    assert!(revoked["revokeScimToken"]["revokedAt"].is_string());
    let answer = app.scim(&token, "GET", "/Users", None, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body["status"], "401");
    // A GraphQL access token is not a SCIM token.
    assert_eq!(app.scim(&org.admin, "GET", "/Users", None, None).await.status, StatusCode::UNAUTHORIZED);
}

/// R49, RFC 7644 §3.3/3.4: create, get, filter (`userName eq`, `externalId eq`,
/// `displayName eq`, and/or), pagination, uniqueness, SCIM errors; a token
/// acts only on its organization (R3).
#[tokio::test]
async fn r49_scim_users_create_get_filter_and_page() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    let ann = app.scim_user(&token, "ann@contoso.example", "ext-ann").await;
    let bob = app.scim_user(&token, "bob@contoso.example", "ext-bob").await;
    let id = ann["id"].as_str().expect("test value");
    assert_eq!(ann["meta"]["resourceType"], "User");
    assert!(ann["meta"]["version"].as_str().expect("test value").starts_with("W/\""));
    assert!(ann["meta"]["location"].as_str().expect("test value").ends_with(&format!("/scim/v2/Users/{id}")));

    let got = app.scim(&token, "GET", &format!("/Users/{id}"), None, None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.content_type.as_deref(), Some("application/scim+json"));
    assert_eq!(got.etag.as_deref(), ann["meta"]["version"].as_str());
    assert_eq!(got.body["userName"], "ann@contoso.example");
    assert_eq!(got.body["name"]["givenName"], "Ann");

    let list = |filter: &str| {
        let filter = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>();
        format!("/Users?filter={filter}")
    };
    for (filter, expected) in [
        (r#"userName eq "ANN@contoso.example""#, vec![id]),
        (r#"externalId eq "ext-bob""#, vec![bob["id"].as_str().expect("test value")]),
        (r#"displayName eq "nobody""#, vec![]),
        (
            r#"userName eq "ann@contoso.example" or externalId eq "ext-bob""#,
            vec![id, bob["id"].as_str().expect("test value")],
        ),
        (r#"userName sw "ann" and active eq true"#, vec![id]),
    ] {
        let answer = app.scim(&token, "GET", &list(filter), None, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{filter}: {}", answer.body);
        let ids: Vec<&str> = answer.body["Resources"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|r| r["id"].as_str().expect("test value"))
            .collect();
        assert_eq!(ids, expected, "{filter}");
        assert_eq!(answer.body["totalResults"], expected.len());
    }
    // The admin made in LicenseDesk is matched by their sign-in address (how directories link existing people).
    let admin = app.scim(&token, "GET", &format!("/Users/{}", org.admin_id), None, None).await;
    let admin_name = admin.body["userName"].as_str().expect("test value").to_owned();
    let found = app.scim(&token, "GET", &list(&format!("userName eq \"{admin_name}\"")), None, None).await;
    assert_eq!(found.body["totalResults"], 1);
    let named = app
        .scim(
            &token,
            "GET",
            &list(&format!("displayName eq \"{}\"", admin.body["displayName"].as_str().expect("test value"))),
            None,
            None,
        )
        .await;
    assert_eq!(named.body["totalResults"], 1);

    // Pagination: three people, pages of two.
    let page = app.scim(&token, "GET", "/Users?startIndex=1&count=2", None, None).await;
    assert_eq!((page.body["totalResults"].as_i64(), page.body["itemsPerPage"].as_i64()), (Some(3), Some(2)));
    let page = app.scim(&token, "GET", "/Users?startIndex=3&count=2", None, None).await;
    assert_eq!((page.body["startIndex"].as_i64(), page.body["itemsPerPage"].as_i64()), (Some(3), Some(1)));
    let trimmed = app.scim(&token, "GET", "/Users?attributes=userName&count=1", None, None).await;
    let first = &trimmed.body["Resources"][0];
    assert!(first.get("userName").is_some() && first.get("emails").is_none() && first.get("id").is_some());

    // Errors speak SCIM.
    let dup = app
        .scim(
            &token,
            "POST",
            "/Users",
            Some(json!({"schemas": [USER_SCHEMA], "userName": "Ann@Contoso.example"})),
            None,
        )
        .await;
    assert_eq!((dup.status, dup.body["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")));
    let bad = app.scim(&token, "GET", &list("userName eq"), None, None).await;
    assert_eq!((bad.status, bad.body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
    assert_eq!(bad.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    let missing = app.scim(&token, "POST", "/Users", Some(json!({"schemas": [USER_SCHEMA]})), None).await;
    assert_eq!((missing.status, missing.body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));

    // R3: another organization's token sees none of this, exactly like IDs that do not exist.
    let other = app.register_org("Fabrikam", "US").await;
    let theirs = app.scim_token(&other).await;
    let foreign = app.scim(&theirs, "GET", &format!("/Users/{id}"), None, None).await;
    let unknown = app.scim(&theirs, "GET", &format!("/Users/{}", uuid::Uuid::now_v7()), None, None).await;
    assert_eq!((foreign.status, &foreign.body["detail"]), (unknown.status, &unknown.body["detail"]));
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    for method in ["PUT", "PATCH", "DELETE"] {
        let body = (method != "DELETE").then(|| patch(json!([{"op": "replace", "path": "active", "value": false}])));
        let body = if method == "PUT" { Some(json!({"userName": "x"})) } else { body };
        assert_eq!(
            app.scim(&theirs, method, &format!("/Users/{id}"), body, None).await.status,
            StatusCode::NOT_FOUND,
            "{method}"
        );
    }
    let listed = app.scim(&theirs, "GET", &list(r#"userName eq "ann@contoso.example""#), None, None).await;
    assert_eq!(listed.body["totalResults"], 0);
}

/// R49: the PATCH shapes Entra ID and Okta send, on users.
#[tokio::test]
async fn r49_entra_and_okta_user_patches() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    let ann = app.scim_user(&token, "ann@contoso.example", "ext-ann").await;
    let path = format!("/Users/{}", ann["id"].as_str().expect("test value"));
    let send = |ops: Value| app.scim(&token, "PATCH", &path, Some(patch(ops)), None);
    // Entra ID: capitalised op, string boolean.
    let out = send(json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
    assert_eq!((out.status, &out.body["active"]), (StatusCode::OK, &json!(false)), "{}", out.body);
    let out = send(json!([{"op": "Replace", "path": "active", "value": "True"}])).await;
    assert_eq!(out.body["active"], true);
    // Entra ID: sub-attribute and value-path forms.
    let out = send(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Anna"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "anna@contoso.example"},
        {"op": "Add", "path": "displayName", "value": "Anna Lee"},
        {"op": "Replace", "path": "externalId", "value": "ext-anna"},
    ]))
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    assert_eq!(out.body["name"]["givenName"], "Anna");
    assert_eq!(out.body["emails"], json!([{"value": "anna@contoso.example", "type": "work", "primary": true}]));
    assert_eq!(
        (out.body["displayName"].as_str(), out.body["externalId"].as_str()),
        (Some("Anna Lee"), Some("ext-anna"))
    );
    // Okta: lower-case op, no path, a value object (keys may be paths).
    let out =
        send(json!([{"op": "replace", "value": {"active": false, "name.familyName": "Lee", "displayName": "A. Lee"}}]))
            .await;
    assert_eq!((out.body["active"].as_bool(), out.body["name"]["familyName"].as_str()), (Some(false), Some("Lee")));
    assert_eq!(out.body["displayName"], "A. Lee");
    // Remove, and the sign-in address follows the primary e-mail.
    let out = send(json!([{"op": "remove", "path": "displayName"}, {"op": "remove", "path": "name.givenName"}])).await;
    assert!(out.body.get("displayName").is_none() && out.body["name"].get("givenName").is_none(), "{}", out.body);
    let found = app
        .ok(
            &org.admin,
            "{ users(search: \"anna@contoso\", includeDeactivated: true) { edges { node { id email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(found["users"]["edges"][0]["node"]["id"], ann["id"]);
    assert_eq!(found["users"]["edges"][0]["node"]["email"], "anna@contoso.example");
    // Malformed: noTarget, invalidPath, invalidSyntax.
    let out = send(json!([{"op": "remove"}])).await;
    assert_eq!((out.status, out.body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("noTarget")));
    let out = send(json!([{"op": "replace", "path": "emails[type eq]", "value": "x"}])).await;
    assert_eq!(out.body["scimType"], "invalidPath");
    let out = app.scim(&token, "PATCH", &path, Some(json!({"Operations": []})), None).await;
    assert_eq!(out.body["scimType"], "invalidSyntax");
    let out = send(json!([{"op": "replace", "path": "active", "value": "perhaps"}])).await;
    assert_eq!(out.body["scimType"], "invalidValue");
}

impl TestApp {
    pub(crate) async fn count_where(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {sql}"),
            ))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }

    pub(crate) async fn assigned(&self, token: &str, subscription: &str) -> i64 {
        let data =
            self.ok(token, "query($id: ID!) { subscription(id: $id) { assigned } }", json!({"id": subscription})).await;
        data["subscription"]["assigned"].as_i64().expect("assigned")
    }

    pub(crate) async fn assign_licenses(&self, token: &str, subscription: &str, users: &[&str]) {
        self.ok(
            token,
            "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }",
            json!({"s": subscription, "u": users}),
        )
        .await;
    }
}

/// R49, R43, R47: `active: false` from the directory deactivates the person
/// the way `deactivateUser` does (their sessions end at once) and releases
/// their licenses the way deletion does, audited and raised as
/// LICENSES_UNASSIGNED; reactivation gives back the sign-in, not the session.
#[tokio::test]
async fn r49_scim_deactivation_ends_sessions_and_releases_licenses() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let dana = app.user(&shop.org, "Dana", &[]).await;
    app.assign_licenses(&shop.org.admin, &sub, &[&dana.id]).await;
    assert_eq!(app.assigned(&shop.org.admin, &sub).await, 1);
    assert!(app.gql(Some(&dana.token), "{ me { id } }", json!({})).await.get("errors").is_none());
    let events_before = app.count_where("outbox_events WHERE event_type = 'LICENSES_UNASSIGNED'").await;

    let token = app.scim_token(&shop.org).await;
    let path = format!("/Users/{}", dana.id);
    let out = app
        .scim(&token, "PATCH", &path, Some(patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))), None)
        .await;
    assert_eq!((out.status, &out.body["active"]), (StatusCode::OK, &json!(false)), "{}", out.body);
    assert_eq!(app.err(Some(&dana.token), "{ me { id } }", json!({})).await, "UNAUTHENTICATED", "sessions ended (R47)");
    assert_eq!(app.count_where("sessions WHERE end_reason = 'DEACTIVATED'").await, 1);
    assert_eq!(app.assigned(&shop.org.admin, &sub).await, 0, "licenses released (R49)");
    assert_eq!(app.count_where("outbox_events WHERE event_type = 'LICENSES_UNASSIGNED'").await, events_before + 1);
    let audit = app
        .ok(&shop.org.admin, "{ auditEvents(first: 50) { nodes { action objectId actor { id } after } } }", json!({}))
        .await;
    let nodes = audit["auditEvents"]["nodes"].as_array().expect("test value");
    let deactivated = nodes.iter().find(|n| n["action"] == "user.deactivate").expect("audited");
    assert!(deactivated["actor"].is_null(), "the directory acted, no person");
    assert!(nodes.iter().any(|n| n["action"] == "subscription.release_license" && n["objectId"] == sub.as_str()));
    // Doing it again changes nothing.
    let again = app
        .scim(&token, "PATCH", &path, Some(patch(json!([{"op": "replace", "path": "active", "value": false}]))), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    // Reactivation: they may sign in again, the old session stays ended (R47).
    let back = app
        .scim(&token, "PATCH", &path, Some(patch(json!([{"op": "replace", "value": {"active": "True"}}]))), None)
        .await;
    assert_eq!(back.body["active"], true);
    assert_eq!(app.err(Some(&dana.token), "{ me { id } }", json!({})).await, "UNAUTHENTICATED");
    app.login(&dana.email).await;
    // The last global admin cannot be deactivated by the directory either (R43).
    let admin = app
        .scim(
            &token,
            "PATCH",
            &format!("/Users/{}", shop.org.admin_id),
            Some(patch(json!([{"op": "replace", "path": "active", "value": false}]))),
            None,
        )
        .await;
    assert_eq!(admin.status, StatusCode::CONFLICT);
}

/// RFC 7644 §3.14, R49: `meta.version` is the ETag; a PUT, PATCH or DELETE
/// with an old `If-Match` answers 412 and changes nothing. PUT replaces.
/// DELETE is R43's deletion.
#[tokio::test]
async fn r49_scim_etags_put_and_delete() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    let ann = app.scim_user(&token, "ann@contoso.example", "ext-ann").await;
    let path = format!("/Users/{}", ann["id"].as_str().expect("test value"));
    let old = ann["meta"]["version"].as_str().expect("test value").to_owned();
    let put =
        json!({"schemas": [USER_SCHEMA], "userName": "ann@contoso.example", "displayName": "Ann", "active": true});
    let replaced = app.scim(&token, "PUT", &path, Some(put.clone()), Some(&old)).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert!(replaced.body.get("name").is_none() && replaced.body.get("externalId").is_none(), "PUT replaces");
    let new = replaced.etag.clone().expect("test value");
    assert_ne!(new, old);
    let stale = app.scim(&token, "PUT", &path, Some(put), Some(&old)).await;
    assert_eq!((stale.status, stale.body["status"].as_str()), (StatusCode::PRECONDITION_FAILED, Some("412")));
    let stale = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "replace", "path": "displayName", "value": "X"}]))),
            Some(&old),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.scim(&token, "DELETE", &path, None, Some(&old)).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.scim(&token, "GET", &path, None, None).await.body["displayName"], "Ann");
    let deleted = app.scim(&token, "DELETE", &path, None, Some(&new)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.scim(&token, "GET", &path, None, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.scim(&token, "DELETE", &path, None, None).await.status, StatusCode::NOT_FOUND);
    // The userName and externalId are free again; the deleted row stays for history (R43).
    app.scim_user(&token, "ann@contoso.example", "ext-ann").await;
    assert_eq!(app.count_where("users WHERE deleted_at IS NOT NULL").await, 1);
}

/// R49: SCIM Groups — create, get, filter, PATCH members in Entra ID's and
/// Okta's shapes, PUT, DELETE; members must be the organization's people.
#[tokio::test]
async fn r49_scim_groups_and_member_patches() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    let ann = app.scim_user(&token, "ann@contoso.example", "a").await["id"].as_str().expect("test value").to_owned();
    let bob = app.scim_user(&token, "bob@contoso.example", "b").await["id"].as_str().expect("test value").to_owned();
    let created = app
        .scim(
            &token,
            "POST",
            "/Groups",
            Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": "g-1",
            "members": [{"value": ann}]})),
            None,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = format!("/Groups/{}", created.body["id"].as_str().expect("test value"));
    assert_eq!(created.body["members"][0]["value"], ann.as_str());
    let members = |body: &Value| -> Vec<String> {
        body["members"]
            .as_array()
            .map(|m| m.iter().map(|x| x["value"].as_str().expect("test value").to_owned()).collect())
            .unwrap_or_default()
    };
    // Entra ID: add and remove members.
    let out = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "Add", "path": "members", "value": [{"value": bob}]}]))),
            None,
        )
        .await;
    assert_eq!(members(&out.body), vec![ann.clone(), bob.clone()]);
    let remove = json!([{"op": "Remove", "path": format!("members[value eq \"{ann}\"]")}]);
    let out = app.scim(&token, "PATCH", &path, Some(patch(remove)), None).await;
    assert_eq!(members(&out.body), vec![bob.clone()]);
    // Okta: remove with a value list, replace the whole list, rename.
    let out = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "remove", "path": "members", "value": [{"value": bob}]}]))),
            None,
        )
        .await;
    assert!(members(&out.body).is_empty());
    let out = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "replace", "path": "members", "value": [{"value": ann}, {"value": bob}]},
        {"op": "replace", "value": {"displayName": "Sales EU"}}]))),
            None,
        )
        .await;
    assert_eq!((members(&out.body).len(), out.body["displayName"].as_str()), (2, Some("Sales EU")));
    // Filters.
    let filter =
        |f: &str| format!("/Groups?filter={}", url::form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>());
    assert_eq!(
        app.scim(&token, "GET", &filter(r#"displayName eq "sales eu""#), None, None).await.body["totalResults"],
        1
    );
    assert_eq!(app.scim(&token, "GET", &filter(r#"externalId eq "g-1""#), None, None).await.body["totalResults"], 1);
    assert_eq!(
        app.scim(&token, "GET", &filter(&format!("members[value eq \"{bob}\"]")), None, None).await.body["totalResults"],
        1
    );
    let lean = app.scim(&token, "GET", "/Groups?excludedAttributes=members", None, None).await;
    assert!(lean.body["Resources"][0].get("members").is_none());
    // Someone of another organization cannot be a member (R3).
    let other = app.register_org("Fabrikam", "US").await;
    let out = app
        .scim(
            &token,
            "PATCH",
            &path,
            Some(patch(json!([{"op": "add", "path": "members", "value": [{"value": other.admin_id}]}]))),
            None,
        )
        .await;
    assert_eq!((out.status, out.body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    let dup = app
        .scim(&token, "POST", "/Groups", Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "SALES EU"})), None)
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    // Another organization's token: NOT_FOUND.
    let theirs = app.scim_token(&other).await;
    assert_eq!(app.scim(&theirs, "GET", &path, None, None).await.status, StatusCode::NOT_FOUND);
    // PUT, then DELETE.
    let put =
        app.scim(&token, "PUT", &path, Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales"})), None).await;
    assert!(members(&put.body).is_empty());
    assert_eq!(app.scim(&token, "DELETE", &path, None, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.scim(&token, "GET", &path, None, None).await.status, StatusCode::NOT_FOUND);
}

/// R46: SCIM answers with the same limits as every door: the body cap, and
/// discovery documents for what is implemented.
#[tokio::test]
async fn r49_scim_discovery_and_limits() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let token = app.scim_token(&org).await;
    let config = app.scim(&token, "GET", "/ServiceProviderConfig", None, None).await;
    assert_eq!(
        (config.body["patch"]["supported"].as_bool(), config.body["etag"]["supported"].as_bool()),
        (Some(true), Some(true))
    );
    let types = app.scim(&token, "GET", "/ResourceTypes", None, None).await;
    assert_eq!(types.body["totalResults"], 2);
    let schemas = app.scim(&token, "GET", "/Schemas", None, None).await;
    assert_eq!(schemas.body["Resources"][0]["id"], USER_SCHEMA);
    let nothing = app.scim(&token, "GET", "/Nothing", None, None).await;
    assert_eq!((nothing.status, nothing.body["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    let huge = json!({"schemas": [USER_SCHEMA], "userName": "x".repeat(licensedesk::app::MAX_BODY_BYTES + 10)});
    assert_eq!(app.scim(&token, "POST", "/Users", Some(huge), None).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}
