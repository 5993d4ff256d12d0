//! HTTP concerns around the GraphQL endpoint: GraphiQL served from the
//! binary, CORS, Prometheus metrics, invoice PDF downloads and SCIM (R49).

pub mod graphiql;
pub mod invoice_pdf;
pub mod metrics;
pub mod oauth;
pub mod oidc;
pub mod portal;
pub mod publisher_api;
pub mod scim;

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::config::Config;

/// R45: GraphQL subscriptions (graphql-transport-ws; the token goes in `connection_init`).
pub const WS_PATH: &str = "/graphql/ws";

/// CORS for the configured origins (`--cors-allowed-origins`); None when no
/// origin is configured, so browsers on other origins get no access. Tokens
/// travel in the Authorization header, never in cookies, so credentials are
/// not allowed.
pub fn cors_layer(config: &Config) -> Option<CorsLayer> {
    let origins = &config.cors_allowed_origins;
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::ACCEPT_LANGUAGE,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(600)),
    )
}
