// The typed client of the dashboard (issue 18): uLoad's SvelteKit server calls the API with
// `openapi-fetch` and the types generated from openapi/openapi.json. The example lives in the
// SvelteKit test app (tests/origin-app: src/lib/server/uload.ts and
// src/routes/dashboard/links/+page.server.ts); here it is type-checked with svelte-check,
// against a copy carrying deliberate mistakes that the check must catch, and run against
// the worker: the real app, signed in, lists and creates links through the real API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ROOT, api, startWorker } from "../harness.mjs";
import { APP_DIR, freePort, startApp } from "../origin-app.mjs";

const run = promisify(execFile);
const BIN = join(ROOT, "node_modules", ".bin");
const ALICE_ID = "alice0000000001"; // tests/origin-app/src/lib/sessions.js

/** svelte-check's machine output for an app directory: [{ file, line, message }] of its errors. */
async function typeErrors(dir) {
  await run(join(BIN, "svelte-kit"), ["sync"], { cwd: dir });
  const out = await run(join(BIN, "svelte-check"), ["--tsconfig", "./tsconfig.json", "--output", "machine"], { cwd: dir, maxBuffer: 8 * 1024 * 1024 })
    .then((r) => r.stdout)
    .catch((e) => e.stdout ?? "");
  assert.match(out, /COMPLETED/, out.slice(-2000));
  return [...out.matchAll(/^\d+ ERROR "([^"]+)" (\d+):\d+ "(.*)"$/gm)].map(([, file, line, message]) => ({ file, line: Number(line), message }));
}

describe("the dashboard's typed client", () => {
  it("type-checks, and the generated types catch a wrong path, a missing field and a wrong parameter", async () => {
    // A copy at the same depth as the app, so its import of ../../../../../openapi resolves alike.
    const dir = await mkdtemp(join(ROOT, "tests", ".typecheck-"));
    try {
      for (const f of ["src", "static", "package.json", "svelte.config.js", "vite.config.js", "tsconfig.json"]) {
        await cp(join(APP_DIR, f), join(dir, f), { recursive: true });
      }
      assert.deepEqual(await typeErrors(dir), [], "the example as committed has no type error");
      await writeFile(
        join(dir, "src", "lib", "server", "mistakes.ts"),
        [
          'import { uloadFor } from "./uload";',
          "export async function mistakes() {",
          '  const api = uloadFor("alice0000000001");',
          '  await api.GET("/api/v1/linkz");',
          '  await api.POST("/api/v1/links", { body: { code: "x" } });',
          '  await api.GET("/api/v1/links", { params: { query: { limit: "twenty" } } });',
          '  const { data } = await api.GET("/api/v1/links");',
          "  return data?.data[0].clicks;",
          "}",
          "",
        ].join("\n"),
      );
      const errors = await typeErrors(dir);
      assert.ok(errors.every((e) => e.file.endsWith("mistakes.ts")), JSON.stringify(errors));
      assert.deepEqual([...new Set(errors.map((e) => e.line))].sort(), [4, 5, 6, 8], JSON.stringify(errors, null, 1));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe("the example, run against the worker", () => {
    // As in production: the browser reaches the app through the worker (/dashboard is one of
    // the app's prefixes), and the app's server calls the worker's API.
    let w, app, site;
    before(async () => {
      const port = await freePort();
      w = await startWorker({ bindings: { ORIGIN_URL: `http://127.0.0.1:${port}` } });
      site = w.url.replace(/\/$/, "");
      assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE_ID}`, { body: { username: "alice" } })).status, 201);
      app = await startApp({ port, env: { ULOAD_EDGE_URL: site, ULOAD_SERVICE_TOKEN: w.token } });
    });
    after(async () => {
      await app?.stop();
      await w?.stop();
    });

    const form = (cookie, fields) => ({
      method: "POST",
      headers: { cookie, accept: "text/html", "content-type": "application/x-www-form-urlencoded", origin: site },
      body: new URLSearchParams(fields).toString(),
    });
    async function signIn() {
      const res = await fetch(`${site}/login`, { ...form("", { username: "alice", password: "correct horse" }), redirect: "manual" });
      assert.equal(res.status, 303);
      return res.headers.getSetCookie().find((c) => c.startsWith("session=")).split(";")[0];
    }
    const links = async () => (await (await api(w, "GET", "/api/v1/links?total=true", { user: ALICE_ID })).json());

    it("lists the signed-in user's links, creates one from the form, once per submitted form", async () => {
      assert.equal((await fetch(`${site}/dashboard/links`, { redirect: "manual" })).status, 302, "signed out: to the login");
      const cookie = await signIn();
      const empty = await fetch(`${site}/dashboard/links`, { headers: { cookie } });
      assert.equal(empty.status, 200);
      assert.match(await empty.text(), /Your links \(0\)/);

      const submit = { url: "https://example.com/from-the-dashboard", code: "dash-1", idempotency_key: "form-7f3a" };
      const created = await fetch(`${site}/dashboard/links?/create`, form(cookie, submit));
      const html = await created.text();
      assert.equal(created.status, 200, html.slice(0, 500));
      assert.match(html, /Created <a href="http:\/\/[^"]+\/dash-1">/);
      assert.doesNotMatch(html, new RegExp(w.token.replace(/[-_]/g, "."), "i"), "the service token never reaches the page");
      // The same form again (a double submit): the idempotency key replays the first answer.
      assert.equal((await fetch(`${site}/dashboard/links?/create`, form(cookie, submit))).status, 200);
      const listed = await links();
      assert.equal(listed.total, 1);
      assert.equal(listed.data[0].code, "dash-1");
      assert.equal(listed.data[0].url, "https://example.com/from-the-dashboard");

      const page = await (await fetch(`${site}/dashboard/links`, { headers: { cookie } })).text();
      assert.match(page, /Your links \(1\)/);
      assert.match(page, />dash-1<\/a> → https:\/\/example\.com\/from-the-dashboard \(0 clicks\)/);
    });

    it("shows the API's problem documents in the form, with their status, and creates nothing", async () => {
      const cookie = await signIn();
      const before = (await links()).total;
      for (const [fields, status, detail] of [
        [{ url: "javascript:alert(1)" }, 422, /url/i],
        [{ url: "https://example.com/x", code: "dash-1" }, 409, /taken|in use|exists/i],
        [{ url: "https://example.com/x", code: "a b" }, 422, /code/i],
      ]) {
        const res = await fetch(`${site}/dashboard/links?/create`, form(cookie, fields));
        const html = await res.text();
        assert.equal(res.status, status, `${JSON.stringify(fields)}: ${html.slice(0, 300)}`);
        const shown = html.match(/<p class="problem" role="alert">([^<]+)<\/p>/);
        assert.ok(shown, `${JSON.stringify(fields)}: the problem is shown`);
        assert.match(shown[1], detail);
        assert.match(html, new RegExp(`value="${fields.url.replace(/[.()]/g, "\\$&")}"`), "the form keeps what was typed");
      }
      assert.equal((await links()).total, before);
    });
  });
});
