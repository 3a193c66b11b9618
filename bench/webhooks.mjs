// Webhooks must never slow a redirect: the same worker, two links, one of a user without
// webhooks and one of a user whose endpoint takes every event (clicks included) and
// answers slowly (WEBHOOK_BENCH_DELAY_MS, 2 s). Rounds alternate (A B A B…) so the noise
// of this machine falls on both alike; the ratio hooked / plain is what counts. Then it
// waits (bounded) until the receiver has every click of the hooked link: none lost.
//   scripts/bench.sh webhooks     (or: node bench/webhooks.mjs after scripts/build.sh)
import { createServer } from "node:http";
import { api, clicksSettled, counter, d1, startWorker } from "../tests/harness.mjs";
import { wrk } from "./load.mjs";

const SECONDS = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.WEBHOOK_BENCH_ROUNDS ?? 3);
const DELAY_MS = Number(process.env.WEBHOOK_BENCH_DELAY_MS ?? 2000);
const log = (msg) => process.stderr.write(`webhooks: ${msg}\n`);

const lua = `
wrk.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
function request()
  wrk.headers["cf-connecting-ip"] = "10.0." .. math.random(0, 3) .. "." .. math.random(1, 250)
  return wrk.format("GET")
end`;

async function main() {
  let clicks = new Set();
  let deliveries = 0;
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      deliveries++;
      try {
        const event = JSON.parse(body);
        for (const c of event.data?.clicks ?? []) if (c.code === "hooked") clicks.add(c.click_id);
      } catch {}
      setTimeout(() => res.end("ok"), DELAY_MS);
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  // Production settings, but the redirect limiter off (1,000 addresses here): only webhooks differ.
  const w = await startWorker({ bindings: { WEBHOOK_ALLOW_LOOPBACK: "true", RATE_REDIRECT_LIMIT: "0" } });
  try {
    for (const [user, name] of [["plainuser000001", "plain"], ["hookeduser00001", "hooked"], ["quietuser000001", "quiet"]]) {
      if ((await api(w, "PUT", `/api/v1/users/${user}`, { body: { username: name } })).status !== 201) throw new Error("user");
      if ((await api(w, "POST", "/api/v1/links", { user, body: { url: "https://example.com/", code: name } })).status !== 201) throw new Error("link");
    }
    const hook = await api(w, "POST", "/api/v1/webhooks", { user: "hookeduser00001", body: { url, events: ["link.created", "link.updated", "link.deleted", "link.clicked", "link.expired", "link.limit_reached"] } });
    if (hook.status !== 201) throw new Error(`webhook: ${await hook.text()}`);
    // The third: an endpoint on the same slow receiver for link events only, so its link's
    // clicks raise no events: what configuring a webhook costs a redirect by itself.
    const quiet = await api(w, "POST", "/api/v1/webhooks", { user: "quietuser000001", body: { url, events: ["link.created", "link.updated", "link.deleted"] } });
    if (quiet.status !== 201) throw new Error(`webhook: ${await quiet.text()}`);
    const results = { plain: [], hooked: [], quiet: [] };
    let hookedRedirects = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating order, so neither case always runs after the other's backlog.
      for (const code of round % 2 ? ["plain", "hooked", "quiet"] : ["quiet", "hooked", "plain"]) {
        const r = await wrk(new URL(`/${code}`, w.url).href, { lua, seconds: SECONDS });
        results[code].push(r);
        if (code === "hooked") hookedRedirects += r.requests - r.errors;
        log(`round ${round} ${code}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`);
      }
    }
    const mean = (list, k) => list.reduce((a, r) => a + r[k], 0) / list.length;
    const [plain, hooked, quietRps] = [mean(results.plain, "rps"), mean(results.hooked, "rps"), mean(results.quiet, "rps")];
    log(`redirects/s: plain ${plain.toFixed(0)}; webhook on link events only ${quietRps.toFixed(0)} (${(quietRps / plain).toFixed(2)}x); webhook on every click ${hooked.toFixed(0)} (${(hooked / plain).toFixed(2)}x); p50 ${mean(results.plain, "p50").toFixed(2)} / ${mean(results.quiet, "p50").toFixed(2)} / ${mean(results.hooked, "p50").toFixed(2)} ms; p99 ${mean(results.plain, "p99").toFixed(2)} / ${mean(results.quiet, "p99").toFixed(2)} / ${mean(results.hooked, "p99").toFixed(2)} ms`);
    // wrk counts the answers it read; requests in flight when it stops still redirect (and
    // count). The worker's own store says how many clicks there are.
    // The consumer shares the two cores with everything else: at ~1,000 clicks a second it
    // needs minutes for the ~100,000 clicks of each link; progress every 15 s.
    log("waiting (at most 15 minutes) for the click consumer to store every click");
    const progress = setInterval(async () => {
      const text = await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
      log(`clicks stored: ${counter(text, "clicks_stored_total")} of ${counter(text, "clicks_recorded_total")}`);
    }, 15_000);
    try {
      await clicksSettled(w, { timeoutMs: 900_000 });
    } finally {
      clearInterval(progress);
    }
    const links = await (await d1(w)).prepare("SELECT l.code, count(c.id) AS n FROM links l LEFT JOIN clicks c ON c.link_id = l.id GROUP BY l.code").all();
    const stored = Object.fromEntries(links.results.map((r) => [r.code, r.n]));
    log(`stored clicks: plain ${stored.plain}, hooked ${stored.hooked} (wrk counted ${hookedRedirects} redirects of the hooked link)`);
    log(`waiting (at most 5 minutes) for the receiver to get all ${stored.hooked} clicks of the hooked link`);
    const deadline = Date.now() + 300_000;
    while (clicks.size < stored.hooked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    log(`receiver: ${clicks.size} of ${stored.hooked} clicks in ${deliveries} deliveries (slow: ${DELAY_MS} ms each)`);
    console.log(JSON.stringify({ plain_rps: plain, quiet_rps: quietRps, hooked_rps: hooked, quiet_ratio: quietRps / plain, ratio: hooked / plain, clicks_delivered: clicks.size, clicks_stored: stored.hooked, deliveries }));
    if (clicks.size !== stored.hooked || stored.hooked < hookedRedirects) process.exitCode = 1;
  } finally {
    await w.stop();
    receiver.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
