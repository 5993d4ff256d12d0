// Issue 24 item 1: Apollo Client (@apollo/client) with its persisted-query
// link, as a mobile app or console would use it, against the real binary —
// through a small HTTP cache in front of it that honours Cache-Control the way
// a shared cache (CDN) does.
//
// Usage: node apq.mjs <server base URL> <bearer token of a signed-in admin>
// Prints one JSON object with what happened; exits non-zero when a check fails.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [server, token] = process.argv.slice(2);
if (!server || !token) {
  console.error("usage: node apq.mjs <server base URL> <token>");
  process.exit(2);
}

// ---- The cache in front: a shared cache keyed by method, URL and the
// headers the server varies on. It stores only GET answers the server marks
// `public` with a max-age, never `private` or `no-store` ones.
const cache = new Map();
const upstream = { GET: 0, POST: 0 };
const proxy = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const key = `${req.method} ${req.url} ${req.headers.authorization ?? ""} ${req.headers["accept-language"] ?? ""}`;
  const hit = cache.get(key);
  if (req.method === "GET" && hit && hit.expires > Date.now()) {
    res.writeHead(hit.status, { ...hit.headers, "x-cache": "HIT" });
    res.end(hit.body);
    return;
  }
  upstream[req.method] = (upstream[req.method] ?? 0) + 1;
  const headers = {};
  for (const name of ["authorization", "content-type", "accept", "accept-language"]) {
    if (req.headers[name]) headers[name] = req.headers[name];
  }
  const answer = await fetch(server + req.url, {
    method: req.method,
    headers,
    body: req.method === "GET" ? undefined : body,
  });
  const text = Buffer.from(await answer.arrayBuffer());
  const keep = {};
  for (const name of ["content-type", "cache-control", "vary", "allow"]) {
    const value = answer.headers.get(name);
    if (value) keep[name] = value;
  }
  const cc = (keep["cache-control"] ?? "").toLowerCase();
  const maxAge = /max-age=(\d+)/.exec(cc);
  if (req.method === "GET" && answer.status === 200 && cc.includes("public") && maxAge && Number(maxAge[1]) > 0) {
    cache.set(key, { status: answer.status, headers: keep, body: text, expires: Date.now() + Number(maxAge[1]) * 1000 });
  }
  res.writeHead(answer.status, { ...keep, "x-cache": "MISS" });
  res.end(text);
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${proxy.address().port}`;

// ---- Every request the client sends, as the cache answered it.
const seen = [];
const recordingFetch = async (url, options) => {
  const response = await fetch(url, options);
  const clone = response.clone();
  const body = await clone.json().catch(() => null);
  seen.push({
    method: options?.method ?? "GET",
    hashOnly: (options?.method ?? "GET") === "GET" ? !new URL(url).searchParams.get("query") : !JSON.parse(options.body).query,
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
    cache: response.headers.get("x-cache"),
    errorCode: body?.errors?.[0]?.extensions?.code ?? null,
  });
  return response;
};

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function client(headers) {
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  const http = new HttpLink({ uri: `${base}/graphql`, headers, fetch: recordingFetch });
  return new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: new InMemoryCache() });
}

const MARKETS = gql`
  query Markets {
    markets {
      market
      name
    }
  }
`;
const ME = gql`
  query Me {
    me {
      email
    }
  }
`;
const USERS = gql`
  query Users {
    users(first: 50) {
      nodes {
        email
      }
    }
  }
`;
const CREATE_USER = gql`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      email
    }
  }
`;

const result = {};
try {
  // 1. Anonymous, public data: the first GET sends only the hash and gets
  //    PersistedQueryNotFound; the link sends the document with it (POST) and
  //    the server registers it; the next GET by hash is answered and cached;
  //    the third is answered by the cache without reaching the server.
  const anonymous = client({});
  for (let i = 0; i < 3; i++) {
    const { data, error } = await anonymous.query({ query: MARKETS, fetchPolicy: "network-only" });
    assert.equal(error, undefined, String(error));
    assert.ok(data.markets.length >= 10, JSON.stringify(data));
  }
  result.anonymous = seen.splice(0);
  assert.deepEqual(
    result.anonymous.map((r) => [r.method, r.hashOnly, r.errorCode, r.cache]),
    [
      ["GET", true, "PERSISTED_QUERY_NOT_FOUND", "MISS"],
      ["POST", false, null, "MISS"],
      ["GET", true, null, "MISS"],
      ["GET", true, null, "HIT"],
    ],
    JSON.stringify(result.anonymous),
  );
  assert.match(result.anonymous[2].cacheControl, /public, max-age=\d+/);

  // 2. A console signed in: its queries go by hash over GET too, but the
  //    answers are private, so the shared cache keeps none of them.
  const console_ = client({ authorization: `Bearer ${token}` });
  const before = upstream.GET;
  for (let i = 0; i < 3; i++) {
    const me = await console_.query({ query: ME, fetchPolicy: "network-only" });
    assert.equal(me.error, undefined, String(me.error));
    result.email = me.data.me.email;
  }
  const created = `apollo-${Date.now()}@example.test`;
  const mutation = await console_.mutate({
    mutation: CREATE_USER,
    variables: { input: { name: "Apollo Person", email: created, password: "correct-horse-battery" } },
  });
  assert.equal(mutation.error, undefined, String(mutation.error));
  assert.equal(mutation.data.createUser.email, created);
  const users = await console_.query({ query: USERS, fetchPolicy: "network-only" });
  assert.ok(users.data.users.nodes.some((u) => u.email === created), JSON.stringify(users.data));
  result.console = seen.splice(0);
  assert.ok(result.console.every((r) => r.cache === "MISS"), JSON.stringify(result.console));
  assert.ok(upstream.GET - before >= 4, "every signed-in GET reached the server");
  const privateGets = result.console.filter((r) => r.method === "GET" && r.errorCode === null);
  assert.ok(privateGets.length >= 2, JSON.stringify(result.console));
  assert.ok(privateGets.every((r) => r.cacheControl.startsWith("private")), JSON.stringify(privateGets));
  // Apollo sends the mutation with POST, never GET.
  assert.ok(result.console.some((r) => r.method === "POST"), JSON.stringify(result.console));

  // 3. A mutation over GET (what a careless link or a crawler might send) is
  //    refused with 405 and Allow: POST, through the cache, and changes nothing.
  const refusedEmail = `get-${Date.now()}@example.test`;
  const mutationText = `mutation { createUser(input: {name: "Over GET", email: "${refusedEmail}", password: "correct-horse-battery"}) { email } }`;
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${base}/graphql?query=${encodeURIComponent(mutationText)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.equal(response.headers.get("x-cache"), "MISS");
    const body = await response.json();
    assert.equal(body.errors[0].extensions.reason, "MUTATION_OVER_GET");
  }
  const after = await console_.query({ query: USERS, fetchPolicy: "network-only" });
  assert.ok(!after.data.users.nodes.some((u) => u.email === refusedEmail), "the GET mutation did not run");
  result.mutationOverGet = "refused";
  result.upstream = upstream;
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(e);
  console.log(JSON.stringify({ ...result, failed: String(e?.message ?? e) }));
  process.exitCode = 1;
} finally {
  proxy.close();
}
