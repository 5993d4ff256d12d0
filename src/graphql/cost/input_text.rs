//! Control characters in string input: every string argument and variable
//! of a document, checked before anything runs.

use std::collections::HashSet;

use async_graphql::{
    Variables,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use async_graphql_value::{ConstValue, Value};

use crate::error::{AppError, Invalid};

/// Fields where a line break or tab makes sense; everywhere else every
/// control character is refused.
pub const MULTILINE_FIELDS: &[&str] = &["feedback", "description"];

fn text_allowed(field: &str, text: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    let multiline = MULTILINE_FIELDS.contains(&last);
    !text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

fn check_const(path: &str, value: &ConstValue) -> Result<(), AppError> {
    use ConstValue as C;
    match value {
        C::String(text) if !text_allowed(path, text) => Err(AppError::validation(path, Invalid::BadFormat)),
        C::List(items) => items.iter().try_for_each(|v| check_const(path, v)),
        C::Object(map) => map.iter().try_for_each(|(k, v)| check_const(&join(path, k), v)),
        _ => Ok(()),
    }
}

fn check_value(path: &str, value: &Value) -> Result<(), AppError> {
    match value {
        Value::String(text) if !text_allowed(path, text) => Err(AppError::validation(path, Invalid::BadFormat)),
        Value::List(items) => items.iter().try_for_each(|v| check_value(path, v)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| check_value(&join(path, k), v)),
        _ => Ok(()),
    }
}

fn check_set_text(set: &SelectionSet, doc: &ExecutableDocument, seen: &mut HashSet<String>) -> Result<(), AppError> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    check_value(name.node.as_str(), &value.node)?;
                }
                check_set_text(&field.node.selection_set.node, doc, seen)?;
            }
            Selection::InlineFragment(inline) => check_set_text(&inline.node.selection_set.node, doc, seen)?,
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.to_string();
                if seen.insert(name.clone())
                    && let Some(fragment) = doc.fragments.get(name.as_str())
                {
                    check_set_text(&fragment.node.selection_set.node, doc, seen)?;
                }
            }
        }
    }
    Ok(())
}

/// Every string in the arguments and variables: no NUL or other control
/// character (line breaks and tabs only in `MULTILINE_FIELDS`), so both
/// database engines see the same input (PostgreSQL refuses NUL in text, SQLite
/// stores it). The field named is the argument or variable path.
pub fn input_text(doc: &ExecutableDocument, variables: &Variables) -> Result<(), AppError> {
    for (name, value) in variables.iter() {
        check_const(name.as_str(), value)?;
    }
    let mut seen = HashSet::new();
    for (_, op) in doc.operations.iter() {
        check_set_text(&op.node.selection_set.node, doc, &mut seen)?;
    }
    for fragment in doc.fragments.values() {
        check_set_text(&fragment.node.selection_set.node, doc, &mut seen)?;
    }
    Ok(())
}
