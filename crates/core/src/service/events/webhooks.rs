//! R45: publishers' webhook endpoints. A publisher manages only its own
//! endpoints; any other endpoint ID answers NOT_FOUND (R3). The secret is
//! returned once, when created or rotated.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::Utc;
use entity::{outbox_event, webhook_delivery, webhook_endpoint};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

use crate::domain::events::EventType;
use crate::{
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::{self, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
    },
};

/// The states of a webhook delivery row, as stored.
pub mod delivery_status {
    pub const PENDING: &str = "PENDING";
    pub const DELIVERED: &str = "DELIVERED";
    pub const FAILED: &str = "FAILED";
}

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::WebhookEndpoint };
pub const MAX_URL_LEN: usize = 2048;
pub const MAX_ENDPOINTS_PER_PUBLISHER: usize = 20;

pub fn event_types(endpoint: &webhook_endpoint::Model) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(&endpoint.event_types)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| EventType::parse(t))
        .collect()
}

pub fn wants(endpoint: &webhook_endpoint::Model, event_type: EventType) -> bool {
    event_types(endpoint).contains(&event_type)
}

fn new_secret() -> String {
    format!("whsec_{}", hex::encode(crate::auth::random_bytes::<32>()))
}

fn snapshot(e: &webhook_endpoint::Model) -> serde_json::Value {
    // Never the secret.
    json!({"url": e.url, "eventTypes": event_types(e).iter().map(|t| t.as_str()).collect::<Vec<_>>(), "enabled": e.enabled})
}

/// True for addresses a webhook must not reach unless the operator allows it:
/// anything but a global unicast address (issue 20 item 6). IPv4: loopback,
/// private, shared, link-local, "this network", IETF protocol assignments,
/// documentation, benchmarking (198.18.0.0/15), 6to4 relay anycast,
/// multicast, reserved (240.0.0.0/4) and broadcast. IPv6: only 2000::/3 is
/// global unicast (so loopback, unspecified, IPv4-compatible ::/96,
/// unique-local, site-local fec0::/10, link-local, multicast, discard … are
/// refused), minus its special ranges (IETF protocol assignments 2001::/23,
/// documentation 2001:db8::/32 and 3fff::/20, benchmarking, ORCHID); an
/// address that embeds an IPv4 address is judged by that address:
/// IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16 and Teredo
/// 2001::/32 (its server and its obfuscated client address).
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // IPv4-mapped ::ffff:a.b.c.d: the connection goes to the IPv4 address.
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    // NAT64 well-known prefix 64:ff9b::/96: the translator connects to the IPv4 address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_private_v4(embedded(s[6], s[7]));
    }
    // 6to4 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
    if s[0] == 0x2002 {
        return is_private_v4(embedded(s[1], s[2]));
    }
    // Teredo 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC: server, and client XOR-ed with ones.
    if s[0] == 0x2001 && s[1] == 0 {
        return is_private_v4(embedded(s[2], s[3])) || is_private_v4(embedded(!s[6], !s[7]));
    }
    // Everything else outside 2000::/3 is not global unicast: ::/128, ::1,
    // IPv4-compatible ::a.b.c.d, 64:ff9b:1::/48, discard 100::/64, fc00::/7,
    // fec0::/10, fe80::/10, ff00::/8 ….
    if (s[0] & 0xe000) != 0x2000 {
        return true;
    }
    // IETF protocol assignments 2001::/23 (benchmarking, ORCHID …) and documentation 2001:db8::/32.
    let special_2001 = s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8);
    // Documentation 3fff::/20 (and the rest of 3ff0::/12, unassigned).
    special_2001 || (s[0] & 0xfff0) == 0x3ff0
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240 // reserved 240.0.0.0/4 (and broadcast)
}

/// Parses and checks an endpoint URL: https (http only where private
/// addresses are allowed), a host, no credentials, and no private or loopback
/// address unless allowed by configuration.
pub fn check_url(raw: &str, allow_private: bool) -> AppResult<url::Url> {
    let bad = |reason| AppError::validation("url", reason);
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(bad(Invalid::TooLong { max: MAX_URL_LEN }));
    }
    let url = url::Url::parse(raw).map_err(|_| bad(Invalid::BadFormat))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(bad(Invalid::NotAllowed)),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(Invalid::NotAllowed));
    }
    let private = match url.host() {
        None => return Err(bad(Invalid::BadFormat)),
        Some(url::Host::Ipv4(ip)) => is_private_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private_ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || name.ends_with(".internal")
                || name.ends_with(".local")
        }
    };
    if private && !allow_private {
        return Err(bad(Invalid::NotAllowed));
    }
    Ok(url)
}

/// The event types an endpoint gets. An empty list means every type a
/// publisher may receive, as the schema documents (issue 24); the list is
/// stored explicitly, so `eventTypes` shows what is sent.
fn check_event_types(types: &[EventType]) -> AppResult<Vec<&'static str>> {
    if types.is_empty() {
        return Ok(EventType::ALL.iter().filter(|t| t.reaches_publisher()).map(|t| t.as_str()).collect());
    }
    if let Some(billing) = types.iter().find(|t| !t.reaches_publisher()) {
        // Billing events are the customer's, never the publisher's.
        let _ = billing;
        return Err(AppError::validation("eventTypes", Invalid::NotAllowed));
    }
    let mut names: Vec<&'static str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

async fn load_own(state: &Services, actor: &Actor, id: Uuid) -> AppResult<webhook_endpoint::Model> {
    let publisher = actor.publisher().map_err(|_| NOT_FOUND)?;
    let endpoint = webhook_endpoint::Entity::find_by_id(id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    if endpoint.publisher_id != publisher.publisher_id {
        return Err(NOT_FOUND);
    }
    Ok(endpoint)
}

/// Creates an endpoint; returns it with its secret (shown this once).
pub async fn create(
    state: &Services,
    actor: &Actor,
    url: &str,
    types: &[EventType],
    allow_private: bool,
) -> AppResult<(webhook_endpoint::Model, String)> {
    let publisher = actor.publisher()?;
    let url = check_url(url, allow_private)?;
    let names = check_event_types(types)?;
    let txn = db::begin_write(&state.db).await?;
    let existing = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PublisherId.eq(publisher.publisher_id))
        .all(&txn)
        .await?;
    if existing.len() >= MAX_ENDPOINTS_PER_PUBLISHER {
        return Err(AppError::validation(
            "url",
            Invalid::OutOfRange { min: 0, max: MAX_ENDPOINTS_PER_PUBLISHER as i64 },
        ));
    }
    let now = state.clock.now();
    let secret = new_secret();
    let endpoint = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        publisher_id: Set(publisher.publisher_id),
        url: Set(url.to_string()),
        event_types: Set(json!(names).to_string()),
        secret: Set(secret.clone()),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry =
        AuditEntry::new(AuditAction::WebhookEndpointCreate, "webhook_endpoint", endpoint.id).after(snapshot(&endpoint));
    audit::record(&txn, AuditScope::publisher(publisher.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// A new secret; the old one stops signing at once.
pub async fn rotate_secret(state: &Services, actor: &Actor, id: Uuid) -> AppResult<(webhook_endpoint::Model, String)> {
    let endpoint = load_own(state, actor, id).await?;
    let publisher_id = endpoint.publisher_id;
    let now = state.clock.now();
    let secret = new_secret();
    let txn = db::begin_write(&state.db).await?;
    let mut model = endpoint.into_active_model();
    model.secret = Set(secret.clone());
    model.updated_at = Set(now);
    let endpoint = model.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::WebhookEndpointRotateSecret, "webhook_endpoint", endpoint.id);
    audit::record(&txn, AuditScope::publisher(publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// A disabled endpoint gets no new deliveries; queued ones wait until it is
/// enabled (the caller wakes the delivery worker then).
pub async fn set_enabled(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> AppResult<webhook_endpoint::Model> {
    let endpoint = load_own(state, actor, id).await?;
    let publisher_id = endpoint.publisher_id;
    let before = snapshot(&endpoint);
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let mut model = endpoint.into_active_model();
    model.enabled = Set(enabled);
    model.updated_at = Set(now);
    let endpoint = model.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::WebhookEndpointSetEnabled, "webhook_endpoint", endpoint.id)
        .before(before)
        .after(snapshot(&endpoint));
    audit::record(&txn, AuditScope::publisher(publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok(endpoint)
}

/// Deletes the endpoint and its delivery log.
pub async fn delete(state: &Services, actor: &Actor, id: Uuid) -> AppResult<()> {
    let endpoint = load_own(state, actor, id).await?;
    let publisher_id = endpoint.publisher_id;
    let before = snapshot(&endpoint);
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .exec(&txn)
        .await?;
    let endpoint_id = endpoint.id;
    endpoint.delete(&txn).await?;
    let entry = AuditEntry::new(AuditAction::WebhookEndpointDelete, "webhook_endpoint", endpoint_id).before(before);
    audit::record(&txn, AuditScope::publisher(publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list(state: &Services, actor: &Actor) -> AppResult<Vec<webhook_endpoint::Model>> {
    let publisher = actor.publisher()?;
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PublisherId.eq(publisher.publisher_id))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(&state.db)
        .await?)
}

pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<webhook_endpoint::Model> {
    load_own(state, actor, id).await
}

/// The delivery log of one endpoint, newest first.
pub async fn deliveries(
    state: &Services,
    actor: &Actor,
    endpoint_id: Uuid,
    window: &Window,
) -> AppResult<paging::Page<webhook_delivery::Model>> {
    use paging::{Direction::Desc, KeyKind, Keyset};
    let endpoint = load_own(state, actor, endpoint_id).await?;
    let query = webhook_delivery::Entity::find().filter(webhook_delivery::Column::EndpointId.eq(endpoint.id));
    let newest_first = Keyset::new("webhook_deliveries:newest")
        .key(webhook_delivery::Column::EventSeq.into_expr(), Desc, KeyKind::Int)
        .id(webhook_delivery::Column::Id.into_expr(), Desc);
    paging::fetch(&state.db, query, &newest_first, window).await
}

/// Sends an event to the endpoint again (same event ID), whatever happened
/// before: queued now, after any earlier pending event of its subscription
/// (the caller wakes the delivery worker).
pub async fn redeliver(
    state: &Services,
    actor: &Actor,
    endpoint_id: Uuid,
    event_id: Uuid,
) -> AppResult<webhook_delivery::Model> {
    let endpoint = load_own(state, actor, endpoint_id).await?;
    let not_found = AppError::NotFound { entity: EntityKind::Event };
    let event = outbox_event::Entity::find()
        .filter(outbox_event::Column::Id.eq(event_id))
        .one(&state.db)
        .await?
        .ok_or(not_found.clone())?;
    // R3: only the publisher's own events.
    if event.publisher_id != Some(endpoint.publisher_id) {
        return Err(not_found);
    }
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let existing = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .filter(webhook_delivery::Column::EventId.eq(event.id))
        .one(&txn)
        .await?;
    let delivery = match existing {
        Some(existing) => {
            let mut model = existing.into_active_model();
            model.status = Set(delivery_status::PENDING.to_owned());
            model.next_attempt_at = Set(now);
            model.locked_until = Set(None);
            model.update(&txn).await?
        }
        None => pending_delivery(endpoint.id, &event, now).insert(&txn).await?,
    };
    let entry = AuditEntry::new(AuditAction::WebhookEndpointRedeliver, "webhook_endpoint", endpoint.id)
        .after(json!({"eventId": event.id}));
    audit::record(&txn, AuditScope::publisher(endpoint.publisher_id, actor), state.clock.now(), entry).await?;
    txn.commit().await?;
    Ok(delivery)
}

/// A new delivery of `event` to one endpoint, due at once (R45). The one way
/// a delivery row is made: queued by the outbox, or by a redelivery.
pub(crate) fn pending_delivery(
    endpoint_id: Uuid,
    event: &entity::outbox_event::Model,
    now: chrono::DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        endpoint_id: Set(endpoint_id),
        event_id: Set(event.id),
        event_seq: Set(event.seq),
        subscription_id: Set(event.subscription_id),
        status: Set(delivery_status::PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_attempt_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_urls_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://192.168.0.1/hook",
            "https://169.254.169.254/latest",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://localhost:8443/hook",
            "https://100.64.0.1/hook",
            // Issue 20 item 6: the gaps the denylist had.
            "https://[::127.0.0.1]/hook",
            "https://[64:ff9b::7f00:1]/hook",
            "https://[2002:7f00:1::1]/hook",
            "https://[fec0::1]/hook",
            "https://198.18.0.1/hook",
            "https://240.0.0.1/hook",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(check_url("https://hooks.example.com/licensedesk", false).is_ok());
        assert!(check_url("http://hooks.example.com/licensedesk", false).is_err());
        assert!(check_url("ftp://hooks.example.com/", true).is_err());
        assert!(check_url("https://user:pw@hooks.example.com/", false).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    /// Issue 20 item 6: only global unicast addresses are reachable; an
    /// embedded IPv4 address is judged by itself.
    #[test]
    fn only_global_unicast_addresses_are_public() {
        let private = [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.1.2.3",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001:0:7f00:1::1",
            "2001:0:808:808::80ff:fefe",
            "fec0::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001:2::1",
            "2001:10::1",
            "3fff::1",
            "4000::1",
        ];
        for ip in private {
            let parsed: IpAddr = ip.parse().expect(ip);
            assert!(is_private_ip(parsed), "{ip} must be refused");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "198.20.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:808:808::f7f7:f7f7",
        ];
        for ip in public {
            let parsed: IpAddr = ip.parse().expect(ip);
            assert!(!is_private_ip(parsed), "{ip} is a public address");
        }
    }

    #[test]
    fn billing_event_types_cannot_be_subscribed() {
        assert!(check_event_types(&[EventType::InvoiceIssued]).is_err());
        // Issue 24: empty means every type a publisher may receive, as documented.
        let all = check_event_types(&[]).expect("all");
        assert!(!all.is_empty() && all.contains(&"SUBSCRIPTION_CANCELED") && !all.contains(&"INVOICE_ISSUED"));
        assert_eq!(
            check_event_types(&[EventType::SubscriptionCanceled, EventType::SubscriptionCanceled]).ok(),
            Some(vec!["SUBSCRIPTION_CANCELED"])
        );
    }
}
