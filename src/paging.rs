//! The one way to read a list: a window (`first` 1–100, default 20, and an
//! opaque `after` cursor) over an ordered query, with the total count.
//! Services use it; GraphQL wraps the result in a connection.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{AppError, AppResult, Invalid};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// A validated window: skip `offset`, take `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

impl Window {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> AppResult<Window> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&first) {
            return Err(AppError::validation("first", Invalid::OutOfRange { min: 1, max: MAX_PAGE_SIZE as i64 }));
        }
        let offset = match after {
            None => 0,
            Some(cursor) => decode_cursor(cursor)? + 1,
        };
        Ok(Window { offset, limit: first as u64 })
    }
}

pub(crate) fn encode_cursor(position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{position}"))
}

fn decode_cursor(cursor: &str) -> AppResult<u64> {
    let bad = || AppError::validation("after", Invalid::BadFormat);
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("o:").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

/// Fetches one window of an (ordered) query and the total count: the one way
/// every list is read.
pub async fn fetch<E>(
    db: &impl sea_orm::ConnectionTrait,
    query: sea_orm::Select<E>,
    window: Window,
) -> AppResult<(Vec<E::Model>, u64)>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let total = query.clone().count(db).await?;
    let rows = query.offset(window.offset).limit(window.limit).all(db).await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_must_be_1_to_100() {
        assert!(Window::parse(Some(0), None).is_err());
        assert!(Window::parse(Some(101), None).is_err());
        assert!(Window::parse(Some(-5), None).is_err());
        assert_eq!(Window::parse(Some(100), None).map(|w| w.limit).ok(), Some(100));
        assert_eq!(Window::parse(None, None).map(|w| w.limit).ok(), Some(20));
    }

    #[test]
    fn cursor_round_trip_and_garbage_is_rejected() {
        let cursor = encode_cursor(41);
        assert_eq!(Window::parse(Some(10), Some(&cursor)).map(|w| w.offset).ok(), Some(42));
        assert!(Window::parse(Some(10), Some("garbage!")).is_err());
    }
}
