//! Registration, login, the caller, and org users (SPEC §1, R23).

use entity::{
    enums::{OrgRole, OrganizationKind},
    organization, publisher, user, user_role,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{Actor, Caller, OperatorActor, OrgActor, PartnerActor, PublisherActor},
    db,
    error::{AppError, AppResult, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

pub use super::sessions::{Device, SignedIn as Session};

pub struct NewOrganization {
    pub organization_name: String,
    pub country: String,
    pub admin_name: String,
    pub email: String,
    pub password: String,
}

pub struct NewPublisher {
    pub publisher_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub roles: Vec<OrgRole>,
}

async fn email_taken(state: &Services, email: &str) -> AppResult<bool> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).count(&state.db).await? > 0)
}

/// Maps the unique-email race (two registrations at once) to the same error as the pre-check.
fn duplicate_email(err: sea_orm::DbErr) -> AppError {
    if db::is_unique_violation(&err) { AppError::validation("email", Invalid::Duplicate) } else { err.into() }
}

pub(super) fn new_user(
    id: Uuid,
    org: Option<Uuid>,
    publisher: Option<Uuid>,
    name: String,
    email: String,
    hash: String,
    state: &Services,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        publisher_id: Set(publisher),
        email: Set(email),
        name: Set(name),
        password_hash: Set(hash),
        active: Set(true),
        deleted_at: Set(None),
        is_operator: Set(false),
        is_partner: Set(false),
        created_at: Set(state.clock.now()),
        external_id: Set(None),
    }
}

/// Creates an organization with its first GLOBAL_ADMIN and signs them in.
pub async fn register_organization(state: &Services, input: NewOrganization, device: &Device) -> AppResult<Session> {
    register_tenant(state, input, OrganizationKind::Customer, device).await
}

/// R39: creates a partner tenant with its first user (its GLOBAL_ADMIN, who
/// creates the partner's billing profiles) and signs them in. The partner
/// tenant is an organization row of kind PARTNER: it buys nothing for itself.
pub async fn register_partner(state: &Services, input: NewOrganization, device: &Device) -> AppResult<Session> {
    register_tenant(state, input, OrganizationKind::Partner, device).await
}

async fn register_tenant(
    state: &Services,
    input: NewOrganization,
    kind: OrganizationKind,
    device: &Device,
) -> AppResult<Session> {
    let (name_field, action) = match kind {
        OrganizationKind::Customer => ("organizationName", AuditAction::OrganizationRegister),
        OrganizationKind::Partner => ("partnerName", AuditAction::PartnerRegister),
    };
    let org_name = validate::required_text(name_field, &input.organization_name, 200)?;
    let country = validate::country("country", &input.country)?;
    let admin_name = validate::required_text("name", &input.admin_name, 200)?;
    let email = validate::email("email", &input.email)?;
    let password = validate::password("password", &input.password)?;
    if email_taken(state, &email).await? {
        return Err(AppError::validation("email", Invalid::Duplicate));
    }
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let org_id = Uuid::now_v7();
    organization::ActiveModel {
        id: Set(org_id),
        name: Set(org_name.clone()),
        country: Set(country.clone()),
        next_invoice_number: Set(1),
        kind: Set(kind),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let user_id = Uuid::now_v7();
    let mut user = new_user(user_id, Some(org_id), None, admin_name, email, hash, state);
    user.is_partner = Set(kind == OrganizationKind::Partner);
    let user = user.insert(&txn).await.map_err(duplicate_email)?;
    user_role::ActiveModel { user_id: Set(user_id), role: Set(OrgRole::GlobalAdmin) }.insert(&txn).await?;
    let scope = AuditScope { organization_id: Some(org_id), publisher_id: None, actor_user_id: Some(user_id) };
    audit::record(
        &txn,
        scope,
        now,
        AuditEntry::new(action, "organization", org_id)
            .after(json!({"name": org_name, "country": country, "admin": user_id})),
    )
    .await?;
    let session = super::sessions::start(state, &txn, user, device).await?;
    txn.commit().await?;
    Ok(session)
}

/// Creates a publisher with its first user and signs them in.
pub async fn register_publisher(state: &Services, input: NewPublisher, device: &Device) -> AppResult<Session> {
    let publisher_name = validate::required_text("publisherName", &input.publisher_name, 200)?;
    let name = validate::required_text("name", &input.name, 200)?;
    let email = validate::email("email", &input.email)?;
    let password = validate::password("password", &input.password)?;
    if email_taken(state, &email).await? {
        return Err(AppError::validation("email", Invalid::Duplicate));
    }
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let publisher_id = Uuid::now_v7();
    publisher::ActiveModel {
        id: Set(publisher_id),
        name: Set(publisher_name.clone()),
        is_marketplace: Set(false),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let user_id = Uuid::now_v7();
    let user = new_user(user_id, None, Some(publisher_id), name, email, hash, state)
        .insert(&txn)
        .await
        .map_err(duplicate_email)?;
    let scope = AuditScope { organization_id: None, publisher_id: Some(publisher_id), actor_user_id: Some(user_id) };
    audit::record(
        &txn,
        scope,
        now,
        AuditEntry::new(AuditAction::PublisherRegister, "publisher", publisher_id)
            .after(json!({"name": publisher_name})),
    )
    .await?;
    let session = super::sessions::start(state, &txn, user, device).await?;
    txn.commit().await?;
    Ok(session)
}

/// Same message and (by verifying a dummy hash) the same time for an unknown
/// e-mail as for a wrong password.
/// `client` is the caller's address (sign-in throttling is per address and client).
pub async fn login(state: &Services, email: &str, password: &str, device: &Device) -> AppResult<Session> {
    let user = check_password(state, email, password, device.address).await?;
    let txn = db::begin_write(&state.db).await?;
    let session = super::sessions::start(state, &txn, user, device).await?;
    txn.commit().await?;
    Ok(session)
}

/// The active user whose e-mail and password these are, under the same
/// throttle and single sign-on rule as `login` (R47, R48), without starting
/// a session: UNAUTHENTICATED otherwise. R53's consent page signs in with it.
pub async fn check_password(
    state: &Services,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<user::Model> {
    let email = email.trim().to_lowercase();
    let limiter = &state.login_limiter;
    // Issue 20 item 5: counted before the password is checked, so parallel
    // guesses cannot all get past the limit.
    let attempt = limiter.begin(&state.db, &email, client, chrono::Utc::now()).await?;
    let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&state.db).await?;
    let usable = found.filter(|u| u.active);
    let ok = state.passwords.verify(password, usable.as_ref().map(|u| u.password_hash.as_str())).await?;
    match usable {
        Some(user) if ok => {
            limiter.succeeded(&state.db, &email, client).await?;
            // R48: after the password is checked, so the answer tells a guesser nothing.
            super::sso::settings::password_sign_in_allowed(state, &user).await?;
            Ok(user)
        }
        _ => {
            limiter.failed(&state.db, &email, client, attempt, chrono::Utc::now()).await?;
            Err(AppError::Unauthenticated)
        }
    }
}

/// Resolves the bearer token into the caller, once per request.
pub async fn resolve_caller(state: &Services, token: Option<&str>) -> AppResult<Caller> {
    Ok(resolve_caller_row(state, token).await?.0)
}

/// The rows a caller was resolved from: its user and, for an organization
/// member, its organization, so a read can reuse them (`me`) instead of
/// reading them again (issue 14).
pub struct CallerRows {
    pub user: user::Model,
    pub organization: Option<organization::Model>,
    /// The session the access token belongs to (R47; `signOut` ends it).
    pub session_id: Option<Uuid>,
}

/// One row of the caller's statement: the user, one of their roles, their
/// organization. Decoded by hand: `select_also` would format a prefixed name
/// for every column of every row.
struct CallerRow {
    user: user::Model,
    role: Option<OrgRole>,
    organization: Option<organization::Model>,
}

const CALLER_ROLE: &str = "caller_role";
const CALLER_ORGANIZATION: &str = "caller_organization_";

impl sea_orm::FromQueryResult for CallerRow {
    fn from_query_result(row: &sea_orm::QueryResult, prefix: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            user: user::Model::from_query_result(row, prefix)?,
            role: row.try_get(prefix, CALLER_ROLE)?,
            organization: organization::Model::from_query_result_optional(row, CALLER_ORGANIZATION)?,
        })
    }
}

/// The caller and, when signed in, the rows it was resolved from.
pub async fn resolve_caller_row(state: &Services, token: Option<&str>) -> AppResult<(Caller, Option<CallerRows>)> {
    let Some(token) = token else {
        return Ok((Caller::Anonymous, None));
    };
    let Some(access) = state.jwt.verify(token) else {
        return Ok((Caller::InvalidToken, None));
    };
    Ok(match current_caller(state, access.user_id, Some(access.session_id)).await? {
        Some((actor, rows)) => (Caller::Authenticated(actor), Some(rows)),
        None => (Caller::InvalidToken, None),
    })
}

/// The user as an actor with the roles and organization their rows give
/// them now, and those rows; None when the user is deactivated, deleted or
/// belongs to no tenant, or when `session` is given and has ended (R47).
/// What every request and every live event is checked against (R37, R47:
/// rights are never cached past a request).
pub async fn current_caller(
    state: &Services,
    user_id: Uuid,
    session: Option<Uuid>,
) -> AppResult<Option<(Actor, CallerRows)>> {
    // One statement, checked live on every request (a deactivated user stops
    // at once): the user, their organization and their roles, one row per
    // role (issue 14).
    use sea_orm::{IdenStatic, Iterable, JoinType, QuerySelect};
    let roles_of_user: sea_orm::RelationDef =
        user_role::Entity::belongs_to(user::Entity).from(user_role::Column::UserId).to(user::Column::Id).into();
    let organization_of_user: sea_orm::RelationDef = user::Entity::belongs_to(organization::Entity)
        .from(user::Column::OrganizationId)
        .to(organization::Column::Id)
        .into();
    let mut query = user::Entity::find_by_id(user_id)
        .join_rev(JoinType::LeftJoin, roles_of_user)
        .join(JoinType::LeftJoin, organization_of_user)
        .column_as(user_role::Column::Role, CALLER_ROLE);
    for column in organization::Column::iter() {
        query = query.column_as(column, format!("{CALLER_ORGANIZATION}{}", column.as_str()));
    }
    if let Some(session) = session {
        // R47: an ended session's tokens stop at the next request, on every instance.
        query = query.filter(super::sessions::live_condition(session));
    }
    let rows = query.into_model::<CallerRow>().all(&state.db).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = &first.user;
    if !user.active {
        return Ok(None);
    }
    let is_partner = user.is_partner;
    let actor = match (user.organization_id, user.publisher_id) {
        (Some(organization_id), _) if is_partner => {
            let roles = rows.iter().filter_map(|row| row.role).collect();
            Actor::Partner(PartnerActor { tenant: OrgActor { user_id: user.id, organization_id, roles } })
        }
        (Some(organization_id), _) => {
            let roles = rows.iter().filter_map(|row| row.role).collect();
            Actor::Org(OrgActor { user_id: user.id, organization_id, roles })
        }
        (None, Some(marketplace_id)) if user.is_operator => {
            Actor::Operator(OperatorActor { user_id: user.id, marketplace_id })
        }
        (None, Some(publisher_id)) => Actor::Publisher(PublisherActor { user_id: user.id, publisher_id }),
        (None, None) => return Ok(None),
    };
    let organization = first.organization.clone();
    Ok(Some((actor, CallerRows { user: user.clone(), organization, session_id: session })))
}

pub struct NewOperator {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// The name of the marketplace tenant that holds the operator accounts (R40).
pub const MARKETPLACE_NAME: &str = "Marketplace";

/// R40: creates a marketplace operator account. Only the command line calls
/// this; no GraphQL operation reaches it, so nobody registers as an operator.
/// The marketplace tenant is created with the first operator.
pub async fn create_operator(state: &Services, input: NewOperator) -> AppResult<user::Model> {
    let name = validate::required_text("name", &input.name, 200)?;
    let email = validate::email("email", &input.email)?;
    let password = validate::password("password", &input.password)?;
    if email_taken(state, &email).await? {
        return Err(AppError::validation("email", Invalid::Duplicate));
    }
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let existing = publisher::Entity::find()
        .filter(publisher::Column::IsMarketplace.eq(true))
        .order_by_asc(publisher::Column::CreatedAt)
        .one(&txn)
        .await?;
    let marketplace_id = match existing {
        Some(marketplace) => marketplace.id,
        None => {
            let id = Uuid::now_v7();
            publisher::ActiveModel {
                id: Set(id),
                name: Set(MARKETPLACE_NAME.to_owned()),
                is_marketplace: Set(true),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            id
        }
    };
    let user_id = Uuid::now_v7();
    let mut model = new_user(user_id, None, Some(marketplace_id), name.clone(), email.clone(), hash, state);
    model.is_operator = Set(true);
    let user = model.insert(&txn).await.map_err(duplicate_email)?;
    let scope = AuditScope { organization_id: None, publisher_id: Some(marketplace_id), actor_user_id: None };
    audit::record(
        &txn,
        scope,
        now,
        AuditEntry::new(AuditAction::OperatorCreate, "user", user_id).after(json!({"name": name, "email": email})),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// R1: only a GLOBAL_ADMIN adds users to the organization.
pub async fn create_user(state: &Services, actor: &Actor, input: NewUser) -> AppResult<user::Model> {
    let org = actor.org()?;
    if !org.can_manage_users() {
        return Err(AppError::Forbidden);
    }
    let name = validate::required_text("name", &input.name, 200)?;
    let email = validate::email("email", &input.email)?;
    let password = validate::password("password", &input.password)?;
    let mut roles: Vec<OrgRole> = input.roles.into_iter().filter(|r| *r != OrgRole::User).collect();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    if email_taken(state, &email).await? {
        return Err(AppError::validation("email", Invalid::Duplicate));
    }
    let hash = state.passwords.hash(&password).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let user_id = Uuid::now_v7();
    let user = new_user(user_id, Some(org.organization_id), None, name.clone(), email.clone(), hash, state)
        .insert(&txn)
        .await
        .map_err(duplicate_email)?;
    for role in &roles {
        user_role::ActiveModel { user_id: Set(user_id), role: Set(*role) }.insert(&txn).await?;
    }
    let roles_text: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    audit::record(
        &txn,
        AuditScope::org(org.organization_id, Some(actor)),
        now,
        AuditEntry::new(AuditAction::UserCreate, "user", user_id)
            .after(json!({"name": name, "email": email, "roles": roles_text})),
    )
    .await?;
    // Process tests hold the transaction open here (issue 12 §5).
    crate::fault::delay_point("user.create.before_commit").await;
    txn.commit().await?;
    Ok(user)
}

/// R23: org users by name or e-mail prefix, for the "begin typing a name" box.
/// Any org user may search their own organization (purchasers assign licenses
/// too, R26); nobody sees another organization's people.
pub async fn search_users(
    state: &Services,
    actor: &Actor,
    search: Option<&str>,
    include_deactivated: bool,
    direction: Direction,
    window: &Window,
) -> AppResult<Page<user::Model>> {
    let org = actor.org()?;
    // R43: the admin who manages users also finds the deactivated ones (to reactivate them).
    let with_deactivated = include_deactivated && org.can_manage_users();
    let mut query =
        user::Entity::find().filter(crate::service::search::listed_users(org.organization_id, with_deactivated));
    let mut count = None;
    if let Some(prefix) = search.map(str::trim).filter(|s| !s.is_empty()) {
        if prefix.chars().count() > 200 {
            return Err(AppError::validation("search", Invalid::TooLong { max: 200 }));
        }
        // One to three letters match a large share of the organization: the
        // page and the total come from the rows kept per prefix (issue 23).
        if let Some(short) = entity::search::short_prefix(prefix) {
            let found =
                crate::service::search::short_prefix_search(org.organization_id, &short, with_deactivated, direction);
            return crate::paging::fetch_counted(&state.db, found.query, &found.by_name, window, Some(found.count))
                .await;
        }
        // Any word of the name or the start of the e-mail, folded (issue 13).
        if let Some(terms) =
            crate::service::search::owners_matching(entity::search::USER, Some(org.organization_id), prefix)
        {
            let backend = state.db.get_database_backend();
            count = Some(crate::service::search::count_listed(
                backend,
                terms.clone(),
                org.organization_id,
                with_deactivated,
            ));
            query = query.filter(user::Column::Id.in_subquery(terms));
        }
    }
    let count = count.unwrap_or_else(|| crate::paging::count_of(query.clone()));
    // By name, then id; the seek uses the (organization_id, name, id) index.
    let by_name = Keyset::new(format!("users:NAME:{direction:?}"))
        .key(user::Column::Name.into_expr(), direction, KeyKind::Text)
        .id(user::Column::Id.into_expr(), direction);
    crate::paging::fetch_counted(&state.db, query, &by_name, window, Some(count)).await
}

/// R47: changes the caller's own password after checking the current one
/// (counted by the sign-in throttle, so a stolen access token cannot be used
/// to guess it), and ends every other session of theirs; the session the
/// request came from goes on.
pub async fn change_password(
    state: &Services,
    actor: &Actor,
    current_session: Option<Uuid>,
    current_password: &str,
    new_password: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<u64> {
    let new_password = validate::password("newPassword", new_password)?;
    let user = user::Entity::find_by_id(actor.user_id())
        .one(&state.db)
        .await?
        .filter(|u| u.active && u.deleted_at.is_none())
        .ok_or(AppError::Unauthenticated)?;
    let limiter = &state.login_limiter;
    let attempt = limiter.begin(&state.db, &user.email, client, chrono::Utc::now()).await?;
    if !state.passwords.verify(current_password, Some(&user.password_hash)).await? {
        limiter.failed(&state.db, &user.email, client, attempt, chrono::Utc::now()).await?;
        return Err(AppError::validation("currentPassword", Invalid::NotAllowed));
    }
    limiter.succeeded(&state.db, &user.email, client).await?;
    let hash = state.passwords.hash(&new_password).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (user_id, organization_id, publisher_id) = (user.id, user.organization_id, user.publisher_id);
    let mut model: user::ActiveModel = user.into();
    model.password_hash = Set(hash);
    model.update(&txn).await?;
    let ended =
        super::sessions::end_all_of_user(&txn, user_id, current_session, super::sessions::EndReason::PasswordChanged)
            .await?;
    let scope = AuditScope { organization_id, publisher_id, actor_user_id: Some(user_id) };
    let entry =
        AuditEntry::new(AuditAction::UserChangePassword, "user", user_id).after(json!({"otherSessionsEnded": ended}));
    audit::record(&txn, scope, now, entry).await?;
    txn.commit().await?;
    Ok(ended)
}
