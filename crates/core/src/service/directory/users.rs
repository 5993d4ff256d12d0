//! R49: SCIM Users. The directory manages every undeleted person of its
//! organization: people it created (with a `scim_users` row holding
//! `userName`, the SCIM name and e-mail addresses) and people created in
//! LicenseDesk, whose `userName` is their sign-in address (so a directory
//! can match them with `userName eq "…"` before creating anyone).
//!
//! - `active: false` is R43's deactivation (the sessions end, R47) and, as
//!   R49 asks, releases the person's licenses the way deletion does;
//!   `DELETE` is R43's deletion. Both are the functions of `service::people`,
//!   run in the directory's transaction.
//! - The sign-in address (`users.email`, unique on the server) is the
//!   primary e-mail, else the first, else `userName` when it is an address;
//!   a person with none gets an address under `.invalid` (RFC 2606) and signs
//!   in through single sign-on.
//! - Every change is audited as the directory's (no person acted) and
//!   raises the usual events (released licenses are LICENSES_UNASSIGNED).

use entity::{scim_user, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Base, Edit, ListPage, ListRequest, boolean, check_version,
    filter::{self, AttrPath, CompareOp, Filter},
    scope, text, with_meta,
};
use crate::{
    access::directory::Directory,
    db,
    error::{AppError, AppResult, EntityKind, Invalid},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry},
        people, validate,
    },
};

pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::User };
const MAX_EMAILS: usize = 20;
/// Directory-managed people sign in through single sign-on, never with a password.
const NO_PASSWORD: &str = "!directory";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
}

impl Name {
    fn is_empty(&self) -> bool {
        self.given_name.is_none() && self.family_name.is_none() && self.formatted.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub value: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// What `scim_users.profile` holds: the SCIM attributes the user row has no column for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Name>,
    #[serde(default)]
    emails: Vec<Email>,
}

/// A User resource as the directory sends it (POST, PUT, or a PATCH's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub name: Option<Name>,
    pub emails: Vec<Email>,
    pub active: bool,
}

/// Reads a User resource; VALIDATION_FAILED naming the attribute (SCIM `invalidValue`).
pub fn parse_input(body: &Value) -> AppResult<UserInput> {
    if !body.is_object() {
        return Err(AppError::validation("userName", Invalid::Required));
    }
    let user_name = text(body, "userName", 254)?.ok_or_else(|| AppError::validation("userName", Invalid::Required))?;
    let name = match filter::field(body, "name") {
        None | Some(Value::Null) => None,
        Some(name @ Value::Object(_)) => {
            let name = Name {
                given_name: text(name, "givenName", 200)?,
                family_name: text(name, "familyName", 200)?,
                formatted: text(name, "formatted", 400)?,
            };
            (!name.is_empty()).then_some(name)
        }
        Some(_) => return Err(AppError::validation("name", Invalid::BadFormat)),
    };
    let emails = match filter::field(body, "emails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_EMAILS {
                return Err(AppError::validation("emails", Invalid::TooLong { max: MAX_EMAILS }));
            }
            let mut emails = Vec::new();
            for item in items {
                let Some(value) = text(item, "value", 254)? else { continue };
                emails.push(Email { value, kind: text(item, "type", 64)?, primary: boolean(item, "primary")? });
            }
            emails
        }
        Some(_) => return Err(AppError::validation("emails", Invalid::BadFormat)),
    };
    Ok(UserInput {
        user_name,
        external_id: text(body, "externalId", 256)?,
        display_name: text(body, "displayName", 200)?,
        name,
        emails,
        active: boolean(body, "active")?.unwrap_or(true),
    })
}

impl UserInput {
    /// The person's name in LicenseDesk (required there): the display name,
    /// else the formatted name, else given and family name, else `userName`.
    fn person_name(&self) -> String {
        let joined = self.name.as_ref().map(|n| {
            [n.given_name.as_deref(), n.family_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
        });
        self.display_name
            .clone()
            .or_else(|| self.name.as_ref().and_then(|n| n.formatted.clone()))
            .or(joined.filter(|j| !j.is_empty()))
            .unwrap_or_else(|| self.user_name.clone())
    }

    /// The sign-in address (see the module comment); None when there is none.
    fn sign_in_address(&self) -> Option<String> {
        let primary = self.emails.iter().find(|e| e.primary == Some(true));
        primary
            .into_iter()
            .chain(self.emails.iter())
            .map(|e| e.value.as_str())
            .chain(std::iter::once(self.user_name.as_str()))
            .find_map(|candidate| validate::email("emails", candidate).ok())
    }

    fn profile(&self) -> Profile {
        Profile { display_name: self.display_name.clone(), name: self.name.clone(), emails: self.emails.clone() }
    }
}

fn placeholder_address(id: Uuid) -> String {
    format!("directory-{}@directory.invalid", id.simple())
}

/// A person with what the directory said of them, if anything.
struct Person {
    user: user::Model,
    scim: Option<scim_user::Model>,
}

impl Person {
    fn profile(&self) -> Profile {
        self.scim.as_ref().and_then(|s| serde_json::from_str(&s.profile).ok()).unwrap_or_default()
    }

    /// The resource's JSON (RFC 7643 §4.1) with `meta`.
    fn to_json(&self, base: &Base) -> Value {
        let user = &self.user;
        let mut resource = json!({
            "schemas": [SCHEMA],
            "id": user.id.to_string(),
            "active": user.active,
        });
        if let Some(external_id) = &user.external_id {
            resource["externalId"] = json!(external_id);
        }
        match &self.scim {
            Some(scim) => {
                let profile = self.profile();
                resource["userName"] = json!(scim.user_name);
                if let Some(display_name) = profile.display_name {
                    resource["displayName"] = json!(display_name);
                }
                if let Some(name) = profile.name {
                    resource["name"] = json!(name);
                }
                if !profile.emails.is_empty() {
                    resource["emails"] = json!(profile.emails);
                }
            }
            None => {
                // A person made in LicenseDesk: their sign-in address is their userName.
                resource["userName"] = json!(user.email);
                resource["displayName"] = json!(user.name);
                resource["emails"] = json!([{"value": user.email, "type": "work", "primary": true}]);
            }
        }
        let modified = self.scim.as_ref().map_or(user.created_at, |s| s.updated_at);
        with_meta(resource, "User", base.location("Users", user.id), user.created_at, modified)
    }
}

async fn load(db: &impl sea_orm::ConnectionTrait, user: user::Model) -> AppResult<Person> {
    let scim = scim_user::Entity::find_by_id(user.id).one(db).await?;
    Ok(Person { user, scim })
}

/// The person `id` of the directory's organization, locked for a change (R3: anyone else's is NOT_FOUND).
async fn lock(txn: &DatabaseTransaction, dir: &Directory, id: Uuid) -> AppResult<Person> {
    let user = people::lock_member(txn, dir.organization_id(), id).await?;
    if !dir.sees_user(&user) {
        return Err(NOT_FOUND);
    }
    load(txn, user).await
}

/// R49: `userName` and `externalId` are unique within the organization, the
/// sign-in address on the server; a clash is VALIDATION_FAILED/DUPLICATE
/// (SCIM 409 `uniqueness`). Runs with the organization row locked.
async fn check_unique(
    txn: &DatabaseTransaction,
    dir: &Directory,
    input: &UserInput,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let others = |query: sea_orm::Select<user::Entity>| match except {
        Some(id) => query.filter(user::Column::Id.ne(id)),
        None => query,
    };
    let key = input.user_name.to_lowercase();
    let mut taken = scim_user::Entity::find()
        .filter(scim_user::Column::OrganizationId.eq(dir.organization_id()))
        .filter(scim_user::Column::UserNameKey.eq(key.as_str()));
    if let Some(id) = except {
        taken = taken.filter(scim_user::Column::UserId.ne(id));
    }
    let by_address = others(user::Entity::find().filter(dir.users()))
        .filter(user::Column::Email.eq(key.as_str()))
        .filter(user::Column::Id.not_in_subquery(scim_ids()));
    if taken.count(txn).await? > 0 || by_address.count(txn).await? > 0 {
        return Err(AppError::validation("userName", Invalid::Duplicate));
    }
    if let Some(external_id) = &input.external_id {
        let clash = others(user::Entity::find().filter(dir.users()))
            .filter(user::Column::ExternalId.eq(external_id.as_str()))
            .count(txn)
            .await?;
        if clash > 0 {
            return Err(AppError::validation("externalId", Invalid::Duplicate));
        }
    }
    let address = others(user::Entity::find()).filter(user::Column::Email.eq(email)).count(txn).await?;
    if address > 0 {
        return Err(AppError::validation("emails", Invalid::Duplicate));
    }
    Ok(())
}

fn duplicate(err: sea_orm::DbErr) -> AppError {
    if db::is_unique_violation(&err) { AppError::validation("userName", Invalid::Duplicate) } else { err.into() }
}

/// POST /Users.
pub async fn create(state: &Services, dir: &Directory, base: &Base, body: &Value) -> AppResult<Value> {
    let input = parse_input(body)?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let email = input.sign_in_address().unwrap_or_else(|| placeholder_address(id));
    let txn = db::begin_write(&state.db).await?;
    people::lock_organization(&txn, dir.organization_id()).await?;
    check_unique(&txn, dir, &input, &email, None).await?;
    let user = user::ActiveModel {
        id: Set(id),
        organization_id: Set(Some(dir.organization_id())),
        publisher_id: Set(None),
        email: Set(email.clone()),
        name: Set(input.person_name()),
        password_hash: Set(NO_PASSWORD.to_owned()),
        active: Set(input.active),
        deleted_at: Set(None),
        is_operator: Set(false),
        is_partner: Set(false),
        created_at: Set(now),
        external_id: Set(input.external_id.clone()),
    }
    .insert(&txn)
    .await
    .map_err(duplicate)?;
    let scim = scim_row(dir, id, &input, now, now).insert(&txn).await.map_err(duplicate)?;
    let entry = AuditEntry::new(AuditAction::UserCreate, "user", id).after(json!({
        "email": email,
        "userName": input.user_name,
        "externalId": input.external_id,
        "active": input.active,
        "directoryToken": dir.token_id(),
    }));
    audit::record(&txn, scope(dir), now, entry).await?;
    txn.commit().await?;
    Ok(Person { user, scim: Some(scim) }.to_json(base))
}

fn scim_row(
    dir: &Directory,
    user_id: Uuid,
    input: &UserInput,
    created: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> scim_user::ActiveModel {
    scim_user::ActiveModel {
        user_id: Set(user_id),
        organization_id: Set(dir.organization_id()),
        user_name: Set(input.user_name.clone()),
        user_name_key: Set(input.user_name.to_lowercase()),
        profile: Set(serde_json::to_string(&input.profile()).unwrap_or_else(|_| "{}".to_owned())),
        created_at: Set(created),
        updated_at: Set(now),
    }
}

/// GET /Users/{id}.
pub async fn get(state: &Services, dir: &Directory, base: &Base, id: Uuid) -> AppResult<Value> {
    let user = user::Entity::find_by_id(id).filter(dir.users()).one(&state.db).await?.ok_or(NOT_FOUND)?;
    if !dir.sees_user(&user) {
        return Err(NOT_FOUND);
    }
    Ok(load(&state.db, user).await?.to_json(base))
}

/// PUT or PATCH /Users/{id}: the person becomes the body, or the body's operations
/// (including Entra ID's and Okta's) are applied to the current one: locked,
/// version checked, the new input worked out, applied in one transaction.
pub async fn update(
    state: &Services,
    dir: &Directory,
    base: &Base,
    id: Uuid,
    edit: Edit<'_>,
    if_match: Option<&str>,
) -> AppResult<Value> {
    let edit = edit.prepare(parse_input)?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let person = lock(&txn, dir, id).await?;
    let current = person.to_json(base);
    check_version(&current, if_match)?;
    let input = edit.input_from(current.clone())?;
    let Person { user, scim } = person;
    let email = input
        .sign_in_address()
        .or_else(|| user.email.ends_with(".invalid").then(|| user.email.clone()))
        .unwrap_or_else(|| placeholder_address(user.id));
    check_unique(&txn, dir, &input, &email, Some(user.id)).await?;
    let before = json!({"email": user.email, "name": user.name, "externalId": user.external_id,
        "userName": scim.as_ref().map(|s| s.user_name.clone())});
    let wants_active = input.active;
    let mut user = user;
    if user.email != email || user.name != input.person_name() || user.external_id != input.external_id {
        let mut model: user::ActiveModel = user.into();
        model.email = Set(email.clone());
        model.name = Set(input.person_name());
        model.external_id = Set(input.external_id.clone());
        user = model.update(&txn).await.map_err(duplicate)?;
    }
    let row = scim_row(dir, user.id, &input, scim.as_ref().map_or(user.created_at, |s| s.created_at), now);
    let scim = match scim {
        Some(_) => row.update(&txn).await.map_err(duplicate)?,
        None => row.insert(&txn).await.map_err(duplicate)?,
    };
    let after = json!({"email": user.email, "name": user.name, "externalId": user.external_id,
        "userName": scim.user_name, "directoryToken": dir.token_id()});
    let without_state = |mut v: Value| {
        if let Some(o) = v.as_object_mut() {
            o.remove("active");
            o.remove("meta");
        }
        v
    };
    let changed = Person { user: user.clone(), scim: Some(scim.clone()) }.to_json(base);
    if without_state(changed) != without_state(current) {
        let entry = AuditEntry::new(AuditAction::UserUpdate, "user", user.id).before(before).after(after);
        audit::record(&txn, scope(dir), now, entry).await?;
    }
    if wants_active != user.active {
        // R43, R47, R49: deactivation ends the sessions and releases the licenses.
        let action = if wants_active { AuditAction::UserReactivate } else { AuditAction::UserDeactivate };
        user = people::change_active(&txn, scope(dir), user, wants_active, true, action, now).await?;
    }
    txn.commit().await?;
    Ok(Person { user, scim: Some(scim) }.to_json(base))
}

/// DELETE /Users/{id}: R43's deletion.
pub async fn delete(state: &Services, dir: &Directory, base: &Base, id: Uuid, if_match: Option<&str>) -> AppResult<()> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let person = lock(&txn, dir, id).await?;
    check_version(&person.to_json(base), if_match)?;
    people::delete_member(&txn, scope(dir), person.user, now).await?;
    txn.commit().await?;
    Ok(())
}

/// GET /Users with `filter`, `startIndex` and `count`, oldest first.
pub async fn list(state: &Services, dir: &Directory, base: &Base, request: &ListRequest) -> AppResult<ListPage> {
    let mut query = user::Entity::find().filter(dir.users());
    if let Some(filter) = request.parsed_filter()? {
        query = query.filter(condition(&filter)?);
    }
    let total = query.clone().count(&state.db).await?;
    let (offset, limit) = request.window();
    let users = if limit == 0 {
        Vec::new()
    } else {
        query
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&state.db)
            .await?
    };
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut rows: std::collections::HashMap<Uuid, scim_user::Model> = scim_user::Entity::find()
        .filter(scim_user::Column::UserId.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s))
        .collect();
    let resources = users
        .into_iter()
        .map(|user| {
            let scim = rows.remove(&user.id);
            Person { user, scim }.to_json(base)
        })
        .collect();
    Ok(ListPage { total, start_index: Ord::max(request.start_index.unwrap_or(1), 1), resources })
}

fn scim_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select().column(scim_user::Column::UserId).from(scim_user::Entity).to_owned()
}

fn escape_like(value: &str) -> String {
    value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A string comparison in SQL (the column side already folded as needed).
pub(crate) fn compare(column: SimpleExpr, op: CompareOp, value: String) -> SimpleExpr {
    let like = |pattern: String| column.clone().like(LikeExpr::new(pattern).escape('\\'));
    match op {
        CompareOp::Eq => column.eq(value),
        CompareOp::Ne => column.ne(value),
        CompareOp::Co => like(format!("%{}%", escape_like(&value))),
        CompareOp::Sw => like(format!("{}%", escape_like(&value))),
        CompareOp::Ew => like(format!("%{}", escape_like(&value))),
        CompareOp::Gt => column.gt(value),
        CompareOp::Ge => column.gte(value),
        CompareOp::Lt => column.lt(value),
        CompareOp::Le => column.lte(value),
    }
}

pub(crate) fn string_value(value: &Value) -> AppResult<String> {
    value.as_str().map(str::to_owned).ok_or_else(filter::invalid)
}

pub(crate) fn lower(column: impl sea_orm::sea_query::IntoColumnRef) -> SimpleExpr {
    Func::lower(Expr::col(column)).into()
}

/// The SQL twin of a filter over users (RFC 7644 §3.4.2.2): `userName`,
/// `externalId`, `displayName`, `id`, `active` and `emails(.value)`.
fn condition(filter: &Filter) -> AppResult<Condition> {
    Ok(match filter {
        Filter::And(a, b) => Condition::all().add(condition(a)?).add(condition(b)?),
        Filter::Or(a, b) => Condition::any().add(condition(a)?).add(condition(b)?),
        Filter::Not(a) => condition(a)?.not(),
        Filter::Present(path) => present(path)?,
        Filter::Compare { path, op, value } => compare_attr(path, *op, value)?,
        Filter::ValuePath { attr, filter } if attr.eq_ignore_ascii_case("emails") => match filter.as_ref() {
            Filter::Compare { path, op, value } if path.is("value", None) => {
                compare_attr(&AttrPath { attr: "emails".into(), sub: Some("value".into()) }, *op, value)?
            }
            _ => Condition::all(),
        },
        Filter::ValuePath { .. } => return Err(filter::invalid()),
    })
}

fn present(path: &AttrPath) -> AppResult<Condition> {
    Ok(if path.is("externalId", None) {
        Condition::all().add(user::Column::ExternalId.is_not_null())
    } else if ["userName", "id", "active", "displayName", "emails", "name", "meta"]
        .iter()
        .any(|a| path.attr.eq_ignore_ascii_case(a))
    {
        Condition::all()
    } else {
        return Err(filter::invalid());
    })
}

fn compare_attr(path: &AttrPath, op: CompareOp, value: &Value) -> AppResult<Condition> {
    let one = |e: SimpleExpr| Condition::all().add(e);
    Ok(if path.is("userName", None) {
        let key = string_value(value)?.to_lowercase();
        let by_directory = Query::select()
            .column(scim_user::Column::UserId)
            .from(scim_user::Entity)
            .and_where(compare(Expr::col(scim_user::Column::UserNameKey), op, key.clone()))
            .to_owned();
        Condition::any().add(user::Column::Id.in_subquery(by_directory)).add(
            Condition::all().add(user::Column::Id.not_in_subquery(scim_ids())).add(compare(
                lower(user::Column::Email),
                op,
                key,
            )),
        )
    } else if path.is("externalId", None) {
        one(compare(Expr::col(user::Column::ExternalId), op, string_value(value)?))
    } else if path.is("displayName", None) {
        one(compare(lower(user::Column::Name), op, string_value(value)?.to_lowercase()))
    } else if path.is("emails", None) || path.is("emails", Some("value")) {
        one(compare(lower(user::Column::Email), op, string_value(value)?.to_lowercase()))
    } else if path.is("id", None) {
        let id = Uuid::parse_str(&string_value(value)?).ok();
        match (op, id) {
            (CompareOp::Eq, Some(id)) => one(user::Column::Id.eq(id)),
            (CompareOp::Ne, Some(id)) => one(user::Column::Id.ne(id)),
            (CompareOp::Ne, None) => Condition::all(),
            _ => one(Expr::val(1).eq(0)),
        }
    } else if path.is("active", None) {
        let wanted = value.as_bool().ok_or_else(filter::invalid)?;
        match op {
            CompareOp::Eq => one(user::Column::Active.eq(wanted)),
            CompareOp::Ne => one(user::Column::Active.ne(wanted)),
            _ => return Err(filter::invalid()),
        }
    } else {
        return Err(filter::invalid());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R49: what directories send reads into one input; string booleans included.
    #[test]
    fn r49_reads_user_resources() {
        let input = parse_input(&json!({
            "schemas": [SCHEMA], "userName": " ann@contoso.com ", "active": "False",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "x@contoso.com", "type": "home"}, {"value": "ann@contoso.com", "type": "work", "primary": "true"}],
        }))
        .expect("test value");
        assert_eq!(input.user_name, "ann@contoso.com");
        assert!(!input.active);
        assert_eq!(input.person_name(), "Ann Lee");
        assert_eq!(input.sign_in_address().as_deref(), Some("ann@contoso.com"), "the primary address");
        let bare = parse_input(&json!({"userName": "abc123"})).expect("test value");
        assert!(bare.active && bare.sign_in_address().is_none() && bare.person_name() == "abc123");
        assert!(parse_input(&json!({"displayName": "x"})).is_err(), "userName is required");
        assert!(parse_input(&json!({"userName": "a", "active": "maybe"})).is_err());
        assert!(parse_input(&json!({"userName": "a", "emails": "a@b.c"})).is_err());
    }
}
