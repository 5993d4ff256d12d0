//! Audit events (R36, R37): an event is visible to the callers who may see
//! its object, and its snapshots carry nothing the viewer may not see.
//!
//! - Org admins (GLOBAL, BILLING, LICENSE) read their organization's log,
//!   filtered by the rule of each event's object: a LICENSE_ADMIN sees
//!   subscription and license events, not billing-profile, payment-method or
//!   invoice ones; a self-service buyer's billing events are nobody else's;
//!   partner-relationship events only the GLOBAL_ADMIN, who may fetch the
//!   relationship (R39).
//! - A subscription snapshot's `billingProfileId` is removed unless the
//!   viewer can see that profile.
//! - Publishers read the events of their catalog and activations; their
//!   subscription snapshots keep only the non-billing fields.

use std::collections::HashSet;

use entity::{audit_event, billing_profile, invoice, partner_relationship, payment_method, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Query, SelectStatement},
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    Visible, billing_profile as profiles, invoice as invoices, partner as partners, payment_method as methods,
    subscription as subs,
};
use crate::{
    auth::Actor,
    error::{AppError, AppResult},
    paging::{self, Keyset, Page, Window},
};

/// Object types whose events follow a billing or subscription rule.
pub const SUBSCRIPTION: &str = "subscription";
pub const BILLING_PROFILE: &str = "billing_profile";
pub const PAYMENT_METHOD: &str = "payment_method";
pub const INVOICE: &str = "invoice";
pub const PROPOSAL: &str = "proposal";
pub const PARTNER_RELATIONSHIP: &str = "partner_relationship";
/// An organization's single sign-on provider (R48): its GLOBAL_ADMINs alone.
pub const SINGLE_SIGN_ON: &str = "single_sign_on";
/// R49: a SCIM token's events go to those who may list tokens (the GLOBAL_ADMIN).
pub const SCIM_TOKEN: &str = "scim_token";
const GUARDED: [&str; 8] = [
    SUBSCRIPTION,
    BILLING_PROFILE,
    PAYMENT_METHOD,
    INVOICE,
    PROPOSAL,
    PARTNER_RELATIONSHIP,
    SINGLE_SIGN_ON,
    SCIM_TOKEN,
];

/// What a publisher may read of a subscription snapshot (no billing data).
const PUBLISHER_SUBSCRIPTION_FIELDS: [&str; 7] =
    ["status", "disabledReason", "quantity", "assigned", "termEnd", "product", "setupCompletedAt"];

/// Whether the caller may read the audit log at all (R36: admins; publishers read their own).
pub fn may_read_log(actor: &Actor) -> AppResult<()> {
    match actor {
        Actor::Org(org) if !org.can_read_audit() => Err(AppError::Forbidden),
        // R39: a partner reads no audit log (not the customers', not yet its own).
        Actor::Partner(_) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

fn ids_where<E: EntityTrait>(id: E::Column, cond: Condition) -> SelectStatement {
    Query::select().column(id).from(E::default()).cond_where(cond).to_owned()
}

fn of_type(object_type: &str, ids: SelectStatement) -> Condition {
    Condition::all()
        .add(audit_event::Column::ObjectType.eq(object_type))
        .add(audit_event::Column::ObjectId.in_subquery(ids))
}

/// The SQL condition on `audit_events` rows the caller can read — the twin of [`check`].
pub fn visible(actor: &Actor) -> Condition {
    match actor {
        Actor::Org(org) => {
            if !org.can_read_audit() {
                return profiles::nothing();
            }
            let mut objects = Condition::any()
                .add(audit_event::Column::ObjectType.is_not_in(GUARDED))
                .add(of_type(
                    SUBSCRIPTION,
                    ids_where::<subscription::Entity>(subscription::Column::Id, subs::visible(actor)),
                ))
                .add(of_type(BILLING_PROFILE, profiles::visible_ids(actor)))
                .add(of_type(
                    PAYMENT_METHOD,
                    ids_where::<payment_method::Entity>(payment_method::Column::Id, methods::visible(actor)),
                ))
                .add(of_type(INVOICE, ids_where::<invoice::Entity>(invoice::Column::Id, invoices::visible(actor))))
                // R37, R39: a relationship's events go to those who may fetch it (the GLOBAL_ADMIN).
                .add(of_type(
                    PARTNER_RELATIONSHIP,
                    ids_where::<partner_relationship::Entity>(
                        partner_relationship::Column::Id,
                        partners::visible(actor),
                    ),
                ));
            if super::proposal::org_may_see(org) {
                objects = objects.add(audit_event::Column::ObjectType.eq(PROPOSAL));
            }
            if super::single_sign_on::manages(actor, org.organization_id) {
                objects = objects.add(audit_event::Column::ObjectType.eq(SINGLE_SIGN_ON));
            }
            if org.can_manage_users() {
                objects = objects.add(audit_event::Column::ObjectType.eq(SCIM_TOKEN));
            }
            Condition::all().add(audit_event::Column::OrganizationId.eq(org.organization_id)).add(objects)
        }
        Actor::Publisher(p) => Condition::all().add(audit_event::Column::PublisherId.eq(p.publisher_id)),
        // R40: the marketplace's own events (its proposals), nothing of the customers'.
        Actor::Operator(o) => Condition::all()
            .add(audit_event::Column::PublisherId.eq(o.marketplace_id))
            .add(audit_event::Column::ObjectType.eq(PROPOSAL)),
        Actor::Partner(_) => profiles::nothing(),
    }
}

/// The row check: loads the event's object and applies that object's rule.
/// Used where one event is checked on its own (and by the tests that prove
/// it agrees with [`visible`]).
pub async fn check(db: &impl ConnectionTrait, actor: &Actor, event: &audit_event::Model) -> AppResult<bool> {
    let org = match actor {
        Actor::Publisher(p) => return Ok(event.publisher_id == Some(p.publisher_id)),
        Actor::Operator(o) => {
            return Ok(event.publisher_id == Some(o.marketplace_id) && event.object_type == PROPOSAL);
        }
        Actor::Partner(_) => return Ok(false),
        Actor::Org(org) => org,
    };
    if !org.can_read_audit() || event.organization_id != Some(org.organization_id) {
        return Ok(false);
    }
    let id = event.object_id;
    Ok(match event.object_type.as_str() {
        SUBSCRIPTION => match subscription::Entity::find_by_id(id).one(db).await? {
            Some(sub) => subs::check(db, actor, sub, subs::Access::View).await.is_ok(),
            None => false,
        },
        BILLING_PROFILE => profiles::load(db, actor, id).await.is_ok(),
        PAYMENT_METHOD => match payment_method::Entity::find_by_id(id).one(db).await? {
            Some(method) => profiles::load(db, actor, method.billing_profile_id).await.is_ok(),
            None => false,
        },
        INVOICE => invoices::load(db, actor, id, false).await.is_ok(),
        PROPOSAL => super::proposal::org_may_see(org),
        SINGLE_SIGN_ON => super::single_sign_on::manages(actor, org.organization_id),
        SCIM_TOKEN => org.can_manage_users(),
        PARTNER_RELATIONSHIP => partners::load(db, actor, id, partners::Access::View, false).await.is_ok(),
        _ => true,
    })
}

fn parse(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

/// Removes from a snapshot what the viewer may not see.
fn redact(
    actor: &Actor,
    event: &audit_event::Model,
    snapshot: Option<&str>,
    profiles_seen: &HashSet<Uuid>,
) -> Option<String> {
    let mut value = parse(snapshot)?;
    if event.object_type == SUBSCRIPTION
        && let Value::Object(map) = &mut value
    {
        match actor {
            Actor::Publisher(_) => map.retain(|k, _| PUBLISHER_SUBSCRIPTION_FIELDS.contains(&k.as_str())),
            Actor::Operator(_) => map.clear(),
            Actor::Partner(_) => map.clear(),
            Actor::Org(_) => {
                let visible = map
                    .get("billingProfileId")
                    .and_then(Value::as_str)
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .is_some_and(|id| profiles_seen.contains(&id));
                if !visible {
                    map.remove("billingProfileId");
                }
            }
        }
    }
    Some(value.to_string())
}

fn profile_ids(rows: &[audit_event::Model]) -> Vec<Uuid> {
    rows.iter()
        .filter(|e| e.object_type == SUBSCRIPTION)
        .flat_map(|e| [e.before.as_deref(), e.after.as_deref()])
        .filter_map(parse)
        .filter_map(|v| v.get("billingProfileId").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()))
        .collect()
}

/// One page of `query` narrowed by the finder itself to [`visible`] (the
/// caller only narrows and orders), each event's snapshots redacted for the
/// viewer (one query for the profiles the page names).
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: Select<audit_event::Entity>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<Visible<audit_event::Model>>> {
    may_read_log(actor)?;
    let mut page = paging::fetch(db, query.filter(visible(actor)), keyset, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(redacted(db, actor, rows).await?))
}

/// Rows fetched with [`visible`], with their snapshots redacted.
async fn redacted(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: Vec<audit_event::Model>,
) -> AppResult<Vec<Visible<audit_event::Model>>> {
    let named = profile_ids(&rows);
    let seen: HashSet<Uuid> = if named.is_empty() || actor.org().is_err() {
        HashSet::new()
    } else {
        billing_profile::Entity::find()
            .filter(billing_profile::Column::Id.is_in(named))
            .filter(profiles::visible(actor))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|mut event| {
            event.before = redact(actor, &event, event.before.as_deref(), &seen);
            event.after = redact(actor, &event, event.after.as_deref(), &seen);
            Visible::vouch(event)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::fixtures::*;

    fn event(object_type: &str, snapshot: &str) -> audit_event::Model {
        audit_event::Model {
            id: Uuid::from_u128(0xe0),
            organization_id: Some(ORG),
            publisher_id: Some(PUBLISHER),
            actor_user_id: None,
            action: "subscription.purchase".into(),
            object_type: object_type.into(),
            object_id: Uuid::from_u128(0x50),
            before: None,
            after: Some(snapshot.into()),
            created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        }
    }

    /// R36: admins read their organization's log, publishers and operators
    /// their own; plain users and partners read none.
    #[test]
    fn r36_who_reads_a_log() {
        #[rustfmt::skip]
        let expected = [ALLOW, ALLOW, ALLOW, FORBID, ALLOW, FORBID, FORBID, FORBID, ALLOW, ALLOW, ALLOW];
        table("the audit log", &expected, |a| code(&may_read_log(a)));
        assert!(GUARDED.contains(&PARTNER_RELATIONSHIP), "issue 19: relationship events follow their rule");
    }

    /// R37: a subscription snapshot keeps `billingProfileId` only for a viewer
    /// who sees that profile; publishers keep only non-billing fields;
    /// operators and partners nothing.
    #[test]
    fn r37_snapshot_redaction_table() {
        let profile_id = Uuid::from_u128(0xb0);
        let snapshot = format!(r#"{{"billingProfileId":"{profile_id}","status":"ACTIVE","unitPriceMinor":1000}}"#);
        let e = event(SUBSCRIPTION, &snapshot);
        let seen: HashSet<Uuid> = [profile_id].into();
        let unseen = HashSet::new();
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
        let kept = parse(redact(&global_admin(), &e, e.after.as_deref(), &seen)).unwrap_or_default();
        assert!(kept.get("billingProfileId").is_some(), "a viewer of the profile keeps it");
        let cut = parse(redact(&license_admin(), &e, e.after.as_deref(), &unseen)).unwrap_or_default();
        assert!(cut.get("billingProfileId").is_none() && cut.get("status").is_some(), "R37: profile removed");
        let publisher_view = parse(redact(&publisher(PUBLISHER), &e, e.after.as_deref(), &seen)).unwrap_or_default();
        assert_eq!(publisher_view, serde_json::json!({"status": "ACTIVE"}), "R37: no billing for publishers");
        for actor in [operator(), partner(PARTNER, &[])] {
            let nothing = parse(redact(&actor, &e, e.after.as_deref(), &seen)).unwrap_or_default();
            assert_eq!(nothing, serde_json::json!({}), "{actor:?}");
        }
        // Other objects' snapshots are not touched here (their events are filtered whole).
        let other = event(BILLING_PROFILE, &snapshot);
        let untouched = parse(redact(&license_admin(), &other, other.after.as_deref(), &unseen)).unwrap_or_default();
        assert!(untouched.get("billingProfileId").is_some());
    }
}
