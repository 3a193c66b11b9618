// max_clicks at a rate one object cannot take: the link's budget spreads over shards
// (src/click_counter/, uload_core::click_budget) and stays exact. CLICK_SHARD_RATE is set
// low here so that a test's bursts spread a link as a viral one would in production.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { api, startWorker } from "../harness.mjs";

const SPREAD_EARLY = { CLICK_SHARD_RATE: "5" };

async function link(w, body) {
  const res = await api(w, "POST", "/api/v1/links", { body });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

/**
 * One visitor's GET on a connection of its own (`agent: false`, closed after the answer): a
 * kept-alive connection that the server closes just as the client reuses it fails the
 * fetch ("other side closed"), and a retry here could hide a click spent on a lost answer.
 */
function visit(w, path, ip) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, w.url), { agent: false, headers: { "cf-connecting-ip": ip } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** `waves` bursts of `size` simultaneous visitors (each from its own address); statuses. */
async function crowd(w, path, waves, size) {
  const statuses = [];
  for (let wave = 0; wave < waves; wave++) {
    const burst = Array.from({ length: size }, (_, i) => visit(w, path, `198.18.${wave % 250}.${i % 250}`));
    statuses.push(...(await Promise.all(burst)));
  }
  return statuses;
}

const count = (statuses, s) => statuses.filter((x) => x === s).length;

async function scrape(w) {
  return (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
}

function shardCalls(text) {
  return Number((text.match(/^click_counter_calls_total\{object="shard"\} (\d+)$/m) ?? [0, 0])[1]);
}

describe("max_clicks over shards", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: SPREAD_EARLY });
  });
  after(() => w?.stop());

  it("1,200 visitors in bursts of 100 for a link limited to 400: it spreads, and exactly 400 are redirected", async () => {
    await link(w, { url: "https://giveaway.example/", code: "giveaway", max_clicks: 400 });
    const statuses = await crowd(w, "/giveaway", 12, 100);
    assert.equal(count(statuses, 302), 400, `302s: ${count(statuses, 302)}; others: ${[...new Set(statuses)]}`);
    assert.equal(count(statuses, 410), 800);
    assert.ok(shardCalls(await scrape(w)) > 0, "the link was spread over shards");
    // Used up: later visitors are refused (from what the isolate learned: no call at all).
    const calls = shardCalls(await scrape(w));
    assert.equal((await w.fetch("/giveaway")).status, 410);
    assert.equal((await w.fetch("/giveaway", { method: "HEAD" })).status, 410);
    assert.equal(shardCalls(await scrape(w)), calls, "refusals of a used-up link ask no shard");
  });

  it("HEAD asks a shard without spending a click", async () => {
    await link(w, { url: "https://peek.example/", code: "peek", max_clicks: 150 });
    // Spread it with a burst that leaves clicks over.
    const first = await crowd(w, "/peek", 1, 100);
    assert.equal(count(first, 302), 100);
    const heads = await Promise.all(Array.from({ length: 40 }, () => w.fetch("/peek", { method: "HEAD" }).then((r) => r.status)));
    assert.deepEqual([...new Set(heads)], [204]);
    const rest = await crowd(w, "/peek", 2, 60);
    assert.equal(count(rest, 302), 50, "HEADs spent nothing: 50 clicks were left");
  });

  it("a limit lowered while the link is spread stays exact: the shards give their slices back", async () => {
    const l = await link(w, { url: "https://lower.example/", code: "lower", max_clicks: 1_000 });
    const first = await crowd(w, "/lower", 3, 100);
    assert.equal(count(first, 302), 300);
    const patched = await api(w, "PATCH", `/api/v1/links/${l.id}`, { body: { max_clicks: 420 } });
    assert.equal(patched.status, 200);
    const rest = await crowd(w, "/lower", 4, 100);
    assert.equal(count(rest, 302), 120, "exactly the 120 the lower limit leaves");
    assert.equal(count(rest, 410), 280);
  });
});

describe("max_clicks over shards, with a shard that cannot be reached", () => {
  it("the other shards go on admitting, never past the limit; after it recovers, its slice is used: exactly the limit in all", async () => {
    // Phase 1: healthy; the link spreads and every shard gets a slice.
    let w = await startWorker({ bindings: SPREAD_EARLY });
    let redirected = 0;
    try {
      await link(w, { url: "https://viral.example/", code: "viral", max_clicks: 500 });
      const first = await crowd(w, "/viral", 2, 100);
      redirected += count(first, 302);
      assert.equal(redirected, 200);
      assert.ok(shardCalls(await scrape(w)) > 0, "spread");
    } finally {
      await w.stop({ keepState: true });
    }
    const state = w.state;
    // Phase 2: shard 1 is down. Visitors that find it down ask the next shard.
    w = await startWorker({ state, bindings: SPREAD_EARLY, brokenShards: [1] });
    try {
      const during = await crowd(w, "/viral", 6, 100);
      const ok = count(during, 302);
      redirected += ok;
      assert.ok(ok > 0, "the reachable shards still admit");
      assert.ok(redirected <= 500, `never past the limit: ${redirected}`);
      // Whoever is refused while a shard that may hold clicks is down gets 503 (try again),
      // not 410 (gone for good).
      assert.deepEqual([...new Set(during.filter((s) => s !== 302))], [503]);
      assert.ok(w.events().some((e) => e.event === "click_counter_unreachable"));
    } finally {
      await w.stop({ keepState: true });
    }
    // Phase 3: recovered. What shard 1 held is used; then the link is used up.
    w = await startWorker({ state, bindings: SPREAD_EARLY });
    try {
      const afterwards = await crowd(w, "/viral", 6, 100);
      redirected += count(afterwards, 302);
      assert.equal(redirected, 500, "exactly the limit across the outage");
      assert.equal((await w.fetch("/viral")).status, 410);
    } finally {
      await w.stop();
    }
  });
});

describe("a counter that says it is overloaded", () => {
  let w;
  before(async () => {
    w = await startWorker({ brokenCounter: "Durable Object is overloaded. Too many requests queued. (test wiring)" });
  });
  after(() => w?.stop());

  it("fails closed for limited links, leaves the rest alone, and is counted for the alert", async () => {
    await link(w, { url: "https://free.example/", code: "free" });
    await link(w, { url: "https://capped.example/", code: "capped", max_clicks: 10 });
    assert.equal((await w.fetch("/free")).status, 302);
    assert.equal((await w.fetch("/capped")).status, 503);
    assert.equal((await w.fetch("/capped")).status, 503);
    const text = await scrape(w);
    assert.match(text, /^overloaded_total\{dependency="click counter"\} 2$/m);
    assert.match(text, /^overloaded_total\{dependency="rate limiter"\} 0$/m, "announced before anything happens");
  });
});
