//! The depth and recursion limits of the pre-pass (issue 19): typed here,
//! not recognised later by async-graphql's message text.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::error::{AppError, ComplexityLimit};

use super::*;

/// How deep one operation goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Fields below the root, fragments expanded (`{ a { b } }` is 2).
    pub fields: usize,
    /// Selection sets, spreads and inline fragments nested in one another.
    pub recursion: usize,
}

/// Measures depth with each fragment measured once (its depth does not
/// depend on where it is spread). A fragment cycle has no depth: `None`.
struct DepthWalk<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Depth>,
    in_progress: HashSet<&'a str>,
}

impl<'a> DepthWalk<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Option<Depth> {
        let mut deepest = Depth::default();
        for item in &set.items {
            let depth = match &item.node {
                Selection::Field(field) => {
                    let children = &field.node.selection_set.node;
                    if children.items.is_empty() {
                        Depth { fields: 1, recursion: 0 }
                    } else {
                        let inner = self.set(children)?;
                        Depth { fields: inner.fields + 1, recursion: inner.recursion + 1 }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.set(&inline.node.selection_set.node)?;
                    Depth { fields: inner.fields, recursion: inner.recursion + 1 }
                }
                Selection::FragmentSpread(spread) => {
                    let inner = self.fragment(spread.node.fragment_name.node.as_str())?;
                    Depth { fields: inner.fields, recursion: inner.recursion + 1 }
                }
            };
            deepest =
                Depth { fields: deepest.fields.max(depth.fields), recursion: deepest.recursion.max(depth.recursion) };
        }
        Some(deepest)
    }

    fn fragment(&mut self, name: &'a str) -> Option<Depth> {
        if let Some(depth) = self.memo.get(name) {
            return Some(*depth);
        }
        // An unknown fragment is refused by validation; it adds no depth here.
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else { return Some(Depth::default()) };
        if !self.in_progress.insert(key.as_str()) {
            return None;
        }
        let depth = self.set(&fragment.node.selection_set.node)?;
        self.in_progress.remove(key.as_str());
        self.memo.insert(key.as_str(), depth);
        Some(depth)
    }
}

/// The depth and recursion limits (issue 19): every operation's field depth
/// within `MAX_DEPTH` (`MAX_INTROSPECTION_DEPTH` for introspection
/// operations) and its nesting within `MAX_RECURSION`. A fragment cycle
/// nests without end and is refused the same way. Typed, so no error is
/// ever classified by async-graphql's message text.
pub fn check_depth(doc: &ExecutableDocument) -> Result<(), AppError> {
    let mut walk = DepthWalk { doc, memo: HashMap::new(), in_progress: HashSet::new() };
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        let max_fields =
            if is_introspection(set, doc, &mut HashSet::new()) { MAX_INTROSPECTION_DEPTH } else { MAX_DEPTH };
        match walk.set(set) {
            Some(depth) if depth.fields <= max_fields && depth.recursion <= MAX_RECURSION => {}
            Some(depth) if depth.fields > max_fields => {
                tracing::info!(?depth, "query refused as nested too deep");
                return Err(AppError::too_complex(ComplexityLimit::Depth, depth.fields, max_fields));
            }
            depth => {
                // Recursion past the limit, or a fragment cycle (endless).
                tracing::info!(?depth, "query refused as nested too deep");
                let actual = depth.map_or(usize::MAX, |d| d.recursion);
                return Err(AppError::too_complex(ComplexityLimit::Recursion, actual, MAX_RECURSION));
            }
        }
    }
    Ok(())
}
