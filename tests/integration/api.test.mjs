// The link management API against the real worker in workerd, local D1 and KV. Every
// response passes through `api()`, which checks it against openapi/openapi.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, api, d1, eventually, kv, startWorker } from "../harness.mjs";
import { ALICE, BOB, asAlice, asBob, problem, json, snapshot, setupUsers } from "./api-helpers.mjs";

describe("links: create, get, update, delete", () => {
  let w;
  before(async () => {
    w = await startWorker({
      bindings: { SHORT_BASE_URL: "https://ulo.ad", BLOCKED_DOMAINS: "evil.example", ALLOWED_ORIGINS: "https://app.ulo.ad" },
    });
    await setupUsers(w);
    // Alice's workspace (links go under /w/ws1/ only for its members).
    const ws = await api(w, "PUT", "/api/v1/workspaces/ws1", { body: { name: "Alice's team", members: [ALICE] } });
    assert.equal(ws.status, 201);
    assert.equal(ws.headers.get("location"), "/api/v1/workspaces/ws1", "a 201 names what it created");
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

  it("gets (304 for a current If-None-Match), updates with If-Match, and refuses a stale write with 412", async () => {
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://one.example/", code: "editme" } }), 201);
    const got = await asAlice(w, "GET", `/api/v1/links/${link.id}`);
    assert.equal((await json(got, 200)).url, "https://one.example/");
    const etag = got.headers.get("etag");

    const first = await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "New" }, headers: { "if-match": etag } });
    const updated = await json(first, 200);
    assert.equal(updated.title, "New");
    assert.equal(updated.version, 2);
    assert.equal(first.headers.get("etag"), '"v2"');

    // A client holding the current version gets 304 without a body; an older one, the link.
    const unchanged = await asAlice(w, "GET", `/api/v1/links/${link.id}`, { headers: { "if-none-match": 'W/"v2"' } });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.headers.get("etag"), '"v2"');
    assert.equal(await unchanged.text(), "");
    const changed = await asAlice(w, "GET", `/api/v1/links/${link.id}`, { headers: { "if-none-match": etag } });
    assert.equal((await json(changed, 200)).title, "New", "v1 is stale: the link comes back");

    const stale = await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "Lost update" }, headers: { "if-match": etag } });
    await problem(stale, 412, "precondition_failed");
    assert.equal((await json(await asAlice(w, "GET", `/api/v1/links/${link.id}`), 200)).title, "New");

    // DELETE with a stale If-Match changes nothing (412 with the current ETag); with the
    // current one it deletes.
    const doomed = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://doomed.example/" } }), 201);
    await asAlice(w, "PATCH", `/api/v1/links/${doomed.id}`, { body: { title: "edited meanwhile" } });
    const refused = await asAlice(w, "DELETE", `/api/v1/links/${doomed.id}`, { headers: { "if-match": '"v1"' } });
    await problem(refused, 412, "precondition_failed");
    assert.equal((await w.fetch(`/${doomed.code}`)).status, 302, "still redirects");
    assert.equal((await asAlice(w, "DELETE", `/api/v1/links/${doomed.id}`, { headers: { "if-match": '"v2"' } })).status, 204);
    assert.equal((await asAlice(w, "GET", `/api/v1/links/${doomed.id}`)).status, 404);
    await problem(await asAlice(w, "DELETE", `/api/v1/links/${doomed.id}`, { headers: { "if-match": '"v2"' } }), 404, "not_found");

    // A GET's body, edited and sent back: read-only and unchanged fields are no change, its
    // version is a precondition.
    const fresh = await asAlice(w, "GET", `/api/v1/links/${link.id}`);
    const body = await json(fresh, 200);
    const echoed = await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { ...body, title: "Echoed" } }), 200);
    assert.equal(echoed.title, "Echoed");
    assert.equal(echoed.version, body.version + 1);
    const same = await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: echoed }), 200);
    assert.equal(same.version, echoed.version, "sent back unchanged: nothing written");
    await problem(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { ...body, title: "Late" } }), 412, "precondition_failed");
    await problem(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: {} }), 422, "validation_failed");

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
    assert.deepEqual(await (await kv(w)).get("link:moving", "json"), { link_id: link.id, url: "https://new.example/", status: 302, ca: link.created_at });

    await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { is_active: false } }), 200);
    const gone = await w.fetch("/moving", { headers: { accept: "application/json" } });
    assert.equal(gone.status, 410);
    assert.equal((await gone.json()).code, "link_gone");

    // Moving onto a code another link has: the unique index (links_domain_code) refuses it,
    // recognised by name in the real D1, and the link stays as it was.
    const other = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://other.example/", code: "occupied" } }), 201);
    await problem(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { code: "occupied" } }), 409, "code_taken");
    assert.equal((await json(await asAlice(w, "GET", `/api/v1/links/${link.id}`), 200)).code, "moving");
    assert.equal((await w.fetch("/occupied")).headers.get("location"), "https://other.example/");
    assert.equal((await asAlice(w, "DELETE", `/api/v1/links/${other.id}`)).status, 204);

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
    assert.match(svg, /^<svg[^>]*width="256" height="256"/, "256 pixels unless asked otherwise");
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
    for (const token of ["ul_" + "A".repeat(32), null]) {
      const res = await api(w, "GET", "/api/v1/links", { token });
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="uload-edge"', "a 401 says how to authenticate");
      await problem(res, 401, "unauthorized");
    }
    const updated = await json(await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "bobby", bio: "hi" } }), 200);
    assert.equal(updated.username, "bobby");
  });

  it("acting for a user: a rename or a deletion counts at once; a user deleted elsewhere writes nothing", async () => {
    const DAVE = "daveid0000001";
    const asDave = (m, p, o = {}) => api(w, m, p, { user: DAVE, ...o });
    await json(await api(w, "PUT", `/api/v1/users/${DAVE}`, { body: { username: "dave" } }), 201);
    await json(await asDave("POST", "/api/v1/links", { body: { url: "https://d.example/", code: "dave/one" } }), 201);
    // Renamed: the new name's codes are his at once, the old name's no longer.
    await json(await api(w, "PATCH", `/api/v1/users/${DAVE}`, { body: { username: "davey" } }), 200);
    await json(await asDave("POST", "/api/v1/links", { body: { url: "https://d.example/", code: "davey/two" } }), 201);
    await problem(await asDave("POST", "/api/v1/links", { body: { url: "https://d.example/", code: "dave/three" } }), 422, "validation_failed");
    // Deleted through the API: unknown at once.
    await json(await asDave("GET", "/api/v1/links"), 200);
    assert.equal((await api(w, "DELETE", `/api/v1/users/${DAVE}`)).status, 204);
    let body = await problem(await asDave("GET", "/api/v1/links"), 422, "validation_failed");
    assert.equal(body.errors[0].field, "x-uload-user");
    // Deleted behind this isolate's back (as another isolate would): for a moment it still
    // knows him, and his write is refused by the owner's foreign key, not taken or failed.
    await json(await api(w, "PUT", `/api/v1/users/${DAVE}`, { body: { username: "davey" } }), 201);
    await json(await asDave("GET", "/api/v1/links"), 200);
    const db = await d1(w);
    await db.prepare("DELETE FROM users WHERE id = ?").bind(DAVE).run();
    body = await problem(await asDave("POST", "/api/v1/links", { body: { url: "https://d.example/", code: "ghost" } }), 422, "validation_failed");
    assert.equal(body.errors[0].field, "x-uload-user");
    assert.equal((await db.prepare("SELECT count(*) AS n FROM links WHERE code = 'ghost'").first()).n, 0);
  });

  it("a user's profile: created with its Location, read, and changed one field without losing the others", async () => {
    const made = await api(w, "PUT", "/api/v1/users/carolid000001", { body: { username: "carol" } });
    assert.equal(made.status, 201);
    assert.equal(made.headers.get("location"), "/api/v1/users/carolid000001");
    assert.equal((await api(w, "GET", made.headers.get("location"))).status, 200);
    assert.equal((await api(w, "PUT", "/api/v1/users/carolid000001", { body: { username: "carol" } })).headers.get("location"), null, "a replacement creates nothing");
    await json(await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "bobby", display_name: "Bob", bio: "hi" } }), 200);
    const read = await json(await api(w, "GET", `/api/v1/users/${BOB}`), 200);
    assert.deepEqual([read.username, read.display_name, read.bio, read.profile_public], ["bobby", "Bob", "hi", true]);
    const patched = await json(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: { display_name: "Robert" } }), 200);
    assert.deepEqual([patched.username, patched.display_name, patched.bio], ["bobby", "Robert", "hi"], "bio kept");
    const cleared = await json(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: { bio: null } }), 200);
    assert.equal(cleared.bio, null, "null clears a field");
    // The rules of PUT apply: a taken name, a bad value or an unknown field change nothing.
    await problem(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: { username: "alice" } }), 409, "username_taken");
    await problem(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: { username: "No!" } }), 422, "validation_failed");
    await problem(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: { nickname: "x" } }), 422, "validation_failed");
    await problem(await api(w, "PATCH", `/api/v1/users/${BOB}`, { body: "[1]" }), 422, "validation_failed");
    assert.equal((await json(await api(w, "GET", `/api/v1/users/${BOB}`), 200)).display_name, "Robert");
    // Unknown users: 404 (PATCH does not create one); only the service token may.
    await problem(await api(w, "GET", "/api/v1/users/nosuchuser1"), 404, "not_found");
    await problem(await api(w, "PATCH", "/api/v1/users/nosuchuser1", { body: { bio: "x" } }), 404, "not_found");
    const key = await json(await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "k" } }), 201);
    await problem(await api(w, "GET", `/api/v1/users/${ALICE}`, { token: key.key }), 403, "forbidden");
  });
});
