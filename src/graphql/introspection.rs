//! Introspection-only operations (the schema query of GraphiQL, code
//! generators and stock clients) run on a schema whose depth and complexity
//! limits fit the standard introspection query of graphql-js (about 15 levels
//! deep). Every other operation keeps the normal limits. When introspection is
//! off (production), the introspection schema refuses it just the same.

use std::collections::HashSet;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};

/// Depth allowed to introspection-only operations: the `TypeRef` fragment of
/// graphql-js nests `ofType` about 8 times below `__schema.types.fields.type`.
pub const INTROSPECTION_MAX_DEPTH: usize = 32;
/// Complexity allowed to introspection-only operations (each field counts 1).
pub const INTROSPECTION_MAX_COMPLEXITY: usize = 10_000;

/// True when the operation the request selects is a query whose every root
/// field is `__schema`, `__type` or `__typename`. Parses the query once (the
/// parse is cached in the request for execution).
pub fn is_introspection_only(request: &mut async_graphql::Request) -> bool {
    // Cheap filter: most requests never mention introspection.
    if !request.query.contains("__schema") && !request.query.contains("__type") {
        return false;
    }
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document_is_introspection_only(document, operation_name.as_deref())
}

pub fn document_is_introspection_only(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => match operations.get(name) {
            Some(operation) => operation,
            None => return false,
        },
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => match operations.values().next() {
            Some(operation) => operation,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    if operation.node.ty != OperationType::Query {
        return false;
    }
    let mut seen = HashSet::new();
    // Deeper than introspection may go: left to the pre-pass, which refuses
    // it as QUERY_TOO_COMPLEX (typed, issue 19).
    root_is_introspection(document, &operation.node.selection_set.node, &mut seen)
        && crate::graphql::cost::check_depth(document).is_ok()
}

/// True when any operation or fragment of the document selects `__schema`
/// or `__type` (what a disabled introspection refuses; `__typename` is not
/// introspection of the schema).
pub fn asks_for_the_schema(document: &ExecutableDocument) -> bool {
    fn walk(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type") || walk(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    document.operations.iter().any(|(_, op)| walk(&op.node.selection_set.node))
        || document.fragments.values().any(|f| walk(&f.node.selection_set.node))
}

fn root_is_introspection<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> bool {
    !selection_set.items.is_empty()
        && selection_set.items.iter().all(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type" | "__typename")
            }
            Selection::InlineFragment(fragment) => {
                root_is_introspection(document, &fragment.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if !seen.insert(name) {
                    return false; // a cycle: leave it to validation
                }
                document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|fragment| root_is_introspection(document, &fragment.node.selection_set.node, seen))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, operation: Option<&str>) -> bool {
        let mut request = async_graphql::Request::new(query);
        if let Some(operation) = operation {
            request = request.operation_name(operation);
        }
        is_introspection_only(&mut request)
    }

    #[test]
    fn recognises_introspection_only_operations() {
        assert!(check("{ __schema { types { name } } }", None));
        assert!(check("query { __type(name: \"Query\") { name } __typename }", None));
        assert!(check("query A { __schema { queryType { name } } } query B { me { name } }", Some("A")));
        assert!(check("{ ...F } fragment F on Query { __schema { types { name } } }", None));
        assert!(check(include_str!("../../tests/fixtures/introspection.graphql"), None));
    }

    #[test]
    fn issue_24_schema_questions_are_recognised_for_a_disabled_introspection() {
        let asks = |q: &str| asks_for_the_schema(&async_graphql::parser::parse_query(q).expect("parses"));
        assert!(asks("{ __schema { types { name } } }"));
        assert!(asks("{ me { name } ...F } fragment F on Query { __type(name: \"User\") { name } }"));
        assert!(asks("{ ... on Query { __schema { queryType { name } } } }"));
        assert!(!asks("{ __typename me { __typename name } }"));
    }

    #[test]
    fn anything_else_keeps_the_normal_limits() {
        assert!(!check("{ __schema { types { name } } me { name } }", None));
        assert!(!check("{ me { name } }", None));
        assert!(!check("query A { __schema { queryType { name } } } query B { me { name } }", Some("B")));
        assert!(!check("query A { __schema { queryType { name } } } query B { me { name } }", None));
        assert!(!check("{ ...F } fragment F on Query { me { __typename } __schema { types { name } } }", None));
        assert!(!check("{ ...F } fragment F on Query { ...F }", None));
        assert!(!check("{ __schema { ", None));
        assert!(!check("mutation { __typename }", None));
    }
}
