//! Issue 8: one access rule per object, applied on every path (R3, R37, R38).
//!
//! - `r37_nested_paths_by_actor`: every root field and nested path that returns
//!   a billing profile, payment method, invoice, audit event or user, for every
//!   kind of caller — which billing profiles each caller reaches, and a scan of
//!   every response for the marked data (contact e-mail, PO number, name on
//!   card) of profiles the caller may not view.
//! - `r37_each_rule_agrees_with_its_sql_condition`: for every actor in the
//!   database, each object's row check and SQL condition pick the same rows.

use std::collections::{BTreeMap, BTreeSet};

use entity::{audit_event, billing_profile, invoice, payment_method, product, proposal, subscription, user, user_role};
use licensedesk::{
    access,
    auth::{Actor, OrgActor, PublisherActor},
};
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Every field of a billing profile and what hangs off it.
const PROFILE: &str = "id name contactName contactEmail poNumber billToAddress { line1 } \
    paymentMethod { id last4 nameOnCard billingProfile { id contactEmail } } \
    roleAssignments { role user { id email } } owner { id email } myRights { canView }";

/// A profile whose every sensitive field carries a marker that appears nowhere else.
struct Marked {
    id: String,
    markers: [String; 3],
}

async fn marked_profile(app: &TestApp, token: &str, tag: &str, self_service: bool) -> Marked {
    let contact = format!("{tag}-contact@secret.test");
    let po = format!("PO-{tag}-SECRET");
    let holder = format!("{tag} Card Holder");
    let input = json!({"name": format!("{tag} profile"), "contactName": "Pat Payer", "contactEmail": contact,
        "billToAddress": address("US"), "poNumber": po, "selfService": self_service});
    let data = app
        .ok(
            token,
            "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
            json!({"i": input}),
        )
        .await;
    let id = data["createBillingProfile"]["id"].as_str().expect("id").to_owned();
    let mut card = card(CARD_OK, "US");
    card["card"]["nameOnCard"] = json!(holder);
    app.ok(
        token,
        "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": id, "i": card}),
    )
    .await;
    Marked { id, markers: [contact, po, holder] }
}

struct World {
    app: TestApp,
    /// (label, token) of every caller.
    actors: Vec<(&'static str, String)>,
    /// The marked profiles by tag: ORG (Contoso's), BUYER, OTHER_BUYER (self-service), NORTH (another organization).
    profiles: BTreeMap<&'static str, Marked>,
    /// Subscriptions by tag: ORG on the ORG profile, BUYER / OTHER_BUYER self-service, NORTH.
    subs: BTreeMap<&'static str, String>,
    license_holder: String,
    license_admin: String,
    global_admin: String,
}

async fn purchase(app: &TestApp, token: &str, product: &str, profile: &str, channel: &str) -> String {
    let input = json!({"productId": product, "term": "MONTHLY", "quantity": 5, "billingProfileId": profile, "channel": channel});
    app.ok(token, TestApp::PURCHASE, json!({"i": input})).await["purchaseSubscription"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let rival = app.register_publisher("Rival").await;
    let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&shop.org, "Ursula User", &[]).await;
    let owner = app.user(&shop.org, "Olga Owner", &[]).await;
    let contributor = app.user(&shop.org, "Connie Contributor", &[]).await;
    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    let invoice_manager = app.user(&shop.org, "Ivan Invoices", &[]).await;
    let buyer = app.user(&shop.org, "Bea Buyer", &[]).await;
    let other_buyer = app.user(&shop.org, "Otto Otherbuyer", &[]).await;
    let north = app.register_org("Northwind", "US").await;
    app.accept_agreement(&north.admin).await;

    let mut profiles = BTreeMap::new();
    profiles.insert("ORG", marked_profile(&app, &shop.org.admin, "ORG", false).await);
    profiles.insert("BUYER", marked_profile(&app, &buyer.token, "BUYER", true).await);
    profiles.insert("OTHER_BUYER", marked_profile(&app, &other_buyer.token, "SECONDB", true).await);
    profiles.insert("NORTH", marked_profile(&app, &north.admin, "NORTH", false).await);
    let org_profile = profiles["ORG"].id.clone();
    for (person, role) in
        [(&owner, "OWNER"), (&contributor, "CONTRIBUTOR"), (&reader, "READER"), (&invoice_manager, "INVOICE_MANAGER")]
    {
        app.grant_role(&shop.org.admin, &org_profile, &person.id, role).await;
    }

    let mut subs = BTreeMap::new();
    subs.insert("ORG", purchase(&app, &shop.org.admin, &shop.per_license, &org_profile, "DIRECT").await);
    subs.insert("BUYER", purchase(&app, &buyer.token, &shop.per_license, &profiles["BUYER"].id, "SELF_SERVICE").await);
    let other =
        purchase(&app, &other_buyer.token, &shop.per_license, &profiles["OTHER_BUYER"].id, "SELF_SERVICE").await;
    subs.insert("OTHER_BUYER", other);
    subs.insert("NORTH", purchase(&app, &north.admin, &shop.per_license, &profiles["NORTH"].id, "DIRECT").await);
    for sub in subs.values() {
        app.activate(&shop.publisher, sub).await;
    }
    let assign =
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }";
    app.ok(&shop.org.admin, assign, json!({"s": subs["ORG"], "u": [plain.id]})).await;
    app.ok(&buyer.token, assign, json!({"s": subs["BUYER"], "u": [plain.id]})).await;
    // Invoices for every profile (R31), and a proposal for the proposal rule.
    app.bill(date(2026, 4, 1)).await;
    let proposal = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id } }";
    let lines = json!([{"productId": shop.per_license, "term": "MONTHLY", "quantity": 3}]);
    app.ok(
        &shop.publisher.token,
        proposal,
        json!({"i": {"organizationId": shop.org.id, "title": "Bundle", "lines": lines}}),
    )
    .await;

    let actors = vec![
        ("GLOBAL_ADMIN", shop.org.admin.clone()),
        ("BILLING_ADMIN", billing.token.clone()),
        ("LICENSE_ADMIN", license.token.clone()),
        ("USER", plain.token.clone()),
        ("BUYER", buyer.token.clone()),
        ("OTHER_BUYER", other_buyer.token.clone()),
        ("OWNER", owner.token.clone()),
        ("CONTRIBUTOR", contributor.token.clone()),
        ("READER", reader.token.clone()),
        ("INVOICE_MANAGER", invoice_manager.token.clone()),
        ("OTHER_ORG_ADMIN", north.admin.clone()),
        ("PUBLISHER", shop.publisher.token.clone()),
        ("OTHER_PUBLISHER", rival.token.clone()),
    ];
    World {
        actors,
        profiles,
        subs,
        license_holder: plain.id.clone(),
        license_admin: license.token.clone(),
        global_admin: shop.org.admin.clone(),
        app,
    }
}

/// The marked profiles each caller may view (R1, R2, R3, R25, R38).
fn may_view(actor: &str) -> &'static [&'static str] {
    match actor {
        "GLOBAL_ADMIN" | "BILLING_ADMIN" | "OWNER" | "CONTRIBUTOR" | "READER" | "INVOICE_MANAGER" => &["ORG"],
        "BUYER" => &["BUYER"],
        "OTHER_BUYER" => &["OTHER_BUYER"],
        "OTHER_ORG_ADMIN" => &["NORTH"],
        _ => &[],
    }
}

/// Every string value of a JSON document under the key `key`, recursively.
fn values_of(value: &Value, key: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key
                    && let Some(text) = v.as_str()
                {
                    out.insert(text.to_owned());
                }
                values_of(v, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| values_of(v, key, out)),
        _ => {}
    }
}

/// The IDs of the billing-profile objects in a response (objects that have a contactEmail).
fn profile_ids_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("contactEmail")
                && let Some(id) = map.get("id").and_then(Value::as_str)
            {
                out.insert(id.to_owned());
            }
            map.values().for_each(|v| profile_ids_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| profile_ids_in(v, out)),
        _ => {}
    }
}

/// Issue 8 §7, R37, R38: every path × every caller. A caller reaches exactly
/// the profiles it may view, through every root field and nested field, and no
/// response carries the marked data of any other profile.
#[tokio::test]
async fn r37_nested_paths_by_actor() {
    let w = world().await;
    let app = &w.app;
    let sub_list = format!(
        "{{ subscriptions(first: 100) {{ nodes {{ id billingProfile {{ {PROFILE} }} purchaser {{ id email }} assignedUsers {{ id email }} }} }} }}"
    );
    let sub_one = format!("query($id: ID!) {{ subscription(id: $id) {{ id billingProfile {{ {PROFILE} }} }} }}");
    let profile_list = format!("{{ billingProfiles(first: 100) {{ nodes {{ {PROFILE} }} }} }}");
    let profile_one = format!("query($id: ID!) {{ billingProfile(id: $id) {{ {PROFILE} }} }}");
    let invoice_list = format!(
        "{{ invoices(first: 100, filter: {{period: PAST_6_MONTHS}}) {{ nodes {{ id pdfUrl billingProfile {{ {PROFILE} }} }} }} }}"
    );
    let audit = "{ auditEvents(first: 100) { nodes { objectType objectId before after actor { id email } } } }";
    let invoice_ids: Vec<String> = {
        let mut ids = Vec::new();
        for (label, token) in &w.actors {
            if may_view(label).is_empty() {
                continue;
            }
            let data = app.gql(Some(token), &invoice_list, json!({})).await;
            for node in data["data"]["invoices"]["nodes"].as_array().cloned().unwrap_or_default() {
                ids.push(node["id"].as_str().expect("id").to_owned());
            }
        }
        ids.sort();
        ids.dedup();
        ids
    };
    assert_eq!(invoice_ids.len(), 4, "one invoice per marked profile (R31)");
    let invoice_one = format!("query($id: ID!) {{ invoice(id: $id) {{ id billingProfile {{ {PROFILE} }} }} }}");

    for (label, token) in &w.actors {
        let allowed: BTreeSet<&str> = may_view(label).iter().copied().collect();
        let allowed_ids: BTreeSet<String> = allowed.iter().map(|tag| w.profiles[tag].id.clone()).collect();
        let mut responses: Vec<(String, Value)> = vec![
            ("subscriptions".into(), app.gql(Some(token), &sub_list, json!({})).await),
            ("billingProfiles".into(), app.gql(Some(token), &profile_list, json!({})).await),
            ("invoices".into(), app.gql(Some(token), &invoice_list, json!({})).await),
            ("auditEvents".into(), app.gql(Some(token), audit, json!({})).await),
            ("me".into(), app.gql(Some(token), "{ me { id email } }", json!({})).await),
        ];
        for (tag, sub) in &w.subs {
            responses.push((format!("subscription({tag})"), app.gql(Some(token), &sub_one, json!({"id": sub})).await));
        }
        for (tag, profile) in &w.profiles {
            let response = app.gql(Some(token), &profile_one, json!({"id": profile.id})).await;
            let code = response["errors"][0]["extensions"]["code"].as_str().map(str::to_owned);
            if allowed.contains(tag) {
                assert_eq!(
                    response["data"]["billingProfile"]["id"],
                    profile.id.as_str(),
                    "{label} views {tag}: {response}"
                );
            } else {
                assert_eq!(code.as_deref(), Some("NOT_FOUND"), "R3: {label} gets NOT_FOUND for {tag}: {response}");
            }
            responses.push((format!("billingProfile({tag})"), response));
        }
        for id in &invoice_ids {
            responses.push((format!("invoice({id})"), app.gql(Some(token), &invoice_one, json!({"id": id})).await));
        }
        // Mutation payloads: assign and unassign return the subscription (R37).
        for (tag, sub) in &w.subs {
            let assign = format!(
                "mutation($s: ID!, $u: [ID!]!) {{ unassignLicenses(subscriptionId: $s, userIds: $u) {{ subscription {{ id billingProfile {{ {PROFILE} }} }} unassignedUsers {{ id email }} }} }}"
            );
            let response = app.gql(Some(token), &assign, json!({"s": sub, "u": [w.license_holder]})).await;
            let took_back =
                response["data"]["unassignLicenses"]["unassignedUsers"].as_array().is_some_and(|u| !u.is_empty());
            if took_back {
                let back = "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }";
                app.ok(token, back, json!({"s": sub, "u": [w.license_holder]})).await;
            }
            responses.push((format!("unassignLicenses({tag})"), response));
        }

        // Which profiles were reached, on any path, and which marked data appeared.
        let mut reached = BTreeSet::new();
        for (path, response) in &responses {
            let mut ids = BTreeSet::new();
            profile_ids_in(&response["data"], &mut ids);
            let marked: BTreeSet<String> = w.profiles.values().map(|p| p.id.clone()).collect();
            for id in ids.intersection(&marked) {
                assert!(allowed_ids.contains(id), "R37: {label} reached profile {id} through {path}");
                reached.insert(id.clone());
            }
            let text = response.to_string();
            for (tag, profile) in &w.profiles {
                if allowed.contains(tag) {
                    continue;
                }
                for marker in &profile.markers {
                    assert!(!text.contains(marker.as_str()), "R37/R38: {label} sees {tag}'s {marker} through {path}");
                }
                // Not even the ID of a profile the caller may not view (audit snapshots included).
                assert!(
                    !text.contains(profile.id.as_str()),
                    "R37: {label} sees the ID of {tag}'s profile through {path}: {text}"
                );
            }
        }
        assert_eq!(reached, allowed_ids, "{label}: the profiles reached are exactly those it may view");
    }

    // Nested-field rows: Subscription.billingProfile is null where the subscription is
    // visible but its profile is not (R37, R38).
    let nested = |token: String, sub: String| {
        let app = &w.app;
        let sub_one = sub_one.clone();
        async move { app.gql(Some(&token), &sub_one, json!({"id": sub})).await }
    };
    let la = nested(w.license_admin.clone(), w.subs["ORG"].clone()).await;
    assert_eq!(la["data"]["subscription"]["id"], w.subs["ORG"].as_str(), "R1: LICENSE_ADMIN views org subscriptions");
    assert!(la["data"]["subscription"]["billingProfile"].is_null(), "R37: but not their billing profile: {la}");
    let ga = nested(w.global_admin.clone(), w.subs["BUYER"].clone()).await;
    assert_eq!(
        ga["data"]["subscription"]["id"],
        w.subs["BUYER"].as_str(),
        "R27: admins view self-service subscriptions"
    );
    assert!(ga["data"]["subscription"]["billingProfile"].is_null(), "R38: not the buyer's profile: {ga}");

    // Audit: a LICENSE_ADMIN sees subscription events, never billing ones (R36, R37).
    let events = app.ok(&w.license_admin, audit, json!({})).await;
    let mut types = BTreeSet::new();
    values_of(&events, "objectType", &mut types);
    assert!(types.contains("subscription"), "LICENSE_ADMIN sees subscription events: {types:?}");
    for billing in ["billing_profile", "payment_method", "invoice", "proposal"] {
        assert!(!types.contains(billing), "R37: LICENSE_ADMIN sees no {billing} events: {types:?}");
    }
    let events = app.ok(&w.global_admin, audit, json!({})).await;
    let mut types = BTreeSet::new();
    values_of(&events, "objectType", &mut types);
    for expected in ["subscription", "billing_profile", "payment_method", "invoice", "proposal"] {
        assert!(types.contains(expected), "GLOBAL_ADMIN sees {expected} events: {types:?}");
    }
    // Publishers' events carry nothing of a customer's billing (R37).
    let publisher = &w.actors.iter().find(|(l, _)| *l == "PUBLISHER").expect("publisher").1;
    let events =
        app.ok(publisher, "{ auditEvents(first: 100) { nodes { action before after } } }", json!({})).await.to_string();
    assert!(events.contains("subscription.activate"), "the publisher sees its activations: {events}");
    for billing in ["billingProfileId", "autoRenew", "unitPrice"] {
        assert!(!events.contains(billing), "R37: no {billing} in a publisher's audit log: {events}");
    }
}

/// Every user of the database as an actor (R1 roles from `user_roles`).
async fn all_actors(app: &TestApp) -> Vec<Actor> {
    let roles = user_role::Entity::find().all(&app.db).await.expect("roles");
    user::Entity::find()
        .all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| match (u.organization_id, u.publisher_id) {
            (Some(organization_id), _) => Actor::Org(OrgActor {
                user_id: u.id,
                organization_id,
                roles: roles.iter().filter(|r| r.user_id == u.id).map(|r| r.role).collect(),
            }),
            (None, Some(publisher_id)) => Actor::Publisher(PublisherActor { user_id: u.id, publisher_id }),
            (None, None) => panic!("a user without tenant"),
        })
        .collect()
}

fn ids<T>(rows: &[T], id: impl Fn(&T) -> Uuid) -> BTreeSet<Uuid> {
    rows.iter().map(id).collect()
}

/// Issue 8 §7: for every actor and every object, the row check (used by `get`
/// and nested fields) and the SQL condition (used by lists) pick the same rows.
#[tokio::test]
async fn r37_each_rule_agrees_with_its_sql_condition() {
    let w = world().await;
    let db = &w.app.db;
    let actors = all_actors(&w.app).await;
    assert!(actors.len() >= 13, "every kind of caller is in the database");
    let profiles = billing_profile::Entity::find().all(db).await.expect("profiles");
    let methods = payment_method::Entity::find().all(db).await.expect("methods");
    let invoices = invoice::Entity::find().all(db).await.expect("invoices");
    let subs = subscription::Entity::find().all(db).await.expect("subscriptions");
    let events = audit_event::Entity::find().all(db).await.expect("events");
    let users = user::Entity::find().all(db).await.expect("users");
    let proposals = proposal::Entity::find().all(db).await.expect("proposals");
    let products = product::Entity::find().all(db).await.expect("products");
    assert!(!invoices.is_empty() && !proposals.is_empty() && !methods.is_empty());
    let mut seen_any = [0usize; 7];

    for actor in &actors {
        let who = format!("{actor:?}");
        // Billing profiles.
        let by_sql = billing_profile::Entity::find()
            .filter(access::billing_profile::visible(actor))
            .all(db)
            .await
            .expect("the SQL condition");
        let mut by_row = BTreeSet::new();
        for p in &profiles {
            if access::billing_profile::rights(db, actor, p).await.expect("rights").view {
                by_row.insert(p.id);
            }
        }
        assert_eq!(ids(&by_sql, |p| p.id), by_row, "billing profiles for {who}");
        seen_any[0] += by_row.len();
        // Payment methods.
        let by_sql = payment_method::Entity::find()
            .filter(access::payment_method::visible(actor))
            .all(db)
            .await
            .expect("the SQL condition");
        let mut by_row = BTreeSet::new();
        for m in &methods {
            if let Ok((profile, _)) = access::billing_profile::load(db, actor, m.billing_profile_id).await
                && access::payment_method::of_profile(&profile, m.clone()).is_some()
            {
                by_row.insert(m.id);
            }
        }
        assert_eq!(ids(&by_sql, |m| m.id), by_row, "payment methods for {who}");
        seen_any[1] += by_row.len();
        // Invoices.
        let by_sql =
            invoice::Entity::find().filter(access::invoice::visible(actor)).all(db).await.expect("the SQL condition");
        let mut by_row = BTreeSet::new();
        for i in &invoices {
            if access::invoice::load(db, actor, i.id, false).await.is_ok() {
                by_row.insert(i.id);
            }
        }
        assert_eq!(ids(&by_sql, |i| i.id), by_row, "invoices for {who}");
        seen_any[2] += by_row.len();
        // Subscriptions: the org view and the publisher view.
        let by_sql = subscription::Entity::find()
            .filter(access::subscription::visible(actor))
            .all(db)
            .await
            .expect("the SQL condition");
        let mut by_row = BTreeSet::new();
        for s in &subs {
            if access::subscription::check(db, actor, s.clone(), access::subscription::Access::View).await.is_ok() {
                by_row.insert(s.id);
            }
        }
        assert_eq!(ids(&by_sql, |s| s.id), by_row, "subscriptions for {who}");
        seen_any[3] += by_row.len();
        let by_sql = subscription::Entity::find()
            .filter(access::subscription::visible_to_publisher(actor))
            .all(db)
            .await
            .expect("the SQL condition");
        let by_row: BTreeSet<Uuid> = subs
            .iter()
            .filter(|s| {
                let product = products.iter().find(|p| p.id == s.product_id).expect("product");
                access::subscription::check_for_publisher(actor, (*s).clone(), product).is_ok()
            })
            .map(|s| s.id)
            .collect();
        assert_eq!(ids(&by_sql, |s| s.id), by_row, "publisher subscriptions for {who}");
        // Audit events.
        let by_sql = audit_event::Entity::find()
            .filter(access::audit_event::visible(actor))
            .all(db)
            .await
            .expect("the SQL condition");
        let mut by_row = BTreeSet::new();
        for e in &events {
            if access::audit_event::check(db, actor, e).await.expect("audit check") {
                by_row.insert(e.id);
            }
        }
        assert_eq!(ids(&by_sql, |e| e.id), by_row, "audit events for {who}");
        seen_any[4] += by_row.len();
        // Users.
        let by_sql =
            user::Entity::find().filter(access::user::visible(actor)).all(db).await.expect("the SQL condition");
        let by_row: BTreeSet<Uuid> =
            users.iter().filter(|u| access::user::check(actor, (*u).clone()).is_some()).map(|u| u.id).collect();
        assert_eq!(ids(&by_sql, |u| u.id), by_row, "users for {who}");
        seen_any[5] += by_row.len();
        // Proposals.
        let by_sql =
            proposal::Entity::find().filter(access::proposal::visible(actor)).all(db).await.expect("the SQL condition");
        let by_row: BTreeSet<Uuid> =
            proposals.iter().filter(|p| access::proposal::check(actor, (*p).clone()).is_some()).map(|p| p.id).collect();
        assert_eq!(ids(&by_sql, |p| p.id), by_row, "proposals for {who}");
        seen_any[6] += by_row.len();
    }
    // The comparison is not vacuous: every rule lets someone see something, and not everyone everything.
    for (i, count) in seen_any.iter().enumerate() {
        assert!(*count > 0, "rule {i} lets nobody see anything");
    }
    let everyone_sees_all = actors.len() * profiles.len();
    assert!(seen_any[0] < everyone_sees_all, "the billing-profile rule refuses someone");
}
