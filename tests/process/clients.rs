//! Issue 13: stock clients against the real binary. Python `gql` with
//! `fetch_schema_from_transport=True` loads the schema by introspection,
//! validates a query against it and runs it (`tests/clients/gql_check.py`).
//! The interpreter comes from LICENSEDESK_TEST_PYTHON (CI makes a virtual
//! environment with tests/clients/requirements.txt and requires the check).

use super::harness::{Server, fresh_database_url};

#[tokio::test]
async fn python_gql_loads_the_schema_by_introspection_and_runs_a_query() {
    let Some(python) = std::env::var_os("LICENSEDESK_TEST_PYTHON") else {
        assert!(
            std::env::var_os("LICENSEDESK_REQUIRE_CLIENTS").is_none(),
            "LICENSEDESK_REQUIRE_CLIENTS is set but LICENSEDESK_TEST_PYTHON is not"
        );
        eprintln!("skipped: set LICENSEDESK_TEST_PYTHON to a python with tests/clients/requirements.txt");
        return;
    };
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let (token, email) = server.register("Contoso").await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/gql_check.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}/graphql", server.addr))
        .arg(&token)
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "gql failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON from the script");
    assert_eq!(answer["me"]["email"], email.as_str(), "the query ran as the signed-in admin");
}
