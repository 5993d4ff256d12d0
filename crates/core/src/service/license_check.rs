//! R50, R51: what a publisher's app asks with its client-credentials token.
//!
//! - The license check: does this person of this customer organization hold
//!   an active license for one of the publisher's products (or for one named
//!   product), and what is the subscription's status? One person or a batch.
//!   Each check that finds a license notes its use in memory
//!   ([`UsageBuffer`](super::usage::UsageBuffer)); nothing is written per check.
//! - The usage report: the app tells when people last used their licenses;
//!   written at once, in one transaction, through `usage::record_last_used`.
//!
//! Visibility (R3, R37): the app sees an organization only while it holds a
//! subscription of one of the publisher's products; any other organization,
//! and a product of another publisher, answers NOT_FOUND like an unknown ID.
//! A person who is unknown, deleted or holds no license answers the same
//! `licensed: false`, so the check cannot be used to learn who works where.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{enums::SubscriptionStatus, license_assignment, product, subscription, user};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Statement, Value,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    auth::{PublisherAppActor, Scope},
    error::{AppError, AppResult, EntityKind, Invalid},
    service::{Services, usage},
};

/// The most people one batched check or usage report may name.
pub const MAX_PEOPLE: usize = 100;

/// A person of the customer organization, as the publisher's app knows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonRef {
    Email(String),
    /// The identifier the organization's directory gives the person (SCIM `externalId`).
    ExternalId(String),
}

impl PersonRef {
    /// From the two optional fields of a request: exactly one must be set.
    pub fn parse(email: Option<&str>, external_id: Option<&str>, field: &str) -> AppResult<PersonRef> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let external_id = external_id.map(str::trim).filter(|e| !e.is_empty());
        match (email, external_id) {
            (Some(email), None) if email.len() <= 320 => Ok(PersonRef::Email(email.to_lowercase())),
            (None, Some(id)) if id.len() <= 256 => Ok(PersonRef::ExternalId(id.to_owned())),
            (None, None) => Err(AppError::validation(field, Invalid::Required)),
            _ => Err(AppError::validation(field, Invalid::BadFormat)),
        }
    }

    fn matches(&self, user: &user::Model) -> bool {
        match self {
            PersonRef::Email(email) => user.email == *email,
            PersonRef::ExternalId(id) => user.external_id.as_deref() == Some(id.as_str()),
        }
    }
}

/// One license a person holds on one of the publisher's subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLicense {
    pub subscription_id: Uuid,
    pub product_id: Uuid,
    pub status: SubscriptionStatus,
    /// Whether the license can be used now: assigned and the subscription ACTIVE.
    pub active: bool,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseAnswer {
    pub person: PersonRef,
    /// Whether any of the licenses is active.
    pub licensed: bool,
    pub licenses: Vec<HeldLicense>,
}

/// What the app asks: an organization, optionally one product, and people.
pub struct LicenseQuestion {
    pub organization_id: Uuid,
    pub product_id: Option<Uuid>,
    pub people: Vec<PersonRef>,
}

/// IDs of the publisher's products.
fn products_of(publisher_id: Uuid) -> SelectStatement {
    Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::PublisherId.eq(publisher_id))
        .to_owned()
}

fn check_batch(people: &[PersonRef]) -> AppResult<()> {
    if people.is_empty() {
        return Err(AppError::validation("users", Invalid::Required));
    }
    if people.len() > MAX_PEOPLE {
        return Err(AppError::TooManyUsers { max: MAX_PEOPLE });
    }
    Ok(())
}

/// The organization's subscriptions of the publisher's products (of one
/// product when given): the app's whole view of the organization. Empty =
/// the organization is not the app's to ask about (NOT_FOUND).
async fn subscriptions_in_view(
    db: &impl ConnectionTrait,
    app: &PublisherAppActor,
    organization_id: Uuid,
    product_id: Option<Uuid>,
) -> AppResult<Vec<subscription::Model>> {
    let subs = subscription::Entity::find()
        .filter(subscription::Column::OrganizationId.eq(organization_id))
        .filter(subscription::Column::ProductId.in_subquery(products_of(app.publisher_id)))
        .all(db)
        .await?;
    if subs.is_empty() {
        return Err(AppError::NotFound { entity: EntityKind::Organization });
    }
    let Some(product_id) = product_id else { return Ok(subs) };
    let ours = product::Entity::find_by_id(product_id)
        .filter(product::Column::PublisherId.eq(app.publisher_id))
        .select_only()
        .column(product::Column::Id)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if ours.is_none() {
        return Err(AppError::NotFound { entity: EntityKind::Product });
    }
    Ok(subs.into_iter().filter(|s| s.product_id == product_id).collect())
}

/// The people named, as users of the organization (deleted ones left out).
async fn people_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    people: &[PersonRef],
) -> AppResult<Vec<user::Model>> {
    let emails: Vec<&str> = people
        .iter()
        .filter_map(|p| match p {
            PersonRef::Email(e) => Some(e.as_str()),
            PersonRef::ExternalId(_) => None,
        })
        .collect();
    let external: Vec<&str> = people
        .iter()
        .filter_map(|p| match p {
            PersonRef::ExternalId(e) => Some(e.as_str()),
            PersonRef::Email(_) => None,
        })
        .collect();
    let mut named = Condition::any();
    if !emails.is_empty() {
        named = named.add(user::Column::Email.is_in(emails));
    }
    if !external.is_empty() {
        named = named.add(user::Column::ExternalId.is_in(external));
    }
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.eq(organization_id))
        .filter(user::Column::DeletedAt.is_null())
        .filter(named)
        .all(db)
        .await?)
}

/// The active assignments of `users` on `subs`.
async fn assignments_of(
    db: &impl ConnectionTrait,
    users: &[user::Model],
    subs: &[subscription::Model],
) -> AppResult<Vec<license_assignment::Model>> {
    if users.is_empty() || subs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(license_assignment::Entity::find()
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::UserId.is_in(users.iter().map(|u| u.id)))
        .filter(license_assignment::Column::SubscriptionId.is_in(subs.iter().map(|s| s.id)))
        .all(db)
        .await?)
}

/// Where the one statement of a check finds the app: by its bearer token
/// (hashed; live, of a client not revoked) or, for a caller that resolved
/// the token already, by its client.
enum AppSource {
    Token(String),
    Client(Uuid),
}

/// One row of the check's statement: the app (every row), the view's
/// counts (every row), and a person named with one of their licenses, if any.
struct CheckRow {
    scopes: String,
    api_client_id: Uuid,
    publisher_id: Uuid,
    subscriptions_in_view: i64,
    product_ours: bool,
    user_id: Option<Uuid>,
    email: Option<String>,
    external_id: Option<String>,
    user_active: Option<bool>,
    subscription_id: Option<Uuid>,
    product_id: Option<Uuid>,
    status: Option<String>,
    assignment_id: Option<Uuid>,
    last_used_at: Option<DateTime<Utc>>,
}

impl sea_orm::FromQueryResult for CheckRow {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(CheckRow {
            scopes: row.try_get(pre, "ld_scopes")?,
            api_client_id: row.try_get(pre, "ld_client_id")?,
            publisher_id: row.try_get(pre, "ld_publisher_id")?,
            subscriptions_in_view: row.try_get(pre, "ld_subs_in_view")?,
            product_ours: row.try_get(pre, "ld_product_ours")?,
            user_id: row.try_get(pre, "ld_user_id")?,
            email: row.try_get(pre, "ld_email")?,
            external_id: row.try_get(pre, "ld_external_id")?,
            user_active: row.try_get(pre, "ld_user_active")?,
            subscription_id: row.try_get(pre, "ld_subscription_id")?,
            product_id: row.try_get(pre, "ld_product_id")?,
            status: row.try_get(pre, "ld_status")?,
            assignment_id: row.try_get(pre, "ld_assignment_id")?,
            last_used_at: row.try_get(pre, "ld_last_used_at")?,
        })
    }
}

impl CheckRow {
    fn is(&self, person: &PersonRef) -> bool {
        match person {
            PersonRef::Email(email) => self.email.as_deref() == Some(email.as_str()),
            PersonRef::ExternalId(id) => self.external_id.as_deref() == Some(id.as_str()),
        }
    }
}

/// R50, issue 25: the whole check in ONE statement, the same on both
/// engines — the app behind the token (or client), the organization's
/// subscriptions of the app's publisher (how many: none = NOT_FOUND), whether
/// the product named is the publisher's, and each person named (undeleted,
/// of the organization, by e-mail or external ID) with their active
/// licenses on those subscriptions. No row at all = no such app.
async fn fetch(
    db: &DatabaseConnection,
    source: &AppSource,
    question: &LicenseQuestion,
    now: DateTime<Utc>,
) -> AppResult<Vec<CheckRow>> {
    let mut values: Vec<Value> = Vec::new();
    let mut p = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    let app = match source {
        AppSource::Token(hash) => format!(
            "SELECT t.scopes AS scopes, c.id AS client_id, c.publisher_id AS publisher_id \
             FROM api_access_tokens t JOIN api_clients c ON c.id = t.api_client_id \
             WHERE t.token_hash = {} AND t.expires_at > {} AND c.revoked_at IS NULL",
            p(hash.clone().into()),
            p(now.into())
        ),
        AppSource::Client(id) => format!(
            "SELECT c.scopes AS scopes, c.id AS client_id, c.publisher_id AS publisher_id \
             FROM api_clients c WHERE c.id = {}",
            p((*id).into())
        ),
    };
    let org = p(question.organization_id.into());
    let yes = p(true.into());
    let (product_ours, product_filter) = match question.product_id {
        Some(product_id) => {
            let product = p(product_id.into());
            (
                format!(
                    "EXISTS (SELECT 1 FROM products q WHERE q.id = {product} AND q.publisher_id = app.publisher_id)"
                ),
                format!(" AND v.product_id = {product}"),
            )
        }
        None => (yes.clone(), String::new()),
    };
    let mut named = Vec::new();
    let emails: Vec<String> = question
        .people
        .iter()
        .filter_map(|person| match person {
            PersonRef::Email(e) => Some(p(e.clone().into())),
            PersonRef::ExternalId(_) => None,
        })
        .collect();
    if !emails.is_empty() {
        named.push(format!("u.email IN ({})", emails.join(", ")));
    }
    let external: Vec<String> = question
        .people
        .iter()
        .filter_map(|person| match person {
            PersonRef::ExternalId(e) => Some(p(e.clone().into())),
            PersonRef::Email(_) => None,
        })
        .collect();
    if !external.is_empty() {
        named.push(format!("u.external_id IN ({})", external.join(", ")));
    }
    if named.is_empty() {
        named.push("1 = 0".to_owned());
    }
    let named = named.join(" OR ");
    let sql = format!(
        "WITH app AS ({app}), \
         subs AS (SELECT s.id, s.product_id, s.status FROM subscriptions s \
           WHERE s.organization_id = {org} \
             AND s.product_id IN (SELECT q.id FROM products q JOIN app ON q.publisher_id = app.publisher_id)) \
         SELECT app.scopes AS ld_scopes, app.client_id AS ld_client_id, app.publisher_id AS ld_publisher_id, \
           (SELECT COUNT(*) FROM subs) AS ld_subs_in_view, {product_ours} AS ld_product_ours, \
           u.id AS ld_user_id, u.email AS ld_email, u.external_id AS ld_external_id, u.active AS ld_user_active, \
           v.id AS ld_subscription_id, v.product_id AS ld_product_id, v.status AS ld_status, \
           a.id AS ld_assignment_id, a.last_used_at AS ld_last_used_at \
         FROM app \
         LEFT JOIN users u ON u.organization_id = {org} AND u.deleted_at IS NULL AND ({named}) \
         LEFT JOIN license_assignments a ON a.user_id = u.id AND a.active = {yes} \
           AND a.subscription_id IN (SELECT v.id FROM subs v WHERE 1 = 1{product_filter}) \
         LEFT JOIN subs v ON v.id = a.subscription_id \
         ORDER BY u.id, a.id"
    );
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    Ok(CheckRow::find_by_statement(statement).all(db).await?)
}

/// The answers from the statement's rows, in the order asked (R3, R37:
/// NOT_FOUND for an organization without the publisher's subscriptions or
/// another publisher's product; `licensed: false` for unknown people).
fn answers(state: &Services, rows: &[CheckRow], question: LicenseQuestion) -> AppResult<Vec<LicenseAnswer>> {
    let Some(first) = rows.first() else { return Err(AppError::Unauthenticated) };
    if first.subscriptions_in_view == 0 {
        return Err(AppError::NotFound { entity: EntityKind::Organization });
    }
    if !first.product_ours {
        return Err(AppError::NotFound { entity: EntityKind::Product });
    }
    let now = state.clock.now();
    let answers = question
        .people
        .into_iter()
        .map(|person| {
            // The first user the person names (an e-mail and an external ID are each unique in the organization).
            let user = rows.iter().find(|r| r.user_id.is_some() && r.is(&person)).and_then(|r| r.user_id);
            let licenses: Vec<HeldLicense> = rows
                .iter()
                .filter(|r| user.is_some() && r.user_id == user)
                .filter_map(|r| {
                    let (Some(assignment_id), Some(subscription_id), Some(product_id), Some(status)) =
                        (r.assignment_id, r.subscription_id, r.product_id, r.status.as_deref())
                    else {
                        return None;
                    };
                    let status =
                        <SubscriptionStatus as sea_orm::ActiveEnum>::try_from_value(&status.to_owned()).ok()?;
                    let active = r.user_active == Some(true) && status == SubscriptionStatus::Active;
                    if active {
                        state.usage.note(assignment_id, now);
                    }
                    Some(HeldLicense { subscription_id, product_id, status, active, last_used_at: r.last_used_at })
                })
                .collect();
            LicenseAnswer { person, licensed: licenses.iter().any(|l| l.active), licenses }
        })
        .collect();
    Ok(answers)
}

/// R50: the license check, for one person or a batch (at most [`MAX_PEOPLE`]),
/// for an app whose token was resolved already. Answers come in the order
/// asked. Every active license found is noted as used now (R51, written
/// later in a batch). One statement.
pub async fn check(
    state: &Services,
    app: &PublisherAppActor,
    question: LicenseQuestion,
) -> AppResult<Vec<LicenseAnswer>> {
    app.require(Scope::LicensesCheck)?;
    check_batch(&question.people)?;
    let rows = fetch(&state.db, &AppSource::Client(app.api_client_id), &question, state.clock.now()).await?;
    answers(state, &rows, question)
}

/// R50, issue 25: the license check straight from the request's bearer
/// token, in ONE statement that also verifies the token (live, of a client
/// not revoked and not rotated since) — so revocation takes effect at once on
/// every instance and a check costs one round trip. The errors and their
/// order are those of resolving the token first: UNAUTHENTICATED, then the
/// question's own error (bad input), then FORBIDDEN without
/// `licenses.check`, then the batch's size, then NOT_FOUND. A question that
/// is wrong in itself resolves the token on its own first (a second
/// statement, on the error path only).
pub async fn check_with_token(
    state: &Services,
    token: &str,
    question: AppResult<LicenseQuestion>,
) -> AppResult<Vec<LicenseAnswer>> {
    let resolved = async || super::api_clients::resolve(state, token).await?.ok_or(AppError::Unauthenticated);
    let question = match question {
        Ok(question) => question,
        Err(e) => {
            resolved().await?;
            return Err(e);
        }
    };
    if let Err(e) = check_batch(&question.people) {
        resolved().await?.require(Scope::LicensesCheck)?;
        return Err(e);
    }
    let source = AppSource::Token(crate::auth::token_hash(token));
    let rows = fetch(&state.db, &source, &question, state.clock.now()).await?;
    let first = rows.first().ok_or(AppError::Unauthenticated)?;
    super::api_clients::app_actor(&first.scopes, first.api_client_id, first.publisher_id)
        .require(Scope::LicensesCheck)?;
    answers(state, &rows, question)
}

/// One use the app reports.
pub struct ReportedUse {
    pub person: PersonRef,
    pub used_at: DateTime<Utc>,
}

/// What a usage report changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageOutcome {
    /// Uses that matched a license of the person on the publisher's subscriptions.
    pub matched: usize,
    /// Uses of people who hold no such license (or are unknown).
    pub unmatched: usize,
    /// Licenses whose last use moved forward.
    pub updated: u64,
}

/// R51: a publisher's usage report for one organization (optionally one
/// product): each person's licenses on the publisher's subscriptions there
/// record the reported time (never one in the future; a later time already
/// recorded stays). Written at once in one transaction.
pub async fn report_usage(
    state: &Services,
    app: &PublisherAppActor,
    organization_id: Uuid,
    product_id: Option<Uuid>,
    uses: Vec<ReportedUse>,
) -> AppResult<UsageOutcome> {
    app.require(Scope::UsageWrite)?;
    let people: Vec<PersonRef> = uses.iter().map(|u| u.person.clone()).collect();
    check_batch(&people)?;
    let now = state.clock.now();
    if uses.iter().any(|u| u.used_at > now) {
        return Err(AppError::validation("usedAt", Invalid::NotAllowed));
    }
    let db = &state.db;
    let subs = subscriptions_in_view(db, app, organization_id, product_id).await?;
    let users = people_of(db, organization_id, &people).await?;
    let assignments = assignments_of(db, &users, &subs).await?;
    let mut batch: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut matched = 0;
    for reported in &uses {
        let Some(user) = users.iter().find(|u| reported.person.matches(u)) else { continue };
        let mut any = false;
        for assignment in assignments.iter().filter(|a| a.user_id == user.id) {
            any = true;
            let entry = batch.entry(assignment.id).or_insert(reported.used_at);
            if reported.used_at > *entry {
                *entry = reported.used_at;
            }
        }
        matched += usize::from(any);
    }
    let updated = usage::record_last_used(db, &batch).await?;
    Ok(UsageOutcome { matched, unmatched: uses.len() - matched, updated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r50_a_person_is_named_by_exactly_one_identifier() {
        assert_eq!(
            PersonRef::parse(Some(" Ann@Example.test "), None, "u").ok(),
            Some(PersonRef::Email("ann@example.test".into()))
        );
        assert_eq!(PersonRef::parse(None, Some("00u1"), "u").ok(), Some(PersonRef::ExternalId("00u1".into())));
        assert!(PersonRef::parse(None, None, "u").is_err());
        assert!(PersonRef::parse(Some("a@b.c"), Some("x"), "u").is_err());
    }
}
