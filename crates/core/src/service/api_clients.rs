//! R50: a publisher's API clients and the OAuth 2.0 client-credentials grant
//! (RFC 6749 §4.4). A client ID is public; the secret is random, shown once
//! and kept only as a SHA-256 (it is 256 random bits, so a fast hash is
//! enough). The grant issues an opaque bearer token, also stored hashed,
//! that lives [`ACCESS_TOKEN_TTL_SECONDS`] and acts only on the client's
//! publisher's products with the scopes it was granted. Revoking a client or
//! rotating its secret ends its tokens at once, on every instance (each
//! request reads the token row and its client — the license check in the
//! same statement as the check itself, so verifying costs no round trip).

use crate::auth::token_hash as hash;
use chrono::{DateTime, Duration, Utc};
use entity::{api_access_token, api_client};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{Actor, PublisherAppActor, Scope, Scopes, oauth::OAuthRefusal},
    db,
    error::{AppError, AppResult, Invalid, StateReason},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

/// How long a client-credentials access token works.
pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 900;

/// Prefix of client IDs, so they are recognisable in logs and configuration.
const CLIENT_ID_PREFIX: &str = "ldc_";
/// Prefix of client secrets (secret scanners can spot a leaked one).
const SECRET_PREFIX: &str = "lds_";

/// A client with its secret, which appears here once and is never stored.
pub struct IssuedSecret {
    pub client: Visible<api_client::Model>,
    pub secret: String,
}

/// An access token from the token endpoint.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

pub(crate) fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(crate::auth::random_bytes::<32>()))
}

/// Whether `text` could be a client ID (short, no control characters).
pub fn plausible_client_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && !text.chars().any(char::is_control)
}

/// Compares two hex digests without an early exit.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The scopes stored on a client or token row (written by this module only).
fn stored_scopes(text: &str) -> Scopes {
    Scopes::parse_from(text, &Scope::APP).unwrap_or_else(|| Scopes::all(&[]))
}

/// The app a token row stands for (issue 25: the license check reads the
/// token within its own statement and builds the actor from that row).
pub(crate) fn app_actor(scopes: &str, api_client_id: Uuid, publisher_id: Uuid) -> PublisherAppActor {
    PublisherAppActor { api_client_id, publisher_id, scopes: stored_scopes(scopes) }
}

pub fn scopes_of(client: &api_client::Model) -> Vec<&'static str> {
    stored_scopes(&client.scopes).iter().map(Scope::as_str).collect()
}

/// R53: the redirect URIs of a client's portal, in the stored form (one per
/// line). Each is an absolute `https` URL (or `http` on a loopback host,
/// RFC 8252 §7.3) without a fragment, at most 2000 characters; at most 10.
pub fn redirect_uris(items: &[String]) -> AppResult<String> {
    const FIELD: &str = "redirectUris";
    if items.len() > MAX_REDIRECT_URIS {
        return Err(AppError::validation(FIELD, Invalid::TooLong { max: MAX_REDIRECT_URIS }));
    }
    let mut clean: Vec<String> = Vec::new();
    for item in items {
        let text = validate::required_text(FIELD, item, 2000)?;
        let url = url::Url::parse(&text).map_err(|_| AppError::validation(FIELD, Invalid::BadFormat))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok || url.fragment().is_some() || url.host_str().is_none() || text.chars().any(char::is_control) {
            return Err(AppError::validation(FIELD, Invalid::BadFormat));
        }
        if !clean.contains(&text) {
            clean.push(text);
        }
    }
    Ok(clean.join("\n"))
}

/// The client's registered redirect URIs (R53).
pub fn redirect_uris_of(client: &api_client::Model) -> Vec<&str> {
    client.redirect_uris.lines().filter(|l| !l.is_empty()).collect()
}

/// R53: at most this many redirect URIs per client.
pub const MAX_REDIRECT_URIS: usize = 10;

/// R50: a publisher user creates an API client; `scopes` default to all app
/// scopes; `redirect_uris` (R53) are where its portal may receive codes.
pub async fn create(
    state: &Services,
    actor: &Actor,
    name: &str,
    scopes: Option<&[String]>,
    redirect_uris: Option<&[String]>,
) -> AppResult<IssuedSecret> {
    let publisher = actor.publisher()?;
    let name = validate::required_text("name", name, 100)?;
    let redirect_uris = self::redirect_uris(redirect_uris.unwrap_or_default())?;
    let scopes = match scopes {
        Some(items) => Scopes::from_input(items, &Scope::APP, "scopes")?,
        None => Scopes::all(&Scope::APP),
    };
    let now = state.clock.now();
    let secret = random_token(SECRET_PREFIX);
    let id_bytes = crate::auth::random_bytes::<12>();
    let txn = db::begin_write(&state.db).await?;
    let client = api_client::ActiveModel {
        id: Set(Uuid::now_v7()),
        publisher_id: Set(publisher.publisher_id),
        name: Set(name.clone()),
        client_id: Set(format!("{CLIENT_ID_PREFIX}{}", hex::encode(id_bytes))),
        secret_hash: Set(hash(&secret)),
        scopes: Set(scopes.to_text()),
        created_by: Set(publisher.user_id),
        created_at: Set(now),
        secret_created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        redirect_uris: Set(redirect_uris),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::ApiClientCreate, "api_client", client.id)
        .after(json!({"name": name, "clientId": client.client_id, "scopes": client.scopes,
            "redirectUris": redirect_uris_of(&client)}));
    audit::record(&txn, AuditScope::publisher(publisher.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok(IssuedSecret { client: access::api_client::created(client), secret })
}

/// R50: the publisher's clients, newest first, revoked ones included.
pub async fn list(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<Visible<api_client::Model>>> {
    actor.publisher()?;
    let order = Keyset::new("api_clients")
        .key(api_client::Column::CreatedAt.into_expr(), Direction::Desc, KeyKind::Time)
        .id(api_client::Column::Id.into_expr(), Direction::Desc);
    access::api_client::page(&state.db, actor, api_client::Entity::find(), &order, window).await
}

/// One client of the caller's publisher.
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<api_client::Model>> {
    access::api_client::load(&state.db, actor, id).await
}

/// R50, R53: renames a client or replaces its redirect URIs (what is None stays).
pub async fn update(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    redirect_uris: Option<&[String]>,
) -> AppResult<Visible<api_client::Model>> {
    let name = name.map(|n| validate::required_text("name", n, 100)).transpose()?;
    let redirect_uris = redirect_uris.map(self::redirect_uris).transpose()?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let client = access::api_client::load(&txn, actor, id).await?;
    if client.revoked_at.is_some() {
        return Err(AppError::InvalidState { reason: StateReason::ApiClientRevoked });
    }
    let mut row = client.get().clone().into_active_model();
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(uris) = redirect_uris {
        row.redirect_uris = Set(uris);
    }
    let updated = row.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::ApiClientUpdate, "api_client", id)
        .before(json!({"name": client.name, "redirectUris": redirect_uris_of(&client)}))
        .after(json!({"name": updated.name, "redirectUris": redirect_uris_of(&updated)}));
    audit::record(&txn, AuditScope::publisher(updated.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    client.updated(updated).ok_or(access::api_client::NOT_FOUND)
}

/// R50: a new secret for the client; the old secret and every token issued
/// with it stop working at once.
pub async fn rotate_secret(state: &Services, actor: &Actor, id: Uuid) -> AppResult<IssuedSecret> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let client = access::api_client::load(&txn, actor, id).await?;
    if client.revoked_at.is_some() {
        return Err(AppError::InvalidState { reason: StateReason::ApiClientRevoked });
    }
    let secret = random_token(SECRET_PREFIX);
    let mut row = client.get().clone().into_active_model();
    row.secret_hash = Set(hash(&secret));
    row.secret_created_at = Set(now);
    let updated = row.update(&txn).await?;
    end_tokens(&txn, id).await?;
    let entry = AuditEntry::new(AuditAction::ApiClientRotateSecret, "api_client", id)
        .after(json!({"secretCreatedAt": now.to_rfc3339()}));
    audit::record(&txn, AuditScope::publisher(updated.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    let client = client.updated(updated).ok_or(access::api_client::NOT_FOUND)?;
    Ok(IssuedSecret { client, secret })
}

/// R50: revokes the client: it gets no more tokens and its tokens stop at
/// once. Revoking a revoked client changes nothing.
pub async fn revoke(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<api_client::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let client = access::api_client::load(&txn, actor, id).await?;
    if client.revoked_at.is_some() {
        return Ok(client);
    }
    let mut row = client.get().clone().into_active_model();
    row.revoked_at = Set(Some(now));
    let updated = row.update(&txn).await?;
    end_tokens(&txn, id).await?;
    let entry =
        AuditEntry::new(AuditAction::ApiClientRevoke, "api_client", id).after(json!({"revokedAt": now.to_rfc3339()}));
    audit::record(&txn, AuditScope::publisher(updated.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    client.updated(updated).ok_or(access::api_client::NOT_FOUND)
}

async fn end_tokens(db: &impl sea_orm::ConnectionTrait, client_id: Uuid) -> AppResult<()> {
    api_access_token::Entity::delete_many()
        .filter(api_access_token::Column::ApiClientId.eq(client_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The live (not revoked) client whose ID and secret these are; None for
/// an unknown client, a wrong secret or a revoked client (RFC 6749 §2.3.1).
pub async fn authenticate(state: &Services, client_id: &str, secret: &str) -> AppResult<Option<api_client::Model>> {
    // A client ID is 36 printable characters: anything else is no client (and never reaches the database).
    if !plausible_client_id(client_id) {
        let _ = hash(secret);
        return Ok(None);
    }
    let found = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?;
    // The secret's hash is compared even for an unknown client, so both take as long.
    let offered = hash(secret);
    let matches = same_digest(&offered, found.as_ref().map_or("", |c| c.secret_hash.as_str()));
    Ok(found.filter(|_| matches))
}

/// RFC 6749 §4.4: exchanges a client's credentials for an access token with
/// the requested scopes (all of the client's when `scope` is None). The
/// outer error is a server failure; the inner one is the OAuth refusal.
pub async fn client_credentials(
    state: &Services,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> AppResult<Result<IssuedToken, OAuthRefusal>> {
    let Some(client) = authenticate(state, client_id, secret).await? else {
        return Ok(Err(OAuthRefusal::InvalidClient));
    };
    let allowed = stored_scopes(&client.scopes);
    let granted = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => allowed,
        Some(text) => match Scopes::parse_from(text, &Scope::APP) {
            Some(asked) if allowed.covers(&asked) => asked,
            _ => return Ok(Err(OAuthRefusal::InvalidScope)),
        },
    };
    let now = state.clock.now();
    let token = random_token("ldt_");
    let txn = db::begin_write(&state.db).await?;
    // Expired tokens of this client are of no use to anyone: drop them here.
    api_access_token::Entity::delete_many()
        .filter(api_access_token::Column::ApiClientId.eq(client.id))
        .filter(api_access_token::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    api_access_token::ActiveModel {
        token_hash: Set(hash(&token)),
        api_client_id: Set(client.id),
        scopes: Set(granted.to_text()),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(ACCESS_TOKEN_TTL_SECONDS)),
    }
    .insert(&txn)
    .await?;
    let mut row = client.into_active_model();
    row.last_used_at = Set(Some(now));
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(Ok(IssuedToken { access_token: token, expires_in: ACCESS_TOKEN_TTL_SECONDS, scope: granted.to_text() }))
}

/// The publisher's app a bearer token stands for; None when the token is
/// unknown, expired, or its client was revoked or its secret rotated.
pub async fn resolve(state: &Services, token: &str) -> AppResult<Option<PublisherAppActor>> {
    resolve_at(state, token, state.clock.now()).await
}

async fn resolve_at(state: &Services, token: &str, now: DateTime<Utc>) -> AppResult<Option<PublisherAppActor>> {
    use sea_orm::{JoinType, QuerySelect, RelationDef};
    // One statement per request: the token, live, of a client not revoked.
    let client_of_token: RelationDef = api_access_token::Entity::belongs_to(api_client::Entity)
        .from(api_access_token::Column::ApiClientId)
        .to(api_client::Column::Id)
        .into();
    let found = api_access_token::Entity::find_by_id(hash(token))
        .filter(api_access_token::Column::ExpiresAt.gt(now))
        .join(JoinType::InnerJoin, client_of_token)
        .filter(api_client::Column::RevokedAt.is_null())
        .select_only()
        .column(api_access_token::Column::Scopes)
        .column(api_client::Column::Id)
        .column(api_client::Column::PublisherId)
        .into_tuple::<(String, Uuid, Uuid)>()
        .one(&state.db)
        .await?;
    Ok(found.map(|(scopes, api_client_id, publisher_id)| PublisherAppActor {
        api_client_id,
        publisher_id,
        scopes: stored_scopes(&scopes),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r50_digests_compare_whole() {
        let a = hash("lds_one");
        assert!(same_digest(&a, &hash("lds_one")));
        assert!(!same_digest(&a, &hash("lds_two")));
        assert!(!same_digest(&a, ""));
        assert!(random_token(SECRET_PREFIX).starts_with(SECRET_PREFIX));
        assert_ne!(random_token("x"), random_token("x"));
    }
}
