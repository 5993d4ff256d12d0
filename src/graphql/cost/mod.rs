//! A cheap pre-pass over the parsed document that runs before async-graphql
//! validates or executes anything, so that no document can make the server
//! walk an exponential expansion or return an unbounded number of rows.
//!
//! * The text is bounded first (bytes, bracket nesting), so parsing is linear
//!   and cannot overflow the stack.
//! * Fragments are costed once each (memoised by name and page size): a
//!   fragment that spreads the next one twice, 30 levels deep, multiplies
//!   numbers instead of walking 2^30 selections.
//! * The estimated cost is the number of objects the response may hold:
//!   a connection's `nodes`/`edges` count `first` (default: the argument's
//!   default, else 20) times their children, a list with a `first` argument
//!   counts `first` (default: its default, else 100), any other list of
//!   objects counts `UNBOUNDED_LIST_ESTIMATE`.
//! * Root fields and aliases are capped, and anonymous callers get much
//!   smaller limits (enough for `login`, `registerOrganization`, `markets`).
//! * Introspection-only documents (GraphiQL's schema query) are bounded by
//!   their expanded size only: their size is bounded by the schema itself.
//!
//! The same walk rejects control characters in every string argument and
//! variable (see `input_text`).

pub use crate::config::CostLimits;

mod depth;
mod input_text;
#[cfg(test)]
mod tests;

pub use depth::check_depth;
pub use input_text::input_text;

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Positioned, Variables,
    parser::types::{
        BaseType, DocumentOperations, ExecutableDocument, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
    },
};

use async_graphql_value::{ConstValue, Name, Value};

use crate::error::{AppError, ComplexityLimit};

/// An estimate for lists of objects that have no `first` argument (prices,
/// invoice lines, role assignments): they are short by nature.
pub const UNBOUNDED_LIST_ESTIMATE: u64 = 10;
pub const DEFAULT_CONNECTION_PAGE: u64 = 20;
pub const DEFAULT_BOUNDED_LIST: u64 = 100;
pub const MAX_PAGE: u64 = 100;
/// Bracket nesting allowed in the document text (the parser stops at 64).
pub const MAX_NESTING: usize = 48;

/// Introspection documents are bounded by this many expanded selections.
pub const MAX_INTROSPECTION_FIELDS: u64 = 2_000;
/// Field depth of an operation, fragments expanded (each field counts 1, as
/// async-graphql's `limit_depth` counts it; the schema keeps that limit only
/// as a backstop, so the refusal is typed here, issue 19).
pub const MAX_DEPTH: usize = super::schema::MAX_QUERY_DEPTH;
/// Field depth of introspection operations (graphql-js's `TypeRef` nests deep).
pub const MAX_INTROSPECTION_DEPTH: usize = crate::graphql::introspection::INTROSPECTION_MAX_DEPTH;
/// Nesting of selection sets, fragment spreads and inline fragments, as
/// async-graphql's `limit_recursive_depth(32)` counts it.
pub const MAX_RECURSION: usize = 32;

#[derive(Debug, Clone)]
struct FieldShape {
    type_name: String,
    is_list: bool,
    /// Some(default page) when the field takes `first`.
    first_default: Option<u64>,
}

/// What the pre-pass needs to know of the schema: for each (type, field) its
/// named type, whether it is a list, and whether it takes `first`.
#[derive(Debug, Clone, Default)]
pub struct SchemaShape {
    fields: HashMap<(String, String), FieldShape>,
    query_type: String,
    mutation_type: String,
}

impl SchemaShape {
    /// Reads the shape from the schema's SDL.
    pub fn from_sdl(sdl: &str) -> Result<SchemaShape, String> {
        let doc = async_graphql::parser::parse_schema(sdl).map_err(|e| e.to_string())?;
        let mut shape =
            SchemaShape { fields: HashMap::new(), query_type: "Query".into(), mutation_type: "Mutation".into() };
        for definition in doc.definitions {
            let TypeSystemDefinition::Type(ty) = definition else { continue };
            let ty = ty.node;
            let fields = match ty.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            for field in fields {
                let field = field.node;
                let mut base = &field.ty.node.base;
                let mut is_list = false;
                while let BaseType::List(inner) = base {
                    is_list = true;
                    base = &inner.base;
                }
                let BaseType::Named(type_name) = base else { continue };
                let first_default = field.arguments.iter().find(|a| a.node.name.node == "first").map(|a| {
                    let default = a.node.default_value.as_ref().and_then(|v| match &v.node {
                        ConstValue::Number(n) => n.as_u64(),
                        _ => None,
                    });
                    default.unwrap_or(if is_list { DEFAULT_BOUNDED_LIST } else { DEFAULT_CONNECTION_PAGE })
                });
                shape.fields.insert(
                    (ty.name.node.to_string(), field.name.node.to_string()),
                    FieldShape { type_name: type_name.to_string(), is_list, first_default },
                );
            }
        }
        Ok(shape)
    }
}

/// What one walk counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub fields: u64,
    pub cost: u64,
    pub aliases: u64,
}

impl Tally {
    fn add(self, other: Tally) -> Tally {
        Tally {
            fields: self.fields.saturating_add(other.fields),
            cost: self.cost.saturating_add(other.cost),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }
}

/// Checks the raw text before parsing: its length and bracket nesting.
pub fn check_text(query: &str, limits: &CostLimits) -> Result<(), AppError> {
    if query.len() > limits.max_bytes {
        return Err(AppError::too_complex(ComplexityLimit::Bytes, query.len(), limits.max_bytes));
    }
    let (mut depth, mut in_string, mut escaped, mut in_comment) = (0usize, false, false, false);
    for byte in query.bytes() {
        if in_comment {
            in_comment = byte != b'\n' && byte != b'\r';
            continue;
        }
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'#' => in_comment = true,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(AppError::too_complex(ComplexityLimit::Nesting, depth, MAX_NESTING));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

struct Walk<'a> {
    shape: &'a SchemaShape,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    memo: HashMap<(String, u64), Tally>,
    in_progress: HashSet<String>,
    /// A selection (after expansion) beyond this count stops the walk early.
    budget: u64,
}

impl Walk<'_> {
    fn page_argument(&self, arguments: &[(Positioned<Name>, Positioned<Value>)], default: u64) -> u64 {
        let value = arguments.iter().find(|(name, _)| name.node == "first").map(|(_, value)| &value.node);
        let number = match value {
            None | Some(Value::Null) => return default,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::Variable(name)) => match self.variables.get(name) {
                None | Some(ConstValue::Null) => return default,
                Some(ConstValue::Number(n)) => n.as_i64(),
                Some(_) => None,
            },
            Some(_) => None,
        };
        // Out-of-range pages are refused by the resolver; cost them as the largest page.
        number.map(|n| n.clamp(1, MAX_PAGE as i64) as u64).unwrap_or(MAX_PAGE)
    }

    /// `page` is set when `set` is the selection of a connection: its lists are pages.
    fn selection_set(&mut self, set: &SelectionSet, type_name: &str, page: Option<u64>) -> Tally {
        let mut total = Tally::default();
        for item in &set.items {
            if total.fields > self.budget {
                break;
            }
            let tally = match &item.node {
                Selection::Field(field) => self.field(&field.node, type_name, page),
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|c| c.node.on.node.to_string());
                    self.selection_set(&inline.node.selection_set.node, on.as_deref().unwrap_or(type_name), page)
                }
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str(), page),
            };
            total = total.add(tally);
        }
        total
    }

    fn field(&mut self, field: &async_graphql::parser::types::Field, type_name: &str, page: Option<u64>) -> Tally {
        let aliases = u64::from(field.alias.is_some());
        let shape = self.shape.fields.get(&(type_name.to_owned(), field.name.node.to_string())).cloned();
        let set = &field.selection_set.node;
        let Some(shape) = shape else {
            // Meta fields (`__typename`, introspection) and unknown fields
            // (refused later by validation): counted by size.
            let children = if set.items.is_empty() { Tally::default() } else { self.selection_set(set, "", None) };
            return Tally { fields: 1, cost: 1, aliases }.add(children);
        };
        if set.items.is_empty() {
            return Tally { fields: 1, cost: 1, aliases };
        }
        let (multiplier, child_page) = match (shape.is_list, shape.first_default) {
            // A connection: its `nodes`/`edges` are pages of `first`.
            (false, Some(default)) => (1, Some(self.page_argument(&field.arguments, default))),
            (true, Some(default)) => (self.page_argument(&field.arguments, default), None),
            (true, None) => (page.unwrap_or(UNBOUNDED_LIST_ESTIMATE), None),
            (false, None) => (1, None),
        };
        let children = self.selection_set(set, &shape.type_name, child_page);
        Tally {
            fields: 1u64.saturating_add(children.fields),
            cost: 1u64.saturating_add(multiplier.saturating_mul(children.cost)),
            aliases: aliases.saturating_add(children.aliases),
        }
    }

    fn fragment(&mut self, name: &str, page: Option<u64>) -> Tally {
        let key = (name.to_owned(), page.unwrap_or(0));
        if let Some(tally) = self.memo.get(&key) {
            return *tally;
        }
        let Some(fragment) = self.doc.fragments.get(name) else { return Tally::default() };
        // A cycle is refused by validation; here it only must not loop.
        if !self.in_progress.insert(name.to_owned()) {
            return Tally::default();
        }
        let on = fragment.node.type_condition.node.on.node.to_string();
        let tally = self.selection_set(&fragment.node.selection_set.node, &on, page);
        self.in_progress.remove(name);
        self.memo.insert(key, tally);
        tally
    }
}

fn is_introspection(set: &SelectionSet, doc: &ExecutableDocument, seen: &mut HashSet<String>) -> bool {
    set.items.iter().all(|item| match &item.node {
        Selection::Field(field) => field.node.name.node.starts_with("__"),
        Selection::InlineFragment(inline) => is_introspection(&inline.node.selection_set.node, doc, seen),
        Selection::FragmentSpread(spread) => {
            let name = spread.node.fragment_name.node.to_string();
            if !seen.insert(name.clone()) {
                return true;
            }
            doc.fragments.get(name.as_str()).is_none_or(|f| is_introspection(&f.node.selection_set.node, doc, seen))
        }
    })
}

/// Checks every operation and fragment of the document against `limits`.
/// Returns the largest tally of an operation (for logs and tests).
pub fn check_document(
    shape: &SchemaShape,
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: &CostLimits,
) -> Result<Tally, AppError> {
    check_depth(doc)?;
    let budget = limits.max_fields.max(MAX_INTROSPECTION_FIELDS);
    let mut walk = Walk { shape, doc, variables, memo: HashMap::new(), in_progress: HashSet::new(), budget };
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    let mut largest = Tally::default();
    for op in operations {
        let op = &op.node;
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Mutation => shape.mutation_type.clone(),
            // Live events (R45) are objects of scalars: costed by size.
            async_graphql::parser::types::OperationType::Subscription => "SubscriptionRoot".to_owned(),
            async_graphql::parser::types::OperationType::Query => shape.query_type.clone(),
        };
        let set = &op.selection_set.node;
        let tally = walk.selection_set(set, &root, None);
        let root_fields = walk.selection_set_root_count(set);
        if is_introspection(set, doc, &mut HashSet::new()) {
            // Introspection-only: bounded by its expanded size (its cost is
            // bounded by the schema), and by the caller's alias and root-field
            // caps like any other document (issue 20: 101 aliases of
            // `__typename` were answered anonymously).
            let broken = [
                (ComplexityLimit::Fields, tally.fields, MAX_INTROSPECTION_FIELDS),
                (ComplexityLimit::Aliases, tally.aliases, limits.max_aliases),
                (ComplexityLimit::RootFields, root_fields, limits.max_root_fields),
            ];
            if let Some((limit, actual, max)) = broken.into_iter().find(|(_, actual, max)| actual > max) {
                return Err(AppError::too_complex(limit, actual, max));
            }
            continue;
        }
        let broken = [
            (ComplexityLimit::Cost, tally.cost, limits.max_cost),
            (ComplexityLimit::Fields, tally.fields, limits.max_fields),
            (ComplexityLimit::Aliases, tally.aliases, limits.max_aliases),
            (ComplexityLimit::RootFields, root_fields, limits.max_root_fields),
        ];
        if let Some((limit, actual, max)) = broken.into_iter().find(|(_, actual, max)| actual > max) {
            tracing::info!(
                fields = tally.fields,
                cost = tally.cost,
                aliases = tally.aliases,
                root_fields,
                "query refused as too complex"
            );
            return Err(AppError::too_complex(limit, actual, max));
        }
        if tally.cost > largest.cost {
            largest = tally;
        }
    }
    // Fragments no operation uses are still walked by validation.
    let names: Vec<String> = doc.fragments.keys().map(|n| n.to_string()).collect();
    for name in names {
        let tally = walk.fragment(&name, None);
        if tally.fields > budget {
            return Err(AppError::too_complex(ComplexityLimit::Fields, tally.fields, budget));
        }
    }
    Ok(largest)
}

impl Walk<'_> {
    /// Fields at the root after expanding fragments (each fragment once).
    fn selection_set_root_count(&self, set: &SelectionSet) -> u64 {
        fn count(set: &SelectionSet, doc: &ExecutableDocument, seen: &mut HashSet<String>) -> u64 {
            set.items
                .iter()
                .map(|item| match &item.node {
                    Selection::Field(_) => 1,
                    Selection::InlineFragment(inline) => count(&inline.node.selection_set.node, doc, seen),
                    Selection::FragmentSpread(spread) => {
                        let name = spread.node.fragment_name.node.to_string();
                        if !seen.insert(name.clone()) {
                            return 0;
                        }
                        doc.fragments.get(name.as_str()).map_or(0, |f| count(&f.node.selection_set.node, doc, seen))
                    }
                })
                .fold(0u64, u64::saturating_add)
        }
        count(set, self.doc, &mut HashSet::new())
    }
}
