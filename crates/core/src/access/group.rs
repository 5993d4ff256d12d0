//! Groups (R1, R49): the admins of an organization (those who see its
//! subscriptions: GLOBAL_ADMIN, BILLING_ADMIN, LICENSE_ADMIN) see its groups,
//! their members and the license state of each member; nobody else does. A
//! group of another organization, or any group for a plain user, answers
//! NOT_FOUND exactly like an ID that does not exist (R3, R37).

use entity::user_group;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Visible;
use crate::{
    auth::Actor,
    error::{AppError, AppResult, EntityKind},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Group };

/// The organization whose groups the actor sees, if any.
fn organization(actor: &Actor) -> Option<Uuid> {
    match actor {
        Actor::Org(org) if org.can_view_org_subscriptions() => Some(org.organization_id),
        _ => None,
    }
}

/// The row check.
pub fn check(actor: &Actor, group: user_group::Model) -> Option<Visible<user_group::Model>> {
    (organization(actor) == Some(group.organization_id)).then(|| Visible::vouch(group))
}

/// The SQL twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match organization(actor) {
        Some(org) => Condition::all().add(user_group::Column::OrganizationId.eq(org)),
        None => Condition::all().add(user_group::Column::Id.is_null()),
    }
}

/// One group by ID under the rule (gets and every mutation that names a group).
pub async fn load(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Visible<user_group::Model>> {
    let found = user_group::Entity::find_by_id(id).filter(visible(actor)).one(db).await?.ok_or(NOT_FOUND)?;
    check(actor, found).ok_or(NOT_FOUND)
}

/// The groups `rows` the actor sees (a restricted finder's row check).
pub fn all(actor: &Actor, rows: Vec<user_group::Model>) -> Vec<Visible<user_group::Model>> {
    rows.into_iter().filter_map(|g| check(actor, g)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::OrgRole;

    /// R1, R3, R49: the organization's admins see its groups; plain users, other organizations and publishers do not.
    #[test]
    fn r49_group_decision_table() {
        let ours = Uuid::from_u128(1);
        let group = user_group::Model {
            id: Uuid::from_u128(5),
            organization_id: ours,
            display_name: "Sales".into(),
            display_name_key: "sales".into(),
            external_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let org = |org: Uuid, roles: &[OrgRole]| {
            Actor::Org(crate::auth::OrgActor { user_id: Uuid::nil(), organization_id: org, roles: roles.to_vec() })
        };
        let cases = [
            (org(ours, &[OrgRole::GlobalAdmin]), true),
            (org(ours, &[OrgRole::BillingAdmin]), true),
            (org(ours, &[OrgRole::LicenseAdmin]), true),
            (org(ours, &[]), false),
            (org(Uuid::from_u128(2), &[OrgRole::GlobalAdmin]), false),
            (Actor::Publisher(crate::auth::PublisherActor { user_id: Uuid::nil(), publisher_id: ours }), false),
        ];
        for (actor, allowed) in cases {
            assert_eq!(check(&actor, group.clone()).is_some(), allowed, "{actor:?}");
        }
    }
}
