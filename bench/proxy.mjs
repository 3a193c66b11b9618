// The origin proxy's cost: the real SvelteKit test app (tests/origin-app) asked directly and
// through the worker, in the same run, for a small page and for a 5 MB download, with wrk
// from a separate process on loopback. For the download the worker process's resident
// memory is sampled every 100 ms: a proxy that streams stays flat, one that buffers grows by
// the body size times the connections in flight.
//   node bench/proxy.mjs   (scripts/bench.sh runs it after bench/run.mjs)
import { startWorker } from "../tests/harness.mjs";
import { startApp } from "../tests/origin-app.mjs";
import { pidOf, rssMiB, wrk as load } from "./load.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const wrk = (url, connections) => load(url, { connections, timeout: "20s" });
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Runs `fn` while sampling the process's RSS: { before, peak, after } in MiB. */
async function withRss(pid, fn) {
  const before = rssMiB(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  try {
    const r = await fn();
    return { ...r, rss: { before, peak, after: rssMiB(pid) } };
  } finally {
    clearInterval(timer);
  }
}

async function main() {
  const app = await startApp();
  // The breaker and retries stay at their defaults; the stale copy is written for /about.
  const w = await startWorker({ bindings: { ORIGIN_URL: app.url, ORIGIN_PREFIXES: "/download" } });
  const workerPid = await pidOf(w.url);
  try {
    for (const base of [app.url, w.url]) await (await fetch(new URL("/about", base))).arrayBuffer();
    const cases = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const r = ROUNDS > 1 ? ` (round ${round})` : "";
      cases.push(
        [`small page, direct to the app${r}`, "page", "direct", () => wrk(new URL("/about", app.url).href, 50)],
        [`small page, through the worker${r}`, "page", "worker", () => wrk(new URL("/about", w.url).href, 50)],
        [`5 MB download, direct to the app${r}`, "download", "direct", () => wrk(new URL("/download?mb=5", app.url).href, 8)],
        [`5 MB download, through the worker${r}`, "download", "worker", () => withRss(workerPid, () => wrk(new URL("/download?mb=5", w.url).href, 8))],
      );
    }
    // One large body at a time: a proxy that buffered would grow by 50 MiB.
    cases.push(
      ["50 MB download, 1 connection, direct to the app", "big", "direct", () => wrk(new URL("/download?mb=50", app.url).href, 1)],
      ["50 MB download, 1 connection, through the worker", "big", "worker", () => withRss(workerPid, () => wrk(new URL("/download?mb=50", w.url).href, 1))],
    );
    const results = [];
    for (const [i, [name, kind, via, fn]] of cases.entries()) {
      log(`[${i + 1}/${cases.length}] ${name}`);
      results.push({ name, kind, via, ...(await fn()) });
    }
    console.log("\n| case | req/s | MiB/s | p50 ms | p99 ms | ratio to direct | worker RSS MiB (before / peak / after) |");
    console.log("|---|---:|---:|---:|---:|---:|---|");
    for (const [i, r] of results.entries()) {
      const direct = r.via === "worker" ? results[i - 1] : r;
      const rss = r.rss ? `${r.rss.before.toFixed(0)} / ${r.rss.peak.toFixed(0)} / ${r.rss.after.toFixed(0)}` : "";
      console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.rps / direct.rps).toFixed(2)}x | ${rss} |${r.errors ? ` ${r.errors} errors` : ""}`);
    }
  } finally {
    await w.stop();
    await app.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
