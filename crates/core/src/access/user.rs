//! Users (R3): an org user sees the people of their organization; a
//! publisher's user sees the people of their publisher. Anyone else — e.g.
//! the publisher user who activated a subscription, in a customer's audit
//! log — is not shown (nested fields answer null or leave them out).

use entity::user;
use sea_orm::{ColumnTrait, Condition};

use super::Visible;
use crate::auth::Actor;

/// The row check.
pub fn check(actor: &Actor, user: user::Model) -> Option<Visible<user::Model>> {
    let allowed = match actor {
        Actor::Org(org) => user.organization_id == Some(org.organization_id),
        Actor::Publisher(p) => user.publisher_id == Some(p.publisher_id),
        Actor::Operator(o) => user.publisher_id == Some(o.marketplace_id),
        // R39: a partner's users see the partner's people, never a customer's.
        Actor::Partner(p) => user.organization_id == Some(p.partner_id()),
    };
    allowed.then(|| Visible::vouch(user))
}

/// The SQL twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Org(org) => Condition::all().add(user::Column::OrganizationId.eq(org.organization_id)),
        Actor::Publisher(p) => Condition::all().add(user::Column::PublisherId.eq(p.publisher_id)),
        Actor::Operator(o) => Condition::all().add(user::Column::PublisherId.eq(o.marketplace_id)),
        Actor::Partner(p) => Condition::all().add(user::Column::OrganizationId.eq(p.partner_id())),
    }
}

/// The user a session was just opened for (login, registration) sees themself.
pub fn signed_in(user: user::Model) -> Visible<user::Model> {
    Visible::vouch(user)
}
