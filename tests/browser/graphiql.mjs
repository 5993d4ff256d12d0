// Issue 13: GraphiQL in a browser with no internet access.
// Usage: node graphiql.mjs <base url> <bearer token> <screenshot.png>
// Every request that does not go to the server under test is aborted, as on
// a network without a CDN. Checks, in order: the page loads, the Docs pane
// shows the schema, typing offers completions, and a query runs once the
// token is pasted into the Headers editor. Exits non-zero with the reason.
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
if (!base || !token || !screenshot) {
  console.error("usage: node graphiql.mjs <base url> <token> <screenshot.png>");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const outside = [];
let page;
try {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const origin = new URL(base).origin;
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 20000 });

  // The schema loaded: the Docs pane lists the root types.
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector(".graphiql-doc-explorer >> text=Query", { timeout: 20000 });
  const docs = await page.textContent(".graphiql-doc-explorer");
  if (!/Query/.test(docs) || !/Mutation/.test(docs)) throw new Error("the Docs pane shows no schema: " + docs);

  // Autocomplete: type the start of a field and wait for the hint list.
  const editor = ".graphiql-query-editor .CodeMirror";
  await page.evaluate((sel) => document.querySelector(sel).CodeMirror.setValue(""), editor);
  await page.click(editor);
  await page.keyboard.type("{ subscr", { delay: 30 });
  await page.waitForSelector(".CodeMirror-hints", { timeout: 10000 });
  const hints = await page.textContent(".CodeMirror-hints");
  if (!hints.includes("subscriptions")) throw new Error("no completion for `subscr`: " + hints);
  await page.keyboard.press("Escape");

  // Paste the token into the Headers editor and run a query.
  await page.evaluate((sel) => document.querySelector(sel).CodeMirror.setValue("query Me { me { name email roles } }"), editor);
  await page.click('button:has-text("Headers")');
  // Variables and Headers share the tool pane; only the open one is visible.
  await page.waitForSelector(".graphiql-editor-tool .CodeMirror >> visible=true", { timeout: 10000 });
  const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
  // Pasted the way a person does: select everything in the editor, paste.
  await page.click(".graphiql-editor-tool .CodeMirror >> visible=true");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(headers);
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => {
      const response = document.querySelector(".graphiql-response .CodeMirror");
      return response && /"email"/.test(response.CodeMirror.getValue());
    },
    null,
    { timeout: 20000 },
  );
  const result = await page.evaluate(() => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue());
  const parsed = JSON.parse(result);
  if (!parsed.data || !parsed.data.me || !parsed.data.me.email) throw new Error("the query did not run: " + result);
  await page.screenshot({ path: screenshot });
  if (errors.length) throw new Error("page errors: " + errors.join("; "));
  console.log(JSON.stringify({ ok: true, me: parsed.data.me.email, blockedOutsideRequests: outside }));
} catch (e) {
  console.error("GraphiQL check failed:", e.message, "requests to the outside:", outside);
  if (page) await page.screenshot({ path: screenshot }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
