//! Proposals (R9, R40): the buying admins of the organization they are
//! addressed to (GLOBAL_ADMIN, BILLING_ADMIN) and the publisher that sent them.

use entity::proposal;
use sea_orm::{ColumnTrait, Condition};

use super::{Visible, billing_profile::nothing};
use crate::auth::{Actor, OrgActor};

/// Whether an org user sees their organization's proposals (R9: those who may buy).
pub fn org_may_see(org: &OrgActor) -> bool {
    org.is_billing_manager()
}

/// The row check.
pub fn check(actor: &Actor, proposal: proposal::Model) -> Option<Visible<proposal::Model>> {
    let allowed = match actor {
        Actor::Org(org) => org_may_see(org) && proposal.organization_id == org.organization_id,
        Actor::Publisher(p) => proposal.publisher_id == p.publisher_id,
        // R40: the marketplace's sales staff see the marketplace's proposals.
        Actor::Operator(o) => proposal.publisher_id == o.marketplace_id,
        Actor::Partner(_) => false,
    };
    allowed.then(|| Visible::vouch(proposal))
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
