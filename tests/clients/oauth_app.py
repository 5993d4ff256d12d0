"""Issue 25 (R50): a publisher's app on a stock OAuth 2.0 client (Authlib's
requests session). It discovers the token endpoint from the RFC 8414
metadata, obtains a token with the client-credentials grant (HTTP Basic
client authentication) and asks the license check.
Usage: python oauth_app.py <base url> <client_id> <client_secret> <organization id> <e-mail>.
Prints {"scope", "status", "body"} as JSON; exits non-zero with the reason."""
import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session

base, client_id, secret, organization, email = sys.argv[1:6]
metadata = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=30).json()
assert "client_credentials" in metadata["grant_types_supported"], metadata
session = OAuth2Session(
    client_id, secret, scope="licenses.check", token_endpoint_auth_method="client_secret_basic"
)
token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
answer = session.get(
    f"{base}/api/v1/license-checks", params={"organizationId": organization, "email": email}, timeout=30
)
print(json.dumps({"scope": token.get("scope"), "status": answer.status_code, "body": answer.json()}))
