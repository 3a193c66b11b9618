// Holes found when the worker was tried as an attacker would (issue 12), continued: what
// visitors, forms, bodies and unknown methods can do. See SECURITY.md for the threat model.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { api, d1, eventually, startWorker } from "../harness.mjs";
import { ALICE, securityWorker } from "./security-setup.mjs";
import { conforms } from "../openapi.mjs";

/** A raw request with any method (node's fetch normalises or refuses some). */
function raw(base, path, method, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("security: visitors, forms and bodies", () => {
  let w;
  before(async () => {
    w = await securityWorker();
  });
  after(() => w?.stop());
  it("6. password forms from other sites are refused before an attempt is counted; IPv6 clients count by /64", async () => {
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/p6", code: "secpw6", password: "hunter2hunter2" } })).status, 201);
    const post = (headers, body = "password=wrong") =>
      w.fetch("/secpw6", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { origin: "null" }]) {
      const res = await post(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.headers.get("ratelimit-remaining"), null, "no attempt was counted");
    }
    const own = await post({ origin: new URL(w.url).origin });
    assert.equal(own.status, 401, "the site's own form is judged");
    // Limits per /64: two addresses of one IPv6 subscriber share the attempts.
    const limited = await startWorker({ bindings: { RATE_PASSWORD_LIMIT: "2" } });
    try {
      assert.equal((await api(limited, "POST", "/api/v1/links", { body: { url: "https://example.com/p6", code: "v6pw", password: "hunter2hunter2" } })).status, 201);
      const from = (ip) => limited.fetch("/v6pw", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip }, body: "password=wrong" });
      assert.equal((await from("2001:db8:5:6::1")).status, 401);
      assert.equal((await from("2001:db8:5:6::2")).status, 401);
      assert.equal((await from("2001:db8:5:6:ffff::3")).status, 429, "a third address of the same /64 is over the limit");
      assert.equal((await from("2001:db8:5:7::1")).status, 401, "another /64 has its own attempts");
    } finally {
      await limited.stop();
    }
    // Per link, across every client: many addresses cannot share out the guessing.
    const perLink = await startWorker({ bindings: { RATE_PASSWORD_LINK_LIMIT: "3" } });
    try {
      assert.equal((await api(perLink, "POST", "/api/v1/links", { body: { url: "https://example.com/p6", code: "spread", password: "hunter2hunter2" } })).status, 201);
      const from = (ip) => perLink.fetch("/spread", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip }, body: "password=wrong" });
      for (const ip of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) assert.equal((await from(ip)).status, 401);
      assert.equal((await from("198.51.100.4")).status, 429, "a fourth address is over the link's own limit");
    } finally {
      await perLink.stop();
    }
    // The back-off grows: past the day's tier, the wait is hours, not the window's minutes.
    const daily = await startWorker({ bindings: { RATE_PASSWORD_DAILY_LIMIT: "3" } });
    try {
      assert.equal((await api(daily, "POST", "/api/v1/links", { body: { url: "https://example.com/p6", code: "daily", password: "hunter2hunter2" } })).status, 201);
      const attempt = () => daily.fetch("/daily", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: "password=wrong" });
      for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 401);
      const over = await attempt();
      assert.equal(over.status, 429);
      assert.ok(Number(over.headers.get("retry-after")) > 3600, `wait ${over.headers.get("retry-after")} s`);
    } finally {
      await daily.stop();
    }
  });

  it("9. visitor hashes: per link, from a random salt of the day that no secret can recompute, kept only for the day", async () => {
    // The same visitor on two links of one worker, and on the same link of another worker
    // that holds the very same secrets.
    const twin = await startWorker({ bindings: { ANALYTICS_SALT: "s".repeat(40) } });
    const first = await startWorker({ bindings: { ANALYTICS_SALT: "s".repeat(40) } });
    try {
      const visit = async (worker, code) => {
        const made = await api(worker, "POST", "/api/v1/links", { body: { url: `https://example.com/${code}`, code } });
        const l = await made.json();
        assert.equal((await worker.fetch(`/${code}`, { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0", "cf-connecting-ip": "203.0.113.99" } })).status, 302);
        return l.id;
      };
      const hashOf = async (worker, linkId) => {
        const db = await d1(worker);
        const row = await eventually(() => db.prepare("SELECT visitor_hash FROM click_visitors WHERE link_id = ?").bind(linkId).first(), "the click to be counted");
        return row.visitor_hash;
      };
      const a1 = await visit(first, "vh1");
      const a2 = await visit(first, "vh2");
      const b1 = await visit(twin, "vh1");
      const [h1, h2, hTwin] = [await hashOf(first, a1), await hashOf(first, a2), await hashOf(twin, b1)];
      assert.match(h1, /^[0-9a-f]{32}$/);
      assert.notEqual(h1, h2, "per link: one link's visitors cannot be matched with another's");
      assert.notEqual(h1, hTwin, "the day's salt is random, not derived from the secret: holding ANALYTICS_SALT is not enough");
      // The day's salt object refuses a day that is over: no salt is ever drawn again for it,
      // so a past day's hash cannot be recomputed.
      const ns = await first.mf.getDurableObjectNamespace("SALTS");
      const past = await ns.get(ns.idFromName("salt:2020-01-01")).fetch("https://object/call", { method: "POST", body: JSON.stringify({ day: "2020-01-01" }) });
      assert.deepEqual(await past.json(), { salt: null });
      const today = new Date().toISOString().slice(0, 10);
      const now = await ns.get(ns.idFromName(`salt:${today}`)).fetch("https://object/call", { method: "POST", body: JSON.stringify({ day: today }) });
      assert.match((await now.json()).salt, /^[0-9a-f]{64}$/, "today's exists while the day lasts");
      const raw = await (await d1(first)).prepare("SELECT count(*) AS n FROM clicks WHERE visitor_hash IS NOT NULL").first();
      assert.equal(raw.n, 0, "counted raw clicks keep no hash (nor does the CSV)");
    } finally {
      await first.stop();
      await twin.stop();
    }
  });

  it("10. no plaintext API key is kept for idempotent retries, and old records are purged daily", async () => {
    const headers = { "idempotency-key": "sec-key-create-1" };
    const first = await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "ci" }, headers });
    assert.equal(first.status, 201);
    const created = await first.json();
    assert.match(created.key, /^ul_/);
    const db = await d1(w);
    const rows = (await db.prepare("SELECT body FROM idempotency_keys").all()).results;
    assert.ok(rows.length > 0, "the retry record exists");
    for (const row of rows) assert.ok(!String(row.body).includes(created.key), "but it does not hold the secret");
    const retry = await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "ci" }, headers });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get("idempotency-replayed"), "true");
    const replayed = await retry.json();
    assert.equal(replayed.id, created.id, "the same key, not a second one");
    assert.equal(replayed.key, null, "its secret is not shown again");

    await db.prepare("INSERT INTO idempotency_keys (owner, key, fingerprint, status, body, created_at) VALUES ('', 'old-one', 'f', 201, '{}', '2020-01-01T00:00:00.000Z')").run();
    await (await w.mf.getWorker()).scheduled({ cron: "17 3 * * *" });
    const left = (await db.prepare("SELECT key FROM idempotency_keys").all()).results.map((r) => r.key);
    assert.ok(!left.includes("old-one"), "a record past its 24 hours is gone");
    assert.ok(left.includes("sec-key-create-1"), "a fresh one stays");
  });

  it("11. bodies are read with a cap, also when sent chunked", async () => {
    // A chunked body (no Content-Length), twice the cap: refused once the count passes the
    // cap. The worker answers without reading the rest, so the runtime may close the
    // connection while the client still writes, and the client then sees a reset instead of
    // the answer (HTTP/1.1 lets a server close after an early answer; seen once, in a clean-
    // clone run of the suite):
    // a reset is sent again, an answer is what is checked.
    const chunked = (path, headers, bytes) =>
      eventually(async () => {
        const res = await w.fetch(path, { method: "POST", headers, body: new Blob([new Uint8Array(bytes).fill(97)]).stream(), duplex: "half" });
        return { status: res.status, text: await res.text() };
      }, `an answer to a chunked upload to ${path}`, { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/p11", code: "secpw11", password: "hunter2hunter2" } })).status, 201);
    const form = await chunked("/secpw11", { "content-type": "application/x-www-form-urlencoded", origin: new URL(w.url).origin }, 8 * 1024);
    assert.equal(form.status, 413);
    const json = await chunked("/api/v1/links", { authorization: `Bearer ${w.token}`, "content-type": "application/json" }, 128 * 1024);
    assert.equal(json.status, 413);
    assert.equal(JSON.parse(json.text).code, "payload_too_large");
  });

  it("12. a bulk create hashes at most 10 passwords, and changes nothing when asked for more", async () => {
    const links = Array.from({ length: 11 }, (_, i) => ({ url: `https://bulk.example/${i}`, password: `hunter2hunter2-${i}` }));
    const before = (await (await d1(w)).prepare("SELECT count(*) AS n FROM links").first()).n;
    const res = await api(w, "POST", "/api/v1/links/bulk", { body: { links } });
    assert.equal(res.status, 422);
    assert.match((await res.json()).errors[0].message, /at most 10 links .* password/);
    assert.equal((await (await d1(w)).prepare("SELECT count(*) AS n FROM links").first()).n, before, "nothing was created");
    const ten = await api(w, "POST", "/api/v1/links/bulk", { body: { links: links.slice(0, 10) } });
    assert.equal(ten.status, 200);
    assert.equal((await ten.json()).created, 10);
  });

  it("12. the CSV export streams its rows page by page instead of building one string", async () => {
    const made = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/csv", code: "seccsv" } })).json();
    // 2,100 raw clicks (more than one page of 2,000), written as the consumer would.
    const db = await d1(w);
    // Yesterday's clicks: today's first minute could still be in the future when the test
    // runs just after midnight UTC (it once did, and the export rightly left those out).
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await db.prepare(`INSERT INTO clicks (id, link_id, clicked_at, is_bot, browser, os, device_type, pending)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100)
      SELECT 'csv' || printf('%05d', i), ?1, ?2 || 'T00:00:' || printf('%02d', i % 60) || '.' || printf('%03d', i % 1000) || 'Z', 0, 'Chrome', 'Linux', 'desktop', 0 FROM n`).bind(made.id, day).run();
    const res = await api(w, "GET", `/api/v1/links/${made.id}/clicks.csv?limit=2050&from=${day}T00:00:00Z`);
    assert.equal(res.status, 200, await res.clone().text().then((t) => t.slice(0, 300)));
    assert.equal(res.headers.get("content-length"), null, "sent as a stream, not one sized body");
    const lines = (await res.text()).trim().split("\n");
    assert.equal(lines.length, 2051, "the header and every row of two pages");
    assert.match(res.headers.get("link") ?? "", /rel="next"/, "more follow: the next page is linked");
  });

  it("7. the edge bio page never shows a target, protected or not", async () => {
    const mk = (body) => api(w, "POST", "/api/v1/links", { user: ALICE, body });
    assert.equal((await mk({ url: "https://secret-target.example/one-time", code: "secalice/locked", password: "hunter2hunter2" })).status, 201);
    assert.equal((await mk({ url: "https://limited-target.example/x", code: "secalice/limited", max_clicks: 1 })).status, 201);
    assert.equal((await mk({ url: "https://plain-target.example/x", title: "My plain link" })).status, 201);
    const res = await w.fetch("/p/secalice");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-served-from"), "edge");
    const html = await res.text();
    assert.doesNotMatch(html, /target\.example/, "no target URL on the page");
    assert.match(html, /u\/secalice\/locked/, "the protected link is listed by its short URL");
    assert.match(html, />My plain link</);
  });

  it("8. every HTML page carries hardening headers; redirects say noindex", async () => {
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/h", code: "sechard" } })).status, 201);
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/p", code: "secpw", password: "hunter2hunter2" } })).status, 201);
    // The 404 of an unknown code, a password form, the maintenance page, the edge bio page.
    const pages = [await w.fetch("/nosuchcodehere"), await w.fetch("/secpw"), await w.fetch("/pricing"), await w.fetch("/p/secalice")];
    for (const page of pages) {
      assert.match(page.headers.get("content-type"), /text\/html/);
      assert.equal(page.headers.get("x-content-type-options"), "nosniff");
      assert.match(page.headers.get("content-security-policy"), /frame-ancestors 'none'/);
      assert.match(page.headers.get("content-security-policy"), /default-src 'none'/);
      assert.equal(page.headers.get("referrer-policy"), "same-origin", "no referrer leaves the site");
      await page.arrayBuffer();
    }
    const redirect = await w.fetch("/sechard");
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get("x-robots-tag"), "noindex");
  });

  it("13. /health/ready tells the public its status only, from a result a few seconds old", async () => {
    const broken = await startWorker({ broken: ["d1"] });
    try {
      const probes = () => broken.events().filter((e) => e.event === "readiness_check_failed" && e.check === "d1").length;
      const first = await broken.fetch("/health/ready");
      assert.equal(first.status, 503);
      assert.deepEqual(Object.keys(await first.json()).sort(), ["status", "version"], "no checks, no errors, no configuration");
      const again = await broken.fetch("/health/ready");
      assert.equal(again.status, 503);
      assert.equal((await again.json()).status, "fail");
      await new Promise((r) => setTimeout(r, 100)); // logs reach the test through workerd's stdout
      assert.equal(probes(), 1, "the second answer reused the first probe");
      const detailed = await broken.fetch("/health/ready", { headers: { authorization: `Bearer ${broken.adminToken}` } });
      const body = await detailed.json();
      assert.equal(body.checks.d1.ok, false, "the operator sees every check");
      assert.ok(body.checks.d1.error);
      // Both shapes are the OpenAPI document's.
      await conforms(await broken.fetch("/health/ready"), "GET", "/health/ready");
      await conforms(await broken.fetch("/health/ready", { headers: { authorization: `Bearer ${broken.adminToken}` } }), "GET", "/health/ready");
      const wrong = await broken.fetch("/health/ready", { headers: { authorization: "Bearer not-the-token" } });
      assert.equal((await wrong.json()).checks, undefined);
    } finally {
      await broken.stop();
    }
  });

  it("13. failing clients are shut out before their credentials or codes are looked up", async () => {
    const gate = await startWorker({ bindings: { RATE_FAILURE_LIMIT: "3" } });
    try {
      const from = (ip, init = {}) => ({ ...init, headers: { ...init.headers, "cf-connecting-ip": ip } });
      // Wrong API credentials: a made-up key is looked up three times, then no more.
      const wrongKey = () => gate.fetch("/api/v1/links", from("198.51.100.20", { headers: { authorization: `Bearer ul_${"A".repeat(32)}` } }));
      for (let i = 0; i < 3; i++) assert.equal((await wrongKey()).status, 401);
      assert.equal((await wrongKey()).status, 429, "the fourth failure of the window shuts the client out");
      const shut = await gate.fetch("/api/v1/links", from("198.51.100.20", { headers: { authorization: `Bearer ${gate.token}` } }));
      assert.equal(shut.status, 429, "even a right token, from a client shut out for its failures");
      assert.equal((await shut.json()).code, "rate_limited");
      assert.equal((await gate.fetch("/api/v1/links", from("198.51.100.21", { headers: { authorization: `Bearer ${gate.token}` } }))).status, 200, "other clients are not affected");
      assert.ok(gate.events().some((e) => e.event === "client_shut_out" && !JSON.stringify(e).includes("198.51.100.20")), "logged, without the address");
      // Wrong metrics tokens.
      for (let i = 0; i < 3; i++) assert.equal((await gate.fetch("/metrics", from("198.51.100.30", { headers: { authorization: "Bearer guess" } }))).status, 401);
      assert.equal((await gate.fetch("/metrics", from("198.51.100.30", { headers: { authorization: "Bearer guess" } }))).status, 429);
      // POSTs to codes that are no links (a scan): three lookups, then none.
      const post = (code) => gate.fetch(`/${code}`, from("198.51.100.40", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: "password=x" }));
      for (const code of ["scana1", "scana2", "scana3"]) assert.equal((await post(code)).status, 404);
      assert.equal((await post("scana4")).status, 429);
    } finally {
      await gate.stop();
    }
  });

  it("15. unknown methods get 405 with Allow on the worker's routes, 501 on the app's", async () => {
    for (const [path, allow] of [["/health", "GET, HEAD"], ["/api/v1/tags", "GET, HEAD, POST"], ["/api/v1/api-keys", "GET, HEAD, POST"], ["/sechard", "GET, HEAD"]]) {
      const res = await raw(w.url, path, "QUERY", { authorization: `Bearer ${w.token}` });
      assert.equal(res.status, 405, `QUERY ${path}`);
      assert.equal(res.headers.allow, allow);
      assert.equal(JSON.parse(res.body).code, "method_not_allowed");
    }
    const res = await raw(w.url, "/login", "PROPFIND");
    assert.equal(res.status, 501, "not passed to the app as a GET");
  });
});
