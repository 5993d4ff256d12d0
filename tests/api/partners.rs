//! R39 partners and issue 9 item 8 (`viewerCan`): a partner tenant requests
//! a relationship with a customer, the customer's GLOBAL_ADMIN approves,
//! rejects or ends it; while it lasts the partner buys for the customer on its
//! own billing profile and manages what it bought; the customer's admins see
//! the subscription and assign its licenses but never the partner's billing.
//! Every refusal answers the right code and changes nothing.

use serde_json::{Value, json};

use crate::{
    authz::{ASSIGN, AUTO_RENEW, CANCEL, QUANTITY, attempt, outcome},
    helpers::*,
};

const OK: &str = "ok";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const INVALID_STATE: &str = "INVALID_STATE";

const REQUEST: &str =
    "mutation($o: ID!) { requestPartnerRelationship(organizationId: $o) { id status partnerName organizationName } }";
const APPROVE: &str = "mutation($id: ID!) { approvePartnerRelationship(id: $id) { id status } }";
const REJECT: &str = "mutation($id: ID!) { rejectPartnerRelationship(id: $id) { id status } }";
const END: &str = "mutation($id: ID!) { endPartnerRelationship(id: $id) { id status endedAt } }";
const RELATIONSHIPS: &str = "query($s: PartnerRelationshipStatus) { partnerRelationships(status: $s) { id status partnerName organizationId } }";
const RELATIONSHIP: &str = "query($id: ID!) { partnerRelationship(id: $id) { id status } }";
const BUY_FOR: &str = "mutation($i: PurchaseForCustomerInput!) { purchaseForCustomer(input: $i) \
    { id status channel partnerName boughtByPartner quantity organizationName billingProfile { id } } }";
const CATALOG: &str = "query($c: ID!) { products(filter: {customerId: $c}, first: 50) { totalCount nodes { id } } }";
const SUB: &str = "query($id: ID!) { subscription(id: $id) { id status quantity autoRenew channel partnerName \
    boughtByPartner assigned billingProfile { id } assignedUsers { id } purchaser { id } \
    viewerCan { changeQuantity assignLicenses cancel turnOffAutoRenew changeBillingProfile activate } } }";

struct Partner {
    admin: String,
    id: String,
    profile: String,
}

async fn register_partner(app: &TestApp, name: &str) -> Partner {
    let email = format!("partner-{}@partner.test", uuid::Uuid::new_v4().simple());
    let data = app
        .ok_anon(
            "mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { token user { id isPartner organization { id kind } } } }",
            json!({"i": {"partnerName": name, "country": "US", "name": format!("{name} Admin"), "email": email, "password": PASSWORD}}),
        )
        .await;
    let payload = &data["registerPartner"];
    assert_eq!(payload["user"]["isPartner"], json!(true), "R39: a partner user");
    assert_eq!(payload["user"]["organization"]["kind"], json!("PARTNER"));
    // Sign-in like everyone else.
    let admin = app.login(&email).await;
    let me = app.ok(&admin, "{ me { isPartner } }", json!({})).await;
    assert_eq!(me["me"]["isPartner"], json!(true));
    // The partner's own billing profile and card, in its own tenant.
    let profile = app.billing_profile(&admin, "US", Some(CARD_OK)).await;
    Partner { admin, id: payload["user"]["organization"]["id"].as_str().expect("partner id").to_owned(), profile }
}

async fn request(app: &TestApp, partner: &Partner, org: &str) -> String {
    let data = app.ok(&partner.admin, REQUEST, json!({"o": org})).await;
    assert_eq!(data["requestPartnerRelationship"]["status"], json!("PENDING"));
    data["requestPartnerRelationship"]["id"].as_str().expect("relationship id").to_owned()
}

/// A partner with an APPROVED relationship with `shop`'s organization.
async fn approved_partner(app: &TestApp, shop: &Shop, name: &str) -> (Partner, String) {
    let partner = register_partner(app, name).await;
    let rel = request(app, &partner, &shop.org.id).await;
    let data = app.ok(&shop.org.admin, APPROVE, json!({"id": rel})).await;
    assert_eq!(data["approvePartnerRelationship"]["status"], json!("APPROVED"));
    (partner, rel)
}

async fn buy_for(app: &TestApp, partner: &Partner, shop: &Shop, quantity: i64) -> Value {
    let input = json!({"organizationId": shop.org.id, "productId": shop.per_license, "term": "MONTHLY",
        "quantity": quantity, "billingProfileId": partner.profile});
    app.ok(&partner.admin, BUY_FOR, json!({"i": input})).await["purchaseForCustomer"].clone()
}

fn buy_vars(partner: &Partner, shop: &Shop) -> Value {
    json!({"i": {"organizationId": shop.org.id, "productId": shop.per_license, "term": "MONTHLY", "quantity": 1,
        "billingProfileId": partner.profile}})
}

/// Row counts of everything a refused call could have changed.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in
        ["partner_relationships", "subscriptions", "charges", "license_assignments", "audit_events", "organizations"]
    {
        out.push(app.count(table).await);
    }
    out
}

async fn status_of(app: &TestApp, rel: &str) -> String {
    use sea_orm::EntityTrait;
    let id = uuid::Uuid::parse_str(rel).expect("uuid");
    let row = entity::partner_relationship::Entity::find_by_id(id).one(&app.db).await.expect("read").expect("row");
    row.status.as_str().to_owned()
}

async fn sub_row(app: &TestApp, id: &str) -> entity::subscription::Model {
    use sea_orm::EntityTrait;
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    entity::subscription::Entity::find_by_id(id).one(&app.db).await.expect("read").expect("row")
}

#[tokio::test]
async fn r39_partner_buys_for_customer_end_to_end() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let partner = register_partner(&app, "Adatum Partners").await;
    let member = app.user(&shop.org, "Dana Member", &[]).await;

    // No relationship yet: nothing of the customer, nothing changes.
    let before = counts(&app).await;
    assert_eq!(app.err(Some(&partner.admin), BUY_FOR, buy_vars(&partner, &shop)).await, NOT_FOUND);
    assert_eq!(app.err(Some(&partner.admin), CATALOG, json!({"c": shop.org.id})).await, NOT_FOUND);
    assert_eq!(counts(&app).await, before);

    // Request, the customer's GLOBAL_ADMIN sees it pending and approves.
    let rel = request(&app, &partner, &shop.org.id).await;
    let pending = app.ok(&shop.org.admin, RELATIONSHIPS, json!({"s": "PENDING"})).await;
    assert_eq!(pending["partnerRelationships"][0]["id"], json!(rel));
    assert_eq!(pending["partnerRelationships"][0]["partnerName"], json!("Adatum Partners"));
    assert_eq!(
        app.err(Some(&partner.admin), REQUEST, json!({"o": shop.org.id})).await,
        INVALID_STATE,
        "one open request"
    );
    app.ok(&shop.org.admin, APPROVE, json!({"id": rel})).await;

    // The catalog for the customer's market.
    let catalog = app.ok(&partner.admin, CATALOG, json!({"c": shop.org.id})).await;
    assert!(catalog["products"]["totalCount"].as_i64().unwrap_or(0) >= 2);

    // The partner buys: channel PARTNER, partner recorded, billed to its own profile.
    let sub = buy_for(&app, &partner, &shop, 5).await;
    let sub_id = sub["id"].as_str().expect("id").to_owned();
    assert_eq!(sub["channel"], json!("PARTNER"));
    assert_eq!(sub["partnerName"], json!("Adatum Partners"));
    assert_eq!(sub["boughtByPartner"], json!(true));
    assert_eq!(sub["organizationName"], json!("Contoso"));
    assert_eq!(sub["billingProfile"]["id"], json!(partner.profile));
    let row = sub_row(&app, &sub_id).await;
    assert_eq!(row.organization_id.to_string(), shop.org.id);
    assert_eq!(row.billing_profile_id.to_string(), partner.profile);
    assert_eq!(row.partner_tenant_id.map(|p| p.to_string()), Some(partner.id.clone()));
    app.activate(&shop.publisher, &sub_id).await;

    // The customer's admin sees it, assigns licenses, sees nothing of the partner's billing.
    let seen = app.ok(&shop.org.admin, SUB, json!({"id": sub_id})).await["subscription"].clone();
    assert_eq!(seen["billingProfile"], Value::Null, "R39: the partner's profile is not the customer's to see");
    assert_eq!(seen["viewerCan"]["assignLicenses"], json!(true));
    assert_eq!(seen["viewerCan"]["changeQuantity"], json!(false));
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub_id, "u": [member.id]})).await;
    assert_eq!(app.err(Some(&shop.org.admin), QUANTITY, json!({"s": sub_id, "q": 9})).await, FORBIDDEN);
    let audit = app
        .ok(&shop.org.admin, "{ auditEvents(first: 100) { nodes { action objectId before after } } }", json!({}))
        .await;
    let text = audit.to_string();
    assert!(!text.contains(&partner.profile), "R37/R39: no partner profile in the customer's audit log");
    for action in ["partner_relationship.request", "partner_relationship.approve", "subscription.purchase"] {
        assert!(text.contains(action), "audit has {action}");
    }
    let customer_invoices = app.ok(&shop.org.admin, "{ billingProfiles(first: 50) { nodes { id } } }", json!({})).await;
    assert!(!customer_invoices.to_string().contains(&partner.profile));

    // The partner manages what it bought, but sees nothing else of the customer.
    let theirs = app.ok(&partner.admin, SUB, json!({"id": sub_id})).await["subscription"].clone();
    assert_eq!(theirs["assignedUsers"], json!([]), "the customer's people are not the partner's to see");
    assert_eq!(theirs["viewerCan"]["changeQuantity"], json!(true));
    assert_eq!(theirs["viewerCan"]["assignLicenses"], json!(false));
    app.ok(&partner.admin, QUANTITY, json!({"s": sub_id, "q": 7})).await;
    assert_eq!(app.err(Some(&partner.admin), ASSIGN, json!({"s": sub_id, "u": [member.id]})).await, FORBIDDEN);
    let own = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    assert_eq!(app.err(Some(&partner.admin), SUB, json!({"id": own})).await, NOT_FOUND);
    assert_eq!(
        app.err(
            Some(&partner.admin),
            "query($id: ID!) { billingProfile(id: $id) { id } }",
            json!({"id": shop.profile})
        )
        .await,
        NOT_FOUND
    );
    assert_eq!(app.err(Some(&partner.admin), "{ users(first: 10) { totalCount } }", json!({})).await, FORBIDDEN);
    assert_eq!(app.err(Some(&partner.admin), "{ auditEvents(first: 10) { totalCount } }", json!({})).await, FORBIDDEN);
    let listed = app.ok(&partner.admin, "{ subscriptions(first: 50) { nodes { id } } }", json!({})).await;
    assert_eq!(listed["subscriptions"]["nodes"], json!([{"id": sub_id}]));

    // Billed to the partner: its invoice, on its profile, in its tenant.
    app.bill(date(2026, 4, 1)).await;
    let partner_invoices = app.all_invoices(&partner.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    assert!(!partner_invoices.is_empty(), "the partner is invoiced");
    assert!(partner_invoices.iter().all(|i| i["billingProfile"]["id"] == json!(partner.profile)));
    let customer_invoices = app.all_invoices(&shop.org.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    for invoice in &customer_invoices {
        assert!(partner_invoices.iter().all(|p| p["id"] != invoice["id"]), "no partner invoice for the customer");
    }

    // Turn auto-renew off, buy one more, cancel the first.
    app.ok(&partner.admin, AUTO_RENEW, json!({"s": sub_id, "a": false})).await;
    let second = buy_for(&app, &partner, &shop, 1).await["id"].as_str().expect("id").to_owned();
    let cancelled = app.ok(&partner.admin, CANCEL, json!({"s": sub_id, "r": "OTHER"})).await;
    assert_eq!(cancelled["cancelSubscription"]["status"], json!("DISABLED"));

    // The customer ends the relationship: subscriptions stay, the partner loses them.
    let ended = app.ok(&shop.org.admin, END, json!({"id": rel})).await;
    assert_eq!(ended["endPartnerRelationship"]["status"], json!("ENDED"));
    let before = counts(&app).await;
    assert_eq!(app.err(Some(&partner.admin), SUB, json!({"id": second})).await, NOT_FOUND);
    assert_eq!(app.err(Some(&partner.admin), QUANTITY, json!({"s": second, "q": 3})).await, NOT_FOUND);
    assert_eq!(app.err(Some(&partner.admin), CANCEL, json!({"s": second, "r": "OTHER"})).await, NOT_FOUND);
    assert_eq!(app.err(Some(&partner.admin), BUY_FOR, buy_vars(&partner, &shop)).await, NOT_FOUND);
    assert_eq!(counts(&app).await, before, "refusals change nothing");
    let kept = app.ok(&shop.org.admin, SUB, json!({"id": second})).await["subscription"].clone();
    assert_eq!(kept["status"], json!("PENDING_ACTIVATION"), "kept");
    assert_eq!(kept["autoRenew"], json!(false), "no renewal billed to a partner that can no longer manage it");
    let audit = app.ok(&shop.org.admin, "{ auditEvents(first: 100) { nodes { action } } }", json!({})).await;
    assert!(audit.to_string().contains("partner_relationship.end"));
}

#[tokio::test]
async fn r39_rejected_request_grants_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let partner = register_partner(&app, "Tailspin").await;
    let rel = request(&app, &partner, &shop.org.id).await;
    let data = app.ok(&shop.org.admin, REJECT, json!({"id": rel})).await;
    assert_eq!(data["rejectPartnerRelationship"]["status"], json!("REJECTED"));
    let before = counts(&app).await;
    assert_eq!(app.err(Some(&partner.admin), BUY_FOR, buy_vars(&partner, &shop)).await, NOT_FOUND);
    assert_eq!(app.err(Some(&shop.org.admin), APPROVE, json!({"id": rel})).await, INVALID_STATE);
    assert_eq!(app.err(Some(&shop.org.admin), END, json!({"id": rel})).await, INVALID_STATE);
    assert_eq!(counts(&app).await, before);
    assert_eq!(status_of(&app, &rel).await, "REJECTED");
    // The partner may ask again; a partner cannot be named as a customer.
    request(&app, &partner, &shop.org.id).await;
    let other = register_partner(&app, "Other Partner").await;
    assert_eq!(app.err(Some(&partner.admin), REQUEST, json!({"o": other.id})).await, NOT_FOUND);
    assert_eq!(app.err(Some(&partner.admin), REQUEST, json!({"o": uuid::Uuid::new_v4().to_string()})).await, NOT_FOUND);
}

/// Every actor of the table, on one customer.
struct Table {
    app: TestApp,
    shop: Shop,
    ga: String,
    ba: String,
    la: String,
    user: Person,
    with: Partner,
    with_rel: String,
    without: Partner,
    ended: Partner,
    ended_sub: String,
    publisher: String,
    /// Bought by `with` for the customer, ACTIVE.
    sub: String,
}

async fn table() -> Table {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let ba = app.user(&shop.org, "Bea Billing", &["BILLING_ADMIN"]).await.token;
    let la = app.user(&shop.org, "Lee License", &["LICENSE_ADMIN"]).await.token;
    let user = app.user(&shop.org, "Uma User", &[]).await;
    let (with, with_rel) = approved_partner(&app, &shop, "With Partner").await;
    let without = register_partner(&app, "Without Partner").await;
    let (ended, ended_rel) = approved_partner(&app, &shop, "Ended Partner").await;
    let ended_sub = buy_for(&app, &ended, &shop, 1).await["id"].as_str().expect("id").to_owned();
    app.ok(&shop.org.admin, END, json!({"id": ended_rel})).await;
    let sub = buy_for(&app, &with, &shop, 3).await["id"].as_str().expect("id").to_owned();
    app.activate(&shop.publisher, &sub).await;
    let publisher = shop.publisher.token.clone();
    let ga = shop.org.admin.clone();
    Table { app, shop, ga, ba, la, user, with, with_rel, without, ended, ended_sub, publisher, sub }
}

impl Table {
    /// (actor name, token) for every actor of the table.
    fn actors(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GLOBAL_ADMIN", self.ga.clone()),
            ("BILLING_ADMIN", self.ba.clone()),
            ("LICENSE_ADMIN", self.la.clone()),
            ("USER", self.user.token.clone()),
            ("partner with relationship", self.with.admin.clone()),
            ("partner without relationship", self.without.admin.clone()),
            ("partner whose relationship ended", self.ended.admin.clone()),
            ("publisher", self.publisher.clone()),
        ]
    }

    /// Runs `query` as every actor; refusals must change nothing. The actors
    /// whose expected outcome is OK run last, so refusals meet unchanged data.
    async fn check(&self, operation: &str, query: &str, vars: Value, expected: [&str; 8]) {
        let actors = self.actors();
        let mut order: Vec<usize> = (0..8).filter(|i| expected[*i] != OK).collect();
        order.extend((0..8).filter(|i| expected[*i] == OK));
        for i in order {
            let (name, token) = &actors[i];
            let before = counts(&self.app).await;
            let sub_before = sub_row(&self.app, &self.sub).await;
            let result = attempt(&self.app, Some(token), query, vars.clone()).await;
            assert_eq!(outcome(&result), expected[i], "R39 {operation} as {name}: {result:?}");
            if expected[i] != OK {
                assert_eq!(counts(&self.app).await, before, "{operation} as {name} changed rows");
                assert_eq!(
                    sub_row(&self.app, &self.sub).await,
                    sub_before,
                    "{operation} as {name} changed the subscription"
                );
            }
        }
    }
}

#[tokio::test]
async fn r39_authorization_table() {
    let t = table().await;
    let app = &t.app;
    // Actors: GA, BA, LA, USER, partner with, partner without, partner ended, publisher.
    t.check(
        "list relationships",
        RELATIONSHIPS,
        json!({}),
        [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN],
    )
    .await;
    t.check(
        "read relationship",
        RELATIONSHIP,
        json!({"id": t.with_rel}),
        // Issue 19 (R37): the customer's other users cannot see it: NOT_FOUND, as for a random ID.
        [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    t.check(
        "catalog for the customer",
        CATALOG,
        json!({"c": t.shop.org.id}),
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN],
    )
    .await;
    let sub = json!({"id": t.sub});
    t.check(
        "view the partner's subscription",
        SUB,
        sub.clone(),
        [OK, OK, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    for token in [&t.ga, &t.ba, &t.la] {
        let seen = app.ok(token, SUB, sub.clone()).await;
        assert_eq!(seen["subscription"]["billingProfile"], Value::Null, "R39: no partner billing for the customer");
    }
    t.check(
        "view a subscription bought before the relationship ended",
        SUB,
        json!({"id": t.ended_sub}),
        [OK, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    let quantity = json!({"s": t.sub, "q": 4});
    t.check(
        "change quantity",
        QUANTITY,
        quantity,
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    t.check(
        "change quantity after the end",
        QUANTITY,
        json!({"s": t.ended_sub, "q": 4}),
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    t.check(
        "assign licenses",
        ASSIGN,
        json!({"s": t.sub, "u": [t.user.id]}),
        [OK, FORBIDDEN, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    t.check(
        "turn auto-renew off",
        AUTO_RENEW,
        json!({"s": t.sub, "a": false}),
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
    t.check(
        "buy for the customer",
        BUY_FOR,
        buy_vars(&t.with, &t.shop),
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN],
    )
    .await;
    // Another partner's profile is not there (R3), even with a relationship.
    assert_eq!(app.err(Some(&t.with.admin), BUY_FOR, buy_vars(&t.without, &t.shop)).await, NOT_FOUND);

    // Decisions on fresh requests: only the customer's GLOBAL_ADMIN.
    let pending_a = request(app, &t.without, &t.shop.org.id).await;
    t.check(
        "approve",
        APPROVE,
        json!({"id": pending_a}),
        [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, NOT_FOUND],
    )
    .await;
    let late = register_partner(app, "Late Partner").await;
    let pending_b = request(app, &late, &t.shop.org.id).await;
    let late_token = late.admin.clone();
    // `without` is now approved; use `late` as the requesting partner in the reject row.
    let mut expected = [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND];
    t.check("reject", REJECT, json!({"id": pending_b}), expected).await;
    assert_eq!(
        app.err(Some(&late_token), REJECT, json!({"id": pending_b})).await,
        FORBIDDEN,
        "a partner never decides"
    );
    expected = [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND];
    t.check("end", END, json!({"id": t.with_rel}), expected).await;
    assert_eq!(status_of(app, &t.with_rel).await, "ENDED");
    // A request is a partner's act.
    for token in [&t.ga, &t.ba, &t.la, &t.user.token, &t.publisher] {
        assert_eq!(app.err(Some(token), REQUEST, json!({"o": t.shop.org.id})).await, FORBIDDEN);
    }
    t.check(
        "cancel after the end",
        CANCEL,
        json!({"s": t.sub, "r": "OTHER"}),
        [FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    )
    .await;
}

/// Item 8: what `viewerCan` promises is what the mutation does, per actor,
/// each on a fresh fixture.
#[tokio::test]
async fn viewer_can_agrees_with_the_mutations() {
    for actor in 0..5 {
        let t = table().await;
        let app = &t.app;
        let token = match actor {
            0 => t.ga.clone(),
            1 => t.ba.clone(),
            2 => t.la.clone(),
            3 => t.with.admin.clone(),
            _ => t.ended.admin.clone(),
        };
        let sub_id = if actor == 4 { t.ended_sub.clone() } else { t.sub.clone() };
        let can = match attempt(app, Some(&token), SUB, json!({"id": sub_id})).await {
            Ok(data) => data["subscription"]["viewerCan"].clone(),
            // Not visible: nothing can be done.
            Err(_) => {
                json!({"changeQuantity": false, "assignLicenses": false, "cancel": false, "turnOffAutoRenew": false})
            }
        };
        let tries = [
            ("assignLicenses", ASSIGN, json!({"s": sub_id, "u": [t.user.id]})),
            ("changeQuantity", QUANTITY, json!({"s": sub_id, "q": 5})),
            ("turnOffAutoRenew", AUTO_RENEW, json!({"s": sub_id, "a": false})),
            ("cancel", CANCEL, json!({"s": sub_id, "r": "OTHER"})),
        ];
        for (field, query, vars) in tries {
            let result = attempt(app, Some(&token), query, vars).await;
            assert_eq!(can[field].as_bool(), Some(result.is_ok()), "viewerCan.{field} for actor {actor}: {result:?}");
        }
    }

    // Billing profiles, payment methods and invoices: a READER, an OWNER-equivalent admin, a partner.
    let t = table().await;
    let app = &t.app;
    app.grant_role(&t.ga, &t.shop.profile, &t.user.id, "READER").await;
    let own = app.buy(&t.ga, &t.shop.per_license, "MONTHLY", Some(1), &t.shop.profile).await;
    app.activate(&t.shop.publisher, &own).await;
    app.bill(date(2026, 4, 1)).await;
    const PROFILE: &str = "query($id: ID!) { billingProfile(id: $id) { viewerCan { edit manageRoles changePaymentMethod } \
        paymentMethod { id viewerCan { edit } } } }";
    const UPDATE: &str = "mutation($id: ID!) { updateBillingProfile(id: $id, input: {name: \"Renamed\"}) { id } }";
    for (token, profile) in
        [(&t.user.token, &t.shop.profile), (&t.ba, &t.shop.profile), (&t.with.admin, &t.with.profile)]
    {
        let data = app.ok(token, PROFILE, json!({"id": profile})).await;
        let can = &data["billingProfile"]["viewerCan"];
        let result = attempt(app, Some(token), UPDATE, json!({"id": profile})).await;
        assert_eq!(can["edit"].as_bool(), Some(result.is_ok()), "viewerCan.edit: {result:?}");
        let method_can = data["billingProfile"]["paymentMethod"]["viewerCan"]["edit"].as_bool();
        assert_eq!(method_can, can["changePaymentMethod"].as_bool(), "the current method follows the profile right");
    }
    const INVOICES: &str = "{ invoices(first: 10, filter: {from: \"2026-01-01\", to: \"2026-12-31\"}) \
        { nodes { id status viewerCan { pay downloadPdf } } } }";
    const PAY: &str = "mutation($id: ID!) { payInvoice(invoiceId: $id) { id status } }";
    for token in [&t.user.token, &t.with.admin] {
        let data = app.ok(token, INVOICES, json!({})).await;
        let nodes = data["invoices"]["nodes"].as_array().cloned().unwrap_or_default();
        assert!(!nodes.is_empty(), "an invoice to look at");
        for node in nodes {
            assert_eq!(node["viewerCan"]["downloadPdf"], json!(true));
            let result = attempt(app, Some(token), PAY, json!({"id": node["id"]})).await;
            assert_eq!(node["viewerCan"]["pay"].as_bool(), Some(result.is_ok()), "viewerCan.pay: {result:?}");
        }
    }
}

/// Issue 25 item 4 (R42, R50): the portal link of an app a partner bought is
/// followed by the partner and by the customer's GLOBAL_ADMIN and
/// LICENSE_ADMIN (who set it up and assign its licenses), not by its
/// BILLING_ADMIN; `viewerCan.followPortalLink` says the same for everyone.
#[tokio::test]
async fn issue_25_the_customers_admins_follow_the_portal_link_of_a_partner_bought_app() {
    const LINK: &str = "mutation($s: ID!) { requestActivationLink(subscriptionId: $s) { url } }";
    const CAN: &str = "query($id: ID!) { subscription(id: $id) { viewerCan { followPortalLink } } }";
    let t = table().await;
    let app = &t.app;
    let pending = buy_for(app, &t.with, &t.shop, 1).await["id"].as_str().expect("id").to_owned();
    let expected = [OK, FORBIDDEN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND];
    for ((name, token), want) in t.actors().into_iter().zip(expected) {
        let result = attempt(app, Some(&token), LINK, json!({"s": pending})).await;
        assert_eq!(outcome(&result), want, "requestActivationLink as {name}: {result:?}");
        for sub in [&pending, &t.sub] {
            let can = attempt(app, Some(&token), CAN, json!({"id": sub})).await;
            let follows = can.ok().and_then(|d| d["subscription"]["viewerCan"]["followPortalLink"].as_bool());
            assert_eq!(follows.unwrap_or(false), want == OK, "viewerCan.followPortalLink as {name}");
        }
    }
}
