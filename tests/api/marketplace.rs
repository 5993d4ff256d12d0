//! Issue 9 items 2 and 4: marketplace sales proposals (R40) and activation
//! links with one-time purchase tokens (R42), end to end, with the table of
//! every new operation × every actor. A refused call changes nothing.

use licensedesk::cli::create_operator;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    authz::{OK, attempt, outcome},
    helpers::*,
};

const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
const INVALID_STATE: &str = "INVALID_STATE";
const VALIDATION_FAILED: &str = "VALIDATION_FAILED";

const PROPOSE: &str = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id status fromMarketplace \
    publisher { id } expiresAt lines { quantity unitPrice { amount currency } product { id } } } }";
const ACCEPT: &str = "mutation($p: ID!, $b: ID!) { acceptProposal(proposalId: $p, billingProfileId: $b) \
    { id status channel quantity } }";
const DECLINE: &str = "mutation($p: ID!, $r: String!) { declineProposal(proposalId: $p, reason: $r) { id status declineReason declinedAt } }";
const LIST: &str = "query($pending: Boolean) { proposals(first: 100, pendingOnly: $pending) \
    { totalCount nodes { id status expired fromMarketplace publisher { id } declineReason } } }";
const LINK: &str = "mutation($s: ID!) { requestActivationLink(subscriptionId: $s) { url expiresAt } }";
const RESOLVE: &str = "query($t: String!) { resolvePurchaseToken(token: $t) { id organizationName quantity term status \
    product { id name } } }";
const ACTIVATE: &str = "mutation($t: String!) { activateWithPurchaseToken(token: $t) { id status } }";
const STATUS: &str = "query($id: ID!) { subscription(id: $id) { status } }";

const EXPIRES: &str = "2026-03-20T00:00:00Z";

/// Everyone in the tables: Contoso's roles, a self-service buyer, the
/// shop's publisher, a rival publisher, a marketplace operator, Northwind's admin.
struct Cast {
    shop: Shop,
    billing: Person,
    license: Person,
    plain: Person,
    buyer: Person,
    /// The self-service buyer's own subscription (pending activation).
    own_sub: String,
    rival: Person,
    rival_product: String,
    operator: String,
    other: Org,
}

async fn operator(app: &TestApp, email: &str) -> String {
    create_operator(&app.state, "Olga Operator".into(), email.into(), PASSWORD.into()).await.expect("operator created");
    app.login(email).await
}

impl Cast {
    async fn new(app: &TestApp) -> Cast {
        let shop = app.shop().await;
        let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
        let license = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
        let plain = app.user(&shop.org, "Ursula User", &[]).await;
        let buyer = app.user(&shop.org, "Sam Self", &[]).await;
        let own_profile = app.personal_profile(&buyer.token, "US", CARD_OK).await;
        let input = json!({"i": {"productId": shop.per_license, "term": "MONTHLY", "quantity": 2,
            "billingProfileId": own_profile, "channel": "SELF_SERVICE"}});
        let own_sub = app.ok(&buyer.token, TestApp::PURCHASE, input).await["purchaseSubscription"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let rival = app.register_publisher("Rival").await;
        let rival_product =
            app.product(&rival, "Rival App", "FLAT_RATE", &[("MONTHLY", "USD", "7.00")], None, false).await;
        let operator = operator(app, "olga@marketplace.test").await;
        let other = app.register_org("Northwind", "US").await;
        Cast { shop, billing, license, plain, buyer, own_sub, rival, rival_product, operator, other }
    }

    fn actors(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("GLOBAL_ADMIN", Some(self.shop.org.admin.as_str())),
            ("BILLING_ADMIN", Some(self.billing.token.as_str())),
            ("LICENSE_ADMIN", Some(self.license.token.as_str())),
            ("USER", Some(self.plain.token.as_str())),
            ("SELF_SERVICE_BUYER", Some(self.buyer.token.as_str())),
            ("PUBLISHER", Some(self.shop.publisher.token.as_str())),
            ("OTHER_PUBLISHER", Some(self.rival.token.as_str())),
            ("OPERATOR", Some(self.operator.as_str())),
            ("OTHER_ORG_ADMIN", Some(self.other.admin.as_str())),
            ("ANONYMOUS", None),
        ]
    }

    /// A marketplace bundle for Contoso: 3 seats of the shop's product at a
    /// negotiated $8.00 and the rival's flat-rate app at its list price.
    fn bundle(&self, title: &str, expires_at: Option<&str>) -> Value {
        json!({"i": {"organizationId": self.shop.org.id, "title": title, "expiresAt": expires_at, "lines": [
            {"productId": self.shop.per_license, "term": "MONTHLY", "quantity": 3,
             "unitPrice": {"amount": "8.00", "currency": "USD"}},
            {"productId": self.rival_product, "term": "MONTHLY"},
        ]}})
    }

    async fn proposal(&self, app: &TestApp, title: &str) -> String {
        let data = app.ok(&self.operator, PROPOSE, self.bundle(title, Some(EXPIRES))).await;
        data["createProposal"]["id"].as_str().expect("proposal id").to_owned()
    }
}

fn listed(list: &Value, id: &str) -> Option<Value> {
    list["proposals"]["nodes"].as_array().and_then(|n| n.iter().find(|p| p["id"] == id).cloned())
}

/// The token inside an activation link.
fn token_of(url: &str) -> String {
    url.split("purchaseToken=").nth(1).expect("the link carries a purchase token").to_owned()
}

/// R40: the operator account exists only through the command line (no GraphQL
/// operation creates one), signs in like everyone else and is neither a
/// publisher nor an org user.
#[tokio::test]
async fn r40_operator_is_created_from_the_command_line_and_signs_in() {
    let app = TestApp::spawn().await;
    let token = operator(&app, "ops@marketplace.test").await;
    let me =
        app.ok(&token, "{ me { isOperator isPublisher publisher { id } organization { id } roles } }", json!({})).await;
    assert_eq!(
        me["me"],
        json!({"isOperator": true, "isPublisher": false, "publisher": null, "organization": null, "roles": []})
    );
    // A second operator joins the same marketplace tenant; a taken e-mail is refused.
    operator(&app, "ops2@marketplace.test").await;
    assert_eq!(app.count("publishers").await, 1, "one marketplace tenant");
    let again = create_operator(&app.state, "Dup".into(), "ops@marketplace.test".into(), PASSWORD.into()).await;
    assert!(again.is_err(), "duplicate e-mail refused");
    let sdl = licensedesk::app::export_sdl();
    assert!(!sdl.contains("registerOperator") && !sdl.contains("createOperator"), "R40: no self-registration");
    // Operators buy nothing and see no customer's subscriptions.
    let shop = app.shop().await;
    let refused = app.err(Some(&token), "{ subscriptions(first: 5) { totalCount } }", json!({})).await;
    assert!(refused == FORBIDDEN || refused == NOT_FOUND, "operator lists subscriptions: {refused}");
    let buy = json!({"i": {"productId": shop.flat, "term": "MONTHLY", "billingProfileId": shop.profile}});
    assert_eq!(app.err(Some(&token), TestApp::PURCHASE, buy).await, FORBIDDEN);
}

/// R40, R9, R7: the operator bundles two publishers' products with a
/// negotiated price; a buying admin sees it pending and accepts: every
/// subscription at once, the negotiated price on the first-term charge.
#[tokio::test]
async fn r40_marketplace_proposal_accepted_with_negotiated_price() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    // The expiry is required of operators and must lie ahead (by the clock service).
    for (expires, why) in [(None, "missing"), (Some("2026-02-01T00:00:00Z"), "past")] {
        let refused = app.err(Some(&cast.operator), PROPOSE, cast.bundle("Bad", expires)).await;
        assert_eq!(refused, VALIDATION_FAILED, "expiresAt {why}");
    }
    let mut bad_price = cast.bundle("Bad", Some(EXPIRES));
    bad_price["i"]["lines"][0]["unitPrice"]["amount"] = json!("8.001");
    assert_eq!(app.err(Some(&cast.operator), PROPOSE, bad_price).await, VALIDATION_FAILED, "R7: exact amounts");
    assert_eq!(app.count("proposals").await, 0, "refusals create nothing");

    let created = app.ok(&cast.operator, PROPOSE, cast.bundle("Spring bundle", Some(EXPIRES))).await;
    let proposal = &created["createProposal"];
    assert_eq!(proposal["fromMarketplace"], true);
    assert_eq!(proposal["publisher"], Value::Null, "no publisher sent it");
    assert_eq!(proposal["lines"][0]["unitPrice"], json!({"amount": "8.00", "currency": "USD"}));
    assert_eq!(proposal["lines"][1]["unitPrice"], Value::Null, "list price");
    let id = proposal["id"].as_str().expect("id").to_owned();

    let pending = app.ok(&cast.billing.token, LIST, json!({"pending": true})).await;
    let seen = listed(&pending, &id).expect("R40: the buying admin sees the pending proposal");
    assert_eq!(seen["status"], "OPEN");
    assert_eq!(seen["expired"], false);

    // A profile billing in another currency cannot take a USD price.
    let eur = app.billing_profile(&cast.shop.org.admin, "DE", Some(CARD_OK)).await;
    let refused = app.err(Some(&cast.billing.token), ACCEPT, json!({"p": id, "b": eur})).await;
    assert!(refused == "CURRENCY_NOT_SUPPORTED", "negotiated USD on a EUR profile: {refused}");
    assert_eq!(app.count("subscriptions").await, 1, "R9: none created");

    let accepted = app.ok(&cast.billing.token, ACCEPT, json!({"p": id, "b": cast.shop.profile})).await;
    let subs = accepted["acceptProposal"].as_array().expect("subscriptions");
    assert_eq!(subs.len(), 2, "R9: every line");
    assert!(subs.iter().all(|s| s["channel"] == "PROPOSAL" && s["status"] == "PENDING_ACTIVATION"));
    let seat_sub = subs[0]["id"].as_str().expect("id");
    assert_eq!(app.charges_of(seat_sub).await, vec![("FIRST_TERM".to_owned(), 2400)], "3 × $8.00, not 3 × $10.00");
    let flat_sub = subs[1]["id"].as_str().expect("id");
    assert_eq!(app.charges_of(flat_sub).await, vec![("FIRST_TERM".to_owned(), 700)], "list price");
    let price = "query($id: ID!) { subscription(id: $id) { unitPrice { amount currency } } }";
    let shown = app.ok(&cast.shop.org.admin, price, json!({"id": seat_sub})).await;
    assert_eq!(shown["subscription"]["unitPrice"], json!({"amount": "8.00", "currency": "USD"}), "R40");
    let all = app.ok(&cast.shop.org.admin, LIST, json!({})).await;
    assert_eq!(listed(&all, &id).expect("listed")["status"], "ACCEPTED");
    assert!(listed(&app.ok(&cast.shop.org.admin, LIST, json!({"pending": true})).await, &id).is_none());
    assert_eq!(
        app.err(Some(&cast.shop.org.admin), ACCEPT, json!({"p": id, "b": cast.shop.profile})).await,
        INVALID_STATE,
        "accepted once"
    );
    // The operator follows its proposal; the publishers whose products it bundles do not see it.
    assert_eq!(listed(&app.ok(&cast.operator, LIST, json!({})).await, &id).expect("operator")["status"], "ACCEPTED");
    assert!(listed(&app.ok(&cast.shop.publisher.token, LIST, json!({})).await, &id).is_none());
}

/// R40: an expired (by the clock service) or declined proposal cannot be
/// accepted, and the refusal changes nothing.
#[tokio::test]
async fn r40_expired_or_declined_proposal_cannot_be_accepted() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let expiring = cast.proposal(&app, "Short offer").await;
    let declined = cast.proposal(&app, "Unwanted offer").await;

    assert_eq!(
        app.err(Some(&cast.billing.token), DECLINE, json!({"p": declined, "r": "  "})).await,
        VALIDATION_FAILED,
        "a reason is required"
    );
    let done = app.ok(&cast.billing.token, DECLINE, json!({"p": declined, "r": "Too expensive"})).await;
    assert_eq!(done["declineProposal"]["status"], "DECLINED");
    assert_eq!(done["declineProposal"]["declineReason"], "Too expensive");
    let subscriptions = app.count("subscriptions").await;
    let charges = app.count("charges").await;
    let refused = app.err(Some(&cast.shop.org.admin), ACCEPT, json!({"p": declined, "b": cast.shop.profile})).await;
    assert_eq!(refused, INVALID_STATE, "R40: declined");
    assert_eq!(app.err(Some(&cast.shop.org.admin), DECLINE, json!({"p": declined, "r": "again"})).await, INVALID_STATE);

    app.clock.set_date(date(2026, 3, 21));
    let all = app.ok(&cast.shop.org.admin, LIST, json!({})).await;
    let seen = listed(&all, &expiring).expect("still listed");
    assert_eq!((seen["status"].clone(), seen["expired"].clone()), (json!("OPEN"), json!(true)));
    assert!(listed(&app.ok(&cast.shop.org.admin, LIST, json!({"pending": true})).await, &expiring).is_none());
    let refused = app.err(Some(&cast.shop.org.admin), ACCEPT, json!({"p": expiring, "b": cast.shop.profile})).await;
    assert_eq!(refused, INVALID_STATE, "R40: expired");
    assert_eq!(app.count("subscriptions").await, subscriptions, "nothing bought");
    assert_eq!(app.count("charges").await, charges, "nothing charged");
    let after = app.ok(&cast.shop.org.admin, LIST, json!({})).await;
    assert_eq!(listed(&after, &expiring).expect("listed")["status"], "OPEN", "refusal changes nothing");
}

/// R40 authorization table: createProposal (two publishers' products, with
/// an expiry), declineProposal, acceptProposal and seeing the proposal, for
/// every actor. Refusals change no proposal, subscription or audit event.
#[tokio::test]
async fn r40_proposal_operations_by_actor() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    // createProposal, declineProposal, acceptProposal, proposals list ("listed", "absent" or a code)
    let table: [(&str, [&str; 4]); 10] = [
        ("GLOBAL_ADMIN", [FORBIDDEN, OK, OK, "listed"]),
        ("BILLING_ADMIN", [FORBIDDEN, OK, OK, "listed"]),
        ("LICENSE_ADMIN", [FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
        ("USER", [FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
        ("SELF_SERVICE_BUYER", [FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
        // A publisher proposes its own products only: the rival's is not there for it (R3).
        ("PUBLISHER", [NOT_FOUND, FORBIDDEN, FORBIDDEN, "absent"]),
        ("OTHER_PUBLISHER", [NOT_FOUND, FORBIDDEN, FORBIDDEN, "absent"]),
        ("OPERATOR", [OK, FORBIDDEN, FORBIDDEN, "listed"]),
        ("OTHER_ORG_ADMIN", [FORBIDDEN, NOT_FOUND, NOT_FOUND, "absent"]),
        ("ANONYMOUS", [UNAUTHENTICATED; 4]),
    ];
    let shared = cast.proposal(&app, "Shared offer").await;
    for ((label, token), (row, want)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        let proposals = app.count("proposals").await;
        let result = attempt(&app, token, PROPOSE, cast.bundle(&format!("By {label}"), Some(EXPIRES))).await;
        assert_eq!(outcome(&result), want[0], "R40 createProposal by {label}: {result:?}");
        assert_eq!(app.count("proposals").await, proposals + i64::from(want[0] == OK), "createProposal by {label}");

        let target = if want[1] == OK { cast.proposal(&app, "To decline").await } else { shared.clone() };
        let events = app.count("audit_events").await;
        let result = attempt(&app, token, DECLINE, json!({"p": target, "r": format!("No, says {label}")})).await;
        assert_eq!(outcome(&result), want[1], "R40 declineProposal by {label}: {result:?}");
        if want[1] != OK {
            assert_eq!(app.count("audit_events").await, events, "declineProposal by {label} refused");
        }

        let target = if want[2] == OK { cast.proposal(&app, "To accept").await } else { shared.clone() };
        let subscriptions = app.count("subscriptions").await;
        let charges = app.count("charges").await;
        let result = attempt(&app, token, ACCEPT, json!({"p": target, "b": cast.shop.profile})).await;
        assert_eq!(outcome(&result), want[2], "R40 acceptProposal by {label}: {result:?}");
        let grown = if want[2] == OK { 2 } else { 0 };
        assert_eq!(app.count("subscriptions").await, subscriptions + grown, "acceptProposal by {label}");
        assert_eq!(app.count("charges").await, charges + grown, "acceptProposal by {label}");

        let result = attempt(&app, token, LIST, json!({})).await;
        let seen = match &result {
            Ok(data) if listed(data, &shared).is_some() => "listed",
            Ok(_) => "absent",
            Err(code) => code.as_str(),
        };
        assert_eq!(seen, want[3], "R40 proposals seen by {label}: {result:?}");
        let state = listed(&app.ok(&cast.shop.org.admin, LIST, json!({})).await, &shared).expect("listed");
        assert_eq!(state["status"], "OPEN", "the shared proposal stays open after {label}");
    }
}

/// R42, R14: the portal link carries a one-time token; asking again replaces
/// it; the publisher resolves it (no billing data) and activates with it,
/// which uses it up; an expired, used, replaced or foreign token is NOT_FOUND.
#[tokio::test]
async fn r42_activation_link_end_to_end() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let admin = cast.shop.org.admin.as_str();
    let sub = app.buy(admin, &cast.shop.per_license, "ANNUAL", Some(4), &cast.shop.profile).await;
    let first = app.ok(admin, LINK, json!({"s": sub})).await["requestActivationLink"].clone();
    let url = first["url"].as_str().expect("url");
    assert!(url.starts_with("https://portal.example.com/setup?purchaseToken="), "{url}");
    let expires = first["expiresAt"].as_str().expect("expiresAt");
    assert!(expires.starts_with("2026-03-08T12:00:00"), "default lifetime: 7 days, got {expires}");
    let old = token_of(url);
    let second = app.ok(admin, LINK, json!({"s": sub})).await["requestActivationLink"]["url"].clone();
    let token = token_of(second.as_str().expect("url"));
    assert_ne!(old, token, "a new token each time");
    let stored = app.count("purchase_tokens").await;
    assert_eq!(stored, 2);
    let backend = app.db.get_database_backend();
    let raw = sea_orm::Statement::from_string(
        backend,
        format!("SELECT COUNT(*) AS n FROM purchase_tokens WHERE token_hash = '{token}'"),
    );
    use sea_orm::ConnectionTrait;
    let row = app.db.query_one_raw(raw).await.expect("query").expect("row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 0, "the token itself is not stored");

    let publisher = cast.shop.publisher.token.as_str();
    assert_eq!(app.err(Some(publisher), RESOLVE, json!({"t": old})).await, NOT_FOUND, "replaced token");
    let resolved = app.ok(publisher, RESOLVE, json!({"t": token})).await["resolvePurchaseToken"].clone();
    assert_eq!(resolved["id"], sub.as_str());
    assert_eq!(resolved["organizationName"], "Contoso");
    assert_eq!((resolved["quantity"].clone(), resolved["term"].clone()), (json!(4), json!("ANNUAL")));
    assert_eq!(resolved["product"]["name"], "Seat App");
    let billing = "query($t: String!) { resolvePurchaseToken(token: $t) { billingProfile { id } } }";
    assert!(app.gql(Some(publisher), billing, json!({"t": token})).await.get("errors").is_some(), "no billing data");

    let rival = cast.rival.token.as_str();
    assert_eq!(app.err(Some(rival), RESOLVE, json!({"t": token})).await, NOT_FOUND, "foreign token");
    assert_eq!(app.err(Some(rival), ACTIVATE, json!({"t": token})).await, NOT_FOUND, "foreign token");
    assert_eq!(app.ok(admin, STATUS, json!({"id": sub})).await["subscription"]["status"], "PENDING_ACTIVATION");

    let activated = app.ok(publisher, ACTIVATE, json!({"t": token})).await;
    assert_eq!(activated["activateWithPurchaseToken"]["status"], "ACTIVE", "R14");
    assert_eq!(app.ok(admin, STATUS, json!({"id": sub})).await["subscription"]["status"], "ACTIVE");
    assert_eq!(app.err(Some(publisher), RESOLVE, json!({"t": token})).await, NOT_FOUND, "used token");
    assert_eq!(app.err(Some(publisher), ACTIVATE, json!({"t": token})).await, NOT_FOUND, "used token");
    assert_eq!(app.err(Some(admin), LINK, json!({"s": sub})).await, INVALID_STATE, "already active");

    // Expired (by the clock service).
    let later = app.buy(admin, &cast.shop.per_license, "MONTHLY", Some(1), &cast.shop.profile).await;
    let link = app.ok(admin, LINK, json!({"s": later})).await["requestActivationLink"]["url"].clone();
    let token = token_of(link.as_str().expect("url"));
    app.clock.set_date(date(2026, 3, 9));
    assert_eq!(app.err(Some(publisher), RESOLVE, json!({"t": token})).await, NOT_FOUND, "expired token");
    assert_eq!(app.err(Some(publisher), ACTIVATE, json!({"t": token})).await, NOT_FOUND, "expired token");
    assert_eq!(app.ok(admin, STATUS, json!({"id": later})).await["subscription"]["status"], "PENDING_ACTIVATION");
    assert_eq!(app.err(Some(publisher), RESOLVE, json!({"t": "not-a-token"})).await, NOT_FOUND, "unknown token");
}

/// R42 authorization table: requestActivationLink on an org subscription and
/// on the self-service buyer's own one, resolvePurchaseToken and
/// activateWithPurchaseToken, for every actor. Refusals change nothing.
#[tokio::test]
async fn r42_activation_link_operations_by_actor() {
    let app = TestApp::spawn().await;
    let cast = Cast::new(&app).await;
    let admin = cast.shop.org.admin.as_str();
    let org_sub = app.buy(admin, &cast.shop.per_license, "MONTHLY", Some(3), &cast.shop.profile).await;
    // requestActivationLink (org sub), (self-service sub), resolvePurchaseToken, activateWithPurchaseToken
    let table: [(&str, [&str; 4]); 10] = [
        ("GLOBAL_ADMIN", [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
        ("BILLING_ADMIN", [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
        // Issue 25: the LICENSE_ADMIN, who assigns the licenses, follows the portal link too.
        ("LICENSE_ADMIN", [OK, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
        ("USER", [NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
        ("SELF_SERVICE_BUYER", [NOT_FOUND, OK, FORBIDDEN, FORBIDDEN]),
        ("PUBLISHER", [NOT_FOUND, NOT_FOUND, OK, OK]),
        ("OTHER_PUBLISHER", [NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND]),
        ("OPERATOR", [NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
        ("OTHER_ORG_ADMIN", [NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
        ("ANONYMOUS", [UNAUTHENTICATED; 4]),
    ];
    let shared_url = app.ok(admin, LINK, json!({"s": org_sub})).await["requestActivationLink"]["url"].clone();
    let mut shared = token_of(shared_url.as_str().expect("url"));
    for ((label, token), (row, want)) in cast.actors().into_iter().zip(table) {
        assert_eq!(label, row, "table order");
        for (column, sub) in [(0, &org_sub), (1, &cast.own_sub)] {
            let tokens = app.count("purchase_tokens").await;
            let events = app.count("audit_events").await;
            let result = attempt(&app, token, LINK, json!({"s": sub})).await;
            assert_eq!(outcome(&result), want[column], "R42 requestActivationLink ({column}) by {label}: {result:?}");
            if want[column] == OK {
                if column == 0 {
                    shared = token_of(result.expect("ok")["requestActivationLink"]["url"].as_str().expect("url"));
                }
            } else {
                assert_eq!(app.count("purchase_tokens").await, tokens, "refused: no token");
                assert_eq!(app.count("audit_events").await, events, "refused: no event");
            }
        }
        let result = attempt(&app, token, RESOLVE, json!({"t": shared})).await;
        assert_eq!(outcome(&result), want[2], "R42 resolvePurchaseToken by {label}: {result:?}");

        let (sub, token_to_use) = if want[3] == OK {
            let fresh = app.buy(admin, &cast.shop.per_license, "MONTHLY", Some(1), &cast.shop.profile).await;
            let url = app.ok(admin, LINK, json!({"s": fresh})).await["requestActivationLink"]["url"].clone();
            (fresh, token_of(url.as_str().expect("url")))
        } else {
            (org_sub.clone(), shared.clone())
        };
        let result = attempt(&app, token, ACTIVATE, json!({"t": token_to_use})).await;
        assert_eq!(outcome(&result), want[3], "R42 activateWithPurchaseToken by {label}: {result:?}");
        let status = app.ok(admin, STATUS, json!({"id": sub})).await["subscription"]["status"].clone();
        let expected = if want[3] == OK { "ACTIVE" } else { "PENDING_ACTIVATION" };
        assert_eq!(status, expected, "activateWithPurchaseToken by {label}");
    }
    // The shared token was never used up by a refusal.
    let publisher = cast.shop.publisher.token.as_str();
    assert_eq!(app.ok(publisher, RESOLVE, json!({"t": shared})).await["resolvePurchaseToken"]["id"], org_sub.as_str());
}

/// Issue 26 item 5, R40: a negotiated price says how long it holds. A line
/// states its terms (the first term unless the proposal says more); the
/// subscription shows the price of its next renewal and when the negotiated
/// price ends; the renewals keep it through its terms, then take the list
/// price, and the renewal events say when the price changes.
#[tokio::test]
async fn issue_26_a_negotiated_price_holds_for_its_terms_and_says_so() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let token = shop.org.admin.clone();
    app.clock.set_date(date(2026, 3, 10));
    let propose = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id lines { priceTerms unitPrice { amount } } } }";
    let refused = app
        .gql(
            Some(&shop.publisher.token),
            propose,
            json!({"i": {"organizationId": shop.org.id, "title": "No price", "lines": [
                {"productId": shop.per_license, "term": "MONTHLY", "quantity": 1, "priceTerms": 2}]}}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["field"], "lines.priceTerms", "terms without a price: {refused}");
    let proposal = app
        .ok(
            &shop.publisher.token,
            propose,
            json!({"i": {"organizationId": shop.org.id, "title": "Launch deal", "lines": [
                {"productId": shop.per_license, "term": "MONTHLY", "quantity": 3,
                 "unitPrice": {"amount": "8.00", "currency": "USD"}, "priceTerms": 2},
                {"productId": shop.per_license, "term": "MONTHLY", "quantity": 1,
                 "unitPrice": {"amount": "6.00", "currency": "USD"}}]}}),
        )
        .await["createProposal"]
        .clone();
    assert_eq!(
        proposal["lines"],
        json!([{"priceTerms": 2, "unitPrice": {"amount": "8.00"}}, {"priceTerms": 1, "unitPrice": {"amount": "6.00"}}]),
        "a line states its terms; the first term by default"
    );
    let accepted = app.ok(&token, ACCEPT, json!({"p": proposal["id"], "b": shop.profile})).await;
    let subs: Vec<String> = accepted["acceptProposal"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    let show = "query($id: ID!) { subscription(id: $id) { unitPrice { amount } nextRenewalPrice { amount } negotiatedPriceEndsOn } }";
    let two = app.ok(&token, show, json!({"id": subs[0]})).await["subscription"].clone();
    assert_eq!(
        two,
        json!({"unitPrice": {"amount": "8.00"}, "nextRenewalPrice": {"amount": "8.00"}, "negotiatedPriceEndsOn": "2026-05-10"})
    );
    let one = app.ok(&token, show, json!({"id": subs[1]})).await["subscription"].clone();
    assert_eq!(
        one,
        json!({"unitPrice": {"amount": "6.00"}, "nextRenewalPrice": {"amount": "10.00"}, "negotiatedPriceEndsOn": "2026-04-10"}),
        "the next renewal is at the list price, and the subscription says so"
    );
    app.bill(date(2026, 4, 10)).await;
    app.bill(date(2026, 5, 10)).await;
    let charges: Vec<i64> = app.charges_of(&subs[0]).await.into_iter().map(|(_, amount)| amount).collect();
    assert_eq!(charges, vec![2400, 2400, 3000], "3 × 8.00 for two terms, then 3 × 10.00");
    let charges: Vec<i64> = app.charges_of(&subs[1]).await.into_iter().map(|(_, amount)| amount).collect();
    assert_eq!(charges, vec![600, 1000, 1000], "the first term only, then the list price");
    let two = app.ok(&token, show, json!({"id": subs[0]})).await["subscription"].clone();
    assert_eq!(
        two,
        json!({"unitPrice": {"amount": "10.00"}, "nextRenewalPrice": {"amount": "10.00"}, "negotiatedPriceEndsOn": null})
    );
    // The renewal into the last negotiated term says when the price changes;
    // the one after says it changed (audit), and the event carries the date.
    let renewals: Vec<String> = entity::audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "subscription.renew" && e.object_id.to_string() == subs[0])
        .map(|e| e.after.unwrap_or_default())
        .collect();
    assert_eq!(renewals.len(), 2);
    assert!(renewals[0].contains("\"negotiatedPriceEndsOn\":\"2026-05-10\""), "{}", renewals[0]);
    assert!(renewals[1].contains("NEGOTIATED_PRICE_ENDED"), "{}", renewals[1]);
    let events: Vec<String> = entity::outbox_event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| {
            e.event_type == "SUBSCRIPTION_RENEWED" && e.subscription_id.map(|s| s.to_string()) == Some(subs[0].clone())
        })
        .map(|e| e.payload)
        .collect();
    assert!(events[0].contains("\"negotiatedPriceEndsOn\":\"2026-05-10\""), "{}", events[0]);
}
