//! Issue 3 §8: relation fields load through DataLoaders, so a page of 50
//! subscriptions with all its relations costs the same number of SQL
//! statements as a page of 5.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;

use crate::helpers::*;

const PAGE: &str = "query($n: Int!) { subscriptions(first: $n) { totalCount nodes {
    id status quantity assigned available
    product { name pricingModel offeredTerms markets selfServiceAllowed prices { term price { amount currency } } publisher { name } }
    billingProfile { name currency paymentMethod { brand last4 } roleAssignments { role user { name } } }
    purchaser { name roles organization { name } }
    assignedUsers { name email }
    portalUrl supportUrl unitPrice { amount currency } } } }";

#[tokio::test]
async fn a_page_of_50_costs_as_many_statements_as_a_page_of_5() {
    let url = fresh_database_url().await;
    let counter = Arc::new(AtomicUsize::new(0));
    let app = TestApp::with_statement_counter(&url, counter.clone()).await;
    let shop = app.shop().await;
    let second_profile = app.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await;
    let people = app.users(&shop.org, "Holder", 3).await;
    let products = [shop.per_license.clone(), shop.flat.clone()];
    for i in 0..50 {
        let product = &products[i % 2];
        let profile = if i % 3 == 0 { &second_profile } else { &shop.profile };
        let quantity = (i % 2 == 0).then_some(5);
        let sub = app.buy(&shop.org.admin, product, "MONTHLY", quantity, profile).await;
        // The newest five (the small page) have the same shape as the rest: assigned users too.
        if i % 10 == 0 || i >= 45 {
            app.activate(&shop.publisher, &sub).await;
            let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
            app.ok(&shop.org.admin, "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }", json!({"s": sub, "u": ids})).await;
        }
    }
    let mut counts = Vec::new();
    for n in [5, 50] {
        counter.store(0, Ordering::SeqCst);
        let data = app.ok(&shop.org.admin, PAGE, json!({"n": n})).await;
        assert_eq!(data["subscriptions"]["nodes"].as_array().map(Vec::len), Some(n as usize));
        counts.push(counter.load(Ordering::SeqCst));
    }
    assert_eq!(counts[0], counts[1], "statements for 5 vs 50 subscriptions: {counts:?}");
    assert!(counts[0] < 30, "a constant, small number of statements: {counts:?}");
}
