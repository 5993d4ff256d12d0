//! Proposals (R9, R40): the buying admins of the organization they are
//! addressed to (GLOBAL_ADMIN, BILLING_ADMIN) and the publisher that sent them.
//! Everyone else — the organization's other users whatever billing-profile
//! role they hold, other organizations, partners — gets NOT_FOUND for a real
//! ID, exactly as for a random one (R3, R37). Lists, gets and the accept and
//! decline mutations all load proposals through [`load`] or [`page`].

use entity::proposal;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use super::{Visible, billing_profile::nothing};
use crate::error::EntityKind;
use crate::{
    auth::{Actor, OrgActor},
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Proposal };

/// Whether an org user sees their organization's proposals (R9: those who may buy).
pub fn org_may_see(org: &OrgActor) -> bool {
    org.is_billing_manager()
}

/// The row check.
pub fn check(actor: &Actor, proposal: proposal::Model) -> Option<Visible<proposal::Model>> {
    may_see(actor, &proposal).then(|| Visible::vouch(proposal))
}

/// The decision behind [`check`] (its SQL twin is [`visible`]).
fn may_see(actor: &Actor, proposal: &proposal::Model) -> bool {
    match actor {
        Actor::Org(org) => org_may_see(org) && proposal.organization_id == org.organization_id,
        Actor::Publisher(p) => proposal.publisher_id == p.publisher_id,
        // R40: the marketplace's sales staff see the marketplace's proposals.
        Actor::Operator(o) => proposal.publisher_id == o.marketplace_id,
        Actor::Partner(_) => false,
    }
}

/// The SQL twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Org(org) if org_may_see(org) => {
            Condition::all().add(proposal::Column::OrganizationId.eq(org.organization_id))
        }
        Actor::Org(_) => nothing(),
        Actor::Publisher(p) => Condition::all().add(proposal::Column::PublisherId.eq(p.publisher_id)),
        Actor::Operator(o) => Condition::all().add(proposal::Column::PublisherId.eq(o.marketplace_id)),
        Actor::Partner(_) => nothing(),
    }
}

/// One proposal by ID under the rule, NOT_FOUND when it is missing or the
/// caller may not see it (R3). With `lock` (inside a write transaction) the
/// row is locked, so that two acceptances of one proposal queue.
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> AppResult<Visible<proposal::Model>> {
    let mut query = proposal::Entity::find_by_id(id).filter(visible(actor));
    if lock {
        query = query.lock_exclusive();
    }
    let found = query.one(db).await?.ok_or(NOT_FOUND)?;
    check(actor, found).ok_or(NOT_FOUND)
}

/// One page of `query` narrowed to the proposals the caller may see; the
/// caller adds its own filters, never widens them.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<proposal::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<proposal::Model>>> {
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().filter_map(|p| check(actor, p)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    /// R9, R40, issue 19: the buying admins of the addressed organization and
    /// the sender see a proposal; nobody else (a LICENSE_ADMIN or a plain user
    /// whatever billing role they hold, another organization, partners, other
    /// publishers, the operator for a publisher's proposal).
    #[test]
    fn r40_proposal_decision_table() {
        let from_publisher = proposal(ORG, PUBLISHER);
        #[rustfmt::skip]
        let expected = [true, true, false, false, false, false, false, false, true, false, false];
        table("a publisher's proposal", &expected, |a| check(a, from_publisher.clone()).is_some());
        let from_marketplace = proposal(ORG, MARKETPLACE);
        #[rustfmt::skip]
        let expected = [true, true, false, false, false, false, false, false, false, false, true];
        table("the marketplace's proposal", &expected, |a| check(a, from_marketplace.clone()).is_some());
        // Another organization's proposal: only its sender.
        let elsewhere = proposal(OTHER_ORG, PUBLISHER);
        #[rustfmt::skip]
        let expected = [false, false, false, false, true, false, false, false, true, false, false];
        table("another organization's proposal", &expected, |a| check(a, elsewhere.clone()).is_some());
    }
}
