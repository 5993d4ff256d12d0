//! An organization's single sign-on provider (R48): its GLOBAL_ADMINs alone
//! see and change it. Everyone else — other roles, other organizations,
//! partners, publishers — sees no provider at all, exactly as when none is
//! configured (R37).

use entity::oidc_provider;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::Visible;
use crate::{auth::Actor, error::AppResult};

/// Whether `actor` manages the single sign-on of `organization_id`.
pub fn manages(actor: &Actor, organization_id: Uuid) -> bool {
    match actor {
        Actor::Org(org) => org.organization_id == organization_id && org.is_global_admin(),
        // A partner tenant does not sign its people in through a customer's provider.
        Actor::Partner(_) | Actor::Publisher(_) | Actor::Operator(_) => false,
    }
}

/// The row check.
pub fn check(actor: &Actor, provider: oidc_provider::Model) -> Option<Visible<oidc_provider::Model>> {
    manages(actor, provider.organization_id).then(|| Visible::vouch(provider))
}

/// The provider of `organization_id` if the actor may see it; None as when
/// there is none.
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: Uuid,
) -> AppResult<Option<Visible<oidc_provider::Model>>> {
    if !manages(actor, organization_id) {
        return Ok(None);
    }
    let found = oidc_provider::Entity::find_by_id(organization_id).one(db).await?;
    Ok(found.and_then(|row| check(actor, row)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    /// R48, R37: the organization's GLOBAL_ADMIN alone.
    #[test]
    fn r48_single_sign_on_decision_table() {
        let row = |organization_id| oidc_provider::Model {
            organization_id,
            issuer: "https://idp.example".into(),
            client_id: "c".into(),
            client_secret_sealed: "v1:x".into(),
            allowed_domains: "[]".into(),
            enabled: true,
            require_sso: false,
            break_glass_user_id: None,
            created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            updated_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        };
        let expected = [true, false, false, false, false, false, false, false, false, false, false];
        table("the organization's provider", &expected, |a| check(a, row(ORG)).is_some());
        let partner_row = [false; 11];
        table("a partner tenant's provider", &partner_row, |a| check(a, row(PARTNER)).is_some());
    }
}
