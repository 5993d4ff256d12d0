//! Credit balances (R44): refunding a billing profile's balance to its card.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::credit_refund;

use super::{
    actor,
    billing::{BillingProfile, nested_profile},
    parse_id, state,
    types::Money,
};
use crate::error::EntityKind;
use crate::service::credit_balance as svc;

/// A refund of a billing profile's credit balance to its card.
pub struct CreditRefund(credit_refund::Model);

/// Money paid back from a billing profile's credit balance to its card.
#[Object]
impl CreditRefund {
    /// Stable identifier of the refund.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The whole balance at the time of the request.
    async fn amount(&self) -> Money {
        Money::new(self.0.amount_minor, &self.0.currency)
    }
    /// The card refunded, e.g. "VISA ending 4242".
    async fn payment_method(&self) -> &str {
        &self.0.payment_method_summary
    }
    /// The key the request was sent with; repeating it returns this refund.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }
    /// When the refund was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The refunded profile (null when the caller may no longer view it).
    async fn billing_profile(&self, ctx: &Context<'_>) -> Result<Option<BillingProfile>> {
        nested_profile(ctx, self.0.billing_profile_id).await
    }
}

#[derive(Default)]
pub struct CreditMutation;

#[Object]
impl CreditMutation {
    /// Refunds the profile's whole credit balance to its current card,
    /// for callers allowed to pay its invoices. Repeating the request with
    /// the same `idempotencyKey` returns the first refund and refunds nothing
    /// more. No balance: INVALID_STATE; no card on the profile: VALIDATION_FAILED
    /// (`billingProfileId.paymentMethod`); a declined refund: PAYMENT_DECLINED.
    async fn refund_credit_balance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile whose credit balance is refunded.")] billing_profile_id: ID,
        #[graphql(desc = "Repeat with the same key to get the first refund, paid once.")] idempotency_key: String,
    ) -> Result<CreditRefund> {
        let id = parse_id(&billing_profile_id, EntityKind::BillingProfile)?;
        Ok(CreditRefund(svc::refund(state(ctx)?, actor(ctx)?, id, &idempotency_key).await?))
    }
}
