// Bench harness: the built worker directly in workerd (miniflare's API, never through
// `wrangler dev`, whose proxy caps throughput), next to a constant-302 JS worker (the
// floor), loaded by wrk from a separate process on loopback. Bounded: every case runs for
// BENCH_SECONDS (default 8) and the harness stops everything it started.
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createServer } from "node:http";
import { Miniflare } from "miniflare";
import { ROOT, api, createLink, d1, kv as kvNamespace, startWorker } from "../tests/harness.mjs";
import { BENCH_USER, LIST_SEED, MANY_CLIENTS, SECONDS, cpuSeconds, createLua, getLua, pidOf, startRustReference, wrk as load } from "./load.mjs";

/** Runs wrk with the harness's threads and connections; `lua` is an optional script body. */
const wrk = (url, lua) => load(url, { lua, connections: CONNECTIONS, threads: THREADS });

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = 2;
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Runs `fn` (a case) and adds the CPU its worker process spent per completed request. */
async function withCpu(url, fn) {
  const pid = await pidOf(url);
  const before = cpuSeconds(pid);
  const r = await fn();
  const spent = cpuSeconds(pid) - before;
  return { ...r, cpuUs: (spent * 1e6) / (r.requests || NaN) };
}

// Each wrk thread walks its own disjoint sequence of paths, so every request of the D1 case
// asks for a code that has never been looked up (a real KV miss each time).
const uniquePaths = (prefix) => `
local n = 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) n = tonumber(tid) end
function request() n = n + ${THREADS}; return wrk.format("GET", "/${prefix}" .. n) end
function response(status) if status ~= 302 then wrk.thread:stop() end end`;

// A browser's User-Agent (wrk sends none, which analytics files as a bot).
const browserUa = `wrk.headers["user-agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"`;

const manyClients = MANY_CLIENTS;

const USER = BENCH_USER;
const PRODUCTION = "redirect from memory, production defaults (limiter on, 300/min per IP), 1,000 client IPs";
const LIMITER_OFF = "redirect from memory, limiter off, 1,000 client IPs";
const HEALTH = "GET /health of this worker (no lookup)";
// Production's topology: the visitor's worker (build-visitor/) in front of the whole worker.
const PRODUCTION_SPLIT = "redirect from memory, production defaults, the visitor's worker in front (production's topology), 1,000 client IPs";
const HEALTH_SPLIT = "GET /health of the visitor's worker";
const KV = "redirect from KV (memory layer off)";
const KV_ROUND_FLOOR = "floor: JS worker, constant 302, beside the KV cases";
const KV_SPLIT = "redirect from KV (memory layer off), the visitor's worker";
const KV_FLOOR = "reference: JS worker, one KV read of the same record + 302 (the KV floor)";
const KV_SINK = "redirect from KV (memory layer off), clicks to a sink (the redirect path's own CPU)";
const KV_RUST_REF = "reference: workers-rs worker, one KV read of the same record, a click's reads + 302 with four headers";
const HEALTH_REF = "reference: minimal workers-rs worker, GET /health (the same JSON body)";
const RUST_REF = "reference: minimal workers-rs worker, constant 302";
// The runtime calls a counted redirect cannot do without (bench/rust-floor's /click).
const CLICK_REF = "reference: workers-rs worker, a click's reads (IP, User-Agent, Referer, cf country and city) + 302 with four headers";
const LIST = "list: first page of 20 of 10,000 links (newest first)";
const SEARCH = "list: search 'number 99' in 10,000 links";
const D1_FLOOR_LIST = "reference: JS worker, the list's D1 statement alone (the D1 floor)";
const D1_FLOOR_SEARCH = "reference: JS worker, the search's two D1 statements alone (the D1 floor)";

/** A queue consumer that only acknowledges clicks (a JS worker beside the bench's worker). */
const sink = (name) => ({
  name,
  modules: true,
  script: "export default { async queue(batch) { globalThis.n = (globalThis.n ?? 0) + batch.messages.length; batch.ackAll(); }, fetch() { return new Response(String(globalThis.n ?? 0)); } };",
  queueConsumers: { [name]: { maxBatchSize: 100, maxBatchTimeout: 1 } },
});

async function main() {
  const wasm = readFileSync(join(ROOT, "build", "index_bg.wasm"));
  const visitorWasm = readFileSync(join(ROOT, "build-visitor", "index_bg.wasm"));
  const results = [];
  const started = [];
  try {
    log("starting the floor worker and the Rust worker (memory layer on, and off)");
    const floor = new Miniflare({
      modules: true,
      scriptPath: join(ROOT, "bench", "floor.mjs"),
      compatibilityDate: "2026-04-20",
      host: "127.0.0.1",
      port: 0,
      cf: false,
    });
    started.push({ stop: () => floor.dispose() });
    const floorUrl = (await floor.ready).href;
    // The second reference: a constant 302 through workers-rs (bench/rust-floor), built by
    // scripts/bench.sh. What separates it from the JS floor is Rust's own entry cost; what
    // separates this worker from it is this worker's code.
    const { mf: rustFloor, url: rustFloorUrl } = await startRustReference();
    started.push({ stop: () => rustFloor.dispose() });
    // A stand-in for uLoad's SvelteKit app: a constant page.
    const app = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>uLoad</title><h1>About uLoad</h1>");
    });
    await new Promise((r) => app.listen(0, "127.0.0.1", r));
    started.push({ stop: () => new Promise((r) => app.close(r)) });
    // The redirect limiter off here (RATE_REDIRECT_LIMIT=0): the plain redirect path.
    // Beside it, on its D1, the D1 floor (bench/d1-floor.mjs) at /d1-floor/.
    const d1Floor = ({ d1: id }) => [{ name: "d1-floor", modules: true, scriptPath: join(ROOT, "bench", "d1-floor.mjs"), compatibilityDate: "2026-04-20", d1Databases: { DB: id }, routes: ["*/d1-floor/*"] }];
    const hot = await startWorker({ bindings: { RATE_REDIRECT_LIMIT: "0", ORIGIN_URL: `http://127.0.0.1:${app.address().port}` }, extraWorkers: d1Floor });
    started.push(hot);
    // The same, with click analytics off: the other half of the analytics comparison.
    const quiet = await startWorker({ bindings: { RATE_REDIRECT_LIMIT: "0", ANALYTICS_ENABLED: "false" } });
    started.push(quiet);
    // Analytics on, with the consumer's D1 writes out of the way: the redirect path's own
    // cost (in production the consumer runs in invocations of its own, not on the
    // redirect's CPU; here it would compete for the same two cores).
    // Its clicks go to a queue whose consumer, a JS worker, only acknowledges them.
    const producer = await startWorker({
      bindings: { RATE_REDIRECT_LIMIT: "0" },
      overrides: { queueProducers: { CLICK_EVENTS: { queueName: "bench-sink" } }, queueConsumers: {} },
      extraWorkers: [sink("bench-sink")],
    });
    started.push(producer);
    // Production limits (wrangler.toml), for the "limiter on" case; its clicks go to a sink
    // as the producer's do, so the pair limiter on / off differs in the limiter only, and
    // its CPU is the redirect path's (in production the consumer runs in invocations of its
    // own).
    const limited = await startWorker({
      bindings: { RATE_REDIRECT_LIMIT: "300", RATE_REDIRECT_WINDOW_SECONDS: "60", ...(process.env.BENCH_SYNC ? { RATE_REDIRECT_SYNC_EVERY: process.env.BENCH_SYNC } : {}) },
      overrides: { queueProducers: { CLICK_EVENTS: { queueName: "bench-sink-limited" } }, queueConsumers: {} },
      extraWorkers: [sink("bench-sink-limited")],
    });
    started.push(limited);
    const cold = await startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    started.push(cold);
    // The same, its clicks to a sink as `limited`'s: the KV redirect's own CPU, to set beside
    // the KV references (`cold` also runs the click consumer's D1 writes on the same cores; in
    // production the consumer runs in invocations of its own).
    const coldSink = await startWorker({
      bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" },
      overrides: { queueProducers: { CLICK_EVENTS: { queueName: "bench-sink-cold" } }, queueConsumers: {} },
      extraWorkers: [sink("bench-sink-cold")],
    });
    started.push(coldSink);
    // Production's topology: the same limits, clicks to a sink as `limited`'s.
    const limitedSplit = await startWorker({
      split: true,
      bindings: { RATE_REDIRECT_LIMIT: "300", RATE_REDIRECT_WINDOW_SECONDS: "60" },
      visitorOverrides: { queueProducers: { CLICK_EVENTS: { queueName: "bench-sink-split" } } },
      extraWorkers: [sink("bench-sink-split")],
    });
    started.push(limitedSplit);
    const coldSplit = await startWorker({ split: true, bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    started.push(coldSplit);

    for (const w of [hot, quiet, producer, cold, coldSink, limited, limitedSplit, coldSplit]) {
      const res = await createLink(w, { url: "https://example.com/landing", code: "bench" });
      if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
    }
    // Enough links that exist only in D1 for every request of the D1 case to be a KV miss.
    const rows = 400_000;
    log(`seeding ${rows} D1-only links for the KV-miss case`);
    await (await d1(cold))
      .prepare(
        `INSERT INTO links (id, domain, code, url, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
         SELECT 'bench' || i, '', 'm' || i, 'https://example.com/p/' || i, 'now', 'now' FROM n`,
      )
      .run();
    await hot.fetch("/bench"); // warm the memory layer (and one click)
    await quiet.fetch("/bench");
    await producer.fetch("/bench");
    // A password link (visited with its unlock cookie) and a targeted link.
    await createLink(hot, { url: "https://example.com/secret", code: "benchpw", password: "bench" });
    const unlock = await hot.fetch("/benchpw", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "password=bench" });
    const pwCookie = (unlock.headers.get("set-cookie") ?? "").split(";")[0];
    if (!pwCookie) throw new Error("could not unlock the bench password link");
    await createLink(hot, { url: "https://example.com/", code: "benchgeo", ios_url: "https://apps.apple.com/x", android_url: "https://play.google.com/x", geo: { DE: "https://example.com/de" } });
    await limited.fetch("/bench");
    await limitedSplit.fetch("/bench");
    // The KV floor (bench/kv-floor.mjs): a JS worker reading the same KV record.
    const kvDir = await mkdtemp(join(tmpdir(), "uload-kv-floor-"));
    const kvFloor = new Miniflare({ modules: true, scriptPath: join(ROOT, "bench", "kv-floor.mjs"), compatibilityDate: "2026-04-20", kvNamespaces: { LINKS_KV: "kv-floor" }, kvPersist: kvDir, host: "127.0.0.1", port: 0, cf: false });
    started.push({ stop: () => kvFloor.dispose().then(() => rm(kvDir, { recursive: true, force: true })) });
    const kvFloorUrl = (await kvFloor.ready).href;
    const record = await (await kvNamespace(cold)).get("link:bench");
    if (!record) throw new Error("the bench link has no KV record");
    await (await kvFloor.getKVNamespace("LINKS_KV")).put("link:bench", record);
    // The KV case's Rust reference (bench/rust-floor's /kv/bench): the same read in Rust, the
    // click's reads and the four headers, on a KV store of its own holding the same record.
    const kvRustDir = await mkdtemp(join(tmpdir(), "uload-kv-rust-"));
    const { mf: kvRust, url: kvRustUrl } = await startRustReference({ kvNamespaces: { LINKS_KV: "kv-rust" }, kvPersist: kvRustDir });
    started.push({ stop: () => kvRust.dispose().then(() => rm(kvRustDir, { recursive: true, force: true })) });
    await (await kvRust.getKVNamespace("LINKS_KV")).put("link:bench", record);

    // One user with 10,000 links (as a large uLoad account), for the list cases.
    log("seeding 10,000 links of one user for the list cases");
    if ((await api(hot, "PUT", `/api/v1/users/${USER}`, { body: { username: "bench" } })).status !== 201) throw new Error("user");
    await (await d1(hot)).prepare(LIST_SEED).run();

    // Waits until the click consumer has caught up (the stored count stops growing), so the
    // queue's backlog of one case does not run during the next.
    const drain = async (w) => {
      const db = await d1(w);
      let last = -1;
      for (let i = 0; i < 120; i++) {
        const { n } = await db.prepare("SELECT count(*) AS n FROM clicks").first();
        if (n === last) return n;
        last = n;
        await new Promise((r) => setTimeout(r, 3000));
      }
      return last;
    };
    // Also checks that no click was lost: every redirect wrk got is one stored click.
    let storedBefore = 0;
    const withDrain = (fn) => async () => {
      const r = await fn();
      const before = Date.now();
      const stored = await drain(hot);
      const delta = stored - storedBefore;
      storedBefore = stored;
      log(`click consumer caught up in ${((Date.now() - before) / 1000).toFixed(1)} s: ${delta} clicks stored for ${r.requests} requests`);
      if (delta < r.requests) log(`LOST CLICKS: ${r.requests - delta} fewer stored than redirects answered`);
      return { ...r, clicks: delta };
    };
    storedBefore = await drain(hot);
    const cases = [
      ["floor: JS worker, constant 302", () => withCpu(floorUrl, () => wrk(floorUrl))],
      [RUST_REF, () => withCpu(rustFloorUrl, () => wrk(rustFloorUrl))],
      // Analytics off / on (paused consumer) / on (running consumer), interleaved for
      // BENCH_ROUNDS rounds (default 3): the machine drifts by ~10% between identical cases,
      // so the ratio is taken over the sums of all rounds.
      ...Array.from({ length: ROUNDS }, (_, i) => {
        const again = i ? ` (round ${i + 1})` : "";
        return [
          // The Rust reference again in every later round, so that the goals' ratios compare
          // sums over the same stretch of the machine's drift, not one early round.
          ...(i ? [[`${RUST_REF}${again}`, () => withCpu(rustFloorUrl, () => wrk(rustFloorUrl))]] : []),
          // The same traffic as the production redirect's (a browser, 1,000 addresses).
          [`${CLICK_REF}${again}`, () => withCpu(rustFloorUrl, () => wrk(new URL("/click", rustFloorUrl).href, manyClients))],
          [`redirect from memory, click analytics off${again}`, () => withCpu(quiet.url, () => wrk(new URL("/bench", quiet.url).href, browserUa))],
          [`redirect from memory, click analytics on, consumer paused${again}`, () => withCpu(producer.url, () => wrk(new URL("/bench", producer.url).href, browserUa))],
          [`redirect from memory, click analytics on, consumer running${again}`, () => withCpu(hot.url, withDrain(() => wrk(new URL("/bench", hot.url).href, browserUa)))],
          // The limiter off / on pair: the same traffic, both with clicks going to a sink
          // (the redirect path's own CPU). "Limiter on" is production defaults: analytics,
          // metrics, the redirect limiter.
          [`${LIMITER_OFF}${again}`, () => withCpu(producer.url, () => wrk(new URL("/bench", producer.url).href, manyClients))],
          [`${PRODUCTION}${again}`, () => withCpu(limited.url, () => wrk(new URL("/bench", limited.url).href, manyClients))],
          [`${PRODUCTION_SPLIT}${again}`, () => withCpu(limitedSplit.url, () => wrk(new URL("/bench", limitedSplit.url).href, manyClients))],
        ];
      }).flat(),
      [HEALTH, () => withCpu(hot.url, () => wrk(new URL("/health", hot.url).href))],
      [HEALTH_SPLIT, () => withCpu(limitedSplit.url, () => wrk(new URL("/health", limitedSplit.url).href))],
      // The same body from the Rust reference: what any response with a small JSON body
      // costs in this runtime, apart from this worker's code.
      [HEALTH_REF, () => withCpu(rustFloorUrl, () => wrk(new URL("/health", rustFloorUrl).href))],
      ["password link, unlocked (cookie verified by HMAC)", withDrain(() => wrk(new URL("/benchpw", hot.url).href, `wrk.headers["cookie"] = "${pwCookie}"`))],
      ["targeted link (iPhone User-Agent)", withDrain(() => wrk(new URL("/benchgeo", hot.url).href, `wrk.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"`))],
      ["origin pass-through (GET /about proxied to the app)", () => wrk(new URL("/about", hot.url).href)],
      // The KV cases and their references, interleaved for BENCH_ROUNDS rounds with the floor
      // beside them (single KV runs moved by ±20% with the machine's drift).
      ...Array.from({ length: ROUNDS }, (_, i) => {
        const again = i ? ` (round ${i + 1})` : "";
        return [
          [`${KV_ROUND_FLOOR}${again}`, () => withCpu(floorUrl, () => wrk(floorUrl))],
          [`${KV}${again}`, () => withCpu(cold.url, () => wrk(new URL("/bench", cold.url).href))],
          [`${KV_FLOOR}${again}`, () => withCpu(kvFloorUrl, () => wrk(new URL("/bench", kvFloorUrl).href))],
          [`${KV_SINK}${again}`, () => withCpu(coldSink.url, () => wrk(new URL("/bench", coldSink.url).href))],
          [`${KV_RUST_REF}${again}`, () => withCpu(kvRustUrl, () => wrk(new URL("/kv/bench", kvRustUrl).href))],
        ];
      }).flat(),
      [KV_SPLIT, () => withCpu(coldSplit.url, () => wrk(new URL("/bench", coldSplit.url).href))],
      ["redirect after a KV miss (D1, then KV write-back)", () => wrk(cold.url, uniquePaths("m"))],
      ["link creation (POST /api/v1/links with a tag: D1 + KV)", () => wrk(new URL("/api/v1/links", hot.url).href, createLua(hot.token))],
      [LIST, () => wrk(new URL("/api/v1/links?limit=20", hot.url).href, getLua(hot.token))],
      [D1_FLOOR_LIST, () => wrk(new URL(`/d1-floor/list?user=${USER}`, hot.url).href)],
      ["list: page of 20 sorted by clicks", () => wrk(new URL("/api/v1/links?limit=20&sort=clicks", hot.url).href, getLua(hot.token))],
      [SEARCH, () => wrk(new URL("/api/v1/links?limit=20&q=number%2099", hot.url).href, getLua(hot.token))],
      [D1_FLOOR_SEARCH, () => wrk(new URL(`/d1-floor/list?user=${USER}&q=number%2099`, hot.url).href)],
    ];
    // BENCH_CASES=0,1 runs a subset (the floor, index 0, should always be among them; each
    // case is logged with its index).
    const only = process.env.BENCH_CASES?.split(",").map(Number);
    for (const [i, [name, fn]] of cases.entries()) {
      if (only && !only.includes(i)) continue;
      log(`[${i}] ${name}: ${SECONDS} s, ${THREADS} threads, ${CONNECTIONS} connections`);
      results.push({ name, ...(await fn()) });
    }
  } finally {
    await Promise.allSettled(started.map((w) => w.stop()));
  }

  const floorRps = results[0].rps;
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const one = (name) => results.find((r) => r.name === name);
  // A case of several rounds: req/s averaged, CPU per request over all its requests.
  const summed = (name) => {
    const rs = results.filter((r) => r.name === name || r.name.startsWith(`${name} (round`));
    if (!rs.length) return undefined;
    const requests = rs.reduce((a, r) => a + r.requests, 0);
    return { rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length, cpuUs: rs.reduce((a, r) => a + r.cpuUs * r.requests, 0) / requests };
  };
  // The second reference, when it ran (over its rounds): this worker's own cost apart from Rust's.
  const rustRps = summed(RUST_REF)?.rps;
  const lines = [
    `| case | req/s | p50 ms | p99 ms | errors | ratio to floor | ratio to the Rust reference | worker CPU µs/request |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
    ...results.map((r) => `| ${r.name} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.errors} | ${f(r.rps / floorRps, 2)}x | ${rustRps ? `${f(r.rps / rustRps, 2)}x` : ""} | ${r.cpuUs === undefined ? "" : f(r.cpuUs)} |`),
  ];
  const gz = gzipSync(wasm, { level: 9 }).length;
  console.log(`\nuload-edge bench, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}`);
  console.log(`wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s on loopback; workerd via miniflare\n`);
  console.log(lines.join("\n"));
  console.log(`\nwasm: ${wasm.length} bytes raw, ${gz} bytes gzipped (${(gz / 1024).toFixed(0)} KiB; budget 1 MiB gzipped)`);
  const vgz = gzipSync(visitorWasm, { level: 9 }).length;
  console.log(`wasm of the visitor's worker: ${visitorWasm.length} bytes raw, ${vgz} bytes gzipped (${(vgz / 1024).toFixed(0)} KiB; goal <= 450 KiB)`);
  const lost = results.filter((r) => r.clicks !== undefined && r.clicks < r.requests);
  console.log(lost.length ? `clicks lost in: ${lost.map((r) => `${r.name} (${r.requests - r.clicks})`).join(", ")}` : "clicks: every redirect answered was stored (cases that record clicks)");
  // Issue 14's goals, from this run's own references (cases of several rounds: summed).
  const rust = summed(RUST_REF);
  const prod = summed(PRODUCTION);
  const limiterOff = summed(LIMITER_OFF);
  if (rust && prod) console.log(`production redirect / Rust reference: ${(prod.rps / rust.rps).toFixed(2)}x req/s (goal >= 0.9), ${(prod.cpuUs / rust.cpuUs).toFixed(2)}x CPU per request (goal <= 1.15)`);
  const clickRef = summed(CLICK_REF);
  if (rust && clickRef) console.log(`the click's reads in Rust / Rust reference: ${(clickRef.rps / rust.rps).toFixed(2)}x req/s, ${(clickRef.cpuUs / rust.cpuUs).toFixed(2)}x CPU (the runtime's price of a click's data)`);
  if (clickRef && prod) console.log(`production redirect / the click's reads in Rust: ${(prod.rps / clickRef.rps).toFixed(2)}x req/s, ${(prod.cpuUs / clickRef.cpuUs).toFixed(2)}x CPU per request (this worker's own code)`);
  if (rust && one(HEALTH)) console.log(`GET /health / Rust reference: ${(one(HEALTH).rps / rust.rps).toFixed(2)}x req/s (goal >= 0.95), ${(one(HEALTH).cpuUs / rust.cpuUs).toFixed(2)}x CPU`);
  if (one(HEALTH_REF) && one(HEALTH)) console.log(`GET /health / the Rust reference's same body: ${(one(HEALTH).rps / one(HEALTH_REF).rps).toFixed(2)}x req/s, ${(one(HEALTH).cpuUs / one(HEALTH_REF).cpuUs).toFixed(2)}x CPU`);
  if (prod && limiterOff) console.log(`redirect limiter on / off, 1,000 clients, over the rounds: ${(prod.rps / limiterOff.rps).toFixed(3)} req/s (goal >= 0.90), CPU per request ${(limiterOff.cpuUs / prod.cpuUs).toFixed(3)} off / on`);
  const kv = summed(KV);
  const kvFloorRps = summed(KV_ROUND_FLOOR)?.rps ?? floorRps;
  if (kv) console.log(`redirect from KV / floor, over the rounds: ${(kv.rps / kvFloorRps).toFixed(2)}x (goal >= 0.35)`);
  // Production's topology (the visitor's worker in front).
  const prodSplit = summed(PRODUCTION_SPLIT);
  if (rust && prodSplit) console.log(`production redirect, the visitor's worker / Rust reference: ${(prodSplit.rps / rust.rps).toFixed(2)}x req/s (goal >= 0.9), ${(prodSplit.cpuUs / rust.cpuUs).toFixed(2)}x CPU per request (goal <= 1.15); against the whole worker alone ${(prodSplit.rps / prod.rps).toFixed(2)}x req/s`);
  if (rust && one(HEALTH_SPLIT)) console.log(`GET /health of the visitor's worker / Rust reference: ${(one(HEALTH_SPLIT).rps / rust.rps).toFixed(2)}x req/s (goal >= 0.95), ${(one(HEALTH_SPLIT).cpuUs / rust.cpuUs).toFixed(2)}x CPU; / the same body from Rust: ${one(HEALTH_REF) ? (one(HEALTH_SPLIT).rps / one(HEALTH_REF).rps).toFixed(2) : "n/a"}x`);
  const kvJs = summed(KV_FLOOR);
  if (kv && kvJs) console.log(`the KV floor (JS, one KV read) / floor: ${(kvJs.rps / kvFloorRps).toFixed(2)}x; redirect from KV / the KV floor: ${(kv.rps / kvJs.rps).toFixed(2)}x req/s, ${(kv.cpuUs / kvJs.cpuUs).toFixed(2)}x CPU`);
  for (const [ours, floor] of [[LIST, D1_FLOOR_LIST], [SEARCH, D1_FLOOR_SEARCH]]) {
    if (one(ours) && one(floor)) console.log(`${ours} / the D1 floor: ${(one(ours).rps / one(floor).rps).toFixed(2)}x req/s (the D1 floor ${one(floor).rps.toFixed(0)} req/s)`);
  }
  const kvRust = summed(KV_RUST_REF);
  if (kvRust) console.log(`the KV read and the click's reads in Rust / floor, over the rounds: ${(kvRust.rps / kvFloorRps).toFixed(2)}x`);
  for (const [name, ours] of [[KV, kv], [KV_SINK, summed(KV_SINK)]]) {
    if (ours && kvRust) console.log(`${name} / floor: ${(ours.rps / kvFloorRps).toFixed(2)}x (goal >= 0.35); / the KV read and the click's reads in Rust: ${(ours.rps / kvRust.rps).toFixed(2)}x req/s, ${(ours.cpuUs / kvRust.cpuUs).toFixed(2)}x CPU (this worker's own code)`);
  }
  if (one(KV_SPLIT)) console.log(`redirect from KV, the visitor's worker / floor: ${(one(KV_SPLIT).rps / kvFloorRps).toFixed(2)}x (goal >= 0.35)`);
  const rps = (name) => results.filter((r) => r.name.startsWith(name)).reduce((a, r) => a + r.rps, 0);
  const off = rps("redirect from memory, click analytics off");
  const paused = rps("redirect from memory, click analytics on, consumer paused");
  const running = rps("redirect from memory, click analytics on, consumer running");
  if (off && paused && running) {
    const rounds = results.filter((r) => r.name.startsWith("redirect from memory, click analytics off")).length;
    console.log(`redirect from memory: ${(off / rounds / floorRps).toFixed(2)}x the floor with analytics off (target >= 0.8x)`);
    console.log(`click analytics on / off, the redirect path (consumer paused): ${(paused / off).toFixed(3)} (target >= 0.90)`);
    console.log(`click analytics on / off, with the consumer on the same 2 cores: ${(running / off).toFixed(3)}`);
    // CPU per request of the worker process: what the machine's scheduling noise leaves alone.
    const cpu = (name) => {
      const rs = results.filter((r) => r.name.startsWith(name) && Number.isFinite(r.cpuUs));
      return rs.reduce((a, r) => a + r.cpuUs * r.requests, 0) / rs.reduce((a, r) => a + r.requests, 0);
    };
    const cpuOff = cpu("redirect from memory, click analytics off");
    console.log(`worker CPU per redirect: ${cpuOff.toFixed(0)} µs off, ${cpu("redirect from memory, click analytics on, consumer paused").toFixed(0)} µs on (queue only), ${cpu("redirect from memory, click analytics on, consumer running").toFixed(0)} µs on (with the consumer and D1)`);
    console.log(`CPU ratio off / on: ${(cpuOff / cpu("redirect from memory, click analytics on, consumer paused")).toFixed(3)} (queue only), ${(cpuOff / cpu("redirect from memory, click analytics on, consumer running")).toFixed(3)} (with the consumer)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
