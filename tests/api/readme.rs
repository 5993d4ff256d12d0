//! Issue 13 item 8: every GraphQL example of README.md runs against the demo
//! data, in order, without errors and with data. A `# as: <e-mail>` comment
//! names the caller (on a line of its own: for the operations after it in
//! the block; after an operation: for that one); the organization's admin
//! otherwise, and nobody for sign-up and sign-in. Each `"…"` (or `"<…>"`) is
//! replaced by an ID from the demo chosen by the field and argument it is in.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::{demo::demo_login, helpers::*};

const README: &str = include_str!("../../README.md");

struct Operation {
    text: String,
    caller: Option<String>,
}

fn comment_caller(comment: &str) -> Option<String> {
    let rest = comment.split("as:").nth(1)?;
    rest.split_whitespace().next().map(str::to_owned)
}

/// The operations of each ```graphql block, split at the top level.
fn operations() -> Vec<Operation> {
    let mut out = Vec::new();
    for block in README.split("```graphql\n").skip(1) {
        let block = block.split("```").next().unwrap_or("");
        let mut default_caller: Option<String> = None;
        let (mut text, mut caller, mut depth) = (String::new(), None, 0i32);
        for line in block.lines() {
            let (code, comment) = match line.find('#') {
                Some(at) => (&line[..at], &line[at..]),
                None => (line, ""),
            };
            if code.trim().is_empty() && depth == 0 {
                if let Some(who) = comment_caller(comment) {
                    default_caller = Some(who);
                }
                continue;
            }
            if let Some(who) = comment_caller(comment) {
                caller = Some(who);
            }
            text.push_str(code);
            text.push('\n');
            depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
            if depth == 0 {
                let who = caller.take().or_else(|| default_caller.clone());
                out.push(Operation { text: std::mem::take(&mut text), caller: who });
            }
        }
        assert_eq!(depth, 0, "unbalanced braces in a README block: {block}");
    }
    out
}

/// The root field an operation calls: the first name after its first `{`.
fn root_field(text: &str) -> String {
    let after = text.split_once('{').map(|(_, rest)| rest).unwrap_or("");
    after.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// IDs from the demo, and from earlier examples (a profile or subscription they made).
struct Ids(HashMap<&'static str, String>);

impl Ids {
    fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| panic!("no demo ID for {key}"))
    }

    /// The ID an example means by `"…"` at `argument` of `field` (the `index`-th in a list).
    fn pick(&self, field: &str, argument: &str, index: usize) -> String {
        let key =
            match (field, argument) {
                ("deactivateUser" | "reactivateUser" | "setUserRoles" | "deleteUser", "userId") => "carl",
                ("assignLicenses", "userIds") => ["bea", "leo"].get(index).copied().unwrap_or("leo"),
                ("unassignLicenses", "userIds") => "leo",
                ("grantBillingRole", "userId") => "bob",
                ("addPaymentMethod" | "acceptProposal", "billingProfileId") => "new profile",
                ("purchaseSubscription", "billingProfileId") => "purchase profile",
                ("setSelfServicePolicy", "productId") => "whiteboard",
                (_, "productId") => "chat",
                ("acceptProposal", "proposalId") => "proposal",
                (_, "subscriptionId") => "new subscription",
                ("replacePaymentMethod", "billingProfileId") | ("payInvoice", "invoiceId") => {
                    if argument == "invoiceId" { "labs invoice" } else { "labs" }
                }
                ("markInvoicePaid", "invoiceId") => "facilities invoice",
                ("useExistingPaymentMethod", "billingProfileId") => "labs",
                ("useExistingPaymentMethod", "paymentMethodId") => "main method",
                ("removePaymentMethod", "paymentMethodId") => "labs method",
                _ => "main",
            };
        self.get(key)
    }
}

/// Replaces every `"…"` / `"<…>"` of an operation by the ID it stands for.
fn fill(text: &str, ids: &Ids, caller: Option<&str>) -> String {
    let field = root_field(text);
    let mut out = String::new();
    let mut rest = text;
    let mut list_index = 0;
    let mut last_argument = String::new();
    while let Some(start) = rest.find('"') {
        let Some(len) = rest[start + 1..].find('"') else { break };
        let (before, literal) = (&rest[..start], &rest[start + 1..start + 1 + len]);
        out.push_str(before);
        // The argument this string belongs to: the last `name:` before it.
        if let Some(colon) = before.rfind(':') {
            let name: String = before[..colon]
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !name.is_empty() && before[colon + 1..].trim().trim_start_matches('[').trim().is_empty() {
                if name != last_argument {
                    list_index = 0;
                }
                last_argument = name;
            }
        }
        if literal == "…" || (literal.starts_with('<') && literal.ends_with('>')) {
            let mut argument = last_argument.clone();
            if literal == "<my own profile>" && caller == Some("ann@contoso.demo") {
                argument = "own".into();
            }
            let id = if argument == "own" { ids.get("ann profile") } else { ids.pick(&field, &argument, list_index) };
            list_index += 1;
            out.push('"');
            out.push_str(&id);
            out.push('"');
        } else {
            out.push('"');
            out.push_str(literal);
            out.push('"');
        }
        rest = &rest[start + 2 + len..];
    }
    out.push_str(rest);
    out
}

/// Some value in `data` is not null, not empty.
fn has_data(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => items.iter().any(has_data),
        Value::Object(map) => map.values().any(has_data),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

async fn demo_ids(app: &TestApp, admin: &str) -> Ids {
    let mut ids = HashMap::new();
    let data = app
        .ok(
            admin,
            "{ users(first: 100) { nodes { id email } } products { nodes { id name } } billingProfiles { nodes { id name } } \
             proposals { nodes { id } } invoices(first: 100) { nodes { id status billingProfile { name } } } }",
            json!({}),
        )
        .await;
    for user in data["users"]["nodes"].as_array().expect("users") {
        let email = user["email"].as_str().unwrap_or("");
        for (key, prefix) in [("carl", "carl@"), ("bob", "bob@"), ("bea", "billing@"), ("leo", "licenses@")] {
            if email.starts_with(prefix) {
                ids.insert(key, user["id"].as_str().unwrap_or("").to_owned());
            }
        }
    }
    let named = |list: &Value, name: &str| -> String {
        list.as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["name"] == name))
            .and_then(|n| n["id"].as_str())
            .unwrap_or_else(|| panic!("no {name} in the demo"))
            .to_owned()
    };
    ids.insert("chat", named(&data["products"]["nodes"], "Fabrikam Chat"));
    ids.insert("whiteboard", named(&data["products"]["nodes"], "Fabrikam Whiteboard"));
    ids.insert("main", named(&data["billingProfiles"]["nodes"], "Contoso main"));
    ids.insert("labs", named(&data["billingProfiles"]["nodes"], "Contoso labs"));
    ids.insert("proposal", data["proposals"]["nodes"][0]["id"].as_str().expect("a proposal").to_owned());
    let unpaid = |profile: &str| -> String {
        data["invoices"]["nodes"]
            .as_array()
            .and_then(|nodes| {
                nodes.iter().find(|n| {
                    n["billingProfile"]["name"] == profile && matches!(n["status"].as_str(), Some("OPEN" | "OVERDUE"))
                })
            })
            .and_then(|n| n["id"].as_str())
            .unwrap_or_else(|| panic!("no unpaid invoice of {profile}"))
            .to_owned()
    };
    ids.insert("labs invoice", unpaid("Contoso labs"));
    ids.insert("facilities invoice", unpaid("Contoso facilities"));
    // R41: the card each profile pays with when the tour starts.
    let methods =
        app.ok(admin, "{ paymentMethods(first: 100) { nodes { id billingProfiles { name } } } }", json!({})).await;
    for node in methods["paymentMethods"]["nodes"].as_array().expect("payment methods") {
        for (key, profile) in [("main method", "Contoso main"), ("labs method", "Contoso labs")] {
            if node["billingProfiles"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == profile)) {
                ids.insert(key, node["id"].as_str().unwrap_or("").to_owned());
            }
        }
    }
    let ann = demo_login(app, "ann@contoso.demo").await;
    let own = app.ok(&ann, "{ billingProfiles { nodes { id name } } }", json!({})).await;
    ids.insert("ann profile", named(&own["billingProfiles"]["nodes"], "Ann's own"));
    Ids(ids)
}

#[tokio::test]
async fn every_readme_example_runs_against_the_demo_data() {
    let app = TestApp::spawn().await;
    licensedesk::demo::seed(&app.state).await.expect("seed");
    let admin = demo_login(&app, licensedesk::demo::DEMO_ADMIN).await;
    let mut ids = demo_ids(&app, &admin).await;
    let mut tokens: HashMap<String, String> = HashMap::new();
    let operations = operations();
    assert!(operations.len() >= 30, "sanity: the README's examples were found ({})", operations.len());
    for operation in operations {
        let field = root_field(&operation.text);
        let anonymous = matches!(field.as_str(), "registerOrganization" | "registerPublisher" | "login");
        let email = operation.caller.clone().unwrap_or_else(|| licensedesk::demo::DEMO_ADMIN.to_owned());
        let token = if anonymous {
            None
        } else {
            if !tokens.contains_key(&email) {
                tokens.insert(email.clone(), demo_login(&app, &email).await);
            }
            tokens.get(&email).cloned()
        };
        // A purchase by the admin goes to the profile the examples just made.
        if field == "purchaseSubscription" {
            let profile = if email == licensedesk::demo::DEMO_ADMIN { "new profile" } else { "ann profile" };
            ids.0.insert("purchase profile", ids.get(profile));
        }
        let query = fill(&operation.text, &ids, operation.caller.as_deref());
        let response = app.gql(token.as_deref(), &query, json!({})).await;
        assert!(response.get("errors").is_none(), "README example as {email} failed:\n{query}\n{response}");
        assert!(has_data(&response["data"]), "README example as {email} returned no data:\n{query}\n{response}");
        let made = response["data"][field.as_str()]["id"].as_str().map(str::to_owned);
        match (field.as_str(), made) {
            ("createBillingProfile", Some(id)) => {
                ids.0.insert("new profile", id);
            }
            ("purchaseSubscription", Some(id)) if email == licensedesk::demo::DEMO_ADMIN => {
                ids.0.insert("new subscription", id);
            }
            _ => {}
        }
    }
}
