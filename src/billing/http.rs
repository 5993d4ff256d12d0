//! `GET /invoices/{id}.pdf` with the bearer token (same rule as `invoice(id)`).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    app::{self, AppState},
    auth::Caller,
    error::AppError,
    service::invoices,
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

/// R32: the invoice as a PDF. 401 without a valid token; 404 for an unknown
/// invoice or one the caller cannot see (R3: no difference between them).
pub async fn invoice_pdf(State(state): State<AppState>, headers: HeaderMap, Path(file): Path<String>) -> Response {
    let caller = match crate::service::identity::resolve_caller(&state, app::bearer_token(&headers)).await {
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
    match invoices::pdf(&state, actor, id).await {
        Ok((invoice, bytes)) => {
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
        Err(AppError::NotFound { .. } | AppError::Forbidden) => not_found(),
        Err(AppError::Unauthenticated) => unauthorized(),
        Err(e) => {
            tracing::error!(error = ?e, "rendering an invoice PDF");
            status_only(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
