//! Search as a person types (issue 13): text is folded in Rust — Unicode
//! compatibility decomposition, accents dropped, lower case, and the letters
//! that do not decompose (æ, ø, ß, đ, ł, œ, þ) spelled out — so "Ångström",
//! "angstrom" and "ÅNGSTRÖM" meet, with the same result on SQLite and
//! PostgreSQL. Each save stores the folded word sequences of the name (every
//! word onward, so a surname or "lovelace k" matches) and, for users, the
//! e-mail, in `search_terms`; a search is a prefix range on that indexed column.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
use uuid::Uuid;

use crate::{search_term, user_search_prefix as prefix_row, user_search_prefix_count as prefix_count};

pub const USER: &str = "user";
pub const PRODUCT: &str = "product";
/// Terms longer than this are cut (names and e-mails are shorter anyway).
const MAX_TERM_CHARS: usize = 200;

/// Folds text for matching: "Åsa Ærø-Öberg" → "asa aero-oberg".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'æ' | 'Æ' => out.push_str("ae"),
            'ø' | 'Ø' => out.push('o'),
            'ß' | 'ẞ' => out.push_str("ss"),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ł' | 'Ł' => out.push('l'),
            'œ' | 'Œ' => out.push_str("oe"),
            'þ' | 'Þ' => out.push_str("th"),
            'ı' => out.push('i'),
            c if c.is_whitespace() => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The folded name from each word onward: "Ada Lovelace" → ["ada lovelace", "lovelace"].
pub fn name_terms(name: &str) -> Vec<String> {
    let folded = fold(name);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    (0..words.len()).map(|i| cut(words[i..].join(" "))).collect()
}

fn cut(term: String) -> String {
    if term.chars().count() <= MAX_TERM_CHARS { term } else { term.chars().take(MAX_TERM_CHARS).collect() }
}

/// The half-open range of terms that start with the folded `prefix`, or None
/// when nothing is left to match after folding.
pub fn prefix_range(prefix: &str) -> Option<(String, String)> {
    let low = cut(fold(prefix));
    if low.is_empty() {
        return None;
    }
    let mut high = low.clone();
    high.push(char::MAX);
    Some((low, high))
}

/// Searches this short (in folded characters) match so many people that
/// their page and total are kept per prefix (`user_search_prefixes`).
pub const SHORT_PREFIX_CHARS: usize = 3;

/// The folded `text` when it is a short prefix (one to
/// [`SHORT_PREFIX_CHARS`] characters after folding).
pub fn short_prefix(text: &str) -> Option<String> {
    let folded = fold(text);
    let chars = folded.chars().count();
    (1..=SHORT_PREFIX_CHARS).contains(&chars).then_some(folded)
}

/// Every distinct short prefix of `terms`: the first one to
/// [`SHORT_PREFIX_CHARS`] characters of each (what SQL's `substr(term, 1, n)`
/// cuts, so the migration's backfill makes the same rows).
pub fn short_prefixes(terms: &[String]) -> BTreeSet<String> {
    let mut prefixes = BTreeSet::new();
    for term in terms {
        let mut prefix = String::new();
        for c in term.chars().take(SHORT_PREFIX_CHARS) {
            prefix.push(c);
            prefixes.insert(prefix.clone());
        }
    }
    prefixes
}

/// Who a user's short prefixes belong to, as their save left them (the
/// user entity's save hook fills it; this module does not know the entity).
pub struct PrefixOwner<'a> {
    pub user_id: Uuid,
    /// Their organization or publisher.
    pub scope_id: Uuid,
    pub name: &'a str,
    /// Not deleted (R43).
    pub listed: bool,
    /// Listed and active.
    pub active: bool,
}

/// Keeps a user's short prefixes (their `terms`' [`short_prefixes`], with
/// their name and whether a search lists them) and the per-prefix counts in
/// step with a save: the counts move by what changed, so two saves of
/// different people add up; the count rows are written in key order, so two
/// saves at once lock them in the same order. A save that changed neither
/// the name, the terms nor the status writes nothing.
pub async fn replace_user_prefixes<C: ConnectionTrait>(
    db: &C,
    owner: &PrefixOwner<'_>,
    terms: &[String],
) -> Result<(), DbErr> {
    let PrefixOwner { user_id, scope_id, name, listed, active } = *owner;
    let prefixes = short_prefixes(terms);
    let old = prefix_row::Entity::find().filter(prefix_row::Column::UserId.eq(user_id)).all(db).await?;
    let unchanged = old.len() == prefixes.len()
        && old.iter().all(|row| {
            prefixes.contains(&row.prefix)
                && (row.scope_id, row.name.as_str(), row.listed, row.active) == (scope_id, name, listed, active)
        });
    if unchanged {
        return Ok(());
    }
    let mut moved: BTreeMap<(Uuid, &str), (i64, i64)> = BTreeMap::new();
    for row in &old {
        let counts = moved.entry((row.scope_id, row.prefix.as_str())).or_default();
        counts.0 -= i64::from(row.listed);
        counts.1 -= i64::from(row.active);
    }
    for prefix in &prefixes {
        let counts = moved.entry((scope_id, prefix.as_str())).or_default();
        counts.0 += i64::from(listed);
        counts.1 += i64::from(active);
    }
    moved.retain(|_, counts| *counts != (0, 0));
    if !moved.is_empty() {
        let rows = moved.iter().map(|((scope_id, prefix), (listed, active))| prefix_count::ActiveModel {
            scope_id: Set(*scope_id),
            prefix: Set((*prefix).to_owned()),
            listed: Set(*listed),
            active: Set(*active),
        });
        let plus = |column: prefix_count::Column| {
            Expr::col((prefix_count::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
        };
        prefix_count::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([prefix_count::Column::ScopeId, prefix_count::Column::Prefix])
                    .value(prefix_count::Column::Listed, plus(prefix_count::Column::Listed))
                    .value(prefix_count::Column::Active, plus(prefix_count::Column::Active))
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    if !old.is_empty() {
        prefix_row::Entity::delete_many().filter(prefix_row::Column::UserId.eq(user_id)).exec(db).await?;
    }
    if !prefixes.is_empty() {
        let rows = prefixes.into_iter().map(|prefix| prefix_row::ActiveModel {
            user_id: Set(user_id),
            prefix: Set(prefix),
            scope_id: Set(scope_id),
            name: Set(name.to_owned()),
            listed: Set(listed),
            active: Set(active),
        });
        prefix_row::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Replaces the stored terms of one user or product.
pub async fn replace_terms<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    owner_id: Uuid,
    scope_id: Option<Uuid>,
    terms: Vec<String>,
) -> Result<(), DbErr> {
    search_term::Entity::delete_many()
        .filter(search_term::Column::Kind.eq(kind))
        .filter(search_term::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    let mut terms: Vec<String> = terms.into_iter().filter(|t| !t.is_empty()).collect();
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return Ok(());
    }
    let rows = terms.into_iter().map(|term| search_term::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(kind.to_owned()),
        owner_id: Set(owner_id),
        scope_id: Set(scope_id),
        term: Set(term),
    });
    search_term::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Åsa ÆRØ-Öberg"), "asa aero-oberg");
        assert_eq!(fold("Émile Über  Straße"), "emile uber strasse");
        assert_eq!(fold("ÅNGSTRÖM"), fold("angstrom"));
        assert_eq!(fold("王小明"), "王小明");
        assert_eq!(name_terms("Ada  Lovelace King"), vec!["ada lovelace king", "lovelace king", "king"]);
        assert_eq!(prefix_range("  "), None);
        let (low, high) = prefix_range("Öb").expect("range");
        assert!(low.as_str() <= "oberg" && "oberg" < high.as_str());
        assert!(!("obf" < high.as_str() && low.as_str() <= "obf") || "obf".starts_with(&low));
    }

    /// Issue 23 (b): the short prefixes are the first one to three
    /// characters of each term, counted in characters, not bytes.
    #[test]
    fn short_prefixes_are_the_first_characters_of_each_term() {
        let terms: Vec<String> = ["åsa berg", "berg", "王小明", "b"].iter().map(|t| fold(t)).collect();
        let expected = ["a", "as", "asa", "b", "be", "ber", "王", "王小", "王小明"];
        assert_eq!(short_prefixes(&terms), expected.iter().map(|p| (*p).to_owned()).collect());
        assert_eq!(short_prefix(" MA "), Some("ma".to_owned()));
        assert_eq!(short_prefix("Ærø"), None, "folds to four characters (aero)");
        assert_eq!(short_prefix("  "), None);
    }
}
