//! GraphiQL at `/`, served entirely from the binary: the page and the
//! vendored npm builds of GraphiQL, React and React DOM (`assets/graphiql/`,
//! fetched once by `assets/graphiql/fetch.sh`) are compiled in, so the page
//! loads on a network with no access to a CDN.

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

const GRAPHIQL_JS: &[u8] = include_bytes!("../../assets/graphiql/graphiql.min.js");
const GRAPHIQL_CSS: &[u8] = include_bytes!("../../assets/graphiql/graphiql.min.css");
const REACT_JS: &[u8] = include_bytes!("../../assets/graphiql/react.production.min.js");
const REACT_DOM_JS: &[u8] = include_bytes!("../../assets/graphiql/react-dom.production.min.js");

/// Where the assets are served; the page refers to nothing else.
pub const ASSET_PREFIX: &str = "/graphiql-assets";

const DEFAULT_QUERY: &str = r#"# Welcome to LicenseDesk.
#
# 1. Sign in (run this mutation with the play button):
#      mutation { login(email: "admin@contoso.demo", password: "licensedesk-demo") { token } }
# 2. Open "Headers" below and paste the token:
#      { "Authorization": "Bearer <the token>" }
# 3. Run queries. Ctrl-Space autocompletes; the Docs pane (top left) shows the schema.

query Me {
  me {
    name
    email
    roles
    organization { name country }
  }
}
"#;

const DEFAULT_HEADERS: &str = r#"{
  "Authorization": "Bearer <paste the token from login here>"
}"#;

fn page() -> String {
    let default_query = serde_json::to_string(DEFAULT_QUERY).unwrap_or_else(|_| "\"\"".into());
    let default_headers = serde_json::to_string(DEFAULT_HEADERS).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>LicenseDesk GraphiQL</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" href="{ASSET_PREFIX}/graphiql.min.css">
  <script src="{ASSET_PREFIX}/react.production.min.js"></script>
  <script src="{ASSET_PREFIX}/react-dom.production.min.js"></script>
  <script src="{ASSET_PREFIX}/graphiql.min.js"></script>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script>
    // Headers whose Authorization still holds the placeholder are sent
    // without it, so the schema loads before anyone signs in.
    async function fetcher(params, options) {{
      const headers = {{ "Content-Type": "application/json", "Accept": "application/json" }};
      const given = (options && options.headers) || {{}};
      for (const [name, value] of Object.entries(given)) {{
        if (typeof value !== "string") continue;
        if (name.toLowerCase() === "authorization" && !/^bearer\s+[^\s<]+$/i.test(value.trim())) continue;
        headers[name] = value;
      }}
      const response = await fetch("/graphql", {{ method: "POST", headers, body: JSON.stringify(params) }});
      return response.json();
    }}
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {{
      fetcher,
      defaultQuery: {default_query},
      defaultHeaders: {default_headers},
      headerEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: "headers",
    }}));
  </script>
</body>
</html>
"#
    )
}

async fn index() -> Html<String> {
    Html(page())
}

fn asset(bytes: &'static [u8], content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

/// The page at `/` and its assets, for a router with any state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    const JS: &str = "text/javascript; charset=utf-8";
    Router::new()
        .route("/", get(index))
        .route(&format!("{ASSET_PREFIX}/graphiql.min.js"), get(|| async { asset(GRAPHIQL_JS, JS) }))
        .route(
            &format!("{ASSET_PREFIX}/graphiql.min.css"),
            get(|| async { asset(GRAPHIQL_CSS, "text/css; charset=utf-8") }),
        )
        .route(&format!("{ASSET_PREFIX}/react.production.min.js"), get(|| async { asset(REACT_JS, JS) }))
        .route(&format!("{ASSET_PREFIX}/react-dom.production.min.js"), get(|| async { asset(REACT_DOM_JS, JS) }))
}
