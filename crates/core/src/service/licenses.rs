//! R19–R22: assigning licenses to people. The subscription row is locked for
//! the whole change (PostgreSQL `FOR UPDATE`, SQLite `BEGIN IMMEDIATE`), the
//! count is re-checked inside the lock, a partial unique index keeps one
//! active license per user, and a CHECK keeps assigned ≤ quantity — so no race
//! on any number of instances can oversell seats.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{enums::SubscriptionStatus, license_assignment, subscription};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Set, Statement, Value,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::Visible,
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        events::{
            catalogue,
            outbox::{self, EventNames},
            webhooks,
        },
        notices::{self, NoticeKind},
        subscriptions::{self, Access},
    },
};

/// R19: at most 20 users per call.
pub const MAX_USERS_PER_CALL: usize = 20;

pub struct AssignOutcome {
    pub subscription: Visible<subscription::Model>,
    pub assigned: Vec<Uuid>,
    pub already_assigned: Vec<Uuid>,
}

pub struct UnassignOutcome {
    pub subscription: Visible<subscription::Model>,
    pub unassigned: Vec<Uuid>,
    pub not_assigned: Vec<Uuid>,
}

/// The users named in one call (R19): at most 20, each a UUID — anything
/// else cannot be a member of the organization — each counted once.
fn requested_users(user_ids: &[&str]) -> AppResult<Vec<Uuid>> {
    if user_ids.len() > MAX_USERS_PER_CALL {
        return Err(AppError::TooManyUsers { max: MAX_USERS_PER_CALL });
    }
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    for id in user_ids {
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::UserNotInOrganization)?;
        if seen.insert(id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

/// R19–R21: gives licenses of `subscription_id` to up to 20 people of its
/// organization, all or none. Issue 23: four round trips — BEGIN (SQLite
/// `BEGIN IMMEDIATE`), one statement that locks the subscription and reads
/// the people named with their licenses ([`lock_with_people`]), one that
/// writes everything ([`WriteBatch`]: assignments, count, event, webhook
/// deliveries, notices, audit, NOTIFY), COMMIT.
pub async fn assign(
    state: &Services,
    actor: &Actor,
    subscription_id: Uuid,
    user_ids: &[&str],
) -> AppResult<AssignOutcome> {
    let now = state.clock.now();
    let Change { txn, locked, sub, users } = begin_change(state, actor, subscription_id, user_ids).await?;
    if sub.status != SubscriptionStatus::Active {
        return Err(AppError::SubscriptionNotActive);
    }
    // Unknown IDs, other organizations' people and deactivated ones look the same (R3).
    let members: Vec<&Person> = locked.people.iter().filter(|p| p.active).collect();
    if members.len() != users.len() {
        return Err(AppError::UserNotInOrganization);
    }
    let holding: HashSet<Uuid> = members.iter().filter(|p| p.assignment_id.is_some()).map(|p| p.user_id).collect();
    let (already_assigned, fresh): (Vec<Uuid>, Vec<Uuid>) = users.iter().partition(|id| holding.contains(id));
    let mut batch = WriteBatch::new(txn.get_database_backend());
    if locked.has_groups && !already_assigned.is_empty() {
        // R49: a license held through a group and now assigned directly stays when the group goes.
        batch.made_direct(sub.id, &already_assigned);
    }
    if fresh.is_empty() {
        batch.run(&txn).await?;
        txn.commit().await?;
        return Ok(AssignOutcome { subscription: sub, assigned: Vec::new(), already_assigned });
    }
    let added = fresh.len() as i64;
    if let Some(quantity) = sub.quantity {
        let available = quantity - sub.assigned_count;
        if added > available {
            return Err(AppError::InsufficientLicenses { available: Ord::max(available, 0) });
        }
    }
    batch.insert_assignments(sub.id, sub.organization_id, &fresh, actor.user_id(), now);
    let after = batch.count_change(&locked, added, now);
    let entry = AuditEntry::new(AuditAction::SubscriptionAssignLicenses, "subscription", sub.id)
        .before(json!({"assigned": after.assigned_count - added}))
        .after(json!({"assigned": after.assigned_count, "users": fresh}));
    let entry = audit::with_channel(entry);
    batch.event(&locked, &after, &entry, &fresh, now);
    batch.license_notices(&locked, &fresh, now);
    batch.audit(AuditScope::org(sub.organization_id, Some(actor)), &entry, now);
    let reread = batch
        .run(&txn)
        .await
        .map_err(
            |e| if db::is_check_violation(&e) { AppError::InsufficientLicenses { available: 0 } } else { e.into() },
        )?
        .ok_or_else(|| AppError::internal("subscription row vanished while locked"))?;
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok(AssignOutcome { subscription: sub, assigned: fresh, already_assigned })
}

/// One person named in a license change, as the locking statement found them.
struct Person {
    user_id: Uuid,
    active: bool,
    /// Their active assignment of the subscription, if any.
    assignment_id: Option<Uuid>,
}

/// A license change under way: its transaction, the subscription locked
/// with the people named, the caller's right checked, the IDs read.
struct Change {
    txn: DatabaseTransaction,
    locked: Locked,
    sub: Visible<subscription::Model>,
    users: Vec<Uuid>,
}

/// How [`assign`] and [`unassign`] begin: the subscription locked with the
/// people named, the caller's right to change its licenses checked
/// (R19–R21), a disabled subscription refused; malformed IDs are reported
/// only after that, so an unreadable subscription stays NOT_FOUND (R3).
async fn begin_change(state: &Services, actor: &Actor, subscription_id: Uuid, user_ids: &[&str]) -> AppResult<Change> {
    let requested = requested_users(user_ids);
    let txn = db::begin_write(&state.db).await?;
    let locked = lock_with_people(&txn, subscription_id, requested.as_deref().unwrap_or_default()).await?;
    let sub = crate::access::subscription::check(&txn, actor, locked.sub.clone(), Access::AssignLicenses).await?;
    subscriptions::ensure_not_disabled(&sub)?;
    let users = requested?;
    Ok(Change { txn, locked, sub, users })
}

/// The subscription, locked, with what a license change writes about it.
struct Locked {
    sub: subscription::Model,
    names: EventNames,
    organization_country: String,
    /// Whether any group is or was assigned the subscription (R49): only then
    /// do group rows need changing.
    has_groups: bool,
    /// The people named who belong to the subscription's organization.
    people: Vec<Person>,
}

struct LockedRow {
    sub: subscription::Model,
    product_name: String,
    publisher_id: Uuid,
    organization_name: String,
    organization_country: String,
    has_groups: bool,
    stale: bool,
    user_id: Option<Uuid>,
    user_active: Option<bool>,
    assignment_id: Option<Uuid>,
}

impl sea_orm::FromQueryResult for LockedRow {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(LockedRow {
            sub: subscription::Model::from_query_result(row, pre)?,
            product_name: row.try_get(pre, "ld_product_name")?,
            publisher_id: row.try_get(pre, "ld_publisher_id")?,
            organization_name: row.try_get(pre, "ld_organization_name")?,
            organization_country: row.try_get(pre, "ld_organization_country")?,
            has_groups: row.try_get(pre, "ld_has_groups")?,
            stale: row.try_get(pre, "ld_stale")?,
            user_id: row.try_get(pre, "ld_user_id")?,
            user_active: row.try_get(pre, "ld_user_active")?,
            assignment_id: row.try_get(pre, "ld_assignment_id")?,
        })
    }
}

/// Issue 23: ONE statement that locks the subscription row (PostgreSQL
/// `FOR UPDATE OF s`; SQLite's write lock is held since `BEGIN IMMEDIATE`)
/// and reads with it its product's and organization's names (for the event
/// and the notices), whether groups hold licenses of it, and each of `users`
/// who belongs to its organization with their active assignment of it.
/// NOT_FOUND when there is no such subscription; the caller then checks
/// access on the row (`access::subscription::check`).
async fn lock_with_people(txn: &DatabaseTransaction, id: Uuid, users: &[Uuid]) -> AppResult<Locked> {
    let backend = txn.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut p = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    let sub_id = p(id.into());
    let yes = p(true.into());
    let named = if users.is_empty() {
        "1 = 0".to_owned()
    } else {
        format!("u.id IN ({})", users.iter().map(|u| p((*u).into())).collect::<Vec<_>>().join(", "))
    };
    // PostgreSQL: a statement that waited for the lock sees the locked row
    // as it is now but every other table as it was when the statement began;
    // if the holder before us changed the subscription (its version, xmin,
    // differs from the one our snapshot saw) the people read may be stale,
    // and are read again — now under our lock, so current (R21). The
    // snapshot's version is read once, by primary key (an uncorrelated
    // subquery): a correlated `EXISTS` on xmin was planned as a hash of every
    // subscription, read on each change (issue 23 (e)).
    let (lock, stale) = if backend == DbBackend::Postgres {
        (
            " FOR UPDATE OF s",
            format!("COALESCE(NOT (s.xmin = (SELECT s2.xmin FROM subscriptions s2 WHERE s2.id = {sub_id})), TRUE)"),
        )
    } else {
        ("", p(false.into()))
    };
    let sql = format!(
        "SELECT s.*, p.name AS ld_product_name, p.publisher_id AS ld_publisher_id, \
           o.name AS ld_organization_name, o.country AS ld_organization_country, \
           (EXISTS (SELECT 1 FROM group_subscriptions g WHERE g.subscription_id = s.id) \
             OR EXISTS (SELECT 1 FROM group_licenses l WHERE l.subscription_id = s.id)) AS ld_has_groups, \
           {stale} AS ld_stale, \
           u.id AS ld_user_id, u.active AS ld_user_active, a.id AS ld_assignment_id \
         FROM subscriptions s \
         JOIN products p ON p.id = s.product_id \
         JOIN organizations o ON o.id = s.organization_id \
         LEFT JOIN users u ON u.organization_id = s.organization_id AND {named} \
         LEFT JOIN license_assignments a ON a.subscription_id = s.id AND a.user_id = u.id AND a.active = {yes} \
         WHERE s.id = {sub_id}{lock}"
    );
    let statement = Statement::from_sql_and_values(backend, sql, values);
    let mut rows = LockedRow::find_by_statement(statement.clone()).all(txn).await?;
    if rows.first().is_some_and(|r| r.stale) {
        rows = LockedRow::find_by_statement(statement).all(txn).await?;
    }
    let mut people: Vec<Person> = Vec::new();
    for row in &rows {
        if let Some(user_id) = row.user_id
            && !people.iter().any(|p| p.user_id == user_id)
        {
            people.push(Person { user_id, active: row.user_active == Some(true), assignment_id: row.assignment_id });
        }
    }
    let first = rows.into_iter().next().ok_or(crate::access::subscription::NOT_FOUND)?;
    Ok(Locked {
        sub: first.sub,
        names: EventNames {
            product_name: first.product_name,
            publisher_id: first.publisher_id,
            organization_name: first.organization_name,
        },
        organization_country: first.organization_country,
        has_groups: first.has_groups,
        people,
    })
}

/// Issue 23: the writes of one license change as ONE round trip — on
/// PostgreSQL one statement of data-modifying CTEs ending in `pg_notify`
/// (delivered on commit, like `NOTIFY`), on SQLite one batch of statements
/// sent together. Every value is known before it is sent (the subscription
/// is locked), except the subscription as updated, which comes back with
/// `RETURNING`. Numbered parameters (`$n`) bind the same on both engines.
struct WriteBatch {
    backend: DbBackend,
    values: Vec<Value>,
    /// (CTE name on PostgreSQL, statement).
    pieces: Vec<(&'static str, String)>,
    /// Whether the statement ends with the subscription as updated (`upd`).
    returns_subscription: bool,
    notify: bool,
}

impl WriteBatch {
    fn new(backend: DbBackend) -> Self {
        WriteBatch { backend, values: Vec::new(), pieces: Vec::new(), returns_subscription: false, notify: false }
    }

    fn p(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    fn list(&mut self, ids: &[Uuid]) -> String {
        ids.iter().map(|id| self.p(*id)).collect::<Vec<_>>().join(", ")
    }

    /// R49: a license held through a group and now assigned directly stays when the group goes.
    fn made_direct(&mut self, subscription_id: Uuid, users: &[Uuid]) {
        let sub = self.p(subscription_id);
        let users = self.list(users);
        let none: Option<Uuid> = None;
        let null = self.p(none);
        self.pieces.push((
            "direct",
            format!(
                "UPDATE group_licenses SET assignment_id = {null} WHERE subscription_id = {sub} AND user_id IN ({users})"
            ),
        ));
    }

    /// R19: one multi-row insert for the whole request.
    fn insert_assignments(
        &mut self,
        subscription_id: Uuid,
        organization_id: Uuid,
        users: &[Uuid],
        by: Uuid,
        now: DateTime<Utc>,
    ) {
        let (sub, org) = (self.p(subscription_id), self.p(organization_id));
        let (yes, by, at) = (self.p(true), self.p(by), self.p(now));
        let rows: Vec<String> = users
            .iter()
            .map(|user| {
                let (id, user) = (self.p(Uuid::now_v7()), self.p(*user));
                format!("({id}, {sub}, {org}, {user}, {yes}, {by}, {at})")
            })
            .collect();
        self.pieces.push((
            "ins",
            format!(
                "INSERT INTO license_assignments (id, subscription_id, organization_id, user_id, active, assigned_by, assigned_at) VALUES {}",
                rows.join(", ")
            ),
        ));
    }

    /// R20: ends these assignments.
    fn end_assignments(&mut self, assignment_ids: &[Uuid], by: Uuid, now: DateTime<Utc>) {
        let (no, by, at) = (self.p(false), self.p(Some(by)), self.p(Some(now)));
        let ids = self.list(assignment_ids);
        self.pieces.push((
            "ended",
            format!(
                "UPDATE license_assignments SET active = {no}, unassigned_by = {by}, unassigned_at = {at} WHERE id IN ({ids})"
            ),
        ));
    }

    /// The count moves by `delta` (the CHECK on assigned ≤ quantity is the
    /// last guard, R21); returns the subscription as it will be.
    fn count_change(&mut self, locked: &Locked, delta: i64, now: DateTime<Utc>) -> subscription::Model {
        let (d, at, id) = (self.p(delta), self.p(now), self.p(locked.sub.id));
        self.pieces.push((
            "upd",
            format!("UPDATE subscriptions SET assigned_count = assigned_count + {d}, updated_at = {at} WHERE id = {id} RETURNING *"),
        ));
        self.returns_subscription = true;
        let mut after = locked.sub.clone();
        after.assigned_count += delta;
        after.updated_at = now;
        after
    }

    /// R45: the event of the audited change (as `events::outbox::record`
    /// writes it), its webhook deliveries to the publisher's enabled
    /// endpoints that want it, and the wake-up of every instance on commit.
    fn event(
        &mut self,
        locked: &Locked,
        after: &subscription::Model,
        entry: &AuditEntry,
        users: &[Uuid],
        now: DateTime<Utc>,
    ) {
        let Some(event_type) = catalogue::for_audit_action(entry.action) else { return };
        let publisher_id = event_type.reaches_publisher().then_some(locked.names.publisher_id);
        let user_ids: Vec<Uuid> = if event_type.is_license_event() { users.to_vec() } else { Vec::new() };
        let event_id = Uuid::now_v7();
        let mut payload = outbox::publisher_view(after, &locked.names);
        outbox::name_portal_channel(&mut payload, entry.after.as_ref());
        let cols = [
            self.p(event_id),
            self.p(event_type.as_str()),
            self.p(after.organization_id),
            self.p(publisher_id),
            self.p(Some(after.id)),
            self.p(entry.object_type),
            self.p(entry.object_id),
            self.p(event_type.is_billing()),
            self.p(payload.to_string()),
            self.p(json!(user_ids).to_string()),
            self.p(now),
        ];
        let returning = if self.backend == DbBackend::Postgres { " RETURNING id, seq, subscription_id" } else { "" };
        self.pieces.push((
            "ev",
            format!(
                "INSERT INTO outbox_events (id, event_type, organization_id, publisher_id, subscription_id, object_type, \
                 object_id, billing, payload, user_ids, created_at) VALUES ({}){returning}",
                cols.join(", ")
            ),
        ));
        self.notify = true;
        let Some(publisher_id) = publisher_id else { return };
        // Wall-clock time: delivery scheduling is operational, not business time.
        let wall = self.p(Utc::now());
        let (publisher, yes, status, zero) =
            (self.p(publisher_id), self.p(true), self.p(webhooks::delivery_status::PENDING), self.p(0i32));
        // The endpoint's JSON array of type names holds this one.
        let pattern = self.p(format!("%\"{}\"%", event_type.as_str().replace('_', "\\_")));
        // A delivery ID for each endpoint the publisher may have (at most
        // MAX_ENDPOINTS_PER_PUBLISHER; twice that leaves room for a race).
        let ids: Vec<String> = (1..=2 * webhooks::MAX_ENDPOINTS_PER_PUBLISHER)
            .map(|n| {
                let id = self.p(Uuid::now_v7());
                format!("({n}, {id})")
            })
            .collect();
        let event = if self.backend == DbBackend::Postgres {
            "ev".to_owned()
        } else {
            let id = self.p(event_id);
            format!("(SELECT id, seq, subscription_id FROM outbox_events WHERE id = {id}) AS ev")
        };
        self.pieces.push((
            "dlv",
            format!(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, subscription_id, status, attempts, \
                 next_attempt_at, created_at) \
                 SELECT k.column2, e.id, ev.id, ev.seq, ev.subscription_id, {status}, {zero}, {wall}, {wall} \
                 FROM (SELECT w.id, ROW_NUMBER() OVER (ORDER BY w.id) AS n FROM webhook_endpoints w \
                   WHERE w.publisher_id = {publisher} AND w.enabled = {yes} AND w.event_types LIKE {pattern} ESCAPE '\\') AS e \
                 JOIN (VALUES {}) AS k ON k.column1 = e.n \
                 CROSS JOIN {event}",
                ids.join(", ")
            ),
        ));
    }

    /// R52: "a license was assigned to you" to each of `users`, in their
    /// organization's language, unless the organization turned the kind off;
    /// once each (`dedupe_key`). As `notices::queue_for_audit` queues it.
    fn license_notices(&mut self, locked: &Locked, users: &[Uuid], now: DateTime<Utc>) {
        let kind = NoticeKind::LicenseAssigned;
        let lang = crate::pdf::language_for_country(&locked.organization_country).unwrap_or_default();
        let data = json!({"organization": locked.names.organization_name, "product": locked.names.product_name});
        let rows: Vec<String> = users
            .iter()
            .map(|user| {
                let key = format!("{}:{}:{}:{}", kind.as_str(), locked.sub.id, user, now.timestamp_millis());
                let (user, id, key) = (self.p(*user), self.p(Uuid::now_v7()), self.p(key));
                format!("({user}, {id}, {key})")
            })
            .collect();
        let org = self.p(locked.sub.organization_id);
        let kind = self.p(kind.as_str());
        let (lang, object_type, object_id) =
            (self.p(lang.tag()), self.p(crate::access::notice::SUBSCRIPTION), self.p(locked.sub.id));
        let (data, status, zero, no) =
            (self.p(data.to_string()), self.p(notices::status::PENDING), self.p(0i32), self.p(false));
        // Wall-clock time: sending is operational, not business time.
        let (wall, at, empty) = (self.p(Utc::now()), self.p(now), self.p(""));
        self.pieces.push((
            "ntc",
            format!(
                "INSERT INTO notices (id, organization_id, kind, dedupe_key, recipient_email, recipient_name, language, \
                 object_type, object_id, data, status, attempts, next_attempt_at, created_at) \
                 SELECT k.column2, {org}, {kind}, k.column3, TRIM(u.email), u.name, {lang}, {object_type}, {object_id}, \
                   {data}, {status}, {zero}, {wall}, {at} \
                 FROM (VALUES {}) AS k JOIN users u ON u.id = k.column1 \
                 WHERE TRIM(u.email) <> {empty} AND NOT EXISTS (SELECT 1 FROM notice_settings ns \
                   WHERE ns.organization_id = {org} AND ns.kind = {kind} AND ns.enabled = {no}) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
                rows.join(", ")
            ),
        ));
    }

    /// R36: the audit event, as `audit::record` writes it.
    fn audit(&mut self, scope: AuditScope, entry: &AuditEntry, now: DateTime<Utc>) {
        let cols = [
            self.p(Uuid::now_v7()),
            self.p(scope.organization_id),
            self.p(scope.publisher_id),
            self.p(scope.actor_user_id),
            self.p(entry.action.as_str()),
            self.p(entry.object_type),
            self.p(entry.object_id),
            self.p(entry.before.as_ref().map(|v| v.to_string())),
            self.p(entry.after.as_ref().map(|v| v.to_string())),
            self.p(now),
        ];
        self.pieces.push((
            "aud",
            format!(
                "INSERT INTO audit_events (id, organization_id, publisher_id, actor_user_id, action, object_type, \
                 object_id, before, after, created_at) VALUES ({})",
                cols.join(", ")
            ),
        ));
    }

    /// Sends the batch (nothing when empty); the subscription as updated
    /// when the batch changed its count.
    async fn run(self, txn: &DatabaseTransaction) -> Result<Option<subscription::Model>, sea_orm::DbErr> {
        if self.pieces.is_empty() {
            return Ok(None);
        }
        let sql = if self.backend == DbBackend::Postgres {
            let ctes: Vec<String> = self.pieces.iter().map(|(name, sql)| format!("{name} AS ({sql})")).collect();
            let notify = if self.notify {
                format!(", (SELECT 1 FROM (SELECT pg_notify('{}', '')) AS n) AS ld_notified", outbox::NOTIFY_CHANNEL)
            } else {
                String::new()
            };
            let tail = if self.returns_subscription {
                format!("SELECT upd.*{notify} FROM upd")
            } else {
                format!("SELECT 1 AS ld_done{notify}")
            };
            format!("WITH {} {tail}", ctes.join(", "))
        } else {
            self.pieces.iter().map(|(_, sql)| sql.as_str()).collect::<Vec<_>>().join(";\n")
        };
        let statement = Statement::from_sql_and_values(self.backend, sql, self.values);
        if !self.returns_subscription {
            txn.execute_raw(statement).await?;
            return Ok(None);
        }
        Ok(subscription::Model::find_by_statement(statement).all(txn).await?.into_iter().next())
    }
}

/// R19, R21: gives each of `fresh` (members of the subscription's
/// organization holding no license of it) a license, in the caller's
/// transaction with the subscription row locked: INSUFFICIENT_LICENSES when
/// the seats do not suffice (the CHECK on assigned ≤ quantity is the last
/// guard). Audited with `note` added to the change; returns the
/// subscription as updated and the new assignments' IDs, in `fresh` order.
pub(crate) async fn insert_assignments(
    txn: &sea_orm::DatabaseTransaction,
    sub: &subscription::Model,
    fresh: &[Uuid],
    assigned_by: Uuid,
    scope: AuditScope,
    now: chrono::DateTime<chrono::Utc>,
    note: Option<serde_json::Value>,
) -> AppResult<(subscription::Model, Vec<Uuid>)> {
    let added = fresh.len() as i64;
    if let Some(quantity) = sub.quantity {
        let available = quantity - sub.assigned_count;
        if added > available {
            return Err(AppError::InsufficientLicenses { available: Ord::max(available, 0) });
        }
    }
    let ids: Vec<Uuid> = fresh.iter().map(|_| Uuid::now_v7()).collect();
    // One multi-row insert for the whole request (at most 20 users, R20).
    license_assignment::Entity::insert_many(fresh.iter().zip(&ids).map(|(user_id, id)| {
        license_assignment::ActiveModel {
            id: Set(*id),
            subscription_id: Set(sub.id),
            user_id: Set(*user_id),
            active: Set(true),
            assigned_by: Set(assigned_by),
            assigned_at: Set(now),
            unassigned_by: Set(None),
            unassigned_at: Set(None),
            last_used_at: Set(None),
            reclaim_notice_at: Set(None),
            organization_id: Set(sub.organization_id),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    // The new count comes back with the update (RETURNING): no second read.
    let reread = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).add(added))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(sub.id))
        .exec_with_returning(txn)
        .await
        .map_err(
            |e| if db::is_check_violation(&e) { AppError::InsufficientLicenses { available: 0 } } else { e.into() },
        )?
        .pop()
        .ok_or_else(|| AppError::internal("subscription row vanished while locked"))?;
    let mut after = json!({"assigned": reread.assigned_count, "users": fresh});
    if let (Some(note), Some(object)) = (note, after.as_object_mut()) {
        object.extend(note.as_object().cloned().unwrap_or_default());
    }
    let entry = AuditEntry::new(AuditAction::SubscriptionAssignLicenses, "subscription", sub.id)
        .before(json!({"assigned": reread.assigned_count - added}))
        .after(after);
    audit::record(txn, scope, now, entry).await?;
    Ok((reread, ids))
}

/// R20: ends the `holding` assignments of `sub`, in the caller's transaction
/// with the subscription row locked, audited with `note` added; returns the
/// subscription as updated.
pub(crate) async fn end_assignments(
    txn: &sea_orm::DatabaseTransaction,
    sub: &subscription::Model,
    holding: &[license_assignment::Model],
    by: Option<Uuid>,
    scope: AuditScope,
    now: chrono::DateTime<chrono::Utc>,
    note: Option<serde_json::Value>,
) -> AppResult<subscription::Model> {
    license_assignment::Entity::update_many()
        .col_expr(license_assignment::Column::Active, Expr::value(false))
        .col_expr(license_assignment::Column::UnassignedBy, Expr::value(by))
        .col_expr(license_assignment::Column::UnassignedAt, Expr::value(now))
        .filter(license_assignment::Column::Id.is_in(holding.iter().map(|a| a.id).collect::<Vec<_>>()))
        .exec(txn)
        .await?;
    let removed = holding.len() as i64;
    let reread = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).sub(removed))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(sub.id))
        .exec_with_returning(txn)
        .await?
        .pop()
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let users: Vec<Uuid> = holding.iter().map(|a| a.user_id).collect();
    let mut after = json!({"assigned": reread.assigned_count, "users": users});
    if let (Some(note), Some(object)) = (note, after.as_object_mut()) {
        object.extend(note.as_object().cloned().unwrap_or_default());
    }
    let entry = AuditEntry::new(AuditAction::SubscriptionUnassignLicenses, "subscription", sub.id)
        .before(json!({"assigned": reread.assigned_count + removed}))
        .after(after);
    audit::record(txn, scope, now, entry).await?;
    Ok(reread)
}

/// R20: takes licenses of `subscription_id` back from up to 20 people, all
/// or none. Issue 23: four round trips like [`assign`] (plus R49's group
/// refill when groups hold licenses of the subscription).
pub async fn unassign(
    state: &Services,
    actor: &Actor,
    subscription_id: Uuid,
    user_ids: &[&str],
) -> AppResult<UnassignOutcome> {
    let now = state.clock.now();
    let Change { txn, locked, sub, users } = begin_change(state, actor, subscription_id, user_ids).await?;
    if locked.people.len() != users.len() {
        return Err(AppError::UserNotInOrganization);
    }
    let holding: Vec<(Uuid, Uuid)> = users
        .iter()
        .filter_map(|u| locked.people.iter().find(|p| p.user_id == *u).and_then(|p| p.assignment_id.map(|a| (*u, a))))
        .collect();
    let unassigned: Vec<Uuid> = holding.iter().map(|(user, _)| *user).collect();
    let not_assigned: Vec<Uuid> = users.iter().copied().filter(|u| !unassigned.contains(u)).collect();
    if unassigned.is_empty() {
        return Ok(UnassignOutcome { subscription: sub, unassigned, not_assigned });
    }
    let removed = unassigned.len() as i64;
    let mut batch = WriteBatch::new(txn.get_database_backend());
    batch.end_assignments(&holding.iter().map(|(_, a)| *a).collect::<Vec<_>>(), actor.user_id(), now);
    let after = batch.count_change(&locked, -removed, now);
    let entry = AuditEntry::new(AuditAction::SubscriptionUnassignLicenses, "subscription", sub.id)
        .before(json!({"assigned": after.assigned_count + removed}))
        .after(json!({"assigned": after.assigned_count, "users": unassigned}));
    let entry = audit::with_channel(entry);
    batch.event(&locked, &after, &entry, &unassigned, now);
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    batch.audit(scope, &entry, now);
    let mut reread =
        batch.run(&txn).await?.ok_or_else(|| AppError::internal("subscription row vanished while locked"))?;
    if locked.has_groups {
        // R49: the members of the subscription's groups left without a seat get the freed ones.
        reread = super::groups::licensing::fill_seats(&txn, scope, reread, now).await?;
    }
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok(UnassignOutcome { subscription: sub, unassigned, not_assigned })
}

/// R16: an assignment counts while it is active and its subscription is not disabled.
pub fn counts(assignment: &license_assignment::Model, sub: &subscription::Model) -> bool {
    assignment.active && sub.status != SubscriptionStatus::Disabled
}

/// R22: the licenses assigned to the caller, on subscriptions that still count
/// (a disabled subscription's assignments are history, R16).
pub async fn my_licenses(
    state: &Services,
    actor: &Actor,
    include_history: bool,
) -> AppResult<Vec<(license_assignment::Model, subscription::Model)>> {
    let org = actor.org()?;
    let mut query = license_assignment::Entity::find().filter(license_assignment::Column::UserId.eq(org.user_id));
    if !include_history {
        query = query.filter(license_assignment::Column::Active.eq(true));
    }
    let assignments = query.order_by_desc(license_assignment::Column::AssignedAt).all(&state.db).await?;
    let ids: Vec<Uuid> = assignments.iter().map(|a| a.subscription_id).collect();
    let subs: std::collections::HashMap<Uuid, subscription::Model> = subscription::Entity::find()
        .filter(subscription::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(assignments
        .into_iter()
        .filter_map(|a| subs.get(&a.subscription_id).cloned().map(|s| (a, s)))
        .filter(|(a, s)| include_history || counts(a, s))
        .collect())
}

/// R16: a DISABLED subscription's assignments are history: none counts now.
pub fn is_history(sub: &subscription::Model) -> bool {
    sub.status == SubscriptionStatus::Disabled
}

/// R16, R22: licenses assigned now (0 once the subscription is DISABLED).
pub fn assigned_now(sub: &subscription::Model) -> i64 {
    if is_history(sub) { 0 } else { sub.assigned_count }
}

/// One assignment with the moment it stopped counting (R16).
pub struct HistoryEntry {
    pub assignment: license_assignment::Model,
    pub released_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// R16, issue 20: one page of the assignments of `sub` (already checked
/// visible by the caller): at most `first` (1–100) entries, oldest first, after the entry whose id is `after` (the last one of
/// the previous page). An `after` that is no entry of this subscription is
/// VALIDATION_FAILED on `after`.
pub async fn assignment_history_page(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
    first: i32,
    after: Option<Uuid>,
) -> AppResult<Vec<HistoryEntry>> {
    use sea_orm::QuerySelect;
    let first = crate::paging::page_size(first)?;
    let mut query = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .order_by_asc(license_assignment::Column::AssignedAt)
        .order_by_asc(license_assignment::Column::Id)
        .limit(first);
    if let Some(after) = after {
        let previous = license_assignment::Entity::find_by_id(after)
            .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("after", crate::error::Invalid::BadFormat))?;
        use license_assignment::Column as C;
        query = query.filter(crate::paging::after_row(C::AssignedAt, C::Id, previous.assigned_at, previous.id));
    }
    Ok(history_entries(sub, query.all(db).await?))
}

/// An assignment still open when the subscription was disabled ended then (R16).
fn history_entries(sub: &subscription::Model, rows: Vec<license_assignment::Model>) -> Vec<HistoryEntry> {
    let disabled_at = if is_history(sub) { sub.disabled_at } else { None };
    rows.into_iter()
        .map(|a| {
            let released_at = match (a.unassigned_at, disabled_at) {
                (Some(unassigned), Some(disabled)) => Some(Ord::min(unassigned, disabled)),
                (unassigned, disabled) => unassigned.or(disabled),
            };
            HistoryEntry { assignment: a, released_at }
        })
        .collect()
}
