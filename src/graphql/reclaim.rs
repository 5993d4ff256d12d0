//! R51: reclaim policies, their dry run, and setting them.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{actor, parse_id, state};
use crate::{error::EntityKind, service::reclaim as svc};

/// Take back licenses nobody used for a while, after telling their holders.
#[derive(SimpleObject)]
pub struct ReclaimPolicy {
    /// The subscription it applies to; null for the organization's policy (used where a subscription has none).
    pub subscription_id: Option<ID>,
    /// A license unused for this many days is reclaimed.
    pub unused_days: i32,
    /// Days between telling the holder and taking the license back.
    pub notice_days: i32,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<entity::reclaim_policy::Model> for ReclaimPolicy {
    fn from(p: entity::reclaim_policy::Model) -> Self {
        ReclaimPolicy {
            subscription_id: p.subscription_id.map(|id| ID(id.to_string())),
            unused_days: p.unused_days,
            notice_days: p.notice_days,
            updated_at: p.updated_at,
        }
    }
}

/// What reclaiming will do with one license.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimAction {
    /// Its holder is told now; the license goes after the notice period.
    Notify,
    /// The license is taken back on the due date unless it is used before.
    Unassign,
}

/// One license that reclaiming will act on.
#[derive(SimpleObject)]
pub struct ReclaimStep {
    /// The assignment's identifier.
    pub assignment_id: ID,
    /// Its subscription.
    pub subscription_id: ID,
    /// The holder.
    pub user_id: ID,
    /// What happens.
    pub action: ReclaimAction,
    /// When it happens.
    pub due: DateTime<Utc>,
    /// When the license was last used; null if never.
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ReclaimQuery;

#[Object]
impl ReclaimQuery {
    /// The reclaim policies of the caller's organization (admins).
    async fn reclaim_policies(&self, ctx: &Context<'_>) -> Result<Vec<ReclaimPolicy>> {
        Ok(svc::policies(state(ctx)?, actor(ctx)?).await?.into_iter().map(Into::into).collect())
    }
    /// A dry run: the licenses reclaiming would act on in the caller's
    /// organization, among the subscriptions the caller may see (admins; at most 500).
    async fn reclaim_preview(&self, ctx: &Context<'_>) -> Result<Vec<ReclaimStep>> {
        Ok(svc::preview(state(ctx)?, actor(ctx)?)
            .await?
            .into_iter()
            .map(|s| ReclaimStep {
                assignment_id: ID(s.assignment.id.to_string()),
                subscription_id: ID(s.subscription_id.to_string()),
                user_id: ID(s.assignment.user_id.to_string()),
                action: match s.action {
                    svc::ReclaimAction::Notify => ReclaimAction::Notify,
                    svc::ReclaimAction::Unassign => ReclaimAction::Unassign,
                },
                due: s.due,
                last_used_at: s.assignment.last_used_at,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ReclaimMutation;

#[Object]
impl ReclaimMutation {
    /// Sets the organization's reclaim policy (global admins) or one
    /// subscription's (those who assign its licenses); without `unusedDays`
    /// the policy is removed. Returns the policy, or null when removed.
    async fn set_reclaim_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription; omit for the organization's policy.")] subscription_id: Option<ID>,
        #[graphql(desc = "Reclaim licenses unused for this many days (7 to 3650); omit to remove the policy.")]
        unused_days: Option<i64>,
        #[graphql(
            desc = "Days between telling the holder and taking the license back (0 to 90, default 14).",
            default = 14
        )]
        notice_days: i64,
    ) -> Result<Option<ReclaimPolicy>> {
        let subscription_id = subscription_id.map(|id| parse_id(&id, EntityKind::Subscription)).transpose()?;
        let policy = svc::set_policy(state(ctx)?, actor(ctx)?, subscription_id, unused_days, notice_days).await?;
        Ok(policy.map(Into::into))
    }
}
