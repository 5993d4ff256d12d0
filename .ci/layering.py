#!/usr/bin/env python3
"""Layering check (issue 19): no circle between the top-level modules of a
crate, and the core's dependency tree free of the web stack.

Reads every `crate::<module>` path in each crate's sources (use lines and
inline paths), builds the graph between top-level modules, and fails when it
has a cycle. Exits non-zero with the cycle printed."""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = {"licensedesk-core": "crates/core/src", "licensedesk": "src"}
# The server re-exports the core's modules; those names are not its own modules.
FORBIDDEN = re.compile(r"\b(axum|tower|tower-http|hyper|async-graphql)\b v")


def top_module(src, path):
    rel = os.path.relpath(path, src)
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def own_modules(src):
    return {top_module(src, os.path.join(src, e)) for e in os.listdir(src)} - {"lib", "main"}


def edges(src):
    mods = own_modules(src)
    graph = {m: set() for m in mods}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            here = top_module(src, path)
            if here not in graph:
                continue
            text = open(path, encoding="utf-8").read()
            text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
            targets = set(re.findall(r"crate::([a-z_]+)", text))
            for block in re.findall(r"use crate::\{(.*?)\};", text, flags=re.S):
                depth, name, names = 0, "", []
                for ch in block:
                    if ch == "{":
                        depth += 1
                    elif ch == "}":
                        depth -= 1
                    elif ch == "," and depth == 0:
                        names.append(name); name = ""; continue
                    if depth == 0 and ch not in "{}":
                        name += ch
                names.append(name)
                targets |= {re.split(r"\W", n.strip())[0] for n in names if n.strip()}
            graph[here] |= {t for t in targets if t in mods and t != here}
    return graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1; stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        state[n] = 2; stack.pop()
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


failed = False
for crate, src in CRATES.items():
    cycle = find_cycle(edges(os.path.join(ROOT, src)))
    if cycle:
        print(f"{crate}: module circle: {' -> '.join(cycle)}")
        failed = True
    else:
        print(f"{crate}: no module circle")
tree = subprocess.run(["cargo", "tree", "-p", "licensedesk-core", "-e", "normal", "--prefix", "none"],
                      cwd=ROOT, capture_output=True, text=True)
if tree.returncode != 0:
    print(tree.stderr); sys.exit(2)
web = sorted({line.split()[0] for line in tree.stdout.splitlines() if FORBIDDEN.search(line)})
if web:
    print(f"licensedesk-core depends on the web stack: {', '.join(web)}")
    failed = True
else:
    print("licensedesk-core: no axum, tower, hyper or async-graphql in its dependency tree")
sys.exit(1 if failed else 0)
