//! `schema.graphql` is the SDL exported from the code; this fails on drift.
//! Regenerate with `cargo run -- export-schema --output schema.graphql`.

#[test]
fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap_or_default();
    let current = licensedesk::app::export_sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -- export-schema --output schema.graphql`"
    );
}

/// The SDL never exposes password hashes, card numbers or security codes on
/// any output type (inputs may accept a card number; it is never returned).
#[test]
fn output_types_hold_no_secrets() {
    let sdl = licensedesk::app::export_sdl();
    let mut in_output_type = false;
    let mut in_description = false;
    let mut in_arguments = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        // Descriptions are words about fields, not fields.
        if trimmed.starts_with("\"\"\"") {
            in_description = !(in_description || (trimmed.len() > 3 && trimmed.ends_with("\"\"\"")));
            continue;
        }
        if in_description || trimmed.starts_with('"') {
            continue;
        }
        // Arguments printed one per line (they have descriptions) are input.
        if in_arguments {
            in_arguments = !trimmed.starts_with(')');
            continue;
        }
        if in_output_type && trimmed.ends_with('(') {
            in_arguments = true;
        }
        if trimmed.ends_with('{') {
            // Mutation fields are actions (`changePassword` returns a count), not data.
            // `…WithSecret` types are the one answer that shows a secret the
            // server just made (a webhook's signing secret, an API client's
            // secret) once; only a hash is kept. Stored secrets never appear.
            let reveals_once = trimmed.split_whitespace().nth(1).is_some_and(|name| name.ends_with("WithSecret"));
            in_output_type = (trimmed.starts_with("type ") && !trimmed.starts_with("type Mutation") && !reveals_once)
                || trimmed.starts_with("interface ");
        } else if trimmed == "}" {
            in_output_type = false;
        } else if in_output_type {
            // Only the field's own name: arguments (e.g. `login(password:)`) are input.
            let field = trimmed.split(['(', ':']).next().unwrap_or("").to_lowercase();
            for secret in ["password", "cardnumber", "securitycode", "cvv", "cvc", "fingerprint", "clientsecret"] {
                assert!(!field.contains(secret), "output field exposes a secret: {trimmed}");
            }
        }
    }
    assert!(sdl.contains("type Query"), "sanity: the SDL was produced");
}

/// Words in a description that are Rust, not GraphQL: a console developer
/// never sees these types (issue 13 item 7).
const RUST_NAMES: &[&str] = &[
    "NaiveDate",
    "DateTime<",
    "Utc>",
    "Option<",
    "Vec<",
    "Uuid",
    "i32",
    "i64",
    "u32",
    "u64",
    "usize",
    "HashMap",
    "chrono",
    "serde",
    "::",
    "&str",
    "Decimal",
];

/// Issue 13 item 7: every type, field, argument and enum value of the
/// exported schema is described in words, without Rust type names, and no
/// description is only rule numbers ("R9").
#[test]
fn every_part_of_the_schema_is_described_in_words() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    let sdl = licensedesk::app::export_sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the exported SDL parses");
    let mut problems = Vec::new();
    let mut check = |path: String, description: Option<&str>| {
        let text = description.unwrap_or("").trim();
        // "R9" or "R14–R16" alone: rule numbers, no words.
        let only_rules = !text.chars().any(|c| c.is_alphabetic() && c != 'R');
        if text.is_empty() || only_rules {
            problems.push(format!("{path}: no description in words ({text:?})"));
        }
        for rust in RUST_NAMES {
            if text.contains(rust) {
                problems.push(format!("{path}: mentions the Rust name {rust:?}"));
            }
        }
    };
    let mut described = 0;
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        let desc = |d: &Option<async_graphql::Positioned<String>>| d.as_ref().map(|d| d.node.clone());
        check(name.to_owned(), desc(&ty.description).as_deref());
        described += 1;
        let fields = match &ty.kind {
            TypeKind::Object(object) => Some(&object.fields),
            TypeKind::Interface(interface) => Some(&interface.fields),
            _ => None,
        };
        for field in fields.into_iter().flatten() {
            let field = &field.node;
            check(format!("{name}.{}", field.name.node), desc(&field.description).as_deref());
            described += 1;
            for argument in &field.arguments {
                let argument = &argument.node;
                check(
                    format!("{name}.{}({})", field.name.node, argument.name.node),
                    desc(&argument.description).as_deref(),
                );
                described += 1;
            }
        }
        if let TypeKind::InputObject(input) = &ty.kind {
            for field in &input.fields {
                check(format!("{name}.{}", field.node.name.node), desc(&field.node.description).as_deref());
                described += 1;
            }
        }
        if let TypeKind::Enum(values) = &ty.kind {
            for value in &values.values {
                check(format!("{name}.{}", value.node.value.node), desc(&value.node.description).as_deref());
                described += 1;
            }
        }
    }
    assert!(described > 500, "sanity: the walk saw the schema ({described} parts)");
    assert!(problems.is_empty(), "{} parts of the schema need a description:\n{}", problems.len(), problems.join("\n"));
}

/// Issue 24 item 2: descriptions say the rule in words; a client never sees
/// the product contract's internal rule numbers (R12, R2–R3) or item tags.
#[test]
fn descriptions_cite_no_internal_rule_numbers() {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    let mut found = Vec::new();
    for (n, line) in sdl.lines().enumerate() {
        let words = line.split(|c: char| !c.is_ascii_alphanumeric());
        let cites = words
            .clone()
            .any(|w| w.len() >= 2 && w.len() <= 3 && w.starts_with('R') && w[1..].bytes().all(|b| b.is_ascii_digit()));
        if cites || line.contains("[item") {
            found.push(format!("{}: {}", n + 1, line.trim()));
        }
    }
    assert!(found.is_empty(), "rule numbers in schema descriptions:\n{}", found.join("\n"));
}
