//! Connections (`pageInfo`, `totalCount`, `edges`/`nodes`) over the keyset
//! pages of `crate::paging`.

use async_graphql::{
    Context, Enum, OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};

pub use crate::paging::Window;
use crate::paging::{Direction, Page as Rows};

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TotalCount {
    /// How many items the whole list holds (all pages). Counted only when
    /// this field is selected: leave it out when paging a long list.
    pub total_count: u64,
}

pub type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

/// Parses `first`/`after`; the total is counted only when the query selects
/// `totalCount` (issue 14: no COUNT over a whole table on every page).
pub fn window(ctx: &Context<'_>, first: Option<i32>, after: Option<&str>) -> crate::error::AppResult<Window> {
    Ok(Window::parse(first, after)?.counting(ctx.look_ahead().field("totalCount").exists()))
}

/// Builds a connection from one page; `id` gives each item's row id, whose
/// cursor the page holds.
pub fn page<T: OutputType>(rows: Rows<T>, id: impl Fn(&T) -> uuid::Uuid) -> Page<T> {
    let total = TotalCount { total_count: rows.total.unwrap_or_default() };
    let mut connection = Connection::with_additional_fields(rows.has_previous, rows.has_next, total);
    let cursors = rows.cursors;
    connection.edges.extend(rows.items.into_iter().map(|item| {
        let cursor = cursors.get(&id(&item)).cloned().unwrap_or_default();
        Edge::new(cursor, item)
    }));
    connection
}

/// Which way a list is sorted.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first: A to Z, oldest date first, lowest amount first.
    #[default]
    Asc,
    /// Largest first: Z to A, newest date first, highest amount first.
    Desc,
}

impl From<SortDirection> for Direction {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => Direction::Asc,
            SortDirection::Desc => Direction::Desc,
        }
    }
}

/// The `after` of a nested list: the `id` of the previous page's last item.
/// Anything but a UUID is VALIDATION_FAILED on `after`.
pub fn after_id(after: Option<&async_graphql::ID>) -> crate::error::AppResult<Option<uuid::Uuid>> {
    after
        .map(|id| {
            uuid::Uuid::parse_str(id.as_str())
                .map_err(|_| crate::error::AppError::validation("after", crate::error::Invalid::BadFormat))
        })
        .transpose()
}

/// One page of a list already in memory, in its order: at most `first`
/// (1–100) items after the one whose id is `after` (VALIDATION_FAILED on
/// `after` when it is none of them).
pub fn slice<'a, T>(
    items: &'a [T],
    id: impl Fn(&T) -> uuid::Uuid,
    first: i32,
    after: Option<&async_graphql::ID>,
) -> crate::error::AppResult<&'a [T]> {
    let first = crate::paging::page_size(first)? as usize;
    let start = match after_id(after)? {
        None => 0,
        Some(after) => {
            items
                .iter()
                .position(|item| id(item) == after)
                .ok_or_else(|| crate::error::AppError::validation("after", crate::error::Invalid::BadFormat))?
                + 1
        }
    };
    let end = start.saturating_add(first).min(items.len());
    Ok(&items[start..end])
}
