//! The role × operation authorization table (issue 3 §10, issue 5): every
//! operation of buying, activation, the subscription lifecycle, licenses,
//! the catalog, proposals, the audit log and user search, against every actor
//! (SPEC R1–R3, R10, R14, R24, R36). A refused call must change nothing: the
//! subscription reads back the same, and no charge, assignment or audit event
//! appears.

use serde_json::{Value, json};

use crate::helpers::*;

mod lists_purchases_and_catalog;

pub use lists_purchases_and_catalog::allowed;

pub const OK: &str = "ok";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

pub const QUANTITY: &str =
    "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { id quantity } }";
pub const ASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
pub const UNASSIGN: &str =
    "mutation($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }";
pub const AUTO_RENEW: &str =
    "mutation($s: ID!, $a: Boolean!) { setAutoRenew(subscriptionId: $s, autoRenew: $a) { id autoRenew } }";
pub const MOVE: &str = "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) \
    { id billingProfile { id } } }";
pub const CANCEL: &str = "mutation($s: ID!, $r: CancelReason!, $f: String) { cancelSubscription(subscriptionId: $s, reason: $r, feedback: $f) \
    { id status disabledReason } }";
pub const VIEW: &str = "query($id: ID!) { subscription(id: $id) { id } }";
pub const STATE: &str = "query($id: ID!) { subscription(id: $id) { id status disabledReason quantity assigned autoRenew \
    billingProfile { id } assignedUsers { id } } }";
pub const LIST: &str =
    "query($f: SubscriptionFilter) { subscriptions(filter: $f, first: 100) { totalCount nodes { id } } }";
const ACTIVATE: &str = "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { id status } }";
pub const POLICY: &str =
    "mutation($p: ID!, $a: Boolean!) { setSelfServicePolicy(productId: $p, allowed: $a) { id selfServiceAllowed } }";
pub const ALLOWED: &str = "query($id: ID!) { product(id: $id) { selfServiceAllowed } }";
pub const AUDIT: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) { totalCount nodes { action objectId actor { id } } } }";

/// One GraphQL call: `Ok(data)` or `Err(code of the first error)`.
pub async fn attempt(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Result<Value, String> {
    let response = app.gql(token, query, variables).await;
    match response.get("errors").and_then(Value::as_array) {
        Some(errors) if !errors.is_empty() => {
            Err(errors[0]["extensions"]["code"].as_str().unwrap_or("<error without code>").to_owned())
        }
        _ => Ok(response["data"].clone()),
    }
}

pub fn outcome(result: &Result<Value, String>) -> &str {
    match result {
        Ok(_) => OK,
        Err(code) => code.as_str(),
    }
}

/// IDs of the nodes of a connection.
pub fn ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .map(|n| n.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Everything a refused call must leave alone: the subscription as its
/// organization's global admin reads it, its charges, and the row counts of
/// assignments, subscriptions, charges and audit events.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    subscription: Value,
    charges: Vec<(String, i64)>,
    assignments: i64,
    subscriptions: i64,
    all_charges: i64,
    audit_events: i64,
}

pub async fn snapshot(app: &TestApp, admin: &str, subscription: &str) -> Snapshot {
    Snapshot {
        subscription: app.ok(admin, STATE, json!({"id": subscription})).await["subscription"].clone(),
        charges: app.charges_of(subscription).await,
        assignments: app.count("license_assignments").await,
        subscriptions: app.count("subscriptions").await,
        all_charges: app.count("charges").await,
        audit_events: app.count("audit_events").await,
    }
}

/// The cast of the table: Contoso (the shop's organization) with one user per
/// role, the product's publisher and a rival, and Northwind with its own
/// subscription of the same product.
struct Cast {
    shop: Shop,
    rival: Person,
    rival_product: String,
    billing: Person,
    license: Person,
    plain: Person,
    contributor: Person,
    reader: Person,
    /// Plain users who receive licenses; assignees[0] holds one on every table subscription.
    assignees: Vec<Person>,
    /// A second org profile: the target of "move to another profile".
    profile2: String,
    other: Org,
    other_profile: String,
    other_sub: String,
}

impl Cast {
    async fn new(app: &TestApp) -> Cast {
        let shop = app.shop().await;
        let rival = app.register_publisher("Rival").await;
        let rival_product =
            app.product(&rival, "Rival App", "PER_LICENSE", &[("MONTHLY", "USD", "7.00")], None, false).await;
        let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
        let license = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
        let plain = app.user(&shop.org, "Ursula User", &[]).await;
        let contributor = app.user(&shop.org, "Connie Contributor", &[]).await;
        let reader = app.user(&shop.org, "Rita Reader", &[]).await;
        app.grant_role(&shop.org.admin, &shop.profile, &contributor.id, "CONTRIBUTOR").await;
        app.grant_role(&shop.org.admin, &shop.profile, &reader.id, "READER").await;
        let profile2 = app.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await;
        // R28: moving needs the right on both profiles.
        app.grant_role(&shop.org.admin, &profile2, &contributor.id, "CONTRIBUTOR").await;
        let assignees = app.users(&shop.org, "Assignee", 2).await;
        let other = app.register_org("Northwind", "US").await;
        app.accept_agreement(&other.admin).await;
        let other_profile = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
        let other_sub = app.buy(&other.admin, &shop.per_license, "MONTHLY", Some(5), &other_profile).await;
        app.activate(&shop.publisher, &other_sub).await;
        Cast {
            shop,
            rival,
            rival_product,
            billing,
            license,
            plain,
            contributor,
            reader,
            assignees,
            profile2,
            other,
            other_profile,
            other_sub,
        }
    }

    fn admin(&self) -> &str {
        &self.shop.org.admin
    }

    /// Every actor of the table, in the order of the tables below.
    fn actors(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("GLOBAL_ADMIN", Some(self.shop.org.admin.as_str())),
            ("BILLING_ADMIN", Some(self.billing.token.as_str())),
            ("LICENSE_ADMIN", Some(self.license.token.as_str())),
            ("USER", Some(self.plain.token.as_str())),
            ("CONTRIBUTOR", Some(self.contributor.token.as_str())),
            ("READER", Some(self.reader.token.as_str())),
            ("PUBLISHER", Some(self.shop.publisher.token.as_str())),
            ("OTHER_PUBLISHER", Some(self.rival.token.as_str())),
            ("OTHER_ORG_ADMIN", Some(self.other.admin.as_str())),
            ("ANONYMOUS", None),
        ]
    }

    /// A fresh ACTIVE per-license subscription of Contoso on the shop's
    /// profile: 10 seats, bought by the global admin, assignees[0] holding one.
    async fn active_subscription(&self, app: &TestApp) -> String {
        let id = app.buy(self.admin(), &self.shop.per_license, "MONTHLY", Some(10), &self.shop.profile).await;
        app.activate(&self.shop.publisher, &id).await;
        app.ok(self.admin(), ASSIGN, json!({"s": id, "u": [self.assignees[0].id]})).await;
        id
    }
}

/// The expected answer of one row, with the rule that decides it.
type Row<const N: usize> = (&'static str, [&'static str; N], &'static str);

#[derive(Clone, Copy, Debug)]
enum Op {
    View,
    ChangeQuantity,
    Assign,
    Unassign,
    SetAutoRenew,
    MoveToAnotherProfile,
    Cancel,
}

const OPS: [Op; 7] =
    [Op::View, Op::ChangeQuantity, Op::Assign, Op::Unassign, Op::SetAutoRenew, Op::MoveToAnotherProfile, Op::Cancel];

impl Op {
    async fn call(
        self,
        app: &TestApp,
        cast: &Cast,
        token: Option<&str>,
        sub: &str,
        move_to: &str,
    ) -> Result<Value, String> {
        let (query, variables) = match self {
            Op::View => (VIEW, json!({"id": sub})),
            Op::ChangeQuantity => (QUANTITY, json!({"s": sub, "q": 12})),
            Op::Assign => (ASSIGN, json!({"s": sub, "u": [cast.assignees[1].id]})),
            Op::Unassign => (UNASSIGN, json!({"s": sub, "u": [cast.assignees[0].id]})),
            Op::SetAutoRenew => (AUTO_RENEW, json!({"s": sub, "a": false})),
            Op::MoveToAnotherProfile => (MOVE, json!({"s": sub, "p": move_to})),
            Op::Cancel => (CANCEL, json!({"s": sub, "r": "NO_LONGER_NEEDED", "f": "authorization table"})),
        };
        attempt(app, token, query, variables).await
    }

    /// What an allowed call must have done, read back by the global admin.
    fn check_effect(self, move_to: &str, data: &Value, after: &Value, context: &str) {
        match self {
            Op::View => assert!(data["subscription"]["id"].is_string(), "{context}: {data}"),
            Op::ChangeQuantity => assert_eq!(after["quantity"], 12, "{context}: R18 new total"),
            Op::Assign => assert_eq!(after["assigned"], 2, "{context}: R19"),
            Op::Unassign => assert_eq!(after["assigned"], 0, "{context}: R20"),
            Op::SetAutoRenew => assert_eq!(after["autoRenew"], false, "{context}: R17"),
            Op::MoveToAnotherProfile => {
                // Read back by the caller who moved it (who may view both profiles, R2): the
                // global admin does not see a self-service buyer's profile (R38).
                let moved = &data["changeSubscriptionBillingProfile"];
                assert_eq!(moved["billingProfile"]["id"], move_to, "{context}: R28");
                assert_eq!(moved["id"], after["id"], "{context}: the same subscription");
            }
            Op::Cancel => {
                assert_eq!(
                    (after["status"].as_str(), after["disabledReason"].as_str()),
                    (Some("DISABLED"), Some("CANCELED")),
                    "{context}: R35"
                )
            }
        }
    }
}

const F: &str = FORBIDDEN;
const NF: &str = NOT_FOUND;
const UA: &str = UNAUTHENTICATED;

/// view, changeLicenseQuantity, assignLicenses, unassignLicenses, setAutoRenew,
/// changeSubscriptionBillingProfile, cancelSubscription — on an org (DIRECT) subscription.
const SUBSCRIPTION_TABLE: [Row<7>; 10] = [
    ("GLOBAL_ADMIN", [OK, OK, OK, OK, OK, OK, OK], "R1: GLOBAL_ADMIN may do everything inside its organization"),
    (
        "BILLING_ADMIN",
        [OK, OK, F, F, OK, OK, OK],
        "R1: BILLING_ADMIN changes quantities, billing profiles, auto-renew and cancels, but does not assign licenses",
    ),
    (
        "LICENSE_ADMIN",
        [OK, F, OK, OK, F, F, F],
        "R1: LICENSE_ADMIN views org subscriptions and assigns/unassigns, nothing else",
    ),
    ("USER", [NF, NF, NF, NF, NF, NF, NF], "R1/R3: a plain USER without a profile role does not see org subscriptions"),
    (
        "CONTRIBUTOR",
        [OK, OK, F, F, OK, OK, OK],
        "R2: CONTRIBUTOR views and manages billing of its profile's products (quantity, cancel, auto-renew, move) but does not assign",
    ),
    ("READER", [OK, F, F, F, F, F, F], "R2: READER views its profile's products and changes nothing"),
    (
        "PUBLISHER",
        [NF, NF, NF, NF, NF, NF, NF],
        "§1, R3, R37: a publisher never sees a customer's billing view of a subscription: it answers like a random ID",
    ),
    ("OTHER_PUBLISHER", [NF, NF, NF, NF, NF, NF, NF], "§1, R3: like a random ID"),
    ("OTHER_ORG_ADMIN", [NF, NF, NF, NF, NF, NF, NF], "R3: an ID from another organization answers NOT_FOUND"),
    ("ANONYMOUS", [UA, UA, UA, UA, UA, UA, UA], "§10: every operation needs a bearer token"),
];

/// Issue 3 §10: a LICENSE_ADMIN trying to cancel, a READER trying to change
/// quantity, another organization touching this one's subscription — and every
/// other role × subscription operation.
#[tokio::test]
async fn r1_r2_r3_subscription_operations_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let shared = cast.active_subscription(&app).await;
    for ((label, token), (row, expected, rule)) in cast.actors().into_iter().zip(SUBSCRIPTION_TABLE) {
        assert_eq!(label, row, "table order");
        for (op, want) in OPS.into_iter().zip(expected) {
            let context = format!("{label} {op:?} → expected {want} ({rule})");
            if want == OK {
                // Allowed changes run on a fresh subscription so that each row starts alike.
                let target = match op {
                    Op::View => shared.clone(),
                    _ => cast.active_subscription(&app).await,
                };
                let result = op.call(&app, &cast, token, &target, &cast.profile2).await;
                let data = result.unwrap_or_else(|code| panic!("{context}: got {code}"));
                let after = app.ok(cast.admin(), STATE, json!({"id": target})).await["subscription"].clone();
                op.check_effect(&cast.profile2, &data, &after, &context);
            } else {
                let before = snapshot(&app, cast.admin(), &shared).await;
                let result = op.call(&app, &cast, token, &shared, &cast.profile2).await;
                assert_eq!(outcome(&result), want, "{context}: {result:?}");
                assert_eq!(
                    snapshot(&app, cast.admin(), &shared).await,
                    before,
                    "{context}: a refused call changes nothing (subscription, assignments, charges, audit)"
                );
            }
        }
    }
}

/// A self-service purchaser of Contoso with two profiles of their own (with cards).
struct SelfServiceBuyer {
    person: Person,
    profile: String,
    second_profile: String,
}

impl Cast {
    async fn self_service_buyer(&self, app: &TestApp) -> SelfServiceBuyer {
        let person = app.user(&self.shop.org, "Pat Purchaser", &[]).await;
        let profile = app.personal_profile(&person.token, "US", CARD_OK).await;
        let second_profile = app.personal_profile(&person.token, "US", CARD_OK).await;
        SelfServiceBuyer { person, profile, second_profile }
    }

    /// A fresh ACTIVE self-service subscription of `buyer`: 10 seats, assignees[0] holding one.
    async fn self_service_subscription(&self, app: &TestApp, buyer: &SelfServiceBuyer) -> String {
        let input = json!({"i": {"productId": self.shop.per_license, "term": "MONTHLY", "quantity": 10,
            "billingProfileId": buyer.profile, "channel": "SELF_SERVICE"}});
        let id = app.ok(&buyer.person.token, TestApp::PURCHASE, input).await["purchaseSubscription"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        app.activate(&self.shop.publisher, &id).await;
        app.ok(&buyer.person.token, ASSIGN, json!({"s": id, "u": [self.assignees[0].id]})).await;
        id
    }
}

/// Issue 5: the same operations on a SELF_SERVICE subscription. The purchaser
/// (and only the purchaser) manages it (R26); GLOBAL_ADMIN and BILLING_ADMIN
/// see it read-only, every change FORBIDDEN (R27); everyone else in the
/// organization does not see it at all (NOT_FOUND).
#[tokio::test]
async fn r26_r27_self_service_subscription_operations_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let buyer = cast.self_service_buyer(&app).await;
    let shared = cast.self_service_subscription(&app, &buyer).await;
    let table: [Row<7>; 11] = [
        ("PURCHASER", [OK, OK, OK, OK, OK, OK, OK], "R26: the purchaser manages their self-service subscription"),
        (
            "GLOBAL_ADMIN",
            [OK, F, F, F, F, F, F],
            "R27: admins have a read-only view; every admin mutation is FORBIDDEN",
        ),
        (
            "BILLING_ADMIN",
            [OK, F, F, F, F, F, F],
            "R27: admins have a read-only view; every admin mutation is FORBIDDEN",
        ),
        (
            "LICENSE_ADMIN",
            [NF, NF, NF, NF, NF, NF, NF],
            "R26/R27: only GLOBAL_ADMIN and BILLING_ADMIN get the read-only view",
        ),
        ("USER", [NF, NF, NF, NF, NF, NF, NF], "R26, issue 5 §5: another user neither sees nor changes it"),
        ("CONTRIBUTOR", [NF, NF, NF, NF, NF, NF, NF], "R26: a role on an org profile gives nothing on a user's own"),
        ("READER", [NF, NF, NF, NF, NF, NF, NF], "R26: a role on an org profile gives nothing on a user's own"),
        ("PUBLISHER", [NF, NF, NF, NF, NF, NF, NF], "§1, R3: publishers do not see customers' subscriptions"),
        ("OTHER_PUBLISHER", [NF, NF, NF, NF, NF, NF, NF], "§1, R3"),
        ("OTHER_ORG_ADMIN", [NF, NF, NF, NF, NF, NF, NF], "R3"),
        ("ANONYMOUS", [UA, UA, UA, UA, UA, UA, UA], "§10"),
    ];
    let mut actors = vec![("PURCHASER", Some(buyer.person.token.as_str()))];
    actors.extend(cast.actors());
    for ((label, token), (row, expected, rule)) in actors.into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        for (op, want) in OPS.into_iter().zip(expected) {
            let context = format!("{label} {op:?} on a self-service subscription → expected {want} ({rule})");
            if want == OK {
                let target = match op {
                    Op::View => shared.clone(),
                    _ => cast.self_service_subscription(&app, &buyer).await,
                };
                let result = op.call(&app, &cast, token, &target, &buyer.second_profile).await;
                let data = result.unwrap_or_else(|code| panic!("{context}: got {code}"));
                let after = app.ok(cast.admin(), STATE, json!({"id": target})).await["subscription"].clone();
                op.check_effect(&buyer.second_profile, &data, &after, &context);
            } else {
                let before = snapshot(&app, cast.admin(), &shared).await;
                let result = op.call(&app, &cast, token, &shared, &buyer.second_profile).await;
                assert_eq!(outcome(&result), want, "{context}: {result:?}");
                assert_eq!(
                    snapshot(&app, cast.admin(), &shared).await,
                    before,
                    "{context}: a refused call changes nothing"
                );
            }
        }
    }
}

/// R25: any org user may buy self-service, paying from their own profile;
/// publishers and anonymous callers may not, and another organization's admin
/// cannot pay with a Contoso user's profile.
#[tokio::test]
async fn r25_self_service_purchase_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let contoso_user = cast.self_service_buyer(&app).await;
    let table: [(&str, &str, &str); 10] = [
        ("GLOBAL_ADMIN", OK, "R25: any org user"),
        ("BILLING_ADMIN", OK, "R25: any org user"),
        ("LICENSE_ADMIN", OK, "R25: any org user"),
        ("USER", OK, "R1/R25: a plain USER may make self-service purchases"),
        ("CONTRIBUTOR", OK, "R25: any org user"),
        ("READER", OK, "R25: any org user"),
        ("PUBLISHER", FORBIDDEN, "§1: publishers do not buy"),
        ("OTHER_PUBLISHER", FORBIDDEN, "§1"),
        ("OTHER_ORG_ADMIN", NOT_FOUND, "R3: a profile of another organization"),
        ("ANONYMOUS", UNAUTHENTICATED, "§10"),
    ];
    for ((label, token), (row, want, rule)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        // Org users pay from their own profile; the others try the Contoso user's.
        let profile = match (want, token) {
            (OK, Some(token)) => app.personal_profile(token, "US", CARD_OK).await,
            _ => contoso_user.profile.clone(),
        };
        let (subscriptions, charges) = (app.count("subscriptions").await, app.count("charges").await);
        let input = json!({"i": {"productId": cast.shop.per_license, "term": "MONTHLY", "quantity": 2,
            "billingProfileId": profile, "channel": "SELF_SERVICE"}});
        let result = attempt(
            &app,
            token,
            "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) \
            { id channel isSelfService billingProfile { id } } }",
            input,
        )
        .await;
        assert_eq!(outcome(&result), want, "{label}: {rule}: {result:?}");
        if let Ok(data) = result {
            let bought = &data["purchaseSubscription"];
            assert_eq!(
                (bought["channel"].as_str(), bought["isSelfService"].as_bool()),
                (Some("SELF_SERVICE"), Some(true))
            );
            assert_eq!(bought["billingProfile"]["id"], profile.as_str(), "R25: their own profile");
            let mine = attempt(&app, token, LIST, json!({"f": {"selfService": true}})).await.expect("list");
            assert!(
                ids(&mine["subscriptions"]).contains(&bought["id"].as_str().unwrap_or("").to_owned()),
                "R26: {label} lists it"
            );
        } else {
            assert_eq!(
                (app.count("subscriptions").await, app.count("charges").await),
                (subscriptions, charges),
                "{label}: nothing bought"
            );
        }
    }
}

/// R3 the other way round: every Contoso actor touching Northwind's
/// subscription, billing profile or people gets NOT_FOUND (or
/// USER_NOT_IN_ORGANIZATION) and Northwind's data stays as it was.
#[tokio::test]
async fn r3_another_organizations_objects_answer_not_found() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let theirs = cast.other_sub.as_str();
    for (label, token) in cast.actors().into_iter().take(6) {
        for op in OPS {
            let before = snapshot(&app, &cast.other.admin, theirs).await;
            let result = op.call(&app, &cast, token, theirs, &cast.other_profile).await;
            assert_eq!(outcome(&result), NOT_FOUND, "R3: {label} {op:?} on another organization's subscription");
            assert_eq!(snapshot(&app, &cast.other.admin, theirs).await, before, "R3: {label} {op:?} changed nothing");
        }
        let profile = attempt(
            &app,
            token,
            "query($id: ID!) { billingProfile(id: $id) { id } }",
            json!({"id": cast.other_profile}),
        )
        .await;
        assert_eq!(outcome(&profile), NOT_FOUND, "R3: {label} reads another organization's billing profile");
        let list = attempt(&app, token, LIST, json!({})).await.expect("list");
        assert!(
            !ids(&list["subscriptions"]).contains(&cast.other_sub),
            "R3: {label} never lists Northwind's subscription"
        );
    }
    // Buying with, or moving to, another organization's profile; assigning to its people.
    let ours = cast.active_subscription(&app).await;
    let before = snapshot(&app, cast.admin(), &ours).await;
    let purchase = json!({"i": {"productId": cast.shop.per_license, "term": "MONTHLY", "quantity": 1, "billingProfileId": cast.other_profile}});
    assert_eq!(
        app.err(Some(cast.admin()), TestApp::PURCHASE, purchase).await,
        NOT_FOUND,
        "R3: another organization's profile"
    );
    assert_eq!(
        app.err(Some(cast.admin()), MOVE, json!({"s": ours, "p": cast.other_profile})).await,
        NOT_FOUND,
        "R3/R28: moving to another organization's profile"
    );
    assert_eq!(
        app.err(Some(cast.admin()), ASSIGN, json!({"s": ours, "u": [cast.other_admin_id(&app).await]})).await,
        "USER_NOT_IN_ORGANIZATION",
        "R19: a user of another organization"
    );
    assert_eq!(snapshot(&app, cast.admin(), &ours).await, before, "R3: nothing changed");
}

impl Cast {
    async fn other_admin_id(&self, app: &TestApp) -> String {
        app.ok(&self.other.admin, "{ me { id } }", json!({})).await["me"]["id"].as_str().expect("id").to_owned()
    }
}
