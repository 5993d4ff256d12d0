"""R49: runs the scim2-tester compliance checker against a running server.

Usage: scim_check.py <scim base url> <scim token>
Prints one line per check and a JSON summary last; exits 1 when any check
ends in ERROR or CRITICAL.
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    failures = 0
    counts: dict[str, int] = {}
    for result in results:
        status = result.status.name
        counts[status] = counts.get(status, 0) + 1
        line = f"{status:10} {result.resource_type or '-':6} {result.title}: {result.reason or ''}"
        print(line.replace("\n", " "))
        if result.status in (Status.ERROR, Status.CRITICAL):
            failures += 1
    print(json.dumps({"checks": len(results), "failures": failures, "by_status": counts}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
