//! Payment methods (R29). The card number and security code are parsed,
//! checked and dropped here: only brand, last four digits, expiration, name on
//! card, billing address and a keyed fingerprint reach the database, and audit
//! snapshots carry only the public view.

use chrono::{Datelike, NaiveDate};
use entity::{billing_profile, enums::PaymentMethodKind, payment_method};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::PaymentMethod };

use crate::{
    access::{self, Visible},
    auth::Actor,
    db,
    domain::card::{self, CardError, CardNumber},
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::{Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        billing_profiles::{self, Address, AddressInput, ProfileView, require},
        validate,
    },
};

/// Card details as the client sent them. Not `Debug`, so they cannot end up in a log line.
pub struct CardInput {
    pub number: String,
    pub security_code: String,
    pub expiration_month: i32,
    pub expiration_year: i32,
    pub name_on_card: String,
    pub billing_address: AddressInput,
}

pub struct NewPaymentMethod {
    pub kind: PaymentMethodKind,
    pub card: Option<CardInput>,
}

/// What may be stored of a card (R29).
struct StoredCard {
    brand: card::CardBrand,
    last4: String,
    fingerprint: String,
    exp_month: i32,
    exp_year: i32,
    name_on_card: String,
    address: Address,
}

/// R29: expiry month 1–12, a plausible year, not before the current month.
/// `blame_year` says which field to blame when the date as a whole is past.
fn check_expiry(prefix: &str, month: i32, year: i32, today: NaiveDate, blame_year: bool) -> AppResult<()> {
    let field = |name: &str| format!("{prefix}{name}");
    if !(1..=12).contains(&month) {
        return Err(AppError::validation(field("expirationMonth"), Invalid::OutOfRange { min: 1, max: 12 }));
    }
    let this_year = today.year();
    let max_year = this_year.saturating_add(20);
    if year > max_year {
        return Err(AppError::validation(
            field("expirationYear"),
            Invalid::OutOfRange { min: i64::from(this_year), max: i64::from(max_year) },
        ));
    }
    match card::validate_expiry(month.unsigned_abs(), year, today) {
        Ok(()) => Ok(()),
        Err(CardError::Expired) => {
            let name = if year < this_year || blame_year { "expirationYear" } else { "expirationMonth" };
            Err(AppError::validation(field(name), Invalid::CardExpired))
        }
        Err(_) => Err(AppError::validation(field("expirationMonth"), Invalid::BadFormat)),
    }
}

fn security_code(field: &str, code: &str) -> AppResult<()> {
    card::validate_security_code(code.trim()).map_err(|_| AppError::validation(field, Invalid::BadFormat))
}

fn parse_card(state: &Services, input: &CardInput) -> AppResult<StoredCard> {
    let number =
        CardNumber::parse(&input.number).map_err(|_| AppError::validation("card.number", Invalid::CardNumber))?;
    security_code("card.securityCode", &input.security_code)?;
    check_expiry("card.", input.expiration_month, input.expiration_year, state.clock.today(), false)?;
    let name_on_card = validate::required_text("card.nameOnCard", &input.name_on_card, 200)?;
    let address = Address::parse("card.billingAddress", &input.billing_address)?;
    Ok(StoredCard {
        brand: number.brand(),
        last4: number.last4(),
        fingerprint: number.fingerprint(&state.card_key),
        exp_month: input.expiration_month,
        exp_year: input.expiration_year,
        name_on_card,
        address,
    })
}

/// The public view of a payment method for audit snapshots: no fingerprint,
/// never a number or security code (R29, R36).
pub fn snapshot(m: &payment_method::Model) -> Value {
    json!({
        "kind": m.kind.as_str(),
        "brand": m.card_brand,
        "last4": m.card_last4,
        "expirationMonth": m.card_exp_month,
        "expirationYear": m.card_exp_year,
        "nameOnCard": m.name_on_card,
        "billingAddress": m.address_line1.as_ref().map(|line1| json!({
            "line1": line1,
            "line2": m.address_line2,
            "city": m.city,
            "region": m.region,
            "postalCode": m.postal_code,
            "country": m.country,
        })),
        "isCurrent": m.is_current,
    })
}

fn scope(profile: &billing_profile::Model, actor: &Actor) -> AuditScope {
    AuditScope::org(profile.organization_id, Some(actor))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Attach {
    Add,
    Replace,
}

/// R29: adds a payment method; it becomes the profile's current one.
pub async fn add(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    input: NewPaymentMethod,
) -> AppResult<Visible<payment_method::Model>> {
    attach(state, actor, profile_id, input, Attach::Add).await
}

/// R29: replaces the profile's payment method (e.g. to change the card
/// number). The new one is used for all the profile's subscriptions, since
/// they are billed to the profile; the old one stays, no longer current, for
/// the invoices that name it.
pub async fn replace(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    input: NewPaymentMethod,
) -> AppResult<Visible<payment_method::Model>> {
    attach(state, actor, profile_id, input, Attach::Replace).await
}

async fn attach(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    input: NewPaymentMethod,
    mode: Attach,
) -> AppResult<Visible<payment_method::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = billing_profiles::load_for_change(&txn, actor, profile_id).await?;
    require(rights.manage_payment)?;
    // R25: a self-service purchaser pays with their own credit card.
    if profile.owner_user_id.is_some() && input.kind != PaymentMethodKind::CreditCard {
        return Err(AppError::validation("kind", Invalid::NotAllowed));
    }
    let stored = match (input.kind, &input.card) {
        (PaymentMethodKind::CreditCard, Some(card)) => Some(parse_card(state, card)?),
        (PaymentMethodKind::CreditCard, None) => return Err(AppError::validation("card", Invalid::Required)),
        (PaymentMethodKind::CheckOrWire, Some(_)) => return Err(AppError::validation("card", Invalid::NotAllowed)),
        (PaymentMethodKind::CheckOrWire, None) => None,
    };
    let previous = match profile.current_payment_method_id {
        Some(id) => payment_method::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    retire_unless_used(&txn, profile.id, previous.as_ref().map(|m| m.id), now).await?;
    let address = stored.as_ref().map(|s| &s.address);
    let method = payment_method::ActiveModel {
        id: Set(Uuid::now_v7()),
        billing_profile_id: Set(profile.id),
        kind: Set(input.kind),
        card_brand: Set(stored.as_ref().map(|s| s.brand.code().to_owned())),
        card_last4: Set(stored.as_ref().map(|s| s.last4.clone())),
        card_exp_month: Set(stored.as_ref().map(|s| s.exp_month)),
        card_exp_year: Set(stored.as_ref().map(|s| s.exp_year)),
        name_on_card: Set(stored.as_ref().map(|s| s.name_on_card.clone())),
        card_fingerprint: Set(stored.as_ref().map(|s| s.fingerprint.clone())),
        address_line1: Set(address.map(|a| a.line1.clone())),
        address_line2: Set(address.and_then(|a| a.line2.clone())),
        city: Set(address.map(|a| a.city.clone())),
        region: Set(address.and_then(|a| a.region.clone())),
        postal_code: Set(address.map(|a| a.postal_code.clone())),
        country: Set(address.map(|a| a.country.clone())),
        is_current: Set(true),
        removed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    set_current(&txn, &profile, method.id, now).await?;
    let action = match mode {
        Attach::Add => AuditAction::PaymentMethodAdd,
        Attach::Replace => AuditAction::PaymentMethodReplace,
    };
    let mut entry = AuditEntry::new(action, "payment_method", method.id)
        .after(json!({"billingProfile": profile.id, "method": snapshot(&method)}));
    if let Some(previous) = &previous {
        entry = entry.before(json!({"billingProfile": profile.id, "method": snapshot(previous), "id": previous.id}));
    }
    audit::record(&txn, scope(&profile, actor), now, entry).await?;
    txn.commit().await?;
    access::payment_method::of_profile(&profile, method).ok_or(NOT_FOUND)
}

async fn set_current(
    txn: &DatabaseTransaction,
    profile: &billing_profile::Model,
    method_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut model: billing_profile::ActiveModel = profile.clone().into();
    model.current_payment_method_id = Set(Some(method_id));
    model.updated_at = Set(now);
    model.update(txn).await?;
    Ok(())
}

/// Changes to a card; `None` keeps the current value. There is no number:
/// to change it, replace the method (R29).
#[derive(Default)]
pub struct PaymentMethodChanges {
    pub security_code: Option<String>,
    pub expiration_month: Option<i32>,
    pub expiration_year: Option<i32>,
    pub name_on_card: Option<String>,
    pub billing_address: Option<AddressInput>,
}

/// R29: edits the security code (checked, never stored), expiration, name on
/// card and billing address of the profile's current card.
pub async fn update(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    changes: PaymentMethodChanges,
) -> AppResult<Visible<payment_method::Model>> {
    let not_found = AppError::NotFound { entity: EntityKind::PaymentMethod };
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let method = payment_method::Entity::find_by_id(id).one(&txn).await?.ok_or(not_found.clone())?;
    let (profile, rights) = match billing_profiles::load_for_change(&txn, actor, method.billing_profile_id).await {
        Ok(found) => found,
        Err(AppError::NotFound { .. }) => return Err(not_found),
        Err(e) => return Err(e),
    };
    require(rights.manage_payment)?;
    // Re-read under the profile lock: a concurrent replace may have retired it.
    let method = payment_method::Entity::find_by_id(id).one(&txn).await?.ok_or(not_found)?;
    // R41: a method may serve several profiles; it is current while one uses it.
    if !method.is_current || method.removed_at.is_some() {
        return Err(AppError::InvalidState { reason: crate::error::StateReason::PaymentMethodReplaced });
    }
    if method.kind != PaymentMethodKind::CreditCard {
        let given = [
            ("securityCode", changes.security_code.is_some()),
            ("expirationMonth", changes.expiration_month.is_some()),
            ("expirationYear", changes.expiration_year.is_some()),
            ("nameOnCard", changes.name_on_card.is_some()),
            ("billingAddress", changes.billing_address.is_some()),
        ];
        if let Some((field, _)) = given.into_iter().find(|(_, given)| *given) {
            return Err(AppError::validation(field, Invalid::NotAllowed));
        }
        txn.commit().await?;
        return access::payment_method::of_profile(&profile, method).ok_or(NOT_FOUND);
    }
    if let Some(code) = &changes.security_code {
        security_code("securityCode", code)?;
    }
    let mut model: payment_method::ActiveModel = method.clone().into();
    if changes.expiration_month.is_some() || changes.expiration_year.is_some() {
        let month = changes.expiration_month.or(method.card_exp_month).unwrap_or(0);
        let year = changes.expiration_year.or(method.card_exp_year).unwrap_or(0);
        let blame_year = changes.expiration_year.is_some() && changes.expiration_month.is_none();
        check_expiry("", month, year, state.clock.today(), blame_year)?;
        model.card_exp_month = Set(Some(month));
        model.card_exp_year = Set(Some(year));
    }
    if let Some(name) = &changes.name_on_card {
        model.name_on_card = Set(Some(validate::required_text("nameOnCard", name, 200)?));
    }
    if let Some(address) = &changes.billing_address {
        let address = Address::parse("billingAddress", address)?;
        model.address_line1 = Set(Some(address.line1));
        model.address_line2 = Set(address.line2);
        model.city = Set(Some(address.city));
        model.region = Set(address.region);
        model.postal_code = Set(Some(address.postal_code));
        model.country = Set(Some(address.country));
    }
    if !model.is_changed() && changes.security_code.is_none() {
        txn.commit().await?;
        return access::payment_method::of_profile(&profile, method).ok_or(NOT_FOUND);
    }
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    audit::record(
        &txn,
        scope(&profile, actor),
        now,
        AuditEntry::new(AuditAction::PaymentMethodUpdate, "payment_method", updated.id)
            .before(json!({"billingProfile": profile.id, "method": snapshot(&method)}))
            .after(json!({
                "billingProfile": profile.id,
                "method": snapshot(&updated),
                "securityCodeChanged": changes.security_code.is_some(),
            })),
    )
    .await?;
    txn.commit().await?;
    access::payment_method::of_profile(&profile, updated).ok_or(NOT_FOUND)
}

/// How many profiles other than `except` use the method now (R41).
async fn users_of(db: &impl ConnectionTrait, method_id: Uuid, except: Option<Uuid>) -> AppResult<u64> {
    let mut query =
        billing_profile::Entity::find().filter(billing_profile::Column::CurrentPaymentMethodId.eq(method_id));
    if let Some(except) = except {
        query = query.filter(billing_profile::Column::Id.ne(except));
    }
    Ok(query.count(db).await?)
}

/// The profile `profile_id` stops using `previous`: it is no longer current
/// unless another profile still uses it (R29, R41).
async fn retire_unless_used(
    txn: &DatabaseTransaction,
    profile_id: Uuid,
    previous: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let Some(previous) = previous else { return Ok(()) };
    if users_of(txn, previous, Some(profile_id)).await? > 0 {
        return Ok(());
    }
    payment_method::Entity::update_many()
        .col_expr(payment_method::Column::IsCurrent, false.into())
        .col_expr(payment_method::Column::UpdatedAt, now.into())
        .filter(payment_method::Column::Id.eq(previous))
        .exec(txn)
        .await?;
    Ok(())
}

/// R41: the payment methods page — the methods of the caller's organization
/// they may see (GLOBAL_ADMIN, BILLING_ADMIN: all of the organization's;
/// others: those of the profiles they hold a role on; a self-service buyer:
/// their own cards), removed ones left out, oldest first.
pub async fn list(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<Visible<payment_method::Model>>> {
    use crate::paging::{Direction::Asc, KeyKind, Keyset};
    // Publishers and operators never see a customer's billing data (SPEC §1).
    actor.org()?;
    let query = payment_method::Entity::find().filter(payment_method::Column::RemovedAt.is_null());
    let oldest_first = Keyset::new("payment_methods:oldest")
        .key(payment_method::Column::CreatedAt.into_expr(), Asc, KeyKind::Time)
        .id(payment_method::Column::Id.into_expr(), Asc);
    access::payment_method::page(&state.db, actor, query, &oldest_first, window).await
}

/// R41, issue 20: one page of the profiles using `method` that the caller
/// may view: at most `first` (1–100) profiles, oldest first, after the profile whose id is `after` (the last one of the
/// previous page); an `after` that is no visible profile of this method is
/// VALIDATION_FAILED on `after`.
pub async fn used_by_page(
    state: &Services,
    actor: &Actor,
    method: &Visible<payment_method::Model>,
    first: i32,
    after: Option<Uuid>,
) -> AppResult<Vec<ProfileView>> {
    use billing_profile::Column as C;
    use sea_orm::{QueryOrder, QuerySelect};
    let first = crate::paging::page_size(first)?;
    let mut query = billing_profile::Entity::find()
        .filter(C::CurrentPaymentMethodId.eq(method.id))
        .order_by_asc(C::CreatedAt)
        .order_by_asc(C::Id)
        .limit(first);
    if let Some(after) = after {
        let previous = billing_profile::Entity::find_by_id(after)
            .filter(access::billing_profile::visible(actor))
            .filter(C::CurrentPaymentMethodId.eq(method.id))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::validation("after", Invalid::BadFormat))?;
        query = query.filter(crate::paging::after_row(C::CreatedAt, C::Id, previous.created_at, previous.id));
    }
    let views = access::billing_profile::all(&state.db, actor, query).await?;
    Ok(views.into_iter().map(|(profile, rights)| ProfileView { profile, rights }).collect())
}

/// R41: the profile pays with a method already on the payment-methods page.
/// Needs R2 manage-payment on the profile; the method must belong to the same
/// organization (org profiles) or the same buyer (self-service profiles) and
/// not be removed — otherwise NOT_FOUND, as for an unknown ID (R3).
pub async fn use_existing(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    method_id: Uuid,
) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = billing_profiles::load_for_change(&txn, actor, profile_id).await?;
    require(rights.manage_payment)?;
    let method = access::payment_method::load_for_change(&txn, actor, method_id).await?.ok_or(NOT_FOUND)?;
    if method.removed_at.is_some() {
        return Err(NOT_FOUND);
    }
    let home = billing_profile::Entity::find_by_id(method.billing_profile_id).one(&txn).await?.ok_or(NOT_FOUND)?;
    if home.organization_id != profile.organization_id || home.owner_user_id != profile.owner_user_id {
        return Err(NOT_FOUND);
    }
    if profile.current_payment_method_id == Some(method.id) {
        txn.commit().await?;
        return Ok(ProfileView { profile, rights });
    }
    let previous = profile.current_payment_method_id;
    let mut model: billing_profile::ActiveModel = profile.get().clone().into();
    model.current_payment_method_id = Set(Some(method.id));
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    retire_unless_used(&txn, profile.id, previous, now).await?;
    if !method.is_current {
        let mut m: payment_method::ActiveModel = method.get().clone().into();
        m.is_current = Set(true);
        m.updated_at = Set(now);
        m.update(&txn).await?;
    }
    let entry = AuditEntry::new(AuditAction::PaymentMethodUse, "payment_method", method.id)
        .before(json!({"billingProfile": profile.id, "previousMethod": previous}))
        .after(json!({"billingProfile": profile.id, "method": snapshot(&method)}));
    audit::record(&txn, scope(&profile, actor), now, entry).await?;
    txn.commit().await?;
    let profile = profile.updated(updated).ok_or(billing_profiles_not_found())?;
    Ok(ProfileView { profile, rights })
}

fn billing_profiles_not_found() -> AppError {
    access::billing_profile::NOT_FOUND
}

/// R41: removes a method from the payment-methods page. Needs R2
/// manage-payment on the profile it was added to; refused with INVALID_STATE
/// (state IN_USE) while any profile uses it. The row stays, marked removed,
/// for the invoices that name it.
pub async fn remove(state: &Services, actor: &Actor, method_id: Uuid) -> AppResult<Visible<payment_method::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let method = access::payment_method::load_for_change(&txn, actor, method_id).await?.ok_or(NOT_FOUND)?;
    if method.removed_at.is_some() {
        return Err(NOT_FOUND);
    }
    let (home, rights) = match billing_profiles::load_for_change(&txn, actor, method.billing_profile_id).await {
        Ok(found) => found,
        // Visible through a profile using it, but not the one it was added to.
        Err(AppError::NotFound { .. }) => return Err(AppError::Forbidden),
        Err(e) => return Err(e),
    };
    require(rights.manage_payment)?;
    if users_of(&txn, method.id, None).await? > 0 {
        return Err(AppError::InvalidState { reason: crate::error::StateReason::PaymentMethodInUse });
    }
    let mut model: payment_method::ActiveModel = method.get().clone().into();
    model.is_current = Set(false);
    model.removed_at = Set(Some(now));
    model.updated_at = Set(now);
    let removed = model.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::PaymentMethodRemove, "payment_method", method.id)
        .before(json!({"billingProfile": home.id, "method": snapshot(&method)}));
    audit::record(&txn, scope(&home, actor), now, entry).await?;
    txn.commit().await?;
    method.updated(removed).ok_or(NOT_FOUND)
}
