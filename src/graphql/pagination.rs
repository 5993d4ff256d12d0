//! The one way to paginate: `first` (1–100, default 20) and an opaque `after`
//! cursor; connections carry `pageInfo` and `totalCount`.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{AppError, AppResult, Invalid};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TotalCount {
    pub total_count: u64,
}

pub type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

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

/// A bounded list's `first` (1–100): how many items to return.
pub fn bounded_list_size(field: &str, first: i32) -> AppResult<usize> {
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(AppError::validation(field, Invalid::OutOfRange { min: 1, max: MAX_PAGE_SIZE as i64 }));
    }
    Ok(first as usize)
}

fn encode_cursor(position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{position}"))
}

fn decode_cursor(cursor: &str) -> AppResult<u64> {
    let bad = || AppError::validation("after", Invalid::BadFormat);
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("o:").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

/// Builds a connection from one page of items fetched at `window` out of `total`.
pub fn page<T: OutputType>(items: Vec<T>, window: Window, total: u64) -> Page<T> {
    let count = items.len() as u64;
    let has_next = window.offset + count < total;
    let mut connection =
        Connection::with_additional_fields(window.offset > 0, has_next, TotalCount { total_count: total });
    connection.edges.extend(
        items.into_iter().enumerate().map(|(i, item)| Edge::new(encode_cursor(window.offset + i as u64), item)),
    );
    connection
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
