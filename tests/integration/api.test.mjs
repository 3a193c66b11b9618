// The link management API against the real worker in workerd, local D1 and KV. Every
// response passes through `api()`, which checks it against openapi/openapi.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, api, d1, eventually, kv, startWorker } from "../harness.mjs";

const ALICE = "alice0000000001";
const BOB = "bob000000000001";

async function problem(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${await res.clone().text()}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.code, code);
  return body;
}

async function json(res, status) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text);
}

/** Everything the API can change, so a test can prove a refused request changed nothing. */
async function snapshot(w) {
  const db = await d1(w);
  const out = {};
  for (const t of ["links", "tags", "link_tags", "api_keys", "users"]) {
    out[t] = (await db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()).results;
  }
  const keys = await (await kv(w)).list();
  out.kv = keys.keys.map((k) => k.name).sort();
  return JSON.stringify(out);
}

async function setupUsers(w) {
  assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE}`, { body: { username: "alice", display_name: "Alice" } })).status, 201);
  assert.equal((await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "bob" } })).status, 201);
}

const asAlice = (w, method, path, opts = {}) => api(w, method, path, { user: ALICE, ...opts });
const asBob = (w, method, path, opts = {}) => api(w, method, path, { user: BOB, ...opts });

describe("links: create, get, update, delete", () => {
  let w;
  before(async () => {
    w = await startWorker({
      bindings: { SHORT_BASE_URL: "https://ulo.ad", BLOCKED_DOMAINS: "evil.example", ALLOWED_ORIGINS: "https://app.ulo.ad" },
    });
    await setupUsers(w);
    // Alice's workspace (links go under /w/ws1/ only for its members).
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/ws1", { body: { name: "Alice's team", members: [ALICE] } })).status, 201);
  });
  after(() => w?.stop());

  it("creates a link with every field, hashes the password, and returns an ETag", async () => {
    const res = await asAlice(w, "POST", "/api/v1/links", {
      body: {
        url: "https://bücher.de/angebote",
        code: "alice/buecher",
        title: "Bücher",
        description: "Angebote",
        password: "s3cret-pass",
        max_clicks: 100,
        expires_at: "2099-01-01T00:00:00+01:00",
        tags: ["Books", "Sale"],
        utm_source: "newsletter",
        utm_medium: "email",
        utm_campaign: "winter",
        workspace_id: "ws1",
        redirect_status: 307,
        forward_query: false,
      },
    });
    const link = await json(res, 201);
    assert.equal(link.url, "https://xn--bcher-kva.de/angebote");
    assert.equal(link.url_display, "https://bücher.de/angebote");
    assert.equal(link.short_url, "https://ulo.ad/u/alice/buecher");
    assert.equal(link.user_id, ALICE);
    assert.equal(link.has_password, true);
    assert.equal(link.expires_at, "2098-12-31T23:00:00.000Z");
    assert.deepEqual(link.tags, ["Books", "Sale"]);
    assert.equal(link.redirect_status, 307);
    assert.equal(link.version, 1);
    assert.equal(res.headers.get("etag"), '"v1"');
    assert.equal("password" in link, false);

    const row = await (await d1(w)).prepare("SELECT password_hash FROM links WHERE id = ?").bind(link.id).first();
    assert.match(row.password_hash, /^\$pbkdf2-sha256\$i=100000\$/);
    assert.ok(!JSON.stringify(await snapshot(w)).includes("s3cret-pass"), "the password is stored nowhere in plain text");
  });

  it("warns when a link is set to 301", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", redirect_status: 301 } }), 201);
    assert.equal(link.warnings.length, 1);
    assert.match(link.warnings[0], /301/);
  });

  it("gets, updates with If-Match, and refuses a stale write with 412", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://one.example/", code: "editme" } }), 201);
    const got = await asAlice(w, "GET", `/api/v1/links/${link.id}`);
    assert.equal((await json(got, 200)).url, "https://one.example/");
    const etag = got.headers.get("etag");

    const first = await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "New" }, headers: { "if-match": etag } });
    const updated = await json(first, 200);
    assert.equal(updated.title, "New");
    assert.equal(updated.version, 2);
    assert.equal(first.headers.get("etag"), '"v2"');

    const stale = await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "Lost update" }, headers: { "if-match": etag } });
    await problem(stale, 412, "precondition_failed");
    assert.equal((await json(await asAlice(w, "GET", `/api/v1/links/${link.id}`), 200)).title, "New");

    // Without If-Match the write is unconditional; null clears a field.
    const cleared = await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: null } }), 200);
    assert.equal(cleared.title, null);
  });

  it("concurrent conditional writes: exactly one wins", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://race.example/" } }), 201);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: `writer ${i}` }, headers: { "if-match": '"v1"' } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array(9).fill(412)]);
  });

  it("edits take effect on the redirect path at once, even after it was cached", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://old.example/", code: "moving" } }), 201);
    assert.equal((await w.fetch("/moving")).headers.get("location"), "https://old.example/");
    assert.equal((await w.fetch("/moving")).headers.get("x-served-from"), "memory");

    await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { url: "https://new.example/" } }), 200);
    assert.equal((await w.fetch("/moving")).headers.get("location"), "https://new.example/");
    assert.deepEqual(await (await kv(w)).get("link:moving", "json"), { link_id: link.id, url: "https://new.example/", status: 302 });

    await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { is_active: false } }), 200);
    const gone = await w.fetch("/moving", { headers: { accept: "application/json" } });
    assert.equal(gone.status, 410);
    assert.equal((await gone.json()).code, "link_gone");

    await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { is_active: true, code: "moved" } }), 200);
    assert.equal((await w.fetch("/moving")).status, 404, "the old code is free");
    assert.equal((await w.fetch("/moved")).headers.get("location"), "https://new.example/");

    assert.equal((await asAlice(w, "DELETE", `/api/v1/links/${link.id}`)).status, 204);
    assert.equal((await w.fetch("/moved")).status, 404);
    assert.equal(await (await kv(w)).get("link:moved"), null);
    await problem(await asAlice(w, "GET", `/api/v1/links/${link.id}`), 404, "not_found");
  });

  it("refuses redirect loops and blocked domains", async () => {
    let body = await problem(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://ulo.ad/abc" } }), 422, "validation_failed");
    assert.match(body.errors[0].message, /loop/);
    body = await problem(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://x.evil.example/" } }), 422, "validation_failed");
    assert.match(body.errors[0].message, /not allowed/);
  });

  it("codes of the form name/code belong to that user", async () => {
    const body = await problem(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", code: "alice/steal" } }), 422, "validation_failed");
    assert.equal(body.errors[0].field, "code");
  });

  it("renders a QR code of the short link as SVG", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://qr.example/", code: "qrlink" } }), 201);
    const res = await asAlice(w, "GET", `/api/v1/links/${link.id}/qr`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml");
    const svg = await res.text();
    assert.match(svg, /^<\?xml[^>]*>\s*<svg[^>]*width="\d+"/);
    assert.ok((svg.match(/<path|<rect/g) ?? []).length > 0, "the SVG draws modules");
  });

  it("serves the OpenAPI document it is checked against", async () => {
    const res = await api(w, "GET", "/api/v1/openapi.json", { token: null });
    assert.deepEqual(await json(res, 200), JSON.parse(readFileSync(join(ROOT, "openapi", "openapi.json"), "utf8")));
  });

  it("CORS: only configured origins, and preflights", async () => {
    const allowed = await asAlice(w, "GET", "/api/v1/tags", { headers: { origin: "https://app.ulo.ad" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.ulo.ad");
    assert.match(allowed.headers.get("vary"), /Origin/);
    const other = await asAlice(w, "GET", "/api/v1/tags", { headers: { origin: "https://evil.example" } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);

    const pre = await w.fetch("/api/v1/links", {
      method: "OPTIONS",
      headers: { origin: "https://app.ulo.ad", "access-control-request-method": "PATCH" },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get("access-control-allow-methods"), /PATCH/);
    assert.match(pre.headers.get("access-control-allow-headers"), /if-match/);
    const denied = await w.fetch("/api/v1/links", { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("access-control-allow-origin"), null);
  });
});

describe("ownership across two users", () => {
  let w, aliceLink, aliceTag;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    aliceLink = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://alice.example/", tags: ["Private"] } }), 201);
    aliceTag = (await json(await asAlice(w, "GET", "/api/v1/tags"), 200)).data[0];
  });
  after(() => w?.stop());

  it("another user's link answers 404 on every route, and stays untouched", async () => {
    const before = await snapshot(w);
    const id = aliceLink.id;
    await problem(await asBob(w, "GET", `/api/v1/links/${id}`), 404, "not_found");
    await problem(await asBob(w, "PATCH", `/api/v1/links/${id}`, { body: { url: "https://bob.example/" } }), 404, "not_found");
    await problem(await asBob(w, "DELETE", `/api/v1/links/${id}`), 404, "not_found");
    await problem(await asBob(w, "GET", `/api/v1/links/${id}/qr`), 404, "not_found");
    await problem(await asBob(w, "PATCH", `/api/v1/tags/${aliceTag.id}`, { body: { name: "Mine" } }), 404, "not_found");
    await problem(await asBob(w, "DELETE", `/api/v1/tags/${aliceTag.id}`), 404, "not_found");
    const bulk = await json(await asBob(w, "POST", "/api/v1/links/bulk/delete", { body: { ids: [id] } }), 200);
    assert.deepEqual(bulk, { deleted: [], not_found: [id] });
    const upd = await json(await asBob(w, "POST", "/api/v1/links/bulk/update", { body: { ids: [id], is_active: false } }), 200);
    assert.deepEqual(upd, { updated: [], not_found: [id] });
    assert.equal(await snapshot(w), before);
  });

  it("lists show only the caller's links and tags", async () => {
    await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://bob.example/" } }), 201);
    const bobs = await json(await asBob(w, "GET", "/api/v1/links"), 200);
    assert.deepEqual(bobs.data.map((l) => l.url), ["https://bob.example/"]);
    assert.deepEqual((await json(await asBob(w, "GET", "/api/v1/tags"), 200)).data, []);
    const service = await json(await api(w, "GET", "/api/v1/links"), 200);
    assert.deepEqual(service.data, [], "the service namespace is separate from users'");
  });

  it("API keys act as their user; revoked keys stop working; secrets are shown once", async () => {
    const created = await json(await asAlice(w, "POST", "/api/v1/api-keys", { body: { name: "CI" } }), 201);
    assert.match(created.key, /^ul_[A-Za-z0-9]{32}$/);
    assert.equal(created.prefix, created.key.slice(0, 10));
    const listed = await json(await asAlice(w, "GET", "/api/v1/api-keys"), 200);
    assert.equal(listed.data.length, 1);
    assert.equal(JSON.stringify(listed).includes(created.key), false, "the secret is never listed");
    const row = await (await d1(w)).prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(created.id).first();
    assert.notEqual(row.key_hash, created.key);
    assert.equal(JSON.stringify(await snapshot(w)).includes(created.key), false);

    const viaKey = await json(await api(w, "GET", `/api/v1/links/${aliceLink.id}`, { token: created.key }), 200);
    assert.equal(viaKey.id, aliceLink.id);
    const made = await json(await api(w, "POST", "/api/v1/links", { token: created.key, body: { url: "https://key.example/" } }), 201);
    assert.equal(made.user_id, ALICE);
    await problem(await api(w, "PUT", `/api/v1/users/${ALICE}`, { token: created.key, body: { username: "alice" } }), 403, "forbidden");

    await problem(await asBob(w, "DELETE", `/api/v1/api-keys/${created.id}`), 404, "not_found");
    assert.equal((await asAlice(w, "DELETE", `/api/v1/api-keys/${created.id}`)).status, 204);
    await problem(await api(w, "GET", "/api/v1/links", { token: created.key }), 401, "unauthorized");
    const revoked = await json(await asAlice(w, "GET", "/api/v1/api-keys"), 200);
    assert.ok(revoked.data[0].revoked_at);
    await problem(await api(w, "GET", "/api/v1/api-keys"), 403, "forbidden");
  });

  it("unknown users, taken usernames and wrong credentials", async () => {
    await problem(await api(w, "GET", "/api/v1/links", { user: "nobody" }), 422, "validation_failed");
    await problem(await api(w, "PUT", "/api/v1/users/someoneelse", { body: { username: "alice" } }), 409, "username_taken");
    await problem(await api(w, "GET", "/api/v1/links", { token: "ul_" + "A".repeat(32) }), 401, "unauthorized");
    await problem(await api(w, "GET", "/api/v1/links", { token: null }), 401, "unauthorized");
    const updated = await json(await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "bobby", bio: "hi" } }), 200);
    assert.equal(updated.username, "bobby");
  });
});

describe("idempotent retries and the custom-code race", () => {
  let w;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
  });
  after(() => w?.stop());

  it("a retried create with the same Idempotency-Key returns the first link", async () => {
    const body = { url: "https://retry.example/" };
    const headers = { "idempotency-key": "9b1c0e0a-retry-1" };
    const first = await asAlice(w, "POST", "/api/v1/links", { body, headers });
    const a = await json(first, 201);
    const second = await asAlice(w, "POST", "/api/v1/links", { body, headers });
    const b = await json(second, 201);
    assert.deepEqual(b, a);
    assert.equal(second.headers.get("idempotency-replayed"), "true");
    assert.equal(second.headers.get("location"), `/api/v1/links/${a.id}`);
    const n = await (await d1(w)).prepare("SELECT count(*) AS n FROM links WHERE url = ?").bind(body.url).first();
    assert.equal(n.n, 1);

    await problem(
      await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://other.example/" }, headers }),
      422,
      "idempotency_key_reused",
    );
    // Keys are per user: Bob's identical key is a different request.
    assert.equal((await asBob(w, "POST", "/api/v1/links", { body, headers })).status, 201);
  });

  it("a failed request does not burn its key", async () => {
    const headers = { "idempotency-key": "fail-then-succeed" };
    await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", code: "takenrace" } }), 201);
    await problem(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://b.de/", code: "takenrace" }, headers }), 409, "code_taken");
    await problem(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://b.de/", code: "takenrace" }, headers }), 409, "code_taken");
  });

  it("50 simultaneous creates of one custom code: exactly one 201, 49 × 409", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        asAlice(w, "POST", "/api/v1/links", { body: { url: `https://race.example/${i}`, code: "hotcode" } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses}`);
    assert.equal(statuses.filter((s) => s === 409).length, 49);
    const rows = await (await d1(w)).prepare("SELECT url FROM links WHERE code = 'hotcode'").all();
    assert.equal(rows.results.length, 1);
    const winner = await results.find((r) => r.status === 201).json();
    assert.equal((await w.fetch("/hotcode")).headers.get("location"), winner.url);
  });
});

describe("listing, filters, bulk operations and tags", () => {
  let w;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
  });
  after(() => w?.stop());

  it("cursor pagination is stable while links are inserted", async () => {
    const ids = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await json(await asBob(w, "POST", "/api/v1/links", { body: { url: `https://page.example/${i}` } }), 201)).id);
    }
    const seen = [];
    let page = await json(await asBob(w, "GET", "/api/v1/links?limit=10"), 200);
    seen.push(...page.data.map((l) => l.id));
    for (let i = 0; i < 5; i++) {
      await json(await asBob(w, "POST", "/api/v1/links", { body: { url: `https://late.example/${i}` } }), 201);
    }
    while (page.next_cursor) {
      page = await json(await asBob(w, "GET", `/api/v1/links?limit=10&cursor=${encodeURIComponent(page.next_cursor)}`), 200);
      seen.push(...page.data.map((l) => l.id));
    }
    assert.equal(new Set(seen).size, seen.length, "no link twice");
    assert.deepEqual([...seen].sort(), [...ids].sort(), "every original link exactly once, none of the new ones");
  });

  it("filters by status, tag and search; sorts by clicks", async () => {
    const mk = async (body) => json(await asAlice(w, "POST", "/api/v1/links", { body }), 201);
    const a = await mk({ url: "https://f.example/a", title: "Summer 50% sale", tags: ["Promo"] });
    const b = await mk({ url: "https://f.example/b", description: "winter", is_active: false });
    // Expires 1.5 s from now: the redirect path must notice by itself, with the record
    // already in KV and in memory.
    const c = await mk({ url: "https://f.example/c", title: "Summer 50 sale", expires_at: new Date(Date.now() + 1500).toISOString() });
    assert.equal((await w.fetch(`/${c.code}`)).status, 302);
    await eventually(async () => (await w.fetch(`/${c.code}`)).status === 410, "the link to expire on the redirect path");
    const db = await d1(w);
    // Far above the real clicks c got while the test waited for it to expire (each 302 above
    // is one click, counted by the analytics consumer).
    await db.prepare("UPDATE links SET click_count = 7000 WHERE id = ?").bind(b.id).run();
    await db.prepare("UPDATE links SET click_count = 3000 WHERE id = ?").bind(a.id).run();
    const list = async (qs) => (await json(await asAlice(w, "GET", `/api/v1/links?${qs}`), 200)).data.map((l) => l.id);
    assert.deepEqual(await list("status=active"), [a.id]);
    assert.deepEqual(await list("status=inactive"), [b.id]);
    assert.deepEqual(await list("status=expired"), [c.id]);
    assert.deepEqual(await list("tag=promo"), [a.id]);
    assert.deepEqual(await list("q=50%25"), [a.id], "% is literal in a search");
    assert.deepEqual(await list("q=WINTER"), [b.id]);
    assert.deepEqual(await list("sort=clicks&limit=2"), [b.id, a.id]);
    await problem(await asAlice(w, "GET", "/api/v1/links?limit=0"), 422, "validation_failed");
    await problem(await asAlice(w, "GET", "/api/v1/links?cursor=garbage"), 422, "validation_failed");
  });

  it("bulk create: each item succeeds or fails on its own", async () => {
    const res = await json(
      await asAlice(w, "POST", "/api/v1/links/bulk", {
        body: { links: [{ url: "https://bulk.example/1", code: "bulk-one" }, { url: "javascript:alert(1)" }, { url: "https://bulk.example/3", code: "bulk-one" }, { url: "https://bulk.example/4" }] },
      }),
      200,
    );
    assert.equal(res.created, 2);
    assert.equal(res.failed, 2);
    assert.deepEqual(res.results.map((r) => r.status), [201, 422, 409, 201]);
    assert.equal(res.results[1].error.errors[0].field, "url");
    assert.equal((await w.fetch("/bulk-one")).headers.get("location"), "https://bulk.example/1");
    const tooMany = { links: Array.from({ length: 101 }, (_, i) => ({ url: `https://x.example/${i}` })) };
    await problem(await asAlice(w, "POST", "/api/v1/links/bulk", { body: tooMany }), 422, "validation_failed");
  });

  it("bulk activate/deactivate, tag and delete reach the redirect path", async () => {
    const mk = async (code) => json(await asAlice(w, "POST", "/api/v1/links", { body: { url: `https://b.example/${code}`, code } }), 201);
    const x = await mk("bulkx");
    const y = await mk("bulky");
    assert.equal((await w.fetch("/bulkx")).status, 302);
    let res = await json(await asAlice(w, "POST", "/api/v1/links/bulk/update", { body: { ids: [x.id, y.id, "missing"], is_active: false } }), 200);
    assert.deepEqual(res.updated.sort(), [x.id, y.id].sort());
    assert.deepEqual(res.not_found, ["missing"]);
    assert.equal((await w.fetch("/bulkx")).status, 410);
    await json(await asAlice(w, "POST", "/api/v1/links/bulk/update", { body: { ids: [x.id], is_active: true } }), 200);
    assert.equal((await w.fetch("/bulkx")).status, 302);

    res = await json(await asAlice(w, "POST", "/api/v1/links/bulk/tag", { body: { ids: [x.id, y.id], add: ["Team"], remove: [] } }), 200);
    assert.equal(res.updated.length, 2);
    assert.deepEqual((await json(await asAlice(w, "GET", `/api/v1/links/${y.id}`), 200)).tags, ["Team"]);
    await json(await asAlice(w, "POST", "/api/v1/links/bulk/tag", { body: { ids: [y.id], remove: ["team"] } }), 200);
    assert.deepEqual((await json(await asAlice(w, "GET", `/api/v1/links/${y.id}`), 200)).tags, []);

    res = await json(await asAlice(w, "POST", "/api/v1/links/bulk/delete", { body: { ids: [x.id, y.id] } }), 200);
    assert.equal(res.deleted.length, 2);
    assert.equal((await w.fetch("/bulkx")).status, 404);
    assert.equal((await w.fetch("/bulky")).status, 404);
  });

  it("tags: create, rename, merge, delete", async () => {
    const news = await json(await asAlice(w, "POST", "/api/v1/tags", { body: { name: "News", color: "#FF0000" } }), 201);
    assert.equal(news.slug, "news");
    assert.equal(news.color, "#ff0000");
    await problem(await asAlice(w, "POST", "/api/v1/tags", { body: { name: "NEWS" } }), 409, "tag_exists");
    const upd = await json(await asAlice(w, "POST", "/api/v1/tags", { body: { name: "Updates" } }), 201);
    const l1 = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://t.example/1", tags: ["News"] } }), 201);
    const l2 = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://t.example/2", tags: ["News", "Updates"] } }), 201);

    const renamed = await json(await asAlice(w, "PATCH", `/api/v1/tags/${news.id}`, { body: { name: "Breaking News" } }), 200);
    assert.equal(renamed.slug, "breaking-news");
    await problem(await asAlice(w, "PATCH", `/api/v1/tags/${news.id}`, { body: { name: "updates" } }), 409, "tag_exists");

    const merged = await json(await asAlice(w, "POST", `/api/v1/tags/${news.id}/merge`, { body: { into: upd.id } }), 200);
    assert.equal(merged.id, upd.id);
    assert.equal(merged.link_count, 2);
    assert.deepEqual((await json(await asAlice(w, "GET", `/api/v1/links/${l1.id}`), 200)).tags, ["Updates"]);
    assert.deepEqual((await json(await asAlice(w, "GET", `/api/v1/links/${l2.id}`), 200)).tags, ["Updates"]);
    await problem(await asAlice(w, "PATCH", `/api/v1/tags/${news.id}`, { body: { name: "x" } }), 404, "not_found");
    await problem(await asAlice(w, "POST", `/api/v1/tags/${upd.id}/merge`, { body: { into: upd.id } }), 422, "validation_failed");

    assert.equal((await asAlice(w, "DELETE", `/api/v1/tags/${upd.id}`)).status, 204);
    assert.deepEqual((await json(await asAlice(w, "GET", `/api/v1/links/${l2.id}`), 200)).tags, []);
    assert.equal((await json(await asAlice(w, "GET", `/api/v1/links/${l2.id}`), 200)).url, "https://t.example/2", "links survive");
  });
});

describe("bad input: 4xx problem documents, nothing changes", () => {
  let w, link;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://stable.example/", code: "stable" } }), 201);
  });
  after(() => w?.stop());

  async function unchanged(send, status, code) {
    const before = await snapshot(w);
    const body = await problem(await send(), status, code);
    assert.equal(await snapshot(w), before, "nothing changed");
    return body;
  }

  const hostile = [
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    " data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox",
    "file:///etc/passwd",
    "https://user:pw@example.com/",
    "https://",
    "http://[::1",
    "//no-scheme.example/",
    "https://example.com/" + "a".repeat(9000),
    "https://exa mple.com/",
    "https://example..com:99999/",
  ];
  for (const url of hostile) {
    it(`refuses the target ${JSON.stringify(url.slice(0, 40))}`, async () => {
      await unchanged(() => asAlice(w, "POST", "/api/v1/links", { body: { url } }), 422, "validation_failed");
      await unchanged(() => asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { url } }), 422, "validation_failed");
    });
  }

  for (const code of ["../etc", "a b", "<script>", "x".repeat(51), "ab", "api", "health", "métro", "a%2Fb", ""]) {
    it(`refuses the code ${JSON.stringify(code.slice(0, 20))}`, async () => {
      await unchanged(() => asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", code } }), 422, "validation_failed");
    });
  }

  it("wrong types in every field", async () => {
    const body = await unchanged(
      () =>
        asAlice(w, "POST", "/api/v1/links", {
          body: { url: ["x"], code: 5, title: {}, is_active: "yes", max_clicks: -1, expires_at: 7, tags: "a", redirect_status: "302", forward_query: 1 },
        }),
      422,
      "validation_failed",
    );
    assert.deepEqual(
      body.errors.map((e) => e.field).sort(),
      ["code", "expires_at", "forward_query", "is_active", "max_clicks", "redirect_status", "tags", "title", "url"],
    );
  });

  it("malformed JSON, wrong content types, huge bodies, empty updates", async () => {
    for (const raw of ["{", "[", '{"url": "https://a.de/",}', "nul", '{"url": "\\ud800"']) {
      await unchanged(() => asAlice(w, "POST", "/api/v1/links", { body: raw }), 400, "invalid_json");
    }
    await unchanged(
      () => asAlice(w, "POST", "/api/v1/links", { body: "url=x", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported_media_type",
    );
    await unchanged(() => asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", title: "x".repeat(100_000) } }), 413, "payload_too_large");
    await unchanged(() => asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: {} }), 422, "validation_failed");
    await unchanged(() => asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "t".repeat(201) } }), 422, "validation_failed");
    await unchanged(() => asAlice(w, "POST", "/api/v1/links/bulk/delete", { body: { ids: [] } }), 422, "validation_failed");
    await unchanged(() => asAlice(w, "POST", "/api/v1/tags", { body: { name: "!!!" } }), 422, "validation_failed");
    await unchanged(() => asAlice(w, "POST", "/api/v1/tags", { body: { name: "ok", color: "red" } }), 422, "validation_failed");
    await unchanged(() => asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.de/" }, headers: { "idempotency-key": "has space" } }), 422, "validation_failed");
  });

  it("405 with Allow, 404 for unknown API paths", async () => {
    const res = await asAlice(w, "PUT", `/api/v1/links/${link.id}`, { body: { url: "https://a.de/" } });
    await problem(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, HEAD, PATCH, DELETE");
    await unchanged(() => asAlice(w, "GET", "/api/v1/nothing-here"), 404, "not_found");
    assert.equal((await w.fetch("/stable")).headers.get("location"), "https://stable.example/");
  });
});
