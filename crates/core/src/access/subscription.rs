//! Subscriptions (R1, R2, R3, R14, R26, R27): the one rule for who sees a
//! subscription and what they may do with it.
//!
//! - Org subscriptions: every admin (GLOBAL, BILLING, LICENSE) sees them, and
//!   so do their purchaser and anyone with a role on their billing profile
//!   (R1, R2). Billing changes need GLOBAL/BILLING_ADMIN or OWNER/CONTRIBUTOR
//!   on the profile; licenses need GLOBAL_ADMIN or LICENSE_ADMIN.
//! - Self-service subscriptions: the purchaser alone manages them (R26);
//!   GLOBAL_ADMIN and BILLING_ADMIN see them read-only (R27, FORBIDDEN on
//!   change); nobody else sees them.
//! - Publishers see the subscriptions of their own products, without billing
//!   data ([`ForPublisher`]); to everyone else any other ID is NOT_FOUND (R3).
//! - R39, partner-bought subscriptions (channel PARTNER with a partner tenant):
//!   the customer's admins see them and assign licenses as above, but no
//!   customer changes their billing (FORBIDDEN): the partner's profile pays.
//!   The partner's users see and manage (quantity, auto-renew, cancel) the
//!   ones their partner bought, with their rights on the partner's profile,
//!   while the relationship is APPROVED; they never assign licenses
//!   (FORBIDDEN); anything else, or after the relationship ended, is NOT_FOUND.

use entity::{billing_profile, enums::Channel, product, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select, sea_query::Query,
};
use uuid::Uuid;

use super::{Visible, billing_profile as profiles, billing_profile::ProfileRights};
use crate::{
    auth::{Actor, PartnerActor, PublisherActor},
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

pub const NOT_FOUND: AppError = AppError::NotFound { entity: crate::error::EntityKind::Subscription };

/// What the caller wants to do with a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    View,
    /// Quantity, cancel, auto-renew, billing profile (R1, R2 "manage billing of its products").
    ManageBilling,
    /// Assign and unassign licenses (R1, R26).
    AssignLicenses,
    /// Follow the link to the publisher's portal (R42, R50): whoever manages
    /// the subscription's billing or assigns its licenses — for an app a
    /// partner bought, the customer's GLOBAL_ADMIN and LICENSE_ADMIN too.
    FollowPortalLink,
}

pub fn is_self_service(sub: &subscription::Model) -> bool {
    sub.channel == Channel::SelfService
}

/// The caller's visible subscriptions split for counts kept per organization
/// (R51's dormant licenses): the twin of [`visible`], whole organizations
/// where it can.
pub enum Coverage {
    /// Every subscription of the organization except those matching
    /// `hidden`: none for a billing manager; for a license admin, other
    /// people's self-service purchases (R26, R27).
    Organization { organization_id: Uuid, hidden: Condition },
    /// Exactly the subscriptions matching the condition ([`visible`]).
    Only(Condition),
}

pub fn coverage(actor: &Actor) -> Coverage {
    let org = match actor {
        Actor::Org(org) => org,
        _ => return Coverage::Only(visible(actor)),
    };
    let organization_id = org.organization_id;
    if org.is_billing_manager() {
        Coverage::Organization { organization_id, hidden: profiles::nothing() }
    } else if org.can_view_org_subscriptions() {
        let hidden = Condition::all()
            .add(subscription::Column::OrganizationId.eq(organization_id))
            .add(subscription::Column::Channel.eq(Channel::SelfService))
            .add(subscription::Column::PurchaserId.ne(org.user_id));
        Coverage::Organization { organization_id, hidden }
    } else {
        Coverage::Only(visible(actor))
    }
}

/// The row check: `Ok(())` when allowed, NOT_FOUND when the caller may not
/// even see the subscription, FORBIDDEN when they see it but may not do
/// `access`. `profile_rights` are the caller's rights on its billing profile.
/// Its SQL twin is [`visible`].
/// `partner_link` is whether the caller's partner may act for the
/// subscription's organization now (only read for partner users, R39).
pub fn decide(
    actor: &Actor,
    sub: &subscription::Model,
    profile_rights: ProfileRights,
    partner_link: bool,
    access: Access,
) -> AppResult<()> {
    if let Actor::Partner(partner) = actor {
        return decide_for_partner(partner, sub, profile_rights, partner_link, access);
    }
    let Ok(org) = actor.org() else { return Err(NOT_FOUND) };
    if org.organization_id != sub.organization_id {
        return Err(NOT_FOUND);
    }
    let is_purchaser = sub.purchaser_id == org.user_id;
    if is_self_service(sub) {
        // R26: the purchaser, and only the purchaser, manages it; R27: admins only look.
        return match access {
            _ if is_purchaser => Ok(()),
            Access::View if org.is_billing_manager() => Ok(()),
            _ if org.is_billing_manager() => Err(AppError::Forbidden),
            _ => Err(NOT_FOUND),
        };
    }
    let can_view = is_purchaser || org.can_view_org_subscriptions() || profile_rights.view;
    if !can_view {
        return Err(NOT_FOUND);
    }
    let manage_billing = !is_partner_bought(sub) && (org.is_billing_manager() || profile_rights.manage_products);
    let allowed = match access {
        Access::View => true,
        // R39: the partner's profile pays; the customer does not change it.
        Access::ManageBilling => manage_billing,
        Access::AssignLicenses => org.can_assign_org_licenses(),
        Access::FollowPortalLink => manage_billing || org.can_assign_org_licenses(),
    };
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// R39: bought by a partner tenant for the customer.
pub fn is_partner_bought(sub: &subscription::Model) -> bool {
    sub.channel == Channel::Partner && sub.partner_tenant_id.is_some()
}

/// R39: the partner side of [`decide`].
fn decide_for_partner(
    partner: &PartnerActor,
    sub: &subscription::Model,
    profile_rights: ProfileRights,
    partner_link: bool,
    access: Access,
) -> AppResult<()> {
    let ours = sub.partner_tenant_id == Some(partner.partner_id());
    if !ours || !partner_link || !(partner.acts_for_customers() || profile_rights.view) {
        return Err(NOT_FOUND);
    }
    let allowed = match access {
        Access::View => true,
        Access::ManageBilling | Access::FollowPortalLink => profile_rights.manage_products,
        // The customer's admins hand out the licenses.
        Access::AssignLicenses => false,
    };
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// R39: the partner side of [`visible`].
fn visible_to_partner(partner: &PartnerActor) -> Condition {
    let ours = Condition::all()
        .add(subscription::Column::PartnerTenantId.eq(partner.partner_id()))
        .add(subscription::Column::OrganizationId.in_subquery(super::partner::active_customers(partner.partner_id())));
    if partner.acts_for_customers() {
        ours
    } else {
        ours.add(
            subscription::Column::BillingProfileId.in_subquery(profiles::profiles_with_a_role(partner.tenant.user_id)),
        )
    }
}

/// The SQL condition on `subscriptions` rows the caller can view (org and
/// partner actors) — the twin of [`decide`] with `Access::View`.
pub fn visible(actor: &Actor) -> Condition {
    if let Actor::Partner(partner) = actor {
        return visible_to_partner(partner);
    }
    let Ok(org) = actor.org() else { return profiles::nothing() };
    let in_org = Condition::all().add(subscription::Column::OrganizationId.eq(org.organization_id));
    let org_channel = subscription::Column::Channel.ne(Channel::SelfService);
    let mine = subscription::Column::PurchaserId.eq(org.user_id);
    if org.is_billing_manager() {
        in_org
    } else if org.can_view_org_subscriptions() {
        in_org.add(Condition::any().add(org_channel).add(mine))
    } else {
        // R2: every role on a billing profile may view the products billed to it.
        let with_role = profiles::profiles_with_a_role(org.user_id);
        in_org.add(
            Condition::any().add(mine).add(
                Condition::all().add(org_channel).add(subscription::Column::BillingProfileId.in_subquery(with_role)),
            ),
        )
    }
}

/// The caller's rights on the subscription's billing profile.
async fn profile_rights(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: &subscription::Model,
) -> AppResult<ProfileRights> {
    let related = match actor {
        Actor::Org(org) => org.organization_id == sub.organization_id && !is_partner_bought(sub),
        Actor::Partner(p) => sub.partner_tenant_id == Some(p.partner_id()),
        Actor::Publisher(_) | Actor::Operator(_) => false,
    };
    if !related || is_self_service(sub) {
        return Ok(ProfileRights::NONE);
    }
    match billing_profile::Entity::find_by_id(sub.billing_profile_id).one(db).await? {
        Some(profile) => profiles::rights(db, actor, &profile).await,
        None => Ok(ProfileRights::NONE),
    }
}

/// R39: whether the caller's partner may act for the subscription's
/// organization now (false, without a query, for everyone else).
async fn partner_link(db: &impl ConnectionTrait, actor: &Actor, sub: &subscription::Model) -> AppResult<bool> {
    match actor {
        Actor::Partner(p) if sub.partner_tenant_id == Some(p.partner_id()) => {
            super::partner::link_active(db, p.partner_id(), sub.organization_id).await
        }
        _ => Ok(false),
    }
}

/// Checks `access` on a loaded subscription and vouches for it.
pub async fn check(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: subscription::Model,
    access: Access,
) -> AppResult<Visible<subscription::Model>> {
    // `decide` only widens with rights on the profile and a live partner
    // link: what it allows without them it allows with them, so a caller
    // whose role suffices (an admin assigning licenses, issue 23) costs no
    // statement; anyone else is decided with the rights read.
    if decide(actor, &sub, ProfileRights::NONE, false, access).is_ok() {
        return Ok(Visible::vouch(sub));
    }
    let rights = profile_rights(db, actor, &sub).await?;
    let link = partner_link(db, actor, &sub).await?;
    decide(actor, &sub, rights, link, access)?;
    Ok(Visible::vouch(sub))
}

/// Whether the caller may view a subscription its nested field loaded in a
/// batch, with the caller's rights on its billing profile already known
/// (`None`: the profile is not visible to them). The rule is [`decide`]'s.
pub fn check_nested(
    actor: &Actor,
    sub: subscription::Model,
    profile_rights: Option<ProfileRights>,
) -> Option<Visible<subscription::Model>> {
    let in_other_org = actor.org().map_or(true, |org| org.organization_id != sub.organization_id);
    let rights = if in_other_org || is_self_service(&sub) {
        ProfileRights::NONE
    } else {
        profile_rights.unwrap_or(ProfileRights::NONE)
    };
    // A partner's view needs its live relationship (a query); a batch-loaded
    // nested subscription is not shown to partners (null, the safe side).
    decide(actor, &sub, rights, false, Access::View).ok().map(|()| Visible::vouch(sub))
}

/// Whether the caller may do `access` on a subscription it already sees
/// (`viewerCan`, item 8): the same [`decide`] the mutations run through [`load`].
pub async fn allows(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: &Visible<subscription::Model>,
    accesses: &[Access],
) -> AppResult<Vec<bool>> {
    let rights = profile_rights(db, actor, sub).await?;
    let link = partner_link(db, actor, sub).await?;
    Ok(accesses.iter().map(|a| decide(actor, sub, rights, link, *a).is_ok()).collect())
}

/// Loads a subscription for `access`; with `lock` (inside a write transaction)
/// the row is locked (PostgreSQL `FOR UPDATE`; SQLite's write lock is held).
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
    lock: bool,
) -> AppResult<Visible<subscription::Model>> {
    let mut query = subscription::Entity::find_by_id(id);
    if lock {
        query = query.lock_exclusive();
    }
    let sub = query.one(db).await?.ok_or(NOT_FOUND)?;
    check(db, actor, sub, access).await
}

/// One page of `query` narrowed to the subscriptions the caller may see: the
/// finder adds [`visible`] itself (the condition is the rule; the caller only
/// narrows, joins and orders), so no row is vouched for without it. Rows of
/// another organization (or, for a partner, another partner) are dropped too.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<subscription::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<subscription::Model>>> {
    Ok(page_with::<subscription::Model>(db, actor, query, |q| q, keyset, window).await?.map(|(sub, ())| sub))
}

/// A row of a subscription page: the subscription and what the query joined
/// to it (issue 23: a page's product, publisher and billing profile come in
/// its own statement). The joined rows are raw: whoever shows them applies
/// their own rule.
pub trait SubscriptionRow: sea_orm::FromQueryResult + Send + Sync {
    type Joined;
    fn split(self) -> (subscription::Model, Self::Joined);
}

impl SubscriptionRow for subscription::Model {
    type Joined = ();
    fn split(self) -> (subscription::Model, ()) {
        (self, ())
    }
}

/// [`page`] for a query that `join`s more to each subscription (outer joins
/// that add columns, not rows): the same condition and row check on the
/// subscription, the joined part passed on. The total counts the query
/// without those joins.
pub async fn page_with<R: SubscriptionRow>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<subscription::Entity>,
    join: impl FnOnce(Select<subscription::Entity>) -> Select<subscription::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<(Visible<subscription::Model>, R::Joined)>> {
    let query = query.filter(visible(actor));
    let count = paging::count_of(query.clone());
    let query = join(query);
    let mut page = paging::fetch_counted::<_, R>(db, query, keyset, window, Some(count)).await?;
    let rows = std::mem::take(&mut page.items);
    let ours = |s: &subscription::Model| match actor {
        Actor::Partner(p) => s.partner_tenant_id == Some(p.partner_id()),
        _ => actor.org().is_ok_and(|org| org.organization_id == s.organization_id),
    };
    Ok(page.with_items(
        rows.into_iter()
            .map(SubscriptionRow::split)
            .filter(|(s, _)| ours(s))
            .map(|(s, joined)| (Visible::vouch(s), joined))
            .collect(),
    ))
}

/// What a publisher sees of a customer's subscription: no billing data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForPublisher(pub subscription::Model);

/// IDs of the publisher's products.
fn products_of(publisher: &PublisherActor) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::PublisherId.eq(publisher.publisher_id))
        .to_owned()
}

/// The SQL condition for publishers: subscriptions of their own products.
pub fn visible_to_publisher(actor: &Actor) -> Condition {
    let Ok(publisher) = actor.publisher() else { return profiles::nothing() };
    Condition::all().add(subscription::Column::ProductId.in_subquery(products_of(publisher)))
}

/// The row check for publishers: `product` is the subscription's product.
/// Anything else is NOT_FOUND, like a random ID (R3).
pub fn check_for_publisher(
    actor: &Actor,
    sub: subscription::Model,
    product: &product::Model,
) -> AppResult<Visible<ForPublisher>> {
    let Ok(publisher) = actor.publisher() else { return Err(NOT_FOUND) };
    if product.id != sub.product_id || product.publisher_id != publisher.publisher_id {
        return Err(NOT_FOUND);
    }
    Ok(Visible::vouch(ForPublisher(sub)))
}

/// One publisher's page of `query`, narrowed by the finder itself to
/// [`visible_to_publisher`] (subscriptions of the publisher's own products).
pub async fn publisher_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<subscription::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<ForPublisher>>> {
    if actor.publisher().is_err() {
        return Ok(Page::empty());
    }
    let mut page = paging::fetch(db, query.filter(visible_to_publisher(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().map(|s| Visible::vouch(ForPublisher(s))).collect()))
}

/// R43 (with R27): once a self-service purchaser has been deleted, the
/// organization's billing managers may cancel the subscription; before that
/// they only look. `purchaser` is the subscription's purchaser row. Callers
/// use it only for cancelling, after [`load`] answered FORBIDDEN.
pub fn check_handed_over(
    actor: &Actor,
    sub: subscription::Model,
    purchaser: &entity::user::Model,
) -> AppResult<Visible<subscription::Model>> {
    let Ok(org) = actor.org() else { return Err(NOT_FOUND) };
    if org.organization_id != sub.organization_id {
        return Err(NOT_FOUND);
    }
    let handed_over = is_self_service(&sub) && purchaser.id == sub.purchaser_id && purchaser.deleted_at.is_some();
    if handed_over && org.is_billing_manager() { Ok(Visible::vouch(sub)) } else { Err(AppError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    fn table_of(sub: &subscription::Model, rights: ProfileRights, link: bool, access: Access) -> Vec<&'static str> {
        everyone().iter().map(|(_, a)| code(&decide(a, sub, rights, link, access))).collect()
    }

    /// R51 with R26, R27: an organization's count stands for a caller's
    /// subscriptions only where the row check admits every subscription of
    /// it but the hidden ones — for a license admin other people's
    /// self-service purchases, for a billing manager none.
    #[test]
    fn r51_coverage_agrees_with_the_row_check() {
        let mut whole = Vec::new();
        for (label, actor) in everyone() {
            let Coverage::Organization { organization_id, .. } = coverage(&actor) else { continue };
            let sees = |channel, purchaser| {
                let sub = subscription(organization_id, channel, purchaser);
                decide(&actor, &sub, ProfileRights::NONE, false, Access::View).is_ok()
            };
            let manager = actor.org().is_ok_and(|org| org.is_billing_manager());
            assert!(sees(Channel::Direct, SOMEONE_ELSE), "{label}: every org subscription");
            assert!(sees(Channel::SelfService, ME), "{label}: their own purchase");
            assert_eq!(sees(Channel::SelfService, SOMEONE_ELSE), manager, "{label}: another's purchase");
            whole.push(label);
        }
        assert_eq!(whole, ["GLOBAL_ADMIN", "BILLING_ADMIN", "LICENSE_ADMIN", "OTHER_ORG_ADMIN"]);
    }

    /// R1, R2, R3: an org subscription — every admin sees it; billing changes
    /// for GLOBAL/BILLING_ADMIN, licenses for GLOBAL/LICENSE_ADMIN; a plain
    /// user without a role, other tenants and publishers: HIDDEN.
    #[test]
    fn r1_org_subscription_decision_table() {
        let sub = subscription(ORG, Channel::Direct, SOMEONE_ELSE);
        let none = ProfileRights::NONE;
        let nf = HIDDEN;
        assert_eq!(table_of(&sub, none, false, Access::View), [ALLOW, ALLOW, ALLOW, nf, nf, nf, nf, nf, nf, nf, nf]);
        assert_eq!(
            table_of(&sub, none, false, Access::ManageBilling),
            [ALLOW, ALLOW, FORBID, nf, nf, nf, nf, nf, nf, nf, nf]
        );
        assert_eq!(
            table_of(&sub, none, false, Access::AssignLicenses),
            [ALLOW, FORBID, ALLOW, nf, nf, nf, nf, nf, nf, nf, nf]
        );
        // R2: a role on its billing profile lets a plain user see it; CONTRIBUTOR manages its billing.
        let user = plain_user();
        assert_eq!(code(&decide(&user, &sub, ProfileRights::READER, false, Access::View)), ALLOW);
        assert_eq!(code(&decide(&user, &sub, ProfileRights::READER, false, Access::ManageBilling)), FORBID);
        assert_eq!(code(&decide(&user, &sub, ProfileRights::CONTRIBUTOR, false, Access::ManageBilling)), ALLOW);
        assert_eq!(code(&decide(&user, &sub, ProfileRights::OWNER, false, Access::AssignLicenses)), FORBID);
        // The purchaser sees what they bought.
        let bought = subscription(ORG, Channel::Direct, ME);
        assert_eq!(code(&decide(&user, &bought, none, false, Access::View)), ALLOW);
    }

    /// R26, R27: a self-service subscription — the purchaser alone manages it;
    /// GLOBAL/BILLING_ADMIN look (FORBID on change); nobody else sees it.
    #[test]
    fn r26_r27_self_service_decision_table() {
        let sub = subscription(ORG, Channel::SelfService, SOMEONE_ELSE);
        let owner = ProfileRights::OWNER;
        let nf = HIDDEN;
        assert_eq!(table_of(&sub, owner, false, Access::View), [ALLOW, ALLOW, nf, nf, nf, nf, nf, nf, nf, nf, nf]);
        for access in [Access::ManageBilling, Access::AssignLicenses] {
            assert_eq!(
                table_of(&sub, owner, false, access),
                [FORBID, FORBID, nf, nf, nf, nf, nf, nf, nf, nf, nf],
                "{access:?}"
            );
        }
        let mine = subscription(ORG, Channel::SelfService, ME);
        for access in [Access::View, Access::ManageBilling, Access::AssignLicenses] {
            assert_eq!(
                code(&decide(&plain_user(), &mine, ProfileRights::NONE, false, access)),
                ALLOW,
                "R26 {access:?}"
            );
        }
    }

    /// R39: a partner-bought subscription — the customer's admins see it and
    /// assign its licenses but never change its billing; the partner's users
    /// manage its billing (with their rights on the partner's profile) while
    /// the relationship is APPROVED, never assign; anyone else HIDDEN.
    #[test]
    fn r39_partner_bought_decision_table() {
        let mut sub = subscription(ORG, Channel::Partner, SOMEONE_ELSE);
        sub.partner_tenant_id = Some(PARTNER);
        // The rights `profile_rights` hands each caller: the customer's users get
        // none on the partner's profile; the partner's admin is OWNER there.
        let rights = |label: &str| if label == "PARTNER_ADMIN" { ProfileRights::OWNER } else { ProfileRights::NONE };
        let decided = |link: bool, access: Access| -> Vec<&'static str> {
            everyone().iter().map(|(label, a)| code(&decide(a, &sub, rights(label), link, access))).collect()
        };
        let nf = HIDDEN;
        let fb = FORBID;
        assert_eq!(decided(true, Access::View), [ALLOW, ALLOW, ALLOW, nf, nf, ALLOW, nf, nf, nf, nf, nf]);
        assert_eq!(decided(true, Access::ManageBilling), [fb, fb, fb, nf, nf, ALLOW, nf, nf, nf, nf, nf]);
        assert_eq!(decided(true, Access::AssignLicenses), [ALLOW, fb, ALLOW, nf, nf, fb, nf, nf, nf, nf, nf]);
        // Ended relationship: nothing for the partner.
        assert_eq!(decided(false, Access::View), [ALLOW, ALLOW, ALLOW, nf, nf, nf, nf, nf, nf, nf, nf]);
        // A partner user with a READER role on the paying profile sees it, may not change it.
        let reader = partner(PARTNER, &[]);
        assert_eq!(code(&decide(&reader, &sub, ProfileRights::READER, true, Access::View)), ALLOW);
        assert_eq!(code(&decide(&reader, &sub, ProfileRights::READER, true, Access::ManageBilling)), fb);
    }

    /// R3, R14: publishers see subscriptions of their own products only.
    #[test]
    fn r3_publisher_view_decision_table() {
        let sub = subscription(ORG, Channel::Direct, SOMEONE_ELSE);
        let product = entity::product::Model {
            id: sub.product_id,
            publisher_id: PUBLISHER,
            ..crate::access::fixtures::product()
        };
        #[rustfmt::skip]
        let expected = [nf(), nf(), nf(), nf(), nf(), nf(), nf(), nf(), ALLOW, nf(), nf()];
        table("a publisher's product", &expected, |a| code(&check_for_publisher(a, sub.clone(), &product)));
        let wrong = entity::product::Model { id: Uuid::from_u128(0x61), ..product };
        assert_eq!(code(&check_for_publisher(&publisher(PUBLISHER), sub.clone(), &wrong)), HIDDEN);
    }

    fn nf() -> &'static str {
        HIDDEN
    }

    /// R1–R3, R39, issue 23: `check` answers without reading the caller's
    /// rights on the profile when `decide` allows without them — sound only
    /// if rights and a partner link never take an allowance away. Every
    /// caller, subscription kind, right and access: allowed without ⇒
    /// allowed with.
    #[test]
    fn r3_rights_and_links_only_widen_what_decide_allows() {
        let mut partner_bought = subscription(ORG, Channel::Partner, SOMEONE_ELSE);
        partner_bought.partner_tenant_id = Some(PARTNER);
        let subs = [
            subscription(ORG, Channel::Direct, SOMEONE_ELSE),
            subscription(ORG, Channel::Direct, ME),
            subscription(ORG, Channel::SelfService, SOMEONE_ELSE),
            subscription(ORG, Channel::SelfService, ME),
            partner_bought,
        ];
        let rights = [ProfileRights::NONE, ProfileRights::READER, ProfileRights::CONTRIBUTOR, ProfileRights::OWNER];
        let accesses = [Access::View, Access::ManageBilling, Access::AssignLicenses, Access::FollowPortalLink];
        let mut callers: Vec<Actor> = everyone().into_iter().map(|(_, a)| a).collect();
        callers.push(partner(PARTNER, &[]));
        for actor in &callers {
            for sub in &subs {
                for access in accesses {
                    if decide(actor, sub, ProfileRights::NONE, false, access).is_err() {
                        continue;
                    }
                    for r in rights {
                        for link in [false, true] {
                            assert!(decide(actor, sub, r, link, access).is_ok(), "{access:?} {r:?} {link}");
                        }
                    }
                }
            }
        }
    }
}
