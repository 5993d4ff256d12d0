//! R47: sessions that can end — a short-lived access token and a rotating
//! refresh token; a reused refresh token ends the session; signing out,
//! listing and ending sessions (self, or a GLOBAL_ADMIN for their
//! organization); deactivation and a password change end sessions, and
//! reactivation does not revive them. Refresh tokens are stored only hashed.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::helpers::*;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { \
    token refreshToken refreshTokenExpiresAt sessionId expiresAt } }";
const REFRESH: &str = "mutation($r: String!) { refreshSession(refreshToken: $r) { token refreshToken sessionId } }";
const ME: &str = "{ me { id } }";
const SESSIONS: &str =
    "query($u: ID) { sessions(userId: $u, first: 50) { totalCount nodes { id userAgent current endedAt endReason } } }";

struct Tokens {
    access: String,
    refresh: String,
    session: String,
}

fn tokens(payload: &Value) -> Tokens {
    Tokens {
        access: payload["token"].as_str().expect("token").to_owned(),
        refresh: payload["refreshToken"].as_str().expect("refresh token").to_owned(),
        session: payload["sessionId"].as_str().expect("session id").to_owned(),
    }
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Tokens {
    let data = app.ok_anon(LOGIN, json!({"e": email, "p": password})).await;
    tokens(&data["login"])
}

async fn works(app: &TestApp, access: &str) -> bool {
    app.gql(Some(access), ME, json!({})).await["errors"].is_null()
}

async fn refresh(app: &TestApp, refresh: &str) -> Result<Tokens, String> {
    let response = app.gql(None, REFRESH, json!({"r": refresh})).await;
    match response["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => Err(code.to_owned()),
        None => Ok(tokens(&response["data"]["refreshSession"])),
    }
}

/// R47: refreshing rotates both tokens; the old refresh token, sent again,
/// is refused and ends the whole session (the newest tokens too).
#[tokio::test]
async fn r47_refresh_rotates_and_a_reused_refresh_token_ends_the_session() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let bob = app.user(&org, "Bob", &[]).await;
    let first = sign_in(&app, &bob.email, PASSWORD).await;
    assert!(first.refresh.starts_with("ldr_"), "{}", first.refresh);
    let second = refresh(&app, &first.refresh).await.expect("a fresh refresh token works");
    assert_eq!(second.session, first.session, "the same session goes on");
    assert_ne!(second.refresh, first.refresh, "the refresh token rotates");
    assert!(works(&app, &second.access).await);
    let third = refresh(&app, &second.refresh).await.expect("the rotated one works once");

    // Someone replays the first refresh token: refused, and the session is over for everyone.
    assert_eq!(refresh(&app, &first.refresh).await.err().as_deref(), Some("UNAUTHENTICATED"));
    assert!(!works(&app, &third.access).await, "the newest access token of a reused session stops");
    assert_eq!(refresh(&app, &third.refresh).await.err().as_deref(), Some("UNAUTHENTICATED"));
    let other = sign_in(&app, &bob.email, PASSWORD).await;
    let list = app.ok(&other.access, SESSIONS, json!({})).await;
    let ended = list["sessions"]["nodes"].as_array().expect("nodes").iter().find(|s| s["id"] == json!(first.session));
    assert_eq!(ended.expect("the ended session is listed")["endReason"], "REFRESH_TOKEN_REUSED");

    for bad in ["", "ldr_nope", "x".repeat(5000).as_str()] {
        assert_eq!(refresh(&app, bad).await.err().as_deref(), Some("UNAUTHENTICATED"), "{bad:.20}");
    }
    // Only hashes are stored.
    use sea_orm::{ConnectionTrait, Statement};
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), "SELECT token_hash FROM refresh_tokens"))
        .await
        .expect("rows");
    assert!(!rows.is_empty());
    for row in rows {
        let stored: String = row.try_get_by_index(0).expect("hash");
        assert_eq!(stored.len(), 64, "a SHA-256 hex digest");
        assert!(![&first.refresh, &second.refresh, &third.refresh, &other.refresh].iter().any(|t| t.contains(&stored)));
    }
}

/// R47: signing out ends the session of the access token used: that access
/// token and its refresh token stop; another session of the same user goes on.
#[tokio::test]
async fn r47_sign_out_ends_only_this_session() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let bob = app.user(&org, "Bob", &[]).await;
    let laptop = sign_in(&app, &bob.email, PASSWORD).await;
    let phone = sign_in(&app, &bob.email, PASSWORD).await;
    assert_eq!(app.ok(&laptop.access, "mutation { signOut }", json!({})).await["signOut"], true);
    assert!(!works(&app, &laptop.access).await, "the signed-out access token stops at once");
    assert_eq!(refresh(&app, &laptop.refresh).await.err().as_deref(), Some("UNAUTHENTICATED"));
    assert!(works(&app, &phone.access).await, "the other session goes on");
    assert!(refresh(&app, &phone.refresh).await.is_ok());
}

/// R47 + R3: a user lists and ends their own sessions; a GLOBAL_ADMIN those
/// of their organization's users; nobody else's (NOT_FOUND, as a user one
/// may not see).
#[tokio::test]
async fn r47_sessions_are_listed_and_ended_by_their_user_or_a_global_admin() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let bob = app.user(&org, "Bob", &[]).await;
    let billing = app.user(&org, "Bea", &["BILLING_ADMIN"]).await;
    let stranger = app.register_org("Northwind", "US").await;
    // A sign-in with a User-Agent, as a browser sends it.
    let body = json!({"query": LOGIN, "variables": {"e": bob.email, "p": PASSWORD}}).to_string();
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
        .body(Body::from(body))
        .expect("request");
    let (_, bytes) = app.http(request).await;
    let browser: Value = serde_json::from_slice(&bytes).expect("json");
    let browser = tokens(&browser["data"]["login"]);

    let mine = app.ok(&browser.access, SESSIONS, json!({})).await;
    let nodes = mine["sessions"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(mine["sessions"]["totalCount"], 2, "the session from `app.user` and the browser's: {mine}");
    let current: Vec<&Value> = nodes.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], json!(browser.session));
    assert_eq!(current[0]["userAgent"], "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0");

    // The admin sees them and ends one; the billing admin and another organization may not.
    let listed = app.ok(&org.admin, SESSIONS, json!({"u": bob.id})).await;
    assert_eq!(listed["sessions"]["totalCount"], 2);
    assert_eq!(app.err(Some(&billing.token), SESSIONS, json!({"u": bob.id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&stranger.admin), SESSIONS, json!({"u": bob.id})).await, "NOT_FOUND");
    const END: &str = "mutation($s: ID!) { endSession(sessionId: $s) { id endedAt endReason } }";
    for outsider in [&billing.token, &stranger.admin] {
        assert_eq!(app.err(Some(outsider), END, json!({"s": browser.session})).await, "NOT_FOUND");
    }
    assert!(works(&app, &browser.access).await, "refused attempts change nothing");
    let ended = app.ok(&org.admin, END, json!({"s": browser.session})).await;
    assert_eq!(ended["endSession"]["endReason"], "ENDED");
    assert!(!works(&app, &browser.access).await, "an ended session's token stops at the next request");
    assert!(works(&app, &bob.token).await, "Bob's other session goes on");

    const END_ALL: &str = "mutation($u: ID!) { endAllSessions(userId: $u) }";
    assert_eq!(app.err(Some(&stranger.admin), END_ALL, json!({"u": bob.id})).await, "NOT_FOUND");
    assert_eq!(app.ok(&org.admin, END_ALL, json!({"u": bob.id})).await["endAllSessions"], 1);
    assert!(!works(&app, &bob.token).await);
    let audit =
        app.ok(&org.admin, "{ auditEvents(filter: {action: \"user.end_sessions\"}) { totalCount } }", json!({})).await;
    assert_eq!(audit["auditEvents"]["totalCount"], 2, "both endings are audited (R36)");
    for bad in ["not-an-id", "00000000-0000-0000-0000-000000000000"] {
        assert_eq!(app.err(Some(&org.admin), END, json!({"s": bad})).await, "NOT_FOUND");
    }
}

/// R43 + R47: deactivation ends every session, and reactivation does not
/// bring them back: the old access and refresh tokens stay dead.
#[tokio::test]
async fn r47_reactivation_never_revives_old_tokens() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let bob = app.user(&org, "Bob", &[]).await;
    let before = sign_in(&app, &bob.email, PASSWORD).await;
    app.ok(&org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({"u": bob.id})).await;
    app.ok(&org.admin, "mutation($u: ID!) { reactivateUser(userId: $u) { id } }", json!({"u": bob.id})).await;
    assert!(!works(&app, &before.access).await, "the access token from before deactivation stays dead");
    assert!(!works(&app, &bob.token).await);
    assert_eq!(refresh(&app, &before.refresh).await.err().as_deref(), Some("UNAUTHENTICATED"));
    let after = sign_in(&app, &bob.email, PASSWORD).await;
    assert!(works(&app, &after.access).await, "a new sign-in works");
}

/// R47: changing the password needs the current one (a wrong one is
/// VALIDATION_FAILED on `currentPassword` and changes nothing); it ends
/// every other session, this one goes on; the new password signs in.
#[tokio::test]
async fn r47_a_password_change_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let bob = app.user(&org, "Bob", &[]).await;
    let here = sign_in(&app, &bob.email, PASSWORD).await;
    const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let wrong = app.gql(Some(&here.access), CHANGE, json!({"c": "not-my-password", "n": "a-new-password-1"})).await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "currentPassword", "{wrong}");
    assert!(works(&app, &bob.token).await, "a refused change ends nothing");
    let short = app.gql(Some(&here.access), CHANGE, json!({"c": PASSWORD, "n": "short"})).await;
    assert_eq!(short["errors"][0]["extensions"]["field"], "newPassword", "{short}");

    let changed = app.ok(&here.access, CHANGE, json!({"c": PASSWORD, "n": "a-new-password-1"})).await;
    assert_eq!(changed["changePassword"], 1, "Bob's other session ended");
    assert!(works(&app, &here.access).await, "the session that changed it goes on");
    assert!(!works(&app, &bob.token).await, "the other session's token stops");
    let old = app.gql(None, LOGIN, json!({"e": bob.email, "p": PASSWORD})).await;
    assert_eq!(old["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    sign_in(&app, &bob.email, "a-new-password-1").await;
}
