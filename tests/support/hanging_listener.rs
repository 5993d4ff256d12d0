//! A webhook receiver that accepts connections, reads each request and never
//! answers (issue 20 item 6's hostile endpoint), counting the connections it
//! holds open per request path. Shared by the in-process (`tests/api`) and
//! real-binary (`tests/process`) webhook fairness tests.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::io::AsyncReadExt;

/// Connections currently held open per request path, and the most seen at once.
#[derive(Default)]
pub struct Hanging {
    pub open: HashMap<String, usize>,
    pub most_per_path: usize,
    pub most_total: usize,
}

/// Starts the listener on a free loopback port.
pub async fn hanging_listener() -> (SocketAddr, Arc<Mutex<Hanging>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen: Arc<Mutex<Hanging>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]);
                let path = text.split_whitespace().nth(1).unwrap_or("-").to_owned();
                {
                    let mut log = log.lock().expect("log");
                    *log.open.entry(path.clone()).or_default() += 1;
                    log.most_per_path = log.most_per_path.max(log.open[&path]);
                    log.most_total = log.most_total.max(log.open.values().sum());
                }
                // Hold the connection until the client gives up, answering nothing.
                let _ = stream.read(&mut buf).await;
                *log.lock().expect("log").open.entry(path).or_default() -= 1;
            });
        }
    });
    (addr, seen)
}
