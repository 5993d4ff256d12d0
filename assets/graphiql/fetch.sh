#!/bin/sh
# Vendors the GraphiQL page's JavaScript and CSS from the npm registry, once.
# The files are committed and embedded in the binary (src/http/graphiql.rs),
# so GraphiQL works with no network access at run time. Rerun to upgrade.
set -eu
cd "$(dirname "$0")"
GRAPHIQL=3.8.3
REACT=18.3.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
  mkdir -p "$tmp/$pkg" && tar -xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" graphiql.min.js
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" graphiql.min.css
cp "$tmp/react-$REACT/package/umd/react.production.min.js" react.production.min.js
cp "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" react-dom.production.min.js
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" > VERSIONS
