//! The search-term condition shared by `users(search)` and
//! `products(filter: {search})` (issue 13): owners with a stored term that
//! starts with the folded text (see `entity::search`), an indexed range.

use entity::{search_term, user, user_search_prefix as prefix_row, user_search_prefix_count as prefix_count};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, RelationDef, Select,
    sea_query::{Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement},
};
use uuid::Uuid;

use crate::paging::{Direction, KeyKind, Keyset};

/// The IDs of the `kind` rows (in `scope`, when given) with a term starting
/// with the folded `text`; None when nothing is left after folding.
pub fn owners_matching(kind: &str, scope: Option<Uuid>, text: &str) -> Option<SelectStatement> {
    let (low, high) = entity::search::prefix_range(text)?;
    let mut select = Query::select();
    select
        .column(search_term::Column::OwnerId)
        .from(search_term::Entity)
        .and_where(search_term::Column::Kind.eq(kind))
        .and_where(Expr::col((search_term::Entity, search_term::Column::Term)).gte(crate::db::planned_bound(low)))
        .and_where(Expr::col((search_term::Entity, search_term::Column::Term)).lt(crate::db::planned_bound(high)));
    if let Some(scope) = scope {
        select.and_where(search_term::Column::ScopeId.eq(scope));
    }
    Some(select)
}

/// The people a people search lists (R23, R43): users of `organization_id`
/// not deleted, and active unless `with_deactivated`.
pub fn listed_users(organization_id: Uuid, with_deactivated: bool) -> Condition {
    let listed =
        Condition::all().add(user::Column::OrganizationId.eq(organization_id)).add(user::Column::DeletedAt.is_null());
    if with_deactivated { listed } else { listed.add(user::Column::Active.eq(true)) }
}

/// The users of `organization_id` that [`listed_users`] leaves out: deleted,
/// or deactivated unless `with_deactivated` (a partial index holds them).
fn unlisted_users(organization_id: Uuid, with_deactivated: bool) -> Condition {
    let mut unlisted = Condition::any().add(user::Column::DeletedAt.is_not_null());
    if !with_deactivated {
        unlisted = unlisted.add(user::Column::Active.eq(false));
    }
    Condition::all().add(user::Column::OrganizationId.eq(organization_id)).add(unlisted)
}

/// `SELECT COUNT(*)` of the people of `organization_id` [`listed_users`]
/// lists whom `matching` ([`owners_matching`] in that organization) names:
/// the total of a people search (issue 23), driven by the term index, never
/// by a scan of the organization's users.
///
/// PostgreSQL: the distinct owners of the matching terms (an index-only range
/// of `ix_search_terms_scope_term_owner`) less the matching people who are
/// not listed (deleted or deactivated ones, from the partial index
/// `idx_users_org_unlisted`), so no user row is read for a listed match. A
/// term's owner is always a user of the term's scope (`entity::search`), so
/// the difference is exact. SQLite: the distinct owners joined to `users` by
/// primary key (its planner always joins by lookups), the same number.
pub fn count_listed(
    backend: DbBackend,
    matching: SelectStatement,
    organization_id: Uuid,
    with_deactivated: bool,
) -> SelectStatement {
    const OWNERS: &str = "ld_owners";
    if backend == DbBackend::Postgres {
        let owners = Query::select()
            .expr(Expr::cust("COUNT(DISTINCT \"ld_owners\".\"owner_id\")"))
            .from_subquery(matching.clone(), OWNERS)
            .to_owned();
        let mut named = matching;
        named.and_where(search_term::Column::OwnerId.into_expr().equals((user::Entity, user::Column::Id)));
        let unlisted = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(user::Entity)
            .cond_where(unlisted_users(organization_id, with_deactivated))
            .and_where(Expr::exists(named))
            .to_owned();
        return crate::paging::count_less(owners, unlisted);
    }
    let mut owners = matching;
    owners.distinct();
    let owner_is_user = Expr::col((user::Entity, user::Column::Id)).equals((OWNERS, search_term::Column::OwnerId));
    Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(owners, OWNERS)
        .join(JoinType::InnerJoin, user::Entity, owner_is_user)
        .cond_where(listed_users(organization_id, with_deactivated))
        .to_owned()
}

/// A people search for a short prefix (issue 23 (b)): the page, its order
/// and its total, none of which grows with the organization.
pub struct ShortSearch {
    /// The listed people with the prefix, joined to their prefix row.
    pub query: Select<user::Entity>,
    /// By name, then id, read from the prefix rows' index
    /// (scope_id, prefix, name, user_id), so the page is the first rows of
    /// the prefix's range; the cursor is the one the other searches use.
    pub by_name: Keyset,
    /// The total: one row of the kept counts.
    pub count: SelectStatement,
}

/// [`ShortSearch`] for the folded `prefix` (at most
/// `entity::search::SHORT_PREFIX_CHARS` characters) in `organization_id`:
/// the people [`listed_users`] lists, `with_deactivated` as there.
pub fn short_prefix_search(
    organization_id: Uuid,
    prefix: &str,
    with_deactivated: bool,
    direction: Direction,
) -> ShortSearch {
    let to_prefix_row: RelationDef =
        user::Entity::belongs_to(prefix_row::Entity).from(user::Column::Id).to(prefix_row::Column::UserId).into();
    let (row_flag, counted) = if with_deactivated {
        (prefix_row::Column::Listed, prefix_count::Column::Listed)
    } else {
        (prefix_row::Column::Active, prefix_count::Column::Active)
    };
    let query = user::Entity::find()
        .join(JoinType::InnerJoin, to_prefix_row)
        .filter(prefix_row::Column::ScopeId.eq(organization_id))
        .filter(prefix_row::Column::Prefix.eq(prefix))
        .filter(row_flag.eq(true))
        // The users' own columns decide; the row's flag lets the walk skip
        // the people not listed without reading them.
        .filter(listed_users(organization_id, with_deactivated));
    let by_name = Keyset::new(format!("users:NAME:{direction:?}"))
        .key(Expr::col((prefix_row::Entity, prefix_row::Column::Name)), direction, KeyKind::Text)
        .id(Expr::col((prefix_row::Entity, prefix_row::Column::UserId)), direction);
    let kept = Query::select()
        .column(counted)
        .from(prefix_count::Entity)
        .and_where(prefix_count::Column::ScopeId.eq(organization_id))
        .and_where(prefix_count::Column::Prefix.eq(prefix))
        .to_owned();
    let count =
        Query::select().expr(Func::coalesce([Expr::SubQuery(None, Box::new(kept.into())), Expr::val(0i64)])).to_owned();
    ShortSearch { query, by_name, count }
}
