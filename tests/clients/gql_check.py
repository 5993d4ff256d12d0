"""Issue 13: a stock Python client (gql) loads the schema by introspection
(fetch_schema_from_transport=True), validates a query against it locally and
runs it. Usage: python gql_check.py <graphql url> <bearer token>.
Prints the `me` answer as JSON; exits non-zero with the reason."""
import json
import sys

from gql import Client, gql
from gql.transport.requests import RequestsHTTPTransport

url, token = sys.argv[1], sys.argv[2]
transport = RequestsHTTPTransport(url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
with Client(transport=transport, fetch_schema_from_transport=True) as session:
    schema = session.client.schema
    assert schema is not None, "no schema was fetched"
    assert schema.get_type("Subscription") is not None, "the schema has no Subscription type"
    # gql validates the document against the fetched schema before sending it.
    result = session.execute(gql("query Me { me { id name email roles } }"))
    try:
        session.execute(gql("query Bad { me { noSuchField } }"))
        raise SystemExit("a field the schema lacks was not refused locally")
    except Exception as e:  # graphql-core's validation error
        if "noSuchField" not in str(e):
            raise
    print(json.dumps(result))
