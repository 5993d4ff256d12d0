//! R49: SCIM Groups — the directory's groups of its organization and their
//! members (people of the organization). Membership changes move
//! group-based licenses (`service::groups::licensing`), in the same transaction.

use entity::{group_member, user_group};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Base, Edit, ListPage, ListRequest, check_version,
    filter::{self, AttrPath, CompareOp, Filter},
    scope, text, users, with_meta,
};
use crate::{
    access::directory::Directory,
    db,
    error::{AppError, AppResult, EntityKind, Invalid},
    service::{Services, groups as svc},
};

pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Group };

/// Reads a Group resource; members are people's IDs (anything else is VALIDATION_FAILED on `members`).
pub fn parse_input(body: &Value) -> AppResult<svc::GroupInput> {
    let display_name =
        text(body, "displayName", 256)?.ok_or_else(|| AppError::validation("displayName", Invalid::Required))?;
    let members = match filter::field(body, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let value = filter::field(item, "value").and_then(Value::as_str).unwrap_or_default();
                Uuid::parse_str(value.trim()).map_err(|_| AppError::validation("members", Invalid::BadFormat))
            })
            .collect::<AppResult<Vec<Uuid>>>()?,
        Some(_) => return Err(AppError::validation("members", Invalid::BadFormat)),
    };
    Ok(svc::GroupInput { display_name, external_id: text(body, "externalId", 256)?, members })
}

async fn to_json(db: &impl sea_orm::ConnectionTrait, base: &Base, group: &user_group::Model) -> AppResult<Value> {
    let members = svc::members(db, group.id).await?;
    let mut resource = json!({"schemas": [SCHEMA], "id": group.id.to_string(), "displayName": group.display_name});
    if let Some(external_id) = &group.external_id {
        resource["externalId"] = json!(external_id);
    }
    if !members.is_empty() {
        resource["members"] = members
            .iter()
            .map(|m| {
                json!({
                    "value": m.user_id.to_string(),
                    "$ref": base.location("Users", m.user_id),
                    "type": "User",
                })
            })
            .collect();
    }
    Ok(with_meta(resource, "Group", base.location("Groups", group.id), group.created_at, group.updated_at))
}

/// POST /Groups.
pub async fn create(state: &Services, dir: &Directory, base: &Base, body: &Value) -> AppResult<Value> {
    let input = parse_input(body)?;
    let txn = db::begin_write(&state.db).await?;
    let group = svc::create_in(&txn, dir.organization_id(), scope(dir), input, state.clock.now()).await?;
    let json = to_json(&txn, base, &group).await?;
    txn.commit().await?;
    Ok(json)
}

/// GET /Groups/{id}.
pub async fn get(state: &Services, dir: &Directory, base: &Base, id: Uuid) -> AppResult<Value> {
    let group = user_group::Entity::find_by_id(id).filter(dir.groups()).one(&state.db).await?.ok_or(NOT_FOUND)?;
    if !dir.sees_group(&group) {
        return Err(NOT_FOUND);
    }
    to_json(&state.db, base, &group).await
}

async fn lock(txn: &DatabaseTransaction, dir: &Directory, id: Uuid) -> AppResult<user_group::Model> {
    let group = svc::lock(txn, dir.organization_id(), id).await?;
    if !dir.sees_group(&group) {
        return Err(NOT_FOUND);
    }
    Ok(group)
}

/// PUT or PATCH /Groups/{id}: the group becomes the body, or the body's operations
/// (including Entra ID's and Okta's) are applied to the current one, in one transaction.
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
    let group = lock(&txn, dir, id).await?;
    let current = to_json(&txn, base, &group).await?;
    check_version(&current, if_match)?;
    let input = edit.input_from(current)?;
    let group = svc::update_in(&txn, scope(dir), group, &input.display_name, input.external_id.clone(), now).await?;
    svc::set_members_in(&txn, scope(dir), &group, input.members, now).await?;
    let json = to_json(&txn, base, &group).await?;
    txn.commit().await?;
    Ok(json)
}

/// DELETE /Groups/{id}: the members' licenses that came only from it go (R49).
pub async fn delete(state: &Services, dir: &Directory, base: &Base, id: Uuid, if_match: Option<&str>) -> AppResult<()> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let group = lock(&txn, dir, id).await?;
    check_version(&to_json(&txn, base, &group).await?, if_match)?;
    svc::delete_in(&txn, scope(dir), group, now).await?;
    txn.commit().await?;
    Ok(())
}

/// GET /Groups with `filter`, `startIndex` and `count`, oldest first.
pub async fn list(state: &Services, dir: &Directory, base: &Base, request: &ListRequest) -> AppResult<ListPage> {
    let mut query = user_group::Entity::find().filter(dir.groups());
    if let Some(filter) = request.parsed_filter()? {
        query = query.filter(condition(&filter)?);
    }
    let total = query.clone().count(&state.db).await?;
    let (offset, limit) = request.window();
    let groups = if limit == 0 {
        Vec::new()
    } else {
        query
            .order_by_asc(user_group::Column::CreatedAt)
            .order_by_asc(user_group::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&state.db)
            .await?
    };
    let mut resources = Vec::with_capacity(groups.len());
    for group in &groups {
        resources.push(to_json(&state.db, base, group).await?);
    }
    Ok(ListPage { total, start_index: Ord::max(request.start_index.unwrap_or(1), 1), resources })
}

/// The SQL twin of a filter over groups: `displayName`, `externalId`, `id`, `members(.value)`.
fn condition(filter: &Filter) -> AppResult<Condition> {
    Ok(match filter {
        Filter::And(a, b) => Condition::all().add(condition(a)?).add(condition(b)?),
        Filter::Or(a, b) => Condition::any().add(condition(a)?).add(condition(b)?),
        Filter::Not(a) => condition(a)?.not(),
        Filter::Present(path) if path.is("externalId", None) => {
            Condition::all().add(user_group::Column::ExternalId.is_not_null())
        }
        Filter::Present(path) if path.is("members", None) || path.is("members", Some("value")) => {
            Condition::all().add(user_group::Column::Id.in_subquery(with_member(None)))
        }
        Filter::Present(path) if path.is("displayName", None) || path.is("id", None) => Condition::all(),
        Filter::Compare { path, op, value } => compare_attr(path, *op, value)?,
        Filter::ValuePath { attr, filter } if attr.eq_ignore_ascii_case("members") => match filter.as_ref() {
            Filter::Compare { path, op, value } if path.is("value", None) => {
                compare_attr(&AttrPath { attr: "members".into(), sub: Some("value".into()) }, *op, value)?
            }
            _ => return Err(filter::invalid()),
        },
        _ => return Err(filter::invalid()),
    })
}

fn with_member(user_id: Option<Uuid>) -> sea_orm::sea_query::SelectStatement {
    let mut query = Query::select();
    query.column(group_member::Column::GroupId).from(group_member::Entity);
    if let Some(id) = user_id {
        query.and_where(Expr::col(group_member::Column::UserId).eq(id));
    }
    query.to_owned()
}

fn compare_attr(path: &AttrPath, op: CompareOp, value: &Value) -> AppResult<Condition> {
    let one = |e: SimpleExpr| Condition::all().add(e);
    Ok(if path.is("displayName", None) {
        one(users::compare(
            Expr::col(user_group::Column::DisplayNameKey),
            op,
            users::string_value(value)?.to_lowercase(),
        ))
    } else if path.is("externalId", None) {
        one(users::compare(Expr::col(user_group::Column::ExternalId), op, users::string_value(value)?))
    } else if path.is("id", None) || path.is("members", None) || path.is("members", Some("value")) {
        let id = Uuid::parse_str(&users::string_value(value)?).ok();
        let column = |id: Uuid| {
            if path.is("id", None) {
                user_group::Column::Id.eq(id)
            } else {
                user_group::Column::Id.in_subquery(with_member(Some(id)))
            }
        };
        match (op, id) {
            (CompareOp::Eq, Some(id)) => one(column(id)),
            (CompareOp::Ne, Some(id)) => one(column(id)).not(),
            (CompareOp::Ne, None) => Condition::all(),
            _ => one(Expr::val(1).eq(0)),
        }
    } else {
        return Err(filter::invalid());
    })
}
