//! Invoices (R2, R3, R29, R31, R32, R36): numbering, the list and its
//! filters, one invoice, paying under the R2 matrix, and the PDF.

use axum::{body::Body, http::Request};
use entity::{enums::InvoiceStatus, invoice};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const PAY: &str = "mutation($i: ID!) { payInvoice(invoiceId: $i) { id status paidAt paymentMethod } }";
const MARK_PAID: &str = "mutation($i: ID!) { markInvoicePaid(invoiceId: $i) { id status paidAt paymentMethod } }";
const INVOICE_STATUS: &str = "query($i: ID!) { invoice(id: $i) { status paidAt } }";

fn numbers(invoices: &[Value]) -> Vec<i64> {
    invoices.iter().map(|i| i["sequence"].as_i64().unwrap_or(-1)).collect()
}

/// R31: numbers are unique and sequential per organization, with no gaps,
/// across all its billing profiles; another organization counts on its own.
#[tokio::test]
async fn r31_invoice_numbers_are_sequential_per_organization_without_gaps() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let second = app.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await;
    let wire = app.check_or_wire_profile(&shop.org.admin, "US").await;
    let other = app.register_org("Northwind", "US").await;
    app.accept_agreement(&other.admin).await;
    let other_profile = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
    for (token, profile) in [
        (&shop.org.admin, &shop.profile),
        (&shop.org.admin, &second),
        (&shop.org.admin, &wire),
        (&other.admin, &other_profile),
    ] {
        app.buy(token, &shop.per_license, "MONTHLY", Some(1), profile).await;
    }
    for day in [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)] {
        app.bill(day).await;
    }
    // 3 profiles × 3 months in Contoso; 1 profile × 3 months in Northwind.
    let mine = app.all_invoices(&shop.org.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    let mut seq = numbers(&mine);
    seq.reverse();
    assert_eq!(seq, (1..=9).collect::<Vec<_>>(), "newest first, 1…9 without gaps");
    let names: Vec<&str> = mine.iter().rev().map(|i| i["number"].as_str().unwrap_or("")).collect();
    assert_eq!(names[0], "LD-000001");
    assert_eq!(names[8], "LD-000009");
    // Issued in month order: every number of April is below every number of May.
    let issue_dates: Vec<&str> = mine.iter().rev().map(|i| i["issueDate"].as_str().unwrap_or("")).collect();
    assert!(issue_dates.windows(2).all(|w| w[0] <= w[1]), "{issue_dates:?}");
    let theirs = app.all_invoices(&other.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    assert_eq!(numbers(&theirs), vec![3, 2, 1]);
}

/// R31, R32: one invoice with its lines, dates, totals, payment method and PDF link.
#[tokio::test]
async fn r31_invoice_shows_lines_dates_totals_and_payment_method() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.clock.set_date(date(2026, 3, 11));
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 8) { quantity } }",
        json!({"s": sub}),
    )
    .await;
    app.bill(date(2026, 4, 1)).await;
    let list = app.invoice_page(&shop.org.admin, json!({}), None, None).await;
    assert_eq!(list["totalCount"], 1);
    let id = list["edges"][0]["node"]["id"].as_str().expect("id").to_owned();
    let inv = app.invoice(&shop.org.admin, &id).await;
    assert_eq!(inv["number"], "LD-000001");
    assert_eq!(inv["sequence"], 1);
    assert_eq!(inv["billingProfile"]["id"], shop.profile.as_str());
    assert_eq!((inv["periodStart"].as_str(), inv["periodEnd"].as_str()), (Some("2026-03-01"), Some("2026-03-31")));
    assert_eq!((inv["issueDate"].as_str(), inv["dueDate"].as_str()), (Some("2026-04-01"), Some("2026-05-01")));
    // First term 03-01..04-01: 5 × 10.00 = 50.00; 3 added on 03-11: 3 × 10.00 × 21/31 = 20.322… → 20.32.
    assert_eq!(inv["lines"][0]["amount"]["amount"], "50.00");
    assert_eq!(inv["lines"][0]["quantity"], 5);
    assert_eq!(inv["lines"][0]["unitPrice"]["amount"], "10.00");
    assert_eq!(inv["lines"][0]["productName"], "Seat App");
    assert_eq!(
        (inv["lines"][0]["periodStart"].as_str(), inv["lines"][0]["periodEnd"].as_str()),
        (Some("2026-03-01"), Some("2026-04-01"))
    );
    assert_eq!(inv["lines"][1]["amount"]["amount"], "20.32");
    assert_eq!(inv["lines"][1]["quantity"], 3);
    assert_eq!(inv["subtotal"], json!({"amount": "70.32", "currency": "USD"}));
    assert_eq!(inv["total"], json!({"amount": "70.32", "currency": "USD"}));
    assert_eq!(inv["status"], "PAID", "R31: card charged at issue");
    assert!(inv["paidAt"].is_string());
    assert_eq!(inv["paymentMethod"], "VISA ending 4242");
    let pdf_url = inv["pdfUrl"].as_str().unwrap_or_default();
    let absolute = format!("{}/invoices/{id}.pdf?expires=", app.state.config.public_base_url);
    assert!(pdf_url.starts_with(&absolute), "signed link, absolute (issue 24): {pdf_url}");
    // R3: an unknown ID and a non-ID are NOT_FOUND.
    let q = "query($i: ID!) { invoice(id: $i) { id } }";
    assert_eq!(app.err(Some(&shop.org.admin), q, json!({"i": Uuid::new_v4().to_string()})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&shop.org.admin), q, json!({"i": "nope"})).await, "NOT_FOUND");
    assert_eq!(app.err(None, q, json!({"i": id})).await, "UNAUTHENTICATED");
}

/// Ten monthly invoices (issued 2026-04-01 … 2027-01-01, numbers 1…10) on one profile.
async fn ten_months(app: &TestApp) -> Shop {
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    let mut day = date(2026, 4, 1);
    while day <= date(2027, 1, 1) {
        app.bill(day).await;
        day = day.checked_add_months(chrono::Months::new(1)).expect("month");
    }
    shop
}

/// R32: PAST_3_MONTHS (the default), PAST_6_MONTHS and date ranges by issue
/// date, newest first; from ≤ to; at most 24 months.
#[tokio::test]
async fn r32_invoice_list_periods_and_ranges() {
    let app = TestApp::spawn().await;
    let shop = ten_months(&app).await;
    let admin = &shop.org.admin;
    app.clock.set_date(date(2027, 1, 15));
    let seq = |page: &Value| -> Vec<i64> {
        page["edges"].as_array().expect("edges").iter().map(|e| e["node"]["sequence"].as_i64().unwrap_or(-1)).collect()
    };
    // Past 3 months = issued 2026-10-15 … 2027-01-15: Nov 1, Dec 1, Jan 1.
    let default = app.invoice_page(admin, json!(null), None, None).await;
    assert_eq!(seq(&default), vec![10, 9, 8]);
    assert_eq!(default["totalCount"], 3);
    let past3 = app.invoice_page(admin, json!({"period": "PAST_3_MONTHS"}), None, None).await;
    assert_eq!(seq(&past3), vec![10, 9, 8]);
    // Past 6 months = issued from 2026-07-15: Aug 1 … Jan 1.
    let past6 = app.invoice_page(admin, json!({"period": "PAST_6_MONTHS"}), None, None).await;
    assert_eq!(seq(&past6), vec![10, 9, 8, 7, 6, 5]);
    // A range, inclusive at both ends.
    let range = app
        .invoice_page(admin, json!({"period": "CUSTOM", "from": "2026-04-01", "to": "2026-06-01"}), None, None)
        .await;
    assert_eq!(seq(&range), vec![3, 2, 1]);
    let dates: Vec<&str> = range["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["issueDate"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(dates, vec!["2026-06-01", "2026-05-01", "2026-04-01"]);
    // Exactly 24 months is allowed.
    let wide = app.invoice_page(admin, json!({"from": "2025-06-01", "to": "2027-06-01"}), None, None).await;
    assert_eq!(wide["totalCount"], 10);

    let q = "query($f: InvoiceFilter) { invoices(filter: $f) { totalCount } }";
    for (filter, field) in [
        (json!({"from": "2026-06-01", "to": "2026-04-01"}), "filter.from"),
        (json!({"from": "2025-06-01", "to": "2027-06-02"}), "filter.to"),
        (json!({"period": "CUSTOM"}), "filter.from"),
        (json!({"from": "2026-06-01"}), "filter.to"),
    ] {
        let response = app.gql(Some(admin), q, json!({"f": filter})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{filter}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field, "{filter}: {response}");
    }
}

/// R32, SPEC §10: pages of `first` with an `after` cursor, newest first, with totalCount.
#[tokio::test]
async fn r32_invoice_list_pages_newest_first() {
    let app = TestApp::spawn().await;
    let shop = ten_months(&app).await;
    let filter = json!({"from": "2026-01-01", "to": "2027-12-31"});
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app.invoice_page(&shop.org.admin, filter.clone(), Some(4), after.as_deref()).await;
        assert_eq!(page["totalCount"], 10);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0);
        seen.extend(numbers(
            &page["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect::<Vec<_>>(),
        ));
        pages += 1;
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, vec![10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    let q = "query { invoices(first: 101) { totalCount } }";
    assert_eq!(app.err(Some(&shop.org.admin), q, json!({})).await, "VALIDATION_FAILED");
}

/// R2, R3, R32: the list shows the invoices of profiles the caller can view,
/// optionally one profile; a profile the caller cannot see is NOT_FOUND.
#[tokio::test]
async fn r2_invoice_list_is_limited_to_visible_profiles() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    let second = app.billing_profile(admin, "US", Some(CARD_OK)).await;
    app.buy(admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.buy(admin, &shop.per_license, "MONTHLY", Some(2), &second).await;
    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    app.grant_role(admin, &second, &reader.id, "READER").await;
    let plain = app.user(&shop.org, "Uma User", &[]).await;
    let license_admin = app.user(&shop.org, "Lars License", &["LICENSE_ADMIN"]).await;
    let other = app.register_org("Northwind", "US").await;
    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 2));

    let all = app.invoice_page(admin, json!({}), None, None).await;
    assert_eq!(all["totalCount"], 2, "GLOBAL_ADMIN sees every org profile's invoices");
    let only = app.invoice_page(admin, json!({"billingProfileId": second}), None, None).await;
    assert_eq!(only["totalCount"], 1);
    assert_eq!(only["edges"][0]["node"]["billingProfile"]["id"], second.as_str());
    assert_eq!(only["edges"][0]["node"]["total"]["amount"], "20.00");

    let mine = app.invoice_page(&reader.token, json!({}), None, None).await;
    assert_eq!(mine["totalCount"], 1, "READER sees the one profile they hold a role on");
    assert_eq!(mine["edges"][0]["node"]["billingProfile"]["id"], second.as_str());
    for token in [&plain.token, &license_admin.token, &other.admin] {
        let none = app.invoice_page(token, json!({}), None, None).await;
        assert_eq!(none["totalCount"], 0);
    }
    let q = "query($p: ID!) { invoices(filter: {billingProfileId: $p}) { totalCount } }";
    assert_eq!(app.err(Some(&reader.token), q, json!({"p": shop.profile})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&other.admin), q, json!({"p": second})).await, "NOT_FOUND");
}

/// A profile paying by a card that is first declined, then replaced by a good
/// one, and a check/wire profile, each with an unpaid invoice; people in every
/// row of the R2 matrix.
struct PayFixture {
    app: TestApp,
    shop: Shop,
    card_invoice: String,
    wire_invoice: String,
    /// (label, token, may view, may pay)
    people: Vec<(&'static str, String, bool, bool)>,
}

async fn pay_fixture() -> PayFixture {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = shop.org.admin.clone();
    let card = app.billing_profile(&admin, "US", Some(CARD_DECLINED)).await;
    let wire = app.check_or_wire_profile(&admin, "US").await;
    app.buy(&admin, &shop.per_license, "MONTHLY", Some(3), &card).await;
    app.buy(&admin, &shop.per_license, "MONTHLY", Some(2), &wire).await;
    let mut people = Vec::new();
    for (role, label, pays) in [
        ("OWNER", "OWNER", true),
        ("CONTRIBUTOR", "CONTRIBUTOR", true),
        ("READER", "READER", false),
        ("INVOICE_MANAGER", "INVOICE_MANAGER", true),
    ] {
        let person = app.user(&shop.org, &format!("{label} Person"), &[]).await;
        app.grant_role(&admin, &card, &person.id, role).await;
        app.grant_role(&admin, &wire, &person.id, role).await;
        people.push((label, person.token, true, pays));
    }
    let billing_admin = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    people.push(("BILLING_ADMIN", billing_admin.token, true, true));
    people.push(("GLOBAL_ADMIN", admin.clone(), true, true));
    let license_admin = app.user(&shop.org, "Lic Admin", &["LICENSE_ADMIN"]).await;
    people.push(("LICENSE_ADMIN", license_admin.token, false, false));
    let user = app.user(&shop.org, "Plain User", &[]).await;
    people.push(("USER", user.token, false, false));
    let other = app.register_org("Northwind", "US").await;
    people.push(("other org GLOBAL_ADMIN", other.admin, false, false));
    let publisher = shop.publisher.token.clone();
    people.push(("publisher", publisher, false, false));

    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 2));
    let invoices = app.all_invoices(&admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    let find = |profile: &str| -> String {
        invoices
            .iter()
            .find(|i| i["billingProfile"]["id"] == profile)
            .and_then(|i| i["id"].as_str())
            .expect("invoice")
            .to_owned()
    };
    let (card_invoice, wire_invoice) = (find(&card), find(&wire));
    PayFixture { app, shop, card_invoice, wire_invoice, people }
}

async fn reset_unpaid(app: &TestApp, id: &str) {
    let id = Uuid::parse_str(id).expect("uuid");
    let row = invoice::Entity::find_by_id(id).one(&app.db).await.expect("query").expect("invoice");
    let mut model: invoice::ActiveModel = row.into();
    model.status = Set(InvoiceStatus::Open);
    model.paid_at = Set(None);
    model.paid_by = Set(None);
    model.update(&app.db).await.expect("reset");
}

/// R2 (row "Pay its invoices"), R3, R34, R36: payInvoice with a card. The
/// declined card first: PAYMENT_DECLINED and nothing changes. Then, with a
/// good card, each row of the matrix: OWNER, CONTRIBUTOR, INVOICE_MANAGER and
/// the R1 admins pay; READER sees but may not (FORBIDDEN); LICENSE_ADMIN,
/// USER, another organization and a publisher cannot see it (NOT_FOUND).
#[tokio::test]
async fn r2_pay_invoice_matrix_and_decline() {
    let f = pay_fixture().await;
    let (app, admin) = (&f.app, &f.shop.org.admin);
    let inv = app.invoice(admin, &f.card_invoice).await;
    assert_eq!(
        (inv["status"].as_str(), inv["total"]["amount"].as_str()),
        (Some("OPEN"), Some("30.00")),
        "declined at issue"
    );
    let events = app.count("audit_events").await;
    assert_eq!(app.err(Some(admin), PAY, json!({"i": f.card_invoice})).await, "PAYMENT_DECLINED");
    let after = app.invoice(admin, &f.card_invoice).await;
    assert_eq!(after, inv, "a decline changes nothing");
    assert_eq!(app.count("audit_events").await, events);

    let profile = inv["billingProfile"]["id"].as_str().expect("profile").to_owned();
    app.ok(
        admin,
        "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": profile, "i": card(CARD_OK, "US")}),
    )
    .await;
    for (label, token, view, pays) in &f.people {
        let seen = app.gql(Some(token), INVOICE_STATUS, json!({"i": f.card_invoice})).await;
        let response = app.gql(Some(token), PAY, json!({"i": f.card_invoice})).await;
        if *view {
            assert_eq!(seen["data"]["invoice"]["status"], "OPEN", "{label} views: {seen}");
        } else {
            assert_eq!(seen["errors"][0]["extensions"]["code"], "NOT_FOUND", "{label} cannot view: {seen}");
        }
        match (view, pays) {
            (_, true) => {
                assert!(response.get("errors").is_none(), "{label} pays: {response}");
                assert_eq!(response["data"]["payInvoice"]["status"], "PAID", "{label}");
                assert_eq!(response["data"]["payInvoice"]["paymentMethod"], "VISA ending 4242", "{label}");
                assert!(response["data"]["payInvoice"]["paidAt"].is_string());
                reset_unpaid(app, &f.card_invoice).await;
            }
            (true, false) => {
                assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN", "{label}: {response}")
            }
            (false, _) => assert_eq!(response["errors"][0]["extensions"]["code"], "NOT_FOUND", "{label}: {response}"),
        }
    }
    // R36: each payment is audited with its payer.
    let paid_events = entity::audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.action == "invoice.pay")
        .count();
    assert_eq!(paid_events, f.people.iter().filter(|p| p.3).count());

    // Bad input: paying a paid invoice; paying a check/wire invoice by card; an unknown ID.
    app.ok(admin, PAY, json!({"i": f.card_invoice})).await;
    assert_eq!(app.err(Some(admin), PAY, json!({"i": f.card_invoice})).await, "INVALID_STATE");
    let response = app.gql(Some(admin), PAY, json!({"i": f.wire_invoice})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "invoiceId");
    assert_eq!(app.invoice(admin, &f.wire_invoice).await["status"], "OPEN");
    assert_eq!(app.err(Some(admin), PAY, json!({"i": Uuid::new_v4().to_string()})).await, "NOT_FOUND");
    assert_eq!(app.err(None, PAY, json!({"i": f.card_invoice})).await, "UNAUTHENTICATED");
}

/// R2, R29, R36: markInvoicePaid for a check/wire profile under the same
/// matrix; a card profile's invoice is VALIDATION_FAILED, a paid one INVALID_STATE.
#[tokio::test]
async fn r29_mark_invoice_paid_matrix_and_bad_input() {
    let f = pay_fixture().await;
    let (app, admin) = (&f.app, &f.shop.org.admin);
    for (label, token, view, pays) in &f.people {
        let response = app.gql(Some(token), MARK_PAID, json!({"i": f.wire_invoice})).await;
        match (view, pays) {
            (_, true) => {
                assert!(response.get("errors").is_none(), "{label} marks paid: {response}");
                assert_eq!(response["data"]["markInvoicePaid"]["status"], "PAID", "{label}");
                assert_eq!(response["data"]["markInvoicePaid"]["paymentMethod"], "Check or wire transfer");
                reset_unpaid(app, &f.wire_invoice).await;
            }
            (true, false) => {
                assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN", "{label}: {response}")
            }
            (false, _) => assert_eq!(response["errors"][0]["extensions"]["code"], "NOT_FOUND", "{label}: {response}"),
        }
    }
    let marked = entity::audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.action == "invoice.mark_paid")
        .count();
    assert_eq!(marked, f.people.iter().filter(|p| p.3).count());

    let response = app.gql(Some(admin), MARK_PAID, json!({"i": f.card_invoice})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "card invoices are paid by card: {response}"
    );
    assert_eq!(app.invoice(admin, &f.card_invoice).await["status"], "OPEN");
    app.ok(admin, MARK_PAID, json!({"i": f.wire_invoice})).await;
    assert_eq!(app.err(Some(admin), MARK_PAID, json!({"i": f.wire_invoice})).await, "INVALID_STATE");
}

fn pdf_request(id: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(format!("/invoices/{id}.pdf"));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::empty()).expect("request")
}

/// R32, issue 4 item 6: the PDF is served to whoever may view the invoice,
/// with the organization, bill-to address, PO number, number, dates, lines,
/// total and payment method (brand and last four only); 401 without a valid
/// token, 404 for anyone else (R3).
#[tokio::test]
async fn r32_invoice_pdf_has_number_and_total_and_is_authorized() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    app.ok(
        admin,
        "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id } }",
        json!({"id": shop.profile, "i": {"poNumber": "PO-7781"}}),
    )
    .await;
    app.buy(admin, &shop.per_license, "MONTHLY", Some(4), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    let id =
        app.invoice_page(admin, json!({}), None, None).await["edges"][0]["node"]["id"].as_str().expect("id").to_owned();

    let response = app.router.clone().oneshot_pdf(pdf_request(&id, Some(admin))).await;
    assert_eq!(response.0, 200);
    assert_eq!(response.1.as_deref(), Some("application/pdf"));
    let bytes = response.2;
    let text = PdfText::read(&bytes);
    for expected in [
        "LD-000001",
        "40.00",
        "USD 40.00",
        "March 2026",
        "Contoso",
        "PO-7781",
        "1 Main Street",
        "Seat App",
        "Billing period",
        "1 Apr 2026",
        "1 May 2026",
        "VISA ending 4242",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from the PDF text: {}", text.text);
    }
    let raw = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(CARD_OK) && !raw.contains(CARD_OK), "R29: never the card number");

    let reader = app.user(&shop.org, "Rita Reader", &[]).await;
    app.grant_role(admin, &shop.profile, &reader.id, "READER").await;
    assert_eq!(
        app.router.clone().oneshot_pdf(pdf_request(&id, Some(&reader.token))).await.0,
        200,
        "R2: READER views invoices"
    );

    assert_eq!(app.http(pdf_request(&id, None)).await.0, 401);
    assert_eq!(app.http(pdf_request(&id, Some("not-a-token"))).await.0, 401);
    let other = app.register_org("Northwind", "US").await;
    let plain = app.user(&shop.org, "Uma User", &[]).await;
    assert_eq!(app.http(pdf_request(&id, Some(&other.admin))).await.0, 404, "R3: another organization");
    assert_eq!(app.http(pdf_request(&id, Some(&plain.token))).await.0, 404, "R3: no role on the profile");
    assert_eq!(app.http(pdf_request(&Uuid::new_v4().to_string(), Some(admin))).await.0, 404);
    assert_eq!(app.http(pdf_request("not-an-id", Some(admin))).await.0, 404);
    let no_suffix = Request::get(format!("/invoices/{id}"))
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.http(no_suffix).await.0, 404);
}

/// The status, content type and body of a response.
trait OneshotPdf {
    async fn oneshot_pdf(self, request: Request<Body>) -> (u16, Option<String>, Vec<u8>);
}

impl OneshotPdf for axum::Router {
    async fn oneshot_pdf(self, request: Request<Body>) -> (u16, Option<String>, Vec<u8>) {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let response = self.oneshot(request).await.expect("router");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, content_type, body)
    }
}

/// R25, R26, R38: a self-service purchaser sees and pays the invoices of their
/// own profile; admins and other users do not see them at all (NOT_FOUND, PDF 404).
#[tokio::test]
async fn r26_self_service_purchaser_pays_own_invoices_admins_only_view() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let buyer = app.user(&shop.org, "Sam Self", &[]).await;
    let colleague = app.user(&shop.org, "Cody Colleague", &[]).await;
    let own = app.personal_profile(&buyer.token, "US", CARD_DECLINED).await;
    let input = json!({"productId": shop.per_license, "term": "MONTHLY", "quantity": 2, "billingProfileId": own, "channel": "SELF_SERVICE"});
    app.ok(&buyer.token, TestApp::PURCHASE, json!({"i": input})).await;
    app.bill(date(2026, 4, 1)).await;
    let mine = app.invoice_page(&buyer.token, json!({}), None, None).await;
    assert_eq!(mine["totalCount"], 1);
    let id = mine["edges"][0]["node"]["id"].as_str().expect("id").to_owned();
    assert_eq!(mine["edges"][0]["node"]["status"], "OPEN", "declined at issue");
    assert_eq!(mine["edges"][0]["node"]["total"]["amount"], "20.00");

    let get = format!("query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}");
    assert_eq!(app.err(Some(&shop.org.admin), &get, json!({"id": id})).await, "NOT_FOUND", "R38: not the admins'");
    assert_eq!(app.err(Some(&shop.org.admin), PAY, json!({"i": id})).await, "NOT_FOUND", "R38");
    let listed = app.invoice_page(&shop.org.admin, json!({}), None, None).await;
    assert!(!listed.to_string().contains(&id), "R38: not in the admin's list: {listed}");
    let pdf = app.router.clone().oneshot_pdf(pdf_request(&id, Some(&shop.org.admin))).await;
    assert_eq!(pdf.0, 404, "R38: nor its PDF");
    assert_eq!(app.err(Some(&colleague.token), PAY, json!({"i": id})).await, "NOT_FOUND");
    assert_eq!(app.invoice_page(&colleague.token, json!({}), None, None).await["totalCount"], 0);

    assert_eq!(app.err(Some(&buyer.token), PAY, json!({"i": id})).await, "PAYMENT_DECLINED");
    app.ok(
        &buyer.token,
        "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id } }",
        json!({"p": own, "i": card(CARD_OK, "US")}),
    )
    .await;
    let paid = app.ok(&buyer.token, PAY, json!({"i": id})).await;
    assert_eq!(paid["payInvoice"]["status"], "PAID");
}

/// Issue 26 item 2: an invoice a reader can add up. The API gives subtotal,
/// credit applied per source invoice, tax and total, and subtotal + credits +
/// tax = total; the PDF prints the same rows in that order (the credit is not
/// a line of the table), and a CREDITED invoice says what went to the balance.
#[tokio::test]
async fn issue_26_subtotal_credit_applied_tax_total_in_api_and_pdf() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = shop.org.admin.clone();
    app.clock.set_date(date(2026, 3, 10));
    let annual = app.buy(&admin, &shop.per_license, "ANNUAL", Some(1), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 9));
    app.ok(
        &admin,
        "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE) { status } }",
        json!({"s": annual}),
    )
    .await;
    app.bill(date(2026, 5, 1)).await;
    app.clock.set_date(date(2026, 5, 10));
    app.buy(&admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.bill(date(2026, 6, 1)).await;
    let query = "query($f: InvoiceFilter) { invoices(filter: $f, first: 10) { edges { node { id number status
        subtotal { amount } creditsApplied { fromInvoice amount { amount } } tax { amount } total { amount }
        creditCarried { amount } } } } }";
    let data = app.ok(&admin, query, json!({"f": {"from": "2026-01-01", "to": "2026-12-31"}})).await;
    let invoices: Vec<Value> =
        data["invoices"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect();
    let by_number = |n: &str| invoices.iter().find(|i| i["number"] == n).cloned().expect("invoice");
    let cents = |v: &Value| -> i64 {
        let s = v.as_str().expect("amount");
        let negative = s.starts_with('-');
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let n: i64 = digits.parse().expect("digits");
        if negative { -n } else { n }
    };
    for invoice in &invoices {
        let credits: i64 =
            invoice["creditsApplied"].as_array().expect("credits").iter().map(|c| cents(&c["amount"]["amount"])).sum();
        assert_eq!(
            cents(&invoice["subtotal"]["amount"]) + credits + cents(&invoice["tax"]["amount"]),
            cents(&invoice["total"]["amount"]),
            "subtotal + credit applied + tax = total: {invoice}"
        );
    }
    let june = by_number("LD-000003");
    assert_eq!(june["subtotal"]["amount"], "50.00");
    assert_eq!(june["creditsApplied"], json!([{"fromInvoice": "LD-000002", "amount": {"amount": "-50.00"}}]));
    assert_eq!((june["total"]["amount"].as_str(), june["status"].as_str()), (Some("0.00"), Some("PAID")));
    let credited = by_number("LD-000002");
    assert_eq!(
        (credited["status"].as_str(), credited["creditCarried"]["amount"].as_str()),
        (Some("CREDITED"), Some("91.78"))
    );

    let pdf_text = |id: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let (status, _, bytes) = app.router.clone().oneshot_pdf(pdf_request(&id, Some(&admin))).await;
            assert_eq!(status, 200);
            let doc = lopdf::Document::load_mem(&bytes).expect("a readable PDF");
            let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
            doc.extract_text(&pages).expect("text")
        }
    };
    let text = pdf_text(june["id"].as_str().expect("id").to_owned()).await;
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle:?} on the PDF: {text}"));
    assert!(at("Subtotal") < at("Credit applied from LD-000002"), "{text}");
    assert!(at("Credit applied from LD-000002") < at("Tax 0%"), "{text}");
    assert!(at("Tax 0%") < at("Total"), "{text}");
    assert!(!text.contains("Credit balance from invoice"), "the credit is not a line of the table: {text}");
    let text = pdf_text(credited["id"].as_str().expect("id").to_owned()).await;
    let added = text.find("Added to credit balance").unwrap_or_else(|| panic!("{text}"));
    assert!(text[added..].contains("91.78"), "{text}");
}

/// Issue 23 with R2, R32, R38: an invoice list's `totalCount`, read from the
/// counts kept per organization and issue date plus the caller's own
/// self-service invoices, is the number of invoices each caller can list —
/// over a range, a narrower range, by status — for a billing manager with
/// and without their own self-service purchase, a license admin (counted
/// from the rows), another buyer and another organization; and the counts
/// rebuilt from the invoices are the ones kept at issue.
#[tokio::test]
async fn r32_invoice_totals_count_what_each_caller_lists() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let monthly = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &monthly).await;
    let euro = app.billing_profile(&shop.org.admin, "DE", Some(CARD_OK)).await;
    let in_euro = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &euro).await;
    app.activate(&shop.publisher, &in_euro).await;
    let buyer = app.user(&shop.org, "Pat Buyer", &[]).await;
    for token in [&shop.org.admin, &buyer.token] {
        let bought = app.buy_self_service(token, &shop.per_license, 2).await;
        app.activate(&shop.publisher, &bought).await;
    }
    let other = app.register_org("Northwind", "US").await;
    app.accept_agreement(&other.admin).await;
    let other_profile = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
    let other_sub = app.buy(&other.admin, &shop.per_license, "MONTHLY", Some(1), &other_profile).await;
    app.activate(&shop.publisher, &other_sub).await;
    for month in [4, 5, 6] {
        app.bill(date(2026, month, 1)).await;
    }
    let billing_admin = app.user(&shop.org, "Billing Admin", &["BILLING_ADMIN"]).await;
    let license_admin = app.user(&shop.org, "License Admin", &["LICENSE_ADMIN"]).await;
    app.grant_role(&shop.org.admin, &euro, &license_admin.id, "READER").await;

    let callers = [
        ("GLOBAL_ADMIN with a purchase of their own", shop.org.admin.as_str()),
        ("BILLING_ADMIN", billing_admin.token.as_str()),
        ("LICENSE_ADMIN with a role on one profile", license_admin.token.as_str()),
        ("a self-service buyer", buyer.token.as_str()),
        ("another organization's admin", other.admin.as_str()),
    ];
    let seen = listed_totals(&app, &callers).await;
    let count = |who: &str| seen.iter().find(|(w, _)| *w == who).map(|(_, n)| *n).expect("asked");
    // Three months of the two org profiles plus the admin's own purchase.
    assert_eq!(count("GLOBAL_ADMIN with a purchase of their own"), 9, "R2, R38: {seen:?}");
    assert_eq!(count("BILLING_ADMIN"), 6, "R38: no one else's self-service invoices");
    assert_eq!(count("LICENSE_ADMIN with a role on one profile"), 3, "R2: the euro profile's");
    assert_eq!(count("a self-service buyer"), 3, "R38: their own");
    assert_eq!(count("another organization's admin"), 3);

    // The counts rebuilt from the invoices are the ones kept at issue.
    migration::backfill_invoice_counts(&app.db).await.expect("backfill");
    assert_eq!(listed_totals(&app, &callers).await, seen);
}

/// Each caller's `totalCount` of three invoice lists (a year, one month, the
/// year's paid ones), each checked equal to the rows they list, returned
/// with the caller's name in that order.
async fn listed_totals<'a>(app: &TestApp, callers: &[(&'a str, &str)]) -> Vec<(&'a str, usize)> {
    let mut seen = Vec::new();
    for (who, token) in callers {
        for filter in [
            json!({"from": "2026-01-01", "to": "2026-12-31"}),
            json!({"from": "2026-05-01", "to": "2026-05-31"}),
            json!({"from": "2026-01-01", "to": "2026-12-31", "status": "PAID"}),
        ] {
            let page = app.invoice_page(token, filter.clone(), Some(100), None).await;
            let listed = page["edges"].as_array().expect("edges").len();
            assert_eq!(page["totalCount"], listed, "{who}, {filter}: the total is what they can list");
            seen.push((*who, listed));
        }
    }
    seen
}
