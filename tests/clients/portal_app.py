"""Issue 25 item 2 (R53): a publisher's portal on a stock OAuth 2.0 client
(Authlib's requests session). It discovers the endpoints from the RFC 8414
metadata, sends the admin's "browser" through the authorization code grant
with PKCE (S256) — the script posts the consent form as a browser would —
exchanges the code (HTTP Basic client authentication), lists the
subscriptions and people, assigns licenses, is refused outside its scopes,
organization and publisher, and refreshes its token.
Usage: python portal_app.py <base url> <client_id> <client_secret> <redirect_uri> <plan JSON>
where the plan is {"email", "password", "subscription", "rivalSubscription",
"foreignSubscription", "search", "assign": [user ids]}.
Prints what it saw as JSON; exits non-zero with the reason."""
import json
import re
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

base, client_id, secret, redirect_uri, plan = sys.argv[1:6]
plan = json.loads(plan)
metadata = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=30).json()
assert "authorization_code" in metadata["grant_types_supported"], metadata
assert metadata["code_challenge_methods_supported"] == ["S256"], metadata


def authorize(scope):
    """The whole browser round trip: the authorization URL, the consent page,
    the form posted, the redirect read; then the code exchanged."""
    session = OAuth2Session(
        client_id,
        secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    browser = requests.Session()
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, (page.status_code, page.text)
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        f"{base}/oauth/authorize",
        data={"form_token": form_token, "email": plan["email"], "password": plan["password"], "decision": "approve"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (302, 303), (answer.status_code, answer.text)
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri), location
    # Authlib checks `state` and sends the verifier with the code.
    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    return session, token


seen = {}
session, token = authorize("licenses.read licenses.assign")
seen["scope"] = token.get("scope")
portal = f"{base}/api/v1/portal"
listed = session.get(f"{portal}/subscriptions", timeout=30)
seen["subscriptions"] = {"status": listed.status_code, "body": listed.json()}
found = session.get(f"{portal}/people", params={"search": plan["search"]}, timeout=30)
seen["people"] = {"status": found.status_code, "body": found.json()}
assigned = session.post(
    f"{portal}/subscriptions/{plan['subscription']}/assignments", json={"userIds": plan["assign"]}, timeout=30
)
seen["assign"] = {"status": assigned.status_code, "body": assigned.json()}
for name in ("rivalSubscription", "foreignSubscription"):
    refused = session.post(
        f"{portal}/subscriptions/{plan[name]}/assignments", json={"userIds": plan["assign"][:1]}, timeout=30
    )
    seen[name] = {"status": refused.status_code, "body": refused.json()}
# Refresh: a new pair; the old refresh token is spent.
old = dict(token)
fresh = session.refresh_token(metadata["token_endpoint"], refresh_token=old["refresh_token"])
seen["refreshRotated"] = fresh["refresh_token"] != old["refresh_token"]
seen["afterRefresh"] = session.get(f"{portal}/subscriptions", timeout=30).status_code
seen["accessToken"] = fresh["access_token"]
seen["refreshToken"] = fresh["refresh_token"]
# A consent to read only: assigning is outside its scope.
reader, _ = authorize("licenses.read")
outside = reader.post(
    f"{portal}/subscriptions/{plan['subscription']}/assignments", json={"userIds": plan["assign"][:1]}, timeout=30
)
seen["outsideScope"] = {
    "status": outside.status_code,
    "challenge": outside.headers.get("WWW-Authenticate", ""),
    "body": outside.json(),
}
print(json.dumps(seen))
