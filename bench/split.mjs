// The split worker (issue 14): what the visitor's worker (build-visitor/, the crate without
// its `api` feature) saves against the whole worker (build/), measured in one run:
//   1. the modules' sizes, raw and gzipped;
//   2. a cold start in workerd: a fresh workerd with the one module, until its first answer
//      to /health, against the same for the JS floor (workerd's own start-up), interleaved
//      (node's own V8 cannot compile these modules: they use wasm exception handling);
//   3. the hot redirect with production defaults (analytics and the redirect limiter on,
//      1,000 clients): the whole worker alone against the pair (the visitor's worker in
//      front, which serves it), in alternating order.
// `node bench/split.mjs` (after scripts/build.sh and scripts/build.sh visitor).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { ROOT, startWorker } from "../tests/harness.mjs";
import { BUILD_MODULE_RULES, MANY_CLIENTS, SECONDS, cpuSeconds, pidOf, wrk } from "./load.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STARTS = Number(process.env.SPLIT_STARTS ?? 8);
const log = (msg) => process.stderr.write(`split: ${msg}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const MODULES = [
  ["whole", join(ROOT, "build")],
  ["visitor", join(ROOT, "build-visitor")],
];

function sizes() {
  console.log("| module | raw bytes | gzip -9 bytes |\n|---|---:|---:|");
  for (const [label, dir] of MODULES) {
    const bytes = readFileSync(join(dir, "index_bg.wasm"));
    console.log(`| ${label} | ${bytes.length.toLocaleString("en")} | ${gzipSync(bytes, { level: 9 }).length.toLocaleString("en")} |`);
  }
}

/** ms from a new workerd with this worker until its first answer to /health. */
async function coldStart(options) {
  const t = performance.now();
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, cf: false, compatibilityDate: "2026-04-20", ...options });
  try {
    const url = await mf.ready;
    const res = await fetch(new URL("/health", url), { redirect: "manual" });
    await res.arrayBuffer();
    if (res.status !== 200 && res.status !== 302) throw new Error(`answered ${res.status}`);
    return performance.now() - t;
  } finally {
    await mf.dispose();
  }
}

async function coldStarts() {
  const candidates = [
    ["JS floor", { modules: true, scriptPath: join(ROOT, "bench", "floor.mjs") }],
    ...MODULES.map(([label, dir]) => [
      label,
      {
        modules: true,
        modulesRoot: dir,
        scriptPath: join(dir, "worker", "shim.mjs"),
        modulesRules: BUILD_MODULE_RULES,
      },
    ]),
  ];
  const times = Object.fromEntries(candidates.map(([label]) => [label, []]));
  for (let i = 0; i < STARTS; i++) {
    log(`cold starts, round ${i + 1} of ${STARTS}`);
    for (const [label, options] of i % 2 ? [...candidates].reverse() : candidates) times[label].push(await coldStart(options));
  }
  const floor = median(times["JS floor"]);
  console.log(`\nworkerd from start to its first answer to /health, median of ${STARTS}, interleaved:\n`);
  console.log("| worker | ms | minus the JS floor's |\n|---|---:|---:|");
  for (const [label] of candidates) console.log(`| ${label} | ${median(times[label]).toFixed(0)} | ${(median(times[label]) - floor).toFixed(0)} |`);
}

async function hotRedirects() {
  const setups = [];
  try {
    for (const [label, split] of [["whole worker alone", false], ["visitor's worker in front", true]]) {
      const w = await startWorker({ split, bindings: { RATE_REDIRECT_LIMIT: "300", RATE_REDIRECT_WINDOW_SECONDS: "60" } });
      setups.push({ label, w });
      const res = await w.fetch("/api/v1/links", {
        method: "POST",
        headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
        body: JSON.stringify({ url: "https://example.com/landing", code: "bench" }),
      });
      if (res.status !== 201) throw new Error(`${label}: seeding failed: ${res.status}`);
      await w.fetch("/bench");
    }
    const sums = Object.fromEntries(setups.map(({ label }) => [label, { rps: 0, cpu: 0, requests: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { label, w } of round % 2 ? [...setups].reverse() : setups) {
        log(`round ${round + 1} of ${ROUNDS}: hot redirect, ${label} (${SECONDS} s)`);
        const pid = await pidOf(w.url);
        const before = cpuSeconds(pid);
        const r = await wrk(new URL("/bench", w.url).href, { lua: MANY_CLIENTS });
        if (r.errors) log(`  ${r.errors} errors (non-3xx answers, socket errors)`);
        sums[label].rps += r.rps;
        sums[label].cpu += cpuSeconds(pid) - before;
        sums[label].requests += r.requests;
      }
    }
    console.log(`\nhot redirect, production defaults (analytics, limiter), 1,000 clients, ${ROUNDS} rounds of ${SECONDS} s, alternating:\n`);
    console.log("| setup | req/s | CPU per request (µs, the workerd process) |\n|---|---:|---:|");
    for (const { label } of setups) {
      const s = sums[label];
      console.log(`| ${label} | ${(s.rps / ROUNDS).toFixed(0)} | ${((s.cpu / s.requests) * 1e6).toFixed(0)} |`);
    }
  } finally {
    await Promise.allSettled(setups.map(({ w }) => w.stop()));
  }
}

async function main() {
  sizes();
  await coldStarts();
  await hotRedirects();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
