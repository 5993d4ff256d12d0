//! Users (R3): an org user sees the people of their organization; a
//! publisher's user sees the people of their publisher. Anyone else — e.g.
//! the publisher user who activated a subscription, in a customer's audit
//! log — is not shown (nested fields answer null or leave them out).

use entity::user;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Visible;
use crate::error::EntityKind;
use crate::{
    auth::Actor,
    error::{AppError, AppResult},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::User };

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

/// The person a mutation acts on (a billing role granted or revoked…): a
/// user the caller sees by [`visible`] who has not been deleted (R43: the
/// users list leaves deleted people out, so their IDs answer NOT_FOUND like
/// random ones, R3). A deactivated member is found: the caller decides.
pub async fn load_member(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Visible<user::Model>> {
    let found = user::Entity::find_by_id(id)
        .filter(visible(actor))
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(NOT_FOUND)?;
    check(actor, found).filter(|u| u.deleted_at.is_none()).ok_or(NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    /// R3, R39, R40: people of the caller's own tenant only.
    #[test]
    fn r3_user_decision_table() {
        let cases = [
            (
                "a customer's user",
                person(Some(ORG), None),
                [true, true, true, true, false, false, false, false, false, false, false],
            ),
            (
                "a partner's user",
                person(Some(PARTNER), None),
                [false, false, false, false, false, true, true, false, false, false, false],
            ),
            (
                "a publisher's user",
                person(None, Some(PUBLISHER)),
                [false, false, false, false, false, false, false, false, true, false, false],
            ),
            (
                "an operator",
                person(None, Some(MARKETPLACE)),
                [false, false, false, false, false, false, false, false, false, false, true],
            ),
        ];
        for (what, row, expected) in cases {
            table(what, &expected, |a| check(a, row.clone()).is_some());
        }
    }
}
