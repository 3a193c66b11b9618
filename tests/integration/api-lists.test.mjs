// The link API, continued: idempotent retries and the custom-code race, listing and its
// filters, bulk operations and tags, and bad input that changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, d1, eventually, kv, startWorker } from "../harness.mjs";
import { asAlice, asBob, problem, json, snapshot, setupUsers } from "./api-helpers.mjs";

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

  it("search comes from the trigram index and follows every edit: inside words and codes, any case, quotes as text, short terms too; code= finds one link", async () => {
    const mk = async (body) => json(await asAlice(w, "POST", "/api/v1/links", { body }), 201);
    const listBy = async (qs) => (await json(await asAlice(w, "GET", `/api/v1/links?${qs}`), 200)).data.map((l) => l.id);
    const list = (q) => listBy(`q=${encodeURIComponent(q)}`);
    const a = await mk({ url: "https://shop.example/weekly", title: "Weekly Digest: Kühlschrank-Angebote" });
    const b = await mk({ url: "https://news.example/x", description: 'the "zebra" issue' });
    // "Qo": random codes never hold an o or O (no look-alikes), so no other link can match.
    const c = await mk({ url: "https://zz.example/", title: "Qo" });
    assert.deepEqual(await list("eekly dig"), [a.id], "inside a word, across a space");
    assert.deepEqual(await list("KÜHLSCHRANK"), [a.id], "case folded beyond ASCII");
    assert.deepEqual(await list('"zebra"'), [b.id], "quotes are text, not query syntax");
    assert.deepEqual(await list("zebra OR weekly"), [], "no operators: the whole term is one phrase");
    assert.deepEqual(await list("qo"), [c.id], "a two-character term still finds its link");
    // An edit moves the link in the index; a deletion takes it out.
    const patched = await asAlice(w, "PATCH", `/api/v1/links/${a.id}`, { body: { title: "Monthly Roundup" } });
    assert.equal(patched.status, 200);
    assert.deepEqual(await list("eekly dig"), []);
    assert.deepEqual(await list("monthly round"), [a.id]);
    assert.equal((await asAlice(w, "DELETE", `/api/v1/links/${b.id}`)).status, 204);
    assert.deepEqual(await list("zebra"), []);
    // A link by its code: exactly that one; `q` finds codes too.
    const coded = await mk({ url: "https://coded.example/", code: "spring-sale" });
    assert.deepEqual(await listBy("code=spring-sale"), [coded.id]);
    assert.deepEqual(await listBy("code=spring"), [], "exact, not a prefix");
    assert.deepEqual(await list("ring-sa"), [coded.id], "q matches inside codes");
    // And tag names: as written (any ASCII case) and by slug (any case, beyond ASCII).
    const tagged = await mk({ url: "https://tagged.example/", tags: ["Herbst Aktion", "Über uns", "Übergrößen für Kühlschränke"] });
    assert.deepEqual(await list("übergrößen für kühlschränke"), [tagged.id], "a whole tag name past D1's 50-byte LIKE limit");
    assert.deepEqual(await list("0".repeat(200)), [], "the longest term: no match, no error");
    assert.deepEqual(await list("herbst akt"), [tagged.id], "inside a tag name");
    assert.deepEqual(await list("ÜBER"), [tagged.id], "case folded beyond ASCII, by the slug");
    assert.deepEqual(await list("bst-akt"), [tagged.id], "the slug's dashes");
    assert.equal((await json(await asAlice(w, "GET", "/api/v1/links?q=aktion&total=true"), 200)).total, 1, "the total counts the same");
    const bobs = await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://bob.example/", tags: ["Herbst Aktion"] } }), 201);
    assert.ok(!(await list("herbst")).includes(bobs.id), "another user's tag never finds their links for Alice");
    const tag = (await json(await asAlice(w, "GET", "/api/v1/tags"), 200)).data.find((t) => t.name === "Herbst Aktion");
    assert.equal((await asAlice(w, "PATCH", `/api/v1/tags/${tag.id}`, { body: { name: "Winterfest" } })).status, 200);
    assert.deepEqual(await list("herbst"), [], "a renamed tag no longer matches its old name");
    assert.deepEqual(await list("winterf"), [tagged.id]);
    // The index holds exactly the links D1 holds (checked by FTS5 itself).
    await (await d1(w)).prepare("INSERT INTO links_search (links_search, rank) VALUES ('integrity-check', 1)").run();
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

describe("code availability", () => {
  let w;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
  });
  after(() => w?.stop());

  it("says whether a code can be had, and why not", async () => {
    await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://taken.example/", code: "takenone" } }), 201);
    const ask = async (code, as = asAlice) => json(await as(w, "GET", `/api/v1/links/availability?code=${encodeURIComponent(code)}`), 200);
    assert.deepEqual(await ask("freeone"), { code: "freeone", available: true, reason: null, detail: null });
    const taken = await ask("takenone");
    assert.equal(taken.available, false);
    assert.equal(taken.reason, "taken", "another user's code is taken too");
    assert.equal((await ask("login")).reason, "reserved");
    assert.equal((await ask("no spaces")).reason, "invalid");
    assert.equal((await ask("ab")).reason, "invalid");
    assert.equal((await ask("alice/mine")).available, true, "under the user's own name");
    assert.equal((await ask("bob/mine")).reason, "invalid", "not under someone else's");
    // What it says holds: the free code can be created, then is taken.
    await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://free.example/", code: "freeone" } }), 201);
    assert.equal((await ask("freeone")).reason, "taken");
  });

  it("refuses a missing, empty, repeated or unknown parameter with a problem document", async () => {
    const unchanged = await snapshot(w);
    for (const query of ["", "?code=", "?code=a&code=b", "?code=abc&x=1"]) {
      await problem(await asAlice(w, "GET", `/api/v1/links/availability${query}`), 422, "validation_failed");
    }
    await problem(await asAlice(w, "POST", "/api/v1/links/availability", { body: {} }), 405, "method_not_allowed");
    assert.equal(await snapshot(w), unchanged);
  });
});

describe("list totals and the workspace filter", () => {
  let w;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/crew", { body: { members: ["alice0000000001"] } })).status, 201);
    for (let i = 0; i < 7; i++) {
      const body = { url: `https://t.example/${i}`, ...(i < 3 ? { workspace_id: "crew" } : {}), ...(i % 2 ? { is_active: false } : {}) };
      await json(await asAlice(w, "POST", "/api/v1/links", { body }), 201);
    }
    await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://bob.example/" } }), 201);
  });
  after(() => w?.stop());

  it("total counts every match across pages, the cursor aside; only when asked", async () => {
    const first = await json(await asAlice(w, "GET", "/api/v1/links?limit=3&total=true"), 200);
    assert.equal(first.total, 7, "Alice's links only");
    assert.equal(first.data.length, 3);
    const second = await json(await asAlice(w, "GET", `/api/v1/links?limit=3&total=true&cursor=${first.next_cursor}`), 200);
    assert.equal(second.total, 7, "the same on every page");
    assert.equal((await json(await asAlice(w, "GET", "/api/v1/links?status=inactive&total=true"), 200)).total, 3);
    assert.equal((await json(await asAlice(w, "GET", "/api/v1/links"), 200)).total, undefined);
    await problem(await asAlice(w, "GET", "/api/v1/links?total=yes"), 422, "validation_failed");
  });

  it("workspace= lists only that workspace's links", async () => {
    const crew = await json(await asAlice(w, "GET", "/api/v1/links?workspace=crew&total=true"), 200);
    assert.equal(crew.total, 3);
    assert.ok(crew.data.every((l) => l.workspace_id === "crew"));
    assert.equal((await json(await asBob(w, "GET", "/api/v1/links?workspace=crew&total=true"), 200)).total, 0, "another user sees none of them");
    await problem(await asAlice(w, "GET", "/api/v1/links?workspace=no%20spaces"), 422, "validation_failed");
  });
});
