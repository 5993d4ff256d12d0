//! R49: what an organization's directory (a SCIM token) may touch: the
//! people and groups of its own organization, nothing else. One rule for
//! every SCIM get, list and change: the SQL conditions here and the row
//! checks that agree with them. Another organization's ID answers NOT_FOUND,
//! exactly like an ID that does not exist (R3, R37).

use entity::{scim_token, user, user_group};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// Proof that a request carries a live SCIM token, and for which
/// organization. Only `service::directory::tokens::authenticate` makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directory {
    token_id: Uuid,
    organization_id: Uuid,
}

impl Directory {
    pub(crate) fn of_token(token: &scim_token::Model) -> Directory {
        Directory { token_id: token.id, organization_id: token.organization_id }
    }

    pub fn organization_id(&self) -> Uuid {
        self.organization_id
    }

    pub fn token_id(&self) -> Uuid {
        self.token_id
    }

    /// The people the directory manages: its organization's users who are not deleted.
    pub fn users(&self) -> Condition {
        Condition::all()
            .add(user::Column::OrganizationId.eq(self.organization_id))
            .add(user::Column::DeletedAt.is_null())
    }

    /// The row twin of [`Directory::users`].
    pub fn sees_user(&self, user: &user::Model) -> bool {
        user.organization_id == Some(self.organization_id) && user.deleted_at.is_none()
    }

    /// The groups of its organization.
    pub fn groups(&self) -> Condition {
        Condition::all().add(user_group::Column::OrganizationId.eq(self.organization_id))
    }

    /// The row twin of [`Directory::groups`].
    pub fn sees_group(&self, group: &user_group::Model) -> bool {
        group.organization_id == self.organization_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(org: Uuid) -> Directory {
        Directory { token_id: Uuid::nil(), organization_id: org }
    }

    /// R49, R3: a token sees its organization's undeleted people and its groups, nobody else's.
    #[test]
    fn r49_directory_decision_table() {
        let ours = Uuid::from_u128(1);
        let theirs = Uuid::from_u128(2);
        let dir = token(ours);
        let person = |org: Option<Uuid>, deleted: bool| user::Model {
            id: Uuid::from_u128(9),
            organization_id: org,
            publisher_id: None,
            email: "a@b.example".into(),
            name: "A".into(),
            password_hash: String::new(),
            active: true,
            deleted_at: deleted.then(chrono::Utc::now),
            is_operator: false,
            is_partner: false,
            created_at: chrono::Utc::now(),
            external_id: None,
        };
        assert!(dir.sees_user(&person(Some(ours), false)));
        assert!(!dir.sees_user(&person(Some(ours), true)), "deleted people are gone (R43)");
        assert!(!dir.sees_user(&person(Some(theirs), false)), "another organization's person (R3)");
        assert!(!dir.sees_user(&person(None, false)), "a publisher's user");
        let group = |org: Uuid| user_group::Model {
            id: Uuid::from_u128(7),
            organization_id: org,
            display_name: "G".into(),
            display_name_key: "g".into(),
            external_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert!(dir.sees_group(&group(ours)));
        assert!(!dir.sees_group(&group(theirs)));
    }
}
