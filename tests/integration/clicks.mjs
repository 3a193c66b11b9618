// Helpers of the click analytics tests (analytics.test.mjs, stats.test.mjs): browser and
// bot User-Agents, making links and redirects, and waiting for clicks to settle.
import assert from "node:assert/strict";
import { api, clicksSettled, d1 } from "../harness.mjs";

export const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
export const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
export const FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0";
export const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
export const PEOPLE = [CHROME, IPHONE, FIREFOX, ANDROID];
export const BOTS = [
  "Twitterbot/1.0",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
];


export async function link(w, body, opts) {
  const res = await api(w, "POST", "/api/v1/links", { body, ...opts });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

/** `n` GETs of `path`, `concurrency` at a time; every one must be a 302. */
export async function redirects(w, path, n, { concurrency = 50, headers = () => ({}) } = {}) {
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
export async function settled(w, linkId, n, timeoutMs = 90_000) {
  const db = await d1(w);
  const count = () => db.prepare("SELECT count(*) AS n, sum(pending) AS pending FROM clicks WHERE link_id = ?").bind(linkId).first();
  await clicksSettled(w, { ready: async () => (await count()).n >= n, timeoutMs });
  const c = await count();
  assert.equal(c.n, n, "stored clicks");
  assert.equal(c.pending, 0);
  return db.prepare("SELECT click_count, bot_click_count, last_clicked_at FROM links WHERE id = ?").bind(linkId).first();
}
