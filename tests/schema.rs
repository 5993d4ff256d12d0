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
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.ends_with('{') {
            in_output_type = trimmed.starts_with("type ") || trimmed.starts_with("interface ");
        } else if trimmed == "}" {
            in_output_type = false;
        } else if in_output_type {
            // Only the field's own name: arguments (e.g. `login(password:)`) are input.
            let field = trimmed.split(['(', ':']).next().unwrap_or("").to_lowercase();
            for secret in ["password", "cardnumber", "securitycode", "cvv", "cvc", "fingerprint"] {
                assert!(!field.contains(secret), "output field exposes a secret: {trimmed}");
            }
        }
    }
    assert!(sdl.contains("type Query"), "sanity: the SDL was produced");
}
