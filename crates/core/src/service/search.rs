//! The search-term condition shared by `users(search)` and
//! `products(filter: {search})` (issue 13): owners with a stored term that
//! starts with the folded text (see `entity::search`), an indexed range.

use entity::{search_term, user};
use sea_orm::{
    ColumnTrait, DbBackend,
    sea_query::{Condition, Expr, ExprTrait, JoinType, Query, SelectStatement},
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

/// `SELECT COUNT(*)` of the users `matching` ([`owners_matching`]) names that
/// meet `listed` (conditions on `users` columns): the total of a people
/// search (issue 23). It is driven by the term index — the distinct owners of
/// the matching terms, an index-only range — and probes each owner by the
/// users' primary key, so its cost follows the matches, never the size of the
/// organization. On PostgreSQL the probe is a LATERAL subquery with LIMIT 1,
/// which the planner keeps per row (a plain join or `IN` lets it hash a scan
/// of all the organization's users instead); SQLite joins by lookups anyway.
pub fn count_listed(backend: DbBackend, matching: SelectStatement, listed: Condition) -> SelectStatement {
    const OWNERS: &str = "ld_owners";
    let mut owners = matching;
    owners.distinct();
    let owner_is_user = Expr::col((user::Entity, user::Column::Id)).equals((OWNERS, search_term::Column::OwnerId));
    let mut count = Query::select();
    count.expr(Expr::cust("COUNT(*)")).from_subquery(owners, OWNERS);
    if backend == DbBackend::Postgres {
        let probe = Query::select()
            .expr(Expr::cust("1"))
            .from(user::Entity)
            .cond_where(Condition::all().add(owner_is_user).add(listed))
            .limit(1)
            .to_owned();
        count.join_lateral(JoinType::InnerJoin, probe, "ld_listed", Expr::cust("TRUE"));
    } else {
        count.join(JoinType::InnerJoin, user::Entity, owner_is_user).cond_where(listed);
    }
    count.to_owned()
}
