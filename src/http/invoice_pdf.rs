//! `GET /invoices/{id}.pdf`: with the bearer token (same rule as
//! `invoice(id)`), or with no token through the short-lived signed link that
//! `Invoice.pdfUrl` returns (`?expires=<unix seconds>&signature=<hex>`, an
//! HMAC-SHA256 of the invoice ID and the expiry under a key derived from the
//! server secret), so a plain browser link can download it.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::AppError,
    service::invoices,
    service::invoices::links::verify_pdf_link,
    state::{self, AppState},
};

fn status_only(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

fn not_found() -> Response {
    status_only(StatusCode::NOT_FOUND, "not found")
}

fn unauthorized() -> Response {
    let mut response = status_only(StatusCode::UNAUTHORIZED, "sign in to download invoices");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn pdf_response(invoice: &entity::invoice::Model, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{}.pdf\"", invoices::display_number(invoice.number));
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A download by signed link: 403 for an expired or altered link, 404 for an
/// invoice that no longer exists.
async fn signed_download(
    state: &AppState,
    headers: &HeaderMap,
    file: &str,
    expires: &str,
    signature: &str,
) -> Response {
    let id = file.strip_suffix(".pdf").and_then(|id| Uuid::parse_str(id).ok());
    let (Some(id), Ok(expires)) = (id, expires.parse::<i64>()) else {
        return status_only(StatusCode::FORBIDDEN, "this download link is not valid");
    };
    let now = state.clock.now().timestamp();
    if !verify_pdf_link(&state.link_key, id, expires, signature, now) {
        return status_only(StatusCode::FORBIDDEN, "this download link is not valid or has expired");
    }
    match invoices::pdf_by_link(
        state,
        &state.config.seller,
        id,
        invoices::PdfLanguage::ProfileOr(state::request_info(headers).lang),
    )
    .await
    {
        Ok((invoice, bytes)) => pdf_response(&invoice, bytes),
        Err(AppError::NotFound { .. }) => not_found(),
        Err(e) => {
            tracing::error!(error = ?e, "rendering an invoice PDF");
            status_only(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// R32: the invoice as a PDF. With `expires` and `signature` in the query, the
/// signed link decides; otherwise 401 without a valid token and 404 for an
/// unknown invoice or one the caller cannot see (R3: no difference between them).
pub async fn invoice_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let (Some(expires), Some(signature)) = (query.get("expires"), query.get("signature")) {
        return signed_download(&state, &headers, &file, expires, signature).await;
    }
    let caller = match crate::service::identity::resolve_caller(&state, state::bearer_token(&headers)).await {
        Ok(caller) => caller,
        Err(e) => {
            tracing::error!(error = ?e, "resolving the caller of an invoice download");
            return status_only(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let actor = match &caller {
        Caller::Authenticated(actor) => actor,
        Caller::Anonymous | Caller::InvalidToken => return unauthorized(),
    };
    let Some(id) = file.strip_suffix(".pdf").and_then(|id| Uuid::parse_str(id).ok()) else {
        return not_found();
    };
    match invoices::pdf(&state, &state.config.seller, actor, id, state::request_info(&headers).lang).await {
        Ok((invoice, bytes)) => pdf_response(&invoice, bytes),
        Err(AppError::NotFound { .. } | AppError::Forbidden) => not_found(),
        Err(AppError::Unauthenticated) => unauthorized(),
        Err(e) => {
            tracing::error!(error = ?e, "rendering an invoice PDF");
            status_only(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
