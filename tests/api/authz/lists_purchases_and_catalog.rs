//! The authorization table, continued: lists, purchases, the agreement, activation, the self-service policy, the catalog and proposals, publisher lists, the audit log and user search by role.

use super::*;

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
