//! R49: directory sync — an organization's identity provider creates,
//! updates, deactivates and deletes its people and groups through SCIM 2.0
//! (RFC 7643/7644) with the organization's own bearer tokens. The rules live
//! here; `src/http/scim` only speaks HTTP. What a token may touch is decided
//! once, in `access::directory`.
//!
//! Resources are handled in their SCIM JSON form: a PATCH is applied to the
//! current JSON (`patch`) and read back like a PUT, so both change a resource
//! the same way; `meta.version` is a hash of that JSON (`version`), checked
//! inside the change's transaction against `If-Match`.

pub mod filter;
pub mod groups;
pub mod patch;
pub mod tokens;
pub mod users;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    access::directory::Directory,
    error::{AppError, AppResult, Invalid, StateReason},
    service::audit::AuditScope,
};

/// What a PUT or a PATCH asks of one resource (RFC 7644 §3.5.1, §3.5.2).
#[derive(Debug, Clone, Copy)]
pub enum Edit<'a> {
    /// PUT: the resource becomes the body.
    Replace(&'a Value),
    /// PATCH: the body's operations, applied to the current resource.
    Patch(&'a Value),
}

/// An [`Edit`] whose body is already checked (before anything is locked, so
/// a bad body changes nothing), waiting for the current resource.
enum Prepared<T> {
    Whole(T),
    Operations(Vec<patch::Operation>, fn(&Value) -> AppResult<T>),
}

impl Edit<'_> {
    /// Checks the body; `parse` reads a whole resource into its input.
    fn prepare<T>(self, parse: fn(&Value) -> AppResult<T>) -> AppResult<Prepared<T>> {
        Ok(match self {
            Edit::Replace(body) => Prepared::Whole(parse(body)?),
            Edit::Patch(body) => Prepared::Operations(patch::parse_request(body)?, parse),
        })
    }
}

impl<T> Prepared<T> {
    /// The input the resource is changed to, worked out from its `current` JSON.
    fn input_from(self, mut current: Value) -> AppResult<T> {
        match self {
            Prepared::Whole(input) => Ok(input),
            Prepared::Operations(operations, parse) => {
                patch::apply(&mut current, &operations)?;
                parse(&current)
            }
        }
    }
}

/// The most resources one list page holds (`count` above it is lowered).
pub const MAX_PAGE: i64 = 200;
/// The page size when `count` is not given.
pub const DEFAULT_PAGE: i64 = 100;

/// Where resources are found: the SCIM base URL, e.g. `https://api.example.com/scim/v2`.
#[derive(Debug, Clone)]
pub struct Base(pub String);

impl Base {
    pub fn location(&self, kind: &str, id: Uuid) -> String {
        format!("{}/{kind}/{id}", self.0)
    }
}

/// A list request: RFC 7644 §3.4.2 `filter`, `startIndex` (1-based) and `count`.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
}

impl ListRequest {
    /// (offset, limit): startIndex below 1 counts as 1, count below 0 as 0 (RFC 7644 §3.4.2.4).
    pub fn window(&self) -> (u64, u64) {
        let start = self.start_index.unwrap_or(1).max(1);
        let count = self.count.unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE);
        (u64::try_from(start - 1).unwrap_or(0), u64::try_from(count).unwrap_or(0))
    }

    pub fn parsed_filter(&self) -> AppResult<Option<filter::Filter>> {
        self.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(filter::parse).transpose()
    }
}

/// One page of a list: the total that matched and this page's resources.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub total: u64,
    pub start_index: i64,
    pub resources: Vec<Value>,
}

/// `meta.version`: a weak ETag of the resource's JSON without `meta`.
pub fn version(resource: &Value) -> String {
    use sha2::Digest;
    let mut body = resource.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("meta");
    }
    let digest = sha2::Sha256::digest(body.to_string().as_bytes());
    format!("W/\"{}\"", &hex::encode(digest)[..20])
}

/// Adds `meta` (with its version) to a resource's JSON.
pub(crate) fn with_meta(
    mut resource: Value,
    kind: &str,
    location: String,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
) -> Value {
    let version = version(&resource);
    resource["meta"] = json!({
        "resourceType": kind,
        "created": created.to_rfc3339_opts(SecondsFormat::Millis, true),
        "lastModified": modified.to_rfc3339_opts(SecondsFormat::Millis, true),
        "location": location,
        "version": version,
    });
    resource
}

/// RFC 7644 §3.14: a change with `If-Match` applies only to the version named
/// (`*` matches any); otherwise INVALID_STATE (VERSION_CHANGED), 412 in SCIM.
pub(crate) fn check_version(current: &Value, if_match: Option<&str>) -> AppResult<()> {
    let Some(wanted) = if_match.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(()) };
    if wanted == "*" {
        return Ok(());
    }
    let have = version(current);
    let bare = |v: &str| v.trim_start_matches("W/").trim_matches('"').to_owned();
    if wanted.split(',').any(|w| bare(w.trim()) == bare(&have)) {
        Ok(())
    } else {
        Err(AppError::InvalidState { reason: StateReason::VersionChanged })
    }
}

/// Audited as the organization's directory (no person acted).
pub(crate) fn scope(dir: &Directory) -> AuditScope {
    AuditScope { organization_id: Some(dir.organization_id()), publisher_id: None, actor_user_id: None }
}

/// A resource ID from the URL: anything that is not a UUID cannot exist (NOT_FOUND).
pub fn resource_id(text: &str, not_found: AppError) -> AppResult<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| not_found)
}

/// Reads an optional string attribute; VALIDATION_FAILED when it is not a string or too long.
pub(crate) fn text(body: &Value, name: &str, max: usize) -> AppResult<Option<String>> {
    match filter::field(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.trim().to_owned())),
        Some(Value::String(_)) => Err(AppError::validation(name, Invalid::TooLong { max })),
        Some(_) => Err(AppError::validation(name, Invalid::BadFormat)),
    }
}

/// Reads a boolean that directories may send as a string (`"False"`, Entra ID).
pub(crate) fn boolean(body: &Value, name: &str) -> AppResult<Option<bool>> {
    match filter::field(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(AppError::validation(name, Invalid::BadFormat)),
    }
}

/// RFC 7644 §3.9 `attributes` / `excludedAttributes`: trims a resource's JSON
/// to what the client asked for (`id`, `schemas` and `meta` always stay).
pub fn project(mut resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(object) = resource.as_object_mut() else { return resource };
    let always = |k: &str| ["id", "schemas", "meta"].iter().any(|a| a.eq_ignore_ascii_case(k));
    let bare = |name: &str| -> (String, Option<String>) {
        match filter::attr_path(name) {
            Ok(p) => (p.attr, p.sub),
            Err(_) => (name.to_owned(), None),
        }
    };
    if !attributes.is_empty() {
        let wanted: Vec<(String, Option<String>)> = attributes.iter().map(|a| bare(a)).collect();
        object.retain(|k, v| {
            if always(k) {
                return true;
            }
            let subs: Vec<&String> =
                wanted.iter().filter(|(a, _)| a.eq_ignore_ascii_case(k)).filter_map(|(_, s)| s.as_ref()).collect();
            let whole = wanted.iter().any(|(a, s)| a.eq_ignore_ascii_case(k) && s.is_none());
            if whole {
                return true;
            }
            if subs.is_empty() {
                return false;
            }
            if let Some(inner) = v.as_object_mut() {
                inner.retain(|ik, _| subs.iter().any(|s| s.eq_ignore_ascii_case(ik)));
            }
            true
        });
    }
    for name in excluded {
        let (attr, sub) = bare(name);
        if always(&attr) {
            continue;
        }
        let key = object.keys().find(|k| k.eq_ignore_ascii_case(&attr)).cloned();
        let Some(key) = key else { continue };
        match sub {
            None => {
                object.remove(&key);
            }
            Some(sub) => {
                if let Some(inner) = object.get_mut(&key).and_then(Value::as_object_mut) {
                    inner.retain(|ik, _| !ik.eq_ignore_ascii_case(&sub));
                }
            }
        }
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7644 §3.14: If-Match names the current version or `*`.
    #[test]
    fn r49_if_match() {
        let resource = json!({"id": "1", "userName": "a"});
        let v = version(&resource);
        assert!(check_version(&resource, None).is_ok());
        assert!(check_version(&resource, Some("*")).is_ok());
        assert!(check_version(&resource, Some(&v)).is_ok());
        assert!(check_version(&resource, Some(v.trim_start_matches("W/"))).is_ok());
        assert!(check_version(&resource, Some("W/\"0000\"")).is_err());
        assert_eq!(version(&with_meta(resource.clone(), "User", "x".into(), Utc::now(), Utc::now())), v);
    }

    /// RFC 7644 §3.9: attributes and excludedAttributes.
    #[test]
    fn r49_projection() {
        let user = json!({"id": "1", "schemas": [], "userName": "a", "displayName": "A", "name": {"givenName": "G", "familyName": "F"}});
        let only = project(user.clone(), &["displayName".into(), "name.givenName".into()], &[]);
        assert_eq!(only, json!({"id": "1", "schemas": [], "displayName": "A", "name": {"givenName": "G"}}));
        let without = project(user, &[], &["displayName".into(), "id".into()]);
        assert!(without.get("displayName").is_none() && without.get("id").is_some());
    }

    #[test]
    fn r49_list_window() {
        assert_eq!(ListRequest::default().window(), (0, DEFAULT_PAGE as u64));
        let req = ListRequest { start_index: Some(0), count: Some(-3), ..Default::default() };
        assert_eq!(req.window(), (0, 0));
        let req = ListRequest { start_index: Some(11), count: Some(5000), ..Default::default() };
        assert_eq!(req.window(), (10, MAX_PAGE as u64));
    }
}
