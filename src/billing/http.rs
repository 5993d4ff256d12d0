//! `GET /invoices/{id}.pdf` with the bearer token (same rule as `invoice(id)`).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use crate::app::AppState;

pub async fn invoice_pdf(State(_state): State<AppState>, _headers: HeaderMap, Path(_file): Path<String>) -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}
