//! The search-term condition shared by `users(search)` and
//! `products(filter: {search})` (issue 13): owners with a stored term that
//! starts with the folded text (see `entity::search`), an indexed range.

use entity::search_term;
use sea_orm::{
    ColumnTrait,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

/// The IDs of the `kind` rows (in `scope`, when given) with a term starting
/// with the folded `text`; None when nothing is left after folding.
pub fn owners_matching(kind: &str, scope: Option<Uuid>, text: &str) -> Option<SelectStatement> {
    let (low, high) = entity::search::prefix_range(text)?;
    let mut select = Query::select();
    select
        .column(search_term::Column::OwnerId)
        .from(search_term::Entity)
        .and_where(search_term::Column::Kind.eq(kind))
        .and_where(search_term::Column::Term.gte(low))
        .and_where(search_term::Column::Term.lt(high));
    if let Some(scope) = scope {
        select.and_where(search_term::Column::ScopeId.eq(scope));
    }
    Some(select)
}
