//! The pre-pass: costs, limits, depth and input text, on the real schema's shape.

use super::*;
use crate::error::Invalid;

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
    assert!(matches!(result, Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(tally(&many, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(tally(&query, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex { .. })));
}

#[test]
fn anonymous_limits_allow_sign_in_and_markets_only() {
    let anon = CostLimits::ANONYMOUS;
    tally(r#"mutation { login(email: "a@b.example", password: "0123456789") { token expiresAt } }"#, &anon)
        .expect("login fits");
    tally("{ markets { market name countries } }", &anon).expect("markets fit");
    assert!(matches!(
        tally("{ users(first: 100) { nodes { id name } } }", &anon),
        Err(AppError::QueryTooComplex { .. })
    ));
}

#[test]
fn introspection_only_documents_keep_the_alias_and_root_field_caps() {
    // Issue 20: 101 aliases of `__typename` were answered anonymously.
    let many = format!("{{ {} }}", (0..101).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
    assert!(matches!(tally(&many, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex { .. })));
    let four = "{ a: __typename b: __typename c: __typename d: __typename }";
    assert!(matches!(tally(four, &CostLimits::ANONYMOUS), Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(result, Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(tally(cycle, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(
        depth_of(&format!("{{ {} }}", nested("a", MAX_DEPTH + 1))),
        Err(AppError::QueryTooComplex { .. })
    ));
    // Through fragments: 5 levels in the operation, 8 in the fragment (13).
    let split = format!("{{ {} }} fragment F on T {{ {} }}", nested("a", 6).replace("id", "...F"), nested("b", 8));
    assert!(matches!(depth_of(&split), Err(AppError::QueryTooComplex { .. })));
    // Introspection may go deeper (graphql-js's TypeRef), up to its own limit.
    let deep_schema = format!("{{ __schema {{ {} }} }}", nested("ofType", 20));
    assert_eq!(depth_of(&deep_schema), Ok(()));
    let too_deep = format!("{{ __schema {{ {} }} }}", nested("ofType", MAX_INTROSPECTION_DEPTH));
    assert!(matches!(depth_of(&too_deep), Err(AppError::QueryTooComplex { .. })));
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
    assert!(matches!(depth_of(&chain(MAX_RECURSION)), Err(AppError::QueryTooComplex { .. })));
    let cycle = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
    assert!(matches!(depth_of(cycle), Err(AppError::QueryTooComplex { .. })));
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let query = format!("{{ me {} }}", "{ a ".repeat(200));
    assert!(matches!(check_text(&query, &CostLimits::AUTHENTICATED), Err(AppError::QueryTooComplex { .. })));
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
    let doc = async_graphql::parser::parse_query("mutation($input: X) { a(input: $input) { id } }").expect("parses");
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
