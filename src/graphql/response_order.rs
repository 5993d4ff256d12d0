//! Response keys in the order of the query's fields (GraphQL spec §7.1.1:
//! "ordered by the order in which they appear in the query").
//!
//! async-graphql 7.2 resolves the fields of an object concurrently and writes
//! each result into the response when its future completes
//! (`resolver_utils::container::do_resolve_container` drains a
//! `FuturesUnordered`), so fields that answer at once come before fields
//! that wait on the database (DataLoaders, the root fields). `KeyTree` is
//! built once per operation from its selection sets and puts every object of
//! a response back into query order (`graphql::executor` applies it to each
//! response and each subscription event). Fragments are expanded where they
//! are spread; a key the query does not name (none should exist) keeps its
//! place at the end.

use async_graphql::{
    Name, Value,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

/// Fragment spreads deeper than this are not followed (validation refuses
/// cycles long before; this only bounds the walk).
const MAX_FRAGMENT_DEPTH: usize = 32;
/// The most fields a tree expands. The tree is built before the schema
/// validates the document (WebSocket operations have no cost pre-pass), so
/// a document whose fragments fan out past this gets no tree; the
/// validation's depth and complexity limits refuse such documents anyway.
const MAX_FIELDS: usize = 20_000;

/// The response keys of a selection, in query order, each with the keys of
/// its own selection (empty for a leaf).
#[derive(Debug, Default)]
pub struct KeyTree {
    keys: Vec<(Name, KeyTree)>,
}

impl KeyTree {
    /// The tree of an operation's selection; None past `MAX_FIELDS`.
    pub fn of(selection: &SelectionSet, document: &ExecutableDocument) -> Option<KeyTree> {
        let mut budget = MAX_FIELDS;
        Self::merged(&[selection], document, &mut budget)
    }

    /// The keys of several selection sets that answer under one response key
    /// (merged as the spec's CollectFields does).
    fn merged(sets: &[&SelectionSet], document: &ExecutableDocument, budget: &mut usize) -> Option<KeyTree> {
        let mut grouped: Vec<(Name, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            collect(set, document, &mut grouped, 0, budget)?;
        }
        let mut keys = Vec::with_capacity(grouped.len());
        for (key, children) in grouped {
            let tree = if children.iter().any(|set| !set.items.is_empty()) {
                Self::merged(&children, document, budget)?
            } else {
                KeyTree::default()
            };
            keys.push((key, tree));
        }
        Some(KeyTree { keys })
    }

    /// Puts the keys of `value` (an object, or a list of them at any depth) in query order.
    pub fn order(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::List(items) => {
                for item in items {
                    self.order(item);
                }
            }
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if let Some((_, tree)) = self.keys.iter().find(|(name, _)| name == key) {
                        tree.order(child);
                    }
                }
                let position = |key: &Name| self.keys.iter().position(|(name, _)| name == key).unwrap_or(usize::MAX);
                let in_order = map.keys().map(position).is_sorted();
                if !in_order {
                    map.sort_by_cached_key(|key, _| position(key));
                }
            }
            _ => {}
        }
    }
}

fn collect<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    keys: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
    depth: usize,
    budget: &mut usize,
) -> Option<()> {
    if depth > MAX_FRAGMENT_DEPTH {
        return Some(());
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                *budget = budget.checked_sub(1)?;
                let key = &field.node.response_key().node;
                let children = &field.node.selection_set.node;
                match keys.iter_mut().find(|(existing, _)| existing == key) {
                    Some((_, sets)) => sets.push(children),
                    None => keys.push((key.clone(), vec![children])),
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(&fragment.node.selection_set.node, document, keys, depth + 1, budget)?;
                }
            }
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set.node, document, keys, depth + 1, budget)?;
            }
        }
    }
    Some(())
}
