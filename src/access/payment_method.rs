//! Payment methods (R2, R29, R38): visible exactly when their billing profile
//! is — a self-service buyer's card is theirs alone.

use entity::payment_method;
use sea_orm::{ColumnTrait, Condition};

use super::{Visible, billing_profile as profiles};
use crate::auth::Actor;

/// The SQL condition: methods of the profiles the caller can view.
pub fn visible(actor: &Actor) -> Condition {
    Condition::all().add(payment_method::Column::BillingProfileId.in_subquery(profiles::visible_ids(actor)))
}

/// The row check, given the method's profile already vouched for: the method
/// is visible when it belongs to that profile.
pub fn of_profile(
    profile: &Visible<entity::billing_profile::Model>,
    method: payment_method::Model,
) -> Option<Visible<payment_method::Model>> {
    (method.billing_profile_id == profile.id).then(|| Visible::vouch(method))
}
