//! Billing profiles and their roles (R2, R28).

use entity::{billing_profile, billing_role_assignment, enums::BillingRole, subscription, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Query,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    app::AppState,
    auth::Actor,
    db,
    domain::markets,
    error::{AppError, AppResult, Invalid},
    graphql::pagination::Window,
    service::{
        audit::{self, AuditEntry, AuditScope},
        validate,
    },
};

/// What the caller may do with one profile: the R2 matrix, with R1 (global and
/// billing admins act as OWNER on every org profile) and R25/R27 (a
/// self-service profile is its purchaser's; admins only view it) folded in.
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

/// The caller's rights on `profile` (R1, R2, R25, R27). Publishers have none (SPEC §1).
pub async fn rights(
    db: &impl ConnectionTrait,
    actor: &Actor,
    profile: &billing_profile::Model,
) -> AppResult<ProfileRights> {
    let Ok(org) = actor.org() else { return Ok(ProfileRights::NONE) };
    if org.organization_id != profile.organization_id || profile.owner_user_id.is_some() {
        return Ok(rights_with_roles(actor, profile, std::iter::empty()));
    }
    let assignments = billing_role_assignment::Entity::find()
        .filter(billing_role_assignment::Column::BillingProfileId.eq(profile.id))
        .filter(billing_role_assignment::Column::UserId.eq(org.user_id))
        .all(db)
        .await?;
    Ok(rights_with_roles(actor, profile, assignments.into_iter().map(|a| a.role)))
}

/// `rights` given the caller's own role assignments on the profile (so a list
/// can fetch them for a whole page in one query).
pub fn rights_with_roles(
    actor: &Actor,
    profile: &billing_profile::Model,
    roles: impl IntoIterator<Item = BillingRole>,
) -> ProfileRights {
    let Ok(org) = actor.org() else { return ProfileRights::NONE };
    if org.organization_id != profile.organization_id {
        return ProfileRights::NONE;
    }
    if let Some(owner) = profile.owner_user_id {
        // A self-service profile belongs to its purchaser (R25); admins may look (R27).
        return if owner == org.user_id {
            ProfileRights::OWNER
        } else if org.is_billing_manager() {
            ProfileRights::READER
        } else {
            ProfileRights::NONE
        };
    }
    let base = if org.is_billing_manager() { ProfileRights::OWNER } else { ProfileRights::NONE };
    roles.into_iter().fold(base, |rights, role| rights.union(ProfileRights::of_role(role)))
}

/// The profile and the caller's rights, or NOT_FOUND when the caller may not
/// even see it — another organization's ID looks exactly like a missing one (R3).
pub async fn load_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(billing_profile::Model, ProfileRights)> {
    let not_found = AppError::NotFound { entity: "billing profile" };
    let profile = billing_profile::Entity::find_by_id(id).one(db).await?.ok_or(not_found.clone())?;
    let rights = rights(db, actor, &profile).await?;
    if !rights.view {
        return Err(not_found);
    }
    Ok((profile, rights))
}

/// The profile and the caller's rights, loaded inside a write transaction. The
/// profile row is locked (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds
/// the write lock) so that concurrent changes to one profile queue — e.g. two
/// owners removing each other cannot leave it without an OWNER (R2).
pub async fn load_for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(billing_profile::Model, ProfileRights)> {
    let not_found = AppError::NotFound { entity: "billing profile" };
    let profile = billing_profile::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or(not_found.clone())?;
    let rights = rights(txn, actor, &profile).await?;
    if !rights.view {
        return Err(not_found);
    }
    Ok((profile, rights))
}

/// FORBIDDEN unless `allowed`: the caller can see the profile but lacks the right (R2).
pub fn require(allowed: bool) -> AppResult<()> {
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// A profile as the caller sees it.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub profile: billing_profile::Model,
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

    pub fn to_json(&self) -> Value {
        json!({
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postalCode": self.postal_code,
            "country": self.country,
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
        "selfService": p.owner_user_id.is_some(),
        "owner": p.owner_user_id,
    })
}

fn scope(profile: &billing_profile::Model, actor: &Actor) -> AuditScope {
    AuditScope::org(profile.organization_id, Some(actor))
}

/// The condition on `billing_profiles` rows that the caller can view (R1, R2,
/// R25, R27): all of the organization's for GLOBAL_ADMIN/BILLING_ADMIN
/// (self-service ones read-only), otherwise those the caller holds a role on
/// plus their own self-service ones. The row-by-row twin is `rights`.
pub fn visible_to(org: &crate::auth::OrgActor) -> Condition {
    let in_org = Condition::all().add(billing_profile::Column::OrganizationId.eq(org.organization_id));
    if org.is_billing_manager() {
        return in_org;
    }
    in_org.add(
        Condition::any().add(billing_profile::Column::OwnerUserId.eq(org.user_id)).add(
            Condition::all()
                .add(billing_profile::Column::OwnerUserId.is_null())
                .add(billing_profile::Column::Id.in_subquery(profiles_with_a_role(org.user_id))),
        ),
    )
}

/// IDs of the profiles on which `user_id` holds any billing role (R2).
pub fn profiles_with_a_role(user_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(billing_role_assignment::Column::BillingProfileId)
        .from(billing_role_assignment::Entity)
        .and_where(billing_role_assignment::Column::UserId.eq(user_id))
        .to_owned()
}

/// R1, R2, R25, R27: the profiles the caller can view — all of the
/// organization's for GLOBAL_ADMIN/BILLING_ADMIN (self-service ones read-only),
/// otherwise those the caller holds a role on plus their own self-service ones.
pub async fn list(state: &AppState, actor: &Actor, window: Window) -> AppResult<(Vec<ProfileView>, u64)> {
    // Publishers never see a customer's billing data (SPEC §1).
    let org = actor.org()?;
    let query = billing_profile::Entity::find().filter(visible_to(org));
    let query = query.order_by_asc(billing_profile::Column::CreatedAt).order_by_asc(billing_profile::Column::Id);
    let (profiles, total) = crate::graphql::pagination::fetch(&state.db, query, window).await?;
    let ids: Vec<Uuid> = profiles.iter().map(|p| p.id).collect();
    let mine = billing_role_assignment::Entity::find()
        .filter(billing_role_assignment::Column::BillingProfileId.is_in(ids))
        .filter(billing_role_assignment::Column::UserId.eq(org.user_id))
        .all(&state.db)
        .await?;
    let views = profiles
        .into_iter()
        .map(|profile| {
            let roles = mine.iter().filter(|a| a.billing_profile_id == profile.id).map(|a| a.role);
            let rights = rights_with_roles(actor, &profile, roles);
            ProfileView { profile, rights }
        })
        .collect();
    Ok((views, total))
}

/// One profile the caller can view (R3: another organization's is NOT_FOUND).
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ProfileView> {
    let (profile, rights) = load_visible(&state.db, actor, id).await?;
    Ok(ProfileView { profile, rights })
}

/// Role assignments of a profile the caller has already been allowed to view.
pub async fn role_assignments(
    db: &impl ConnectionTrait,
    profile_id: Uuid,
) -> AppResult<Vec<billing_role_assignment::Model>> {
    Ok(billing_role_assignment::Entity::find()
        .filter(billing_role_assignment::Column::BillingProfileId.eq(profile_id))
        .order_by_asc(billing_role_assignment::Column::GrantedAt)
        .order_by_asc(billing_role_assignment::Column::UserId)
        .order_by_asc(billing_role_assignment::Column::Role)
        .all(db)
        .await?)
}

pub struct NewBillingProfile {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub bill_to: AddressInput,
    pub po_number: Option<String>,
    pub self_service: bool,
}

/// R28: GLOBAL_ADMIN and BILLING_ADMIN create org profiles (and become their
/// OWNER); any org user creates a self-service profile for themself (R25).
pub async fn create(state: &AppState, actor: &Actor, input: NewBillingProfile) -> AppResult<ProfileView> {
    let org = actor.org()?;
    if !input.self_service && !org.is_billing_manager() {
        return Err(AppError::Forbidden);
    }
    let name = validate::required_text("name", &input.name, 200)?;
    let contact_name = validate::required_text("contactName", &input.contact_name, 200)?;
    let contact_email = validate::email("contactEmail", &input.contact_email)?;
    let address = Address::parse(BILL_TO, &input.bill_to)?;
    let currency = currency_for(&address.country)?;
    let po_number = validate::optional_text("poNumber", input.po_number.as_deref(), 100)?;
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
        AuditEntry::new("billing_profile.create", "billing_profile", profile.id).after(snapshot(&profile)),
    )
    .await?;
    let rights = rights(&txn, actor, &profile).await?;
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
}

async fn subscription_count(db: &impl ConnectionTrait, profile_id: Uuid) -> AppResult<u64> {
    Ok(subscription::Entity::find().filter(subscription::Column::BillingProfileId.eq(profile_id)).count(db).await?)
}

/// R2 (update right), R28: a country change re-derives the currency, which is
/// not allowed once subscriptions are billed to the profile in its currency.
pub async fn update(state: &AppState, actor: &Actor, id: Uuid, changes: ProfileChanges) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = load_for_change(&txn, actor, id).await?;
    require(rights.update)?;
    let mut model: billing_profile::ActiveModel = profile.clone().into();
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
            AuditEntry::new("billing_profile.update", "billing_profile", updated.id)
                .before(snapshot(&profile))
                .after(snapshot(&updated)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ProfileView { profile: updated, rights })
}

/// The user a role is granted to or revoked from: NOT_FOUND when unknown,
/// USER_NOT_IN_ORGANIZATION when they belong elsewhere (or to a publisher).
async fn member(txn: &DatabaseTransaction, profile: &billing_profile::Model, user_id: Uuid) -> AppResult<user::Model> {
    let user = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(AppError::NotFound { entity: "user" })?;
    if user.organization_id != Some(profile.organization_id) {
        return Err(AppError::UserNotInOrganization);
    }
    Ok(user)
}

/// R2: an OWNER (or R1 admin) grants a role on an org profile. Granting what
/// the user already holds succeeds and changes nothing. Self-service profiles
/// belong to their purchaser alone (R25): no roles are granted on them.
pub async fn grant_role(
    state: &AppState,
    actor: &Actor,
    profile_id: Uuid,
    user_id: Uuid,
    role: BillingRole,
) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = load_for_change(&txn, actor, profile_id).await?;
    require(rights.manage_roles)?;
    if profile.owner_user_id.is_some() {
        return Err(AppError::Forbidden);
    }
    let user = member(&txn, &profile, user_id).await?;
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
            AuditEntry::new("billing_role.grant", "billing_profile", profile.id)
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
    state: &AppState,
    actor: &Actor,
    profile_id: Uuid,
    user_id: Uuid,
    role: BillingRole,
) -> AppResult<ProfileView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, rights) = load_for_change(&txn, actor, profile_id).await?;
    require(rights.manage_roles)?;
    if profile.owner_user_id.is_some() {
        return Err(AppError::Forbidden);
    }
    let user = member(&txn, &profile, user_id).await?;
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
            AuditEntry::new("billing_role.revoke", "billing_profile", profile.id)
                .before(json!({"user": user.id, "role": role.as_str(), "grantedAt": existing.granted_at})),
        )
        .await?;
    }
    let rights = self::rights(&txn, actor, &profile).await?;
    txn.commit().await?;
    Ok(ProfileView { profile, rights })
}
