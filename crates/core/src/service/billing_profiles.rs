//! Billing profiles and their roles (R2, R28).

use entity::{billing_profile, billing_role_assignment, enums::BillingRole, subscription, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::Actor,
    db,
    domain::markets,
    error::{AppError, AppResult, Invalid},
    paging::{Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

pub use crate::access::billing_profile::{ProfileRights, load as load_visible, load_for_change, rights};

/// FORBIDDEN unless `allowed`: the caller can see the profile but lacks the right (R2).
pub fn require(allowed: bool) -> AppResult<()> {
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// A profile as the caller sees it.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub profile: Visible<billing_profile::Model>,
    pub rights: ProfileRights,
}

/// A postal address as the client sent it.
#[derive(Debug, Clone)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// A validated postal address; `country` is ISO 3166-1 alpha-2, upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

impl Address {
    /// Validates every part, naming the field as `{prefix}.line1` etc.
    pub fn parse(prefix: &str, input: &AddressInput) -> AppResult<Address> {
        let field = |name: &str| format!("{prefix}.{name}");
        Ok(Address {
            line1: validate::required_text(&field("line1"), &input.line1, 200)?,
            line2: validate::optional_text(&field("line2"), input.line2.as_deref(), 200)?,
            city: validate::required_text(&field("city"), &input.city, 100)?,
            region: validate::optional_text(&field("region"), input.region.as_deref(), 100)?,
            postal_code: validate::required_text(&field("postalCode"), &input.postal_code, 20)?,
            country: validate::country(&field("country"), &input.country)?,
        })
    }
}

pub const BILL_TO: &str = "billToAddress";

/// R28: the currency follows the bill-to country; a country outside the
/// market table has none, so a profile cannot be billed there.
fn currency_for(country: &str) -> AppResult<&'static str> {
    markets::currency_for_country(country)
        .ok_or_else(|| AppError::validation(format!("{BILL_TO}.country"), Invalid::NotAllowed))
}

/// The public view of a profile for audit snapshots (R36).
fn snapshot(p: &billing_profile::Model) -> Value {
    json!({
        "name": p.name,
        "contactName": p.contact_name,
        "contactEmail": p.contact_email,
        "billToAddress": {
            "line1": p.address_line1,
            "line2": p.address_line2,
            "city": p.city,
            "region": p.region,
            "postalCode": p.postal_code,
            "country": p.country,
        },
        "currency": p.currency,
        "poNumber": p.po_number,
        "language": p.language,
        "selfService": p.owner_user_id.is_some(),
        "owner": p.owner_user_id,
    })
}

fn scope(profile: &billing_profile::Model, actor: &Actor) -> AuditScope {
    AuditScope::org(profile.organization_id, Some(actor))
}

/// R1, R2, R25, R27: the profiles the caller can view — all of the
/// organization's for GLOBAL_ADMIN/BILLING_ADMIN (self-service ones read-only),
/// otherwise those the caller holds a role on plus their own self-service ones.
pub async fn list(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<ProfileView>> {
    use crate::paging::{Direction::Asc, KeyKind, Keyset};
    // Publishers never see a customer's billing data (SPEC §1).
    actor.billing_org()?;
    let query = billing_profile::Entity::find();
    let oldest_first = Keyset::new("billing_profiles:oldest")
        .key(billing_profile::Column::CreatedAt.into_expr(), Asc, KeyKind::Time)
        .id(billing_profile::Column::Id.into_expr(), Asc);
    let page = access::billing_profile::page(&state.db, actor, query, &oldest_first, window).await?;
    Ok(page.map(|(profile, rights)| ProfileView { profile, rights }))
}

/// One profile the caller can view (R3: another organization's is NOT_FOUND).
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<ProfileView> {
    let (profile, rights) = load_visible(&state.db, actor, id).await?;
    Ok(ProfileView { profile, rights })
}

pub struct NewBillingProfile {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub bill_to: AddressInput,
    pub po_number: Option<String>,
    pub self_service: bool,
    pub language: Option<String>,
}

/// Issue 13: the invoice languages a profile may choose, whatever its
/// country (zh-TW too, though no market lists Taiwan). Case does not matter;
/// the stored tag is the canonical one.
pub fn language(value: &str) -> AppResult<String> {
    crate::i18n::Lang::ALL
        .into_iter()
        .map(crate::i18n::Lang::tag)
        .find(|tag| tag.eq_ignore_ascii_case(value.trim()))
        .map(str::to_owned)
        .ok_or(AppError::validation("language", Invalid::NotAllowed))
}

/// R28: GLOBAL_ADMIN and BILLING_ADMIN create org profiles (and become their
/// OWNER); any org user creates a self-service profile for themself (R25).
pub async fn create(state: &Services, actor: &Actor, input: NewBillingProfile) -> AppResult<ProfileView> {
    let org = actor.billing_org()?;
    if !input.self_service && !org.is_billing_manager() {
        return Err(AppError::Forbidden);
    }
    let name = validate::required_text("name", &input.name, 200)?;
    let contact_name = validate::required_text("contactName", &input.contact_name, 200)?;
    let contact_email = validate::email("contactEmail", &input.contact_email)?;
    let address = Address::parse(BILL_TO, &input.bill_to)?;
    let currency = currency_for(&address.country)?;
    let po_number = validate::optional_text("poNumber", input.po_number.as_deref(), 100)?;
    let language = input.language.as_deref().map(language).transpose()?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let profile = billing_profile::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.organization_id),
        owner_user_id: Set(input.self_service.then_some(org.user_id)),
        name: Set(name),
        contact_name: Set(contact_name),
        contact_email: Set(contact_email),
        address_line1: Set(address.line1),
        address_line2: Set(address.line2),
        city: Set(address.city),
        region: Set(address.region),
        postal_code: Set(address.postal_code),
        country: Set(address.country),
        currency: Set(currency.to_owned()),
        po_number: Set(po_number),
        current_payment_method_id: Set(None),
        language: Set(language),
        invoice_hold_reason: Set(None),
        invoice_hold_period: Set(None),
        invoice_hold_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    billing_role_assignment::ActiveModel {
        billing_profile_id: Set(profile.id),
        user_id: Set(org.user_id),
        role: Set(BillingRole::Owner),
        granted_by: Set(org.user_id),
        granted_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        scope(&profile, actor),
        now,
        AuditEntry::new(AuditAction::BillingProfileCreate, "billing_profile", profile.id).after(snapshot(&profile)),
    )
    .await?;
    // The creator holds OWNER (just granted above); the rule decides what that means.
    let (profile, rights) = access::billing_profile::check(actor, profile, [BillingRole::Owner])
        .ok_or(access::billing_profile::NOT_FOUND)?;
    txn.commit().await?;
    Ok(ProfileView { profile, rights })
}

/// Fields to change; `None` keeps the current value. `po_number: Some(None)` clears it.
#[derive(Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub bill_to: Option<AddressInput>,
    pub po_number: Option<Option<String>>,
    /// `Some(None)` goes back to the language of the bill-to country.
    pub language: Option<Option<String>>,
}

async fn subscription_count(db: &impl ConnectionTrait, profile_id: Uuid) -> AppResult<u64> {
    Ok(subscription::Entity::find().filter(subscription::Column::BillingProfileId.eq(profile_id)).count(db).await?)
}

/// R2 (update right), R28: a country change re-derives the currency, which is
/// not allowed once subscriptions are billed to the profile in its currency.
pub async fn update(state: &Services, actor: &Actor, id: Uuid, changes: ProfileChanges) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = load_for_change(&txn, actor, id).await?;
    require(rights.update)?;
    let mut model: billing_profile::ActiveModel = profile.get().clone().into();
    if let Some(name) = &changes.name {
        model.name = Set(validate::required_text("name", name, 200)?);
    }
    if let Some(contact_name) = &changes.contact_name {
        model.contact_name = Set(validate::required_text("contactName", contact_name, 200)?);
    }
    if let Some(contact_email) = &changes.contact_email {
        model.contact_email = Set(validate::email("contactEmail", contact_email)?);
    }
    if let Some(bill_to) = &changes.bill_to {
        let address = Address::parse(BILL_TO, bill_to)?;
        let currency = currency_for(&address.country)?;
        if currency != profile.currency && subscription_count(&txn, profile.id).await? > 0 {
            return Err(AppError::validation(format!("{BILL_TO}.country"), Invalid::NotAllowed));
        }
        model.address_line1 = Set(address.line1);
        model.address_line2 = Set(address.line2);
        model.city = Set(address.city);
        model.region = Set(address.region);
        model.postal_code = Set(address.postal_code);
        model.country = Set(address.country);
        model.currency = Set(currency.to_owned());
    }
    if let Some(po_number) = &changes.po_number {
        model.po_number = Set(validate::optional_text("poNumber", po_number.as_deref(), 100)?);
    }
    if let Some(choice) = &changes.language {
        model.language = Set(choice.as_deref().map(language).transpose()?);
    }
    if !model.is_changed() {
        txn.commit().await?;
        return Ok(ProfileView { profile, rights });
    }
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    if snapshot(&updated) != snapshot(&profile) {
        audit::record(
            &txn,
            scope(&updated, actor),
            now,
            AuditEntry::new(AuditAction::BillingProfileUpdate, "billing_profile", updated.id)
                .before(snapshot(&profile))
                .after(snapshot(&updated)),
        )
        .await?;
    }
    txn.commit().await?;
    let profile = profile.updated(updated).ok_or(access::billing_profile::NOT_FOUND)?;
    Ok(ProfileView { profile, rights })
}

/// The profile and user of a role change, each loaded by its own rule: R2
/// manage-roles on the profile (never on a self-service profile: its buyer's
/// rights leave roles out, R25), and the user by the user rule
/// (`access::user::load_member`) — unknown IDs, deleted people and people of
/// another organization or a publisher answer the same NOT_FOUND (R3, R43).
async fn load_for_role_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    profile_id: Uuid,
    user_id: Uuid,
) -> AppResult<(Visible<billing_profile::Model>, Visible<user::Model>)> {
    let (profile, rights) = load_for_change(txn, actor, profile_id).await?;
    require(rights.manage_roles)?;
    let user = access::user::load_member(txn, actor, user_id).await?;
    if user.organization_id != Some(profile.organization_id) {
        return Err(access::user::NOT_FOUND);
    }
    Ok((profile, user))
}

/// R2: an OWNER (or R1 admin) grants a role on an org profile. Granting what
/// the user already holds succeeds and changes nothing. Self-service profiles
/// belong to their purchaser alone (R25): no roles are granted on them.
pub async fn grant_role(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    user_id: Uuid,
    role: BillingRole,
) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, user) = load_for_role_change(&txn, actor, profile_id, user_id).await?;
    if !user.active {
        return Err(AppError::UserNotInOrganization);
    }
    let existing = billing_role_assignment::Entity::find_by_id((profile.id, user.id, role)).one(&txn).await?;
    if existing.is_none() {
        billing_role_assignment::ActiveModel {
            billing_profile_id: Set(profile.id),
            user_id: Set(user.id),
            role: Set(role),
            granted_by: Set(actor.user_id()),
            granted_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            scope(&profile, actor),
            now,
            AuditEntry::new(AuditAction::BillingRoleGrant, "billing_profile", profile.id)
                .after(json!({"user": user.id, "role": role.as_str()})),
        )
        .await?;
    }
    let rights = self::rights(&txn, actor, &profile).await?;
    txn.commit().await?;
    Ok(ProfileView { profile, rights })
}

/// R2: an OWNER (or R1 admin) removes a role; the last OWNER stays. Removing
/// a role the user does not hold succeeds and changes nothing.
pub async fn revoke_role(
    state: &Services,
    actor: &Actor,
    profile_id: Uuid,
    user_id: Uuid,
    role: BillingRole,
) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, user) = load_for_role_change(&txn, actor, profile_id, user_id).await?;
    let existing = billing_role_assignment::Entity::find_by_id((profile.id, user.id, role)).one(&txn).await?;
    if let Some(existing) = existing {
        if role == BillingRole::Owner {
            let owners = billing_role_assignment::Entity::find()
                .filter(billing_role_assignment::Column::BillingProfileId.eq(profile.id))
                .filter(billing_role_assignment::Column::Role.eq(BillingRole::Owner))
                .count(&txn)
                .await?;
            if owners <= 1 {
                return Err(AppError::LastOwner);
            }
        }
        billing_role_assignment::Entity::delete_by_id((existing.billing_profile_id, existing.user_id, existing.role))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            scope(&profile, actor),
            now,
            AuditEntry::new(AuditAction::BillingRoleRevoke, "billing_profile", profile.id)
                .before(json!({"user": user.id, "role": role.as_str(), "grantedAt": existing.granted_at})),
        )
        .await?;
    }
    let rights = self::rights(&txn, actor, &profile).await?;
    txn.commit().await?;
    Ok(ProfileView { profile, rights })
}
