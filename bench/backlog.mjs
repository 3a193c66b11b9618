// The click pipeline under more clicks than its consumer drains: wrk pushes redirects of one
// link (browser User-Agent, 1,000 client addresses) for BACKLOG_SECONDS while the worker's
// own counters are sampled every second (clicks recorded by redirects, clicks stored by the
// consumer; the backlog is the difference: in isolates' outboxes, in the queue, in the
// consumer); then the backlog is watched until it is gone. Every click recorded must end up
// stored once, and every redirect wrk saw answered is one of them. Two cases: D1 as it is
// here, and a slow D1 (each counting transaction waits BACKLOG_SLOW_D1_MS first, test-only
// wiring), so clicks come faster than the consumer drains and the backlog grows and drains.
//   node bench/backlog.mjs   (scripts/bench.sh runs it after bench/run.mjs)
import { counter, createLink, startWorker } from "../tests/harness.mjs";
import { wrk as load } from "./load.mjs";

const SECONDS = Number(process.env.BACKLOG_SECONDS ?? 12);
const DRAIN_LIMIT_S = Number(process.env.BACKLOG_DRAIN_LIMIT_SECONDS ?? 240);
const SLOW_D1_MS = Number(process.env.BACKLOG_SLOW_D1_MS ?? 3000);
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

const manyClients = `
wrk.headers["user-agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
math.randomseed(os.time())
function request()
  wrk.headers["cf-connecting-ip"] = "198.18." .. math.random(0, 3) .. "." .. math.random(0, 249)
  return wrk.format("GET")
end`;

async function counts(w) {
  const text = await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
  const batches = Number((text.match(/^click_batches_total\{outcome="stored"\} (\d+)$/m) ?? [0, 0])[1]);
  return { recorded: counter(text, "clicks_recorded_total"), stored: counter(text, "clicks_stored_total"), batches };
}

async function runCase(name, options) {
  const w = await startWorker({ bindings: { RATE_REDIRECT_LIMIT: "0" }, ...options });
  try {
    if ((await createLink(w, { url: "https://example.com/landing", code: "hot" })).status !== 201) throw new Error("seeding");
    const base = await counts(w);
    log(`${name}: ${SECONDS} s of redirects`);
    const started = Date.now();
    const samples = [];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        await new Promise((r) => setTimeout(r, 1000));
        const c = await counts(w);
        samples.push({ t: (Date.now() - started) / 1000, backlog: c.recorded - c.stored });
      }
    })();
    const r = await load(new URL("/hot", w.url).href, { lua: manyClients, seconds: SECONDS }).finally(() => (loading = false));
    await sampler;
    const answered = r.requests - r.errors;
    const atEnd = await counts(w);
    const loadSeconds = (Date.now() - started) / 1000;
    const recorded = atEnd.recorded - base.recorded;
    const backlogAtEnd = atEnd.recorded - atEnd.stored;
    const drainStart = Date.now();
    let now = atEnd;
    while (now.stored < now.recorded && (Date.now() - drainStart) / 1000 < DRAIN_LIMIT_S) {
      await new Promise((res) => setTimeout(res, 250));
      now = await counts(w);
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const stored = now.stored - base.stored;
    const batches = now.batches - base.batches;
    return {
      batches,
      perBatch: stored / batches,
      name,
      answered,
      recorded,
      rps: recorded / loadSeconds,
      storedPerSecondLoaded: (atEnd.stored - base.stored) / loadSeconds,
      peak: Math.max(0, backlogAtEnd, ...samples.map((s) => s.backlog)),
      backlogAtEnd,
      drainSeconds,
      drainRate: backlogAtEnd > 0 ? backlogAtEnd / drainSeconds : NaN,
      // Recorded but never stored; and redirects wrk saw that no recorded click stands for.
      lost: recorded - stored + Math.max(0, answered - recorded),
      samples,
    };
  } finally {
    await w.stop();
  }
}

async function main() {
  const results = [];
  results.push(await runCase("D1 as it is here", {}));
  const slow = { match: "UPDATE clicks SET new_visitor", times: 0, delayMs: SLOW_D1_MS };
  results.push(await runCase(`slow D1 (+${SLOW_D1_MS} ms per counting transaction)`, { flakyD1: slow }));
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  console.log(`\nclick backlog, ${new Date().toISOString()}: wrk -t2 -c50 for ${SECONDS} s, one link, 1,000 client addresses\n`);
  console.log("| case | clicks recorded (wrk saw answered) | clicks/s in | stored/s while loaded | peak backlog | backlog when the load stopped | drained in (s) | drain rate (clicks/s) | consumer invocations | clicks per invocation | clicks lost |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(`| ${r.name} | ${r.recorded} (${r.answered}) | ${f(r.rps)} | ${f(r.storedPerSecondLoaded)} | ${r.peak} | ${r.backlogAtEnd} | ${f(r.drainSeconds, 1)} | ${f(r.drainRate)} | ${r.batches} | ${f(r.perBatch)} | ${r.lost} |`);
  }
  for (const r of results) console.log(`backlog every second (${r.name}): ${r.samples.map((s) => s.backlog).join(" ")}`);
  const lost = results.filter((r) => r.lost !== 0);
  console.log(lost.length ? `CLICKS LOST in: ${lost.map((r) => r.name).join(", ")}` : "no click lost: every redirect answered was stored once");
  if (lost.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
