#![allow(dead_code)]
//! Starting the binary, a tiny HTTP/1.1 client, fresh databases.

use std::{
    net::{IpAddr, SocketAddr},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpSocket,
};
use uuid::Uuid;

pub const POSTGRES_ENV: &str = "LICENSEDESK_TEST_POSTGRES_URL";
pub const SECRET: &str = "process-test-secret-process-test-secret-0123";
pub const PASSWORD: &str = "correct-horse-battery";
pub const BIN: &str = env!("CARGO_BIN_EXE_licensedesk");

pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())
}

/// A fresh database URL: a new PostgreSQL database when the variable is set,
/// else a SQLite file. Either is removed when the test is over.
pub async fn fresh_database_url() -> String {
    match postgres_server() {
        Some(server) => fresh_postgres_database(&server).await,
        None => {
            let path = std::env::temp_dir().join(format!("licensedesk-process-{}.db", Uuid::new_v4().simple()));
            CREATED.with_borrow_mut(|created| created.sqlite_files.push(path.clone()));
            format!("sqlite://{}?mode=rwc", path.display())
        }
    }
}

pub async fn fresh_postgres_database(server: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("ld_proc_{}", Uuid::new_v4().simple());
    let admin = Database::connect(server).await.expect("connect to PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
    admin.close().await.ok();
    CREATED.with_borrow_mut(|created| created.postgres.push((server.to_owned(), name.clone())));
    let base = server.rsplit_once('/').map(|(base, _)| base).unwrap_or(server);
    format!("{base}/{name}")
}

/// The databases a test created, removed when its thread ends — the test is
/// over, passed or failed (libtest runs each test on a thread of its own,
/// and a test's runtime threads end with it), so no run leaves any behind.
#[derive(Default)]
struct CreatedDatabases {
    /// (the server's admin URL, the database's name).
    postgres: Vec<(String, String)>,
    sqlite_files: Vec<std::path::PathBuf>,
}

thread_local! {
    static CREATED: std::cell::RefCell<CreatedDatabases> = std::cell::RefCell::new(CreatedDatabases::default());
}

impl Drop for CreatedDatabases {
    fn drop(&mut self) {
        for file in self.sqlite_files.drain(..) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                std::fs::remove_file(path).ok();
            }
        }
        let databases = std::mem::take(&mut self.postgres);
        if databases.is_empty() {
            return;
        }
        // The test's runtime is gone: the statements run on a thread and runtime of their own.
        let dropped = std::thread::spawn(move || {
            use sea_orm::{ConnectionTrait, Database};
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                for (server, name) in &databases {
                    let admin = Database::connect(server.as_str()).await.ok()?;
                    // FORCE: a server the test killed may have left a session behind.
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                    admin.close().await.ok();
                }
                Some(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("a process test's database was not dropped");
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The binary as a command with the test's environment.
pub fn command(database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LICENSEDESK_JWT_SECRET", SECRET)
        .env("LICENSEDESK_BILLING_SCHEDULER", "false")
        .env("LICENSEDESK_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        Server::start_logged(database_url, env, None).await
    }

    /// Like `start`, with the server's log (stderr) appended to `log` when given.
    pub async fn start_logged(database_url: &str, env: &[(&str, &str)], log: Option<&std::path::Path>) -> Server {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut cmd = command(database_url);
        let file = log.and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok());
        let (stdout, stderr) = match file.as_ref().map(|f| (f.try_clone(), f.try_clone())) {
            Some((Ok(out), Ok(err))) => (Stdio::from(out), Stdio::from(err)),
            _ => (Stdio::null(), Stdio::null()),
        };
        cmd.env("LICENSEDESK_LISTEN", addr.to_string()).stdout(stdout).stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start licensedesk");
        let server = Server { child, addr };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = server.get("/healthz").await {
                return server;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn get(&self, path: &str) -> std::io::Result<(u16, String)> {
        request(self.addr, None, &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).await
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.graphql_from(None, token, query, variables).await
    }

    /// A GraphQL request from a given local source address (127.0.0.x).
    pub async fn graphql_from(
        &self,
        source: Option<IpAddr>,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let body = json!({"query": query, "variables": variables}).to_string();
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (_, text) = request(self.addr, source, &head).await.expect("request");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }

    /// CPU time (user + system) the server process has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<u64>().ok()).sum();
        Duration::from_millis(ticks * 10)
    }

    /// Resident memory in MiB.
    pub fn rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    }

    pub async fn register(&self, org: &str) -> (String, String) {
        let email = format!("admin-{}@example.test", Uuid::new_v4().simple());
        let data = self
            .graphql(
                None,
                "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
                json!({"i": {"organizationName": org, "country": "US", "name": "Ada", "email": email, "password": PASSWORD}}),
            )
            .await;
        let token =
            data["data"]["registerOrganization"]["token"].as_str().unwrap_or_else(|| panic!("{data}")).to_owned();
        (token, email)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends raw HTTP/1.1 text and reads the whole answer (Connection: close).
pub async fn request(addr: SocketAddr, source: Option<IpAddr>, text: &str) -> std::io::Result<(u16, String)> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let mut stream = socket.connect(addr).await?;
    stream.write_all(text.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    let body = if raw.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(&body) } else { body };
    Ok((status, body))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

pub fn code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}
