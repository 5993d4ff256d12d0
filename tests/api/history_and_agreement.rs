//! Issue 9 items 6 and 7: a DISABLED subscription's assignments are history
//! (R16, R22), and a plain user accepts the customer agreement for their own
//! self-service purchases (R10, R25).

use serde_json::{Value, json};

use crate::authz::{ASSIGN, CANCEL, UNASSIGN, attempt, outcome};
use crate::helpers::*;

const HISTORY: &str = "query($id: ID!) { subscription(id: $id) { status assigned available assignedUsers { id } \
    disabledAt assignmentHistory { user { id } assignedAt releasedAt } } }";
const ACCEPT: &str = "mutation { acceptCustomerAgreement { acceptedAt acceptedBy { id } selfServiceOnly } }";
const AGREEMENT: &str = "{ customerAgreement { acceptedBy { id } selfServiceOnly } }";

fn history_of(data: &Value) -> Vec<(String, bool)> {
    data["subscription"]["assignmentHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["user"]["id"].as_str().expect("user").to_owned(), h["releasedAt"].is_string()))
        .collect()
}

#[tokio::test]
async fn r16_a_disabled_subscription_shows_no_current_assignments_and_keeps_its_history() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let people = app.users(&shop.org, "Holder", 2).await;
    app.ok(&shop.org.admin, ASSIGN, json!({"s": sub, "u": [people[0].id, people[1].id]})).await;
    app.ok(&shop.org.admin, UNASSIGN, json!({"s": sub, "u": [people[0].id]})).await;

    let live = app.ok(&shop.org.admin, HISTORY, json!({"id": sub})).await;
    assert_eq!(live["subscription"]["assigned"], 1);
    assert_eq!(live["subscription"]["available"], 4);
    assert_eq!(live["subscription"]["assignedUsers"], json!([{"id": people[1].id}]));
    assert_eq!(history_of(&live), vec![(people[0].id.clone(), true), (people[1].id.clone(), false)]);

    app.ok(&shop.org.admin, CANCEL, json!({"s": sub, "r": "OTHER", "f": null})).await;
    let done = app.ok(&shop.org.admin, HISTORY, json!({"id": sub})).await;
    let s = &done["subscription"];
    assert_eq!(s["status"], "DISABLED");
    assert_eq!(s["assigned"], 0, "R16: nothing counts any more");
    assert_eq!(s["available"], 0);
    assert_eq!(s["assignedUsers"], json!([]), "R16: no current holders");
    assert_eq!(
        history_of(&done),
        vec![(people[0].id.clone(), true), (people[1].id.clone(), true)],
        "R16: both assignments readable, both ended"
    );
    assert_eq!(s["assignmentHistory"][1]["releasedAt"], s["disabledAt"], "the open one ended when it was disabled");
    // The holder's own list agrees (R22): nothing current.
    let mine = app.ok(&people[1].token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(mine["myLicenses"], json!([]));
    // The publisher's view agrees too.
    let publisher = app
        .ok(&shop.publisher.token, "{ publisherSubscriptions(first: 10) { nodes { id assigned } } }", json!({}))
        .await;
    assert_eq!(publisher["publisherSubscriptions"]["nodes"][0]["assigned"], 0);
}

/// R10 + R25: in a new organization nobody has accepted; a plain user accepts
/// for their own self-service purchases (recorded as theirs), which lets them
/// buy self-service but no organization purchase is possible until an admin
/// accepts for the organization.
#[tokio::test]
async fn r10_a_plain_user_accepts_the_agreement_for_their_own_self_service_purchases() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Fresh", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let product = app.product(&publisher, "Seat App", "PER_LICENSE", &[("MONTHLY", "USD", "10.00")], None, true).await;
    let user = app.user(&org, "Ursula User", &[]).await;
    let license_admin = app.user(&org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let own = app.personal_profile(&user.token, "US", CARD_OK).await;
    let org_profile = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let self_service = json!({"i": {"productId": product, "term": "MONTHLY", "quantity": 2, "billingProfileId": own, "channel": "SELF_SERVICE"}});
    let org_purchase =
        json!({"i": {"productId": product, "term": "MONTHLY", "quantity": 2, "billingProfileId": org_profile}});

    assert_eq!(app.err(Some(&user.token), TestApp::PURCHASE, self_service.clone()).await, "AGREEMENT_REQUIRED");
    let subs = app.count("subscriptions").await;

    let accepted = app.ok(&user.token, ACCEPT, json!({})).await;
    assert_eq!(accepted["acceptCustomerAgreement"]["acceptedBy"]["id"], user.id.as_str(), "recorded as theirs");
    assert_eq!(accepted["acceptCustomerAgreement"]["selfServiceOnly"], true);
    assert_eq!(app.ok(&user.token, ACCEPT, json!({})).await, accepted, "accepted once; a repeat returns it");
    assert_eq!(app.ok(&user.token, AGREEMENT, json!({})).await["customerAgreement"]["selfServiceOnly"], true);
    // The organization has still not accepted: the admin sees none, and org purchases are refused.
    assert_eq!(app.ok(&org.admin, AGREEMENT, json!({})).await["customerAgreement"], Value::Null);
    assert_eq!(app.err(Some(&org.admin), TestApp::PURCHASE, org_purchase.clone()).await, "AGREEMENT_REQUIRED");
    assert_eq!(app.count("subscriptions").await, subs, "refused purchases change nothing");
    // Another plain user is not covered by someone else's acceptance.
    assert_eq!(outcome(&attempt(&app, Some(&license_admin.token), AGREEMENT, json!({})).await), "ok");
    assert_eq!(app.ok(&license_admin.token, AGREEMENT, json!({})).await["customerAgreement"], Value::Null);

    let bought = app.ok(&user.token, TestApp::PURCHASE, self_service).await;
    assert_eq!(bought["purchaseSubscription"]["status"], "PENDING_ACTIVATION", "R25: their self-service purchase");

    // An admin's acceptance is the organization's and covers everyone from then on.
    let org_accept = app.ok(&org.admin, ACCEPT, json!({})).await;
    assert_eq!(org_accept["acceptCustomerAgreement"]["selfServiceOnly"], false);
    assert_eq!(org_accept["acceptCustomerAgreement"]["acceptedBy"]["id"], org.admin_id.as_str());
    app.ok(&org.admin, TestApp::PURCHASE, org_purchase).await;
    assert_eq!(app.ok(&license_admin.token, AGREEMENT, json!({})).await["customerAgreement"]["selfServiceOnly"], false);
    // Publishers have no agreement to accept.
    assert_eq!(app.err(Some(&publisher.token), ACCEPT, json!({})).await, "FORBIDDEN");
}
