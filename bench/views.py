#!/usr/bin/env python3
"""The admins' views of issue 22 (R51) timed on a generated dataset.

Times the four views' GraphQL queries -- subscriptionUtilization,
dormantLicenses, spendByProduct, renewalCalendar -- one request at a time
against a running LicenseDesk release server and prints p50 / p95 / max per
view. The lists select `totalCount`, as a console's pager does (issue 23).
Python standard library only; it reuses bench/harness.py's dataset
generation (bench/gen.rs), server start-up and login, so the datasets and the
server's settings are the side-by-side benchmark's.

  python3 bench/views.py --ld target/release/licensedesk --gen <gen binary> --size L
  python3 bench/views.py --url http://127.0.0.1:8080/graphql --token <admin token>   # a server already running
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (bench/harness.py: generate, start the server, log in)

VIEWS = {
    "subscriptionUtilization": """query Utilization { subscriptionUtilization(first: 50) { totalCount
        nodes { purchased assigned usedLast30Days usedLast90Days subscription { id product { name } } }
        pageInfo { hasNextPage endCursor } } }""",
    "dormantLicenses": """query Dormant { dormantLicenses(days: 30, first: 50) { totalCount
        nodes { id subscriptionId userId userName userEmail assignedAt lastUsedAt } pageInfo { hasNextPage endCursor } } }""",
    "spendByProduct": """query Spend($from: NaiveDate!, $to: NaiveDate!) { spendByProduct(from: $from, to: $to) {
        productName month amount { amount currency } } }""",
    "renewalCalendar": """query Renewals { renewalCalendar(days: 90, first: 50) { totalCount
        nodes { date quantity autoRenew unitPrice { amount currency } nextUnitPrice { amount } forecast { amount }
        priceChange { amount } subscription { id } } pageInfo { hasNextPage endCursor } } }""",
}


# The page budget the views are held to (issue 22): the console's heaviest
# list page, benchmark workload (a) -- 50 subscriptions with product,
# publisher, profile and holders -- timed on the same server in the same run.
BUDGET = ("subscriptions (a), the page budget", harness.LD["a"])


def percentile(values, p):
    """The nearest-rank percentile of `values` (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


class Client:
    """One kept-alive HTTP/1.1 connection, like a console's."""

    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path or "/graphql"
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)
        self.headers = {"content-type": "application/json", "authorization": "Bearer " + token}

    def post(self, body):
        self.conn.request("POST", self.path, json.dumps(body).encode(), self.headers)
        response = self.conn.getresponse()
        value = json.loads(response.read())
        if response.status != 200 or value.get("errors"):
            raise RuntimeError(f"answer {response.status}: {json.dumps(value)[:500]}")
        return value["data"]


def rows_of(data):
    """Rows on the page, and of all pages when the view counts them."""
    value = next(iter(data.values()))
    if isinstance(value, list):
        return str(len(value))
    return f"{len(value['nodes'])} of {value['totalCount']}"


def time_views(url, token, requests, warmup, spend_range):
    client = Client(url, token)
    results = []
    for name, query in [*VIEWS.items(), BUDGET]:
        body = {"query": query}
        if name == "spendByProduct":
            body["variables"] = {"from": spend_range[0], "to": spend_range[1]}
        rows = rows_of(client.post(body))
        for _ in range(warmup):
            client.post(body)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.post(body)
            times.append((time.perf_counter() - started) * 1000)
        results.append((name, rows, statistics.median(times), percentile(times, 95), max(times)))
        harness.log(f"{name}: {rows} rows, p50 {results[-1][2]:.2f} ms")
    return results


def report(results, title, requests):
    text = [f"### {title}, {requests} sequential requests per view, 1 connection\n",
            "| view | rows on the page (of all) | p50 | p95 | max |", "|---|---|---|---|---|"]
    text += [f"| `{name}` | {rows} | {p50:.2f} ms | {p95:.2f} ms | {top:.2f} ms |"
             for name, rows, p50, p95, top in results]
    return "\n".join(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="L", choices=["S", "M", "L"])
    p.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--pg-setting", action="append", metavar="NAME=VALUE",
                   help="a planner setting for the benchmark database (default: stock settings)")
    p.add_argument("--ld", help="the licensedesk release binary (starts a server on a generated dataset)")
    p.add_argument("--gen", help="the bench/gen.rs binary")
    p.add_argument("--url", help="a running server's /graphql address instead of --ld/--gen")
    p.add_argument("--token", help="with --url: an admin's bearer token")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--spend-from", default="2025-01-01")
    p.add_argument("--spend-to", default="2026-12-31")
    p.add_argument("--workdir", default=harness.tempfile.gettempdir())
    p.add_argument("--out", help="append the markdown table to this file")
    args = p.parse_args()
    spend_range = (args.spend_from, args.spend_to)
    if args.url:
        if not args.token:
            raise SystemExit("--url needs --token")
        results = time_views(args.url, args.token, args.requests, args.warmup, spend_range)
        title = f"The views at {args.url}"
    else:
        if not (args.ld and args.gen):
            raise SystemExit("give --ld and --gen, or --url and --token")
        bench = harness.Bench(args)
        try:
            info = bench.generate(args.size)
            server = bench.start_ld(info["url"])
            token = bench.ld_token(server, info)
            results = time_views(server.url, token, args.requests, args.warmup, spend_range)
        finally:
            bench.stop_all()
        title = (f"The views, LicenseDesk release build, {args.engine}, dataset {args.size} "
                 f"({info['users']} users, generated in {info['genSeconds']} s)")
    text = report(results, title, args.requests)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
