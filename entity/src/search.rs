//! Search as a person types (issue 13): text is folded in Rust — Unicode
//! compatibility decomposition, accents dropped, lower case, and the letters
//! that do not decompose (æ, ø, ß, đ, ł, œ, þ) spelled out — so "Ångström",
//! "angstrom" and "ÅNGSTRÖM" meet, with the same result on SQLite and
//! PostgreSQL. Each save stores the folded word sequences of the name (every
//! word onward, so a surname or "lovelace k" matches) and, for users, the
//! e-mail, in `search_terms`; a search is a prefix range on that indexed column.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
use uuid::Uuid;

use crate::search_term;

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
}
