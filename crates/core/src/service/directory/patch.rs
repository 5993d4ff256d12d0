//! RFC 7644 §3.5.2 PATCH, applied to a resource's JSON form. The resource
//! services turn the result back into their input (as for PUT), so a PATCH
//! and a PUT that mean the same change do the same thing. Accepts what
//! Entra ID and Okta send: capitalised ops (`"Replace"`), no-path value
//! objects whose keys may be paths (`{"name.givenName": "Ann"}`), value
//! paths (`emails[type eq "work"].value`, `members[value eq "…"]`) and
//! `remove` with a value listing the elements to remove.

use serde_json::{Map, Value};

use super::filter::{self, AttrPath, CompareOp, Filter};
use crate::error::{AppError, AppResult, Invalid};

/// At most this many operations in one PATCH.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// A PATCH path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub attr: String,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub op: Op,
    pub path: Option<Path>,
    pub value: Option<Value>,
}

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn invalid_path() -> AppError {
    AppError::validation("path", Invalid::BadFormat)
}

/// SCIM `noTarget`: the path selects nothing it may change.
pub fn no_target() -> AppError {
    AppError::validation("path", Invalid::Required)
}

fn invalid_value() -> AppError {
    AppError::validation("value", Invalid::BadFormat)
}

/// Parses a path; `invalidPath` when it is not one.
pub fn parse_path(text: &str) -> AppResult<Path> {
    let text = text.trim();
    let (head, filter, tail) = match text.find('[') {
        Some(open) => {
            let close = text.rfind(']').filter(|c| *c > open).ok_or_else(invalid_path)?;
            let inner = &text[open + 1..close];
            let filter = filter::parse(inner).map_err(|_| invalid_path())?;
            let tail = &text[close + 1..];
            let tail = match tail.strip_prefix('.') {
                Some(sub) => Some(sub),
                None if tail.is_empty() => None,
                None => return Err(invalid_path()),
            };
            (&text[..open], Some(filter), tail)
        }
        None => (text, None, None),
    };
    let AttrPath { attr, sub } = filter::attr_path(head).map_err(|_| invalid_path())?;
    let sub = match (sub, tail) {
        (Some(_), Some(_)) => return Err(invalid_path()),
        (Some(s), None) => Some(s),
        (None, Some(t)) => Some(filter::attr_path(t).map_err(|_| invalid_path())?.attr),
        (None, None) => None,
    };
    if filter.is_some() && head.contains('.') {
        return Err(invalid_path());
    }
    Ok(Path { attr, filter, sub })
}

/// Parses a PatchOp message body; `invalidSyntax` (VALIDATION_FAILED on
/// `Operations`) when it is not one.
pub fn parse_request(body: &Value) -> AppResult<Vec<Operation>> {
    let bad = || AppError::validation("Operations", Invalid::BadFormat);
    let schemas = filter::field(body, "schemas").and_then(Value::as_array).ok_or_else(bad)?;
    if !schemas.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))) {
        return Err(bad());
    }
    let operations = filter::field(body, "Operations").and_then(Value::as_array).ok_or_else(bad)?;
    if operations.is_empty() || operations.len() > MAX_OPERATIONS {
        return Err(bad());
    }
    operations
        .iter()
        .map(|operation| {
            let op =
                match filter::field(operation, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                    Some("add") => Op::Add,
                    Some("replace") => Op::Replace,
                    Some("remove") => Op::Remove,
                    _ => return Err(AppError::validation("op", Invalid::NotAllowed)),
                };
            let path = match filter::field(operation, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(parse_path(p)?),
                Some(_) => return Err(invalid_path()),
            };
            let value = filter::field(operation, "value").cloned().filter(|v| !v.is_null());
            match (op, &path, &value) {
                (Op::Remove, None, _) => Err(no_target()),
                (Op::Add | Op::Replace, _, None) => Err(invalid_value()),
                (Op::Add | Op::Replace, None, Some(v)) if !v.is_object() => Err(invalid_value()),
                _ => Ok(Operation { op, path, value }),
            }
        })
        .collect()
}

/// The key of `name` in `object` (names compare case-insensitively), or `name` itself.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_owned())
}

fn as_object(value: &mut Value) -> AppResult<&mut Map<String, Value>> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    value.as_object_mut().ok_or_else(invalid_value)
}

/// The fields an element created for `attr[type eq "work"].value` starts with:
/// the equalities of the filter (`and`-ed).
fn seed_of(filter: &Filter, into: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value } if path.sub.is_none() => {
            into.insert(path.attr.clone(), value.clone());
            true
        }
        Filter::And(a, b) => seed_of(a, into) && seed_of(b, into),
        _ => false,
    }
}

/// Applies the operations in order to `resource` (a JSON object).
pub fn apply(resource: &mut Value, operations: &[Operation]) -> AppResult<()> {
    for operation in operations {
        match &operation.path {
            None => {
                let Some(Value::Object(values)) = &operation.value else { return Err(invalid_value()) };
                for (name, value) in values {
                    let path = parse_path(name)?;
                    apply_one(resource, operation.op, &path, Some(value))?;
                }
            }
            Some(path) => apply_one(resource, operation.op, path, operation.value.as_ref())?,
        }
    }
    Ok(())
}

fn same_element(a: &Value, b: &Value) -> bool {
    match (filter::field(a, "value"), filter::field(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_one(resource: &mut Value, op: Op, path: &Path, value: Option<&Value>) -> AppResult<()> {
    let object = as_object(resource)?;
    let key = key_of(object, &path.attr);
    match (&path.filter, &path.sub) {
        (None, None) => match op {
            Op::Remove => {
                match (value, object.get_mut(&key)) {
                    // `remove` with a value: the listed elements go (Entra, Okta).
                    (Some(Value::Array(listed)), Some(Value::Array(items))) => {
                        items.retain(|item| !listed.iter().any(|l| same_element(item, l)));
                    }
                    _ => {
                        object.remove(&key);
                    }
                }
            }
            Op::Add => {
                let value = value.ok_or_else(invalid_value)?.clone();
                match (object.get_mut(&key), value) {
                    (Some(Value::Array(items)), Value::Array(added)) => {
                        for item in added {
                            if !items.iter().any(|i| same_element(i, &item)) {
                                items.push(item);
                            }
                        }
                    }
                    (Some(existing @ Value::Object(_)), Value::Object(added)) => {
                        let target = as_object(existing)?;
                        for (k, v) in added {
                            let k = key_of(target, &k);
                            target.insert(k, v);
                        }
                    }
                    (_, value) => {
                        object.insert(key, value);
                    }
                }
            }
            Op::Replace => {
                let value = value.ok_or_else(invalid_value)?.clone();
                match (object.get_mut(&key), value) {
                    (Some(existing @ Value::Object(_)), Value::Object(replaced)) => {
                        let target = as_object(existing)?;
                        for (k, v) in replaced {
                            let k = key_of(target, &k);
                            target.insert(k, v);
                        }
                    }
                    (_, value) => {
                        object.insert(key, value);
                    }
                }
            }
        },
        (None, Some(sub)) => {
            let entry = object.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if entry.is_array() {
                // `emails.value` on a list: every element.
                for item in entry.as_array_mut().into_iter().flatten() {
                    set_sub(item, op, sub, value)?;
                }
            } else {
                set_sub(entry, op, sub, value)?;
            }
        }
        (Some(filter), sub) => {
            let entry = object.entry(key.clone()).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = entry else { return Err(no_target()) };
            let mut matched = false;
            let mut kept = Vec::with_capacity(items.len());
            for mut item in std::mem::take(items) {
                if !filter::matches(filter, &item) {
                    kept.push(item);
                    continue;
                }
                matched = true;
                match (op, sub) {
                    (Op::Remove, None) => {}
                    (_, Some(sub)) => {
                        set_sub(&mut item, op, sub, value)?;
                        kept.push(item);
                    }
                    (Op::Add | Op::Replace, None) => {
                        let Some(Value::Object(fields)) = value else { return Err(invalid_value()) };
                        let target = as_object(&mut item)?;
                        for (k, v) in fields {
                            let k = key_of(target, k);
                            target.insert(k, v.clone());
                        }
                        kept.push(item);
                    }
                }
            }
            if !matched && op != Op::Remove {
                // `emails[type eq "work"].value` on a user with no work address adds one.
                let mut seed = Map::new();
                if !seed_of(filter, &mut seed) {
                    return Err(no_target());
                }
                let mut item = Value::Object(seed);
                match sub {
                    Some(sub) => set_sub(&mut item, op, sub, value)?,
                    None => {
                        let Some(Value::Object(fields)) = value else { return Err(invalid_value()) };
                        let target = as_object(&mut item)?;
                        for (k, v) in fields {
                            target.insert(k.clone(), v.clone());
                        }
                    }
                }
                kept.push(item);
            }
            *items = kept;
        }
    }
    Ok(())
}

fn set_sub(item: &mut Value, op: Op, sub: &str, value: Option<&Value>) -> AppResult<()> {
    let target = as_object(item)?;
    let key = key_of(target, sub);
    match op {
        Op::Remove => {
            target.remove(&key);
        }
        Op::Add | Op::Replace => {
            target.insert(key, value.ok_or_else(invalid_value)?.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(resource: Value, ops: Value) -> Value {
        let mut resource = resource;
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
        apply(&mut resource, &parse_request(&body).expect("test value")).expect("test value");
        resource
    }

    /// R49: Entra ID's shapes — capitalised ops, string booleans kept for the
    /// resource to read, member adds and removes by value path.
    #[test]
    fn r49_entra_shapes() {
        let user = json!({"userName": "a", "active": true, "name": {"givenName": "A"}});
        let out = patch(user.clone(), json!([{"op": "Replace", "path": "active", "value": "False"}]));
        assert_eq!(out["active"], "False");
        let out = patch(user.clone(), json!([{"op": "Add", "path": "name.givenName", "value": "Ann"}]));
        assert_eq!(out["name"]["givenName"], "Ann");
        let out =
            patch(user.clone(), json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ann@x.com"}]));
        assert_eq!(out["emails"], json!([{"type": "work", "value": "ann@x.com"}]));
        let out = patch(out, json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com"}]));
        assert_eq!(out["emails"], json!([{"type": "work", "value": "b@x.com"}]));
        let group = json!({"displayName": "G", "members": [{"value": "1"}]});
        let out = patch(group, json!([{"op": "Add", "path": "members", "value": [{"value": "2"}, {"value": "1"}]}]));
        assert_eq!(out["members"], json!([{"value": "1"}, {"value": "2"}]));
        let out = patch(out, json!([{"op": "Remove", "path": "members[value eq \"1\"]"}]));
        assert_eq!(out["members"], json!([{"value": "2"}]));
    }

    /// R49: Okta's shapes — no-path replace with a value object (keys may be paths), remove with a value.
    #[test]
    fn r49_okta_shapes() {
        let user = json!({"userName": "a", "active": true, "name": {"givenName": "A", "familyName": "B"}});
        let out = patch(user, json!([{"op": "replace", "value": {"active": false, "name.familyName": "C"}}]));
        assert_eq!(out["active"], false);
        assert_eq!(out["name"], json!({"givenName": "A", "familyName": "C"}));
        let group = json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
        let out = patch(group, json!([{"op": "remove", "path": "members", "value": [{"value": "2"}]}]));
        assert_eq!(out["members"], json!([{"value": "1"}]));
        let out = patch(out, json!([{"op": "replace", "path": "members", "value": [{"value": "3"}]}]));
        assert_eq!(out["members"], json!([{"value": "3"}]));
        let out = patch(out, json!([{"op": "remove", "path": "members"}]));
        assert!(out.get("members").is_none());
    }

    /// RFC 7644 §3.5.2: malformed messages and paths are refused.
    #[test]
    fn r49_refuses_malformed_patches() {
        let body = |ops: Value| json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
        assert!(parse_request(&json!({"Operations": []})).is_err());
        assert!(parse_request(&body(json!([{"op": "move", "path": "a", "value": 1}]))).is_err());
        assert!(parse_request(&body(json!([{"op": "remove"}]))).is_err(), "noTarget");
        assert!(parse_request(&body(json!([{"op": "add", "path": "a"}]))).is_err());
        assert!(parse_request(&body(json!([{"op": "add", "path": "emails[type eq]", "value": 1}]))).is_err());
        assert!(parse_path("a.b.c").is_err());
        assert_eq!(
            parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").expect("test value").sub.as_deref(),
            Some("givenName")
        );
    }
}
