//! The billing run, continued: reruns after a kill, catch-up, terms that cannot renew, credit at issue, grace, leases across instances, the scheduler and its events (R15, R17, R33, R36, R44).

use super::*;

/// R33: a run killed between issuing an invoice and charging its card is
/// finished by the rerun: the card is charged once, no invoice is duplicated.
#[tokio::test]
async fn r33_rerun_after_a_kill_finishes_without_duplicates() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let report = app.bill(date(2026, 4, 1)).await;
    assert_eq!((report.renewals, report.invoices_issued, report.cards_approved), (1, 1, 1));
    // Put the database back into the state a kill after step b leaves: the
    // invoice issued, the card not yet tried, the date not recorded.
    let issued = invoice::Entity::find().one(&app.db).await.expect("query").expect("invoice");
    let mut model: invoice::ActiveModel = issued.clone().into();
    model.status = Set(InvoiceStatus::Open);
    model.paid_at = Set(None);
    model.last_charge_attempt = Set(None);
    model.update(&app.db).await.expect("reset");
    entity::card_charge_claim::Entity::delete_many().exec(&app.db).await.expect("delete claim");
    entity::billing_run::Entity::delete_many().exec(&app.db).await.expect("delete run");
    let (invoices, lines, charges) =
        (app.count("invoices").await, app.count("invoice_lines").await, app.count("charges").await);

    let rerun = app.bill(date(2026, 4, 1)).await;
    assert_eq!((rerun.renewals, rerun.invoices_issued, rerun.cards_approved), (0, 0, 1), "{rerun}");
    assert_eq!(app.count("invoices").await, invoices);
    assert_eq!(app.count("invoice_lines").await, lines);
    assert_eq!(app.count("charges").await, charges);
    let after = invoice::Entity::find_by_id(issued.id).one(&app.db).await.expect("query").expect("invoice");
    assert_eq!(after.status, InvoiceStatus::Paid);
    assert_eq!(after.number, 1);
    // A third run charges nothing: the attempt is recorded (R33: never twice).
    let third = app.bill(date(2026, 4, 1)).await;
    assert_eq!((third.renewals, third.invoices_issued, third.cards_approved, third.cards_declined), (0, 0, 0, 0));
}

/// R33 (issue 12): a run killed after claiming a card charge but before
/// recording the outcome leaves the claim unsettled; the rerun charges it
/// (same idempotency key), before marking anything overdue, so the customer is
/// neither left unpaid nor disabled because of our crash.
#[tokio::test]
async fn r33_a_claimed_but_unsettled_card_charge_is_charged_on_rerun() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let report = app.bill(date(2026, 4, 1)).await;
    assert_eq!(report.cards_approved, 1, "{report}");
    // The state a kill between the claim and the settlement leaves behind.
    let issued = invoice::Entity::find().one(&app.db).await.expect("query").expect("invoice");
    let mut model: invoice::ActiveModel = issued.clone().into();
    model.status = Set(InvoiceStatus::Open);
    model.paid_at = Set(None);
    model.update(&app.db).await.expect("reset");
    let claim = entity::card_charge_claim::Entity::find_by_id(issued.id).one(&app.db).await.expect("q").expect("claim");
    assert_eq!(claim.idempotency_key, issued.id.to_string());
    let mut claim: entity::card_charge_claim::ActiveModel = claim.into();
    claim.settled_at = Set(None);
    claim.outcome = Set(None);
    claim.update(&app.db).await.expect("unsettle");
    entity::billing_run::Entity::delete_many().exec(&app.db).await.expect("delete run");

    // Rerun long after the due date: recovery comes before overdue and disabling.
    let rerun = app.bill(date(2026, 6, 1)).await;
    // The recovered April invoice plus May's and June's new ones; none overdue.
    assert_eq!((rerun.cards_approved, rerun.marked_overdue, rerun.disabled_for_payment), (3, 0, 0), "{rerun}");
    let after = invoice::Entity::find_by_id(issued.id).one(&app.db).await.expect("query").expect("invoice");
    assert_eq!(after.status, InvoiceStatus::Paid, "charged on rerun, not overdue");
    let sub_now = entity::subscription::Entity::find().one(&app.db).await.expect("q").expect("sub");
    assert_ne!(sub_now.disabled_reason, Some(entity::enums::DisabledReason::PaymentNotCurrent));
    let claim = entity::card_charge_claim::Entity::find_by_id(issued.id).one(&app.db).await.expect("q").expect("claim");
    assert_eq!(claim.outcome.as_deref(), Some("approved"));
    // Settled once: a further run does not charge it again.
    let third = app.bill(date(2026, 6, 1)).await;
    assert_eq!(third.cards_approved, 0, "{third}");
}

/// R33: a skipped stretch is caught up by one run — every ended term is renewed
/// with its charge dated the term start, every ended month invoiced with its
/// own issue date (R31), the current month left for later.
#[tokio::test]
async fn r33_one_late_run_catches_up_skipped_days() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.clock.set_date(date(2026, 3, 10));
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    let report = app.bill(date(2026, 6, 15)).await;
    // Terms end 04-10, 05-10, 06-10 → three renewals; March, April and May invoiced.
    assert_eq!((report.renewals, report.invoices_issued), (3, 3), "{report}");
    let invoices = app.all_invoices(&shop.org.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    let got: Vec<(&str, &str, &str, &str)> = invoices
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap_or(""),
                i["issueDate"].as_str().unwrap_or(""),
                i["periodStart"].as_str().unwrap_or(""),
                i["total"]["amount"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // Issue 26 item 1: issued (and due 30 days after) the day the late run issued them.
            ("LD-000003", "2026-06-15", "2026-05-01", "20.00"),
            ("LD-000002", "2026-06-15", "2026-04-01", "20.00"),
            ("LD-000001", "2026-06-15", "2026-03-01", "20.00"),
        ]
    );
    let sub = subscription(&app, &shop.org.admin, &sub).await;
    assert_eq!(sub["termEndDate"], "2026-07-10");
    // The June renewal is charged but not invoiced before July.
    let uninvoiced = entity::charge::Entity::find()
        .filter(entity::charge::Column::InvoiceId.is_null())
        .all(&app.db)
        .await
        .expect("charges");
    assert_eq!(
        uninvoiced.iter().map(|c| (c.charge_date, c.amount_minor)).collect::<Vec<_>>(),
        vec![(date(2026, 6, 10), 2000)]
    );
}

/// R17, issue 11: when the product no longer has a price for the term and
/// currency, the subscription cannot renew and ends at term end, without a
/// charge, as NOT_RENEWABLE (auto-renew was on).
#[tokio::test]
async fn r17_renewal_without_a_price_in_force_ends_not_renewable() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.ok(
        &shop.publisher.token,
        "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }",
        json!({"id": shop.per_license, "i": {"prices": [{"term": "ANNUAL", "currency": "USD", "amount": "100.00"}]}}),
    )
    .await;
    let report = app.bill(date(2026, 3, 31)).await;
    assert_eq!((report.renewals, report.expired), (0, 0), "the term runs to 04-01");
    let report = app.bill(date(2026, 4, 1)).await;
    assert_eq!((report.renewals, report.expired), (0, 1));
    let sub = subscription(&app, &shop.org.admin, &sub).await;
    assert_eq!((sub["status"].as_str(), sub["disabledReason"].as_str()), (Some("DISABLED"), Some("NOT_RENEWABLE")));
    assert_eq!(app.count("charges").await, 1, "only the first term was charged");
}

/// R30, R31, R44: a month with only a credit gives an invoice whose total is
/// negative; it is CREDITED at issue (the credit goes to the profile's
/// balance) and the card is not charged.
#[tokio::test]
async fn r44_credit_only_invoice_is_credited_at_issue() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.clock.set_date(date(2026, 3, 10));
    let sub = app.buy(&shop.org.admin, &shop.per_license, "ANNUAL", Some(1), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 9));
    app.ok(&shop.org.admin, CANCEL, json!({"s": sub})).await;
    let report = app.bill(date(2026, 5, 1)).await;
    assert_eq!((report.invoices_issued, report.cards_approved, report.cards_declined), (1, 0, 0));
    let invoices = app.all_invoices(&shop.org.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    // March: annual term 2026-03-10..2027-03-10 at 100.00.
    // April: canceled 04-09, 335 of 365 days unused: 100.00 × 335 / 365 = 91.780… → 91.78 credit.
    let got: Vec<(&str, &str, &str)> = invoices
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap_or(""),
                i["total"]["amount"].as_str().unwrap_or(""),
                i["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, vec![("LD-000002", "-91.78", "CREDITED"), ("LD-000001", "100.00", "PAID")]);
}

/// R15: the grace period comes from the configuration (default 30 days);
/// with 0 days a subscription is disabled the day after its invoice's due date.
#[tokio::test]
async fn r15_grace_period_is_configurable() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let declined = app.billing_profile(&shop.org.admin, "US", Some(CARD_DECLINED)).await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &declined).await;
    app.activate(&shop.publisher, &sub).await;
    let mut state = app.state.clone();
    state.services.grace_period_days = 0;
    for day in [date(2026, 4, 1), date(2026, 5, 1)] {
        app.clock.set_date(day);
        let report = run::run_billing(&state, day).await.expect("run");
        assert_eq!(report.disabled_for_payment, 0, "{day}: not after the due date yet");
    }
    // The March invoice is due 05-01; on 05-02 it is overdue and, with no grace, disabling.
    app.clock.set_date(date(2026, 5, 2));
    let report = run::run_billing(&state, date(2026, 5, 2)).await.expect("run");
    assert_eq!((report.marked_overdue, report.disabled_for_payment), (1, 1), "{report}");
    let sub = subscription(&app, &shop.org.admin, &sub).await;
    assert_eq!(sub["disabledReason"], "PAYMENT_NOT_CURRENT");
}

/// R33: one runner at a time — while another instance holds an unexpired
/// lease the run does nothing; once the lease has expired it is taken over.
#[tokio::test]
async fn r33_a_lease_held_elsewhere_makes_the_run_do_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    job_lease::ActiveModel {
        name: Set(LEASE_NAME.to_owned()),
        holder: Set("other-instance".to_owned()),
        expires_at: Set(Utc::now() + chrono::Duration::minutes(10)),
    }
    .insert(&app.db)
    .await
    .expect("lease");
    let report = app.bill(date(2026, 4, 1)).await;
    assert!(report.lease_held_elsewhere);
    assert!(report.to_string().contains("another instance"), "{report}");
    assert_eq!(app.count("invoices").await, 0);
    assert_eq!(app.count("charges").await, 1, "no renewal");
    assert_eq!(app.count("billing_runs").await, 0);
    let lease = job_lease::Entity::find_by_id(LEASE_NAME.to_owned()).one(&app.db).await.expect("q").expect("lease");
    assert_eq!(lease.holder, "other-instance", "the lease was not stolen");

    // The other instance died: its lease expires and the next run takes over.
    let mut model: job_lease::ActiveModel = lease.into();
    model.expires_at = Set(Utc::now() - chrono::Duration::minutes(1));
    model.update(&app.db).await.expect("expire");
    let report = app.bill(date(2026, 4, 1)).await;
    assert!(!report.lease_held_elsewhere);
    assert_eq!((report.renewals, report.invoices_issued), (1, 1));
    assert_eq!(app.count("job_leases").await, 0, "released at the end");
    assert_eq!(app.count("billing_runs").await, 1);
}

/// R33: two runners started together on two instances sharing the database:
/// the invoices are issued once.
#[tokio::test]
async fn r33_concurrent_runs_on_two_instances_issue_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(4), &shop.profile).await;
    let other = TestApp::on_database(&app.database_url, date(2026, 4, 1)).await;
    app.clock.set_date(date(2026, 4, 1));
    let (a, b) =
        tokio::join!(run::run_billing(&app.state, date(2026, 4, 1)), run::run_billing(&other.state, date(2026, 4, 1)));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(a.invoices_issued + b.invoices_issued, 1, "{a} / {b}");
    assert_eq!(a.renewals + b.renewals, 1);
    assert_eq!(app.count("invoices").await, 1);
    assert_eq!(app.count("charges").await, 2);
}

/// R33: the in-server scheduler runs billing for today once; later checks the
/// same day do nothing.
#[tokio::test]
async fn r33_scheduler_runs_today_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.clock.set_date(date(2026, 4, 1));
    licensedesk::workers::scheduler::scheduled_tick(&app.state).await;
    assert!(run::has_run(&app.state, date(2026, 4, 1)).await.expect("has_run"));
    assert_eq!(app.count("invoices").await, 1);
    let events = app.count("audit_events").await;
    licensedesk::workers::scheduler::scheduled_tick(&app.state).await;
    assert_eq!(app.count("billing_runs").await, 1);
    assert_eq!(app.count("audit_events").await, events, "nothing happens the second time");
}

/// R36: the billing run's changes are audited as the system (no actor), never with card data.
#[tokio::test]
async fn r36_billing_run_events_have_no_actor_and_no_card_data() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    let events = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::ActorUserId.is_null())
        .all(&app.db)
        .await
        .expect("events");
    let actions: std::collections::BTreeSet<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for action in ["subscription.renew", "invoice.issue", "invoice.card_charged"] {
        assert!(actions.contains(action), "{action} in {actions:?}");
    }
    for e in &events {
        let text = format!("{:?}{:?}", e.before, e.after);
        assert!(!text.contains("4242424242424242") && !text.contains("\"123\""), "{text}");
    }
}

/// R31, R33: a charge written late for a month already invoiced (e.g. a
/// renewal retried after a failed run) is not lost: it goes on the profile's
/// next invoice.
#[tokio::test]
async fn r33_a_late_charge_for_an_invoiced_month_goes_on_the_next_invoice() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(1), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    // A 7.00 charge dated 2026-03-31, written after March was invoiced.
    let first = entity::charge::Entity::find().one(&app.db).await.expect("query").expect("charge");
    let mut late: entity::charge::ActiveModel = first.into();
    late.id = Set(uuid::Uuid::now_v7());
    late.charge_date = Set(date(2026, 3, 31));
    late.amount_minor = Set(700);
    late.dedupe_key = Set(None);
    late.invoice_id = Set(None);
    late.insert(&app.db).await.expect("late charge");
    let report = app.bill(date(2026, 4, 2)).await;
    assert_eq!(report.invoices_issued, 0, "April has not ended");
    app.bill(date(2026, 5, 1)).await;
    let invoices = app.all_invoices(&shop.org.admin, date(2026, 1, 1), date(2026, 12, 31)).await;
    // April: the late 7.00 + the 04-01 renewal 10.00 = 17.00.
    let got: Vec<(&str, &str, usize)> = invoices
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap_or(""),
                i["total"]["amount"].as_str().unwrap_or(""),
                i["lines"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(got, vec![("LD-000002", "17.00", 2), ("LD-000001", "10.00", 1)]);
    assert_eq!(
        entity::charge::Entity::find()
            .filter(entity::charge::Column::InvoiceId.is_null())
            .all(&app.db)
            .await
            .expect("q")
            .len(),
        1,
        "only May's renewal waits"
    );
}
