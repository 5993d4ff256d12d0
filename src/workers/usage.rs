//! R51: writes the license checks' last-use times, gathered in memory by the
//! core (`service::usage::UsageBuffer`), every `usage_flush` seconds in one
//! transaction, and once more when the server shuts down.

use crate::state::AppState;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(state.config.usage_flush);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        flush(&state).await;
    }
}

/// Writes what is waiting; a failure keeps it for the next flush.
pub async fn flush(state: &AppState) {
    let pending = state.usage.pending();
    if pending == 0 {
        return;
    }
    match state.usage.flush(&state.db).await {
        Ok(moved) => tracing::debug!(pending, moved, "wrote license uses"),
        Err(e) => tracing::warn!(error = %e, pending, "cannot write license uses yet; keeping them for the next flush"),
    }
}
