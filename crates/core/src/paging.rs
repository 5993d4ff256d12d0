//! The one way to read a list (issue 13, issue 14): a window (`first` 1–100,
//! default 20, and an opaque `after` cursor) over a query ordered by a
//! [`Keyset`] — sort keys ending with the row's id — read with a keyset seek,
//! so rows inserted or deleted between pages never repeat or skip an item.
//! The total is counted only when the caller asks for it. Services use it;
//! GraphQL wraps the result in a connection.
//!
//! A cursor is base64 (URL-safe) of a small versioned JSON document: the
//! ordering it was made for and the sort key values of its row, id last.
//! A cursor of another ordering, or one that does not decode, is
//! VALIDATION_FAILED on `after`. A cursor edited by hand only moves where the
//! page starts: every query still carries the caller's access condition.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Value,
    sea_query::{Condition, Expr, ExprTrait, IntoCondition, Query, SelectStatement},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Invalid};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;
const CURSOR_VERSION: u8 = 1;
/// The column of a page's rows that carries the list's total.
const TOTAL_ALIAS: &str = "ld_total";

/// A validated window: at most `limit` rows after the `after` cursor (not yet
/// checked against an ordering: [`fetch`] does that), and whether to count.
#[derive(Debug, Clone)]
pub struct Window {
    pub limit: u64,
    pub after: Option<String>,
    /// Count every matching row too (one more statement): only when the
    /// caller selected the total.
    pub count: bool,
}

impl Window {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> AppResult<Window> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&first) {
            return Err(AppError::validation("first", Invalid::OutOfRange { min: 1, max: MAX_PAGE_SIZE as i64 }));
        }
        Ok(Window { limit: first as u64, after: after.map(str::to_owned), count: false })
    }

    pub fn counting(self, count: bool) -> Window {
        Window { count, ..self }
    }
}

/// The size of a page of a list nested in an object (issue 20: a list that
/// grows with data takes `first`, 1–100): VALIDATION_FAILED on `first` otherwise.
pub fn page_size(first: i32) -> AppResult<u64> {
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(AppError::validation("first", Invalid::OutOfRange { min: 1, max: MAX_PAGE_SIZE as i64 }));
    }
    Ok(first as u64)
}

/// The rows after `(at, id)` in an ascending (time, id) order: how a nested
/// page (issue 20) seeks past the row its `after` names.
pub fn after_row<T: Into<sea_orm::Value> + Clone>(
    time: impl sea_orm::ColumnTrait,
    id: impl sea_orm::ColumnTrait,
    at: T,
    row_id: uuid::Uuid,
) -> Condition {
    Condition::any().add(time.gt(at.clone())).add(Condition::all().add(time.eq(at)).add(id.gt(row_id)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// How a sort key's value is read from a row and written into a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Text,
    Int,
    Date,
    Time,
    Uuid,
}

#[derive(Debug, Clone)]
struct SortKey {
    expr: Expr,
    direction: Direction,
    kind: KeyKind,
}

/// An ordering that can be paged by seeking: sort keys, then the row's id as
/// the tie-break, so every row has one position. Sort keys must be NOT NULL
/// columns (an inner join's columns included): a NULL never compares, so it
/// would drop out of the seek. `name` goes into the cursor, so a cursor made
/// for one ordering is refused by another.
#[derive(Debug, Clone)]
pub struct Keyset {
    name: String,
    keys: Vec<SortKey>,
}

impl Keyset {
    pub fn new(name: impl Into<String>) -> Keyset {
        Keyset { name: name.into(), keys: Vec::new() }
    }

    /// A sort key: a column (`Entity::Column::X.into_expr()`, qualified, so
    /// joined tables' columns work too) and its direction.
    pub fn key(mut self, expr: impl Into<Expr>, direction: Direction, kind: KeyKind) -> Keyset {
        self.keys.push(SortKey { expr: expr.into(), direction, kind });
        self
    }

    /// The tie-break and last key: the row's UUID primary key.
    pub fn id(self, expr: impl Into<Expr>, direction: Direction) -> Keyset {
        self.key(expr, direction, KeyKind::Uuid)
    }

    fn alias(i: usize) -> String {
        format!("ld_key_{i}")
    }

    /// `(k1, …, kn) > (v1, …, vn)` in the keys' directions, written out as
    /// `k1 ▷ v1 OR (k1 = v1 AND k2 ▷ v2) OR …` (works on SQLite and
    /// PostgreSQL, with mixed directions), plus `k1 ⊵ v1` alone so the
    /// database can start an index range scan at the cursor.
    fn after(&self, values: &[Value]) -> Condition {
        let mut any = Condition::any();
        for (i, key) in self.keys.iter().enumerate() {
            let mut all = Condition::all();
            for (earlier, value) in self.keys.iter().zip(values).take(i) {
                all = all.add(earlier.expr.clone().eq(value.clone()));
            }
            let value = values[i].clone();
            all = all.add(match key.direction {
                Direction::Asc => key.expr.clone().gt(value),
                Direction::Desc => key.expr.clone().lt(value),
            });
            any = any.add(all);
        }
        let first = &self.keys[0];
        let start = match first.direction {
            Direction::Asc => first.expr.clone().gte(values[0].clone()),
            Direction::Desc => first.expr.clone().lte(values[0].clone()),
        };
        Condition::all().add(start).add(any).into_condition()
    }

    fn decode(&self, cursor: &str) -> AppResult<Vec<Value>> {
        let bad = || AppError::validation("after", Invalid::BadFormat);
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let doc: CursorDoc = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if doc.v != CURSOR_VERSION || doc.o != self.name || doc.k.len() != self.keys.len() {
            return Err(bad());
        }
        self.keys.iter().zip(&doc.k).map(|(key, text)| parse_value(key.kind, text).ok_or_else(bad)).collect()
    }

    fn encode(&self, values: Vec<String>) -> String {
        let doc = CursorDoc { v: CURSOR_VERSION, o: self.name.clone(), k: values };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap_or_default())
    }
}

#[derive(Serialize, Deserialize)]
struct CursorDoc {
    v: u8,
    o: String,
    k: Vec<String>,
}

fn parse_value(kind: KeyKind, text: &str) -> Option<Value> {
    Some(match kind {
        KeyKind::Text => Value::from(text.to_owned()),
        KeyKind::Int => Value::from(text.parse::<i64>().ok()?),
        KeyKind::Date => Value::from(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
        KeyKind::Time => Value::from(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc)),
        KeyKind::Uuid => Value::from(Uuid::parse_str(text).ok()?),
    })
}

/// Reads key `i` of a row as cursor text; the id key also as a UUID.
fn read_key(row: &sea_orm::QueryResult, i: usize, kind: KeyKind) -> Result<String, sea_orm::DbErr> {
    let col = Keyset::alias(i);
    Ok(match kind {
        KeyKind::Text => row.try_get::<String>("", &col)?,
        KeyKind::Int => row.try_get::<i64>("", &col)?.to_string(),
        KeyKind::Date => row.try_get::<NaiveDate>("", &col)?.format("%Y-%m-%d").to_string(),
        KeyKind::Time => row.try_get::<DateTime<Utc>>("", &col)?.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        KeyKind::Uuid => row.try_get::<Uuid>("", &col)?.to_string(),
    })
}

/// One page of a list: the items, each row's cursor by its id, whether more
/// follow, whether a cursor was given, and the total when it was asked for.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursors: HashMap<Uuid, String>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// The same page with its items replaced (e.g. vouched for by the access
    /// layer); cursors stay keyed by id.
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            cursors: self.cursors,
            has_next: self.has_next,
            has_previous: self.has_previous,
            total: self.total,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        let Page { items, cursors, has_next, has_previous, total } = self;
        Page { items: items.into_iter().map(f).collect(), cursors, has_next, has_previous, total }
    }

    /// An empty first page (e.g. the caller can see nothing here).
    pub fn empty() -> Page<T> {
        Page { items: Vec::new(), cursors: HashMap::new(), has_next: false, has_previous: false, total: Some(0) }
    }
}

/// Fetches one window of `query` in `keyset` order: seeks past the cursor,
/// takes `limit + 1` rows to learn whether more follow, and counts only
/// when the window asks. The one way every list is read.
pub async fn fetch<E>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    fetch_as::<E, E::Model>(db, query, keyset, window).await
}

/// Like [`fetch`], reading each row as `M` (a query that selects its own
/// columns, e.g. with a join).
pub async fn fetch_as<E, M>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    keyset: &Keyset,
    window: &Window,
) -> AppResult<Page<M>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    M: FromQueryResult + Send + Sync,
{
    let count = window.count.then(|| count_of(query.clone()));
    fetch_counted(db, query, keyset, window, count).await
}

/// `SELECT COUNT(*) FROM (query)`: the total of a list, as [`fetch_counted`] takes it.
pub fn count_of<E: EntityTrait>(query: Select<E>) -> SelectStatement {
    Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(QueryTrait::into_query(query), "ld_counted").to_owned()
}

/// A count statement for `whole` less `less` (two statements that each
/// select one count): a total read from a cheap superset, with what the
/// caller may not see (or is not listed) subtracted.
pub fn count_less(whole: SelectStatement, less: SelectStatement) -> SelectStatement {
    Query::select()
        .expr(Expr::SubQuery(None, Box::new(whole.into())).sub(Expr::SubQuery(None, Box::new(less.into()))))
        .to_owned()
}

/// Like [`fetch_as`], with the total counted by `count` (a statement that
/// selects one number) when the window asks for it. The count rides along in
/// the page's own statement as an uncorrelated scalar subquery (issue 23:
/// evaluated once, one round trip fewer); only an empty page after a cursor
/// asks for it on its own.
pub async fn fetch_counted<E, M>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    keyset: &Keyset,
    window: &Window,
    count: Option<SelectStatement>,
) -> AppResult<Page<M>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    M: FromQueryResult + Send + Sync,
{
    let seek = window.after.as_deref().map(|cursor| keyset.decode(cursor)).transpose()?;
    let count = count.filter(|_| window.count);
    let mut query = query;
    if let Some(count) = &count {
        query = query.expr_as(Expr::SubQuery(None, Box::new(count.clone().into())), TOTAL_ALIAS);
    }
    for (i, key) in keyset.keys.iter().enumerate() {
        let order = if key.direction == Direction::Asc { Order::Asc } else { Order::Desc };
        query = query.expr_as(key.expr.clone(), Keyset::alias(i)).order_by(key.expr.clone(), order);
    }
    if let Some(values) = &seek {
        query = query.filter(keyset.after(values));
    }
    let statement = query.limit(window.limit + 1).build(db.get_database_backend());
    let mut rows = db.query_all_raw(statement).await?;
    let has_next = rows.len() as u64 > window.limit;
    rows.truncate(window.limit as usize);
    let id_index = keyset.keys.len() - 1;
    let mut items = Vec::with_capacity(rows.len());
    let mut cursors = HashMap::with_capacity(rows.len());
    for row in &rows {
        let values =
            keyset.keys.iter().enumerate().map(|(i, key)| read_key(row, i, key.kind)).collect::<Result<Vec<_>, _>>()?;
        let id = Uuid::parse_str(&values[id_index]).map_err(AppError::internal)?;
        cursors.insert(id, keyset.encode(values));
        items.push(M::from_query_result(row, "")?);
    }
    let total = match (count, rows.first()) {
        (None, _) => None,
        (Some(_), Some(row)) => Some(std::cmp::max(row.try_get::<i64>("", TOTAL_ALIAS)?, 0) as u64),
        (Some(_), None) if seek.is_none() => Some(0),
        (Some(count), None) => {
            let statement = db.get_database_backend().build(&count);
            let row = db.query_one_raw(statement).await?;
            Some(std::cmp::max(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or_default(), 0) as u64)
        }
    };
    Ok(Page { items, cursors, has_next, has_previous: seek.is_some(), total })
}

#[cfg(test)]
mod tests {
    use sea_orm::{ColumnTrait, DbBackend};

    use super::*;

    #[test]
    fn page_size_must_be_1_to_100() {
        assert!(Window::parse(Some(0), None).is_err());
        assert!(Window::parse(Some(101), None).is_err());
        assert!(Window::parse(Some(-5), None).is_err());
        assert_eq!(Window::parse(Some(100), None).map(|w| w.limit).ok(), Some(100));
        assert_eq!(Window::parse(None, None).map(|w| w.limit).ok(), Some(20));
    }

    fn keyset(name: &str) -> Keyset {
        use entity::subscription::Column;
        Keyset::new(name)
            .key(Column::CurrentTermEnd.into_expr(), Direction::Desc, KeyKind::Date)
            .id(Column::Id.into_expr(), Direction::Asc)
    }

    #[test]
    fn cursor_round_trip_and_garbage_or_another_ordering_is_rejected() {
        let id = Uuid::new_v4();
        let cursor = keyset("a").encode(vec!["2026-03-01".into(), id.to_string()]);
        let values = keyset("a").decode(&cursor).expect("decodes");
        assert_eq!(values, vec![Value::from(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")), Value::from(id)]);
        assert!(keyset("b").decode(&cursor).is_err(), "another ordering's cursor");
        assert!(keyset("a").decode("garbage!").is_err());
        let wrong_kind = keyset("a").encode(vec!["yesterday".into(), id.to_string()]);
        assert!(keyset("a").decode(&wrong_kind).is_err());
    }

    #[test]
    fn the_seek_is_an_or_expansion_with_a_range_start() {
        let ks = keyset("a");
        let values = vec![Value::from(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")), Value::from(Uuid::nil())];
        let query = entity::subscription::Entity::find().filter(ks.after(&values));
        let sql = query.build(DbBackend::Postgres).to_string();
        assert!(sql.contains(r#""subscriptions"."current_term_end" <= '2026-03-01'"#), "{sql}");
        assert!(sql.contains(r#""subscriptions"."current_term_end" < '2026-03-01' OR"#), "{sql}");
        assert!(
            sql.contains(r#""subscriptions"."current_term_end" = '2026-03-01' AND "subscriptions"."id" >"#),
            "{sql}"
        );
    }
}
