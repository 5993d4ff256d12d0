#!/usr/bin/env python3
"""Resident memory of the real server (issue 12 §7), standard library only.

    python3 bench/memory.py --ld target/release/licensedesk --gen <bench gen binary>

Steps, on a fresh SQLite database in a temporary directory (dataset S of
bench/gen.rs, then topped up through the API so that 100 subscriptions hold
120 licenses each, 100+ of them assigned):

1. RSS of the idle server;
2. 128 sign-ins (`login`, 32 at a time): peak RSS during the burst, and RSS
   "at rest" after --rest seconds (the allocator returns freed pages with a
   delay);
3. the worst requests the query limits allow (largest estimated cost,
   aliases, fields and page sizes a signed-in caller may send), once and
   then --parallel at the same time: peak RSS, response size, time, RSS at
   rest afterwards.

Peaks are sampled from /proc/<pid>/status every 5 ms (VmRSS) and also read
as VmHWM after resetting it (`echo 5 > /proc/<pid>/clear_refs`) where the
kernel allows. Prints a table; figures go to bench/RESULTS.md by hand.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SECRET = "memory-bench-secret-memory-bench-secret-0001"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, token=None, timeout=120):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"HTTP {e.code}: {e.read()[:500]!r}") from None
    value = json.loads(raw)
    if value.get("errors"):
        raise RuntimeError(f"GraphQL errors: {json.dumps(value['errors'])[:500]}")
    return value["data"], len(raw)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def mib(kib):
    return round(kib / 1024, 1)


class Peak:
    """Samples VmRSS while a phase runs; also resets and reads VmHWM."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
            self.hwm = True
        except OSError:
            self.hwm = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))
            time.sleep(0.005)

    def done(self):
        self.stop.set()
        self.thread.join()
        if self.hwm:
            self.peak = max(self.peak, status_kib(self.pid, "VmHWM"))
        return mib(self.peak)


def worst_documents():
    """The largest documents the signed-in limits allow: estimated cost <=
    25,000 (every object counts, pages multiplied out), <= 50 aliases,
    <= 20 root fields, <= 2,000 selections, and (issue 20) nested lists that
    grow with data are pages the cost counts; a response over 16 MiB is
    refused (QUERY_TOO_COMPLEX) while it is written."""
    # 4,800 product descriptions of 2,000 emoji (8 KB each): 38 MB, the largest
    # text a response can repeat through the aliases. Over the response cap:
    # it is executed, then refused while written.
    aliases = " ".join(f"d{i}: description" for i in range(24))
    descriptions = ("query { " + " ".join(
        f"s{r}: subscriptions(first: 100) {{ nodes {{ product {{ {aliases} }} }} }}" for r in range(2)) + " }")
    # 1,800 descriptions: 14.4 MB, just under the cap.
    under_cap = " ".join(f"d{i}: description" for i in range(9))
    descriptions_under_cap = ("query { " + " ".join(
        f"s{r}: subscriptions(first: 100) {{ nodes {{ product {{ {under_cap} }} }} }}" for r in range(2)) + " }")
    # 20,000 values: 100 subscriptions x 100 holders x (name, email).
    holders = ("query { subscriptions(first: 100) { nodes { id assignedUsers(first: 100) { name email } } } "
               "users(first: 100) { nodes { id name email } } }")
    # The largest history page the cost allows on 100 subscriptions.
    history = ("query { subscriptions(first: 100) { nodes { id assignmentHistory(first: 40) { assignedAt releasedAt "
               "user { id name email } } } } }")
    users = ("query { " + " ".join(
        f"u{r}: users(first: 100, includeDeactivated: true) {{ nodes {{ id name email createdAt roles active }} }}"
        for r in range(20)) + " }")
    return [("4,800 product descriptions of 2,000 emoji (38 MB, over the 16 MiB cap)", descriptions),
            ("1,800 product descriptions of 2,000 emoji (14 MB)", descriptions_under_cap),
            ("assignedUsers(first: 100) of 100 subscriptions", holders),
            ("assignmentHistory(first: 40) of 100 subscriptions", history),
            ("users(first: 100) x20 root fields", users)]


def answer(api, query, token):
    """(response bytes, error code or "") of one request."""
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(api, data=body, method="POST",
                                 headers={"content-type": "application/json", "authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
    value = json.loads(raw)
    errors = value.get("errors") or []
    code = errors[0].get("extensions", {}).get("code", "?") if errors else ""
    return len(raw), code


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ld", default="target/release/licensedesk")
    p.add_argument("--gen", required=True, help="the bench/gen.rs binary (bench/bin-path.sh gen)")
    p.add_argument("--signins", type=int, default=128)
    p.add_argument("--rest", type=float, default=15.0, help="seconds to wait before reading RSS at rest")
    p.add_argument("--parallel", type=int, default=4)
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="ld-memory-")
    url = f"sqlite://{work}/memory.db?mode=rwc"
    out = subprocess.run([args.gen, "--size", "S", "--url", url], check=True, capture_output=True, text=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    # Every product description at its limit: 2,000 characters, 4 bytes each.
    with sqlite3.connect(f"{work}/memory.db") as db:
        db.execute("UPDATE products SET description = ?", ("\U0001F680" * 2000,))
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url, "LICENSEDESK_LISTEN": f"127.0.0.1:{port}",
           "LICENSEDESK_JWT_SECRET": SECRET, "LICENSEDESK_BILLING_SCHEDULER": "false",
           "LICENSEDESK_WEBHOOK_WORKER": "false", "LICENSEDESK_LOG": "warn"}
    logfile = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([args.ld, "serve"], env=env, stdout=logfile, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/graphql"
    rows = []
    try:
        for _ in range(600):
            try:
                post(api, {"query": "{ __typename }"}, timeout=2)
                break
            except Exception:
                time.sleep(0.1)
        login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        token = post(api, {"query": login, "variables": {"e": info["adminEmail"], "p": info["password"]}})[0]["login"]["token"]

        # Top up: 120 licenses on each subscription, 100+ assigned.
        subs, users, emails, after = [], [], [], None
        while True:
            data = post(api, {"query": "query($a: String) { users(first: 100, after: $a) { nodes { id email } pageInfo { hasNextPage endCursor } } }",
                              "variables": {"a": after}}, token)[0]["users"]
            users += [n["id"] for n in data["nodes"]]
            emails += [n["email"] for n in data["nodes"]]
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        data = post(api, {"query": "{ subscriptions(first: 100, filter: {status: ACTIVE}) { nodes { id quantity } } }"}, token)[0]
        subs = [n["id"] for n in data["subscriptions"]["nodes"] if n["quantity"] is not None]

        def top_up(index_sub):
            i, sub = index_sub
            try:
                grow(i, sub)
                return True
            except RuntimeError:
                # A generated subscription whose term ended without renewal is
                # brought up to date (expired) by its first change (issue 26).
                return False

        def grow(i, sub):
            post(api, {"query": "mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 120) { quantity } }",
                       "variables": {"s": sub}}, token)
            for k in range(5):
                ids = [users[(i * 100 + k * 20 + j) % len(users)] for j in range(20)]
                post(api, {"query": "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }",
                           "variables": {"s": sub, "u": ids}}, token)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            grown = sum(pool.map(top_up, enumerate(subs)))
        print(f"topped up {grown} of {len(subs)} subscriptions", file=sys.stderr)
        time.sleep(args.rest)
        rows.append(("idle, after start-up and data top-up", mib(status_kib(proc.pid, "VmRSS")), "", ""))

        # 128 sign-ins, 32 at a time.
        peak = Peak(proc.pid)
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            # 128 different people: one person's concurrent sign-ins are
            # throttled after five (issue 20 item 5).
            list(pool.map(lambda i: post(api, {"query": login, "variables": {"e": emails[i % len(emails)], "p": info["password"]}}),
                          range(args.signins)))
        took = time.time() - started
        rows.append((f"{args.signins} sign-ins, 32 at a time: peak", peak.done(), f"{took:.1f} s", ""))
        time.sleep(args.rest)
        rows.append((f"at rest {args.rest:.0f} s after the sign-ins", mib(status_kib(proc.pid, "VmRSS")), "", ""))

        for name, query in worst_documents():
            for parallel in (1, args.parallel):
                peak = Peak(proc.pid)
                started = time.time()
                with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
                    answers = list(pool.map(lambda _: answer(api, query, token), range(parallel)))
                took = time.time() - started
                size, code = answers[0]
                outcome = f"refused: {code}" if code else f"{size / 1e6:.1f} MB each"
                rows.append((f"{name}, {parallel} at once: peak", peak.done(), f"{took:.2f} s",
                             f"{outcome}, query {len(query)} bytes"))
        time.sleep(args.rest)
        rows.append((f"at rest {args.rest:.0f} s after the large requests", mib(status_kib(proc.pid, "VmRSS")), "", ""))
        rows.append(("VmHWM over the whole run (before resets: see above)", mib(status_kib(proc.pid, "VmHWM")), "", ""))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        logfile.close()
        shutil.rmtree(work, ignore_errors=True)

    print(f"| phase | RSS MiB | time | notes |\n|---|---|---|---|")
    for name, value, took, note in rows:
        print(f"| {name} | {value} | {took} | {note} |")


if __name__ == "__main__":
    sys.exit(main())
