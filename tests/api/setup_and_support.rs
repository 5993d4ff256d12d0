//! Issue 25 item 4: the publisher marks a subscription's set-up done (shown
//! in the admin center, with an event); products carry a support e-mail next
//! to their support page; the marketplace's own support contact is shown to
//! self-service buyers and admins. Both engines.

use serde_json::json;

use crate::helpers::{CARD_OK, TestApp};

const MARK: &str =
    "mutation($s: ID!) { markSubscriptionSetUp(subscriptionId: $s) { id setupCompletedAt viewerCan { markSetUp } } }";
const SUB: &str = "query($id: ID!) { subscription(id: $id) { setupCompletedAt supportUrl supportEmail } }";

#[tokio::test]
async fn issue_25_the_publisher_marks_set_up_done_and_the_admin_center_shows_it() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = shop.org.admin.as_str();
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    // Not before activation.
    assert_eq!(app.err(Some(&shop.publisher.token), MARK, json!({"s": sub})).await, "INVALID_STATE");
    app.activate(&shop.publisher, &sub).await;
    let listed = app
        .ok(
            &shop.publisher.token,
            "{ publisherSubscriptions(first: 5) { nodes { id viewerCan { markSetUp } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["publisherSubscriptions"]["nodes"][0]["viewerCan"]["markSetUp"], true);
    // R3: nobody but the product's publisher; the others' refusals change nothing.
    let rival = app.register_publisher("Northwind").await;
    let license_admin = app.user(&shop.org, "Lee License", &["LICENSE_ADMIN"]).await;
    let before = app.count("audit_events").await;
    assert_eq!(app.err(Some(&rival.token), MARK, json!({"s": sub})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(admin), MARK, json!({"s": sub})).await, "FORBIDDEN");
    assert_eq!(app.err(Some(&license_admin.token), MARK, json!({"s": sub})).await, "FORBIDDEN");
    assert_eq!(app.err(None, MARK, json!({"s": sub})).await, "UNAUTHENTICATED");
    assert_eq!(app.count("audit_events").await, before);
    assert_eq!(app.ok(admin, SUB, json!({"id": sub})).await["subscription"]["setupCompletedAt"], json!(null));

    let events = app.count("outbox_events").await;
    let marked = app.ok(&shop.publisher.token, MARK, json!({"s": sub})).await;
    let at = marked["markSubscriptionSetUp"]["setupCompletedAt"].clone();
    assert!(at.is_string());
    assert_eq!(marked["markSubscriptionSetUp"]["viewerCan"]["markSetUp"], false);
    // Shown in the admin center, to every admin who sees the subscription.
    for token in [admin, license_admin.token.as_str()] {
        assert_eq!(app.ok(token, SUB, json!({"id": sub})).await["subscription"]["setupCompletedAt"], at);
    }
    // One event, and the audit log names the change.
    assert_eq!(app.count("outbox_events").await, events + 1);
    let rows = {
        use sea_orm::{EntityTrait, QueryOrder};
        entity::outbox_event::Entity::find()
            .order_by_desc(entity::outbox_event::Column::Seq)
            .all(&app.db)
            .await
            .expect("outbox")
    };
    assert_eq!(rows[0].event_type, "SUBSCRIPTION_SETUP_COMPLETED");
    let audit = app.ok(admin, "{ auditEvents(first: 5) { nodes { action } } }", json!({})).await.to_string();
    assert!(audit.contains("subscription.setup_complete"), "{audit}");
    // Marking again changes nothing.
    let again = app.ok(&shop.publisher.token, MARK, json!({"s": sub})).await;
    assert_eq!(again["markSubscriptionSetUp"]["setupCompletedAt"], at);
    assert_eq!(app.count("outbox_events").await, events + 1);
}

#[tokio::test]
async fn issue_25_support_contacts_of_the_product_and_the_marketplace() {
    let url = crate::helpers::fresh_database_url().await;
    let app = TestApp::with_config(&url, |config| {
        config.support = licensedesk::config::SupportContact {
            url: Some("https://help.marketplace.test".into()),
            email: Some("help@marketplace.test".into()),
        };
    })
    .await;
    let shop = app.shop().await;
    let admin = shop.org.admin.as_str();
    // The product's support e-mail: set, shown on the subscription, changed, removed.
    app.ok(
        &shop.publisher.token,
        "mutation($p: ID!) { updateProduct(id: $p, input: {supportEmail: \"help@fabrikam.test\"}) { supportEmail } }",
        json!({"p": shop.per_license}),
    )
    .await;
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    let seen = app.ok(admin, SUB, json!({"id": sub})).await;
    assert_eq!(seen["subscription"]["supportEmail"], "help@fabrikam.test");
    assert_eq!(seen["subscription"]["supportUrl"], "https://support.example.com");
    assert_eq!(
        app.err(
            Some(&shop.publisher.token),
            "mutation($p: ID!) { updateProduct(id: $p, input: {supportEmail: \"not an address\"}) { id } }",
            json!({"p": shop.per_license}),
        )
        .await,
        "VALIDATION_FAILED"
    );
    let cleared = app
        .ok(
            &shop.publisher.token,
            "mutation($p: ID!) { updateProduct(id: $p, input: {supportEmail: \"\"}) { supportEmail } }",
            json!({"p": shop.per_license}),
        )
        .await;
    assert_eq!(cleared["updateProduct"]["supportEmail"], json!(null));
    // The marketplace's own contact: for a self-service buyer and for admins.
    let buyer = app.user(&shop.org, "Sam Self", &[]).await;
    app.personal_profile(&buyer.token, "US", CARD_OK).await;
    const SUPPORT: &str = "{ marketplaceSupport { url email } }";
    for token in [admin, buyer.token.as_str()] {
        let support = app.ok(token, SUPPORT, json!({})).await;
        assert_eq!(
            support["marketplaceSupport"],
            json!({"url": "https://help.marketplace.test", "email": "help@marketplace.test"})
        );
    }
    assert_eq!(app.err(None, SUPPORT, json!({})).await, "UNAUTHENTICATED");
}
