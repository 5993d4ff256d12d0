//! Issue 19 item 3, "visible by construction": the seams the outside probe
//! found, each tried from outside (through the HTTP router) by every kind of
//! caller with real and random IDs. A caller who may not see an object gets
//! the very answer a random ID gets (R3, R37) — same code, same message — and
//! nothing changes.
//!
//! - `acceptProposal` / `declineProposal` obey the proposals rule (R40): a plain
//!   user or LICENSE_ADMIN holding a billing-profile role cannot accept.
//! - `partnerRelationship(id)` and its decisions: the customer's non-GA users
//!   get NOT_FOUND for a real ID, as for a random one (R37, R39).
//! - The audit log shows a relationship's events only to those who may fetch
//!   the relationship (R37): not BILLING_ADMIN or LICENSE_ADMIN.
//! - `grantBillingRole` / `revokeBillingRole` with a deleted user's ID answer
//!   NOT_FOUND like a random ID (R3, R43).
//! - `viewerCan.manageRoles` agrees with `grantBillingRole`, false on a
//!   buyer's own self-service profile (R2, R25).
//! - The partner-relationship rule's row check and SQL condition agree for
//!   every actor, partner users included, and so does the audit-event rule
//!   over relationship events.

use std::collections::BTreeSet;

use entity::{audit_event, partner_relationship, user, user_role};
use licensedesk::{
    access,
    auth::{Actor, OrgActor, PartnerActor, PublisherActor},
};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    authz::{OK, attempt, outcome},
    helpers::*,
};

const NOT_FOUND: &str = "NOT_FOUND";
const FORBIDDEN: &str = "FORBIDDEN";

const PROPOSE: &str = "mutation($i: CreateProposalInput!) { createProposal(input: $i) { id } }";
const ACCEPT: &str =
    "mutation($p: ID!, $b: ID!) { acceptProposal(proposalId: $p, billingProfileId: $b) { id channel } }";
const DECLINE: &str = "mutation($p: ID!, $r: String!) { declineProposal(proposalId: $p, reason: $r) { id status } }";
const PROPOSALS: &str = "{ proposals(first: 100) { nodes { id status } } }";

const REGISTER_PARTNER: &str = "mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) \
    { token user { id organization { id } } } }";
const REQUEST: &str = "mutation($o: ID!) { requestPartnerRelationship(organizationId: $o) { id status } }";
const RELATIONSHIP: &str = "query($id: ID!) { partnerRelationship(id: $id) { id status } }";
const APPROVE: &str = "mutation($id: ID!) { approvePartnerRelationship(id: $id) { id status } }";
const REJECT: &str = "mutation($id: ID!) { rejectPartnerRelationship(id: $id) { id status } }";
const END: &str = "mutation($id: ID!) { endPartnerRelationship(id: $id) { id status } }";
const EVENTS: &str = "query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { totalCount nodes { id objectType objectId } } }";

const GRANT: &str = "mutation($p: ID!, $u: ID!, $r: BillingRole!) { grantBillingRole(billingProfileId: $p, userId: $u, role: $r) { id } }";
const REVOKE: &str = "mutation($p: ID!, $u: ID!, $r: BillingRole!) { revokeBillingRole(billingProfileId: $p, userId: $u, role: $r) { id } }";
const VIEWER_CAN: &str =
    "query($id: ID!) { billingProfile(id: $id) { viewerCan { manageRoles } myRights { canManageRoles } } }";

fn random_id() -> String {
    Uuid::new_v4().to_string()
}

/// The first error's code and message (the message is in English: no Accept-Language).
async fn refusal(app: &TestApp, token: Option<&str>, query: &str, vars: Value) -> (String, String) {
    let response = app.gql(token, query, vars).await;
    let error = &response["errors"][0];
    assert!(error.is_object(), "expected a refusal, got {response}");
    let code = error["extensions"]["code"].as_str().unwrap_or("<no code>").to_owned();
    (code, error["message"].as_str().unwrap_or_default().to_owned())
}

/// R3, R37: a real ID the caller may not see answers exactly like a random
/// ID: NOT_FOUND, with the same message. `vars` builds the variables for an ID.
async fn same_as_random(app: &TestApp, who: &str, token: &str, query: &str, vars: impl Fn(&str) -> Value, real: &str) {
    let seen = refusal(app, Some(token), query, vars(real)).await;
    let random = refusal(app, Some(token), query, vars(&random_id())).await;
    assert_eq!(seen.0, NOT_FOUND, "{who}: a real ID it may not see is NOT_FOUND ({query})");
    assert_eq!(seen, random, "{who}: a real ID answers like a random one ({query})");
}

/// Row counts of everything a refused call could have changed.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "proposals",
        "subscriptions",
        "charges",
        "audit_events",
        "billing_role_assignments",
        "partner_relationships",
        "outbox_events",
    ] {
        out.push(app.count(table).await);
    }
    out
}

struct Partner {
    admin: String,
    user: String,
}

async fn register_partner(app: &TestApp, name: &str) -> Partner {
    let email = format!("partner-{}@partner.test", Uuid::new_v4().simple());
    let input = json!({"i": {"partnerName": name, "country": "US", "name": format!("{name} Admin"), "email": email,
        "password": PASSWORD}});
    let data = app.ok_anon(REGISTER_PARTNER, input).await;
    assert!(data["registerPartner"]["user"]["organization"]["id"].is_string(), "R39: a partner tenant");
    let admin = app.login(&email).await;
    // A plain user of the partner tenant too (no GraphQL operation creates
    // one yet): the admin's row copied without its roles, same password.
    let row = user::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&user::Column::Email, email.as_str()))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the partner's admin");
    let plain = format!("partner-user-{}@partner.test", Uuid::new_v4().simple());
    let mut copy: user::ActiveModel = row.into();
    copy.id = Set(Uuid::now_v7());
    copy.email = Set(plain.clone());
    copy.name = Set(format!("{name} User"));
    copy.insert(&app.db).await.expect("a plain partner user");
    let user = app.login(&plain).await;
    Partner { admin, user }
}

/// R40, R9, issue 19: `acceptProposal` and `declineProposal` load the proposal
/// through the proposals rule. Before, accepting checked only the organization:
/// a plain user (or LICENSE_ADMIN) holding OWNER or CONTRIBUTOR on an org
/// profile accepted proposals the list refused them, and told real IDs from
/// random ones. Now every caller the list refuses gets NOT_FOUND for a real
/// ID exactly as for a random one, and nothing changes; the buying admins
/// still accept.
#[tokio::test]
async fn issue19_r40_accept_proposal_obeys_the_proposals_rule() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let owner = app.user(&shop.org, "Olive Owner", &[]).await;
    let contributor = app.user(&shop.org, "Carl Contributor", &[]).await;
    let plain = app.user(&shop.org, "Ursula User", &[]).await;
    // The roles that let them buy with the profile (R2) — not accept proposals (R40).
    app.grant_role(&shop.org.admin, &shop.profile, &owner.id, "OWNER").await;
    app.grant_role(&shop.org.admin, &shop.profile, &contributor.id, "CONTRIBUTOR").await;
    app.grant_role(&shop.org.admin, &shop.profile, &license.id, "OWNER").await;
    let other = app.register_org("Northwind", "US").await;
    let partner = register_partner(&app, "Adatum Partners").await;
    let rival = app.register_publisher("Rival").await;

    let propose = |title: &str| {
        json!({"i": {"organizationId": shop.org.id, "title": title, "lines": [
            {"productId": shop.per_license, "term": "MONTHLY", "quantity": 2}]}})
    };
    let proposal = app.ok(&shop.publisher.token, PROPOSE, propose("Seats for Contoso")).await["createProposal"]["id"]
        .as_str()
        .expect("proposal id")
        .to_owned();

    // Plain users could buy with the profile: the proposal rule, not the profile, refuses them.
    let buy = json!({"i": {"productId": shop.per_license, "term": "MONTHLY", "quantity": 1,
        "billingProfileId": shop.profile}});
    assert_eq!(outcome(&attempt(&app, Some(&owner.token), TestApp::PURCHASE, buy).await), OK, "R2: an OWNER buys");

    let refused: [(&str, &str); 5] = [
        ("LICENSE_ADMIN with OWNER on the profile", &license.token),
        ("USER with OWNER on the profile", &owner.token),
        ("USER with CONTRIBUTOR on the profile", &contributor.token),
        ("USER without a role", &plain.token),
        ("another organization's GLOBAL_ADMIN", &other.admin),
    ];
    for (who, token) in refused {
        let before = counts(&app).await;
        same_as_random(&app, who, token, ACCEPT, |p| json!({"p": p, "b": shop.profile}), &proposal).await;
        same_as_random(&app, who, token, DECLINE, |p| json!({"p": p, "r": "no"}), &proposal).await;
        assert_eq!(counts(&app).await, before, "R40: {who}'s refused calls changed nothing");
        // The same answer the list gives: the proposal is not theirs to see.
        let listed = attempt(&app, Some(token), PROPOSALS, json!({})).await;
        let seen = listed.as_ref().is_ok_and(|d| d.to_string().contains(&proposal));
        assert!(!seen, "R40: {who} does not see the proposal in the list: {listed:?}");
    }
    // Publishers and partners never act for a customer: FORBIDDEN for real and random IDs alike.
    for (who, token) in [
        ("another publisher", &rival.token),
        ("a partner's admin", &partner.admin),
        ("a partner's user", &partner.user),
    ] {
        let before = counts(&app).await;
        for query in [ACCEPT, DECLINE] {
            let real = refusal(&app, Some(token), query, json!({"p": proposal, "b": shop.profile, "r": "no"})).await;
            let random =
                refusal(&app, Some(token), query, json!({"p": random_id(), "b": shop.profile, "r": "no"})).await;
            assert_eq!(real.0, FORBIDDEN, "{who} accepts or declines nothing");
            assert_eq!(real, random, "{who}: a real ID answers like a random one");
        }
        assert_eq!(counts(&app).await, before, "{who}'s refused calls changed nothing");
    }
    let state = app.ok(&shop.org.admin, PROPOSALS, json!({})).await;
    assert_eq!(state["proposals"]["nodes"][0]["status"], "OPEN", "the proposal is still open");

    // The buying admins do accept (R9, R40): the rule is not "nobody".
    let accepted = app.ok(&billing.token, ACCEPT, json!({"p": proposal, "b": shop.profile})).await;
    assert_eq!(accepted["acceptProposal"][0]["channel"], "PROPOSAL");
    let second = app.ok(&shop.publisher.token, PROPOSE, propose("More seats")).await["createProposal"]["id"]
        .as_str()
        .expect("proposal id")
        .to_owned();
    let accepted = app.ok(&shop.org.admin, ACCEPT, json!({"p": second, "b": shop.profile})).await;
    assert_eq!(accepted["acceptProposal"].as_array().map(Vec::len), Some(1));
}

/// A customer with a partner relationship and every kind of caller around it.
struct PartnerWorld {
    app: TestApp,
    shop: Shop,
    ga: String,
    ba: Person,
    la: Person,
    user: Person,
    partner: Partner,
    stranger: Partner,
    other: Org,
    publisher: String,
    rel: String,
}

async fn partner_world() -> PartnerWorld {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let ba = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let la = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let user = app.user(&shop.org, "Ursula User", &[]).await;
    let partner = register_partner(&app, "Adatum Partners").await;
    let stranger = register_partner(&app, "Stranger Partners").await;
    let other = app.register_org("Northwind", "US").await;
    let rel = app.ok(&partner.admin, REQUEST, json!({"o": shop.org.id})).await["requestPartnerRelationship"]["id"]
        .as_str()
        .expect("relationship id")
        .to_owned();
    let publisher = shop.publisher.token.clone();
    PartnerWorld { ga: shop.org.admin.clone(), app, shop, ba, la, user, partner, stranger, other, publisher, rel }
}

/// R37, R39, issue 19: `partnerRelationship(id)` and the decisions on it. The
/// customer's BILLING_ADMIN, LICENSE_ADMIN and plain USER cannot see a
/// relationship, so a real ID answers NOT_FOUND with the message of a random
/// one (before: FORBIDDEN for a real ID); so do other partners, other
/// organizations and publishers. The relationship's partner sees it and is
/// FORBIDDEN to decide; the customer's GLOBAL_ADMIN decides.
#[tokio::test]
async fn issue19_r37_partner_relationship_ids_nobody_may_see_answer_not_found() {
    let w = partner_world().await;
    let app = &w.app;
    let unseeing: [(&str, &str); 7] = [
        ("BILLING_ADMIN", &w.ba.token),
        ("LICENSE_ADMIN", &w.la.token),
        ("USER", &w.user.token),
        ("another partner's admin", &w.stranger.admin),
        ("another partner's user", &w.stranger.user),
        ("another organization's GLOBAL_ADMIN", &w.other.admin),
        ("a publisher", &w.publisher),
    ];
    for (who, token) in unseeing {
        let before = counts(app).await;
        for query in [RELATIONSHIP, APPROVE, REJECT, END] {
            same_as_random(app, who, token, query, |id| json!({"id": id}), &w.rel).await;
        }
        assert_eq!(counts(app).await, before, "{who}'s refused calls changed nothing");
    }
    // The partner's own users see it and may not decide (they can see it: FORBIDDEN).
    for (who, token) in [("the partner's admin", &w.partner.admin), ("the partner's user", &w.partner.user)] {
        let seen = app.ok(token, RELATIONSHIP, json!({"id": w.rel})).await;
        assert_eq!(seen["partnerRelationship"]["status"], "PENDING", "{who} sees it");
        assert_eq!(app.err(Some(token), APPROVE, json!({"id": w.rel})).await, FORBIDDEN, "{who} never decides");
        assert_eq!(app.err(Some(token), RELATIONSHIP, json!({"id": random_id()})).await, NOT_FOUND);
    }
    // The customer's GLOBAL_ADMIN sees and decides.
    assert_eq!(app.ok(&w.ga, RELATIONSHIP, json!({"id": w.rel})).await["partnerRelationship"]["status"], "PENDING");
    assert_eq!(app.err(Some(&w.ga), APPROVE, json!({"id": random_id()})).await, NOT_FOUND);
    assert_eq!(app.ok(&w.ga, APPROVE, json!({"id": w.rel})).await["approvePartnerRelationship"]["status"], "APPROVED");
    // After the decision the unseeing still get the random-ID answer.
    same_as_random(app, "BILLING_ADMIN", &w.ba.token, END, |id| json!({"id": id}), &w.rel).await;
    assert_eq!(app.ok(&w.ga, END, json!({"id": w.rel})).await["endPartnerRelationship"]["status"], "ENDED");
}

/// R37, issue 19: partner-relationship events in the audit log follow the
/// relationship's rule. The GLOBAL_ADMIN, who may fetch the relationship,
/// reads its events; BILLING_ADMIN and LICENSE_ADMIN, who may read the log
/// but not fetch the relationship, see none of them — neither by type nor by
/// the relationship's ID (before: they read them all).
#[tokio::test]
async fn issue19_r37_partner_relationship_events_only_for_who_may_fetch_it() {
    let w = partner_world().await;
    let app = &w.app;
    app.ok(&w.ga, APPROVE, json!({"id": w.rel})).await;
    let by_type = json!({"f": {"objectType": "partner_relationship"}});
    let by_id = json!({"f": {"objectId": w.rel}});
    let ga = app.ok(&w.ga, EVENTS, by_type.clone()).await;
    assert_eq!(ga["auditEvents"]["totalCount"], 2, "R36: the GLOBAL_ADMIN reads the request and the approval: {ga}");
    assert_eq!(app.ok(&w.ga, EVENTS, by_id.clone()).await["auditEvents"]["totalCount"], 2);
    for (who, token) in [("BILLING_ADMIN", &w.ba.token), ("LICENSE_ADMIN", &w.la.token)] {
        for filter in [&by_type, &by_id] {
            let seen = app.ok(token, EVENTS, filter.clone()).await;
            assert_eq!(seen["auditEvents"]["totalCount"], 0, "R37: {who} reads no relationship event: {seen}");
        }
        let all = app.ok(token, EVENTS, json!({})).await.to_string();
        assert!(!all.contains(&w.rel), "R37: {who}'s whole log names no relationship: {all}");
        assert!(all.contains("billing_profile") || who == "LICENSE_ADMIN", "{who} still reads its own events");
    }
    // The plain user reads no log at all; the other organization's admin not this one's.
    assert_eq!(app.err(Some(&w.user.token), EVENTS, json!({})).await, FORBIDDEN);
    let other = app.ok(&w.other.admin, EVENTS, by_id).await;
    assert_eq!(other["auditEvents"]["totalCount"], 0);
    let _ = &w.shop;
}

/// R3, R43, issue 19: granting or revoking a billing role names a user by ID.
/// A deleted user's ID answers NOT_FOUND exactly like a random ID (before:
/// USER_NOT_IN_ORGANIZATION, which told the ID was real), for every caller
/// who manages roles, and changes nothing. A deactivated (not deleted)
/// member is still an existing member: USER_NOT_IN_ORGANIZATION.
#[tokio::test]
async fn issue19_r3_grant_billing_role_to_a_deleted_user_is_not_found() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let owner = app.user(&shop.org, "Olive Owner", &[]).await;
    app.grant_role(&shop.org.admin, &shop.profile, &owner.id, "OWNER").await;
    let leaver = app.user(&shop.org, "Lee Leaver", &[]).await;
    app.grant_role(&shop.org.admin, &shop.profile, &leaver.id, "READER").await;
    let resting = app.user(&shop.org, "Rae Resting", &[]).await;
    let foreigner = app.register_org("Northwind", "US").await;
    app.ok(&shop.org.admin, "mutation($u: ID!) { deleteUser(userId: $u) { user { id } } }", json!({"u": leaver.id}))
        .await;
    app.ok(&shop.org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({"u": resting.id})).await;

    let managers: [(&str, &str); 3] =
        [("GLOBAL_ADMIN", &shop.org.admin), ("BILLING_ADMIN", &billing.token), ("OWNER", &owner.token)];
    for (who, token) in managers {
        for (query, role) in [(GRANT, "CONTRIBUTOR"), (REVOKE, "READER")] {
            let before = counts(&app).await;
            let vars = |u: &str| json!({"p": shop.profile, "u": u, "r": role});
            same_as_random(&app, who, token, query, vars, &leaver.id).await;
            // A person of another organization is not there either.
            same_as_random(&app, who, token, query, vars, &foreigner.admin_id).await;
            assert_eq!(counts(&app).await, before, "{who}: refused role changes changed nothing");
        }
        let vars = json!({"p": shop.profile, "u": resting.id, "r": "READER"});
        assert_eq!(app.err(Some(token), GRANT, vars).await, "USER_NOT_IN_ORGANIZATION", "{who}: a deactivated member");
    }
    // A live member is granted (the refusals above are about the ID, not the caller).
    let member = app.user(&shop.org, "Mia Member", &[]).await;
    app.ok(&owner.token, GRANT, json!({"p": shop.profile, "u": member.id, "r": "READER"})).await;
}

/// R2, R25, issue 19 (item 8's `viewerCan`): `viewerCan.manageRoles` says
/// exactly whether `grantBillingRole` succeeds, for every caller, on an org
/// profile and on a buyer's own self-service profile — where it was true
/// while granting is always FORBIDDEN.
#[tokio::test]
async fn issue19_r2_viewer_can_manage_roles_matches_grant() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let billing = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let owner = app.user(&shop.org, "Olive Owner", &[]).await;
    let contributor = app.user(&shop.org, "Carl Contributor", &[]).await;
    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    let buyer = app.user(&shop.org, "Sam Self", &[]).await;
    let target = app.user(&shop.org, "Tess Target", &[]).await;
    for (person, role) in [(&owner, "OWNER"), (&contributor, "CONTRIBUTOR"), (&reader, "READER")] {
        app.grant_role(&shop.org.admin, &shop.profile, &person.id, role).await;
    }
    let own = app.personal_profile(&buyer.token, "US", CARD_OK).await;
    let cases: [(&str, &str, &str, bool); 6] = [
        ("GLOBAL_ADMIN on an org profile", &shop.org.admin, &shop.profile, true),
        ("BILLING_ADMIN on an org profile", &billing.token, &shop.profile, true),
        ("OWNER on an org profile", &owner.token, &shop.profile, true),
        ("CONTRIBUTOR on an org profile", &contributor.token, &shop.profile, false),
        ("READER on an org profile", &reader.token, &shop.profile, false),
        ("the buyer on their own self-service profile", &buyer.token, &own, false),
    ];
    for (who, token, profile, expected) in cases {
        let data = app.ok(token, VIEWER_CAN, json!({"id": profile})).await;
        let shown = &data["billingProfile"];
        assert_eq!(shown["viewerCan"]["manageRoles"], json!(expected), "viewerCan.manageRoles for {who}");
        assert_eq!(shown["myRights"]["canManageRoles"], json!(expected), "myRights.canManageRoles for {who}");
        let before = counts(&app).await;
        let result = attempt(&app, Some(token), GRANT, json!({"p": profile, "u": target.id, "r": "READER"})).await;
        assert_eq!(result.is_ok(), expected, "grantBillingRole by {who}: {result:?}");
        if !expected {
            assert_eq!(outcome(&result), FORBIDDEN, "{who} sees the profile: FORBIDDEN");
            assert_eq!(counts(&app).await, before, "{who}: nothing changed");
        }
    }
}

/// Every user of the database as an actor, partner users as partners (R39).
async fn all_actors(app: &TestApp) -> Vec<Actor> {
    let roles = user_role::Entity::find().all(&app.db).await.expect("roles");
    user::Entity::find()
        .all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| {
            let held = roles.iter().filter(|r| r.user_id == u.id).map(|r| r.role).collect();
            match (u.organization_id, u.publisher_id) {
                (Some(organization_id), _) => {
                    let tenant = OrgActor { user_id: u.id, organization_id, roles: held };
                    if u.is_partner { Actor::Partner(PartnerActor { tenant }) } else { Actor::Org(tenant) }
                }
                (None, Some(publisher_id)) => Actor::Publisher(PublisherActor { user_id: u.id, publisher_id }),
                (None, None) => panic!("a user without tenant"),
            }
        })
        .collect()
}

/// Issue 19 / issue 8 §7 for partner relationships: for every actor (the
/// customer's roles, both partners' admins and users, another organization,
/// a publisher), the relationship rule's row check ([`access::partner::load`],
/// used by gets and decisions) and its SQL condition (used by the list and
/// the audit log) pick the same rows; so do the audit-event rule's two halves
/// over the relationship events.
#[tokio::test]
async fn issue19_r37_partner_relationship_rule_agrees_with_its_sql_condition() {
    let w = partner_world().await;
    let app = &w.app;
    // Relationships in several states, with both partners and two customers.
    app.ok(&w.ga, APPROVE, json!({"id": w.rel})).await;
    let rejected = app.ok(&w.stranger.admin, REQUEST, json!({"o": w.shop.org.id})).await["requestPartnerRelationship"]
        ["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.ok(&w.ga, REJECT, json!({"id": rejected})).await;
    app.ok(&w.partner.admin, REQUEST, json!({"o": w.other.id})).await;
    let db = &app.db;
    let actors = all_actors(app).await;
    assert!(actors.iter().any(|a| matches!(a, Actor::Partner(_))), "partner users are among the actors");
    let rels = partner_relationship::Entity::find().all(db).await.expect("relationships");
    assert_eq!(rels.len(), 3);
    let events = audit_event::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&audit_event::Column::ObjectType, "partner_relationship"))
        .all(db)
        .await
        .expect("events");
    assert!(events.len() >= 6, "each change is in both tenants' logs");
    let (mut seen, mut refused) = (0, 0);
    for actor in &actors {
        let who = format!("{actor:?}");
        let by_sql: BTreeSet<Uuid> = partner_relationship::Entity::find()
            .filter(access::partner::visible(actor))
            .all(db)
            .await
            .expect("the SQL condition")
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut by_row = BTreeSet::new();
        for r in &rels {
            if access::partner::load(db, actor, r.id, access::partner::Access::View, false).await.is_ok() {
                by_row.insert(r.id);
            }
        }
        assert_eq!(by_sql, by_row, "partner relationships for {who}");
        seen += by_row.len();
        refused += rels.len() - by_row.len();
        let by_sql: BTreeSet<Uuid> = audit_event::Entity::find()
            .filter(access::audit_event::visible(actor))
            .filter(sea_orm::ColumnTrait::eq(&audit_event::Column::ObjectType, "partner_relationship"))
            .all(db)
            .await
            .expect("the SQL condition")
            .into_iter()
            .map(|e| e.id)
            .collect();
        let mut by_row = BTreeSet::new();
        for e in &events {
            if access::audit_event::check(db, actor, e).await.expect("audit check") {
                by_row.insert(e.id);
            }
        }
        assert_eq!(by_sql, by_row, "relationship events for {who}");
    }
    assert!(seen > 0 && refused > 0, "the comparison is not vacuous: {seen} seen, {refused} refused");
}
