//! Issue 24 item 1, outside in: Apollo Client (`@apollo/client` with its
//! persisted-query link, `tests/apollo/apq.mjs`) runs an anonymous app's and a
//! signed-in console's queries against the real binary through an HTTP cache
//! in front of it: hashes first, the document once, GET answers cached only
//! when public, a mutation over GET refused. CI installs the package
//! (`npm ci` in tests/apollo) and sets LICENSEDESK_REQUIRE_APOLLO=1.
//! Without node: two real instances on one database share the registered
//! documents (a hash registered on one is answered by the other).

use std::path::Path;

use serde_json::{Value, json};

use super::harness::{Server, fresh_database_url, request};

fn apollo_dir() -> Result<std::path::PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apollo");
    if !dir.join("node_modules/@apollo/client").exists() {
        return Err("tests/apollo has no node_modules (cd tests/apollo && npm ci)".into());
    }
    if std::process::Command::new("node").arg("--version").output().is_err() {
        return Err("no node on PATH".into());
    }
    Ok(dir)
}

#[tokio::test]
async fn issue_24_apollo_client_persisted_queries_through_a_cache_and_no_mutation_over_get() {
    let dir = match apollo_dir() {
        Ok(dir) => dir,
        Err(why) if std::env::var_os("LICENSEDESK_REQUIRE_APOLLO").is_none() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("LICENSEDESK_REQUIRE_APOLLO is set but {why}"),
    };
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let (token, email) = server.register("Contoso").await;
    let output = tokio::process::Command::new("node")
        .arg(dir.join("apq.mjs"))
        .arg(format!("http://{}", server.addr))
        .arg(&token)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the Apollo Client check failed:\n{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("JSON from the script");
    assert_eq!(report["email"], email.as_str(), "the console's queries ran as the signed-in admin");
    assert_eq!(report["mutationOverGet"], "refused");
    let anonymous = report["anonymous"].as_array().expect("anonymous requests");
    assert_eq!(anonymous[0]["errorCode"], "PERSISTED_QUERY_NOT_FOUND", "{report}");
    assert_eq!(anonymous.last().map(|r| r["cache"].clone()), Some(json!("HIT")), "{report}");
}

#[tokio::test]
async fn issue_24_a_hash_registered_on_one_instance_is_answered_by_another() {
    let url = fresh_database_url().await;
    let a = Server::start(&url, &[]).await;
    let b = Server::start(&url, &[]).await;
    let document = "query Markets { markets { market } }";
    let hash = licensedesk::service::persisted_queries::sha256_hex(document);
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
    let path = format!(
        "/graphql?extensions={}",
        url::form_urlencoded::byte_serialize(extensions.as_bytes()).collect::<String>()
    );
    let (status, body) = b.get(&path).await.expect("GET");
    assert_eq!(status, 200);
    assert!(body.contains("PersistedQueryNotFound"), "{body}");
    let registered =
        json!({"query": document, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}).to_string();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{registered}",
        registered.len()
    );
    let (status, body) = request(a.addr, None, &head).await.expect("POST");
    assert_eq!(status, 200, "{body}");
    let (status, body) = b.get(&path).await.expect("GET");
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
    assert!(answer["data"]["markets"].as_array().is_some_and(|m| !m.is_empty()), "{answer}");
}
