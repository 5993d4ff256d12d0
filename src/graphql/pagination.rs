//! Connections (`pageInfo`, `totalCount`, `edges`/`nodes`) over the windows
//! of `crate::paging`.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};

pub use crate::paging::Window;
use crate::paging::encode_cursor;

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TotalCount {
    /// How many items match in all, over every page.
    pub total_count: u64,
}

pub type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

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
