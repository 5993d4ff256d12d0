//! Demo data (filled in with the catalog).

use crate::{app::AppState, error::AppResult};

pub async fn seed(_state: &AppState) -> AppResult<()> {
    Ok(())
}
