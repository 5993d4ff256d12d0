//! R45: the outbox. `audit::record` calls `record` in the same transaction as
//! the change, so there is no event without its change and no change without
//! its event. Publishers' webhook deliveries are queued in that transaction too.

use chrono::{DateTime, Utc};
use entity::{invoice, organization, outbox_event, product, subscription, webhook_endpoint};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use super::catalogue;
use crate::domain::events::EventType;
use crate::error::{AppError, AppResult};

/// PostgreSQL channel that wakes every instance's consumers on commit.
pub const NOTIFY_CHANNEL: &str = "licensedesk_events";

/// Writes the event for an audited change, if the action is in the catalogue.
pub async fn record(
    db: &impl ConnectionTrait,
    action: crate::service::audit::AuditAction,
    object_type: &str,
    object_id: Uuid,
    after: Option<&Value>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(event_type) = catalogue::for_audit_action(action) else { return Ok(()) };
    let event = match object_type {
        "subscription" => subscription_event(db, event_type, object_id, after).await?,
        "invoice" => invoice_event(db, event_type, object_id).await?,
        "billing_profile" => profile_event(db, object_id, after).await?,
        _ => return Ok(()),
    };
    let event = outbox_event::ActiveModel {
        seq: Default::default(),
        id: Set(Uuid::now_v7()),
        event_type: Set(event_type.as_str().to_owned()),
        organization_id: Set(event.organization_id),
        publisher_id: Set(event.publisher_id),
        subscription_id: Set(event.subscription_id),
        object_type: Set(object_type.to_owned()),
        object_id: Set(object_id),
        billing: Set(event_type.is_billing()),
        payload: Set(event.payload.to_string()),
        user_ids: Set(json!(event.user_ids).to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    queue_deliveries(db, &event, event_type).await?;
    if crate::db::is_postgres(db) {
        // Delivered to listeners when (and only if) the transaction commits.
        db.execute_unprepared(&format!("NOTIFY {NOTIFY_CHANNEL}")).await?;
    }
    Ok(())
}

struct NewEvent {
    organization_id: Uuid,
    publisher_id: Option<Uuid>,
    subscription_id: Option<Uuid>,
    payload: Value,
    user_ids: Vec<Uuid>,
}

/// R53: a change made through a publisher's portal names it in the event's
/// payload (`channel`, `apiClientId`, from the audited `after` snapshot).
pub(crate) fn name_portal_channel(payload: &mut Value, after: Option<&Value>) {
    let through_portal = after.and_then(|a| a.get("channel")).and_then(Value::as_str) == Some("PORTAL");
    if let (Some(after), Some(map), true) = (after, payload.as_object_mut(), through_portal) {
        for key in ["channel", "apiClientId"] {
            if let Some(value) = after.get(key) {
                map.insert(key.to_owned(), value.clone());
            }
        }
    }
}

/// The subscription as its product's publisher may see it: no billing profile,
/// no purchaser, no prices (R37, R45).
pub(crate) fn publisher_view(sub: &subscription::Model, names: &EventNames) -> Value {
    json!({
        "subscriptionId": sub.id,
        "product": {"id": sub.product_id, "name": names.product_name},
        "customerOrganizationName": names.organization_name,
        "status": sub.status.as_str(),
        "disabledReason": sub.disabled_reason.map(|r| r.as_str()),
        "quantity": sub.quantity,
        "assigned": sub.assigned_count,
        "term": sub.term.as_str(),
        "termStartDate": sub.current_term_start,
        "termEndDate": sub.current_term_end,
        "autoRenew": sub.auto_renew,
        // Issue 26 item 5: when a negotiated price stops (a date, no amount).
        "negotiatedPriceEndsOn": crate::service::subscriptions::negotiated_price_ends_on(sub),
    })
}

/// What a subscription event names besides the subscription itself.
pub(crate) struct EventNames {
    pub(crate) product_name: String,
    pub(crate) publisher_id: Uuid,
    pub(crate) organization_name: String,
}

struct SubscriptionWithNames {
    sub: subscription::Model,
    names: EventNames,
}

impl sea_orm::FromQueryResult for SubscriptionWithNames {
    fn from_query_result(row: &sea_orm::QueryResult, prefix: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            sub: subscription::Model::from_query_result(row, prefix)?,
            names: EventNames {
                product_name: row.try_get(prefix, "event_product_name")?,
                publisher_id: row.try_get(prefix, "event_publisher_id")?,
                organization_name: row.try_get(prefix, "event_organization_name")?,
            },
        })
    }
}

async fn subscription_event(
    db: &impl ConnectionTrait,
    event_type: EventType,
    id: Uuid,
    after: Option<&Value>,
) -> AppResult<NewEvent> {
    use sea_orm::{JoinType, QuerySelect};
    // One statement: the subscription with its product's and organization's names.
    let to_product: sea_orm::RelationDef = subscription::Entity::belongs_to(product::Entity)
        .from(subscription::Column::ProductId)
        .to(product::Column::Id)
        .into();
    let to_organization: sea_orm::RelationDef = subscription::Entity::belongs_to(organization::Entity)
        .from(subscription::Column::OrganizationId)
        .to(organization::Column::Id)
        .into();
    let row = subscription::Entity::find_by_id(id)
        .join(JoinType::InnerJoin, to_product)
        .join(JoinType::InnerJoin, to_organization)
        .column_as(product::Column::Name, "event_product_name")
        .column_as(product::Column::PublisherId, "event_publisher_id")
        .column_as(organization::Column::Name, "event_organization_name")
        .into_model::<SubscriptionWithNames>()
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("event for a subscription that is not there"))?;
    let SubscriptionWithNames { sub, names } = row;
    let user_ids = if event_type.is_license_event() {
        after
            .and_then(|a| a.get("users"))
            .and_then(Value::as_array)
            .map(|users| users.iter().filter_map(|u| u.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut payload = publisher_view(&sub, &names);
    name_portal_channel(&mut payload, after);
    Ok(NewEvent {
        organization_id: sub.organization_id,
        publisher_id: event_type.reaches_publisher().then_some(names.publisher_id),
        subscription_id: Some(sub.id),
        payload,
        user_ids,
    })
}

/// Invoice events go to consoles only; the payload is what an invoice reader sees.
async fn invoice_event(db: &impl ConnectionTrait, _event_type: EventType, id: Uuid) -> AppResult<NewEvent> {
    let invoice = invoice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("event for an invoice that is not there"))?;
    Ok(NewEvent {
        organization_id: invoice.organization_id,
        publisher_id: None,
        subscription_id: None,
        payload: json!({
            "invoiceId": invoice.id,
            "number": crate::service::invoices::display_number(invoice.number),
            "status": invoice.status.as_str(),
            "issueDate": invoice.issue_date,
            "dueDate": invoice.due_date,
            "total": crate::domain::money::Currency::parse(&invoice.currency)
                .map(|c| json!({"amount": crate::domain::money::format_minor(invoice.total_minor, c), "currency": invoice.currency})),
        }),
        user_ids: Vec::new(),
    })
}

/// Issue 26 item 3: a billing event about a profile (an invoice held).
async fn profile_event(db: &impl ConnectionTrait, id: Uuid, after: Option<&Value>) -> AppResult<NewEvent> {
    let profile = entity::billing_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("event for a billing profile that is not there"))?;
    Ok(NewEvent {
        organization_id: profile.organization_id,
        publisher_id: None,
        subscription_id: None,
        payload: json!({
            "billingProfileId": profile.id,
            "periodStart": profile.invoice_hold_period,
            "since": profile.invoice_hold_since,
            "reason": after.and_then(|a| a.get("reason")).cloned().unwrap_or(Value::Null),
        }),
        user_ids: Vec::new(),
    })
}

/// One delivery row per enabled endpoint of the publisher that wants this type.
async fn queue_deliveries(
    db: &impl ConnectionTrait,
    event: &outbox_event::Model,
    event_type: EventType,
) -> AppResult<()> {
    let Some(publisher_id) = event.publisher_id else { return Ok(()) };
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PublisherId.eq(publisher_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(db)
        .await?;
    for endpoint in endpoints {
        if !super::webhooks::wants(&endpoint, event_type) {
            continue;
        }
        // Wall-clock time: delivery scheduling is operational, not business time.
        super::webhooks::pending_delivery(endpoint.id, event, Utc::now()).insert(db).await?;
    }
    Ok(())
}
