//! Serving the router on a socket until SIGTERM or Ctrl-C.

use std::time::Duration;

use super::build_router;
use crate::state::{AppState, ClientAddr};

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
/// hyper's own connection builder instead of `axum::serve`, for a
/// header-read timeout: a client that trickles its request head is cut off
/// after `header_read_timeout` instead of holding a connection open.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    raise_file_limit(&state.config.sockets);
    let address = state.config.listen;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {address}: {e}")))?;
    tracing::info!(address = %listener.local_addr()?, "LicenseDesk listening");
    let _events = crate::workers::start(&state);
    let hub = state.events.clone();
    let usage = tokio::spawn(crate::workers::usage::run(state.clone()));
    let header_read_timeout = state.config.header_read_timeout;
    let flush_state = state.clone();
    let router = build_router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ClientAddr(peer.ip()));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
        let connection =
            graceful.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    // Live connections are told why they close (1001) before the process ends.
    hub.stop();
    hub.sockets_closed(Duration::from_secs(2)).await;
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after 30 s; stopping anyway");
    }
    // R51: the last license checks' uses are written before the process ends.
    usage.abort();
    crate::workers::usage::flush(&flush_state).await;
    Ok(())
}

/// File descriptors the server needs besides its sockets: the database pool,
/// log and PDF files, the webhook client's connections.
pub const BASE_FILE_NEED: u64 = 256;

/// Raises the soft limit on open files towards what the configured sockets
/// need (issue 20): every open WebSocket and HTTP connection is one file
/// descriptor, so the need is `BASE_FILE_NEED` + `max_total` sockets + as
/// many HTTP connections. Raised up to the hard limit; a lower hard limit is
/// logged with the number to configure (README "File limit").
pub fn raise_file_limit(sockets: &crate::config::SocketLimits) {
    #[cfg(unix)]
    {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let need = BASE_FILE_NEED.saturating_add(2u64.saturating_mul(sockets.max_total as u64));
        let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return };
        if soft >= need {
            return;
        }
        let target = need.min(hard);
        match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
            Ok(()) => tracing::info!(from = soft, to = target, "raised the soft limit on open files"),
            Err(e) => tracing::warn!(error = %e, soft, "cannot raise the soft limit on open files"),
        }
        if target < need {
            tracing::warn!(
                limit = target,
                need,
                "the hard limit on open files is below what the configured sockets need; raise it (ulimit -Hn) or lower LICENSEDESK_WS_MAX_CONNECTIONS"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = sockets;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
