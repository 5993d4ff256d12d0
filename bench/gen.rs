//! Deterministic benchmark dataset (issue 14): fills a fresh SQLite or
//! PostgreSQL database through the product's own migrations.
//!
//! ```sh
//! cargo bench --bench gen -- --size M --url postgres://postgres@127.0.0.1:5432/ld_bench_m
//! ```
//!
//! Sizes: S = 1k users / 100 subscriptions / 2k assignments, M = 10k / 1k /
//! 20k, L = 100k / 10k / 200k, all in the benchmark organization, plus
//! publishers, products with prices and markets, billing profiles with cards
//! and owner roles, invoices with 10 lines each (and their charges) and three
//! small neighbour organizations, so every query has to filter by
//! organization. Names are in the five languages of the seeds; each
//! subscription's 20 holders are drawn at random from the users (issue 23).
//! Every ID is derived from (kind, index) and every draw from a fixed
//! sequence, so two runs produce identical rows.
//! Rows are written with multi-row inserts in one transaction per table.
//! It prints a JSON line with what the workloads need (admin e-mail and
//! password, a subscription with free seats, 20 unassigned users).
// The schema's root objects nest async-graphql futures deeper than rustc's
// default limit of 128 when the release profile lays them out.
#![recursion_limit = "256"]

use std::time::Instant;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use entity::{
    billing_profile, billing_role_assignment, charge, customer_agreement, enums::*, invoice, invoice_line,
    license_assignment, organization, payment_method, product, product_market, product_price, product_price_history,
    publisher, search, search_term, subscription, user, user_role,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@bench.example";
pub const PASSWORD: &str = "bench-password-0001";
const ASSIGNMENTS_PER_SUBSCRIPTION: usize = 20;
const PUBLISHERS: usize = 10;
const PRODUCTS: usize = 40;
const MONTHS_OF_INVOICES: usize = 12;
const LINES_PER_INVOICE: usize = 10;

/// Given names and family names in the five languages of the seeds and the
/// error catalogue (`crates/core/src/i18n`: English, Swedish, Danish, Dutch,
/// Traditional Chinese), so names sort, fold and search as real ones do:
/// accents ("Åsa", "Søren"), multi-word family names ("van der Berg") and
/// Chinese names written without spaces (family name first).
const NAMES: [(&[&str], &[&str]); 5] = [
    (
        &["James", "Mary", "Mark", "Emma", "Oliver", "Grace", "Thomas", "Martha", "Henry", "Alice"],
        &["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Martin", "Walker", "Wright", "Hughes"],
    ),
    (
        &["Åsa", "Björn", "Maja", "Mårten", "Karin", "Sven", "Tove", "Göran", "Ingrid", "Ulf"],
        &["Andersson", "Öberg", "Lindström", "Magnusson", "Holm", "Ek", "Sjögren", "Nilsson", "Åkesson", "Berg"],
    ),
    (
        &["Søren", "Mette", "Jørgen", "Mads", "Kirsten", "Ærling", "Lærke", "Niels", "Birthe", "Rasmus"],
        &["Jensen", "Madsen", "Nielsen", "Kjærgaard", "Sørensen", "Rasmussen", "Møller", "Pedersen", "Dahl", "Holm"],
    ),
    (
        &["Maarten", "Sanne", "Joost", "Marieke", "Pieter", "Anouk", "Ruud", "Femke", "Bram", "Lieke"],
        &["de Vries", "van Dijk", "Bakker", "van der Berg", "Janssen", "Visser", "Smit", "Mulder", "de Jong", "Meijer"],
    ),
    (
        &["志明", "淑芬", "家豪", "美玲", "冠宇", "怡君", "建宏", "雅婷", "俊傑", "佳穎"],
        &["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "馬"],
    ),
];

/// The name of generated person `u`: a language, then a given and a family
/// name from it (Chinese: family name first, no space).
fn person_name(u: usize) -> String {
    let (given, family) = NAMES[u % NAMES.len()];
    let k = u / NAMES.len();
    let (g, f) = (given[k % given.len()], family[(k / given.len() + k) % family.len()]);
    if u % NAMES.len() == 4 { format!("{f}{g}") } else { format!("{g} {f}") }
}

/// splitmix64: a small, well-mixed deterministic sequence, so the holders of
/// a subscription are spread over the users as real assignments are (not
/// runs of consecutive IDs that sit on the same index pages).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `count` distinct users of 1..users (never the admin, user 0) for
/// subscription `s`, spread at random, deterministic.
fn holders_of(s: usize, users: usize, count: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(count);
    let mut k = 0u64;
    while out.len() < count.min(users - 1) {
        let u = 1 + (mix(((s as u64) << 20) ^ k) % (users as u64 - 1)) as usize;
        k += 1;
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// Subscription `s`'s current term ends 1 to 30 days after `today`.
fn renewal_of(today: NaiveDate, s: usize) -> NaiveDate {
    today + Duration::days(1 + (s % 30) as i64)
}

/// When assignment `a` was last used, deterministic from its index: 55 %
/// in the last week, 20 % one to three months ago (dormant at 30 days, used
/// within 90), 25 % never.
fn last_use(now: DateTime<Utc>, a: usize) -> Option<DateTime<Utc>> {
    let k = mix((a as u64) ^ 0x05ee_d05a) % 100;
    match k {
        0..55 => Some(now - Duration::days((k % 7) as i64) - Duration::minutes(k as i64)),
        55..75 => Some(now - Duration::days(31 + (k % 55) as i64)),
        _ => None,
    }
}

/// A stable UUID for the `index`-th row of `kind`.
fn id(kind: u16, index: usize) -> Uuid {
    Uuid::from_u128((0x1d00_u128 << 112) | ((kind as u128) << 64) | index as u128)
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid base time") + Duration::seconds(seconds)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

struct Size {
    users: usize,
    subscriptions: usize,
    profiles: usize,
}

fn size(name: &str) -> Option<Size> {
    let n = match name.to_ascii_uppercase().as_str() {
        "S" => 1,
        "M" => 10,
        "L" => 100,
        _ => return None,
    };
    Some(Size { users: 1_000 * n, subscriptions: 100 * n, profiles: 10 * n })
}

/// Inserts rows in multi-row statements that stay under SQLite's 32,766
/// bound parameters, in one transaction.
/// The column count comes from the entity (a hand-kept count went stale when
/// users gained columns, and SQLite refused dataset M).
async fn insert_all<A>(db: &DatabaseConnection, rows: Vec<A>) -> Result<(), sea_orm::DbErr>
where
    A: ActiveModelTrait + Send,
{
    use sea_orm::Iterable;
    let columns = <<A::Entity as sea_orm::EntityTrait>::Column as Iterable>::iter().count();
    let per_statement = (30_000 / columns.max(1)).max(1);
    let txn = db.begin().await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
    }
    txn.commit().await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut size_name = String::from("S");
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => size_name = args.next().ok_or("--size needs S, M or L")?,
            "--url" => url = Some(args.next().ok_or("--url needs a database URL")?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let url = url.ok_or("--url is required (a fresh, empty database)")?;
    let size = size(&size_name).ok_or("--size must be S, M or L")?;
    let started = Instant::now();
    let db = licensedesk::db::connect(&url).await?;
    licensedesk::db::migrate(&db).await?;
    let existing = user::Entity::find().one(&db).await?;
    if existing.is_some() {
        return Err("the database already has users: give a fresh one".into());
    }
    let hash = licensedesk::auth::password::PasswordHasher::new()?.hash(PASSWORD).await?;
    let info = generate(&db, &size, &hash).await?;
    if licensedesk::db::is_postgres(&db) {
        db.execute_unprepared("ANALYZE").await?;
    }
    eprintln!("dataset {size_name} written in {:.1} s", started.elapsed().as_secs_f64());
    println!("{info}");
    Ok(())
}

async fn generate(db: &DatabaseConnection, size: &Size, hash: &str) -> Result<serde_json::Value, sea_orm::DbErr> {
    // Organization 0 is the benchmark's; 1..=3 are small neighbours.
    const NEIGHBOURS: usize = 3;
    const NEIGHBOUR_USERS: usize = 10;
    let orgs: Vec<_> = (0..=NEIGHBOURS)
        .map(|o| {
            organization::Model {
                id: id(1, o),
                name: if o == 0 { "Bench Org".into() } else { format!("Neighbour {o}") },
                country: "US".into(),
                next_invoice_number: 1 + if o == 0 { (size.profiles * MONTHS_OF_INVOICES) as i64 } else { 0 },
                kind: OrganizationKind::Customer,
                created_at: at(0),
            }
            .into_active_model()
        })
        .collect();
    insert_all(db, orgs).await?;

    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            publisher::Model {
                id: id(2, p),
                name: format!("Publisher {p:02}"),
                is_marketplace: false,
                created_at: at(p as i64),
            }
            .into_active_model()
        })
        .collect();
    insert_all(db, publishers).await?;

    let products: Vec<_> = (0..PRODUCTS)
        .map(|p| {
            product::Model {
                id: id(3, p),
                publisher_id: id(2, p % PUBLISHERS),
                name: format!("Product {p:02}"),
                description: format!("Benchmark product number {p}, a team application"),
                pricing_model: PricingModel::PerLicense,
                self_service_eligible: p % 4 == 0,
                portal_url: format!("https://portal{p}.example/setup"),
                support_url: format!("https://support{p}.example"),
                support_email: None,
                created_at: at(p as i64),
                updated_at: at(p as i64),
            }
            .into_active_model()
        })
        .collect();
    // Bulk inserts skip the entities' save hooks, so the search terms those
    // hooks keep are written here the same way (issue 13 search).
    let mut terms = Vec::new();
    for p in &products {
        if let (Some(owner), Some(name)) = (p.id.try_as_ref(), p.name.try_as_ref()) {
            terms.push((search::PRODUCT, *owner, None, search::name_terms(name)));
        }
    }
    insert_all(db, products).await?;
    // Each product's list: (term, index, amount).
    let list_of =
        |p: usize| [(BillingTerm::Monthly, 0, 800 + p as i64 * 10), (BillingTerm::Annual, 1, 8_000 + p as i64 * 100)];
    let prices: Vec<_> = (0..PRODUCTS)
        .flat_map(|p| {
            list_of(p).into_iter().map(move |(term, k, amount)| {
                product_price::Model {
                    id: id(4, p * 2 + k),
                    product_id: id(3, p),
                    term,
                    currency: "USD".into(),
                    unit_amount_minor: amount,
                }
                .into_active_model()
            })
        })
        .collect();
    insert_all(db, prices).await?;
    // Every price also in its history, as the API writes it (issue 26: a
    // renewal takes the price in force on its term end), in force since
    // before any generated term.
    let history: Vec<_> = (0..PRODUCTS)
        .flat_map(|p| {
            list_of(p).into_iter().map(move |(term, k, amount)| {
                product_price_history::Model {
                    id: id(5, p * 2 + k),
                    product_id: id(3, p),
                    term,
                    currency: "USD".into(),
                    unit_amount_minor: Some(amount),
                    effective_from: date(1970, 1, 1),
                    changed_at: None,
                }
                .into_active_model()
            })
        })
        .collect();
    insert_all(db, history).await?;
    let markets: Vec<_> = (0..PRODUCTS)
        .map(|p| product_market::Model { product_id: id(3, p), market: "UNITED_STATES".into() }.into_active_model())
        .collect();
    insert_all(db, markets).await?;

    // Users: user 0 of the benchmark organization is its admin.
    let name_of = person_name;
    let mut users = Vec::with_capacity(size.users + NEIGHBOURS * NEIGHBOUR_USERS);
    for u in 0..size.users {
        users.push(
            user::Model {
                id: id(10, u),
                organization_id: Some(id(1, 0)),
                publisher_id: None,
                email: if u == 0 { ADMIN_EMAIL.into() } else { format!("user{u:06}@bench.example") },
                name: if u == 0 { "Bench Admin".into() } else { name_of(u) },
                password_hash: hash.to_owned(),
                active: u % 50 != 49,
                created_at: at(u as i64),
                deleted_at: None,
                is_operator: false,
                is_partner: false,
                external_id: None,
            }
            .into_active_model(),
        );
    }
    for o in 1..=NEIGHBOURS {
        for k in 0..NEIGHBOUR_USERS {
            let u = o * NEIGHBOUR_USERS + k;
            users.push(
                user::Model {
                    id: id(11, u),
                    organization_id: Some(id(1, o)),
                    publisher_id: None,
                    email: format!("user{u:06}@neighbour{o}.example"),
                    name: name_of(u),
                    password_hash: hash.to_owned(),
                    active: true,
                    created_at: at(u as i64),
                    deleted_at: None,
                    is_operator: false,
                    is_partner: false,
                    external_id: None,
                }
                .into_active_model(),
            );
        }
    }
    for u in &users {
        if let (Some(owner), Some(name), Some(email), Some(scope)) =
            (u.id.try_as_ref(), u.name.try_as_ref(), u.email.try_as_ref(), u.organization_id.try_as_ref())
        {
            let mut words = search::name_terms(name);
            words.push(search::fold(email));
            terms.push((search::USER, *owner, *scope, words));
        }
    }
    insert_all(db, users).await?;
    let mut term_rows = Vec::new();
    for (kind, owner, scope, mut words) in terms {
        words.retain(|w| !w.is_empty());
        words.sort();
        words.dedup();
        for term in words {
            let row = search_term::Model {
                id: id(30, term_rows.len()),
                kind: kind.to_owned(),
                owner_id: owner,
                scope_id: scope,
                term,
            };
            term_rows.push(row.into_active_model());
        }
    }
    insert_all(db, term_rows).await?;
    // Issue 23: the short prefixes and their counts the save hook keeps.
    migration::backfill_user_search_prefixes(db).await?;
    let roles: Vec<_> = [OrgRole::GlobalAdmin, OrgRole::BillingAdmin, OrgRole::LicenseAdmin]
        .into_iter()
        .map(|role| user_role::Model { user_id: id(10, 0), role }.into_active_model())
        .collect();
    insert_all(db, roles).await?;
    insert_all(
        db,
        vec![
            customer_agreement::Model {
                id: id(12, 0),
                organization_id: id(1, 0),
                accepted_by: id(10, 0),
                accepted_at: at(0),
            }
            .into_active_model(),
        ],
    )
    .await?;

    // Billing profiles, each with a current card and the admin as owner.
    let mut profiles = Vec::new();
    let mut cards = Vec::new();
    let mut owners = Vec::new();
    for b in 0..size.profiles {
        profiles.push(billing_profile::Model {
            id: id(20, b),
            organization_id: id(1, 0),
            owner_user_id: None,
            name: format!("Cost center {b:04}"),
            contact_name: "Bench Admin".into(),
            contact_email: ADMIN_EMAIL.into(),
            address_line1: format!("{b} Main St"),
            address_line2: None,
            city: "Redmond".into(),
            region: Some("WA".into()),
            postal_code: "98052".into(),
            country: "US".into(),
            currency: "USD".into(),
            po_number: Some(format!("PO-{b}")),
            language: None,
            invoice_hold_reason: None,
            invoice_hold_period: None,
            invoice_hold_since: None,
            current_payment_method_id: None,
            created_at: at(b as i64),
            updated_at: at(b as i64),
        });
        cards.push(
            payment_method::Model {
                id: id(21, b),
                billing_profile_id: id(20, b),
                kind: PaymentMethodKind::CreditCard,
                card_brand: Some("VISA".into()),
                card_last4: Some("4242".into()),
                card_exp_month: Some(12),
                card_exp_year: Some(2030),
                name_on_card: Some("Bench Admin".into()),
                card_fingerprint: Some(format!("{:064x}", b)),
                address_line1: Some(format!("{b} Main St")),
                address_line2: None,
                city: Some("Redmond".into()),
                region: Some("WA".into()),
                postal_code: Some("98052".into()),
                country: Some("US".into()),
                is_current: true,
                removed_at: None,
                created_at: at(b as i64),
                updated_at: at(b as i64),
            }
            .into_active_model(),
        );
        owners.push(
            billing_role_assignment::Model {
                billing_profile_id: id(20, b),
                user_id: id(10, 0),
                role: BillingRole::Owner,
                granted_by: id(10, 0),
                granted_at: at(b as i64),
            }
            .into_active_model(),
        );
    }
    // Profiles first (the card points at its profile), then the cards, then the link back.
    insert_all(db, profiles.iter().cloned().map(IntoActiveModel::into_active_model).collect()).await?;
    insert_all(db, cards).await?;
    insert_all(db, owners).await?;
    db.execute_unprepared(
        "UPDATE billing_profiles SET current_payment_method_id = (SELECT pm.id FROM payment_methods pm \
         WHERE pm.billing_profile_id = billing_profiles.id AND pm.is_current)",
    )
    .await?;

    // Subscriptions: 50 seats, 20 assigned (so (e) can assign 20 more).
    // The usage views (issue 22, R51) look back from today and ahead of it:
    // terms end over the next 30 days and seats were used recently, long ago
    // or never, placed relative to the day of generation (the rest of the
    // dataset keeps its fixed dates).
    let today = Utc::now().date_naive();
    let now = Utc::now();
    let subs: Vec<subscription::Model> = (0..size.subscriptions)
        .map(|s| {
            let p = s % PRODUCTS;
            subscription::Model {
                id: id(30, s),
                organization_id: id(1, 0),
                product_id: id(3, p),
                billing_profile_id: id(20, s % size.profiles),
                purchaser_id: id(10, 0),
                channel: Channel::Direct,
                partner_name: None,
                partner_id: None,
                partner_tenant_id: None,
                proposal_id: None,
                pricing_model: PricingModel::PerLicense,
                term: BillingTerm::Monthly,
                quantity: Some(50),
                assigned_count: ASSIGNMENTS_PER_SUBSCRIPTION as i64,
                unit_price_minor: 800 + p as i64 * 10,
                currency: "USD".into(),
                status: SubscriptionStatus::Active,
                disabled_reason: None,
                disabled_at: None,
                disabled_message: None,
                cancel_reason: None,
                cancel_feedback: None,
                auto_renew: true,
                start_date: date(2026, 1, 1),
                term_number: 11,
                negotiated_terms: None,
                current_term_start: renewal_of(today, s) - Months::new(1),
                current_term_end: renewal_of(today, s),
                activated_at: Some(at(60)),
                setup_completed_at: None,
                created_at: at(s as i64 * 60),
                updated_at: at(s as i64 * 60),
            }
        })
        .collect();
    insert_all(db, subs.iter().cloned().map(IntoActiveModel::into_active_model).collect()).await?;
    // Subscription s holds 20 users drawn at random (never the admin).
    let holders: Vec<Vec<usize>> =
        (0..size.subscriptions).map(|s| holders_of(s, size.users, ASSIGNMENTS_PER_SUBSCRIPTION)).collect();
    let assignments: Vec<_> = (0..size.subscriptions)
        .flat_map(|s| {
            let holders = &holders;
            (0..ASSIGNMENTS_PER_SUBSCRIPTION).map(move |j| {
                license_assignment::Model {
                    id: id(31, s * ASSIGNMENTS_PER_SUBSCRIPTION + j),
                    subscription_id: id(30, s),
                    user_id: id(10, holders[s][j]),
                    active: true,
                    assigned_by: id(10, 0),
                    assigned_at: at(s as i64 * 60 + j as i64),
                    unassigned_by: None,
                    unassigned_at: None,
                    last_used_at: last_use(now, s * ASSIGNMENTS_PER_SUBSCRIPTION + j),
                    reclaim_notice_at: None,
                    organization_id: id(1, 0),
                }
                .into_active_model()
            })
        })
        .collect();
    insert_all(db, assignments).await?;

    // Invoices: one a month per profile, each with lines for the profile's subscriptions.
    let mut invoices = Vec::new();
    let mut charges = Vec::new();
    let mut lines = Vec::new();
    let mut number = 0i64;
    for b in 0..size.profiles {
        let subs_of_profile: Vec<&subscription::Model> =
            (0..LINES_PER_INVOICE).filter_map(|k| subs.get(b + k * size.profiles)).collect();
        for m in 0..MONTHS_OF_INVOICES {
            number += 1;
            let index = b * MONTHS_OF_INVOICES + m;
            let month = m as u32 + 1;
            let period_start = date(2025, month, 1);
            let period_end =
                if month == 12 { date(2025, 12, 31) } else { date(2025, month + 1, 1) - Duration::days(1) };
            let issue = if month == 12 { date(2026, 1, 1) } else { date(2025, month + 1, 1) };
            let mut total = 0;
            for (k, sub) in subs_of_profile.iter().enumerate() {
                let amount = sub.unit_price_minor * 50;
                total += amount;
                let line = index * LINES_PER_INVOICE + k;
                charges.push(
                    charge::Model {
                        id: id(41, line),
                        organization_id: id(1, 0),
                        subscription_id: sub.id,
                        billing_profile_id: id(20, b),
                        kind: ChargeKind::Renewal,
                        description: "Monthly renewal".into(),
                        charge_date: period_start,
                        period_start,
                        period_end,
                        quantity: 50,
                        unit_price_minor: sub.unit_price_minor,
                        amount_minor: amount,
                        currency: "USD".into(),
                        dedupe_key: Some(format!("bench-{line}")),
                        invoice_id: Some(id(40, index)),
                        created_at: at(index as i64),
                    }
                    .into_active_model(),
                );
                lines.push(
                    invoice_line::Model {
                        id: id(42, line),
                        invoice_id: id(40, index),
                        charge_id: Some(id(41, line)),
                        subscription_id: Some(sub.id),
                        product_name: format!("Product {:02}", (b + k * size.profiles) % PRODUCTS),
                        description: "Monthly renewal".into(),
                        period_start,
                        period_end,
                        quantity: 50,
                        unit_price_minor: sub.unit_price_minor,
                        amount_minor: amount,
                        position: k as i32 + 1,
                        source_invoice_id: None,
                    }
                    .into_active_model(),
                );
            }
            invoices.push(
                invoice::Model {
                    id: id(40, index),
                    organization_id: id(1, 0),
                    billing_profile_id: id(20, b),
                    number,
                    period_start,
                    issue_date: issue,
                    due_date: issue + Duration::days(30),
                    subtotal_minor: total,
                    total_minor: total,
                    currency: "USD".into(),
                    status: InvoiceStatus::Paid,
                    payment_method_id: Some(id(21, b)),
                    payment_method_summary: "VISA •••• 4242".into(),
                    paid_at: Some(at(index as i64)),
                    paid_by: None,
                    last_charge_attempt: Some(issue),
                    credit_applied_minor: 0,
                    credit_carried_minor: 0,
                    credit_remaining_minor: 0,
                    created_at: at(index as i64),
                }
                .into_active_model(),
            );
        }
    }
    insert_all(db, invoices).await?;
    insert_all(db, charges).await?;
    insert_all(db, lines).await?;
    // R51: the spend totals the billing run keeps as it issues invoices.
    migration::backfill_spend_totals(db).await?;
    // Issue 23: and the invoice counts the lists' totals read.
    migration::backfill_invoice_counts(db).await?;

    // Neighbours: two subscriptions each, so filters by organization matter.
    let mut neighbour_subs = Vec::new();
    let mut neighbour_profiles = Vec::new();
    for o in 1..=NEIGHBOURS {
        let mut profile = profiles[0].clone();
        profile.id = id(22, o);
        profile.organization_id = id(1, o);
        profile.current_payment_method_id = None;
        neighbour_profiles.push(profile.into_active_model());
        for k in 0..2 {
            let mut sub = subs[0].clone();
            sub.id = id(32, o * 2 + k);
            sub.organization_id = id(1, o);
            sub.billing_profile_id = id(22, o);
            sub.purchaser_id = id(11, o * NEIGHBOUR_USERS);
            sub.assigned_count = 0;
            neighbour_subs.push(sub.into_active_model());
        }
    }
    insert_all(db, neighbour_profiles).await?;
    insert_all(db, neighbour_subs).await?;

    // (e): 20 active users (every 50th is deactivated) that subscription 0
    // does not hold, drawn at random like the holders.
    let mut free = Vec::new();
    let mut k = 0u64;
    while free.len() < ASSIGNMENTS_PER_SUBSCRIPTION {
        let u = 1 + (mix(0xe0e0_0000 ^ k) % (size.users as u64 - 1)) as usize;
        k += 1;
        if u % 50 != 49 && !holders[0].contains(&u) && !free.contains(&u) {
            free.push(u);
        }
    }
    let free_users: Vec<String> = free.into_iter().map(|u| id(10, u).to_string()).collect();
    Ok(json!({
        "adminEmail": ADMIN_EMAIL,
        "password": PASSWORD,
        "organizationId": id(1, 0).to_string(),
        "adminId": id(10, 0).to_string(),
        "writeSubscriptionId": id(30, 0).to_string(),
        "writeUserIds": free_users,
        "users": size.users,
        "subscriptions": size.subscriptions,
        "assignments": size.subscriptions * ASSIGNMENTS_PER_SUBSCRIPTION,
        "invoices": size.profiles * MONTHS_OF_INVOICES,
        "invoiceLines": size.profiles * MONTHS_OF_INVOICES * LINES_PER_INVOICE,
    }))
}
