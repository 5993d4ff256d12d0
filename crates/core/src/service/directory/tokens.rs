//! R49: an organization's SCIM bearer tokens. The organization's user
//! managers (R43: its GLOBAL_ADMIN) create, list and revoke them; a token is
//! shown once and stored only as its SHA-256 hash (like refresh tokens, R47).
//! A token acts for its organization's directory and nothing else.

use crate::auth::token_hash as hash;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use entity::scim_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::directory::Directory,
    auth::{Actor, OrgActor},
    db,
    error::{AppError, AppResult, EntityKind},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

/// The prefix of every SCIM token, so a leaked one is recognisable (secret scanners).
const TOKEN_PREFIX: &str = "ldscim_";
/// `last_used_at` is written at most this often per token.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;
const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::ScimToken };

/// A token just created: the secret (shown once) and its row.
pub struct CreatedToken {
    pub token: String,
    pub model: scim_token::Model,
}

fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>()))
}

/// R43, R49: whoever manages the organization's users manages its directory tokens.
fn token_manager(actor: &Actor) -> AppResult<&OrgActor> {
    let org = actor.org()?;
    if !org.can_manage_users() {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

/// Creates a token named `name` for the caller's organization.
pub async fn create(state: &Services, actor: &Actor, name: &str) -> AppResult<CreatedToken> {
    let org = token_manager(actor)?;
    let name = validate::required_text("name", name, 200)?;
    let token = new_token();
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let model = scim_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.organization_id),
        name: Set(name.clone()),
        token_hash: Set(hash(&token)),
        created_by: Set(org.user_id),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::ScimTokenCreate, "scim_token", model.id).after(json!({"name": name}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(CreatedToken { token, model })
}

/// The organization's tokens, newest first, revoked ones included.
pub async fn list(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<scim_token::Model>> {
    let org = token_manager(actor)?;
    let query = scim_token::Entity::find().filter(scim_token::Column::OrganizationId.eq(org.organization_id));
    let order = Keyset::new("scim_tokens")
        .key(scim_token::Column::CreatedAt.into_expr(), Direction::Desc, KeyKind::Time)
        .id(scim_token::Column::Id.into_expr(), Direction::Desc);
    crate::paging::fetch(&state.db, query, &order, window).await
}

/// Revokes a token of the caller's organization: it stops working at once
/// on every instance. Revoking a revoked token changes nothing.
pub async fn revoke(state: &Services, actor: &Actor, id: Uuid) -> AppResult<scim_token::Model> {
    let org = token_manager(actor)?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let found = scim_token::Entity::find_by_id(id)
        .filter(scim_token::Column::OrganizationId.eq(org.organization_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(NOT_FOUND)?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut model: scim_token::ActiveModel = found.into();
    model.revoked_at = Set(Some(now));
    let revoked = model.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::ScimTokenRevoke, "scim_token", revoked.id)
        .before(json!({"revoked": false}))
        .after(json!({"revoked": true}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(revoked)
}

/// The directory a bearer token speaks for; UNAUTHENTICATED for an unknown
/// or revoked token. Records when it was last used (at most once a minute).
pub async fn authenticate(state: &Services, token: Option<&str>) -> AppResult<Directory> {
    let Some(token) = token.map(str::trim).filter(|t| t.starts_with(TOKEN_PREFIX)) else {
        return Err(AppError::Unauthenticated);
    };
    let found = scim_token::Entity::find()
        .filter(scim_token::Column::TokenHash.eq(hash(token)))
        .filter(scim_token::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let now = Utc::now();
    let stale = found.last_used_at.is_none_or(|at| at < now - Duration::seconds(LAST_USED_GRANULARITY_SECONDS));
    if stale {
        scim_token::Entity::update_many()
            .col_expr(scim_token::Column::LastUsedAt, Expr::value(now))
            .filter(scim_token::Column::Id.eq(found.id))
            .filter(
                scim_token::Column::LastUsedAt
                    .is_null()
                    .or(scim_token::Column::LastUsedAt.lt(now - Duration::seconds(LAST_USED_GRANULARITY_SECONDS))),
            )
            .exec(&state.db)
            .await?;
    }
    Ok(Directory::of_token(&found))
}
