//! R52: the notice log. An organization's admins (the audit log's readers)
//! see the notices about objects they may see: invoice notices with the
//! invoice's rule (so a self-service buyer's invoices stay the buyer's, R38;
//! a LICENSE_ADMIN sees none), subscription and license notices with the
//! subscription's rule (R37). Nobody else reads the log.

use entity::{invoice, notice, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Query, SelectStatement},
};

use super::{Visible, billing_profile as profiles, invoice as invoices, subscription as subs};
use crate::{
    auth::{Actor, OrgActor},
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

pub const INVOICE: &str = "invoice";
pub const SUBSCRIPTION: &str = "subscription";

/// The log's readers: org admins who read the audit log; FORBIDDEN otherwise.
pub fn may_read_log(actor: &Actor) -> AppResult<&OrgActor> {
    match actor {
        Actor::Org(org) if org.can_read_audit() => Ok(org),
        _ => Err(AppError::Forbidden),
    }
}

fn ids_where<E: EntityTrait>(id: E::Column, cond: Condition) -> SelectStatement {
    Query::select().column(id).from(E::default()).cond_where(cond).to_owned()
}

/// The SQL condition on `notices` rows the caller may read.
pub fn visible(actor: &Actor) -> Condition {
    let Ok(org) = may_read_log(actor) else { return profiles::nothing() };
    let objects = Condition::any()
        .add(
            Condition::all().add(notice::Column::ObjectType.eq(INVOICE)).add(
                notice::Column::ObjectId
                    .in_subquery(ids_where::<invoice::Entity>(invoice::Column::Id, invoices::visible(actor))),
            ),
        )
        .add(
            Condition::all().add(notice::Column::ObjectType.eq(SUBSCRIPTION)).add(
                notice::Column::ObjectId
                    .in_subquery(ids_where::<subscription::Entity>(subscription::Column::Id, subs::visible(actor))),
            ),
        );
    Condition::all().add(notice::Column::OrganizationId.eq(org.organization_id)).add(objects)
}

/// One page of `query`, narrowed by the finder itself to [`visible`].
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<notice::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<notice::Model>>> {
    may_read_log(actor)?;
    let page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    Ok(page.map(Visible::vouch))
}
