// A V8 CPU profile of the worker under load: workerd's inspector (miniflare's inspectorPort),
// the DevTools protocol's Profiler, wrk on loopback for PROFILE_SECONDS per case. Prints the
// functions with the most self time (Rust functions by name: the wasm keeps its name
// section), grouped as wasm (this worker's Rust), JS (the workers-rs glue and shim), the
// runtime's own ("(program)", "(garbage collector)") and idle.
//   node bench/profile.mjs   (after scripts/build.sh; scripts/bench.sh profile)
import { cp, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { api, createLink, d1, startWorker } from "../tests/harness.mjs";
import { BENCH_USER, LIST_SEED, createLua, getLua, startRustReference, wrk } from "./load.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);
const TOP = Number(process.env.PROFILE_TOP ?? 20);
// PROFILE_CASES=redirect,health,reference (the default), click (the Rust reference's /click: a
// click's runtime reads and the four headers), create, kv, list, search: which cases to profile.
const CASES = (process.env.PROFILE_CASES ?? "redirect,health,reference").split(",");
// PROFILE_SAVE=<dir>: also writes each case's raw profile there (`<case>.cpuprofile`, which
// Chrome's DevTools opens), to follow a function's callers.
const SAVE = process.env.PROFILE_SAVE;
const log = (msg) => process.stderr.write(`profile: ${msg}\n`);

const BROWSER = `wrk.headers["user-agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"`;
const MANY_CLIENTS = `${BROWSER}
math.randomseed(os.time())
function request()
  wrk.headers["cf-connecting-ip"] = "198.18." .. math.random(0, 3) .. "." .. math.random(0, 249)
  return wrk.format("GET")
end`;

function json(url) {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.on("data", (d) => (body += d)).on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

/** A DevTools protocol session with the worker's isolate. */
async function session(port) {
  const targets = await json(`http://127.0.0.1:${port}/json`);
  const target = targets.find((t) => t.title?.includes("uload-edge") || t.id?.includes("uload-edge")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => ws.once("open", r).once("error", j));
  let id = 0;
  const waiting = new Map();
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      id += 1;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** Self time per function of a Profiler profile, largest first, with the total. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((nodeId, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const f = byId.get(nodeId).callFrame;
    const kind = f.url.includes(".wasm") || f.url.startsWith("wasm://") ? "wasm" : f.url ? "js" : "runtime";
    const key = `${kind}\t${f.functionName || "(anonymous)"}${kind === "js" ? ` ${f.url.split("/").pop()}:${f.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]), inclusive: inclusiveTimes(profile, byId) };
}

/** Inclusive time (self and callees) of this worker's own Rust functions (`uload_edge::`,
 * `uload_core::`), each counted once per sample however deep it recurses: where a request's
 * time goes, by the code that spends it. */
function inclusiveTimes(profile, byId) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = (name) => /^<?uload_(edge|core)::/.test(name);
  const short = (name) => name.replace(/::h[0-9a-f]{16}$/, "").replace(/::\{\{closure\}\}/g, "");
  const inclusive = new Map();
  profile.samples.forEach((nodeId, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set();
    for (let id = nodeId; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id).callFrame.functionName;
      if (ours(name)) seen.add(short(name));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
  });
  return [...inclusive].sort((a, b) => b[1] - a[1]);
}

async function profileCase(name, w, port, url, lua) {
  const s = await session(port);
  try {
    await s.send("Profiler.enable");
    await s.send("Profiler.setSamplingInterval", { interval: 200 });
    await s.send("Profiler.start");
    log(`${name}: ${SECONDS} s`);
    const r = await wrk(url, { lua, seconds: SECONDS });
    const { profile } = await s.send("Profiler.stop");
    if (SAVE) await writeFile(join(SAVE, `${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.cpuprofile`), JSON.stringify(profile));
    const { total, rows, inclusive } = selfTimes(profile);
    const busy = rows.filter(([k]) => !k.endsWith("(idle)")).reduce((a, [, t]) => a + t, 0);
    const kinds = {};
    for (const [k, t] of rows) {
      const kind = k.endsWith("(idle)") ? "idle" : k.split("\t")[0];
      kinds[kind] = (kinds[kind] ?? 0) + t;
    }
    const pct = (t) => `${((100 * t) / busy).toFixed(1)}%`;
    console.log(`\n### ${name}: ${r.rps.toFixed(0)} req/s under the profiler, ${r.requests} requests\n`);
    console.log(`Busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (${(busy / r.requests).toFixed(0)} µs of isolate time per request): wasm ${pct(kinds.wasm ?? 0)}, JS ${pct(kinds.js ?? 0)}, runtime ${pct(kinds.runtime ?? 0)} of the busy time.\n`);
    console.log("| self time (% of busy) | µs per request | where | function |\n|---:|---:|---|---|");
    for (const [k, t] of rows.filter(([k]) => !k.endsWith("(idle)")).slice(0, TOP)) {
      const [kind, fn] = k.split("\t");
      console.log(`| ${pct(t)} | ${(t / r.requests).toFixed(1)} | ${kind} | \`${fn.replace(/\|/g, "\\|").slice(0, 120)}\` |`);
    }
    console.log("\nInclusive time of this worker's own functions (self and everything they call):\n");
    console.log("| inclusive (% of busy) | µs per request | function |\n|---:|---:|---|");
    for (const [fn, t] of inclusive.slice(0, TOP)) {
      console.log(`| ${pct(t)} | ${(t / r.requests).toFixed(1)} | \`${fn.replace(/\|/g, "\\|").slice(0, 120)}\` |`);
    }
  } finally {
    s.close();
  }
}

async function main() {
  const port = 9229 + Math.floor(Math.random() * 500);
  // Production defaults: analytics on, the redirect limiter at 300 a minute per address.
  // The build with the wasm's name section (build/symbols), so Rust functions show by name.
  const buildDir = await mkdtemp(join(tmpdir(), "uload-profile-"));
  await cp(join(ROOT, "build"), buildDir, { recursive: true });
  await copyFile(join(ROOT, "build", "symbols", "index_bg.wasm"), join(buildDir, "index_bg.wasm"));
  const w = await startWorker({ buildDir, bindings: { RATE_REDIRECT_LIMIT: "300", RATE_REDIRECT_WINDOW_SECONDS: "60" }, overrides: { inspectorPort: port } });
  try {
    if ((await createLink(w, { url: "https://example.com/landing", code: "bench" })).status !== 201) throw new Error("seeding");
    await w.fetch("/bench");
    if (CASES.includes("redirect")) await profileCase("hot redirect, production defaults, 1,000 client addresses", w, port, new URL("/bench", w.url).href, MANY_CLIENTS);
    if (CASES.includes("health")) await profileCase("GET /health", w, port, new URL("/health", w.url).href, BROWSER);
    if (CASES.includes("create")) {
      if ((await api(w, "PUT", `/api/v1/users/${BENCH_USER}`, { body: { username: "bench" } })).status !== 201) throw new Error("user");
      const lua = createLua(w.token);
      await profileCase("link creation (POST /api/v1/links with a tag)", w, port, new URL("/api/v1/links", w.url).href, lua);
    }
    if (CASES.includes("list") || CASES.includes("search")) {
      // The bench's large account: 10,000 links of one user.
      if ((await api(w, "PUT", `/api/v1/users/${BENCH_USER}`, { body: { username: "bench" } })).status !== 201) throw new Error("user");
      await (await d1(w)).prepare(LIST_SEED).run();
      const lua = getLua(w.token);
      if (CASES.includes("list")) await profileCase("list: first page of 20 of 10,000 links", w, port, new URL("/api/v1/links?limit=20", w.url).href, lua);
      if (CASES.includes("search")) await profileCase("list: search 'number 99' in 10,000 links", w, port, new URL("/api/v1/links?limit=20&q=number%2099", w.url).href, lua);
    }
    if (CASES.includes("kv")) {
      // The memory layer off: every redirect reads KV (miniflare's local KV).
      const cold = await startWorker({ buildDir, bindings: { RATE_REDIRECT_LIMIT: "300", RATE_REDIRECT_WINDOW_SECONDS: "60", MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" }, overrides: { inspectorPort: port + 2 } });
      try {
        if ((await createLink(cold, { url: "https://example.com/landing", code: "bench" })).status !== 201) throw new Error("seeding");
        await cold.fetch("/bench");
        await profileCase("redirect from KV (memory layer off), production defaults, 1,000 client addresses", cold, port + 2, new URL("/bench", cold.url).href, MANY_CLIENTS);
      } finally {
        await cold.stop();
      }
    }
    if (!CASES.includes("reference") && !CASES.includes("click")) return;
    // The reference: a constant 302 through workers-rs (bench/rust-floor, built by
    // scripts/bench.sh), under the same profiler: the runtime's and Rust's own share of a
    // request, which no code of this worker can remove.
    const refPort = port + 1;
    const { mf: ref, url } = await startRustReference({ inspectorPort: refPort });
    try {
      if (CASES.includes("reference")) await profileCase("reference: minimal workers-rs worker, constant 302", null, refPort, url, BROWSER);
      // The runtime calls a counted redirect cannot do without, and nothing else.
      if (CASES.includes("click")) await profileCase("reference: workers-rs worker, a click's reads + 302 with four headers", null, refPort, new URL("/click", url).href, MANY_CLIENTS);
    } finally {
      await ref.dispose();
    }
  } finally {
    await w.stop();
    await rm(buildDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
