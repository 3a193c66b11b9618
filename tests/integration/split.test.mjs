// Production's topology: the visitor's worker (wrangler.visitor.toml, the crate without its
// `api` feature) on the route, in front of the whole worker (wrangler.toml) that it reaches
// through its API service binding. The visitor's worker serves redirects, password pages,
// /health and the app itself; everything else is the whole worker's answer, unchanged; the
// two share KV, D1, the queues and the whole worker's Durable Objects.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, counter, d1, eventually, startWorker } from "../harness.mjs";
import { settled } from "./clicks.mjs";
import { startApp } from "../origin-app.mjs";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

async function scrape(w) {
  const res = await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } });
  assert.equal(res.status, 200);
  return res.text();
}

describe("the visitor's worker in front of the whole worker", () => {
  let w, app;
  before(async () => {
    app = await startApp();
    w = await startWorker({ split: true, bindings: { ORIGIN_URL: app.url, MEMORY_CACHE_TTL_SECONDS: "1" } });
  });
  after(async () => {
    await w?.stop();
    await app?.stop();
  });

  it("the API is the whole worker's: created through the front, redirected by it", async () => {
    const res = await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/split", code: "split" } });
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.equal(created.short_url.endsWith("/split"), true);
    const hop = await w.fetch("/split");
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.get("location"), "https://example.com/split");
    // The whole worker's answers come back as they are: its problem documents, its
    // headers, its authentication.
    const bad = await w.fetch("/api/v1/links", { method: "POST", headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" }, body: "{" });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get("content-type"), "application/problem+json");
    assert.equal((await bad.json()).status, 400);
    assert.equal((await w.fetch("/api/v1/links", { headers: { authorization: "Bearer wrong" } })).status, 401);
    const put = await w.fetch("/api/v1/links", { method: "PUT", headers: { authorization: `Bearer ${w.token}` } });
    assert.equal(put.status, 405);
    assert.match(put.headers.get("allow"), /POST/);
    const preflight = await w.fetch("/api/v1/links", { method: "OPTIONS", headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "http://localhost:5173");
    const ready = await w.fetch("/health/ready", { headers: { authorization: `Bearer ${w.adminToken}` } });
    assert.equal(ready.status, 200, await ready.clone().text());
  });

  it("an edit reaches the front within its memory cache's time (here 1 s)", async () => {
    const l = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/before", code: "edited" } })).json();
    assert.equal((await w.fetch("/edited")).headers.get("location"), "https://example.com/before");
    assert.equal((await api(w, "PATCH", `/api/v1/links/${l.id}`, { body: { url: "https://example.com/after" } })).status, 200);
    await eventually(async () => (await w.fetch("/edited")).headers.get("location") === "https://example.com/after", "the edit to reach the front", { timeoutMs: 5000, intervalMs: 100 });
    assert.equal((await api(w, "DELETE", `/api/v1/links/${l.id}`)).status, 204);
    await eventually(async () => (await w.fetch("/edited")).status === 404, "the deletion to reach the front", { timeoutMs: 5000, intervalMs: 100 });
  });

  it("clicks at the front go through the queue to the whole worker's consumer, and both workers' metrics add up in one scrape", async () => {
    const l = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/counted", code: "counted" } })).json();
    const before = await scrape(w);
    for (let i = 0; i < 25; i++) {
      const res = await w.fetch("/counted", { headers: { "user-agent": CHROME } });
      assert.equal(res.status, 302);
    }
    const row = await settled(w, l.id, 25);
    assert.equal(row.click_count, 25);
    const stats = await (await api(w, "GET", `/api/v1/links/${l.id}/stats`)).json();
    assert.equal(stats.totals.clicks, 25);
    // Recorded by the front's isolates, stored by the whole worker's consumer: one
    // aggregate. A forwarded request is counted once, by the worker that answered it.
    const now = await scrape(w);
    assert.ok(counter(now, "clicks_recorded_total") - counter(before, "clicks_recorded_total") >= 25);
    assert.ok(counter(now, "clicks_stored_total") - counter(before, "clicks_stored_total") >= 25);
    const apiCalls = (text) => [...text.matchAll(/^http_requests_total\{method="GET",route="api",status="200"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const a = apiCalls(await scrape(w));
    for (let i = 0; i < 3; i++) assert.equal((await api(w, "GET", "/api/v1/links")).status, 200);
    await eventually(async () => apiCalls(await scrape(w)) - a === 3, "three API calls counted (not six)", { timeoutMs: 10_000, intervalMs: 200 });
  });

  it("pages that are not links go to the app from the front, its cookies and redirects untouched", async () => {
    const about = await w.fetch("/about");
    assert.equal(about.status, 200);
    assert.equal(about.headers.get("x-served-from"), "origin");
    await about.arrayBuffer();
    const login = await w.fetch("/login?next=%2Faccount", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", origin: w.url.replace(/\/$/, "") }, body: "username=alice&password=correct+horse" });
    assert.equal(login.status, 303, "SvelteKit's CSRF check passed: the app saw its public origin");
    assert.equal(login.headers.get("location"), "/account");
    const cookies = login.headers.getSetCookie();
    assert.equal(cookies.length, 2, "both of the app's cookies, as separate headers");
    const account = await w.fetch("/account", { headers: { cookie: cookies.map((c) => c.split(";")[0]).join("; ") } });
    assert.equal(account.status, 200);
    assert.match(await account.text(), /alice/);
  });

  it("password links are unlocked by the front (its own COOKIE_SECRET)", async () => {
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://secret.example/doc", code: "vault", password: "open sesame" } })).status, 201);
    const ask = await w.fetch("/vault");
    assert.equal(ask.status, 401);
    assert.match(await ask.text(), /type="password"/);
    const form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "password=open+sesame" };
    const unlocked = await w.fetch("/vault", form);
    assert.equal(unlocked.status, 303);
    const cookie = unlocked.headers.get("set-cookie").split(";")[0];
    const hop = await w.fetch("/vault", { headers: { cookie } });
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.get("location"), "https://secret.example/doc");
  });
});

describe("the front's rate limit and its objects", () => {
  it("the front counts a client in the whole worker's limiter objects: a restart does not reset it", async () => {
    const LIMIT = 20;
    const SYNC = 5;
    const bindings = { RATE_REDIRECT_LIMIT: String(LIMIT), RATE_REDIRECT_WINDOW_SECONDS: "600", RATE_REDIRECT_SYNC_EVERY: String(SYNC), RATE_REDIRECT_REPORT_MS: "50", RATE_REDIRECT_SHARDS: "1" };
    let w = await startWorker({ split: true, bindings });
    try {
      assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/limited", code: "limited" } })).status, 201);
      const hop = async () => {
        const res = await w.fetch("/limited", { headers: { "cf-connecting-ip": "203.0.113.9" } });
        await res.arrayBuffer();
        return res.status;
      };
      const statuses = [];
      for (let i = 0; i < LIMIT + 2; i++) statuses.push(await hop());
      assert.deepEqual(statuses, [...Array(LIMIT).fill(302), 429, 429]);
      // Its reports reached a shard object (a class of the whole worker) and were answered.
      const answered = async () => Number(((await scrape(w)).match(/^redirect_limit_reports_total\{outcome="answered"\} (\d+)$/m) ?? [0, 0])[1]);
      await eventually(async () => (await answered()) >= LIMIT / SYNC, "the front's reports to be answered");
      // Both workers start again: the front's isolate knows nothing, the object does.
      const state = w.state;
      await w.stop({ keepState: true });
      w = await startWorker({ split: true, state, bindings });
      let admitted = 0;
      let refused = false;
      for (let i = 0; i < LIMIT && !refused; i++) {
        const status = await hop();
        if (status === 302) admitted++;
        else refused = status === 429;
        if (admitted >= SYNC) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(refused, `refused after ${admitted} admissions`);
      assert.ok(admitted >= SYNC && admitted < LIMIT, `admitted ${admitted} after the restart`);
    } finally {
      await w.stop();
    }
  });
});

describe("when the whole worker cannot be reached", () => {
  it("redirects, password pages and /health still answer; the API is a 503 problem document", async () => {
    const w = await startWorker({ split: true });
    const state = w.state;
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/kept", code: "kept" } })).status, 201);
    await w.stop({ keepState: true });
    // The same data, the front's API binding now to a worker that throws.
    const down = await startWorker({
      split: true,
      state,
      visitorOverrides: { serviceBindings: { API: "api-down" } },
      extraWorkers: [{ name: "api-down", modules: true, script: 'export default { fetch() { throw new Error("whole worker down (test wiring)"); } };' }],
    });
    try {
      const hop = await down.fetch("/kept");
      assert.equal(hop.status, 302);
      assert.equal(hop.headers.get("location"), "https://example.com/kept");
      assert.equal((await down.fetch("/health")).status, 200);
      assert.equal((await down.fetch("/nosuchlink")).status, 404);
      const res = await down.fetch("/api/v1/links", { headers: { authorization: `Bearer ${down.token}` } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      const problem = await res.json();
      assert.equal(problem.status, 503);
      assert.ok(res.headers.get("retry-after"));
      assert.doesNotMatch(JSON.stringify(problem), /test wiring/, "the cause stays in the logs");
      assert.ok(down.events().some((e) => e.event === "api_forward_failed"), "logged");
      // The link is still in D1: nothing was lost while the API was away.
      const row = await (await d1(down)).prepare("SELECT url FROM links WHERE code = 'kept'").first();
      assert.equal(row.url, "https://example.com/kept");
    } finally {
      await down.stop();
    }
  });
});
