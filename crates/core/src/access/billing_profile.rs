//! Billing profiles (R1, R2, R3, R25, R28, R38): the one rule for who sees a
//! profile and what they may do with it.
//!
//! - An org profile: GLOBAL_ADMIN and BILLING_ADMIN act as OWNER (R1); anyone
//!   else has the union of the roles they hold on it (R2).
//! - A self-service profile is its purchaser's alone (R25, R38): admins see the
//!   self-service subscription, never the buyer's profile, card or invoices.
//! - Publishers and other organizations see nothing (SPEC §1, R3).
//! - R39: a partner user has these rights in the partner's own tenant, like an
//!   org user there; a customer never sees the partner's profile, even the one
//!   its partner-bought subscriptions are billed to.

use entity::{billing_profile, billing_role_assignment, enums::BillingRole};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use super::Visible;
use crate::{
    auth::{Actor, OrgActor},
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: crate::error::EntityKind::BillingProfile };

/// What the caller may do with one profile: the R2 matrix with R1 folded in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileRights {
    pub view: bool,
    pub manage_roles: bool,
    pub update: bool,
    pub buy: bool,
    pub manage_products: bool,
    pub manage_payment: bool,
    pub pay_invoices: bool,
}

impl ProfileRights {
    pub const OWNER: ProfileRights = ProfileRights {
        view: true,
        manage_roles: true,
        update: true,
        buy: true,
        manage_products: true,
        manage_payment: true,
        pay_invoices: true,
    };
    pub const CONTRIBUTOR: ProfileRights = ProfileRights { manage_roles: false, ..ProfileRights::OWNER };
    /// R25, R38: the buyer on their own self-service profile: everything but
    /// roles, which are never granted on a self-service profile (issue 19:
    /// `viewerCan.manageRoles` must not offer what `grantBillingRole` refuses).
    pub const BUYER: ProfileRights = ProfileRights { manage_roles: false, ..ProfileRights::OWNER };
    pub const READER: ProfileRights = ProfileRights { view: true, ..ProfileRights::NONE };
    pub const INVOICE_MANAGER: ProfileRights = ProfileRights { view: true, pay_invoices: true, ..ProfileRights::NONE };
    pub const NONE: ProfileRights = ProfileRights {
        view: false,
        manage_roles: false,
        update: false,
        buy: false,
        manage_products: false,
        manage_payment: false,
        pay_invoices: false,
    };

    pub fn of_role(role: BillingRole) -> ProfileRights {
        match role {
            BillingRole::Owner => ProfileRights::OWNER,
            BillingRole::Contributor => ProfileRights::CONTRIBUTOR,
            BillingRole::Reader => ProfileRights::READER,
            BillingRole::InvoiceManager => ProfileRights::INVOICE_MANAGER,
        }
    }

    pub fn union(self, other: ProfileRights) -> ProfileRights {
        ProfileRights {
            view: self.view || other.view,
            manage_roles: self.manage_roles || other.manage_roles,
            update: self.update || other.update,
            buy: self.buy || other.buy,
            manage_products: self.manage_products || other.manage_products,
            manage_payment: self.manage_payment || other.manage_payment,
            pay_invoices: self.pay_invoices || other.pay_invoices,
        }
    }
}

/// The row check: the caller's rights on `profile`, given the roles the
/// caller holds on it. Its SQL twin is [`visible`].
pub fn rights_with_roles(
    actor: &Actor,
    profile: &billing_profile::Model,
    my_roles: impl IntoIterator<Item = BillingRole>,
) -> ProfileRights {
    let Ok(org) = actor.billing_org() else { return ProfileRights::NONE };
    if org.organization_id != profile.organization_id {
        return ProfileRights::NONE;
    }
    if let Some(owner) = profile.owner_user_id {
        // R25, R38: the buyer's own profile is theirs alone.
        return if owner == org.user_id { ProfileRights::BUYER } else { ProfileRights::NONE };
    }
    let base = if org.is_billing_manager() { ProfileRights::OWNER } else { ProfileRights::NONE };
    my_roles.into_iter().fold(base, |rights, role| rights.union(ProfileRights::of_role(role)))
}

/// Whether the row check needs the caller's roles on the profile (a query);
/// lets nested fields skip it when the answer cannot depend on them.
pub fn needs_roles(actor: &Actor, profile: &billing_profile::Model) -> bool {
    matches!(actor.billing_org(), Ok(org) if org.organization_id == profile.organization_id
        && profile.owner_user_id.is_none() && !org.is_billing_manager())
}

/// The SQL condition on `billing_profiles` rows the caller can view — the
/// twin of [`rights_with_roles`]`.view`.
pub fn visible(actor: &Actor) -> Condition {
    let Ok(org) = actor.billing_org() else { return nothing() };
    let in_org = Condition::all().add(billing_profile::Column::OrganizationId.eq(org.organization_id));
    let org_profiles = if org.is_billing_manager() {
        Condition::all().add(billing_profile::Column::OwnerUserId.is_null())
    } else {
        Condition::all()
            .add(billing_profile::Column::OwnerUserId.is_null())
            .add(billing_profile::Column::Id.in_subquery(profiles_with_a_role(org.user_id)))
    };
    in_org.add(Condition::any().add(billing_profile::Column::OwnerUserId.eq(org.user_id)).add(org_profiles))
}

/// IDs of the profiles the caller can view (for the rules of objects that
/// belong to a profile: payment methods, invoices).
pub fn visible_ids(actor: &Actor) -> SelectStatement {
    Query::select()
        .column(billing_profile::Column::Id)
        .from(billing_profile::Entity)
        .cond_where(visible(actor))
        .to_owned()
}

/// IDs of `user_id`'s own self-service profiles in the organization (R25, R38).
pub fn owned_ids(organization_id: Uuid, user_id: Uuid) -> SelectStatement {
    Query::select()
        .column(billing_profile::Column::Id)
        .from(billing_profile::Entity)
        .and_where(billing_profile::Column::OrganizationId.eq(organization_id))
        .and_where(billing_profile::Column::OwnerUserId.eq(user_id))
        .to_owned()
}

/// A condition no row satisfies.
pub(crate) fn nothing() -> Condition {
    Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0"))
}

/// IDs of the profiles on which `user_id` holds any billing role (R2).
pub fn profiles_with_a_role(user_id: Uuid) -> SelectStatement {
    Query::select()
        .column(billing_role_assignment::Column::BillingProfileId)
        .from(billing_role_assignment::Entity)
        .and_where(billing_role_assignment::Column::UserId.eq(user_id))
        .to_owned()
}

/// The roles `org` holds on `profile_id`.
async fn my_roles(db: &impl ConnectionTrait, org: &OrgActor, profile_id: Uuid) -> AppResult<Vec<BillingRole>> {
    Ok(billing_role_assignment::Entity::find()
        .filter(billing_role_assignment::Column::BillingProfileId.eq(profile_id))
        .filter(billing_role_assignment::Column::UserId.eq(org.user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.role)
        .collect())
}

/// The caller's rights on `profile`, looking up their roles when needed.
pub async fn rights(
    db: &impl ConnectionTrait,
    actor: &Actor,
    profile: &billing_profile::Model,
) -> AppResult<ProfileRights> {
    let roles = match actor.billing_org() {
        Ok(org) if needs_roles(actor, profile) => my_roles(db, org, profile.id).await?,
        _ => Vec::new(),
    };
    Ok(rights_with_roles(actor, profile, roles))
}

/// The row check on an object already loaded (nested fields, list pages):
/// the proof and the rights, or `None` when the caller may not see it.
pub fn check(
    actor: &Actor,
    profile: billing_profile::Model,
    my_roles: impl IntoIterator<Item = BillingRole>,
) -> Option<(Visible<billing_profile::Model>, ProfileRights)> {
    let rights = rights_with_roles(actor, &profile, my_roles);
    rights.view.then(|| (Visible::vouch(profile), rights))
}

/// One profile by ID, or NOT_FOUND when it is missing or the caller may not
/// see it — the same answer (R3).
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(Visible<billing_profile::Model>, ProfileRights)> {
    let profile = billing_profile::Entity::find_by_id(id).one(db).await?.ok_or(NOT_FOUND)?;
    let rights = rights(db, actor, &profile).await?;
    if !rights.view {
        return Err(NOT_FOUND);
    }
    Ok((Visible::vouch(profile), rights))
}

/// [`load`] inside a write transaction, with the profile row locked
/// (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the write lock) so
/// that concurrent changes to one profile queue (R2: the last OWNER stays).
pub async fn load_for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(Visible<billing_profile::Model>, ProfileRights)> {
    let profile = billing_profile::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or(NOT_FOUND)?;
    let rights = rights(txn, actor, &profile).await?;
    if !rights.view {
        return Err(NOT_FOUND);
    }
    Ok((Visible::vouch(profile), rights))
}

/// One page of `query` narrowed by the finder itself to [`visible`] (the
/// caller only narrows and orders), each row with the caller's rights.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<billing_profile::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<(Visible<billing_profile::Model>, ProfileRights)>> {
    if actor.billing_org().is_err() {
        return Ok(Page::empty());
    }
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(checked(db, actor, rows).await?))
}

/// Every row of `query` (with the caller's limit and order) narrowed by the
/// finder itself to [`visible`], each with the caller's rights.
pub async fn all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<billing_profile::Entity>,
) -> AppResult<Vec<(Visible<billing_profile::Model>, ProfileRights)>> {
    if actor.billing_org().is_err() {
        return Ok(Vec::new());
    }
    let rows = query.filter(visible(actor)).all(db).await?;
    checked(db, actor, rows).await
}

/// The row check over rows the finders fetched with [`visible`], with the
/// caller's roles on them fetched in one query. Rows the row check refuses are
/// dropped, so the two halves of the rule cannot disagree silently.
async fn checked(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: Vec<billing_profile::Model>,
) -> AppResult<Vec<(Visible<billing_profile::Model>, ProfileRights)>> {
    let Ok(org) = actor.billing_org() else { return Ok(Vec::new()) };
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let mine = billing_role_assignment::Entity::find()
        .filter(billing_role_assignment::Column::BillingProfileId.is_in(ids))
        .filter(billing_role_assignment::Column::UserId.eq(org.user_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|profile| {
            let roles: Vec<BillingRole> =
                mine.iter().filter(|a| a.billing_profile_id == profile.id).map(|a| a.role).collect();
            check(actor, profile, roles)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use entity::enums::OrgRole;

    use super::*;
    use crate::access::fixtures::*;

    /// R1, R2: on an org profile GLOBAL_ADMIN and BILLING_ADMIN act as OWNER;
    /// anyone else has the union of their roles; other tenants nothing.
    #[test]
    fn r1_r2_org_profile_decision_table() {
        let org_profile = profile(ORG, None);
        let owner = ProfileRights::OWNER;
        let none = ProfileRights::NONE;
        #[rustfmt::skip]
        let expected = [owner, owner, none, none, none, none, none, none, none, none, none];
        table("an org profile, no roles", &expected, |a| rights_with_roles(a, &org_profile, []));
        for (role, want) in [
            (BillingRole::Owner, ProfileRights::OWNER),
            (BillingRole::Contributor, ProfileRights::CONTRIBUTOR),
            (BillingRole::Reader, ProfileRights::READER),
            (BillingRole::InvoiceManager, ProfileRights::INVOICE_MANAGER),
        ] {
            assert_eq!(rights_with_roles(&plain_user(), &org_profile, [role]), want, "R2: a USER with {role:?}");
            assert_eq!(
                rights_with_roles(&license_admin(), &org_profile, [role]),
                want,
                "R2: LICENSE_ADMIN with {role:?}"
            );
            // Roles never open another organization's profile (R3).
            assert_eq!(rights_with_roles(&other_org_admin(), &org_profile, [role]), none, "R3 with {role:?}");
        }
        let both = rights_with_roles(&plain_user(), &org_profile, [BillingRole::Reader, BillingRole::InvoiceManager]);
        assert_eq!(both, ProfileRights::INVOICE_MANAGER, "R2: the union of the roles held");
        let contributor = rights_with_roles(&plain_user(), &org_profile, [BillingRole::Contributor]);
        assert!(contributor.buy && contributor.manage_products && !contributor.manage_roles, "R2: CONTRIBUTOR");
        let reader = rights_with_roles(&plain_user(), &org_profile, [BillingRole::Reader]);
        assert!(reader.view && !reader.buy && !reader.update && !reader.pay_invoices, "R2: READER only views");
    }

    /// R25, R38, issue 19: a self-service profile is its buyer's alone — every
    /// right but roles, which are never granted on it — and nobody else's,
    /// admins and roles included.
    #[test]
    fn r25_r38_self_service_profile_decision_table() {
        let mine = profile(ORG, Some(ME));
        let buyer = rights_with_roles(&plain_user(), &mine, []);
        assert_eq!(buyer, ProfileRights::BUYER);
        assert!(!buyer.manage_roles, "viewerCan.manageRoles is false where granting is FORBIDDEN");
        assert!(buyer.view && buyer.update && buyer.buy && buyer.manage_products && buyer.manage_payment);
        assert!(buyer.pay_invoices, "R26: the buyer pays their own invoices");
        let theirs = profile(ORG, Some(SOMEONE_ELSE));
        table("someone else's self-service profile", &[ProfileRights::NONE; 11], |a| {
            rights_with_roles(a, &theirs, [BillingRole::Owner])
        });
    }

    /// R39: a partner's profile: its users act as org users of the partner tenant.
    #[test]
    fn r39_partner_profile_decision_table() {
        let partner_profile = profile(PARTNER, None);
        let owner = ProfileRights::OWNER;
        let none = ProfileRights::NONE;
        #[rustfmt::skip]
        let expected = [none, none, none, none, none, owner, none, none, none, none, none];
        table("a partner's profile", &expected, |a| rights_with_roles(a, &partner_profile, []));
        let reader = rights_with_roles(&partner(PARTNER, &[]), &partner_profile, [BillingRole::Reader]);
        assert_eq!(reader, ProfileRights::READER);
        let admin = partner(PARTNER, &[OrgRole::BillingAdmin]);
        assert_eq!(rights_with_roles(&admin, &partner_profile, []), owner);
    }

    /// `needs_roles` is false exactly where the roles cannot change the answer.
    #[test]
    fn needs_roles_only_when_roles_matter() {
        let org_profile = profile(ORG, None);
        for (label, actor) in everyone() {
            let needed = needs_roles(&actor, &org_profile);
            let with = rights_with_roles(&actor, &org_profile, [BillingRole::Owner]);
            let without = rights_with_roles(&actor, &org_profile, []);
            assert!(needed || with == without, "{label}: roles matter but are not looked up");
        }
        assert!(!needs_roles(&plain_user(), &profile(ORG, Some(ME))), "a self-service profile ignores roles");
    }
}
