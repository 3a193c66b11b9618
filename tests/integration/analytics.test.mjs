// Click analytics in the real runtime: redirects send clicks through the local queue to
// the consumer, which stores them in local D1 exactly once; stats read the rollups.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, clicksSettled, d1, eventually, startWorker } from "../harness.mjs";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const PEOPLE = [CHROME, IPHONE, FIREFOX, ANDROID];
const BOTS = [
  "Twitterbot/1.0",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
];


async function link(w, body, opts) {
  const res = await api(w, "POST", "/api/v1/links", { body, ...opts });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

/** `n` GETs of `path`, `concurrency` at a time; every one must be a 302. */
async function redirects(w, path, n, { concurrency = 50, headers = () => ({}) } = {}) {
  let next = 0;
  const statuses = new Map();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const res = await w.fetch(path, { headers: headers(i) });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  assert.deepEqual([...statuses], [[302, n]], "every request redirected");
}

/** Waits until every click the worker recorded is stored and counted (its own counters say
 * so: nothing is in flight, so a late duplicate cannot still come), then checks that the
 * link has exactly `n`. Returns the link's row. */
async function settled(w, linkId, n, timeoutMs = 90_000) {
  const db = await d1(w);
  const count = () => db.prepare("SELECT count(*) AS n, sum(pending) AS pending FROM clicks WHERE link_id = ?").bind(linkId).first();
  await clicksSettled(w, { ready: async () => (await count()).n >= n, timeoutMs });
  const c = await count();
  assert.equal(c.n, n, "stored clicks");
  assert.equal(c.pending, 0);
  return db.prepare("SELECT click_count, bot_click_count, last_clicked_at FROM links WHERE id = ?").bind(linkId).first();
}

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
const at = (s) => Date.parse(s);
const DATA = [
  { at: at("2026-03-28T22:30:00Z"), v: "A", ua: CHROME, country: "DE", city: "Berlin", ref: "google.com", browser: "Chrome" },
  { at: at("2026-03-28T23:30:00Z"), v: "A", ua: IPHONE, country: "DE", city: "Berlin", ref: "t.co", browser: "Safari" },
  { at: at("2026-03-29T00:15:00Z"), v: "A", ua: CHROME, country: "FR", city: "Paris", browser: "Chrome" },
  { at: at("2026-03-29T01:59:59.999Z"), v: "B", ua: FIREFOX, country: "US", city: "New York", browser: "Firefox" },
  { at: at("2026-03-29T02:00:00Z"), v: "C", ua: BOTS[0], country: "US", city: "San Jose", bot: true },
  { at: at("2026-03-29T12:00:00Z"), v: "B", ua: ANDROID, country: "US", city: "New York", ref: "google.com", browser: "Chrome" },
  { at: at("2026-03-30T23:59:59Z"), v: "D", ua: CHROME, country: "JP", city: "Tokyo", browser: "Chrome" },
];

/** An independent reading of the data set: Intl's calendar for the zone, and the API's
 * documented rules (bots apart, a visitor counted on their first click of the UTC day). */
function expected(tz, interval, from, to) {
  const fmt = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
  });
  const key = (ms) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return interval === "day" ? `${p.year}-${p.month}-${p.day}` : `${p.year}-${p.month}-${p.day}T${p.hour}`;
  };
  const seen = new Set();
  const rows = DATA.map((d) => {
    const day = new Date(d.at).toISOString().slice(0, 10);
    const first = !d.bot && !seen.has(`${day}|${d.v}`);
    if (!d.bot) seen.add(`${day}|${d.v}`);
    return { ...d, first, key: key(d.at) };
  }).filter((d) => d.at >= from && d.at < to);
  const buckets = new Map();
  for (const r of rows) {
    const b = buckets.get(r.key) ?? { clicks: 0, bots: 0, unique_visitors: 0 };
    if (r.bot) b.bots++;
    else b.clicks++;
    if (r.first) b.unique_visitors++;
    buckets.set(r.key, b);
  }
  const sum = (f) => rows.reduce((a, r) => a + f(r), 0);
  const top = (field) => {
    const m = new Map();
    for (const r of rows.filter((r) => !r.bot)) m.set(r[field] ?? null, (m.get(r[field] ?? null) ?? 0) + 1);
    // Most clicks first, ties by value as D1 compares text (bytes; unknown is '').
    const text = (v) => v ?? "";
    return [...m]
      .sort((a, b) => b[1] - a[1] || (text(a[0]) < text(b[0]) ? -1 : text(a[0]) > text(b[0]) ? 1 : 0))
      .map(([value, clicks]) => ({ value, clicks }));
  };
  return {
    totals: { clicks: sum((r) => (r.bot ? 0 : 1)), bots: sum((r) => (r.bot ? 1 : 0)), unique_visitors: sum((r) => (r.first ? 1 : 0)) },
    buckets,
    key,
    countries: top("country"),
    referrers: top("ref"),
    browsers: top("browser"),
  };
}

describe("stats API on a known data set", () => {
  let w;
  let l;
  before(async () => {
    w = await startWorker();
    await api(w, "PUT", "/api/v1/users/statsowner0001", { body: { username: "statsowner" } });
    l = await link(w, { url: "https://example.com/known", code: "known" }, { user: "statsowner0001" });
    const queue = await w.mf.getQueueProducer("CLICK_EVENTS");
    await queue.sendBatch(
      DATA.map((d, i) => ({
        body: { id: `known${i}`, link: l.id, at: d.at, v: d.v, ua: d.ua, country: d.country, city: d.city, ...(d.ref ? { ref: d.ref } : {}) },
      })),
    );
    // A malformed event and a duplicate are dropped, never counted.
    await queue.send({ link: l.id, at: DATA[0].at });
    await queue.send({ id: "known0", link: l.id, at: DATA[0].at, v: "A", ua: CHROME });
    await settled(w, l.id, DATA.length);
  });
  after(() => w?.stop());

  const stats = async (query) => {
    const res = await api(w, "GET", `/api/v1/links/${l.id}/stats?${query}`, { user: "statsowner0001" });
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };

  for (const tz of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]) {
    it(`days in ${tz}: totals, series and breakdowns match the data set`, async () => {
      const s = await stats(`from=2026-03-28&to=2026-03-30&tz=${encodeURIComponent(tz)}&interval=day`);
      const from = Date.parse(s.from);
      const to = Date.parse(s.to);
      const e = expected(tz, "day", from, to);
      assert.deepEqual(s.totals, e.totals, "totals");
      assert.equal(s.series.length, 3, "three local days");
      for (const p of s.series) {
        const want = e.buckets.get(e.key(Date.parse(p.start))) ?? { clicks: 0, bots: 0, unique_visitors: 0 };
        assert.deepEqual({ clicks: p.clicks, bots: p.bots, unique_visitors: p.unique_visitors }, want, `day ${p.start}`);
      }
      const strip = (list) => list.map(({ value, clicks }) => ({ value, clicks }));
      assert.deepEqual(strip(s.top.countries), e.countries);
      assert.deepEqual(strip(s.top.referrers), e.referrers);
      assert.deepEqual(strip(s.top.browsers), e.browsers);
      assert.equal(s.tz, tz);
    });
  }

  it("hours across the daylight-saving switch in Berlin (23-hour day) and an hour boundary", async () => {
    const s = await stats("from=2026-03-29&to=2026-03-29&tz=Europe/Berlin&interval=hour");
    assert.equal(s.series.length, 23, "the day clocks go forward has 23 hours");
    assert.equal(s.series[2].start, "2026-03-29T03:00:00+02:00", "02:00 does not exist");
    const e = expected("Europe/Berlin", "hour", Date.parse(s.from), Date.parse(s.to));
    for (const p of s.series) {
      const want = e.buckets.get(e.key(Date.parse(p.start))) ?? { clicks: 0, bots: 0, unique_visitors: 0 };
      assert.deepEqual({ clicks: p.clicks, bots: p.bots, unique_visitors: p.unique_visitors }, want, p.start);
    }
    // 01:59:59.999 UTC and 02:00 UTC are different hours (03:xx and 04:xx local).
    assert.equal(s.series.find((p) => p.start === "2026-03-29T03:00:00+02:00").clicks, 1);
    assert.equal(s.series.find((p) => p.start === "2026-03-29T04:00:00+02:00").bots, 1);
  });

  it("cities carry their country; unique visitors count a person once per UTC day", async () => {
    const s = await stats("from=2026-03-28&to=2026-03-31");
    assert.deepEqual(s.totals, { clicks: 6, bots: 1, unique_visitors: 4 }, "A on the 28th and 29th, B, D");
    assert.deepEqual(
      s.top.cities.map(({ value, country, clicks }) => [value, country, clicks]),
      [["Berlin", "DE", 2], ["New York", "US", 2], ["Paris", "FR", 1], ["Tokyo", "JP", 1]],
    );
    assert.deepEqual(s.all_time, { clicks: 6, bots: 1, last_clicked_at: "2026-03-30T23:59:59.000Z" });
    const top1 = await stats("from=2026-03-28&to=2026-03-31&top=1");
    assert.equal(top1.top.countries.length, 1);
  });

  it("CSV export: every raw click, bots flagged, paged with a Link header", async () => {
    const res = await api(w, "GET", `/api/v1/links/${l.id}/clicks.csv?from=2026-03-01&to=2026-04-01`, { user: "statsowner0001" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/csv/);
    const lines = (await res.text()).trim().split("\r\n");
    assert.equal(lines[0].split(",")[0], "clicked_at");
    assert.equal(lines.length, DATA.length + 1);
    assert.equal(lines.filter((x) => x.includes(",true,")).length, 1, "one bot row");
    assert.ok(lines[1].startsWith("2026-03-28T22:30:00.000Z,known0,"), lines[1]);
    // Pages of 3.
    const ids = [];
    let next = `/api/v1/links/${l.id}/clicks.csv?from=2026-03-01&to=2026-04-01&limit=3`;
    for (let pages = 0; next; pages++) {
      assert.ok(pages < 5, "paging ends");
      const page = await api(w, "GET", next, { user: "statsowner0001" });
      const rows = (await page.text()).trim().split("\r\n").slice(1);
      ids.push(...rows.map((r) => r.split(",")[1]));
      next = page.headers.get("link")?.match(/^<([^>]+)>; rel="next"$/)?.[1];
    }
    assert.deepEqual(ids, DATA.map((_, i) => `known${i}`));
    const people = await api(w, "GET", `/api/v1/links/${l.id}/clicks.csv?from=2026-03-01&to=2026-04-01&include_bots=false`, { user: "statsowner0001" });
    assert.equal((await people.text()).trim().split("\r\n").length, DATA.length);
  });

  it("only the owner sees stats; bad parameters are 422 problem documents", async () => {
    await api(w, "PUT", "/api/v1/users/someoneelse01", { body: { username: "someoneelse" } });
    for (const path of [`/api/v1/links/${l.id}/stats`, `/api/v1/links/${l.id}/clicks.csv`]) {
      const other = await api(w, "GET", path, { user: "someoneelse01" });
      assert.equal(other.status, 404, path);
      assert.match(other.headers.get("content-type"), /problem\+json/);
    }
    for (const [query, field] of [
      ["tz=Mars%2FOlympus", "tz"],
      ["from=2026-03-30&to=2026-03-01", "from"],
      ["interval=week", "interval"],
      ["from=2020-01-01&to=2026-01-01&interval=hour", "interval"],
      ["top=1000", "top"],
      ["unknown=1", "unknown"],
    ]) {
      const res = await api(w, "GET", `/api/v1/links/${l.id}/stats?${query}`, { user: "statsowner0001" });
      assert.equal(res.status, 422, query);
      const p = await res.json();
      assert.equal(p.errors[0].field, field, query);
    }
    const csv = await api(w, "GET", `/api/v1/links/${l.id}/clicks.csv?limit=0`, { user: "statsowner0001" });
    assert.equal(csv.status, 422);
    const missing = await api(w, "GET", "/api/v1/links/doesnotexist1/stats", { user: "statsowner0001" });
    assert.equal(missing.status, 404);
  });
});

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
