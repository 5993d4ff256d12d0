//! Activation links (R42, R14): a subscription's portal link carries a
//! one-time, expiring purchase token. The token is random; only its SHA-256
//! is stored. Asking for the link again revokes the earlier token. The
//! product's publisher resolves the token to the subscription (no billing
//! data) and activates it, which consumes the token. An expired, used,
//! revoked or foreign token answers NOT_FOUND, like one that never existed.

use chrono::{DateTime, Duration, Utc};
use entity::{enums::SubscriptionStatus, product, purchase_token, subscription};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{
        self, Visible,
        subscription::{Access, ForPublisher},
    },
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        subscriptions,
    },
};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::PurchaseToken };

/// The query parameter the portal link carries the token in.
pub const PARAMETER: &str = "purchaseToken";

/// A freshly issued link; the token appears here once and is never stored.
pub struct ActivationLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn hash(token: &str) -> String {
    crate::auth::token_hash(token.trim())
}

fn new_token() -> String {
    hex::encode(crate::auth::random_bytes::<32>())
}

/// The product's portal URL with the token appended as a query parameter.
fn link(portal_url: &str, token: &str) -> String {
    let separator = if portal_url.contains('?') { '&' } else { '?' };
    format!("{portal_url}{separator}{PARAMETER}={token}")
}

/// R42: issues the portal link of a subscription waiting for activation, for
/// those who manage the subscription (R1, R2, R26); earlier tokens of the
/// subscription stop working. `ttl_hours` is the configured lifetime.
pub async fn issue(
    state: &Services,
    actor: &Actor,
    subscription_id: Uuid,
    ttl_hours: i64,
) -> AppResult<ActivationLink> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = access::subscription::load(&txn, actor, subscription_id, Access::FollowPortalLink, true).await?;
    if sub.status != SubscriptionStatus::PendingActivation {
        return Err(AppError::InvalidState { reason: sub.status.into() });
    }
    let product = product::Entity::find_by_id(sub.product_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Product })?;
    purchase_token::Entity::update_many()
        .col_expr(purchase_token::Column::RevokedAt, Some(now).into())
        .filter(purchase_token::Column::SubscriptionId.eq(sub.id))
        .filter(purchase_token::Column::UsedAt.is_null())
        .filter(purchase_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let token = new_token();
    let expires_at = now + Duration::hours(ttl_hours);
    let row = purchase_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        subscription_id: Set(sub.id),
        token_hash: Set(hash(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    // The audit log names the token row, never the token.
    let entry = AuditEntry::new(AuditAction::SubscriptionActivationLink, "subscription", sub.id)
        .after(json!({"purchaseTokenId": row.id, "expiresAt": expires_at}));
    audit::record(&txn, AuditScope::org(sub.organization_id, Some(actor)), now, entry).await?;
    let url = link(&product.portal_url, &token);
    // R52: the link by e-mail to the purchaser too (kept only until sent).
    crate::service::notices::queue_activation_link(&txn, &sub, &product, row.id, &url, expires_at, now).await?;
    txn.commit().await?;
    Ok(ActivationLink { url, expires_at })
}

/// The token's row when it is still good (not used, revoked or expired) and
/// names a subscription of the calling publisher's product; NOT_FOUND otherwise.
async fn usable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    token: &str,
    now: DateTime<Utc>,
    lock: bool,
) -> AppResult<(purchase_token::Model, Visible<ForPublisher>)> {
    actor.publisher()?;
    if token.trim().is_empty() || token.len() > 200 {
        return Err(NOT_FOUND);
    }
    let mut query = purchase_token::Entity::find().filter(purchase_token::Column::TokenHash.eq(hash(token)));
    if lock {
        query = query.lock_exclusive();
    }
    let row = query
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.revoked_at.is_none() && t.expires_at > now)
        .ok_or(NOT_FOUND)?;
    let sub = subscription::Entity::find_by_id(row.subscription_id).one(db).await?.ok_or(NOT_FOUND)?;
    let product = product::Entity::find_by_id(sub.product_id).one(db).await?.ok_or(NOT_FOUND)?;
    // R3: another publisher's token is not there for this one.
    let visible = access::subscription::check_for_publisher(actor, sub, &product).map_err(|_| NOT_FOUND)?;
    Ok((row, visible))
}

/// R42: the subscription a token identifies — product, customer name,
/// quantity, term; never billing data. Does not consume the token.
pub async fn resolve(state: &Services, actor: &Actor, token: &str) -> AppResult<Visible<ForPublisher>> {
    let (_, sub) = usable(&state.db, actor, token, state.clock.now(), false).await?;
    Ok(sub)
}

/// R42, R14: activates the subscription the token identifies and consumes
/// the token, in one transaction.
pub async fn activate(state: &Services, actor: &Actor, token: &str) -> AppResult<Visible<ForPublisher>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (row, sub) = usable(&txn, actor, token, now, true).await?;
    let activated = subscriptions::activate_in(&txn, actor, sub.0.id, now).await?;
    let mut model: purchase_token::ActiveModel = row.into();
    model.used_at = Set(Some(now));
    model.update(&txn).await?;
    txn.commit().await?;
    Ok(activated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r42_link_appends_the_token() {
        assert_eq!(link("https://p.example/setup", "abc"), "https://p.example/setup?purchaseToken=abc");
        assert_eq!(link("https://p.example/setup?x=1", "abc"), "https://p.example/setup?x=1&purchaseToken=abc");
    }

    #[test]
    fn r42_tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&format!(" {a} ")));
    }
}
