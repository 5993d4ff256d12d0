//! R51: reclaim policies, their dry run, and setting them.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{actor, parse_id, state};
use crate::{error::EntityKind, service::reclaim as svc};

/// Take back licenses nobody used for a while, and/or lower renewals'
/// quantities to what is assigned, after telling the holders and the admins.
#[derive(SimpleObject)]
pub struct ReclaimPolicy {
    /// The subscription it applies to; null for the organization's policy (used where a subscription has none).
    pub subscription_id: Option<ID>,
    /// A license unused for this many days is reclaimed; null when the policy takes no license back.
    pub unused_days: Option<i32>,
    /// An auto-renewing subscription's quantity is lowered to the licenses
    /// assigned (at least 1) this many days before its renewal; null when it is not lowered.
    pub lower_quantity_days_before_renewal: Option<i32>,
    /// Days between telling the holder and taking the license back.
    pub notice_days: i32,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<entity::reclaim_policy::Model> for ReclaimPolicy {
    fn from(p: entity::reclaim_policy::Model) -> Self {
        ReclaimPolicy {
            subscription_id: p.subscription_id.map(|id| ID(id.to_string())),
            unused_days: Some(p.unused_days).filter(|d| *d > 0),
            lower_quantity_days_before_renewal: p.lower_quantity_days,
            notice_days: p.notice_days,
            updated_at: p.updated_at,
        }
    }
}

/// What reclaiming will do with one license or subscription.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimAction {
    /// Its holder and the admins are told now; the license goes after the notice period.
    Notify,
    /// The license is taken back on the due date unless it is used before.
    Unassign,
    /// The admins are told on the due date that the quantity will be lowered before the renewal.
    NotifyLowerQuantity,
    /// The quantity is lowered to the licenses assigned then on the due date.
    LowerQuantity,
}

/// One license or subscription that reclaiming will act on.
#[derive(SimpleObject)]
pub struct ReclaimStep {
    /// The assignment's identifier; null for a quantity step.
    pub assignment_id: Option<ID>,
    /// Its subscription.
    pub subscription_id: ID,
    /// The holder; null for a quantity step.
    pub user_id: Option<ID>,
    /// What happens.
    pub action: ReclaimAction,
    /// When it happens.
    pub due: DateTime<Utc>,
    /// When the license was last used; null if never or for a quantity step.
    pub last_used_at: Option<DateTime<Utc>>,
    /// For a quantity step: the quantity now.
    pub quantity: Option<i64>,
    /// For a quantity step: the quantity it would be lowered to today (the licenses assigned now, at least 1).
    pub new_quantity: Option<i64>,
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
                assignment_id: s.assignment.as_ref().map(|a| ID(a.id.to_string())),
                subscription_id: ID(s.subscription_id.to_string()),
                user_id: s.assignment.as_ref().map(|a| ID(a.user_id.to_string())),
                action: match s.action {
                    svc::ReclaimAction::Notify => ReclaimAction::Notify,
                    svc::ReclaimAction::Unassign => ReclaimAction::Unassign,
                    svc::ReclaimAction::NotifyLowerQuantity => ReclaimAction::NotifyLowerQuantity,
                    svc::ReclaimAction::LowerQuantity => ReclaimAction::LowerQuantity,
                },
                due: s.due,
                last_used_at: s.assignment.as_ref().and_then(|a| a.last_used_at),
                quantity: s.quantity.map(|(now, _)| now),
                new_quantity: s.quantity.map(|(_, to)| to),
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
    /// and `lowerQuantityDaysBeforeRenewal` the policy is removed. Returns
    /// the policy, or null when removed.
    async fn set_reclaim_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription; omit for the organization's policy.")] subscription_id: Option<ID>,
        #[graphql(desc = "Reclaim licenses unused for this many days (7 to 3650); omit to take none back.")]
        unused_days: Option<i64>,
        #[graphql(
            desc = "Lower an auto-renewing subscription's quantity to the licenses assigned (at least 1) this many days before its renewal (1 to 60); omit not to lower it."
        )]
        lower_quantity_days_before_renewal: Option<i64>,
        #[graphql(
            desc = "Days between telling the holder and the admins and taking the license back or lowering the quantity (0 to 90, default 14).",
            default = 14
        )]
        notice_days: i64,
    ) -> Result<Option<ReclaimPolicy>> {
        let subscription_id = subscription_id.map(|id| parse_id(&id, EntityKind::Subscription)).transpose()?;
        let input =
            svc::PolicyInput { unused_days, lower_quantity_days: lower_quantity_days_before_renewal, notice_days };
        let policy = svc::set_policy(state(ctx)?, actor(ctx)?, subscription_id, input).await?;
        Ok(policy.map(Into::into))
    }
}
