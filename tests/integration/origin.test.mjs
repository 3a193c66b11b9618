// The origin (uLoad's SvelteKit app) as a fallback only: pages are proxied, with a timeout,
// retries for idempotent requests and a circuit breaker; when it fails, stale copies or a
// maintenance page, and redirects never notice. The origin here is a server the test controls.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { api, eventually, startWorker } from "../harness.mjs";

function fakeOrigin() {
  const o = { mode: "up", hits: [], flakyNext: 502 };
  o.server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      o.hits.push({ method: req.method, url: req.url, body, cookie: req.headers.cookie });
      const reply = (status, extra = {}) => {
        res.writeHead(status, { "content-type": "text/html", ...extra });
        res.end(`<h1>app ${req.method} ${req.url}</h1>${body}`);
      };
      if (o.mode === "down") return req.socket.destroy();
      if (o.mode === "slow") return setTimeout(() => reply(200), 2000);
      if (o.mode === "500") return reply(500);
      if (o.mode === "503") return reply(503);
      if (o.mode === "flaky") {
        const s = o.flakyNext;
        o.flakyNext = s === 502 ? 200 : 502;
        return reply(s);
      }
      if (req.url.startsWith("/dashboard")) return reply(200, { "set-cookie": "session=1", "cache-control": "private" });
      reply(200);
    });
  });
  return new Promise((r) => o.server.listen(0, "127.0.0.1", () => {
    o.url = `http://127.0.0.1:${o.server.address().port}`;
    r(o);
  }));
}

describe("origin fallback", () => {
  let o, w;

  /** After an outage: waits until a page comes from the app again (the breaker, 1 s of
   * cool-down here, lets a trial through and closes). */
  const appAnswers = () =>
    eventually(async () => {
      const res = await w.fetch("/pages/probe");
      await res.arrayBuffer();
      return res.headers.get("x-served-from") === "origin";
    }, "the app to answer through the worker again", { timeoutMs: 5000, intervalMs: 100 });
  before(async () => {
    o = await fakeOrigin();
    w = await startWorker({
      bindings: { ORIGIN_URL: o.url, ORIGIN_TIMEOUT_MS: "300", ORIGIN_RETRIES: "2", BREAKER_FAILURES: "3", BREAKER_COOLDOWN_SECONDS: "1" },
    });
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://link.example/", code: "golink" } })).status, 201);
  });
  after(async () => {
    await w?.stop();
    await new Promise((r) => o?.server.close(r));
  });

  it("proxies pages that are not links, with method, headers and body", async () => {
    o.mode = "up";
    let res = await w.fetch("/login?next=%2Fmy");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-served-from"), "origin");
    assert.match(await res.text(), /app GET \/login\?next=%2Fmy/);
    res = await w.fetch("/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", cookie: "a=b" }, body: "user=x" });
    assert.match(await res.text(), /app POST \/login<\/h1>user=x/);
    assert.equal(o.hits.at(-1).cookie, "a=b");
    assert.match(await (await w.fetch("/p/alice")).text(), /app GET \/p\/alice/, "bio pages are the app's");
    assert.match(await (await w.fetch("/")).text(), /app GET \//);
    assert.match(await (await w.fetch("/pricing")).text(), /app GET \/pricing/, "a reserved word is a page, not a link");
    const unknown = await w.fetch("/notalink");
    assert.match(await unknown.text(), /app GET \/notalink/, "codes D1 does not know go to the app");
    const action = await w.fetch("/pricing?/subscribe", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "plan=pro" });
    assert.match(await action.text(), /app POST \/pricing\?\/subscribe<\/h1>plan=pro/, "form actions of the app's pages reach it");
    const formOnUnknown = await w.fetch("/newsletter-signup", { method: "POST", body: "email=x" });
    assert.match(await formOnUnknown.text(), /app POST \/newsletter-signup/);
  });

  it("links redirect without asking the origin", async () => {
    const before = o.hits.length;
    const res = await w.fetch("/golink");
    assert.equal(res.status, 302);
    assert.equal(o.hits.length, before);
  });

  it("when the origin is down: stale copies of pages, else a maintenance page; links still redirect", async () => {
    o.mode = "up";
    assert.equal((await w.fetch("/about")).status, 200); // a copy is kept
    assert.equal((await w.fetch("/dashboard/links")).headers.get("x-served-from"), "origin"); // private: no copy
    await new Promise((r) => setTimeout(r, 200)); // the copy is written after the response
    o.mode = "down";
    const stale = await w.fetch("/about");
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get("x-served-from"), "stale");
    assert.match(await stale.text(), /app GET \/about/);
    const personal = await w.fetch("/dashboard/links");
    assert.equal(personal.status, 503, "personal pages are never served from a shared copy");
    const never = await w.fetch("/blog", { headers: { "accept-language": "de" } });
    assert.equal(never.status, 503);
    assert.equal(never.headers.get("x-served-from"), "maintenance");
    assert.ok(Number(never.headers.get("retry-after")) > 0);
    assert.match(await never.text(), /Gleich wieder da.*<time datetime="[^"]+">\d\d:\d\d Uhr UTC<\/time>/s);
    const link = await w.fetch("/golink");
    assert.equal(link.status, 302);
    const unknown = await w.fetch("/stillnotalink");
    assert.equal(unknown.status, 404, "an unknown code is a 404 when the app cannot say otherwise");
    o.mode = "up";
    await appAnswers();
  });

  it("bio pages are rendered at the edge from D1 while the origin is down", async () => {
    const ALICE = "alice0000000001";
    assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE}`, { body: { username: "alice", display_name: "Alice <script>x</script>", bio: "Links & more" } })).status, 201);
    assert.equal((await api(w, "PUT", "/api/v1/users/carol000000001", { body: { username: "carol", profile_public: false } })).status, 201);
    const mk = (body) => api(w, "POST", "/api/v1/links", { user: ALICE, body });
    await mk({ url: "https://a.example/1", title: "First <b>link</b>" });
    await mk({ url: "https://a.example/2", code: "alice/second" });
    await mk({ url: "https://a.example/hidden", title: "Inactive", is_active: false });
    await mk({ url: "https://a.example/old", title: "Expiring", expires_at: new Date(Date.now() + 1000).toISOString() });
    o.mode = "down";
    // The expiring link leaves the page once it has expired.
    const { res, html } = await eventually(async () => {
      const page = await w.fetch("/p/alice");
      const text = await page.text();
      return !text.includes("Expiring") && { res: page, html: text };
    }, "the expiring link to leave the bio page");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-served-from"), "edge");
    assert.match(html, /<h1>Alice &lt;script&gt;x&lt;\/script&gt;<\/h1>/);
    assert.match(html, /Links &amp; more/);
    assert.match(html, /First &lt;b&gt;link&lt;\/b&gt;/);
    assert.match(html, /href="http:\/\/127\.0\.0\.1:8787\/u\/alice\/second">127\.0\.0\.1:8787\/u\/alice\/second</, "an untitled link shows its short URL");
    assert.ok(!html.includes("a.example"), "never a target");
    assert.ok(!html.includes("Inactive") && !html.includes("Expiring"), "only active, unexpired links");
    assert.equal((await w.fetch("/p/carol")).status, 404, "a private profile is not shown");
    assert.equal((await w.fetch("/p/nobody")).status, 404);
    o.mode = "up";
    await appAnswers();
  });

  it("times out a slow origin instead of making visitors wait", async () => {
    o.mode = "slow";
    const start = Date.now();
    const res = await w.fetch("/contact");
    assert.equal(res.status, 503);
    assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
    o.mode = "up";
    await appAnswers();
  });

  it("retries idempotent requests on 502-504, never POSTs", async () => {
    o.mode = "flaky";
    o.flakyNext = 502;
    let before = o.hits.length;
    const res = await w.fetch("/flaky-page");
    assert.equal(res.status, 200);
    assert.equal(o.hits.length - before, 2, "one retry after the 502");
    o.flakyNext = 502;
    before = o.hits.length;
    const post = await w.fetch("/login", { method: "POST", body: "x" });
    assert.equal(post.status, 503);
    assert.equal(o.hits.length - before, 1, "a POST is sent once");
    o.mode = "up";
    await appAnswers();
  });

  it("an app's own 500 is passed on, and is not an outage", async () => {
    o.mode = "500";
    for (let i = 0; i < 4; i++) {
      const res = await w.fetch(`/pages/broken-${i}`);
      assert.equal(res.status, 500);
      assert.equal(res.headers.get("x-served-from"), "origin");
      assert.match(await res.text(), /app GET \/pages\/broken/);
    }
    o.mode = "up";
    assert.equal((await w.fetch("/pages/fine")).headers.get("x-served-from"), "origin", "the breaker stayed closed");
  });

  it("opens the circuit after repeated failures, then tries again after the cool-down", async () => {
    // 503: the app's server is there but the app is not (its reverse proxy answers).
    o.mode = "503";
    for (let i = 0; i < 3; i++) assert.equal((await w.fetch(`/pages/fail-${i}`)).status, 503);
    const before = o.hits.length;
    for (let i = 0; i < 5; i++) assert.equal((await w.fetch(`/pages/fast-fail-${i}`)).status, 503);
    assert.equal(o.hits.length, before, "no traffic to the origin while the circuit is open");
    o.mode = "up";
    await appAnswers();
    const res = await w.fetch("/pages/recovered");
    assert.equal(res.status, 200);
    assert.equal(o.hits.at(-1).url, "/pages/recovered");
  });
});
