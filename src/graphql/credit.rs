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
    /// The processor's reference for a card refund, or the transfer's
    /// reference recorded for a check-or-wire profile (issue 26).
    async fn reference(&self) -> &str {
        &self.0.processor_reference
    }
    /// Issue 26: the day the transfer was sent (check-or-wire profiles); null for a card refund.
    async fn transfer_date(&self) -> Option<chrono::NaiveDate> {
        self.0.transfer_date
    }
    /// The card refunded, e.g. "VISA ending 4242", or "Check or wire transfer".
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

    /// Records that a check-or-wire profile's whole
    /// credit balance was refunded by a transfer made outside LicenseDesk.
    /// Only billing managers (BILLING_ADMIN, or GLOBAL_ADMIN) of the
    /// organization; repeating the request with the same `idempotencyKey`
    /// returns the first refund and records nothing more. No balance:
    /// INVALID_STATE; a profile paying by card: VALIDATION_FAILED
    /// (`billingProfileId.paymentMethod`, use `refundCreditBalance`); a
    /// transfer date after today: VALIDATION_FAILED (`transferDate`).
    async fn record_credit_balance_transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-or-wire billing profile whose credit balance was refunded.")]
        billing_profile_id: ID,
        #[graphql(desc = "Repeat with the same key to get the first refund, recorded once.")] idempotency_key: String,
        #[graphql(desc = "The transfer's reference (bank reference or check number), at most 100 characters.")]
        reference: String,
        #[graphql(desc = "The day the transfer was sent; not after today.")] transfer_date: chrono::NaiveDate,
    ) -> Result<CreditRefund> {
        let id = parse_id(&billing_profile_id, EntityKind::BillingProfile)?;
        let state = state(ctx)?;
        let refund =
            svc::record_transfer_refund(state, actor(ctx)?, id, &idempotency_key, &reference, transfer_date).await?;
        Ok(CreditRefund(refund))
    }
}
