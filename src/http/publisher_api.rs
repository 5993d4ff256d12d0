//! R50, R51: the publisher API, called by a publisher's app with a
//! client-credentials token from `POST /oauth/token`. JSON in and out;
//! errors carry the SPEC §10 codes in the GraphQL error shape (R46).
//!
//! - `GET /api/v1/license-checks?organizationId=…&email=…|externalId=…[&productId=…]`
//!   — one person (scope `licenses.check`).
//! - `POST /api/v1/license-checks` `{"organizationId", "productId"?, "users": [{"email"}|{"externalId"}]}`
//!   — up to 100 people, answers in the order asked.
//! - `POST /api/v1/usage-reports` `{"organizationId", "productId"?, "uses": [{"email"|"externalId", "usedAt"}]}`
//!   — when people last used their licenses (scope `usage.write`).

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::PublisherAppActor,
    error::{AppError, AppResult, EntityKind, Invalid},
    graphql::errors::rest_error,
    service::{
        api_clients,
        license_check::{self, LicenseAnswer, LicenseQuestion, PersonRef, ReportedUse},
        validate,
    },
    state::{self, AppState},
};

pub const LICENSE_CHECKS_PATH: &str = "/api/v1/license-checks";
pub const USAGE_REPORTS_PATH: &str = "/api/v1/usage-reports";

/// The publisher's app behind the request's bearer token; UNAUTHENTICATED
/// for no token, an unknown or expired one, or one of a revoked client.
async fn app_of(state: &AppState, headers: &HeaderMap) -> AppResult<PublisherAppActor> {
    let token = state::bearer_token(headers).ok_or(AppError::Unauthenticated)?;
    api_clients::resolve(state, token).await?.ok_or(AppError::Unauthenticated)
}

fn answer_json(answer: &LicenseAnswer) -> Value {
    let mut value = match &answer.person {
        PersonRef::Email(email) => json!({"email": email}),
        PersonRef::ExternalId(id) => json!({"externalId": id}),
    };
    value["licensed"] = json!(answer.licensed);
    value["licenses"] = answer
        .licenses
        .iter()
        .map(|l| {
            json!({"subscriptionId": l.subscription_id, "productId": l.product_id, "status": l.status.as_str(),
                "active": l.active, "lastUsedAt": l.last_used_at.map(|t| t.to_rfc3339())})
        })
        .collect();
    value
}

fn organization(id: &str) -> AppResult<uuid::Uuid> {
    validate::id(EntityKind::Organization, id)
}

fn product(id: Option<&str>) -> AppResult<Option<uuid::Uuid>> {
    id.map(|id| validate::id(EntityKind::Product, id)).transpose()
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> AppResult<T> {
    serde_json::from_slice(body).map_err(|_| AppError::validation("body", Invalid::BadFormat))
}

fn respond(result: AppResult<Value>, headers: &HeaderMap) -> Response {
    match result {
        Ok(value) => {
            (StatusCode::OK, [(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response()
        }
        Err(e) => rest_error(e, &state::request_info(headers)),
    }
}

/// The bearer token of the request; UNAUTHENTICATED without one.
fn token_of(headers: &HeaderMap) -> AppResult<&str> {
    state::bearer_token(headers).ok_or(AppError::Unauthenticated)
}

/// `GET /api/v1/license-checks`: one person. The token is verified in the
/// check's own statement (issue 25: one round trip per check).
pub async fn check_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let token = token_of(&headers)?;
        let question = (|| -> AppResult<LicenseQuestion> {
            let organization_id = organization(query.get("organizationId").map_or("", String::as_str))?;
            let person = PersonRef::parse(
                query.get("email").map(String::as_str),
                query.get("externalId").map(String::as_str),
                "email",
            )?;
            let product_id = product(query.get("productId").map(String::as_str))?;
            Ok(LicenseQuestion { organization_id, product_id, people: vec![person] })
        })();
        let organization_id = question.as_ref().map(|q| q.organization_id).ok();
        let answers = license_check::check_with_token(&state, token, question).await?;
        let answer = answers.first().ok_or_else(|| AppError::internal("a check without an answer"))?;
        let mut value = answer_json(answer);
        value["organizationId"] = json!(organization_id);
        Ok(value)
    }
    .await;
    respond(result, &headers)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PersonInput {
    email: Option<String>,
    external_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckInput {
    organization_id: String,
    product_id: Option<String>,
    users: Vec<PersonInput>,
}

/// `POST /api/v1/license-checks`: a batch, in one statement like [`check_one`].
pub async fn check_many(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let token = token_of(&headers)?;
        let question = (|| -> AppResult<LicenseQuestion> {
            let input: CheckInput = json_body(&body)?;
            let organization_id = organization(&input.organization_id)?;
            let product_id = product(input.product_id.as_deref())?;
            let people = input
                .users
                .iter()
                .enumerate()
                .map(|(i, p)| PersonRef::parse(p.email.as_deref(), p.external_id.as_deref(), &format!("users[{i}]")))
                .collect::<AppResult<Vec<_>>>()?;
            Ok(LicenseQuestion { organization_id, product_id, people })
        })();
        let organization_id = question.as_ref().map(|q| q.organization_id).ok();
        let answers = license_check::check_with_token(&state, token, question).await?;
        Ok(json!({"organizationId": organization_id, "results": answers.iter().map(answer_json).collect::<Vec<_>>()}))
    }
    .await;
    respond(result, &headers)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UseInput {
    email: Option<String>,
    external_id: Option<String>,
    used_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UsageInput {
    organization_id: String,
    product_id: Option<String>,
    uses: Vec<UseInput>,
}

/// `POST /api/v1/usage-reports`.
pub async fn report_usage(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let app = app_of(&state, &headers).await?;
        let input: UsageInput = json_body(&body)?;
        let organization_id = organization(&input.organization_id)?;
        let product_id = product(input.product_id.as_deref())?;
        let uses = input
            .uses
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let person = PersonRef::parse(u.email.as_deref(), u.external_id.as_deref(), &format!("uses[{i}]"))?;
                Ok(ReportedUse { person, used_at: u.used_at })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let outcome = license_check::report_usage(&state, &app, organization_id, product_id, uses).await?;
        Ok(json!({"matched": outcome.matched, "unmatched": outcome.unmatched, "updated": outcome.updated}))
    }
    .await;
    respond(result, &headers)
}
