//! The role × operation authorization table (issue 3 §10, issue 5): every
//! operation of buying, activation, the subscription lifecycle, licenses,
//! the catalog, proposals, the audit log and user search, against every actor
//! (SPEC R1–R3, R10, R14, R24, R36). A refused call must change nothing: the
//! subscription reads back the same, and no charge, assignment or audit event
//! appears.

use serde_json::{Value, json};

use crate::helpers::*;

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

/// Which subscriptions each actor lists (R1, R3, R22): admins see the
/// organization's, a plain user without a role none of them, another
/// organization none of them.
#[tokio::test]
async fn r1_r3_subscriptions_list_membership_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let shared = cast.active_subscription(&app).await;
    // (listed?, or the error code)
    let table: [(&str, &str, bool, &str); 10] = [
        ("GLOBAL_ADMIN", OK, true, "R1"),
        ("BILLING_ADMIN", OK, true, "R1"),
        ("LICENSE_ADMIN", OK, true, "R1: LICENSE_ADMIN may view org subscriptions"),
        ("USER", OK, false, "R1: a plain USER sees only what they bought"),
        // Profile roles: see r2_profile_roles_list_the_subscriptions_of_their_profile.
        ("CONTRIBUTOR", OK, false, "skipped"),
        ("READER", OK, false, "skipped"),
        ("PUBLISHER", FORBIDDEN, false, "§1: publishers use publisherSubscriptions, without billing data"),
        ("OTHER_PUBLISHER", FORBIDDEN, false, "§1"),
        ("OTHER_ORG_ADMIN", OK, false, "R3: data never crosses organizations"),
        ("ANONYMOUS", UNAUTHENTICATED, false, "§10"),
    ];
    for ((label, token), (row, want, listed, rule)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        if rule == "skipped" {
            continue;
        }
        let result = attempt(&app, token, LIST, json!({})).await;
        assert_eq!(outcome(&result), want, "{label}: {rule}: {result:?}");
        if let Ok(data) = result {
            let seen = ids(&data["subscriptions"]);
            assert_eq!(seen.contains(&shared), listed, "{label} lists Contoso's subscription: {rule}");
            if label == "OTHER_ORG_ADMIN" {
                assert_eq!(seen, vec![cast.other_sub.clone()], "R3: Northwind lists only its own");
            }
            if label == "USER" {
                assert_eq!(data["subscriptions"]["totalCount"], 0, "R1: nothing bought, nothing listed");
            }
        }
    }
}

/// R2: OWNER, CONTRIBUTOR and READER all "view … products" of their profile.
/// `subscription(id)` shows them (see the table above); the list of
/// subscriptions the caller may see must show them too.
#[tokio::test]

async fn r2_profile_roles_list_the_subscriptions_of_their_profile() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let shared = cast.active_subscription(&app).await;
    for (label, person) in [("CONTRIBUTOR", &cast.contributor), ("READER", &cast.reader)] {
        app.ok(&person.token, VIEW, json!({"id": shared})).await;
        let data = app.ok(&person.token, LIST, json!({})).await;
        assert!(
            ids(&data["subscriptions"]).contains(&shared),
            "R2: a {label} on the billing profile views its products, so subscriptions() lists them: {data}"
        );
    }
}

/// R2, R10, R12: purchaseSubscription (DIRECT, on the org profile) by role;
/// a refused purchase creates no subscription and no charge.
#[tokio::test]
async fn r2_r12_purchase_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let table: [(&str, &str, &str); 10] = [
        ("GLOBAL_ADMIN", OK, "R1"),
        ("BILLING_ADMIN", OK, "R1: BILLING_ADMIN may buy"),
        ("LICENSE_ADMIN", NOT_FOUND, "R1/R2: no right on the profile; it is not even visible"),
        ("USER", NOT_FOUND, "R2/R25: a profile they hold no role on is not found"),
        ("CONTRIBUTOR", OK, "R2: CONTRIBUTOR uses the profile's payment method to buy"),
        ("READER", FORBIDDEN, "R2: READER may not buy with the profile"),
        ("PUBLISHER", FORBIDDEN, "§1: publishers do not buy"),
        ("OTHER_PUBLISHER", FORBIDDEN, "§1"),
        ("OTHER_ORG_ADMIN", NOT_FOUND, "R3: another organization's profile"),
        ("ANONYMOUS", UNAUTHENTICATED, "§10"),
    ];
    for ((label, token), (row, want, rule)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        let subscriptions = app.count("subscriptions").await;
        let charges = app.count("charges").await;
        let input = json!({"i": {"productId": cast.shop.per_license, "term": "MONTHLY", "quantity": 3,
            "billingProfileId": cast.shop.profile, "channel": "DIRECT"}});
        let result = attempt(&app, token, TestApp::PURCHASE, input).await;
        assert_eq!(outcome(&result), want, "{label}: {rule}: {result:?}");
        if let Ok(data) = result {
            assert_eq!(data["purchaseSubscription"]["status"], "PENDING_ACTIVATION", "R12");
            assert_eq!(app.count("subscriptions").await, subscriptions + 1, "R12: one subscription");
            assert_eq!(app.count("charges").await, charges + 1, "R12: one first-term charge");
        } else {
            assert_eq!(app.count("subscriptions").await, subscriptions, "{label}: refused, no subscription");
            assert_eq!(app.count("charges").await, charges, "{label}: refused, no charge");
        }
    }
}

/// R10: acceptCustomerAgreement by role, on an organization that has not accepted yet.
/// (Read as an organization-level act: GLOBAL_ADMIN and BILLING_ADMIN, who may
/// buy for the organization; a CONTRIBUTOR's right to buy is per profile.)
#[tokio::test]
async fn r10_customer_agreement_by_role() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Litware", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let other = app.register_org("Northwind", "US").await;
    let billing = app.user(&org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&org, "Ursula User", &[]).await;
    let contributor = app.user(&org, "Connie Contributor", &[]).await;
    let reader = app.user(&org, "Rita Reader", &[]).await;
    let profile = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    app.grant_role(&org.admin, &profile, &contributor.id, "CONTRIBUTOR").await;
    app.grant_role(&org.admin, &profile, &reader.id, "READER").await;
    let accept = "mutation { acceptCustomerAgreement { acceptedAt acceptedBy { id } } }";
    let agreement = "{ customerAgreement { acceptedAt acceptedBy { id } } }";
    let refused: [(&str, Option<&str>, &str); 7] = [
        // Issue 9: users who are no billing managers accept for their own
        // self-service purchases only; the organization still has none (R10, R25).
        ("LICENSE_ADMIN", Some(license.token.as_str()), OK),
        ("USER", Some(plain.token.as_str()), OK),
        ("CONTRIBUTOR", Some(contributor.token.as_str()), OK),
        ("READER", Some(reader.token.as_str()), OK),
        ("PUBLISHER", Some(publisher.token.as_str()), FORBIDDEN),
        ("ANONYMOUS", None, UNAUTHENTICATED),
        // Northwind accepting for itself leaves Litware without an agreement (R3).
        ("OTHER_ORG_ADMIN", Some(other.admin.as_str()), OK),
    ];
    for (label, token, want) in refused {
        let audit = app.count("audit_events").await;
        let result = attempt(&app, token, accept, json!({})).await;
        assert_eq!(outcome(&result), want, "R10: {label}: {result:?}");
        assert_eq!(app.ok(&org.admin, agreement, json!({})).await["customerAgreement"], Value::Null, "R10: {label}");
        if want != OK {
            assert_eq!(app.count("audit_events").await, audit, "{label}: refused, nothing audited");
        }
    }
    let first = app.ok(&billing.token, accept, json!({})).await;
    assert_eq!(first["acceptCustomerAgreement"]["acceptedBy"]["id"], billing.id.as_str(), "R10: who is recorded");
    let again = app.ok(&org.admin, accept, json!({})).await;
    assert_eq!(again, first, "R10: accepted once; a repeat returns the first acceptance");
}

/// R14: only the product's publisher activates; another publisher gets
/// NOT_FOUND, customers FORBIDDEN (the operation is the publisher portal's).
#[tokio::test]
async fn r14_activation_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let pending = app.buy(cast.admin(), &cast.shop.per_license, "MONTHLY", Some(10), &cast.shop.profile).await;
    let table: [(&str, &str, &str); 10] = [
        ("GLOBAL_ADMIN", FORBIDDEN, "R14: activation happens in the publisher's portal"),
        ("BILLING_ADMIN", FORBIDDEN, "R14"),
        ("LICENSE_ADMIN", FORBIDDEN, "R14"),
        ("USER", FORBIDDEN, "R14"),
        ("CONTRIBUTOR", FORBIDDEN, "R14"),
        ("READER", FORBIDDEN, "R14"),
        ("PUBLISHER", OK, "R14: the product's own publisher"),
        ("OTHER_PUBLISHER", NOT_FOUND, "R14/R3: another publisher's subscription is not there"),
        // An org user is refused the publisher-only operation before any ID is looked at: nothing leaks.
        ("OTHER_ORG_ADMIN", FORBIDDEN, "R14"),
        ("ANONYMOUS", UNAUTHENTICATED, "§10"),
    ];
    let mut rows: Vec<_> = cast.actors().into_iter().zip(table).collect();
    // The publisher goes last, once everyone else has been refused.
    rows.sort_by_key(|((label, _), _)| *label == "PUBLISHER");
    for ((label, token), (row, want, rule)) in rows {
        assert_eq!(label, row, "table order");
        let before = snapshot(&app, cast.admin(), &pending).await;
        let result = attempt(&app, token, ACTIVATE, json!({"s": pending})).await;
        assert_eq!(outcome(&result), want, "{label}: {rule}: {result:?}");
        if want == OK {
            assert_eq!(result.expect("ok")["activateSubscription"]["status"], "ACTIVE", "R14");
        } else {
            assert_eq!(snapshot(&app, cast.admin(), &pending).await, before, "{label}: refused, still pending");
        }
    }
    assert_eq!(
        app.err(Some(&cast.shop.publisher.token), ACTIVATE, json!({"s": pending})).await,
        "INVALID_STATE",
        "R14: only from PENDING_ACTIVATION"
    );
    assert_eq!(
        app.err(Some(&cast.rival.token), ACTIVATE, json!({"s": cast.other_sub})).await,
        NOT_FOUND,
        "R14: a publisher trying to activate another publisher's subscription"
    );
}

/// R24: setSelfServicePolicy by GLOBAL_ADMIN/BILLING_ADMIN only; per organization.
#[tokio::test]
async fn r24_self_service_policy_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let product = cast.shop.per_license.as_str();
    let table: [(&str, &str, &str); 10] = [
        ("GLOBAL_ADMIN", OK, "R24: admins set the policy"),
        ("BILLING_ADMIN", OK, "R24: admins set the policy"),
        ("LICENSE_ADMIN", FORBIDDEN, "R24 names GLOBAL_ADMIN and BILLING_ADMIN"),
        ("USER", FORBIDDEN, "R24"),
        ("CONTRIBUTOR", FORBIDDEN, "R24"),
        ("READER", FORBIDDEN, "R24"),
        ("PUBLISHER", FORBIDDEN, "R24: the organization's policy, not the publisher's"),
        ("OTHER_PUBLISHER", FORBIDDEN, "R24"),
        ("OTHER_ORG_ADMIN", OK, "R24/R3: Northwind sets its own policy, never Contoso's"),
        ("ANONYMOUS", UNAUTHENTICATED, "§10"),
    ];
    for ((label, token), (row, want, rule)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        assert_eq!(allowed(&app, cast.admin(), product).await, true, "R24: allowed by default / restored");
        let audit = app.count("audit_events").await;
        let result = attempt(&app, token, POLICY, json!({"p": product, "a": false})).await;
        assert_eq!(outcome(&result), want, "{label}: {rule}: {result:?}");
        match (want, label) {
            (OK, "OTHER_ORG_ADMIN") => {
                assert_eq!(allowed(&app, &cast.other.admin, product).await, false, "R24: Northwind's policy changed");
                assert_eq!(allowed(&app, cast.admin(), product).await, true, "R24/R3: Contoso's policy did not");
                app.ok(&cast.other.admin, POLICY, json!({"p": product, "a": true})).await;
            }
            (OK, _) => {
                assert_eq!(
                    allowed(&app, &cast.plain.token, product).await,
                    false,
                    "R24: products show the organization's policy"
                );
                app.ok(cast.admin(), POLICY, json!({"p": product, "a": true})).await;
            }
            _ => {
                assert_eq!(allowed(&app, cast.admin(), product).await, true, "{label}: refused, policy unchanged");
                assert_eq!(app.count("audit_events").await, audit, "{label}: refused, nothing audited");
            }
        }
    }
    let unknown = json!({"p": uuid::Uuid::new_v4().to_string(), "a": false});
    assert_eq!(app.err(Some(cast.admin()), POLICY, unknown).await, NOT_FOUND, "an unknown product");
}

/// `product { selfServiceAllowed }` as `token` sees it (R24).
pub async fn allowed(app: &TestApp, token: &str, product: &str) -> Value {
    app.ok(token, ALLOWED, json!({"id": product})).await["product"]["selfServiceAllowed"].clone()
}

/// R4, R9: the publisher-side operations by role: createProduct,
/// updateProduct, createProposal; and acceptProposal on the customer side.
#[tokio::test]
async fn r4_r9_catalog_and_proposal_operations_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let product = cast.shop.per_license.as_str();
    // createProduct, updateProduct (the shop's product), createProposal (to Contoso, the shop's product)
    let publisher_ops: [(&str, [&str; 3]); 10] = [
        ("GLOBAL_ADMIN", [FORBIDDEN; 3]),
        ("BILLING_ADMIN", [FORBIDDEN; 3]),
        ("LICENSE_ADMIN", [FORBIDDEN; 3]),
        ("USER", [FORBIDDEN; 3]),
        ("CONTRIBUTOR", [FORBIDDEN; 3]),
        ("READER", [FORBIDDEN; 3]),
        ("PUBLISHER", [OK, OK, OK]),
        // Its own product is fine; the shop's product is not there for it (R3).
        ("OTHER_PUBLISHER", [OK, NOT_FOUND, NOT_FOUND]),
        ("OTHER_ORG_ADMIN", [FORBIDDEN; 3]),
        ("ANONYMOUS", [UNAUTHENTICATED; 3]),
    ];
    let create = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let update = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id description } }";
    let propose = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id status } }";
    let describe = "query($id: ID!) { product(id: $id) { description } }";
    for ((label, token), (row, expected)) in cast.actors().into_iter().zip(publisher_ops) {
        assert_eq!(label, row, "table order");
        let products = app.count("products").await;
        let input = json!({"i": {"name": format!("{label} App"), "pricingModel": "FLAT_RATE",
            "prices": [{"term": "MONTHLY", "currency": "USD", "amount": "5.00"}],
            "portalUrl": "https://p.example", "supportUrl": "https://s.example"}});
        let result = attempt(&app, token, create, input).await;
        assert_eq!(outcome(&result), expected[0], "R4 createProduct by {label}: {result:?}");
        let grown = if expected[0] == OK { 1 } else { 0 };
        assert_eq!(app.count("products").await, products + grown, "createProduct by {label}");

        let description =
            app.ok(cast.admin(), describe, json!({"id": product})).await["product"]["description"].clone();
        let text = format!("changed by {label}");
        let result = attempt(&app, token, update, json!({"id": product, "i": {"description": text}})).await;
        assert_eq!(outcome(&result), expected[1], "R4 updateProduct by {label}: {result:?}");
        let now = app.ok(cast.admin(), describe, json!({"id": product})).await["product"]["description"].clone();
        if expected[1] == OK {
            assert_eq!(now, text.as_str(), "R4: the publisher updates its product");
        } else {
            assert_eq!(now, description, "R4: updateProduct by {label} refused, product unchanged");
        }

        let proposals = app.count("proposals").await;
        let input = json!({"i": {"organizationId": cast.shop.org.id, "title": format!("Offer by {label}"),
            "lines": [{"productId": product, "term": "MONTHLY", "quantity": 2}]}});
        let result = attempt(&app, token, propose, input).await;
        assert_eq!(outcome(&result), expected[2], "R9 createProposal by {label}: {result:?}");
        let grown = if expected[2] == OK { 1 } else { 0 };
        assert_eq!(app.count("proposals").await, proposals + grown, "createProposal by {label}");
    }

    // acceptProposal(proposal, the shop's profile)
    let accept_table: [(&str, &str, &str); 10] = [
        ("GLOBAL_ADMIN", OK, "R1, R9"),
        ("BILLING_ADMIN", OK, "R1: BILLING_ADMIN buys"),
        ("LICENSE_ADMIN", NOT_FOUND, "R1/R2: no right on the profile"),
        ("USER", NOT_FOUND, "R2: no role on the profile"),
        // Issue 19: R40's buying admins only; a billing-profile role is not enough,
        // and a proposal the caller cannot list answers like a random ID.
        ("CONTRIBUTOR", NOT_FOUND, "R40: CONTRIBUTOR on the profile does not see proposals"),
        ("READER", NOT_FOUND, "R40: READER does not see proposals"),
        ("PUBLISHER", FORBIDDEN, "§1: publishers do not buy"),
        ("OTHER_PUBLISHER", FORBIDDEN, "§1"),
        ("OTHER_ORG_ADMIN", NOT_FOUND, "R3: a proposal to another organization"),
        ("ANONYMOUS", UNAUTHENTICATED, "§10"),
    ];
    let accept =
        "mutation($p: ID!, $b: ID!) { acceptProposal(proposalId: $p, billingProfileId: $b) { id status channel } }";
    let status = "{ proposals(first: 100) { nodes { id status } } }";
    let shared = new_proposal(&app, &cast).await;
    for ((label, token), (row, want, rule)) in cast.actors().into_iter().zip(accept_table) {
        assert_eq!(label, row, "table order");
        let proposal = if want == OK { new_proposal(&app, &cast).await } else { shared.clone() };
        let subscriptions = app.count("subscriptions").await;
        let charges = app.count("charges").await;
        let result = attempt(&app, token, accept, json!({"p": proposal, "b": cast.shop.profile})).await;
        assert_eq!(outcome(&result), want, "acceptProposal by {label}: {rule}: {result:?}");
        let listed = app.ok(cast.admin(), status, json!({})).await;
        let state = listed["proposals"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|p| p["id"] == proposal.as_str())
            .map(|p| p["status"].clone())
            .expect("the proposal is listed");
        if want == OK {
            let created = result.expect("ok")["acceptProposal"].as_array().expect("list").len();
            assert_eq!(created, 2, "R9: every subscription of the proposal");
            assert_eq!(state, "ACCEPTED");
            assert_eq!(app.count("subscriptions").await, subscriptions + 2, "R9");
        } else {
            assert_eq!(state, "OPEN", "{label}: refused, the proposal stays open");
            assert_eq!(app.count("subscriptions").await, subscriptions, "{label}: refused, no subscription");
            assert_eq!(app.count("charges").await, charges, "{label}: refused, no charge");
        }
    }
}

/// A proposal from the shop's publisher to Contoso: 2 seats of the
/// per-license product and the flat-rate product.
async fn new_proposal(app: &TestApp, cast: &Cast) -> String {
    let propose = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id status } }";
    let input = json!({"i": {"organizationId": cast.shop.org.id, "title": "Bundle", "lines": [
        {"productId": cast.shop.per_license, "term": "MONTHLY", "quantity": 2},
        {"productId": cast.shop.flat, "term": "MONTHLY"}]}});
    app.ok(&cast.shop.publisher.token, propose, input).await["createProposal"]["id"].as_str().expect("id").to_owned()
}

/// publisherSubscriptions and publisherProducts: each publisher sees its own,
/// customers are refused (the publisher portal's lists).
#[tokio::test]
async fn r4_r14_publisher_lists_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let shared = cast.active_subscription(&app).await;
    let subs = "{ publisherSubscriptions(first: 100) { totalCount nodes { id organizationName } } }";
    let products = "{ publisherProducts(first: 100) { totalCount nodes { id } } }";
    for (label, token) in cast.actors() {
        let got_subs = attempt(&app, token, subs, json!({})).await;
        let got_products = attempt(&app, token, products, json!({})).await;
        match label {
            "PUBLISHER" => {
                let data = got_subs.expect("publisherSubscriptions");
                let seen = ids(&data["publisherSubscriptions"]);
                assert!(seen.contains(&shared) && seen.contains(&cast.other_sub), "its customers' subscriptions");
                let names: Vec<&str> = data["publisherSubscriptions"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .filter_map(|n| n["organizationName"].as_str())
                    .collect();
                assert!(names.contains(&"Contoso") && names.contains(&"Northwind"), "{names:?}");
                let data = got_products.expect("publisherProducts");
                let seen = ids(&data["publisherProducts"]);
                assert!(seen.contains(&cast.shop.per_license) && seen.contains(&cast.shop.flat));
                assert!(!seen.contains(&cast.rival_product), "R3: not the rival's products");
            }
            "OTHER_PUBLISHER" => {
                let data = got_subs.expect("publisherSubscriptions");
                assert_eq!(data["publisherSubscriptions"]["totalCount"], 0, "R3: not another publisher's customers");
                let data = got_products.expect("publisherProducts");
                assert_eq!(ids(&data["publisherProducts"]), vec![cast.rival_product.clone()], "its own products only");
            }
            "ANONYMOUS" => {
                assert_eq!(outcome(&got_subs), UNAUTHENTICATED, "§10");
                assert_eq!(outcome(&got_products), UNAUTHENTICATED, "§10");
            }
            _ => {
                assert_eq!(outcome(&got_subs), FORBIDDEN, "publisherSubscriptions by {label}: publishers only");
                assert_eq!(outcome(&got_products), FORBIDDEN, "publisherProducts by {label}: publishers only");
            }
        }
    }
}

/// R36 (auditEvents: the organization's admins) and R23 (users: any org user,
/// own organization only) by role.
#[tokio::test]
async fn r36_r23_audit_events_and_user_search_by_role() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let shared = cast.active_subscription(&app).await;
    let users = "query($s: String) { users(search: $s, first: 100) { totalCount nodes { id } } }";
    let assignee_ids: Vec<String> = cast.assignees.iter().map(|p| p.id.clone()).collect();
    for (label, token) in cast.actors() {
        let events = attempt(&app, token, AUDIT, json!({"f": {"objectId": shared}})).await;
        let found = attempt(&app, token, users, json!({"s": "Assignee"})).await;
        match label {
            "GLOBAL_ADMIN" | "BILLING_ADMIN" | "LICENSE_ADMIN" => {
                let data = events.unwrap_or_else(|code| panic!("R36: {label} reads the audit log, got {code}"));
                let actions: Vec<&str> = data["auditEvents"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .filter_map(|e| e["action"].as_str())
                    .collect();
                for action in ["subscription.purchase", "subscription.activate", "subscription.assign_licenses"] {
                    assert!(actions.contains(&action), "R36: {label} sees {action}: {actions:?}");
                }
            }
            "USER" | "CONTRIBUTOR" | "READER" => {
                assert_eq!(outcome(&events), FORBIDDEN, "R36: only admins list the audit log ({label})")
            }
            "PUBLISHER" => {
                let data = events.expect("a publisher reads its own events");
                let actions: Vec<&str> = data["auditEvents"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .filter_map(|e| e["action"].as_str())
                    .collect();
                assert_eq!(
                    actions,
                    vec!["subscription.activate"],
                    "§1: its own activation, no customer billing events"
                );
            }
            "OTHER_PUBLISHER" | "OTHER_ORG_ADMIN" => {
                let data = events.unwrap_or_else(|code| panic!("{label} reads its own log, got {code}"));
                assert_eq!(data["auditEvents"]["totalCount"], 0, "R3: {label} sees none of Contoso's events");
            }
            _ => assert_eq!(outcome(&events), UNAUTHENTICATED, "§10"),
        }
        match label {
            "GLOBAL_ADMIN" | "BILLING_ADMIN" | "LICENSE_ADMIN" | "USER" | "CONTRIBUTOR" | "READER" => {
                let data = found.unwrap_or_else(|code| panic!("R23: {label} searches people, got {code}"));
                let mut seen = ids(&data["users"]);
                seen.sort();
                let mut want = assignee_ids.clone();
                want.sort();
                assert_eq!(seen, want, "R23: {label} finds the assignees by name prefix");
            }
            "OTHER_ORG_ADMIN" => {
                let data = found.expect("users");
                assert_eq!(data["users"]["totalCount"], 0, "R3: no user of another organization");
            }
            "ANONYMOUS" => assert_eq!(outcome(&found), UNAUTHENTICATED, "§10"),
            _ => assert_eq!(outcome(&found), FORBIDDEN, "R23: org users only ({label})"),
        }
    }
}

/// §10: without a token every operation answers UNAUTHENTICATED — before any
/// input is judged, so that an anonymous caller learns nothing from the
/// validation of its input.
#[tokio::test]

async fn anonymous_callers_are_unauthenticated_whatever_the_input() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let sub = cast.active_subscription(&app).await;
    let many: Vec<String> = (0..21).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let cases: [(&str, &str, Value); 6] = [
        ("assignLicenses with 21 users", ASSIGN, json!({"s": sub, "u": many})),
        ("unassignLicenses with 21 users", UNASSIGN, json!({"s": sub, "u": many})),
        ("changeLicenseQuantity to 0", QUANTITY, json!({"s": sub, "q": 0})),
        (
            "cancelSubscription with 1001 characters of feedback",
            CANCEL,
            json!({"s": sub, "r": "OTHER", "f": "x".repeat(1001)}),
        ),
        ("assignLicenses with a malformed ID", ASSIGN, json!({"s": sub, "u": ["not-an-id"]})),
        (
            "purchaseSubscription with quantity 0",
            TestApp::PURCHASE,
            json!({"i": {"productId": cast.shop.per_license, "term": "MONTHLY", "quantity": 0, "billingProfileId": cast.shop.profile}}),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, query, variables) in cases {
        let before = snapshot(&app, cast.admin(), &sub).await;
        let code = app.err(None, query, variables).await;
        if code != UNAUTHENTICATED {
            wrong.push(format!("{what} → {code}"));
        }
        assert_eq!(snapshot(&app, cast.admin(), &sub).await, before, "anonymous {what}: nothing changed");
    }
    assert!(wrong.is_empty(), "§10: anonymous calls must answer UNAUTHENTICATED: {wrong:?}");
}
