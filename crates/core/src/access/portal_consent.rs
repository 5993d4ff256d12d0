//! Portal consents (R53): the grants an organization's admins gave
//! publishers' portals. The organization's admins (GLOBAL_ADMIN,
//! BILLING_ADMIN, LICENSE_ADMIN — those who see its subscriptions, R1) see
//! all of the organization's consents; any user sees the ones they granted
//! themselves (e.g. after losing the role). GLOBAL_ADMIN and LICENSE_ADMIN
//! (who may grant them, R19–R21) and the granting user revoke them; a
//! BILLING_ADMIN who sees one is FORBIDDEN to revoke it. Anyone else —
//! another organization, publishers, operators, partners — sees none: an ID
//! answers NOT_FOUND like an unknown one (R3, R37).

use entity::{portal_grant, product, subscription};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select, sea_query::Query};
use uuid::Uuid;

use super::{Visible, billing_profile::nothing};
use crate::{
    auth::{Actor, PortalActor},
    error::{AppError, AppResult, EntityKind},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::PortalConsent };

/// The row check.
pub fn check(actor: &Actor, grant: portal_grant::Model) -> Option<Visible<portal_grant::Model>> {
    let allowed = match actor {
        Actor::Org(org) => {
            org.organization_id == grant.organization_id
                && (org.can_view_org_subscriptions() || org.user_id == grant.user_id)
        }
        Actor::Publisher(_) | Actor::Operator(_) | Actor::Partner(_) => false,
    };
    allowed.then(|| Visible::vouch(grant))
}

/// The SQL twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Org(org) if org.can_view_org_subscriptions() => {
            Condition::all().add(portal_grant::Column::OrganizationId.eq(org.organization_id))
        }
        Actor::Org(org) => Condition::all()
            .add(portal_grant::Column::OrganizationId.eq(org.organization_id))
            .add(portal_grant::Column::UserId.eq(org.user_id)),
        Actor::Publisher(_) | Actor::Operator(_) | Actor::Partner(_) => nothing(),
    }
}

/// Whether the caller may withdraw a consent they see: FORBIDDEN otherwise.
pub fn may_revoke(actor: &Actor, grant: &Visible<portal_grant::Model>) -> AppResult<()> {
    match actor {
        Actor::Org(org) if org.can_assign_org_licenses() || org.user_id == grant.user_id => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Whether the caller may list the organization's consents at all (org users only).
pub fn may_list(actor: &Actor, organization_id: Uuid) -> AppResult<()> {
    match actor {
        Actor::Org(org) if org.organization_id == organization_id => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// One consent by ID under the rule; NOT_FOUND for anyone else's.
pub async fn load(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<Visible<portal_grant::Model>> {
    let found = portal_grant::Entity::find_by_id(id).filter(visible(actor)).one(db).await?.ok_or(NOT_FOUND)?;
    check(actor, found).ok_or(NOT_FOUND)
}

/// One page of `query`, narrowed by the finder itself to [`visible`].
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<portal_grant::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<portal_grant::Model>>> {
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().filter_map(|g| check(actor, g)).collect()))
}

/// R53: what a portal token reaches on top of its admin's own rule: the
/// subscriptions of the grant's organization whose product is the grant's
/// publisher's. Any other subscription is NOT_FOUND through the portal, like
/// an unknown ID (R3).
pub fn portal_subscriptions(portal: &PortalActor) -> Condition {
    let products = Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::PublisherId.eq(portal.publisher_id))
        .to_owned();
    Condition::all()
        .add(subscription::Column::OrganizationId.eq(portal.organization_id))
        .add(subscription::Column::ProductId.in_subquery(products))
}

/// The row twin of [`portal_subscriptions`]: `product` is the subscription's product.
pub fn portal_reaches(portal: &PortalActor, sub: &subscription::Model, product: &product::Model) -> bool {
    sub.organization_id == portal.organization_id
        && product.id == sub.product_id
        && product.publisher_id == portal.publisher_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{OrgActor, PublisherActor};
    use entity::enums::OrgRole;

    fn grant(organization_id: Uuid, user_id: Uuid) -> portal_grant::Model {
        portal_grant::Model {
            id: Uuid::new_v4(),
            api_client_id: Uuid::new_v4(),
            publisher_id: Uuid::new_v4(),
            organization_id,
            user_id,
            scopes: "licenses.read".into(),
            created_at: chrono::Utc::now(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    fn org(organization_id: Uuid, roles: &[OrgRole]) -> Actor {
        Actor::Org(OrgActor { user_id: Uuid::new_v4(), organization_id, roles: roles.to_vec() })
    }

    /// R53, R1, R3: who sees and who withdraws a consent.
    #[test]
    fn r53_consent_decision_table() {
        let ours = Uuid::new_v4();
        let granter = Uuid::new_v4();
        let g = grant(ours, granter);
        for role in [OrgRole::GlobalAdmin, OrgRole::LicenseAdmin] {
            let admin = org(ours, &[role]);
            let seen = check(&admin, g.clone()).expect("an admin sees the organization's consents");
            assert!(may_revoke(&admin, &seen).is_ok(), "{role:?} revokes");
        }
        let billing = org(ours, &[OrgRole::BillingAdmin]);
        let seen = check(&billing, g.clone()).expect("a billing admin sees them");
        assert_eq!(may_revoke(&billing, &seen).err().map(|e| e.code()), Some("FORBIDDEN"));
        assert!(check(&org(ours, &[]), g.clone()).is_none(), "a plain user sees others' consents");
        let demoted = Actor::Org(OrgActor { user_id: granter, organization_id: ours, roles: vec![] });
        let own = check(&demoted, g.clone()).expect("the granter sees their own");
        assert!(may_revoke(&demoted, &own).is_ok());
        assert!(check(&org(Uuid::new_v4(), &[OrgRole::GlobalAdmin]), g.clone()).is_none(), "another organization");
        let publisher = Actor::Publisher(PublisherActor { user_id: Uuid::new_v4(), publisher_id: g.publisher_id });
        assert!(check(&publisher, g).is_none(), "the publisher itself");
    }
}
