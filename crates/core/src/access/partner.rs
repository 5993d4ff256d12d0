//! Partner relationships (R39): who sees a relationship and who decides it,
//! and whether a partner may act for a customer right now.
//!
//! - The customer's GLOBAL_ADMIN sees its organization's relationships and
//!   approves, rejects or ends them.
//! - The partner's users see their own partner's relationships; a partner
//!   never decides one (FORBIDDEN: it sees the relationship).
//! - Everyone else — the customer's other users (BILLING_ADMIN, LICENSE_ADMIN,
//!   USER), other organizations, other partners, publishers — cannot see a
//!   relationship, so a real ID answers NOT_FOUND exactly like a random one
//!   (R3, R37), for reading and deciding alike. (The list itself is an
//!   operation the customer's other users may not call: FORBIDDEN there.)
//!
//! Gets and decisions go through [`load`], lists through [`all`], and the
//! audit log through [`visible`]: one rule for every path.
//!
//! A partner acts for a customer (catalog, purchase, its own subscriptions)
//! only while a relationship between them is APPROVED ([`link_active`]).

use entity::{enums::PartnerRelationshipStatus, partner_relationship};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use super::{Visible, billing_profile::nothing};
use crate::{
    auth::Actor,
    error::{AppError, AppResult},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: crate::error::EntityKind::PartnerRelationship };

/// What the caller wants to do with a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    View,
    /// Approve, reject or end: the customer's GLOBAL_ADMIN only.
    Decide,
}

/// The row check.
pub fn decide(actor: &Actor, rel: &partner_relationship::Model, access: Access) -> AppResult<()> {
    match actor {
        Actor::Org(org) if org.organization_id == rel.organization_id && org.is_global_admin() => Ok(()),
        Actor::Partner(p) if p.partner_id() == rel.partner_id => match access {
            Access::View => Ok(()),
            Access::Decide => Err(AppError::Forbidden),
        },
        _ => Err(NOT_FOUND),
    }
}

/// The SQL twin of [`decide`] with `Access::View`.
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Org(org) if org.is_global_admin() => {
            Condition::all().add(partner_relationship::Column::OrganizationId.eq(org.organization_id))
        }
        Actor::Partner(p) => Condition::all().add(partner_relationship::Column::PartnerId.eq(p.partner_id())),
        _ => nothing(),
    }
}

/// Loads one relationship for `access`; with `lock` the row is locked.
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
    lock: bool,
) -> AppResult<Visible<partner_relationship::Model>> {
    let mut query = partner_relationship::Entity::find_by_id(id).filter(visible(actor));
    if lock {
        query = query.lock_exclusive();
    }
    let rel = query.one(db).await?.ok_or(NOT_FOUND)?;
    decide(actor, &rel, access)?;
    Ok(Visible::vouch(rel))
}

/// Every row of `query` the caller may see: the finder adds [`visible`]
/// itself (the caller only narrows: status, order) and row-checks each row.
pub async fn all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<partner_relationship::Entity>,
) -> AppResult<Vec<Visible<partner_relationship::Model>>> {
    let rows = query.filter(visible(actor)).all(db).await?;
    Ok(rows.into_iter().filter(|r| decide(actor, r, Access::View).is_ok()).map(Visible::vouch).collect())
}

/// Whether `partner_id` may act for `organization_id` now (an APPROVED relationship).
pub async fn link_active(db: &impl ConnectionTrait, partner_id: Uuid, organization_id: Uuid) -> AppResult<bool> {
    let n = partner_relationship::Entity::find()
        .filter(partner_relationship::Column::PartnerId.eq(partner_id))
        .filter(partner_relationship::Column::OrganizationId.eq(organization_id))
        .filter(partner_relationship::Column::Status.eq(PartnerRelationshipStatus::Approved))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// IDs of the customer organizations `partner_id` may act for now.
pub fn active_customers(partner_id: Uuid) -> SelectStatement {
    Query::select()
        .column(partner_relationship::Column::OrganizationId)
        .from(partner_relationship::Entity)
        .and_where(partner_relationship::Column::PartnerId.eq(partner_id))
        .and_where(partner_relationship::Column::Status.eq(PartnerRelationshipStatus::Approved))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    /// R39, R37, issue 19: the customer's GLOBAL_ADMIN sees and decides; the
    /// partner's users see and may not decide (FORBID); everyone else —
    /// the customer's other users included — cannot see it: HIDDEN, as for
    /// an ID that does not exist.
    #[test]
    fn r39_partner_relationship_decision_table() {
        let rel = relationship(ORG, PARTNER);
        #[rustfmt::skip]
        let view = [ALLOW, HIDDEN, HIDDEN, HIDDEN, HIDDEN, ALLOW, ALLOW, HIDDEN, HIDDEN, HIDDEN, HIDDEN];
        table("view", &view, |a| code(&decide(a, &rel, Access::View)));
        #[rustfmt::skip]
        let decide_it =
            [ALLOW, HIDDEN, HIDDEN, HIDDEN, HIDDEN, FORBID, FORBID, HIDDEN, HIDDEN, HIDDEN, HIDDEN];
        table("decide", &decide_it, |a| code(&decide(a, &rel, Access::Decide)));
        // Another organization's relationship with the same partner: the partner still sees it.
        let elsewhere = relationship(OTHER_ORG, PARTNER);
        #[rustfmt::skip]
        let view = [HIDDEN, HIDDEN, HIDDEN, HIDDEN, ALLOW, ALLOW, ALLOW, HIDDEN, HIDDEN, HIDDEN, HIDDEN];
        table("view elsewhere", &view, |a| code(&decide(a, &elsewhere, Access::View)));
    }
}
