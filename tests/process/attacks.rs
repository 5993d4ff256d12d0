//! Attacks from outside (issue 12): fragment fan-out, page-size blow-up,
//! alias floods, control characters in every string input, slow headers,
//! password guessing, clients that hang up mid-write.

use std::{
    net::{IpAddr, Ipv4Addr},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{PASSWORD, Server, code, fresh_database_url, postgres_server, request};

fn fan_out(levels: usize, on: &str, root: &str) -> String {
    let mut query = format!("query {{ {root} }}\n");
    for i in 0..levels {
        query.push_str(&format!("fragment F{i} on {on} {{ ...F{n} ...F{n} }}\n", n = i + 1));
    }
    query.push_str(&format!("fragment F{levels} on {on} {{ __typename }}\n"));
    query
}

/// Issue 12 §1: each attack gets QUERY_TOO_COMPLEX (or UNAUTHENTICATED for an
/// anonymous caller) within a second, with little server CPU.
#[tokio::test]
async fn query_cost_attacks_get_typed_errors_within_a_second() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[]).await;
    let (token, _) = server.register("Contoso").await;
    let cpu_before = server.cpu_time();
    let mut figures = Vec::new();

    let attacks: Vec<(&str, Option<&str>, String)> = vec![
        ("fragment fan-out 2^28, signed in", Some(&token), fan_out(28, "User", "me { ...F0 }")),
        ("fragment fan-out 2^24 on Query, anonymous", None, fan_out(24, "Query", "...F0")),
        ("200 aliases of subscriptions(first:100){assignedUsers}", Some(&token), {
            let one = "subscriptions(first: 100) { nodes { assignedUsers { id name email } } }";
            format!("{{ {} }}", (0..200).map(|i| format!("a{i}: {one}")).collect::<Vec<_>>().join(" "))
        }),
        ("3,000 aliases of me", Some(&token), {
            format!("{{ {} }}", (0..3000).map(|i| format!("a{i}: me {{ id }}")).collect::<Vec<_>>().join(" "))
        }),
        ("users(first:100) ×30 anonymous", None, {
            format!(
                "{{ {} }}",
                (0..30).map(|i| format!("a{i}: users(first: 100) {{ nodes {{ id }} }}")).collect::<Vec<_>>().join(" ")
            )
        }),
    ];
    for (name, token, query) in attacks {
        let started = Instant::now();
        let response = server.graphql(token, &query, json!({})).await;
        let took = started.elapsed();
        let got = code(&response).unwrap_or("none").to_owned();
        assert!(got == "QUERY_TOO_COMPLEX" || (token.is_none() && got == "UNAUTHENTICATED"), "{name}: {response}");
        assert!(took < Duration::from_secs(1), "{name}: {took:?}");
        figures.push(format!("{name}: {got} in {} ms ({} bytes)", took.as_millis(), query.len()));
    }
    // The introspection query still passes the cost pass, even without a
    // token (the depth limit for its deepest form is async-graphql's, not ours).
    let introspection = server.graphql(None, INTROSPECTION, json!({})).await;
    assert!(introspection["data"]["__schema"]["types"].is_array(), "{introspection}");
    let cpu = server.cpu_time().saturating_sub(cpu_before);
    eprintln!(
        "attack figures:\n  {}\n  server CPU for all of them: {} ms, RSS {} MiB",
        figures.join("\n  "),
        cpu.as_millis(),
        server.rss_mib()
    );
    assert!(cpu < Duration::from_secs(3), "server CPU {cpu:?}");
}

/// Issue 12 §2: every string input, with NUL, other control characters,
/// over-long, right-to-left and emoji text: a typed error or clean storage,
/// never INTERNAL; NUL is always VALIDATION_FAILED naming the field.
#[tokio::test]
async fn string_inputs_with_nul_rtl_emoji_and_long_text_never_answer_internal() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[]).await;
    let (token, _) = server.register("Contoso").await;
    let address = |v: &str| json!({"line1": v, "line2": v, "city": v, "region": v, "postalCode": v, "country": "US"});
    // (operation, variables built from the text, needs a token)
    type Case = (&'static str, fn(&str, &dyn Fn(&str) -> Value) -> Value, bool);
    let cases: Vec<Case> = vec![
        (
            "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
            |v, _| json!({"i": {"organizationName": v, "country": "US", "name": v, "email": format!("{v}@x.example"), "password": "0123456789ab"}}),
            false,
        ),
        (
            "mutation($e: String!) { login(email: $e, password: \"whatever-123\") { token } }",
            |v, _| json!({"e": v}),
            false,
        ),
        (
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            |v, _| json!({"i": {"name": v, "email": format!("u{}@x.example", v.len()), "password": "0123456789ab"}}),
            true,
        ),
        ("query($s: String) { users(search: $s) { totalCount } }", |v, _| json!({"s": v}), true),
        ("query($s: String) { products(filter: {search: $s}) { totalCount } }", |v, _| json!({"s": v}), true),
        (
            "query($t: String, $a: String) { auditEvents(filter: {objectType: $t, action: $a}) { totalCount } }",
            |v, _| json!({"t": v, "a": v}),
            true,
        ),
        (
            "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
            |v, a| json!({"i": {"name": v, "contactName": v, "contactEmail": "b@x.example", "billToAddress": a(v), "poNumber": v}}),
            true,
        ),
    ];
    let texts = [
        ("nul", "a\u{0}b".to_owned()),
        ("bell", "a\u{7}b".to_owned()),
        ("newline", "two\nlines".to_owned()),
        ("long", "x".repeat(5000)),
        ("rtl", "\u{202e}مرحبا עולם".to_owned()),
        ("emoji", "Ada 👩‍💻 🚀".to_owned()),
    ];
    for (query, vars, needs_token) in &cases {
        for (kind, text) in &texts {
            let token = needs_token.then_some(token.as_str());
            let response = server.graphql(token, query, vars(text, &address)).await;
            let got = code(&response);
            assert_ne!(got, Some("INTERNAL"), "{kind} in {query}: {response}");
            if matches!(*kind, "nul" | "bell") {
                assert_eq!(got, Some("VALIDATION_FAILED"), "{kind} in {query}: {response}");
                assert!(response["errors"][0]["extensions"]["field"].is_string(), "names the field: {response}");
            }
        }
    }
    // Text that is allowed is stored as sent (read back through the API).
    let rtl = "\u{202e}مرحبا 👩‍💻";
    let made = server
        .graphql(
            Some(&token),
            "mutation($i: CreateUserInput!) { createUser(input: $i) { name } }",
            json!({"i": {"name": rtl, "email": "rtl@x.example", "password": "0123456789ab"}}),
        )
        .await;
    assert_eq!(made["data"]["createUser"]["name"], rtl, "{made}");
}

/// Issue 12 §7: a client that sends half a request head is cut off.
#[tokio::test]
async fn a_slow_header_client_is_disconnected() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[("LICENSEDESK_HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(b"POST /graphql HTTP/1.1\r\nHost: t\r\n").await.expect("write");
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 5 s");
    eprintln!("slow header client cut off after {} ms", started.elapsed().as_millis());
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// Issue 12 §6: someone guessing from one client is slowed down (RATE_LIMITED),
/// across two instances sharing the database, while the owner signs in from
/// another client.
#[tokio::test]
async fn guessing_is_throttled_across_instances_without_locking_the_owner_out() {
    let url = fresh_database_url().await;
    let one = Server::start(&url, &[]).await;
    let two = Server::start(&url, &[]).await;
    let (_, email) = one.register("Contoso").await;
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let attacker = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let owner = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)));
    let mut limited = 0;
    for i in 0..12 {
        let server = if i % 2 == 0 { &one } else { &two };
        let response =
            server.graphql_from(attacker, None, login, json!({"e": email, "p": format!("guess-{i}-xxxx")})).await;
        if code(&response) == Some("RATE_LIMITED") {
            limited += 1;
        }
    }
    assert!(limited >= 5, "the guesser is slowed down on both instances: {limited} of 12 refused");
    let right = one.graphql_from(attacker, None, login, json!({"e": email, "p": PASSWORD})).await;
    assert_eq!(code(&right), Some("RATE_LIMITED"), "the guessing client waits, even with the right password");
    let owner_in = two.graphql_from(owner, None, login, json!({"e": email, "p": PASSWORD})).await;
    assert!(owner_in["data"]["login"]["token"].is_string(), "the owner on another client signs in: {owner_in}");
}

/// Issue 20 item 5, against the real binary: 60 wrong guesses sent at once by
/// one client, spread over two instances on one database, get at most 5
/// password checks (the attempt is counted before the check, in the
/// database); the rest are RATE_LIMITED, and the owner still signs in from
/// another address.
#[tokio::test]
async fn issue20_sixty_concurrent_guesses_on_two_instances_get_at_most_five_checks() {
    let url = fresh_database_url().await;
    let one = Server::start(&url, &[]).await;
    let two = Server::start(&url, &[]).await;
    let (_, email) = one.register("Contoso").await;
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let attacker = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4)));
    let owner = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5)));
    let guesses = (0..60).map(|i| {
        let server = if i % 2 == 0 { &one } else { &two };
        server.graphql_from(attacker, None, login, json!({"e": email, "p": format!("guess-{i}-xxxx")}))
    });
    let answers = futures::future::join_all(guesses).await;
    let codes: Vec<Option<&str>> = answers.iter().map(code).collect();
    assert!(codes.iter().all(Option::is_some), "every guess is refused with a code: {codes:?}");
    let checked = codes.iter().filter(|c| **c != Some("RATE_LIMITED")).count();
    assert!(checked <= 5, "at most 5 of 60 concurrent guesses reach the password check: {checked} did ({codes:?})");
    let owner_in = two.graphql_from(owner, None, login, json!({"e": email, "p": PASSWORD})).await;
    assert!(owner_in["data"]["login"]["token"].is_string(), "the owner on another address signs in: {owner_in}");
}

/// Issue 12 §5: clients that hang up while their write runs leave no
/// transaction open (PostgreSQL: no pooled connection 'idle in transaction'),
/// and the server keeps answering.
#[tokio::test]
async fn clients_hanging_up_mid_write_leak_no_transaction() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[]).await;
    let (token, _) = server.register("Contoso").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (addr, token) = (server.addr, token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"query": "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                "variables": {"i": {"name": format!("User {i}"), "email": format!("cut{i}@x.example"), "password": "0123456789ab"}}})
            .to_string();
            let text = format!(
                "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
                let _ = stream.write_all(text.as_bytes()).await;
                // Hang up at once or after a moment, while the write runs.
                tokio::time::sleep(Duration::from_millis((i % 5) * 3)).await;
                drop(stream);
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    if postgres_server().is_some() {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect(url.as_str()).await.expect("connect");
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT COUNT(*)::bigint AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
                [name.into()],
            ))
            .await
            .expect("query")
            .expect("row");
        let open: i64 = row.try_get("", "n").expect("n");
        assert_eq!(open, 0, "pooled connections left inside a transaction");
    }
    // Every pooled connection still works: many reads and writes succeed.
    for i in 0..30 {
        let made = server
            .graphql(
                Some(&token),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({"i": {"name": "After", "email": format!("after{i}@x.example"), "password": "0123456789ab"}}),
            )
            .await;
        assert!(made["data"]["createUser"]["id"].is_string(), "{made}");
    }
    let (status, _) = request(server.addr, None, "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("readyz");
    assert_eq!(status, 200);
}

const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;
