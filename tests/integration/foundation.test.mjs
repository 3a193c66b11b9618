// The first slice end to end, in workerd with real local KV and D1:
// create a link through the API, follow it through every lookup layer, and refuse bad input.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLink, d1, eventually, kv, startWorker } from "../harness.mjs";

const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

async function linkCount(worker) {
  return (await (await d1(worker)).prepare("SELECT count(*) AS n FROM links").first()).n;
}

async function assertProblem(res, status, code) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, `urn:uload:problem:${code}`);
  assert.equal(typeof body.title, "string");
  return body;
}

describe("link creation and redirect", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  it("creates a link with a random 7-character code and writes D1 then KV", async () => {
    const res = await createLink(w, { url: "https://example.org/a?b=1" });
    assert.equal(res.status, 201);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    const link = await res.json();
    assert.equal(link.url, "https://example.org/a?b=1");
    assert.equal(link.code.length, 7);
    for (const ch of link.code) assert.ok(ALPHABET.includes(ch), `'${ch}' is not in the alphabet`);
    assert.equal(link.redirect_status, 302);
    assert.equal(link.is_active, true);
    assert.equal(link.short_url, `http://127.0.0.1:8787/${link.code}`);
    assert.equal(res.headers.get("location"), `/api/v1/links/${link.id}`);

    const row = await (await d1(w)).prepare("SELECT url, code FROM links WHERE id = ?").bind(link.id).first();
    assert.deepEqual(row, { url: link.url, code: link.code });
    const record = await (await kv(w)).get(`link:${link.code}`, "json");
    assert.deepEqual(record, { link_id: link.id, url: link.url, status: 302, ca: link.created_at });
  });

  it("random codes differ between creates", async () => {
    const codes = new Set();
    for (let i = 0; i < 20; i++) codes.add((await (await createLink(w, { url: "https://a.de/" })).json()).code);
    assert.equal(codes.size, 20);
  });

  it("redirects a custom code with 302 from KV, then from memory", async () => {
    const res = await createLink(w, { url: "https://example.com/target", code: "Promo_2026" });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).code, "Promo_2026");

    const first = await w.fetch("/Promo_2026");
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("location"), "https://example.com/target");
    assert.equal(first.headers.get("x-served-from"), "kv");
    assert.equal(first.headers.get("cache-control"), "private, max-age=0");

    const second = await w.fetch("/Promo_2026");
    assert.equal(second.status, 302);
    assert.equal(second.headers.get("x-served-from"), "memory");
  });

  it("codes are case-sensitive", async () => {
    const res = await w.fetch("/promo_2026");
    assert.equal(res.status, 404);
  });

  it("answers HEAD like GET, without a body", async () => {
    const res = await w.fetch("/Promo_2026", { method: "HEAD" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://example.com/target");
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it("on a KV miss reads D1, answers, and writes the record back to KV", async () => {
    const db = await d1(w);
    await db
      .prepare(
        "INSERT INTO links (id, domain, code, url, redirect_status, created_at, updated_at) VALUES ('d1only000000001', '', 'fromd1', 'https://d1.example/', 307, 'now', 'now')",
      )
      .run();
    assert.equal(await (await kv(w)).get("link:fromd1"), null);

    const res = await w.fetch("/fromd1");
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), "https://d1.example/");
    assert.equal(res.headers.get("x-served-from"), "d1");

    const record = await eventually(() => kv(w).then((k) => k.get("link:fromd1", "json")), "KV write-back");
    assert.deepEqual(record, { link_id: "d1only000000001", url: "https://d1.example/", status: 307, ca: "now" });
  });

  it("answers 404 for an unknown code: a page for browsers, a problem document for JSON clients", async () => {
    // German unless English is preferred (ulo.ad is German).
    const page = await w.fetch("/nosuchcode", { headers: { accept: "text/html" } });
    assert.equal(page.status, 404);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(await page.text(), /lang="de".*Link nicht gefunden/s);
    const english = await w.fetch("/nosuchcode", { headers: { accept: "text/html", "accept-language": "en-GB,en;q=0.9" } });
    assert.match(await english.text(), /lang="en".*Link not found/s);
    assert.equal(page.headers.get("x-served-from"), "d1");

    const german = await w.fetch("/nosuchcode", { headers: { accept: "text/html", "accept-language": "de-DE,de;q=0.9,en;q=0.8" } });
    assert.equal(german.status, 404);
    assert.match(await german.text(), /lang="de".*Link nicht gefunden/s);

    const again = await w.fetch("/nosuchcode", { headers: { accept: "application/json" } });
    assert.equal(again.status, 404);
    assert.equal(again.headers.get("x-served-from"), "memory", "negative entries are cached");
    const body = await assertProblem(again, 404, "link_not_found");
    assert.match(body.detail, /nosuchcode/);
  });

  it("a code created after a cached miss redirects at once in the same isolate", async () => {
    assert.equal((await w.fetch("/latecomer")).status, 404);
    assert.equal((await createLink(w, { url: "https://late.example/", code: "latecomer" })).status, 201);
    const res = await w.fetch("/latecomer");
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://late.example/");
  });

  it("accepts targets up to 8 KB and redirects to them intact", async () => {
    const base = "https://example.com/?q=";
    const url = base + "x".repeat(8192 - base.length);
    const res = await createLink(w, { url, code: "longone" });
    assert.equal(res.status, 201);
    const hop = await w.fetch("/longone");
    assert.equal(hop.headers.get("location"), url);
  });

  it("stores internationalised domains as punycode", async () => {
    const res = await createLink(w, { url: "https://bücher.de/straße" });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).url, "https://xn--bcher-kva.de/stra%C3%9Fe");
  });

  it("unknown paths and wrong methods get problem documents", async () => {
    await assertProblem(await w.fetch("/api/v1/nothing"), 404, "not_found");
    await assertProblem(await w.fetch("/a/b/c"), 404, "not_found");
    const res = await w.fetch("/Promo_2026", { method: "PUT" });
    await assertProblem(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    const list = await w.fetch("/api/v1/links", { method: "DELETE" });
    await assertProblem(list, 405, "method_not_allowed");
    assert.equal(list.headers.get("allow"), "GET, HEAD, POST");
  });

  it("liveness answers 200", async () => {
    const res = await w.fetch("/health");
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, "ok");
  });

  it("never logs the service token", async () => {
    assert.ok(w.events().some((e) => e.event === "link_created"), "link_created is logged");
    assert.ok(!w.logs().includes(w.token));
  });
});

describe("bad input changes nothing", () => {
  let w;
  before(async () => {
    w = await startWorker();
    assert.equal((await createLink(w, { url: "https://taken.example/", code: "taken" })).status, 201);
  });
  after(() => w?.stop());

  // Each case sends a bad request and checks the problem document; the link count must not move.
  async function refused(send, status, code) {
    const before = await linkCount(w);
    const body = await assertProblem(await send(), status, code);
    assert.equal(await linkCount(w), before, "nothing was written");
    return body;
  }

  it("401 without a token, with a wrong one, or with another scheme", async () => {
    const noAuth = () =>
      w.fetch("/api/v1/links", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: "https://a.de/" }),
      });
    await refused(noAuth, 401, "unauthorized");
    await refused(() => createLink(w, { url: "https://a.de/" }, { token: "wrong" }), 401, "unauthorized");
    await refused(() => createLink(w, { url: "https://a.de/" }, { token: w.token + "x" }), 401, "unauthorized");
    await refused(
      () => createLink(w, { url: "https://a.de/" }, { headers: { authorization: `Basic ${w.token}` } }),
      401,
      "unauthorized",
    );
  });

  it("a wrong token is refused even when the body is also invalid (no validation oracle)", async () => {
    await refused(() => createLink(w, "{not json", { token: "wrong" }), 401, "unauthorized");
  });

  for (const [name, url] of [
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["file:", "file:///etc/passwd"],
    ["ftp:", "ftp://example.com/"],
    ["unparsable", "not a url"],
    ["relative", "/just/a/path"],
    ["credentials", "https://user:pass@example.com/"],
    ["empty", ""],
    ["over 8 KB", "https://example.com/?q=" + "x".repeat(8200)],
  ]) {
    it(`422 naming the url field for a ${name} target`, async () => {
      const body = await refused(() => createLink(w, { url }), 422, "validation_failed");
      assert.deepEqual(
        body.errors.map((e) => e.field),
        ["url"],
      );
      assert.equal(typeof body.errors[0].message, "string");
    });
  }

  it("422 for a missing url, wrong types, unknown fields", async () => {
    let body = await refused(() => createLink(w, {}), 422, "validation_failed");
    assert.deepEqual(body.errors.map((e) => e.field), ["url"]);
    body = await refused(() => createLink(w, { url: 42, code: ["x"] }), 422, "validation_failed");
    assert.deepEqual(body.errors.map((e) => e.field), ["url", "code"]);
    body = await refused(() => createLink(w, { url: "https://a.de/", ulr: "x" }), 422, "validation_failed");
    assert.deepEqual(body.errors.map((e) => e.field), ["ulr"]);
    body = await refused(() => createLink(w, [1, 2]), 422, "validation_failed");
  });

  for (const [code, why] of [
    ["ab", "too short"],
    ["a".repeat(51), "too long"],
    ["with/slash", "a slash"],
    ["ümlaut", "non-ASCII"],
    ["api", "reserved"],
    ["Health", "reserved, any case"],
  ]) {
    it(`422 naming the code field for a code that is ${why}`, async () => {
      const body = await refused(() => createLink(w, { url: "https://a.de/", code }), 422, "validation_failed");
      assert.deepEqual(body.errors.map((e) => e.field), ["code"]);
    });
  }

  it("409 when the custom code is taken, and the first link keeps its target", async () => {
    await refused(() => createLink(w, { url: "https://other.example/", code: "taken" }), 409, "code_taken");
    assert.equal((await w.fetch("/taken")).headers.get("location"), "https://taken.example/");
  });

  it("400 for malformed JSON", async () => {
    for (const raw of ["{", "", "{'url': 'x'}", "null x", "\u0000"]) {
      await refused(() => createLink(w, raw), 400, "invalid_json");
    }
  });

  it("415 for a body that is not declared as JSON", async () => {
    await refused(
      () => createLink(w, { url: "https://a.de/" }, { headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    await refused(
      () =>
        w.fetch("/api/v1/links", {
          method: "POST",
          headers: { authorization: `Bearer ${w.token}` },
          body: "url=https://a.de/",
        }),
      415,
      "unsupported_media_type",
    );
  });

  it("accepts a charset parameter on the content type", async () => {
    const res = await createLink(w, { url: "https://a.de/charset" }, { headers: { "content-type": "application/json; charset=utf-8" } });
    assert.equal(res.status, 201);
  });

  it("413 for a body over the limit", async () => {
    const huge = JSON.stringify({ url: "https://a.de/", pad: "x".repeat(70_000) });
    await refused(() => createLink(w, huge), 413, "payload_too_large");
  });
});

describe("the redirect path with the memory layer off", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
  });
  after(() => w?.stop());

  it("serves every hit from KV", async () => {
    assert.equal((await createLink(w, { url: "https://kv.example/", code: "kvonly" })).status, 201);
    for (let i = 0; i < 3; i++) {
      const res = await w.fetch("/kvonly");
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("x-served-from"), "kv");
    }
  });
});
