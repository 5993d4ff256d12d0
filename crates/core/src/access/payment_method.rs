//! Payment methods (R2, R29, R38, R41). A method belongs to the organization —
//! or, for a self-service buyer's card, to that buyer — of the profile it was
//! added to, and may serve several profiles of the same owner (R41). The caller
//! sees it when they can view the profile it was added to (GLOBAL_ADMIN and
//! BILLING_ADMIN: every org method; a buyer: their own cards) or a profile that
//! uses it now (R2 roles per profile). A self-service buyer's card is theirs alone.

use entity::{billing_profile, payment_method};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use super::{Visible, billing_profile as profiles};
use crate::{
    auth::Actor,
    error::AppResult,
    paging::{self, Keyset, Page, Window},
};

/// IDs of the methods used now by the profiles the caller can view.
fn used_by_visible_profiles(actor: &Actor) -> SelectStatement {
    Query::select()
        .column(billing_profile::Column::CurrentPaymentMethodId)
        .from(billing_profile::Entity)
        .cond_where(profiles::visible(actor))
        .and_where(billing_profile::Column::CurrentPaymentMethodId.is_not_null())
        .to_owned()
}

/// The SQL condition: methods added to a profile the caller can view, or used
/// by one. Removed methods stay visible (invoices and audit events name them);
/// the payment-methods list filters them out.
pub fn visible(actor: &Actor) -> Condition {
    Condition::any()
        .add(payment_method::Column::BillingProfileId.in_subquery(profiles::visible_ids(actor)))
        .add(payment_method::Column::Id.in_subquery(used_by_visible_profiles(actor)))
}

/// The row check, given a profile already vouched for: the method is visible
/// when it was added to that profile or the profile uses it now.
pub fn of_profile(
    profile: &Visible<billing_profile::Model>,
    method: payment_method::Model,
) -> Option<Visible<payment_method::Model>> {
    (method.billing_profile_id == profile.id || profile.current_payment_method_id == Some(method.id))
        .then(|| Visible::vouch(method))
}

/// One method by ID under [`visible`], locked for change inside a write
/// transaction; `None` when it is missing or the caller may not see it (R3).
pub async fn load_for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Option<Visible<payment_method::Model>>> {
    let found = payment_method::Entity::find_by_id(id).filter(visible(actor)).lock_exclusive().one(txn).await?;
    Ok(found.map(Visible::vouch))
}

/// One page of `query` narrowed to the methods the caller may see: the
/// finder adds [`visible`] itself (the caller only narrows and orders), so
/// every row it vouches for passed the rule in SQL.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<payment_method::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<payment_method::Model>>> {
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().map(Visible::vouch).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    /// R29, R41: given a profile the caller sees, a method is visible when it
    /// was added to that profile or the profile uses it now; any other method
    /// is not reached through it.
    #[test]
    fn r41_method_of_profile_decision_table() {
        let shown = Visible::vouch(profile(ORG, None));
        let current = shown.current_payment_method_id.unwrap_or_default();
        let added = payment_method(Uuid::from_u128(0xc1), shown.id);
        let in_use = payment_method(current, Uuid::from_u128(0xb9));
        let unrelated = payment_method(Uuid::from_u128(0xc2), Uuid::from_u128(0xb9));
        assert!(of_profile(&shown, added).is_some(), "added to the profile");
        assert!(of_profile(&shown, in_use).is_some(), "used by the profile now");
        assert!(of_profile(&shown, unrelated).is_none(), "another profile's method");
    }
}
