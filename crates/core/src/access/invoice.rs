//! Invoices (R2, R32, R38): visible exactly when their billing profile is;
//! paying needs the profile's pay right. A self-service buyer's invoices (and
//! their PDFs) are theirs alone.

use entity::{billing_profile, invoice};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select, sea_query::SelectStatement,
};
use uuid::Uuid;

use super::{Visible, billing_profile as profiles, billing_profile::ProfileRights};
use crate::{
    auth::Actor,
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: crate::error::EntityKind::Invoice };

/// The SQL condition: invoices of the profiles the caller can view.
pub fn visible(actor: &Actor) -> Condition {
    let Ok(org) = actor.billing_org() else { return profiles::nothing() };
    Condition::all()
        .add(invoice::Column::OrganizationId.eq(org.organization_id))
        .add(invoice::Column::BillingProfileId.in_subquery(profiles::visible_ids(actor)))
}

/// The caller's visible invoices split for totals kept per organization
/// (R51's spend): the twin of [`visible`], whole organizations where it can.
pub enum Coverage {
    /// Every invoice of the organization's own billing profiles (a billing
    /// manager's view, R2), plus those matching `also`: the caller's own
    /// self-service profiles' invoices (R38).
    Organization { organization_id: Uuid, also: Condition },
    /// Exactly the invoices matching the condition ([`visible`]).
    Only(Condition),
}

pub fn coverage(actor: &Actor) -> Coverage {
    match actor.billing_org() {
        Ok(org) if org.is_billing_manager() => Coverage::Organization {
            organization_id: org.organization_id,
            also: Condition::all().add(invoice::Column::OrganizationId.eq(org.organization_id)).add(
                invoice::Column::BillingProfileId.in_subquery(profiles::owned_ids(org.organization_id, org.user_id)),
            ),
        },
        _ => Coverage::Only(visible(actor)),
    }
}

/// The row check given the invoice's profile and the caller's roles on it.
pub fn check(
    actor: &Actor,
    invoice: invoice::Model,
    profile: &billing_profile::Model,
    my_roles: impl IntoIterator<Item = entity::enums::BillingRole>,
) -> Option<(Visible<invoice::Model>, ProfileRights)> {
    let same_org = actor.billing_org().is_ok_and(|org| org.organization_id == invoice.organization_id);
    if !same_org || invoice.billing_profile_id != profile.id {
        return None;
    }
    let rights = profiles::rights_with_roles(actor, profile, my_roles);
    rights.view.then(|| (Visible::vouch(invoice), rights))
}

/// The invoice, its profile and the caller's rights; NOT_FOUND when missing or
/// not visible (R3). With `lock` (inside a write transaction) the invoice row
/// is locked so that two payments of one invoice queue.
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> AppResult<(Visible<invoice::Model>, billing_profile::Model, ProfileRights)> {
    let mut query = invoice::Entity::find_by_id(id);
    if lock {
        query = query.lock_exclusive();
    }
    let invoice = query.one(db).await?.ok_or(NOT_FOUND)?;
    if actor.billing_org().map_or(true, |org| org.organization_id != invoice.organization_id) {
        return Err(NOT_FOUND);
    }
    let profile = billing_profile::Entity::find_by_id(invoice.billing_profile_id).one(db).await?.ok_or(NOT_FOUND)?;
    let rights = profiles::rights(db, actor, &profile).await?;
    if !rights.view {
        return Err(NOT_FOUND);
    }
    Ok((Visible::vouch(invoice), profile, rights))
}

/// One page of `query` narrowed to the invoices the caller may see: the
/// finder adds [`visible`] itself (the condition is the rule; the caller
/// only narrows and orders). Rows of another organization are dropped too.
/// `total` counts the page's rows another way (from [`coverage`]); None
/// counts the visible rows of `query`.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<invoice::Entity>,
    keyset: &Keyset,
    window: &Window,
    total: Option<SelectStatement>,
) -> AppResult<Page<Visible<invoice::Model>>> {
    let Ok(org) = actor.billing_org() else { return Ok(Page::empty()) };
    let query = query.filter(visible(actor));
    let total = window.count.then(|| total.unwrap_or_else(|| paging::count_of(query.clone())));
    let mut page: Page<invoice::Model> = paging::fetch_counted(db, query, keyset, window, total).await?;
    let rows = std::mem::take(&mut page.items);
    let org_id = org.organization_id;
    Ok(page.with_items(rows.into_iter().filter(|i| i.organization_id == org_id).map(Visible::vouch).collect()))
}

#[cfg(test)]
mod tests {
    use entity::enums::BillingRole;

    use super::*;
    use crate::access::fixtures::*;

    /// R2, R32, R38: an invoice is visible exactly when its profile is, with
    /// the profile's rights (paying: OWNER, CONTRIBUTOR, INVOICE_MANAGER).
    #[test]
    fn r2_r38_invoice_decision_table() {
        let org_profile = profile(ORG, None);
        let bill = invoice(ORG, org_profile.id);
        #[rustfmt::skip]
        let expected = [true, true, false, false, false, false, false, false, false, false, false];
        table("an org invoice, no roles", &expected, |a| check(a, bill.clone(), &org_profile, []).is_some());
        let manager = check(&plain_user(), bill.clone(), &org_profile, [BillingRole::InvoiceManager]);
        assert!(manager.is_some_and(|(_, rights)| rights.pay_invoices), "R2: INVOICE_MANAGER pays");
        let reader = check(&plain_user(), bill.clone(), &org_profile, [BillingRole::Reader]);
        assert!(reader.is_some_and(|(_, rights)| !rights.pay_invoices), "R2: READER views, does not pay");
        // R38: a buyer's invoices are theirs alone.
        let theirs = profile(ORG, Some(SOMEONE_ELSE));
        let private = invoice(ORG, theirs.id);
        table("a buyer's invoice", &[false; 11], |a| {
            check(a, private.clone(), &theirs, [BillingRole::Owner]).is_some()
        });
        // The profile handed in must be the invoice's own.
        let mut elsewhere = invoice(ORG, Uuid::from_u128(0xb1));
        assert!(check(&global_admin(), elsewhere.clone(), &org_profile, []).is_none(), "another profile's invoice");
        elsewhere.billing_profile_id = org_profile.id;
        elsewhere.organization_id = OTHER_ORG;
        assert!(check(&other_org_admin(), elsewhere, &org_profile, []).is_none(), "R3: org and profile must agree");
    }

    /// R51 with R2, R38: totals kept per organization stand for a caller's
    /// invoices only where the row check admits every invoice of that
    /// organization's own profiles; the caller's self-service invoices come
    /// on top, another buyer's never.
    #[test]
    fn r51_coverage_agrees_with_the_row_check() {
        let mut whole = Vec::new();
        for (label, actor) in everyone() {
            let Coverage::Organization { organization_id, .. } = coverage(&actor) else { continue };
            let org_profile = profile(organization_id, None);
            let bill = invoice(organization_id, org_profile.id);
            assert!(check(&actor, bill, &org_profile, []).is_some(), "{label}: an org invoice without roles");
            let theirs = profile(organization_id, Some(SOMEONE_ELSE));
            assert!(check(&actor, invoice(organization_id, theirs.id), &theirs, []).is_none(), "{label}: R38");
            whole.push(label);
        }
        assert_eq!(whole, ["GLOBAL_ADMIN", "BILLING_ADMIN", "OTHER_ORG_ADMIN", "PARTNER_ADMIN", "OTHER_PARTNER_ADMIN"]);
    }
}
