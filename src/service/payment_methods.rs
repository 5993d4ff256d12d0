//! Payment methods (R29). The card number and security code are parsed,
//! checked and dropped here: only brand, last four digits, expiration, name on
//! card, billing address and a keyed fingerprint reach the database, and audit
//! snapshots carry only the public view.

use chrono::{Datelike, NaiveDate};
use entity::{billing_profile, enums::PaymentMethodKind, payment_method};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "payment method" };

use crate::{
    access::{self, Visible},
    app::AppState,
    auth::Actor,
    db,
    domain::card::{self, CardError, CardNumber},
    error::{AppError, AppResult, Invalid},
    service::{
        audit::{self, AuditEntry, AuditScope},
        billing_profiles::{self, Address, AddressInput, require},
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

fn parse_card(state: &AppState, input: &CardInput) -> AppResult<StoredCard> {
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
    state: &AppState,
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
    state: &AppState,
    actor: &Actor,
    profile_id: Uuid,
    input: NewPaymentMethod,
) -> AppResult<Visible<payment_method::Model>> {
    attach(state, actor, profile_id, input, Attach::Replace).await
}

async fn attach(
    state: &AppState,
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
    payment_method::Entity::update_many()
        .col_expr(payment_method::Column::IsCurrent, false.into())
        .col_expr(payment_method::Column::UpdatedAt, now.into())
        .filter(payment_method::Column::BillingProfileId.eq(profile.id))
        .filter(payment_method::Column::IsCurrent.eq(true))
        .exec(&txn)
        .await?;
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
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    set_current(&txn, &profile, method.id, now).await?;
    let action = match mode {
        Attach::Add => "payment_method.add",
        Attach::Replace => "payment_method.replace",
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
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    changes: PaymentMethodChanges,
) -> AppResult<Visible<payment_method::Model>> {
    let not_found = AppError::NotFound { entity: "payment method" };
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
    if !method.is_current || profile.current_payment_method_id != Some(method.id) {
        return Err(AppError::InvalidState { state: "REPLACED".to_owned() });
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
        AuditEntry::new("payment_method.update", "payment_method", updated.id)
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
