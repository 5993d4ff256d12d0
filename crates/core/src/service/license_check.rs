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
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
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

/// R50: the license check, for one person or a batch (at most [`MAX_PEOPLE`]).
/// Answers come in the order asked. Every active license found is noted as
/// used now (R51, written later in a batch).
pub async fn check(
    state: &Services,
    app: &PublisherAppActor,
    question: LicenseQuestion,
) -> AppResult<Vec<LicenseAnswer>> {
    app.require(Scope::LicensesCheck)?;
    check_batch(&question.people)?;
    let db = &state.db;
    let subs = subscriptions_in_view(db, app, question.organization_id, question.product_id).await?;
    let users = people_of(db, question.organization_id, &question.people).await?;
    let assignments = assignments_of(db, &users, &subs).await?;
    let subs: HashMap<Uuid, &subscription::Model> = subs.iter().map(|s| (s.id, s)).collect();
    let now = state.clock.now();
    let answers = question
        .people
        .into_iter()
        .map(|person| {
            let user = users.iter().find(|u| person.matches(u));
            let licenses: Vec<HeldLicense> = user
                .map(|user| {
                    assignments
                        .iter()
                        .filter(|a| a.user_id == user.id)
                        .filter_map(|a| subs.get(&a.subscription_id).map(|s| (a, *s)))
                        .map(|(a, s)| {
                            let active = user.active && s.status == SubscriptionStatus::Active;
                            if active {
                                state.usage.note(a.id, now);
                            }
                            HeldLicense {
                                subscription_id: s.id,
                                product_id: s.product_id,
                                status: s.status,
                                active,
                                last_used_at: a.last_used_at,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            LicenseAnswer { person, licensed: licenses.iter().any(|l| l.active), licenses }
        })
        .collect();
    Ok(answers)
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
