//! R33: the daily billing run inside the server. The run itself, its lease
//! and its steps are the core's `billing::run`; this only decides when.

use std::time::Duration;

use crate::{
    service::billing_run::{has_run, run_billing},
    state::AppState,
};

pub const SCHEDULER_CHECK: Duration = Duration::from_secs(60 * 60);

/// Starts the daily billing run inside the server (R33): every hour it checks
/// whether today's run has completed and runs it if not. Errors are logged;
/// the task never panics and never stops the server.
pub fn spawn_scheduler(state: AppState) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(SCHEDULER_CHECK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            scheduled_tick(&state).await;
        }
    });
}

/// One check of the scheduler: runs billing for today unless it already ran.
pub async fn scheduled_tick(state: &AppState) {
    let today = state.clock.today();
    match has_run(state, today).await {
        Ok(true) => {}
        Ok(false) => match crate::metrics::recorded(run_billing(state, today).await) {
            // run_billing logs its own report.
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, %today, "scheduled billing run failed; retrying within the hour"),
        },
        Err(e) => tracing::error!(error = ?e, "cannot read the billing runs"),
    }
}
