// Click analytics in the real runtime: redirects send clicks through the local queue to
// the consumer, which stores them in local D1 exactly once; stats read the rollups.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, d1, eventually, startWorker } from "../harness.mjs";
import { CHROME, PEOPLE, BOTS, link, redirects, settled } from "./clicks.mjs";

describe("click analytics: every redirect is one click", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  it("2,000 concurrent redirects: exactly 2,000 stored clicks and click_count 2,000", async () => {
    const l = await link(w, { url: "https://example.com/many", code: "many" });
    const N = 2000;
    const started = Date.now();
    await redirects(w, "/many?utm_source=newsletter&utm_campaign=launch", N, {
      headers: (i) => ({ "user-agent": PEOPLE[i % PEOPLE.length], "cf-connecting-ip": `198.51.100.${i % 250}` }),
    });
    const elapsed = Date.now() - started;
    const row = await settled(w, l.id, N);
    assert.equal(row.click_count, N);
    assert.equal(row.bot_click_count, 0);
    assert.ok(row.last_clicked_at >= new Date(started).toISOString(), row.last_clicked_at);
    const db = await d1(w);
    const utm = await db
      .prepare("SELECT count(*) AS n FROM clicks WHERE link_id = ? AND utm_source = 'newsletter' AND utm_campaign = 'launch'")
      .bind(l.id)
      .first();
    assert.equal(utm.n, N, "utm parameters of the request are stored");
    const total = await db
      .prepare("SELECT sum(clicks) AS clicks, sum(bots) AS bots FROM click_rollups WHERE link_id = ? AND dim = ''")
      .bind(l.id)
      .first();
    assert.deepEqual({ ...total }, { clicks: N, bots: 0 }, "the rollups agree");
    // The API reports the same count.
    const got = await (await api(w, "GET", `/api/v1/links/${l.id}`)).json();
    assert.equal(got.click_count, N);
    console.log(`# ${N} redirects in ${elapsed} ms`);
  });

  it("HEAD requests are not clicks; bots are flagged and counted apart", async () => {
    const l = await link(w, { url: "https://example.com/preview", code: "preview" });
    // A post on X: one GET and three HEADs from browser-like agents, then bots and people.
    for (let i = 0; i < 3; i++) {
      const res = await w.fetch("/preview", { method: "HEAD", headers: { "user-agent": CHROME } });
      assert.equal(res.status, 302);
    }
    for (const ua of BOTS) assert.equal((await w.fetch("/preview", { headers: { "user-agent": ua } })).status, 302);
    for (const ua of PEOPLE) assert.equal((await w.fetch("/preview", { headers: { "user-agent": ua } })).status, 302);
    const row = await settled(w, l.id, BOTS.length + PEOPLE.length);
    assert.equal(row.click_count, PEOPLE.length, "people only");
    assert.equal(row.bot_click_count, BOTS.length);
    const db = await d1(w);
    const { results } = await db
      .prepare("SELECT is_bot, device_type, browser, os FROM clicks WHERE link_id = ? ORDER BY rowid")
      .bind(l.id)
      .all();
    const bots = results.filter((r) => r.is_bot === 1);
    assert.equal(bots.length, BOTS.length);
    assert.ok(bots.every((r) => r.device_type === "bot"));
    const people = results.filter((r) => r.is_bot === 0).map((r) => `${r.browser}/${r.os}/${r.device_type}`).sort();
    assert.deepEqual(people, ["Chrome/Android/mobile", "Chrome/Windows/desktop", "Firefox/macOS/desktop", "Safari/iOS/mobile"]);
    // Stats leave bots out unless asked.
    const stats = await (await api(w, "GET", `/api/v1/links/${l.id}/stats`)).json();
    assert.deepEqual(stats.totals, { clicks: PEOPLE.length, bots: BOTS.length, unique_visitors: PEOPLE.length });
    const withBots = await (await api(w, "GET", `/api/v1/links/${l.id}/stats?include_bots=true`)).json();
    assert.equal(withBots.totals.clicks, PEOPLE.length + BOTS.length);
    assert.ok(withBots.top.devices.some((d) => d.value === "bot" && d.bots === BOTS.length));
    assert.ok(!stats.top.devices.some((d) => d.value === "bot"), "bot devices hidden without include_bots");
  });

  it("no raw IP address reaches D1 (or the logs); the same visitor is one unique visitor", async () => {
    const l = await link(w, { url: "https://example.com/private", code: "private" });
    const ips = ["203.0.113.77", "2001:db8::4242", "198.18.7.99"];
    for (const ip of ips) {
      for (let i = 0; i < 3; i++) {
        const res = await w.fetch("/private", { headers: { "user-agent": CHROME, "cf-connecting-ip": ip, referer: "https://www.example.org/path?secret=1" } });
        assert.equal(res.status, 302);
      }
    }
    await settled(w, l.id, 9);
    const db = await d1(w);
    const { results: tables } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all();
    let dump = "";
    for (const { name } of tables) {
      const { results } = await db.prepare(`SELECT * FROM "${name}"`).all();
      dump += JSON.stringify(results);
    }
    assert.ok(dump.includes("example.org"), "the dump holds the clicks (referer host)");
    assert.ok(!dump.includes("secret=1"), "referer paths are not stored");
    for (const ip of ips) {
      assert.ok(!dump.includes(ip), `${ip} is not in D1`);
      assert.ok(!w.logs().includes(ip), `${ip} is not in the logs`);
    }
    // One hash per visitor, kept only in the day's visitors table; counted raw clicks keep none.
    const hashes = await db.prepare("SELECT count(DISTINCT visitor_hash) AS n FROM click_visitors WHERE link_id = ?").bind(l.id).first();
    assert.equal(hashes.n, ips.length, "one hash per visitor");
    const kept = await db.prepare("SELECT count(*) AS n FROM clicks WHERE link_id = ? AND visitor_hash IS NOT NULL").bind(l.id).first();
    assert.equal(kept.n, 0, "no raw click keeps a visitor hash once it is counted");
    const stats = await (await api(w, "GET", `/api/v1/links/${l.id}/stats`)).json();
    assert.equal(stats.totals.clicks, 9);
    assert.equal(stats.totals.unique_visitors, ips.length);
    assert.deepEqual(stats.top.referrers.map((r) => [r.value, r.clicks]), [["example.org", 9]]);
  });
});

describe("click analytics and deletion", () => {
  it("deleting a link deletes its clicks and rollups", async () => {
    const w = await startWorker();
    try {
      const l = await link(w, { url: "https://example.com/gone", code: "gone" });
      const keep = await link(w, { url: "https://example.com/kept", code: "kept" });
      await redirects(w, "/gone", 3, { headers: () => ({ "user-agent": CHROME }) });
      await redirects(w, "/kept", 2, { headers: () => ({ "user-agent": CHROME }) });
      await settled(w, l.id, 3);
      await settled(w, keep.id, 2);
      assert.equal((await api(w, "DELETE", `/api/v1/links/${l.id}`)).status, 204);
      const db = await d1(w);
      const left = async (table, id) => (await db.prepare(`SELECT count(*) AS n FROM ${table} WHERE link_id = ?`).bind(id).first()).n;
      assert.equal(await left("clicks", l.id), 0);
      assert.equal(await left("click_rollups", l.id), 0);
      assert.equal(await left("clicks", keep.id), 2, "other links keep theirs");
      assert.ok((await left("click_rollups", keep.id)) > 0);
    } finally {
      await w.stop();
    }
  });
});

describe("click analytics when the consumer fails mid-batch", () => {
  let w;
  before(async () => {
    // The first count of pending clicks fails after the raw clicks were inserted: the queue
    // redelivers the batch, whose clicks are then already stored.
    w = await startWorker({ flakyD1: { match: "click_rollups", times: 1 } });
  });
  after(() => w?.stop());

  it("1,000 concurrent redirects still give exactly 1,000 clicks and click_count 1,000", async () => {
    const l = await link(w, { url: "https://example.com/flaky", code: "flaky" });
    const N = 1000;
    await redirects(w, "/flaky", N, { headers: (i) => ({ "user-agent": PEOPLE[i % PEOPLE.length] }) });
    // The failed batch comes back after the queue's retry delay (5 s): wait for it, then
    // for the counts to settle.
    await eventually(() => w.events().some((e) => e.event === "clicks_stored" && e.duplicates > 0), "the failed batch to be delivered again", { timeoutMs: 60_000, intervalMs: 250 });
    const row = await settled(w, l.id, N);
    assert.equal(row.click_count, N);
    const events = w.events();
    const failed = events.filter((e) => e.event === "click_batch_failed");
    assert.equal(failed.length, 1, "the consumer failed once");
    const stored = events.filter((e) => e.event === "clicks_stored");
    assert.ok(stored.some((e) => e.duplicates > 0), "the redelivered batch held clicks already stored");
    // The failed attempt had inserted its clicks before it failed: they were new then, and
    // the successful attempts saw fewer than N new ones.
    assert.ok(stored.reduce((a, e) => a + e.new, 0) < N);
    const total = await (await d1(w))
      .prepare("SELECT sum(clicks) AS clicks FROM click_rollups WHERE link_id = ? AND dim = ''")
      .bind(l.id)
      .first();
    assert.equal(total.clicks, N);
  });
});

// --- The stats API on a known data set --------------------------------------------------

// Clicks sent straight to the queue (as redirects do), at chosen times around day, hour
// and daylight-saving boundaries (Europe switches on 2026-03-29 at 01:00 UTC).
describe("retention and misconfiguration", () => {
  it("the daily cron deletes old raw clicks and keeps the rollups", async () => {
    const w = await startWorker({ bindings: { CLICK_RETENTION_DAYS: "30" } });
    try {
      const l = await link(w, { url: "https://example.com/old", code: "old" });
      const day = 86_400_000;
      const queue = await w.mf.getQueueProducer("CLICK_EVENTS");
      await queue.sendBatch([
        { body: { id: "old1", link: l.id, at: Date.now() - 40 * day, v: "x", ua: CHROME } },
        { body: { id: "new1", link: l.id, at: Date.now() - 1 * day, v: "y", ua: CHROME } },
      ]);
      await settled(w, l.id, 2);
      await (await w.mf.getWorker()).scheduled({ cron: "17 3 * * *" });
      const db = await d1(w);
      const { results } = await db.prepare("SELECT id FROM clicks WHERE link_id = ?").bind(l.id).all();
      assert.deepEqual(results.map((r) => r.id), ["new1"]);
      const s = await (await api(w, "GET", `/api/v1/links/${l.id}/stats?from=${new Date(Date.now() - 60 * day).toISOString().slice(0, 10)}`)).json();
      assert.equal(s.totals.clicks, 2, "rollups keep the deleted click");
      assert.ok(w.events().some((e) => e.event === "clicks_pruned" && e.clicks === 1));
    } finally {
      await w.stop();
    }
  });

  it("a missing queue binding or salt is reported by /health/ready and the logs; redirects and clicks still work", async () => {
    const w = await startWorker({ bindings: { ANALYTICS_SALT: "" }, overrides: { queueProducers: {}, queueConsumers: {} } });
    try {
      const l = await link(w, { url: "https://example.com/quiet", code: "quiet" });
      assert.equal((await w.fetch("/quiet", { headers: { "user-agent": CHROME } })).status, 302);
      // Without a queue the click is written straight to D1: late, never lost.
      const row = await settled(w, l.id, 1);
      assert.equal(row.click_count, 1);
      assert.ok(w.events().some((e) => e.event === "click_queue_send_failed" && e.stored_directly === true));
      const ready = await w.fetch("/health/ready", { headers: { authorization: `Bearer ${w.adminToken}` } });
      assert.equal(ready.status, 200, "analytics is not critical for redirects");
      const body = await ready.json();
      assert.equal(body.status, "degraded");
      assert.equal(body.checks.analytics.ok, false);
      assert.match(body.checks.analytics.error, /CLICK_EVENTS/);
      assert.match(body.checks.analytics.error, /ANALYTICS_SALT/);
      await eventually(() => w.events().some((e) => e.event === "click_queue_missing" && e.level === "error"), "the missing queue to be logged loudly");
    } finally {
      await w.stop();
    }
  });
});
