//! Subscriptions: who may see and change them (R1–R3, R26, R27), and their
//! lifecycle (R14–R17, R35) with the charges of R30.

use entity::{
    enums::{CancelReason, Channel, ChargeKind, DisabledReason, SubscriptionStatus},
    product, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible, subscription::ForPublisher},
    auth::Actor,
    db,
    domain::terms,
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        billing_profiles, catalog, charges, renewal,
    },
};

pub use crate::access::subscription::{Access, is_self_service, load};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Subscription };

/// R16: a disabled subscription takes no more changes.
pub fn ensure_not_disabled(sub: &subscription::Model) -> AppResult<()> {
    if sub.status == SubscriptionStatus::Disabled { Err(AppError::SubscriptionDisabled) } else { Ok(()) }
}

/// Why a subscription ends: the reasons of `DisabledReason`, with what each carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// R35: canceled by the customer, with their reason and words.
    Canceled { reason: CancelReason, feedback: Option<String> },
    /// R15: term end without auto-renew.
    Expired,
    /// R15, R17 (issue 11): auto-renew on but no price in force; `message` says why.
    NotRenewable { message: String },
    /// R15: payment not kept current after the grace period.
    PaymentNotCurrent,
}

/// R15, R16, R35: the one way a subscription is disabled — DISABLED with its
/// reason (and message), when, and auto-renew off (a disabled subscription
/// takes no more changes, R16). The caller writes it and its audit event in
/// its own transaction.
pub fn disable(model: &mut subscription::ActiveModel, ending: Ending, now: chrono::DateTime<chrono::Utc>) {
    let (reason, message) = match ending {
        Ending::Canceled { reason, feedback } => {
            model.cancel_reason = Set(Some(reason));
            model.cancel_feedback = Set(feedback);
            (DisabledReason::Canceled, None)
        }
        Ending::Expired => (DisabledReason::Expired, None),
        Ending::NotRenewable { message } => (DisabledReason::NotRenewable, Some(message)),
        Ending::PaymentNotCurrent => (DisabledReason::PaymentNotCurrent, None),
    };
    model.status = Set(SubscriptionStatus::Disabled);
    model.disabled_reason = Set(Some(reason));
    model.disabled_message = Set(message);
    model.disabled_at = Set(Some(now));
    model.auto_renew = Set(false);
    model.updated_at = Set(now);
}

pub fn snapshot(sub: &subscription::Model) -> serde_json::Value {
    json!({
        "status": sub.status.as_str(),
        "disabledReason": sub.disabled_reason.map(|r| r.as_str()),
        "quantity": sub.quantity,
        "assigned": sub.assigned_count,
        "autoRenew": sub.auto_renew,
        "billingProfileId": sub.billing_profile_id,
        "termEnd": sub.current_term_end,
        "cancelReason": sub.cancel_reason.map(|r| r.as_str()),
        "feedback": sub.cancel_feedback,
    })
}

/// What a publisher's audit log may hold of a subscription: no billing
/// profile, no auto-renew, no price (SPEC §1, R37).
pub fn publisher_snapshot(sub: &subscription::Model) -> serde_json::Value {
    json!({
        "status": sub.status.as_str(),
        "disabledReason": sub.disabled_reason.map(|r| r.as_str()),
        "quantity": sub.quantity,
        "assigned": sub.assigned_count,
        "termEnd": sub.current_term_end,
    })
}

/// [`update_audited`] on a subscription the caller was allowed to change;
/// the result keeps its proof (the change touches no field a rule reads).
async fn update_visible(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    action: AuditAction,
    sub: Visible<subscription::Model>,
    now: chrono::DateTime<chrono::Utc>,
    change: impl FnOnce(&mut subscription::ActiveModel),
) -> AppResult<Visible<subscription::Model>> {
    let fresh = update_audited(txn, scope, action, sub.get().clone(), now, snapshot, change).await?;
    sub.updated(fresh).ok_or(NOT_FOUND)
}

/// Applies `change`, stamps `updated_at`, and writes the audit event with the
/// before and after snapshots (R36), inside the caller's transaction.
async fn update_audited(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    action: AuditAction,
    sub: subscription::Model,
    now: chrono::DateTime<chrono::Utc>,
    snapshot: fn(&subscription::Model) -> serde_json::Value,
    change: impl FnOnce(&mut subscription::ActiveModel),
) -> AppResult<subscription::Model> {
    let before = snapshot(&sub);
    let assigned = sub.assigned_count;
    let mut model: subscription::ActiveModel = sub.into();
    change(&mut model);
    model.updated_at = Set(now);
    let new_quantity = match &model.quantity {
        sea_orm::ActiveValue::Set(q) | sea_orm::ActiveValue::Unchanged(q) => *q,
        sea_orm::ActiveValue::NotSet => None,
    };
    // The CHECK (assigned_count <= quantity) is the last line of defence (R21).
    let sub = model.update(txn).await.map_err(|e| match new_quantity {
        Some(quantity) if db::is_check_violation(&e) => {
            AppError::QuantityBelowAssigned { assigned, to_unassign: Ord::max(assigned - quantity, 0) }
        }
        _ => e.into(),
    })?;
    let entry = AuditEntry::new(action, "subscription", sub.id).before(before).after(snapshot(&sub));
    audit::record(txn, scope, now, entry).await?;
    Ok(sub)
}

/// What bringing a subscription up to date did.
#[derive(Debug, Clone)]
pub struct CaughtUp {
    pub sub: subscription::Model,
    pub renewals: u64,
    /// It ended at a term end (EXPIRED or NOT_RENEWABLE).
    pub ended: bool,
}

/// Issue 26 item 1 (R15, R17, R30): in the caller's transaction, moves a
/// subscription (locked by the caller) through every term that ended by
/// `as_of`, each as of its own term end D: with auto-renew, a new term at the
/// product's price in force on D (`catalog::price_in_force`) and a RENEWAL
/// charge dated D; without it, DISABLED/EXPIRED; with it but no price in
/// force on D, DISABLED/NOT_RENEWABLE with a message saying why (issue 11).
///
/// The quantity, auto-renew and billing profile used are the stored ones:
/// every change to them brings the subscription up to date first (this
/// function), so the stored values are the ones in force on every term end
/// still to come. The billing run calls it for each subscription whose term
/// ended; each change calls it before applying itself. Either way, a late
/// run gives what daily runs would have given.
pub async fn bring_up_to_date(
    txn: &DatabaseTransaction,
    mut sub: subscription::Model,
    as_of: chrono::NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<CaughtUp> {
    let mut renewals = 0;
    if sub.status == SubscriptionStatus::Disabled || sub.current_term_end > as_of {
        return Ok(CaughtUp { sub, renewals, ended: false });
    }
    let product = product_of(txn, &sub).await?;
    let scope = AuditScope::org(sub.organization_id, None);
    while sub.status != SubscriptionStatus::Disabled && sub.current_term_end <= as_of {
        let term_end = sub.current_term_end;
        let next = sub.term_number.saturating_add(1);
        // Issue 26 item 5: a negotiated price holds through its terms.
        let negotiated = sub.negotiated_terms.is_some_and(|n| next <= n);
        let price = if !sub.auto_renew {
            None
        } else if negotiated {
            Some(sub.unit_price_minor)
        } else {
            catalog::price_in_force(txn, sub.product_id, sub.term, &sub.currency, term_end).await?
        };
        let before = snapshot(&sub);
        let mut model: subscription::ActiveModel = sub.clone().into();
        let Some(price) = price else {
            // Auto-renew on but no price in force for the term and currency.
            let (ending, message, action) = if sub.auto_renew {
                let why = renewal::why_not_renewable(txn, &sub).await?;
                (Ending::NotRenewable { message: why.clone() }, Some(why), AuditAction::SubscriptionNotRenewable)
            } else {
                (Ending::Expired, None, AuditAction::SubscriptionExpire)
            };
            disable(&mut model, ending, now);
            sub = model.update(txn).await?;
            let mut after = snapshot(&sub);
            after["endedOn"] = json!(term_end);
            if let Some(message) = message {
                after["message"] = json!(message);
                after["notify"] = json!(renewal::people_to_tell(txn, &sub).await?);
            }
            let entry = AuditEntry::new(action, "subscription", sub.id).before(before).after(after);
            audit::record(txn, scope, now, entry).await?;
            return Ok(CaughtUp { sub, renewals, ended: true });
        };
        let end = terms::term_end(sub.start_date, sub.term.months(), u32::try_from(next).unwrap_or(u32::MAX));
        let previous_price = sub.unit_price_minor;
        model.term_number = Set(next);
        model.current_term_start = Set(term_end);
        model.current_term_end = Set(end);
        model.unit_price_minor = Set(price);
        model.updated_at = Set(now);
        sub = model.update(txn).await?;
        let renewal = charges::full_term(&sub, ChargeKind::Renewal, term_end, end, &product.name)?;
        let amount = renewal.amount_minor;
        charges::insert(txn, renewal, now).await?;
        let mut after = snapshot(&sub);
        after["termNumber"] = json!(next);
        after["termStart"] = json!(term_end);
        after["unitPriceMinor"] = json!(sub.unit_price_minor);
        after["chargeMinor"] = json!(amount);
        if let Some(ends) = negotiated_price_ends_on(&sub) {
            // Issue 26 item 5: the renewal says when the price changes.
            after["negotiatedPriceEndsOn"] = json!(ends);
        } else if sub.negotiated_terms.is_some_and(|n| next == n.saturating_add(1)) {
            after["priceChange"] =
                json!({"fromMinor": previous_price, "toMinor": price, "reason": "NEGOTIATED_PRICE_ENDED"});
        }
        let entry = AuditEntry::new(AuditAction::SubscriptionRenew, "subscription", sub.id).before(before).after(after);
        audit::record(txn, scope, now, entry).await?;
        renewals += 1;
    }
    Ok(CaughtUp { sub, renewals, ended: false })
}

/// Issue 26 item 5: the day a negotiated price stops (the end of its last
/// term), while the subscription is still in one of its terms; None otherwise.
pub fn negotiated_price_ends_on(sub: &subscription::Model) -> Option<chrono::NaiveDate> {
    let last = sub.negotiated_terms.filter(|n| *n >= sub.term_number)?;
    Some(terms::term_end(sub.start_date, sub.term.months(), u32::try_from(last).unwrap_or(u32::MAX)))
}

/// Issue 26 item 5: what the next renewal's unit price comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalPrice {
    /// Disabled or auto-renew off.
    WillNotRenew,
    /// The negotiated price, while it holds.
    Negotiated(i64),
    /// The list price in force on the term end, as known today (none when
    /// the product has no price for its term and currency).
    ListPriceOn(catalog::PriceAsked),
}

impl RenewalPrice {
    /// The list price to look up first, when the price is one.
    pub fn list_price_asked(&self) -> Option<&catalog::PriceAsked> {
        match self {
            RenewalPrice::ListPriceOn(asked) => Some(asked),
            _ => None,
        }
    }

    /// The unit price, given the list price looked up for
    /// [`Self::list_price_asked`] (ignored otherwise); None when it will not
    /// renew.
    pub fn price(&self, listed: Option<i64>) -> Option<i64> {
        match self {
            RenewalPrice::WillNotRenew => None,
            RenewalPrice::Negotiated(price) => Some(*price),
            RenewalPrice::ListPriceOn(_) => listed,
        }
    }
}

pub fn renewal_price(sub: &subscription::Model) -> RenewalPrice {
    if sub.status == SubscriptionStatus::Disabled || !sub.auto_renew {
        return RenewalPrice::WillNotRenew;
    }
    if sub.negotiated_terms.is_some_and(|n| sub.term_number.saturating_add(1) <= n) {
        return RenewalPrice::Negotiated(sub.unit_price_minor);
    }
    RenewalPrice::ListPriceOn(catalog::PriceAsked {
        product_id: sub.product_id,
        term: sub.term,
        currency: sub.currency.clone(),
        on: sub.current_term_end,
    })
}

/// The unit price the next renewal will take ([`renewal_price`]); None
/// when it will not renew.
pub async fn next_renewal_price(db: &impl ConnectionTrait, sub: &subscription::Model) -> AppResult<Option<i64>> {
    Ok(next_renewal_prices(db, &[sub]).await?.pop().flatten())
}

/// [`next_renewal_price`] for each of `subs`, in order, with one query for
/// the list prices (a page of the renewal calendar).
pub async fn next_renewal_prices(
    db: &impl ConnectionTrait,
    subs: &[&subscription::Model],
) -> AppResult<Vec<Option<i64>>> {
    let sources: Vec<RenewalPrice> = subs.iter().map(|sub| renewal_price(sub)).collect();
    let asked: Vec<catalog::PriceAsked> = sources.iter().filter_map(|s| s.list_price_asked().cloned()).collect();
    let mut listed = catalog::prices_in_force(db, &asked).await?.into_iter();
    Ok(sources.iter().map(|s| s.price(s.list_price_asked().and_then(|_| listed.next().flatten()))).collect())
}

/// Loads a subscription for a change (locked, with the caller's right) and
/// brings it up to date to today first (issue 26 item 1), so the change is
/// applied to the term it falls in, after the renewals and endings due
/// before it.
async fn load_for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    access: Access,
    today: chrono::NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Visible<subscription::Model>> {
    let sub = load(txn, actor, id, access, true).await?;
    up_to_date(txn, sub, today, now).await
}

async fn up_to_date(
    txn: &DatabaseTransaction,
    sub: Visible<subscription::Model>,
    today: chrono::NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Visible<subscription::Model>> {
    let caught = bring_up_to_date(txn, sub.get().clone(), today, now).await?;
    sub.updated(caught.sub).ok_or(NOT_FOUND)
}

#[derive(Default)]
pub struct SubscriptionFilter {
    pub status: Option<SubscriptionStatus>,
    pub self_service: Option<bool>,
    pub product_id: Option<Uuid>,
    pub purchaser_id: Option<Uuid>,
    pub billing_profile_id: Option<Uuid>,
}

/// What a subscriptions list is sorted by (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionSort {
    CreatedAt,
    ProductName,
    Status,
    TermEnd,
}

/// The default: newest first.
pub const NEWEST_FIRST: (SubscriptionSort, Direction) = (SubscriptionSort::CreatedAt, Direction::Desc);

/// The keyset of an ordering: the sort column, then the id in the same
/// direction. PRODUCT_NAME sorts by the joined product's name (the join is
/// added by [`list`]).
fn keyset(sort: SubscriptionSort, direction: Direction) -> Keyset {
    use subscription::Column as C;
    let (key, kind) = match sort {
        SubscriptionSort::CreatedAt => (C::CreatedAt.into_expr(), KeyKind::Time),
        SubscriptionSort::ProductName => (product::Column::Name.into_expr(), KeyKind::Text),
        SubscriptionSort::Status => (C::Status.into_expr(), KeyKind::Text),
        SubscriptionSort::TermEnd => (C::CurrentTermEnd.into_expr(), KeyKind::Date),
    };
    Keyset::new(format!("subscriptions:{sort:?}:{direction:?}"))
        .key(key, direction, kind)
        .id(C::Id.into_expr(), direction)
}

/// R22/R26/R27: the subscriptions the caller can view (`access::subscription`),
/// in `order`. Filtering by a billing profile the caller cannot view is
/// NOT_FOUND (R3), as for invoices: never that profile's subscriptions.
pub async fn list(
    state: &Services,
    actor: &Actor,
    filter: SubscriptionFilter,
    order: (SubscriptionSort, Direction),
    window: &Window,
) -> AppResult<Page<Visible<subscription::Model>>> {
    let query = list_query(state, actor, filter, order).await?;
    access::subscription::page(&state.db, actor, query, &keyset(order.0, order.1), window).await
}

/// What a page of subscriptions reads along in its own statement (issue 23).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Along {
    /// The product and its publisher.
    pub product: bool,
    /// The billing profile.
    pub billing_profile: bool,
    /// The license holders (read by [`holders_of`], not joined: the flags
    /// above choose the joins).
    pub holders: bool,
}

/// The rows a page row joined: raw, each shown only under its own rule.
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub product: Option<product::Model>,
    pub publisher: Option<entity::publisher::Model>,
    pub billing_profile: Option<entity::billing_profile::Model>,
}

struct RowWithRelated(subscription::Model, Related);

const PRODUCT: &str = "ld_p";
const PUBLISHER: &str = "ld_pub";
const PROFILE: &str = "ld_bp";

impl sea_orm::FromQueryResult for RowWithRelated {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        // A joined row whose columns are absent (not asked for) or NULL (no match) is None.
        Ok(RowWithRelated(
            subscription::Model::from_query_result(row, pre)?,
            Related {
                product: product::Model::from_query_result(row, &format!("{PRODUCT}_")).ok(),
                publisher: entity::publisher::Model::from_query_result(row, &format!("{PUBLISHER}_")).ok(),
                billing_profile: entity::billing_profile::Model::from_query_result(row, &format!("{PROFILE}_")).ok(),
            },
        ))
    }
}

impl access::subscription::SubscriptionRow for RowWithRelated {
    type Joined = Related;
    fn split(self) -> (subscription::Model, Related) {
        (self.0, self.1)
    }
}

/// Left-joins `E` as `alias` on `on` and selects its columns as `alias_column`.
fn join_along<E: EntityTrait>(
    mut query: sea_orm::Select<subscription::Entity>,
    alias: &'static str,
    on: sea_orm::sea_query::Condition,
) -> sea_orm::Select<subscription::Entity> {
    use sea_orm::{IdenStatic, Iterable, sea_query::Expr};
    QuerySelect::query(&mut query).join_as(JoinType::LeftJoin, E::default(), alias, on);
    for column in E::Column::iter() {
        let expr = column.select_as(Expr::col((alias, column)));
        query = query.expr_as(expr, format!("{alias}_{}", column.as_str()));
    }
    query
}

/// [`list`] with the page's products (and their publishers) and billing
/// profiles read in the same statement (issue 23: one statement for what
/// took four). The subscriptions pass the same rule as in [`list`].
pub async fn list_with_related(
    state: &Services,
    actor: &Actor,
    filter: SubscriptionFilter,
    order: (SubscriptionSort, Direction),
    window: &Window,
    along: Along,
) -> AppResult<Page<(Visible<subscription::Model>, Related)>> {
    use sea_orm::sea_query::{Condition, Expr, ExprTrait};
    let query = list_query(state, actor, filter, order).await?;
    let join = |mut query: sea_orm::Select<subscription::Entity>| {
        if along.product {
            let on = Condition::all().add(
                Expr::col((PRODUCT, product::Column::Id))
                    .equals((subscription::Entity, subscription::Column::ProductId)),
            );
            query = join_along::<product::Entity>(query, PRODUCT, on);
            let on = Condition::all().add(
                Expr::col((PUBLISHER, entity::publisher::Column::Id)).equals((PRODUCT, product::Column::PublisherId)),
            );
            query = join_along::<entity::publisher::Entity>(query, PUBLISHER, on);
        }
        if along.billing_profile {
            let on = Condition::all().add(
                Expr::col((PROFILE, entity::billing_profile::Column::Id))
                    .equals((subscription::Entity, subscription::Column::BillingProfileId)),
            );
            query = join_along::<entity::billing_profile::Entity>(query, PROFILE, on);
        }
        query
    };
    access::subscription::page_with::<RowWithRelated>(&state.db, actor, query, join, &keyset(order.0, order.1), window)
        .await
}

/// The query of [`list`]: the filter, and the join the order needs.
async fn list_query(
    state: &Services,
    actor: &Actor,
    filter: SubscriptionFilter,
    order: (SubscriptionSort, Direction),
) -> AppResult<sea_orm::Select<subscription::Entity>> {
    // Org users; partner users see what their partner bought for approving customers (R39).
    actor.billing_org()?;
    let mut query = subscription::Entity::find();
    if let Some(profile_id) = filter.billing_profile_id {
        billing_profiles::load_visible(&state.db, actor, profile_id).await?;
        query = query.filter(subscription::Column::BillingProfileId.eq(profile_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(subscription::Column::Status.eq(status));
    }
    if let Some(self_service) = filter.self_service {
        query = if self_service {
            query.filter(subscription::Column::Channel.eq(Channel::SelfService))
        } else {
            query.filter(subscription::Column::Channel.ne(Channel::SelfService))
        };
    }
    if let Some(product_id) = filter.product_id {
        query = query.filter(subscription::Column::ProductId.eq(product_id));
    }
    if let Some(purchaser_id) = filter.purchaser_id {
        query = query.filter(subscription::Column::PurchaserId.eq(purchaser_id));
    }
    if order.0 == SubscriptionSort::ProductName {
        let to_product = subscription::Entity::belongs_to(product::Entity)
            .from(subscription::Column::ProductId)
            .to(product::Column::Id)
            .into();
        query = query.join(JoinType::InnerJoin, to_product);
    }
    Ok(query)
}

pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<subscription::Model>> {
    load(&state.db, actor, id, Access::View, false).await
}

async fn product_of(db: &impl ConnectionTrait, sub: &subscription::Model) -> AppResult<product::Model> {
    product::Entity::find_by_id(sub.product_id).one(db).await?.ok_or(AppError::NotFound { entity: EntityKind::Product })
}

/// What the caller may do with a subscription it sees (`viewerCan`, item 8):
/// the access rule of the mutations (`access::subscription::allows`) and the
/// same state checks they make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriptionAbilities {
    pub change_quantity: bool,
    pub assign_licenses: bool,
    pub cancel: bool,
    pub turn_off_auto_renew: bool,
    pub change_billing_profile: bool,
    /// Issue 25: may follow the link to the publisher's portal.
    pub follow_portal_link: bool,
}

pub async fn viewer_can(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: &Visible<subscription::Model>,
) -> AppResult<SubscriptionAbilities> {
    let allowed = access::subscription::allows(
        db,
        actor,
        sub,
        &[Access::ManageBilling, Access::AssignLicenses, Access::FollowPortalLink],
    )
    .await?;
    let (manage, assign, portal) = (allowed[0], allowed[1], allowed[2]);
    let live = ensure_not_disabled(sub).is_ok();
    let mut cancel = manage && live;
    if !manage && live && actor.org().is_ok_and(|o| o.is_billing_manager()) && is_self_service(sub) {
        // R43: a deleted purchaser's self-service subscription is the billing managers' to cancel.
        if let Some(purchaser) = entity::user::Entity::find_by_id(sub.purchaser_id).one(db).await? {
            cancel = access::subscription::check_handed_over(actor, sub.get().clone(), &purchaser).is_ok();
        }
    }
    Ok(SubscriptionAbilities {
        change_quantity: manage && live && sub.quantity.is_some(),
        assign_licenses: assign && sub.status == SubscriptionStatus::Active,
        cancel,
        turn_off_auto_renew: manage && live && sub.auto_renew,
        change_billing_profile: manage && live,
        follow_portal_link: portal && live,
    })
}

/// Issue 25 item 4: the product's publisher marks the set-up in its portal
/// done, for an ACTIVE subscription; the organization's admins see when
/// (`setupCompletedAt`) and an event tells them. Marking it again changes nothing.
pub async fn mark_setup_complete(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<ForPublisher>> {
    let publisher = actor.publisher()?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = subscription::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(NOT_FOUND)?;
    let product = product_of(&txn, &sub).await?;
    // R3: another publisher's subscription is NOT_FOUND, like a random ID.
    let visible = access::subscription::check_for_publisher(actor, sub.clone(), &product)?;
    match sub.status {
        SubscriptionStatus::Active => {}
        SubscriptionStatus::Disabled => return Err(AppError::SubscriptionDisabled),
        SubscriptionStatus::PendingActivation => return Err(AppError::InvalidState { reason: sub.status.into() }),
    }
    if sub.setup_completed_at.is_some() {
        return Ok(visible);
    }
    let scope = AuditScope {
        organization_id: Some(sub.organization_id),
        publisher_id: Some(publisher.publisher_id),
        actor_user_id: Some(publisher.user_id),
    };
    let sub = update_audited(&txn, scope, AuditAction::SubscriptionSetupComplete, sub, now, setup_snapshot, |m| {
        m.setup_completed_at = Set(Some(now));
    })
    .await?;
    txn.commit().await?;
    access::subscription::check_for_publisher(actor, sub, &product)
}

fn setup_snapshot(sub: &subscription::Model) -> serde_json::Value {
    json!({"status": sub.status.as_str(), "setupCompletedAt": sub.setup_completed_at})
}

/// R14: only the product's publisher activates, only from PENDING_ACTIVATION.
pub async fn activate(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<ForPublisher>> {
    actor.publisher()?;
    let txn = db::begin_write(&state.db).await?;
    let sub = activate_in(&txn, actor, id, state.clock.now()).await?;
    txn.commit().await?;
    Ok(sub)
}

/// R14 inside the caller's transaction (also used by activation links, R42).
pub async fn activate_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Visible<ForPublisher>> {
    let publisher = actor.publisher()?;
    let sub = subscription::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or(NOT_FOUND)?;
    let product = product_of(txn, &sub).await?;
    // R3: another publisher's subscription is NOT_FOUND, like a random ID.
    access::subscription::check_for_publisher(actor, sub.clone(), &product)?;
    match sub.status {
        SubscriptionStatus::PendingActivation => {}
        SubscriptionStatus::Disabled => return Err(AppError::SubscriptionDisabled),
        SubscriptionStatus::Active => return Err(AppError::InvalidState { reason: sub.status.into() }),
    }
    let scope = AuditScope {
        organization_id: Some(sub.organization_id),
        publisher_id: Some(publisher.publisher_id),
        actor_user_id: Some(publisher.user_id),
    };
    let sub = update_audited(txn, scope, AuditAction::SubscriptionActivate, sub, now, publisher_snapshot, |m| {
        m.status = Set(SubscriptionStatus::Active);
        m.activated_at = Set(Some(now));
    })
    .await?;
    access::subscription::check_for_publisher(actor, sub, &product)
}

/// R17: auto-renew can be turned on or off while the subscription is not disabled.
pub async fn set_auto_renew(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    auto_renew: bool,
) -> AppResult<Visible<subscription::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = load_for_change(&txn, actor, id, Access::ManageBilling, state.clock.today(), now).await?;
    ensure_not_disabled(&sub)?;
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub = update_visible(&txn, scope, AuditAction::SubscriptionSetAutoRenew, sub, now, |m| {
        m.auto_renew = Set(auto_renew)
    })
    .await?;
    txn.commit().await?;
    Ok(sub)
}

pub const MAX_FEEDBACK: usize = 1000;

/// R35: cancel at once → DISABLED/CANCELED, crediting the unused rest of the term (R30).
pub async fn cancel(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    reason: CancelReason,
    feedback: Option<&str>,
) -> AppResult<Visible<subscription::Model>> {
    let feedback = match feedback.map(str::trim).filter(|f| !f.is_empty()) {
        Some(text) if text.chars().count() > MAX_FEEDBACK => {
            return Err(AppError::validation("feedback", Invalid::TooLong { max: MAX_FEEDBACK }));
        }
        other => other.map(str::to_owned),
    };
    let now = state.clock.now();
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let sub = match load(&txn, actor, id, Access::ManageBilling, true).await {
        // R43: a deleted purchaser's self-service subscription is the billing managers' to cancel.
        Err(AppError::Forbidden) if actor.org().is_ok() => {
            crate::service::people::handed_over_for_cancel(&txn, actor, id).await?
        }
        other => other?,
    };
    let sub = up_to_date(&txn, sub, today, now).await?;
    ensure_not_disabled(&sub)?;
    let product = product_of(&txn, &sub).await?;
    let credit =
        charges::pro_rata(&sub, ChargeKind::CancellationCredit, today, -charges::billed_quantity(&sub), &product.name)?;
    if credit.amount_minor != 0 {
        charges::insert(&txn, credit, now).await?;
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub = update_visible(&txn, scope, AuditAction::SubscriptionCancel, sub, now, |m| {
        disable(m, Ending::Canceled { reason, feedback }, now);
    })
    .await?;
    txn.commit().await?;
    Ok(sub)
}

pub const MAX_QUANTITY: i64 = crate::domain::money::MAX_QUANTITY;

/// R18: the new total, per-license only, at least 1 and at least the assigned
/// count; the difference is charged or credited pro rata (R30).
pub async fn change_quantity(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    quantity: i64,
) -> AppResult<Visible<subscription::Model>> {
    let now = state.clock.now();
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let sub = load_for_change(&txn, actor, id, Access::ManageBilling, today, now).await?;
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let changed = apply_quantity(&txn, scope, sub.get().clone(), quantity, today, now).await?;
    let sub = sub.updated(changed).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok(sub)
}

/// R18, R30: the quantity change itself, in the caller's transaction, on a
/// subscription the caller locked and brought up to date: the same checks,
/// pro-rata charge or credit, audit (`subscription.change_quantity`, so the
/// SUBSCRIPTION_QUANTITY_CHANGED event) and group seats for every caller —
/// a person (`change_quantity`) or the billing run lowering a renewal's
/// quantity under a reclaim policy (R51, `scope` without an actor).
pub(crate) async fn apply_quantity(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    sub: subscription::Model,
    quantity: i64,
    today: chrono::NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<subscription::Model> {
    ensure_not_disabled(&sub)?;
    let Some(current) = sub.quantity else { return Err(AppError::NotSeatBased) };
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::validation("quantity", Invalid::OutOfRange { min: 1, max: MAX_QUANTITY }));
    }
    if quantity < sub.assigned_count {
        return Err(AppError::QuantityBelowAssigned {
            assigned: sub.assigned_count,
            to_unassign: sub.assigned_count - quantity,
        });
    }
    if quantity == current {
        // Nothing to change; what bringing it up to date did stays.
        return Ok(sub);
    }
    let product = product_of(txn, &sub).await?;
    let delta = quantity - current;
    let kind = if delta > 0 { ChargeKind::QuantityIncrease } else { ChargeKind::QuantityDecrease };
    let line = charges::pro_rata(&sub, kind, today, delta, &product.name)?;
    if line.amount_minor != 0 {
        charges::insert(txn, line, now).await?;
    }
    let sub = update_audited(txn, scope, AuditAction::SubscriptionChangeQuantity, sub, now, snapshot, |m| {
        m.quantity = Set(Some(quantity))
    })
    .await?;
    // R49: added seats go to group members waiting for one.
    super::groups::licensing::fill_seats(txn, scope, sub, now).await
}

/// R28: future charges go to the new profile; the caller needs the right on both (R2).
pub async fn change_billing_profile(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    profile_id: Uuid,
) -> AppResult<Visible<subscription::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = load_for_change(&txn, actor, id, Access::ManageBilling, state.clock.today(), now).await?;
    ensure_not_disabled(&sub)?;
    let (target, rights) = billing_profiles::load_visible(&txn, actor, profile_id).await?;
    if !rights.manage_products {
        return Err(AppError::Forbidden);
    }
    // A self-service subscription stays on its purchaser's own profile and an
    // org subscription on an org profile (R25, R28).
    if is_self_service(&sub) != target.owner_user_id.is_some() {
        return Err(AppError::validation("billingProfileId", Invalid::NotAllowed));
    }
    if target.currency != sub.currency {
        return Err(AppError::CurrencyFixedForTerm { currency: sub.currency.clone(), target: target.currency.clone() });
    }
    if target.id == sub.billing_profile_id {
        txn.commit().await?;
        return Ok(sub);
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let moved = update_audited(
        &txn,
        scope,
        AuditAction::SubscriptionChangeBillingProfile,
        sub.into_inner(),
        now,
        snapshot,
        |m| m.billing_profile_id = Set(target.id),
    )
    .await?;
    // The billing profile is an input of the rule: check the moved subscription again.
    let sub = access::subscription::check(&txn, actor, moved, Access::View).await?;
    txn.commit().await?;
    Ok(sub)
}

/// Publishers see their customers' subscriptions without billing data.
pub async fn for_publisher(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<Visible<ForPublisher>>> {
    actor.publisher()?;
    let keyset = keyset(NEWEST_FIRST.0, NEWEST_FIRST.1);
    access::subscription::publisher_page(&state.db, actor, subscription::Entity::find(), &keyset, window).await
}

/// The people holding a license of each of `subscription_ids` now, oldest
/// assignment first (per subscription), with the subscription held — the
/// `assignedUsers` of a page of subscriptions in one statement (issue 23).
/// Read as an index nested loop: the active assignments from their index on
/// (subscription_id, active, assigned_at, id, user_id), then each holder by
/// the users' primary key. On PostgreSQL the holder is a LATERAL subquery
/// with LIMIT 1, which the planner keeps as a per-row primary-key probe
/// instead of hashing a scan of every user (what it picks for a plain join
/// once a page holds a few hundred holders); SQLite joins by lookups anyway.
/// The password hash is not read (nothing shown needs it).
pub async fn holders_of(
    db: &impl ConnectionTrait,
    subscription_ids: &[Uuid],
) -> AppResult<Vec<(Uuid, entity::user::Model)>> {
    if subscription_ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let postgres = backend == sea_orm::DbBackend::Postgres;
    let placeholders: Vec<String> =
        (1..=subscription_ids.len()).map(|i| if postgres { format!("${i}") } else { "?".to_owned() }).collect();
    const COLUMNS: &str = "id, organization_id, publisher_id, email, name, active, deleted_at, is_operator, \
                           is_partner, created_at";
    let holder = if postgres {
        format!("CROSS JOIN LATERAL (SELECT {COLUMNS} FROM users WHERE users.id = la.user_id LIMIT 1) AS u")
    } else {
        "JOIN users AS u ON u.id = la.user_id".to_owned()
    };
    let sql = format!(
        "SELECT u.id, u.organization_id, u.publisher_id, u.email, u.name, u.active, u.deleted_at, u.is_operator, \
         u.is_partner, u.created_at, la.subscription_id FROM license_assignments AS la {holder} \
         WHERE la.subscription_id IN ({}) AND la.active = {} ORDER BY la.assigned_at, la.id",
        placeholders.join(", "),
        if postgres { "TRUE" } else { "1" },
    );
    let values: Vec<sea_orm::Value> = subscription_ids.iter().map(|id| (*id).into()).collect();
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter()
        .map(|row| -> AppResult<(Uuid, entity::user::Model)> {
            let user = entity::user::Model {
                id: row.try_get_by_index(0)?,
                organization_id: row.try_get_by_index(1)?,
                publisher_id: row.try_get_by_index(2)?,
                email: row.try_get_by_index(3)?,
                name: row.try_get_by_index(4)?,
                password_hash: String::new(),
                active: row.try_get_by_index(5)?,
                deleted_at: row.try_get_by_index(6)?,
                is_operator: row.try_get_by_index(7)?,
                is_partner: row.try_get_by_index(8)?,
                created_at: row.try_get_by_index(9)?,
                external_id: None,
            };
            Ok((row.try_get_by_index(10)?, user))
        })
        .collect()
}
