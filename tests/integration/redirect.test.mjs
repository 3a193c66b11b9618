// The redirect path's link shapes and per-link rules: /u/{username}/{code}, query
// forwarding, UTM parameters.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, kv, startWorker } from "../harness.mjs";

const ALICE = "alice0000000001";

describe("link shapes and rules on the redirect path", () => {
  let w;
  const create = async (body, user) => {
    const res = await api(w, "POST", "/api/v1/links", { body, user });
    assert.equal(res.status, 201, await res.clone().text());
    return res.json();
  };
  before(async () => {
    w = await startWorker();
    assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE}`, { body: { username: "alice" } })).status, 201);
  });
  after(() => w?.stop());

  it("serves user links at /u/{username}/{code}", async () => {
    const link = await create({ url: "https://alice.example/", code: "alice/promo" }, ALICE);
    assert.match(link.short_url, /\/u\/alice\/promo$/);
    const res = await w.fetch("/u/alice/promo");
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://alice.example/");
    assert.equal((await w.fetch("/u/alice/promo/")).status, 302);
    assert.equal((await w.fetch("/u/bob/promo")).status, 404);
    assert.equal((await w.fetch("/alice/promo")).status, 404, "only under /u/");
    assert.equal((await w.fetch("/promo")).status, 404, "the code alone is someone else's to take");
  });

  it("protected user links keep their cookie on their own path", async () => {
    await create({ url: "https://alice.example/secret", code: "alice/secret", password: "pw" }, ALICE);
    const form = await w.fetch("/u/alice/secret");
    assert.equal(form.status, 401);
    assert.match(await form.text(), /action="\/u\/alice\/secret"/);
    const res = await w.fetch("/u/alice/secret", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "password=pw",
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/u/alice/secret");
    assert.match(res.headers.get("set-cookie"), /Path=\/u\/alice\/secret;/);
  });

  it("forwards the short URL's query string unless the link says not to", async () => {
    await create({ url: "https://t.example/p?x=1#frag", code: "fwd" });
    let res = await w.fetch("/fwd?ref=tw&x=2");
    assert.equal(res.headers.get("location"), "https://t.example/p?x=1&ref=tw#frag", "the target's own x wins");
    res = await w.fetch("/fwd");
    assert.equal(res.headers.get("location"), "https://t.example/p?x=1#frag");
    res = await w.fetch("/fwd?tag=a&tag=b");
    assert.equal(res.headers.get("location"), "https://t.example/p?x=1&tag=a&tag=b#frag", "a repeated key keeps every value");
    await create({ url: "https://t.example/q", code: "nofwd", forward_query: false });
    res = await w.fetch("/nofwd?ref=tw");
    assert.equal(res.headers.get("location"), "https://t.example/q");
    // From memory, KV and D1 alike: the rule travels in the record.
    const record = await (await kv(w)).get("link:nofwd", "json");
    assert.equal(record.fq, false);
  });

  it("targets by device, then country, from the User-Agent and request.cf.country", async () => {
    await create({
      url: "https://default.example/",
      code: "app",
      ios_url: "https://apps.apple.com/app/uload",
      android_url: "https://play.google.com/store/apps/details?id=ad.ulo",
      geo: { de: "https://default.example/de", AT: "https://default.example/at" },
    });
    const visit = (ua, country) =>
      w.mf.dispatchFetch(new URL("/app", w.url), { redirect: "manual", headers: { "user-agent": ua }, cf: country ? { country } : undefined });
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
    const android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36";
    const desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";
    assert.equal((await visit(iphone, "DE")).headers.get("location"), "https://apps.apple.com/app/uload");
    assert.equal((await visit(android, "AT")).headers.get("location"), "https://play.google.com/store/apps/details?id=ad.ulo");
    assert.equal((await visit(desktop, "DE")).headers.get("location"), "https://default.example/de");
    assert.equal((await visit(desktop, "AT")).headers.get("location"), "https://default.example/at");
    assert.equal((await visit(desktop, "FR")).headers.get("location"), "https://default.example/");
    assert.equal((await visit(desktop)).headers.get("location"), "https://default.example/");
    const bad = await api(w, "POST", "/api/v1/links", { body: { url: "https://a.de/", geo: { Germany: "https://a.de/", FR: "javascript:x" }, ios_url: "ftp://x" } });
    assert.equal(bad.status, 422);
    assert.deepEqual((await bad.json()).errors.map((e) => e.field).sort(), ["geo", "geo", "ios_url"]);
  });

  it("adds the link's UTM parameters unless the target or the visitor set them", async () => {
    await create({ url: "https://shop.example/?utm_medium=own", code: "utm", utm_source: "newsletter", utm_medium: "email", utm_campaign: "winter sale" });
    let res = await w.fetch("/utm");
    assert.equal(res.headers.get("location"), "https://shop.example/?utm_medium=own&utm_source=newsletter&utm_campaign=winter+sale");
    res = await w.fetch("/utm?utm_source=twitter");
    assert.equal(res.headers.get("location"), "https://shop.example/?utm_medium=own&utm_source=twitter&utm_campaign=winter+sale");
  });
});

describe("workspace links and the served-from header", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  it("serves /w/{workspace}/{code} only for links of that workspace", async () => {
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/team1", { body: { members: [] } })).status, 201);
    const res = await api(w, "POST", "/api/v1/links", { body: { url: "https://team.example/", code: "teamlink", workspace_id: "team1" } });
    assert.equal(res.status, 201);
    const hop = await w.fetch("/w/team1/teamlink");
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.get("location"), "https://team.example/");
    assert.equal((await w.fetch("/w/team2/teamlink")).status, 404, "another workspace");
    assert.equal((await w.fetch("/w/team1/teamlink")).headers.get("x-served-from"), "memory");
  });

  it("every response names the layer that answered", async () => {
    for (const path of ["/health", "/health/ready", "/api/v1/openapi.json", "/api/v1/links", "/a/b/c"]) {
      const res = await w.fetch(path);
      assert.ok(res.headers.get("x-served-from"), `${path} → ${res.status} has x-served-from`);
    }
    assert.equal((await w.fetch("/health")).headers.get("x-served-from"), "worker");
  });
});
