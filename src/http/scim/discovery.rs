//! RFC 7644 §4 discovery: `/ServiceProviderConfig`, `/Schemas`,
//! `/ResourceTypes`. They describe exactly what `service::directory` reads
//! and writes, so a client (and the `scim2-tester` compliance checker) tests
//! what is there.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde_json::{Value, json};

use super::{LIST_SCHEMA, call, error, scim};
use crate::{
    error::{AppError, EntityKind},
    service::directory::{MAX_PAGE, groups, users},
    state::AppState,
};

fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": name,
        "required": required, "caseExact": false, "mutability": mutability,
        "returned": "default", "uniqueness": uniqueness,
    })
}

fn complex(name: &str, multi: bool, subs: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": multi, "description": name, "required": false,
        "mutability": "readWrite", "returned": "default", "uniqueness": "none", "subAttributes": subs,
    })
}

fn user_schema(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": users::SCHEMA,
        "name": "User",
        "description": "A person of the organization",
        "attributes": [
            attribute("userName", "string", true, "readWrite", "server"),
            complex("name", false, vec![
                attribute("formatted", "string", false, "readWrite", "none"),
                attribute("familyName", "string", false, "readWrite", "none"),
                attribute("givenName", "string", false, "readWrite", "none"),
            ]),
            attribute("displayName", "string", false, "readWrite", "none"),
            attribute("active", "boolean", true, "readWrite", "none"),
            complex("emails", true, vec![
                attribute("value", "string", false, "readWrite", "none"),
                attribute("type", "string", false, "readWrite", "none"),
                attribute("primary", "boolean", false, "readWrite", "none"),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", users::SCHEMA)},
    })
}

fn group_schema(base: &str) -> Value {
    let mut value = attribute("value", "string", false, "immutable", "none");
    value["caseExact"] = json!(true);
    let reference = json!({
        "name": "$ref", "type": "reference", "referenceTypes": ["User"], "multiValued": false,
        "description": "The member's URI", "required": false, "caseExact": true,
        "mutability": "immutable", "returned": "default", "uniqueness": "none",
    });
    let mut kind = attribute("type", "string", false, "immutable", "none");
    kind["canonicalValues"] = json!(["User"]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": groups::SCHEMA,
        "name": "Group",
        "description": "A group of people of the organization",
        "attributes": [
            attribute("displayName", "string", true, "readWrite", "server"),
            complex("members", true, vec![value, reference, kind]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", groups::SCHEMA)},
    })
}

fn resource_type_of(base: &str, name: &str) -> Option<Value> {
    let (endpoint, schema, description) = match name {
        "User" => ("/Users", users::SCHEMA, "People"),
        "Group" => ("/Groups", groups::SCHEMA, "Groups of people"),
        _ => return None,
    };
    Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name, "name": name, "endpoint": endpoint, "description": description, "schema": schema,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
    }))
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA], "totalResults": resources.len(), "startIndex": 1,
        "itemsPerPage": resources.len(), "Resources": resources,
    })
}

pub(super) async fn service_provider_config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = match call(&state, &headers).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    scim(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://github.com/licensedesk/licensedesk#directory-sync-scim-20",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_PAGE},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken", "name": "Bearer token",
                "description": "An organization's SCIM token, created by its global admin (createScimToken)",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", c.base.0)},
        }),
    )
}

pub(super) async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match call(&state, &headers).await {
        Ok(c) => scim(StatusCode::OK, list(vec![user_schema(&c.base.0), group_schema(&c.base.0)])),
        Err(response) => response,
    }
}

pub(super) async fn schema(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let c = match call(&state, &headers).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    match id.as_str() {
        users::SCHEMA => scim(StatusCode::OK, user_schema(&c.base.0)),
        groups::SCHEMA => scim(StatusCode::OK, group_schema(&c.base.0)),
        _ => error(AppError::NotFound { entity: EntityKind::Object }, &c.info),
    }
}

pub(super) async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match call(&state, &headers).await {
        Ok(c) => {
            let types = ["User", "Group"].iter().filter_map(|n| resource_type_of(&c.base.0, n)).collect();
            scim(StatusCode::OK, list(types))
        }
        Err(response) => response,
    }
}

pub(super) async fn resource_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = match call(&state, &headers).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    match resource_type_of(&c.base.0, &id) {
        Some(found) => scim(StatusCode::OK, found),
        None => error(AppError::NotFound { entity: EntityKind::Object }, &c.info),
    }
}
