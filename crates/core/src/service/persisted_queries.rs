//! Persisted queries (issue 24 item 1): Apollo's automatic persisted queries
//! (APQ) and an optional allow-list of trusted documents.
//!
//! APQ: a client sends `extensions.persistedQuery.sha256Hash` and, the first
//! time, the document with it. A registered document is kept in the database
//! (`persisted_queries`), so a hash-only request is answered by whichever
//! instance it reaches. The hash is checked against the text before anything
//! is stored, and only documents that passed the query pre-pass are stored.
//!
//! Trusted documents: when an allow-list is configured, only the documents in
//! it run (by hash or by full text); APQ then resolves hashes from the list
//! and registers nothing.

use std::collections::HashMap;

use entity::persisted_query;
use sea_orm::{EntityTrait, PaginatorTrait, Set, sea_query::OnConflict};
use sha2::{Digest, Sha256};

use crate::{error::AppResult, service::Services};

/// Most documents the APQ store keeps. Past it new documents are not
/// registered (they still run when sent in full), so anonymous clients
/// cannot grow the table without bound.
pub const MAX_STORED: u64 = 10_000;

/// Lowercase hex SHA-256 of a document, as Apollo Client computes it.
pub fn sha256_hex(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

/// Whether `hash` looks like a SHA-256 in hex (64 hex digits).
pub fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The registered document with this hash, if any.
pub async fn find(services: &Services, sha256: &str) -> AppResult<Option<String>> {
    let row = persisted_query::Entity::find_by_id(sha256.to_ascii_lowercase()).one(&services.db).await?;
    Ok(row.map(|r| r.document))
}

/// Registers a document under its hash (idempotent; two instances
/// registering the same document at once agree). The caller has checked that
/// `sha256` is the document's hash. Returns false when the store is full.
pub async fn register(services: &Services, document: &str) -> AppResult<bool> {
    let stored = persisted_query::Entity::find().count(&services.db).await?;
    if stored >= MAX_STORED {
        return Ok(false);
    }
    let row = persisted_query::ActiveModel {
        sha256: Set(sha256_hex(document)),
        document: Set(document.to_owned()),
        created_at: Set(services.clock.now()),
    };
    persisted_query::Entity::insert(row)
        .on_conflict(OnConflict::column(persisted_query::Column::Sha256).do_nothing().to_owned())
        .exec_without_returning(&services.db)
        .await?;
    Ok(true)
}

/// The allow-list of trusted documents, by SHA-256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedDocuments {
    by_hash: HashMap<String, String>,
}

impl TrustedDocuments {
    /// Reads an allow-list: either Apollo's persisted query manifest
    /// (`{"format": "apollo-persisted-query-manifest", "version": 1,
    /// "operations": [{"id", "name", "type", "body"}]}`, as written by
    /// `@apollo/generate-persisted-query-manifest`) or a plain JSON object
    /// from SHA-256 to document. Every hash must be the SHA-256 of its document.
    pub fn parse(text: &str) -> Result<TrustedDocuments, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("trusted documents are not JSON: {e}"))?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        match value.get("operations").and_then(|o| o.as_array()) {
            Some(operations) => {
                for op in operations {
                    let body = op.get("body").and_then(|b| b.as_str()).ok_or("an operation has no \"body\"")?;
                    let id = op.get("id").and_then(|i| i.as_str()).map_or_else(|| sha256_hex(body), str::to_owned);
                    pairs.push((id, body.to_owned()));
                }
            }
            None => {
                let map = value.as_object().ok_or("trusted documents must be a manifest or an object")?;
                for (hash, body) in map {
                    let body = body.as_str().ok_or_else(|| format!("document {hash} is not a string"))?;
                    pairs.push((hash.clone(), body.to_owned()));
                }
            }
        }
        let mut by_hash = HashMap::new();
        for (hash, body) in pairs {
            let hash = hash.to_ascii_lowercase();
            if hash != sha256_hex(&body) {
                return Err(format!("trusted document {hash} is not the SHA-256 of its body"));
            }
            by_hash.insert(hash, body);
        }
        Ok(TrustedDocuments { by_hash })
    }

    pub fn load(path: &std::path::Path) -> Result<TrustedDocuments, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        TrustedDocuments::parse(&text)
    }

    /// The trusted document with this hash.
    pub fn get(&self, sha256: &str) -> Option<&str> {
        self.by_hash.get(&sha256.to_ascii_lowercase()).map(String::as_str)
    }

    /// Whether this exact document text is trusted.
    pub fn contains(&self, document: &str) -> bool {
        self.by_hash.contains_key(&sha256_hex(document))
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_24_sha256_is_apollo_clients_hash() {
        // Lowercase hex of the UTF-8 text, as Apollo Client's persisted-query link sends it.
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(is_sha256_hex(&sha256_hex("x")));
        assert!(!is_sha256_hex("abc"));
        assert!(!is_sha256_hex(&"g".repeat(64)));
    }

    #[test]
    fn issue_24_trusted_documents_read_apollos_manifest_and_a_plain_map() {
        let doc = "query Me { me { id } }";
        let hash = sha256_hex(doc);
        let manifest = serde_json::json!({
            "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{"id": hash, "name": "Me", "type": "query", "body": doc}]
        });
        let list = TrustedDocuments::parse(&manifest.to_string()).expect("manifest");
        assert_eq!(list.get(&hash), Some(doc));
        assert!(list.contains(doc) && !list.contains("{ me { id } }"));
        let map = serde_json::json!({ hash.to_uppercase(): doc });
        assert_eq!(TrustedDocuments::parse(&map.to_string()).expect("map").get(&hash), Some(doc));
        // A hash that is not the document's is refused at start.
        let wrong = serde_json::json!({ sha256_hex("other"): doc });
        assert!(TrustedDocuments::parse(&wrong.to_string()).is_err());
        assert!(TrustedDocuments::parse("[1]").is_err());
    }
}
