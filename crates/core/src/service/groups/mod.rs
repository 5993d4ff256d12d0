//! R49: groups of people. A directory creates and changes them through
//! SCIM (`service::directory::groups`); an organization's GLOBAL_ADMIN (who
//! manages its users, R1, R43) creates and changes them in LicenseDesk; its
//! admins see them (`access::group`). Each change locks the organization
//! row first (like every R43 change), then works out what the membership
//! change means for group-based licenses (`licensing`).

pub mod licensing;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{group_member, user, user_group};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{Actor, OrgActor},
    db,
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        people, validate,
    },
};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Group };
/// The most members one request may name (a SCIM PUT names them all).
pub const MAX_MEMBERS: usize = 10_000;

/// A group as created or replaced: its name, directory ID and members.
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<Uuid>,
}

/// R1, R43: the organization's user managers change groups.
fn group_manager(actor: &Actor) -> AppResult<&OrgActor> {
    let org = actor.org()?;
    if !org.can_manage_users() {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

/// Locks the organization row, then the group (of that organization, else NOT_FOUND).
pub(crate) async fn lock(txn: &DatabaseTransaction, organization_id: Uuid, id: Uuid) -> AppResult<user_group::Model> {
    people::lock_organization(txn, organization_id).await?;
    user_group::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|g| g.organization_id == organization_id)
        .ok_or(NOT_FOUND)
}

pub async fn members(db: &impl sea_orm::ConnectionTrait, group_id: Uuid) -> AppResult<Vec<group_member::Model>> {
    Ok(group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(group_id))
        .order_by_asc(group_member::Column::AddedAt)
        .order_by_asc(group_member::Column::UserId)
        .all(db)
        .await?)
}

fn display_name(value: &str) -> AppResult<String> {
    validate::required_text("displayName", value, 256)
}

/// `displayName` is unique within the organization (case-insensitively).
async fn check_name(
    txn: &DatabaseTransaction,
    organization_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = user_group::Entity::find()
        .filter(user_group::Column::OrganizationId.eq(organization_id))
        .filter(user_group::Column::DisplayNameKey.eq(name.to_lowercase()));
    if let Some(id) = except {
        query = query.filter(user_group::Column::Id.ne(id));
    }
    if query.count(txn).await? > 0 {
        return Err(AppError::validation("displayName", Invalid::Duplicate));
    }
    Ok(())
}

fn duplicate(err: sea_orm::DbErr) -> AppError {
    if db::is_unique_violation(&err) { AppError::validation("displayName", Invalid::Duplicate) } else { err.into() }
}

/// Creates a group with its members in the caller's transaction (the organization row locked).
pub(crate) async fn create_in(
    txn: &DatabaseTransaction,
    organization_id: Uuid,
    scope: AuditScope,
    input: GroupInput,
    now: DateTime<Utc>,
) -> AppResult<user_group::Model> {
    let name = display_name(&input.display_name)?;
    people::lock_organization(txn, organization_id).await?;
    check_name(txn, organization_id, &name, None).await?;
    let group = user_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        display_name: Set(name.clone()),
        display_name_key: Set(name.to_lowercase()),
        external_id: Set(input.external_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(duplicate)?;
    let entry = AuditEntry::new(AuditAction::GroupCreate, "group", group.id)
        .after(json!({"displayName": name, "externalId": input.external_id}));
    audit::record(txn, scope, now, entry).await?;
    set_members_in(txn, scope, &group, input.members, now).await?;
    Ok(group)
}

/// Renames a group or changes its directory ID (members unchanged).
pub(crate) async fn update_in(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    group: user_group::Model,
    name: &str,
    external_id: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<user_group::Model> {
    let name = display_name(name)?;
    if group.display_name == name && group.external_id == external_id {
        return Ok(group);
    }
    check_name(txn, group.organization_id, &name, Some(group.id)).await?;
    let before = json!({"displayName": group.display_name, "externalId": group.external_id});
    let mut model: user_group::ActiveModel = group.into();
    model.display_name = Set(name.clone());
    model.display_name_key = Set(name.to_lowercase());
    model.external_id = Set(external_id.clone());
    model.updated_at = Set(now);
    let group = model.update(txn).await.map_err(duplicate)?;
    let entry = AuditEntry::new(AuditAction::GroupUpdate, "group", group.id)
        .before(before)
        .after(json!({"displayName": name, "externalId": external_id}));
    audit::record(txn, scope, now, entry).await?;
    Ok(group)
}

/// Makes `wanted` the group's members (people of its organization who are
/// not deleted, else USER_NOT_IN_ORGANIZATION), audited, and moves
/// group-based licenses to match (R49).
pub(crate) async fn set_members_in(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    group: &user_group::Model,
    wanted: Vec<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut seen = HashSet::new();
    let wanted: Vec<Uuid> = wanted.into_iter().filter(|id| seen.insert(*id)).collect();
    if wanted.len() > MAX_MEMBERS {
        return Err(AppError::validation("members", Invalid::TooLong { max: MAX_MEMBERS }));
    }
    let current: HashSet<Uuid> = members(txn, group.id).await?.into_iter().map(|m| m.user_id).collect();
    let added: Vec<Uuid> = wanted.iter().copied().filter(|id| !current.contains(id)).collect();
    let removed: Vec<Uuid> = current.iter().copied().filter(|id| !seen.contains(id)).collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    if !added.is_empty() {
        let found = user::Entity::find()
            .filter(user::Column::Id.is_in(added.clone()))
            .filter(user::Column::OrganizationId.eq(group.organization_id))
            .filter(user::Column::DeletedAt.is_null())
            .count(txn)
            .await?;
        if found != added.len() as u64 {
            return Err(AppError::UserNotInOrganization);
        }
        for chunk in added.chunks(500) {
            group_member::Entity::insert_many(chunk.iter().map(|user_id| group_member::ActiveModel {
                group_id: Set(group.id),
                user_id: Set(*user_id),
                added_at: Set(now),
            }))
            .exec_without_returning(txn)
            .await?;
        }
    }
    for chunk in removed.chunks(500) {
        group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(group.id))
            .filter(group_member::Column::UserId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    let entry = AuditEntry::new(AuditAction::GroupUpdateMembers, "group", group.id)
        .after(json!({"added": added, "removed": removed}));
    audit::record(txn, scope, now, entry).await?;
    licensing::group_changed(txn, scope, group.id, now).await
}

/// Deletes a group: its members leave (their group-based licenses go, R49), then the group.
pub(crate) async fn delete_in(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    group: user_group::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    set_members_in(txn, scope, &group, Vec::new(), now).await?;
    licensing::forget_group(txn, group.id).await?;
    user_group::Entity::delete_by_id(group.id).exec(txn).await?;
    let entry = AuditEntry::new(AuditAction::GroupDelete, "group", group.id)
        .before(json!({"displayName": group.display_name, "externalId": group.external_id}));
    audit::record(txn, scope, now, entry).await
}

// ---- the admin center (GraphQL) ----

/// Creates a group in the caller's organization (GLOBAL_ADMIN).
pub async fn create(
    state: &Services,
    actor: &Actor,
    name: &str,
    member_ids: Vec<Uuid>,
) -> AppResult<Visible<user_group::Model>> {
    let org = group_manager(actor)?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let input = GroupInput { display_name: name.to_owned(), external_id: None, members: member_ids };
    let group =
        create_in(&txn, org.organization_id, AuditScope::org(org.organization_id, Some(actor)), input, now).await?;
    txn.commit().await?;
    access::group::check(actor, group).ok_or(NOT_FOUND)
}

/// Adds and removes members (GLOBAL_ADMIN).
pub async fn change_members(
    state: &Services,
    actor: &Actor,
    group_id: Uuid,
    add: Vec<Uuid>,
    remove: Vec<Uuid>,
) -> AppResult<Visible<user_group::Model>> {
    let org = group_manager(actor)?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let group = lock(&txn, org.organization_id, group_id).await?;
    let mut wanted: Vec<Uuid> = members(&txn, group.id).await?.into_iter().map(|m| m.user_id).collect();
    wanted.retain(|id| !remove.contains(id));
    wanted.extend(add);
    set_members_in(&txn, AuditScope::org(org.organization_id, Some(actor)), &group, wanted, now).await?;
    txn.commit().await?;
    access::group::check(actor, group).ok_or(NOT_FOUND)
}

/// Deletes a group (GLOBAL_ADMIN).
pub async fn delete(state: &Services, actor: &Actor, group_id: Uuid) -> AppResult<()> {
    let org = group_manager(actor)?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let group = lock(&txn, org.organization_id, group_id).await?;
    delete_in(&txn, AuditScope::org(org.organization_id, Some(actor)), group, now).await?;
    txn.commit().await?;
    Ok(())
}

/// One group the caller sees.
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<user_group::Model>> {
    access::group::load(&state.db, actor, id).await
}

/// The groups the caller sees, by name.
pub async fn list(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<Visible<user_group::Model>>> {
    let query = user_group::Entity::find().filter(access::group::visible(actor));
    let order = Keyset::new("groups")
        .key(user_group::Column::CreatedAt.into_expr(), Direction::Asc, KeyKind::Time)
        .id(user_group::Column::Id.into_expr(), Direction::Asc);
    let mut page = crate::paging::fetch(&state.db, query, &order, window).await?;
    let items = access::group::all(actor, std::mem::take(&mut page.items));
    Ok(page.with_items(items))
}
