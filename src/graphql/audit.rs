//! R36: the audit log.

use async_graphql::{Context, ID, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::{
    actor,
    identity::{User, nested_user},
    pagination::{self, Page},
    parse_id, state,
};
use crate::error::EntityKind;
use crate::{access::Visible, service::audit as svc};

/// One audit event the caller may see, with snapshots already
/// stripped of what the caller may not see.
pub struct AuditEvent(pub Visible<audit_event::Model>);

fn parse_json(text: Option<&str>) -> Option<Json<serde_json::Value>> {
    text.and_then(|t| serde_json::from_str(t).ok()).map(Json)
}

/// One entry of the audit trail: who changed what, and when.
#[Object]
impl AuditEvent {
    /// Stable identifier of the entry.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// e.g. "subscription.cancel".
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of object changed, e.g. "subscription" or "billing_profile".
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }
    /// The identifier of the object changed.
    async fn object_id(&self) -> ID {
        ID(self.0.object_id.to_string())
    }
    /// Who did it: null for the billing run, and for people outside the
    /// caller's organization or publisher (e.g. the publisher user who activated).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.actor_user_id else { return Ok(None) };
        nested_user(ctx, id).await
    }
    /// The object's relevant values before the change (null when it was created).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        parse_json(self.0.before.as_deref())
    }
    /// The object's relevant values after the change (null when it was removed).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        parse_json(self.0.after.as_deref())
    }
    /// When the change happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Narrows `auditEvents`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Only entries about this object.
    pub object_id: Option<ID>,
    /// Only entries about this kind of object, e.g. "subscription".
    pub object_type: Option<String>,
    /// Only this action, e.g. "subscription.cancel".
    pub action: Option<String>,
    /// Only entries at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this moment.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The organization's audit events, newest first (admins).
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the entries must meet.")] filter: Option<AuditEventFilter>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<AuditEvent>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = svc::AuditFilter {
            object_id: filter.object_id.as_ref().map(|id| parse_id(id, EntityKind::Object)).transpose()?,
            object_type: filter.object_type,
            action: filter.action,
            from: filter.from,
            to: filter.to,
        };
        let rows = svc::list(state(ctx)?, actor(ctx)?, filter, &window).await?;
        Ok(pagination::page(rows.map(AuditEvent), |e| e.0.id))
    }
}
