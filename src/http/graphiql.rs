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
# 4. Subscriptions run over the WebSocket endpoint /graphql/ws with the same token,
#    e.g.  subscription { subscriptionEvents { type objectId createdAt } }

query Me {
  me {
    name
    email
    roles
    organization { name country }
  }
}
"#;

/// GraphQL subscriptions from the page: over the WebSocket endpoint
/// (`http::WS_PATH`) with the graphql-transport-ws protocol, the token from the
/// Authorization header sent in `connection_init`; each `next` message is
/// one result GraphiQL shows as it arrives (an async iterator).
const SUBSCRIPTION_SCRIPT: &str = r#"
    // The kind of the operation GraphiQL runs: the named one, or the first.
    function operationKind(params) {
      const source = (params.query || "").replace(/#[^\n]*/g, "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
      const pattern = /(^|[\s}])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
      let match;
      while ((match = pattern.exec(source))) {
        if (!params.operationName || match[3] === params.operationName) return match[2];
      }
      return "query";
    }
    function subscribeOverWebSocket(params, headers) {
      const url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + WS_PATH;
      const queue = [];
      let wake = null;
      let done = false;
      const notify = () => { if (wake) { const w = wake; wake = null; w(); } };
      const push = (item) => { queue.push(item); notify(); };
      const finish = () => { done = true; notify(); };
      const ws = new WebSocket(url, "graphql-transport-ws");
      ws.onopen = () => {
        const auth = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization");
        const payload = auth ? { authorization: auth[1] } : {};
        ws.send(JSON.stringify({ type: "connection_init", payload }));
      };
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: params }));
        } else if (message.type === "next") {
          push(message.payload);
        } else if (message.type === "error") {
          push({ errors: message.payload });
          finish();
        } else if (message.type === "complete") {
          finish();
        } else if (message.type === "ping") {
          ws.send(JSON.stringify({ type: "pong" }));
        }
      };
      ws.onclose = (event) => {
        if (!done && event.code !== 1000) {
          push({ errors: [{ message: "The subscription connection closed (" + event.code + (event.reason ? ": " + event.reason : "") + "). Is the token in the Headers pane valid?" }] });
        }
        finish();
      };
      return {
        [Symbol.asyncIterator]() { return this; },
        async next() {
          while (!queue.length && !done) await new Promise((resolve) => { wake = resolve; });
          return queue.length ? { value: queue.shift(), done: false } : { value: undefined, done: true };
        },
        async return() {
          done = true;
          try { ws.send(JSON.stringify({ id: "1", type: "complete" })); ws.close(1000); } catch (_) {}
          return { value: undefined, done: true };
        },
      };
    }
"#;

const DEFAULT_HEADERS: &str = r#"{
  "Authorization": "Bearer <paste the token from login here>"
}"#;

fn page() -> String {
    let default_query = serde_json::to_string(DEFAULT_QUERY).unwrap_or_else(|_| "\"\"".into());
    let default_headers = serde_json::to_string(DEFAULT_HEADERS).unwrap_or_else(|_| "\"\"".into());
    let ws_path = serde_json::to_string(super::WS_PATH).unwrap_or_else(|_| "\"\"".into());
    let subscription_script = SUBSCRIPTION_SCRIPT;
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
    const WS_PATH = {ws_path};
    {subscription_script}
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
      if (operationKind(params) === "subscription") return subscribeOverWebSocket(params, headers);
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
