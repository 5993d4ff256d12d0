//! R33: the billing run (filled in by the billing work).

use chrono::NaiveDate;

use crate::{app::AppState, error::AppResult};

pub async fn run_billing(_state: &AppState, as_of: NaiveDate) -> AppResult<String> {
    Ok(format!("billing run for {as_of}: nothing to do"))
}
