// The stats API on a known data set: totals, series and breakdowns in several time zones,
// across a daylight-saving switch, the CSV export, and who may see them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, d1, startWorker } from "../harness.mjs";
import { CHROME, IPHONE, FIREFOX, ANDROID, BOTS, link, settled } from "./clicks.mjs";

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
