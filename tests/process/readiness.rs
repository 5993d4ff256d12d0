//! Issue 12 §4: /readyz answers within a second whatever the database does,
//! recovers without a restart; start-up against an unreachable database fails
//! fast naming the host. A TCP proxy in the test stands between the server
//! and PostgreSQL and refuses, blackholes or forwards connections.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{net::TcpListener, sync::broadcast};

use crate::harness::{Server, command, fresh_postgres_database, postgres_server};

const FORWARD: u8 = 0;
const REFUSE: u8 = 1;
const BLACKHOLE: u8 = 2;

struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    cut: broadcast::Sender<()>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mode = Arc::new(AtomicU8::new(FORWARD));
        let (cut, _) = broadcast::channel(4);
        let (m, c) = (mode.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mode = m.load(Ordering::SeqCst);
                let mut cut = c.subscribe();
                tokio::spawn(async move {
                    match mode {
                        REFUSE => drop(client),
                        BLACKHOLE => {
                            let _ = cut.recv().await;
                            drop(client);
                        }
                        _ => {
                            let Ok(mut server) = tokio::net::TcpStream::connect(target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = cut.recv() => {}
                            }
                        }
                    }
                });
            }
        });
        Proxy { addr, mode, cut }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        let _ = self.cut.send(());
    }
}

async fn ready_within_a_second(server: &Server) -> (u16, Duration) {
    let started = Instant::now();
    let status = match tokio::time::timeout(Duration::from_secs(3), server.get("/readyz")).await {
        Ok(Ok((status, _))) => status,
        _ => 0,
    };
    (status, started.elapsed())
}

fn pg_target(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:5432") };
    let host = host.replace("localhost", "127.0.0.1");
    host.parse().expect("PostgreSQL host:port")
}

#[tokio::test]
async fn readyz_answers_503_within_a_second_when_postgres_is_unreachable_and_recovers() {
    let Some(server_url) = postgres_server() else {
        eprintln!("skipped: set LICENSEDESK_TEST_POSTGRES_URL to run the PostgreSQL fault tests");
        return;
    };
    let url = fresh_postgres_database(&server_url).await;
    let proxy = Proxy::start(pg_target(&url)).await;
    let via_proxy = url.replacen(&pg_target(&url).to_string(), &proxy.addr.to_string(), 1).replacen(
        "localhost:5432",
        &proxy.addr.to_string(),
        1,
    );
    let server = Server::start(&via_proxy, &[("LICENSEDESK_DB_ACQUIRE_TIMEOUT_SECONDS", "2")]).await;
    assert_eq!(ready_within_a_second(&server).await.0, 200);
    let mut figures = Vec::new();
    for (name, mode) in [("refused", REFUSE), ("blackholed", BLACKHOLE)] {
        proxy.set(mode);
        for _ in 0..3 {
            let (status, took) = ready_within_a_second(&server).await;
            assert_eq!(status, 503, "{name}");
            assert!(took < Duration::from_secs(1), "{name}: {took:?}");
            figures.push(format!("{name}: 503 in {} ms", took.as_millis()));
        }
        proxy.set(FORWARD);
        let started = Instant::now();
        loop {
            if ready_within_a_second(&server).await.0 == 200 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "{name}: no recovery without a restart");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        figures.push(format!("{name}: 200 again {} ms after recovery", started.elapsed().as_millis()));
    }
    eprintln!("readiness figures: {}", figures.join(", "));
}

#[tokio::test]
async fn start_up_against_an_unreachable_database_fails_fast_naming_the_host() {
    // Nothing listens on this port: refused at once.
    let port = crate::harness::free_port();
    let refused = format!("postgres://postgres@127.0.0.1:{port}/licensedesk");
    // Accepts but never answers: the connect timeout must fire.
    let blackhole = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hole = format!("postgres://postgres@{}/licensedesk", blackhole.local_addr().expect("addr"));
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = blackhole.accept().await {
            held.push(socket);
        }
    });
    for url in [refused, hole] {
        let started = Instant::now();
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || command(&url).env("LICENSEDESK_DB_CONNECT_TIMEOUT_SECONDS", "2").arg("migrate").output()
        })
        .await
        .expect("join")
        .expect("run");
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        let host = url.split('@').nth(1).and_then(|r| r.split('/').next()).unwrap_or_default();
        assert!(stderr.contains(host), "names {host}: {stderr}");
        assert!(!stderr.contains("postgres@"), "no user in the message: {stderr}");
        assert!(took < Duration::from_secs(5), "{url}: {took:?}");
        eprintln!("start-up against {host}: failed in {} ms", took.as_millis());
    }
}
