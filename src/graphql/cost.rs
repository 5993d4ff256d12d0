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
use std::collections::{HashMap, HashSet};

use async_graphql::{
    Positioned, Variables,
    parser::types::{
        BaseType, DocumentOperations, ExecutableDocument, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
    },
};

use async_graphql_value::{ConstValue, Name, Value};

use crate::error::{AppError, Invalid};

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
        return Err(AppError::QueryTooComplex);
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
                    return Err(AppError::QueryTooComplex);
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
            depth => {
                tracing::info!(?depth, "query refused as nested too deep");
                return Err(AppError::QueryTooComplex);
            }
        }
    }
    Ok(())
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
            if tally.fields > MAX_INTROSPECTION_FIELDS
                || tally.aliases > limits.max_aliases
                || root_fields > limits.max_root_fields
            {
                return Err(AppError::QueryTooComplex);
            }
            continue;
        }
        if tally.fields > limits.max_fields
            || tally.cost > limits.max_cost
            || tally.aliases > limits.max_aliases
            || root_fields > limits.max_root_fields
        {
            tracing::info!(
                fields = tally.fields,
                cost = tally.cost,
                aliases = tally.aliases,
                root_fields,
                "query refused as too complex"
            );
            return Err(AppError::QueryTooComplex);
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
            return Err(AppError::QueryTooComplex);
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

// ---------------------------------------------------------------------------
// Control characters in string input
// ---------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> SchemaShape {
        SchemaShape::from_sdl(&crate::graphql::schema::export_sdl()).expect("the SDL parses")
    }

    fn tally(query: &str, limits: &CostLimits) -> Result<Tally, AppError> {
        check_text(query, limits)?;
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        check_document(&shape(), &doc, &Variables::default(), limits)
    }

    #[test]
    fn fragment_fan_out_is_costed_without_expanding_it() {
        // Each fragment spreads the next twice: 2^25 selections if expanded
        // (25 spreads deep stays within MAX_RECURSION, so the cost walk is what refuses it).
        let mut query = String::from("query { me { ...F0 } }\n");
        for i in 0..25 {
            query.push_str(&format!("fragment F{i} on User {{ ...F{n} ...F{n} }}\n", n = i + 1));
        }
        query.push_str("fragment F25 on User { id name }\n");
        let shape = shape();
        let started = std::time::Instant::now();
        let doc = async_graphql::parser::parse_query(&query).expect("parses");
        let result = check_document(&shape, &doc, &Variables::default(), &CostLimits::AUTHENTICATED);
        assert_eq!(result, Err(AppError::QueryTooComplex));
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[test]
    fn page_sizes_multiply_the_cost() {
        let one =
            tally("{ subscriptions(first: 100) { nodes { id assignedUsers { name } } } }", &CostLimits::AUTHENTICATED)
                .expect("one large page is allowed");
        // subscriptions + nodes + 100 × (id + assignedUsers + 100 × name)
        assert_eq!(one.cost, 1 + 1 + 100 * (1 + 1 + 100));
        let mut many = String::from("{");
        for i in 0..3 {
            many.push_str(&format!(" a{i}: subscriptions(first: 100) {{ nodes {{ id assignedUsers {{ name }} }} }}"));
        }
        many.push('}');
        assert_eq!(tally(&many, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex));
        let default_page = tally("{ users { nodes { id } } }", &CostLimits::AUTHENTICATED).expect("ok");
        assert_eq!(default_page.cost, 1 + 1 + DEFAULT_CONNECTION_PAGE);
    }

    #[test]
    fn many_aliases_and_root_fields_are_refused() {
        let mut query = String::from("{");
        for i in 0..100 {
            query.push_str(&format!(" a{i}: me {{ id }}"));
        }
        query.push('}');
        assert_eq!(tally(&query, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex));
    }

    #[test]
    fn anonymous_limits_allow_sign_in_and_markets_only() {
        let anon = CostLimits::ANONYMOUS;
        tally(r#"mutation { login(email: "a@b.example", password: "0123456789") { token expiresAt } }"#, &anon)
            .expect("login fits");
        tally("{ markets { market name countries } }", &anon).expect("markets fit");
        assert_eq!(tally("{ users(first: 100) { nodes { id name } } }", &anon), Err(AppError::QueryTooComplex));
    }

    #[test]
    fn introspection_only_documents_keep_the_alias_and_root_field_caps() {
        // Issue 20: 101 aliases of `__typename` were answered anonymously.
        let many = format!("{{ {} }}", (0..101).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
        assert_eq!(tally(&many, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex));
        let four = "{ a: __typename b: __typename c: __typename d: __typename }";
        assert_eq!(tally(four, &CostLimits::ANONYMOUS), Err(AppError::QueryTooComplex));
        tally("{ a: __typename b: __typename }", &CostLimits::ANONYMOUS).expect("a few aliases pass");
        // A fan-out inside `__schema` is bounded by its expanded size.
        let mut fan = String::from("query { __schema { ...F0 } }\n");
        for i in 0..24 {
            fan.push_str(&format!("fragment F{i} on __Schema {{ ...F{n} ...F{n} }}\n", n = i + 1));
        }
        fan.push_str("fragment F24 on __Schema { queryType { name } }\n");
        let shape = shape();
        let doc = async_graphql::parser::parse_query(&fan).expect("parses");
        let started = std::time::Instant::now();
        let result = check_document(&shape, &doc, &Variables::default(), &CostLimits::ANONYMOUS);
        assert_eq!(result, Err(AppError::QueryTooComplex));
        assert!(started.elapsed() < std::time::Duration::from_millis(100), "{:?}", started.elapsed());
    }

    #[test]
    fn nested_pages_are_costed_as_their_page() {
        // Issue 20: a list with `first` counts `first` rows (default 50), so
        // the payment method <-> billing profile cycle costs what it returns.
        let one = tally(
            "{ subscriptions(first: 10) { nodes { assignmentHistory { assignedAt } } } }",
            &CostLimits::AUTHENTICATED,
        )
        .expect("one page fits");
        assert_eq!(one.cost, 1 + 1 + 10 * (1 + 50));
        let cycle = "{ paymentMethods { nodes { billingProfiles { paymentMethod { billingProfiles { id } } } } } }";
        assert_eq!(tally(cycle, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex));
    }

    #[test]
    fn graphiql_introspection_query_passes() {
        let result = tally(INTROSPECTION_QUERY, &CostLimits::ANONYMOUS);
        assert!(result.is_ok(), "{result:?}");
    }

    fn depth_of(query: &str) -> Result<(), AppError> {
        check_depth(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    fn nested(field: &str, levels: usize) -> String {
        format!("{}{}", format!("{field} {{ ").repeat(levels - 1) + "id", " }".repeat(levels - 1))
    }

    /// Issue 19: field depth is refused by the typed pre-pass at
    /// MAX_DEPTH + 1, counted like async-graphql's `limit_depth`.
    #[test]
    fn issue_19_depth_limit_is_typed() {
        assert_eq!(depth_of(&format!("{{ {} }}", nested("a", MAX_DEPTH))), Ok(()));
        assert_eq!(depth_of(&format!("{{ {} }}", nested("a", MAX_DEPTH + 1))), Err(AppError::QueryTooComplex));
        // Through fragments: 5 levels in the operation, 8 in the fragment (13).
        let split = format!("{{ {} }} fragment F on T {{ {} }}", nested("a", 6).replace("id", "...F"), nested("b", 8));
        assert_eq!(depth_of(&split), Err(AppError::QueryTooComplex));
        // Introspection may go deeper (graphql-js's TypeRef), up to its own limit.
        let deep_schema = format!("{{ __schema {{ {} }} }}", nested("ofType", 20));
        assert_eq!(depth_of(&deep_schema), Ok(()));
        let too_deep = format!("{{ __schema {{ {} }} }}", nested("ofType", MAX_INTROSPECTION_DEPTH));
        assert_eq!(depth_of(&too_deep), Err(AppError::QueryTooComplex));
    }

    /// Issue 19: recursion (spreads nested without fields) and fragment
    /// cycles are refused by the pre-pass, not by async-graphql's text.
    #[test]
    fn issue_19_recursion_and_cycles_are_typed() {
        let chain = |n: usize| {
            let mut q = String::from("{ ...F0 }\n");
            for i in 0..n {
                q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
            }
            q.push_str(&format!("fragment F{n} on Query {{ me {{ id }} }}\n"));
            q
        };
        assert_eq!(depth_of(&chain(MAX_RECURSION - 3)), Ok(()));
        assert_eq!(depth_of(&chain(MAX_RECURSION)), Err(AppError::QueryTooComplex));
        let cycle = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert_eq!(depth_of(cycle), Err(AppError::QueryTooComplex));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let query = format!("{{ me {} }}", "{ a ".repeat(200));
        assert_eq!(check_text(&query, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex));
        assert!(
            check_text(
                r#"{ users(search: "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{") { totalCount } }"#,
                &CostLimits::AUTHENTICATED
            )
            .is_ok()
        );
    }

    #[test]
    fn control_characters_are_refused_with_the_field() {
        let doc = async_graphql::parser::parse_query(
            r#"mutation { login(email: "a\u0000@b.example", password: "x") { token } }"#,
        )
        .expect("parses");
        assert_eq!(input_text(&doc, &Variables::default()), Err(AppError::validation("email", Invalid::BadFormat)));
        let doc =
            async_graphql::parser::parse_query("mutation($input: X) { a(input: $input) { id } }").expect("parses");
        let vars = Variables::from_json(serde_json::json!({"input": {"name": "ok", "address": {"city": "a\u{7}"}}}));
        assert_eq!(input_text(&doc, &vars), Err(AppError::validation("input.address.city", Invalid::BadFormat)));
        let vars = Variables::from_json(serde_json::json!({"feedback": "line one\nline two\t", "name": "مرحبا 👋"}));
        assert_eq!(input_text(&doc, &vars), Ok(()));
        let vars = Variables::from_json(serde_json::json!({"name": "two\nlines"}));
        assert!(input_text(&doc, &vars).is_err());
    }

    /// graphql-js `getIntrospectionQuery()` with every option on (what GraphiQL sends).
    pub const INTROSPECTION_QUERY: &str = r#"
    query IntrospectionQuery {
      __schema {
        queryType { name kind }
        mutationType { name kind }
        subscriptionType { name kind }
        types { ...FullType }
        directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
      }
    }
    fragment FullType on __Type {
      kind name description specifiedByURL isOneOf
      fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
      inputFields(includeDeprecated: true) { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { ...TypeRef }
    }
    fragment InputValue on __InputValue {
      name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
    }
    fragment TypeRef on __Type {
      kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
    }
    "#;
}
