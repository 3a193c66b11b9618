// The worked example of docs/CAPACITY.md at the scale of this machine: one giveaway link
// with max_clicks, production settings (analytics on, the redirect limiter at 300 a minute
// per address, CLICK_SHARD_RATE 250), hammered by wrk from 65,000 client addresses for
// VIRAL_SECONDS. Bounded (wrk stops after VIRAL_SECONDS, the drain waits at most 4
// minutes), loopback only. It checks what the design promises: exactly max_clicks
// redirects, the rest 410 (or 429 from the limiter), no 5xx, and every redirect stored as
// one click.
//   scripts/bench.sh viral     (or: node bench/viral.mjs after scripts/build.sh)
import { counter, createLink, startWorker } from "../tests/harness.mjs";
import { wrk } from "./load.mjs";

const SECONDS = Number(process.env.VIRAL_SECONDS ?? 30);
const MAX_CLICKS = Number(process.env.VIRAL_MAX_CLICKS ?? 20_000);
const log = (msg) => process.stderr.write(`viral: ${msg}\n`);

// Browsers from 65,000 addresses (the limiter keeps state per address), statuses counted.
const lua = `
wrk.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(os.time() + math.random(1, 100000))
  s302 = 0; s410 = 0; s429 = 0; s5xx = 0; other = 0
end
function request()
  wrk.headers["cf-connecting-ip"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 1)
  return wrk.format("GET")
end
function response(status)
  if status == 302 then s302 = s302 + 1
  elseif status == 410 then s410 = s410 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else other = other + 1 end
end
function done()
  local t = { s302 = 0, s410 = 0, s429 = 0, s5xx = 0, other = 0 }
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
  end
  io.write(string.format("STATUSES 302=%d 410=%d 429=%d 5xx=%d other=%d\\n", t.s302, t.s410, t.s429, t.s5xx, t.other))
end`;

const series = (text, name) => Number((text.match(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m")) ?? [0, 0])[1]);

async function main() {
  // Production values from wrangler.toml: only the test harness's generous limits are undone.
  const w = await startWorker({ bindings: { RATE_REDIRECT_LIMIT: process.env.VIRAL_REDIRECT_LIMIT ?? "300", RATE_REDIRECT_WINDOW_SECONDS: "60", ...(process.env.VIRAL_SHARD_RATE ? { CLICK_SHARD_RATE: process.env.VIRAL_SHARD_RATE } : {}), ...(process.env.VIRAL_ANALYTICS ? { ANALYTICS_ENABLED: process.env.VIRAL_ANALYTICS } : {}) } });
  try {
    if ((await createLink(w, { url: "https://example.com/giveaway", code: "giveaway", max_clicks: MAX_CLICKS })).status !== 201) throw new Error("seeding");
    const scrape = async () => (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
    log(`one link, max_clicks ${MAX_CLICKS}, ${SECONDS} s of wrk -t2 -c50 from 65,000 addresses`);
    const r = await wrk(new URL("/giveaway", w.url).href, { lua, seconds: SECONDS });
    const m = r.stdout.match(/STATUSES 302=(\d+) 410=(\d+) 429=(\d+) 5xx=(\d+) other=(\d+)/);
    if (!m) throw new Error(`wrk said: ${r.stdout}`);
    const [s302, s410, s429, s5xx, other] = m.slice(1).map(Number);
    log("waiting for the click consumer to store every click");
    let text = await scrape();
    const deadline = Date.now() + 240_000;
    while (counter(text, "clicks_stored_total") < counter(text, "clicks_recorded_total") && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 500));
      text = await scrape();
    }
    const rows = {
      "requests answered (wrk)": r.requests,
      "requests/s": r.rps.toFixed(0),
      "p50 / p99 ms": `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)}`,
      "302 (redirected)": s302,
      "410 (used up)": s410,
      "429 (redirect limiter)": s429,
      "5xx": s5xx,
      other,
      "calls to the link's pool": series(text, 'click_counter_calls_total{object="pool"}'),
      "calls to its shards": series(text, 'click_counter_calls_total{object="shard"}'),
      "clicks recorded / stored": `${counter(text, "clicks_recorded_total")} / ${counter(text, "clicks_stored_total")}`,
      "overloaded dependencies": [...text.matchAll(/^overloaded_total\{[^}]*\} (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0),
    };
    console.log(`\nviral link, ${new Date().toISOString()}: max_clicks ${MAX_CLICKS}, ${SECONDS} s, wrk -t2 -c50, 65,000 client addresses, production settings\n`);
    console.log("| figure | value |\n|---|---:|");
    for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v} |`);
    // wrk's count misses answers in flight when it stops; the worker's own count does not.
    const problems = [];
    if (s302 > MAX_CLICKS) problems.push(`${s302} redirects for a limit of ${MAX_CLICKS}`);
    if (s5xx > 0) problems.push(`${s5xx} answers 5xx`);
    if (counter(text, "clicks_stored_total") !== counter(text, "clicks_recorded_total")) problems.push("clicks not all stored");
    const usedUp = s410 > 0;
    if (usedUp && counter(text, "clicks_recorded_total") !== MAX_CLICKS) problems.push(`the link was used up with ${counter(text, "clicks_recorded_total")} clicks recorded, not ${MAX_CLICKS}`);
    const fine = usedUp ? `exact: ${MAX_CLICKS} clicks recorded and stored, no redirect past the limit, no 5xx` : "not used up in the time: every redirect stored once, no 5xx";
    console.log(problems.length ? `\nPROBLEMS: ${problems.join("; ")}` : `\n${fine}`);
    if (problems.length) process.exitCode = 1;
  } finally {
    await w.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
