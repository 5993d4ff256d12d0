//! Issue 12 §5: SQLite on a full disk. The real binary keeps its database on
//! a small filesystem (a 16 MiB tmpfs — room for the 4 MiB WAL SQLite keeps before it checkpoints — or a loop device, mounted by the test
//! when it runs as root; or a directory named by LICENSEDESK_TEST_SMALL_FS),
//! a filler file and writes through the API fill it, and then:
//! - every failed write answers a typed error (INTERNAL, SPEC §10) within the
//!   request time and changes nothing;
//! - once space is freed, writes succeed again without a restart (no
//!   connection is left holding a failed transaction or the write lock);
//! - after `kill -9` and a restart every acknowledged write is still there
//!   and no failed one is.

use std::{
    collections::BTreeSet,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Server, postgres_server, request};

/// A small filesystem for the test, unmounted (and removed) when dropped.
struct SmallFs {
    dir: PathBuf,
    /// How it was made, for the report; None when given by the environment.
    kind: Option<&'static str>,
    image: Option<PathBuf>,
}

impl SmallFs {
    fn make() -> Result<SmallFs, String> {
        if let Some(dir) = std::env::var_os("LICENSEDESK_TEST_SMALL_FS").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir).join(format!("ld-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).map_err(|e| format!("LICENSEDESK_TEST_SMALL_FS: {e}"))?;
            return Ok(SmallFs { dir, kind: None, image: None });
        }
        let dir = std::env::temp_dir().join(format!("licensedesk-small-fs-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let tmpfs = run("mount", &["-t", "tmpfs", "-o", "size=16m", "tmpfs", &dir.to_string_lossy()]);
        if tmpfs.is_ok() {
            return Ok(SmallFs { dir, kind: Some("tmpfs size=16m"), image: None });
        }
        // No tmpfs (e.g. a container without it): a 20 MiB ext4 image on a loop device.
        let image = dir.with_extension("img");
        let loop_device = std::fs::File::create(&image)
            .and_then(|f| f.set_len(20 * 1024 * 1024))
            .map_err(|e| e.to_string())
            .and_then(|()| run("mkfs.ext4", &["-q", "-F", &image.to_string_lossy()]))
            .and_then(|()| run("mount", &["-o", "loop", &image.to_string_lossy(), &dir.to_string_lossy()]));
        match loop_device {
            Ok(()) => Ok(SmallFs { dir, kind: Some("ext4 on a 20 MiB loop device"), image: Some(image) }),
            Err(loop_error) => {
                let _ = std::fs::remove_file(&image);
                let _ = std::fs::remove_dir(&dir);
                Err(format!(
                    "cannot mount a tmpfs ({}) nor a loop device ({loop_error}); run as root or set \
                     LICENSEDESK_TEST_SMALL_FS to a directory on a small filesystem",
                    tmpfs.err().unwrap_or_default()
                ))
            }
        }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        if self.kind.is_some() {
            let _ = run("umount", &[&self.dir.to_string_lossy()]);
            let _ = std::fs::remove_dir(&self.dir);
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some(image) = &self.image {
            let _ = std::fs::remove_file(image);
        }
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("{program}: {e}")),
    }
}

/// Fills the filesystem with a file, then gives back `leave` bytes.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0x5a_u8; 16 * 1024];
    let mut written = 0_u64;
    while file.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    // A partial last chunk may have been written; ask the file its size.
    let _ = file.flush();
    let size = std::fs::metadata(&path).map_or(written, |m| m.len());
    file.set_len(size.saturating_sub(leave)).expect("shrink filler");
    file.sync_all().ok();
    path
}

/// One GraphQL request with a time limit; (HTTP status, body as JSON or as text).
async fn graphql(server: &Server, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let body = json!({"query": query, "variables": variables}).to_string();
    let text = format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    match tokio::time::timeout(Duration::from_secs(20), request(server.addr, None, &text)).await {
        Ok(Ok((status, body))) => (status, serde_json::from_str(&body).unwrap_or(Value::String(body))),
        Ok(Err(e)) => (0, Value::String(format!("connection: {e}"))),
        Err(_) => (0, Value::String("no answer within 20 s".into())),
    }
}

const CREATE_USER: &str = "mutation($i: CreateUserInput!) { createUser(input: $i) { id email } }";

/// Creates a user with a long name (many pages per write); Ok(email) when
/// acknowledged, Err((email, answer)) otherwise.
async fn create_user(server: &Server, token: &str, email: String) -> Result<String, (String, u16, Value)> {
    let name = format!("Disk {email} {}", "lorem ipsum dolor ".repeat(8));
    let (status, answer) = graphql(
        server,
        token,
        CREATE_USER,
        json!({"i": {"name": name, "email": email, "password": "0123456789ab", "roles": ["LICENSE_ADMIN"]}}),
    )
    .await;
    if answer["data"]["createUser"]["email"].as_str() == Some(email.as_str()) {
        Ok(email)
    } else {
        Err((email, status, answer))
    }
}

/// Every user e-mail of the organization, through the API.
async fn emails(server: &Server, token: &str) -> BTreeSet<String> {
    let query = "query($after: String) { users(first: 100, after: $after) { nodes { email } pageInfo { hasNextPage endCursor } } }";
    let mut found = BTreeSet::new();
    let mut after = Value::Null;
    loop {
        let (status, page) = graphql(server, token, query, json!({"after": after})).await;
        let users = &page["data"]["users"];
        let nodes = users["nodes"].as_array().unwrap_or_else(|| panic!("users ({status}): {page}"));
        found.extend(nodes.iter().filter_map(|n| n["email"].as_str().map(str::to_owned)));
        if users["pageInfo"]["hasNextPage"] != json!(true) {
            return found;
        }
        after = users["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn sqlite_on_a_full_disk_fails_writes_cleanly_recovers_without_restart_and_loses_nothing() {
    if postgres_server().is_some() {
        eprintln!("skipped on PostgreSQL: the full-disk test is about the server's own SQLite file");
        return;
    }
    let fs = match SmallFs::make() {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let url = format!("sqlite://{}?mode=rwc", fs.dir.join("licensedesk.db").display());
    let log = std::env::temp_dir().join(format!("licensedesk-disk-full-{}.log", Uuid::new_v4().simple()));
    let env = [("LICENSEDESK_LOG", "warn,licensedesk=info"), ("LICENSEDESK_REQUEST_TIMEOUT_SECONDS", "15")];
    let mut server = Server::start_logged(&url, &env, Some(&log)).await;
    let (token, admin) = server.register("Contoso").await;
    eprintln!("full-disk test on {} ({}), server log {}", fs.dir.display(), fs.kind.unwrap_or("given"), log.display());

    // Fill the disk, leaving a little room, then write until writes fail,
    // four at a time so that several pooled connections meet the failure.
    let filler = fill(&fs.dir, 96 * 1024);
    let mut acknowledged: BTreeSet<String> = BTreeSet::from([admin.clone()]);
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut answers = Vec::new();
    let mut next = 0;
    while failed.len() < 24 && next < 400 {
        let batch: Vec<_> =
            (next..next + 4).map(|i| create_user(&server, &token, format!("full{i}@x.example"))).collect();
        next += 4;
        for outcome in futures::future::join_all(batch).await {
            match outcome {
                Ok(email) => {
                    acknowledged.insert(email);
                }
                Err((email, status, answer)) => {
                    failed.insert(email);
                    answers.push((status, answer));
                }
            }
        }
    }
    assert!(!failed.is_empty(), "the disk never filled up after {next} writes");
    for (status, answer) in &answers {
        let code = answer["errors"][0]["extensions"]["code"].as_str();
        assert_eq!(code, Some("INTERNAL"), "a failed write answers a typed error (HTTP {status}): {answer}");
        assert!(answer["errors"][0]["extensions"]["requestId"].is_string(), "{answer}");
        let text = answer.to_string().to_lowercase();
        assert!(!text.contains("sqlite") && !text.contains("disk"), "no driver text: {answer}");
    }
    eprintln!("disk full after {} acknowledged and {} failed writes", acknowledged.len() - 1, failed.len());
    // Reads still work on a full disk.
    let seen = emails(&server, &token).await;
    assert!(acknowledged.is_subset(&seen), "acknowledged writes are visible while the disk is full");

    // Space comes back: writes succeed again at once, on every pooled connection.
    std::fs::remove_file(&filler).expect("remove filler");
    let started = Instant::now();
    for round in 0..6 {
        let batch: Vec<_> =
            (0..4).map(|i| create_user(&server, &token, format!("after{round}-{i}@x.example"))).collect();
        for outcome in futures::future::join_all(batch).await {
            match outcome {
                Ok(email) => {
                    acknowledged.insert(email);
                }
                Err((email, status, answer)) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    panic!("{email} after space came back (HTTP {status}): {answer}\nserver log:\n{log}");
                }
            }
        }
    }
    eprintln!("24 writes after space came back in {} ms, no restart", started.elapsed().as_millis());
    let seen = emails(&server, &token).await;
    assert!(acknowledged.is_subset(&seen), "missing: {:?}", acknowledged.difference(&seen).collect::<Vec<_>>());
    assert!(
        seen.is_disjoint(&failed),
        "failed writes changed nothing: {:?}",
        seen.intersection(&failed).collect::<Vec<_>>()
    );

    // kill -9 and start again: everything acknowledged is still there.
    let _ = server.child.kill();
    let _ = server.child.wait();
    server = Server::start_logged(&url, &env, Some(&log)).await;
    let seen = emails(&server, &token).await;
    assert!(
        acknowledged.is_subset(&seen),
        "acknowledged writes lost in the restart: {:?}",
        acknowledged.difference(&seen).collect::<Vec<_>>()
    );
    assert!(seen.is_disjoint(&failed), "failed writes appeared after the restart");
    assert_eq!(seen.len(), acknowledged.len(), "nothing else was stored");
    assert!(create_user(&server, &token, "restarted@x.example".into()).await.is_ok());
    drop(server);
    let _ = std::fs::remove_file(&log);
}
