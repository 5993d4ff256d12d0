//! R48: the identity providers over HTTP — discovery, signing keys and the
//! authorization-code exchange — for `service::sso::flow`. Discovery
//! documents and key sets are cached per instance (an hour); a token that
//! names an unknown key makes the flow ask for the keys again, at most once
//! every few seconds per provider. Every address is checked like a webhook's
//! (https, public addresses, no redirects) unless private ones are allowed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{
    auth::oidc::{CodeExchange, HttpFuture, JwkSet, ProviderHttp, ProviderMetadata, TokenAnswer, key_set},
    error::{AppError, AppResult},
    outbound::PublicOnly,
    service::events::webhooks::check_url,
};
use base64::{Engine, engine::general_purpose::STANDARD};

/// How long a discovery document or key set is used before it is fetched again.
const CACHE_FOR: Duration = Duration::from_secs(3600);
/// Key sets are not fetched again sooner than this, whatever tokens name.
const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// The largest answer read from a provider.
const MAX_BODY: usize = 512 * 1024;

struct Cached<T> {
    value: Arc<T>,
    at: Instant,
}

pub struct OidcClient {
    client: reqwest::Client,
    allow_private: bool,
    metadata: Mutex<HashMap<String, Cached<ProviderMetadata>>>,
    keys: Mutex<HashMap<String, Cached<JwkSet>>>,
}

impl OidcClient {
    pub fn new(allow_private: bool) -> AppResult<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly::new(allow_private)))
            .user_agent("LicenseDesk-SSO/1")
            .build()
            .map_err(AppError::internal)?;
        Ok(OidcClient { client, allow_private, metadata: Default::default(), keys: Default::default() })
    }

    fn url(&self, raw: &str) -> AppResult<url::Url> {
        check_url(raw, self.allow_private).map_err(|_| AppError::internal(format!("address not allowed: {raw}")))
    }

    /// The body of a successful answer, at most [`MAX_BODY`] bytes, as JSON.
    async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> AppResult<T> {
        let status = response.status();
        if !status.is_success() {
            return Err(AppError::internal(format!("HTTP {status}")));
        }
        if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(AppError::internal("answer too large"));
        }
        let bytes = response.bytes().await.map_err(AppError::internal)?;
        if bytes.len() > MAX_BODY {
            return Err(AppError::internal("answer too large"));
        }
        serde_json::from_slice(&bytes).map_err(AppError::internal)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, raw: &str) -> AppResult<T> {
        let url = self.url(raw)?;
        let response =
            self.client.get(url).header("accept", "application/json").send().await.map_err(AppError::internal)?;
        Self::json(response).await
    }

    fn cached<T>(cache: &Mutex<HashMap<String, Cached<T>>>, key: &str, fresh_for: Duration) -> Option<Arc<T>> {
        let cache = cache.lock().ok()?;
        cache.get(key).filter(|c| c.at.elapsed() < fresh_for).map(|c| c.value.clone())
    }

    fn store<T>(cache: &Mutex<HashMap<String, Cached<T>>>, key: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        if let Ok(mut cache) = cache.lock() {
            cache.insert(key.to_owned(), Cached { value: value.clone(), at: Instant::now() });
        }
        value
    }
}

/// `application/x-www-form-urlencoded` form of `value` (RFC 6749 §2.3.1
/// encodes the client ID and secret so before Basic authentication).
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl ProviderHttp for OidcClient {
    fn metadata<'a>(&'a self, issuer: &'a str) -> HttpFuture<'a, Arc<ProviderMetadata>> {
        Box::pin(async move {
            if let Some(hit) = Self::cached(&self.metadata, issuer, CACHE_FOR) {
                return Ok(hit);
            }
            let address = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
            let metadata: ProviderMetadata = self.get(&address).await?;
            Ok(Self::store(&self.metadata, issuer, metadata))
        })
    }

    fn keys<'a>(&'a self, jwks_uri: &'a str, refresh: bool) -> HttpFuture<'a, Arc<JwkSet>> {
        Box::pin(async move {
            let fresh_for = if refresh { REFETCH_AFTER } else { CACHE_FOR };
            if let Some(hit) = Self::cached(&self.keys, jwks_uri, fresh_for) {
                return Ok(hit);
            }
            let document: serde_json::Value = self.get(jwks_uri).await?;
            Ok(Self::store(&self.keys, jwks_uri, key_set(&document)))
        })
    }

    fn exchange<'a>(&'a self, request: CodeExchange<'a>) -> HttpFuture<'a, TokenAnswer> {
        Box::pin(async move {
            let url = self.url(request.token_endpoint)?;
            let credentials =
                STANDARD.encode(format!("{}:{}", form_encode(request.client_id), form_encode(request.client_secret)));
            let form = [
                ("grant_type", "authorization_code"),
                ("code", request.code),
                ("redirect_uri", request.redirect_uri),
                ("code_verifier", request.code_verifier),
            ];
            let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
            let response = self
                .client
                .post(url)
                .header("authorization", format!("Basic {credentials}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(body)
                .send()
                .await
                .map_err(AppError::internal)?;
            Self::json(response).await
        })
    }
}
