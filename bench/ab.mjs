// A/B bench of two builds of the worker in one run: `node bench/ab.mjs <other build dir>`
// (e.g. a worktree of an earlier commit, built with scripts/build.sh) against this tree's
// build/. The machine drifts by 10-25% between runs, so comparing two separate bench runs
// says little; here both builds run side by side, case by case, in alternating order
// (A B, then B A, …) for BENCH_ROUNDS rounds, next to the JS floor, and each case's ratio
// B/A is taken over the sums of its rounds. Production defaults: analytics on and the
// redirect limiter on (1,000 client addresses).
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, d1, startWorker } from "../tests/harness.mjs";
import { BENCH_USER, LIST_SEED, MANY_CLIENTS, cpuSeconds, createLua, getLua, pidOf, wrk as load, SECONDS } from "./load.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = 2;
// With the CPU per request of the worker's process (workerd's own, from /proc): steadier
// than req/s on a noisy machine.
const wrk = async (url, lua) => {
  const pid = await pidOf(url);
  const before = cpuSeconds(pid);
  const r = await load(url, { lua, connections: 50, threads: THREADS });
  return { ...r, cpuUs: ((cpuSeconds(pid) - before) * 1e6) / r.requests };
};
const log = (msg) => process.stderr.write(`ab: ${msg}\n`);
const BROWSER = `wrk.headers["user-agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"`;
// Each wrk thread walks its own codes, from `offset` on: every request a KV miss.
const uniquePaths = (prefix, offset) => `
local n = 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) n = tonumber(tid) + ${offset} end
function request() n = n + ${THREADS}; return wrk.format("GET", "/${prefix}" .. n) end`;

const USER = BENCH_USER;

/** A link made through the API (not the harness's `api`: an older build need not match today's document). */
async function seedLink(w, label, body) {
  const res = await w.fetch("/api/v1/links", {
    method: "POST",
    headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`${label}: seeding ${body.code} failed: ${res.status} ${await res.text()}`);
}

async function builds(dirs, originUrl) {
  const out = [];
  for (const [label, buildDir] of dirs) {
    // With an origin (a stand-in for uLoad's app) for the pass-through case.
    const hot = await startWorker({ buildDir, bindings: { ORIGIN_URL: originUrl } });
    const cold = await startWorker({ buildDir, bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    for (const w of [hot, cold]) await seedLink(w, label, { url: "https://example.com/landing", code: "bench" });
    // A password link (visited with its unlock cookie) and a targeted link, as bench/run.mjs's.
    await seedLink(hot, label, { url: "https://example.com/secret", code: "benchpw", password: "bench" });
    const unlock = await hot.fetch("/benchpw", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "password=bench" });
    const pwCookie = (unlock.headers.get("set-cookie") ?? "").split(";")[0];
    if (!pwCookie) throw new Error(`${label}: could not unlock the password link`);
    await seedLink(hot, label, { url: "https://example.com/", code: "benchgeo", ios_url: "https://apps.apple.com/x", android_url: "https://play.google.com/x", geo: { DE: "https://example.com/de" } });
    // Links only D1 knows, so every request of the D1 case is a KV miss.
    await (await d1(cold))
      .prepare(
        `INSERT INTO links (id, domain, code, url, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
         SELECT 'bench' || i, '', 'm' || i, 'https://example.com/p/' || i, 'now', 'now' FROM n`,
      )
      .run();
    await hot.fetch("/bench");
    // The user the creation case creates links for.
    const user = await hot.fetch(`/api/v1/users/${USER}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${hot.token}`, "content-type": "application/json" },
      body: JSON.stringify({ username: "bench" }),
    });
    if (user.status !== 201) throw new Error(`${label}: user: ${user.status}`);
    // 10,000 links of that user (a large uLoad account), for the list cases.
    await (await d1(hot)).prepare(LIST_SEED).run();
    out.push({ label, hot, cold, pwCookie });
  }
  return out;
}

async function main() {
  const other = process.argv[2];
  if (!other) throw new Error("usage: node bench/ab.mjs <build dir of the other version>");
  const started = [];
  try {
    const floor = new Miniflare({ modules: true, scriptPath: join(ROOT, "bench", "floor.mjs"), compatibilityDate: "2026-04-20", host: "127.0.0.1", port: 0, cf: false });
    started.push({ stop: () => floor.dispose() });
    const floorUrl = (await floor.ready).href;
    log(`starting A (${resolve(other)}) and B (${join(ROOT, "build")})`);
    // A stand-in for uLoad's SvelteKit app: a constant page.
    const app = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>uLoad</title><h1>About uLoad</h1>");
    });
    await new Promise((r) => app.listen(0, "127.0.0.1", r));
    started.push({ stop: () => new Promise((r) => app.close(r)) });
    const [a, b] = await builds([["A", resolve(other)], ["B", join(ROOT, "build")]], `http://127.0.0.1:${app.address().port}`);
    started.push(a.hot, a.cold, b.hot, b.cold);
    const cases = [
      ["hot redirect, production defaults (analytics, limiter), 1,000 clients", (v) => wrk(new URL("/bench", v.hot.url).href, MANY_CLIENTS)],
      ["hot redirect, browser User-Agent, one client", (v) => wrk(new URL("/bench", v.hot.url).href, BROWSER)],
      ["GET /health", (v) => wrk(new URL("/health", v.hot.url).href)],
      ["redirect from KV (memory layer off)", (v) => wrk(new URL("/bench", v.cold.url).href)],
      ["redirect after a KV miss (D1)", (v, round) => wrk(v.cold.url, uniquePaths("m", round * 50_000))],
      ["link creation (POST /api/v1/links with a tag)", (v) => wrk(new URL("/api/v1/links", v.hot.url).href, createLua(v.hot.token))],
      ["list: first page of 20 of 10,000 links", (v) => wrk(new URL("/api/v1/links?limit=20", v.hot.url).href, getLua(v.hot.token))],
      ["list: search 'number 99' in 10,000 links", (v) => wrk(new URL("/api/v1/links?limit=20&q=number%2099", v.hot.url).href, getLua(v.hot.token))],
      // The rest of bench/run.mjs's cases, so that every case has its ratio before and after.
      ["password link, unlocked (cookie verified by HMAC)", (v) => wrk(new URL("/benchpw", v.hot.url).href, `wrk.headers["cookie"] = "${v.pwCookie}"`)],
      ["targeted link (iPhone User-Agent)", (v) => wrk(new URL("/benchgeo", v.hot.url).href, `wrk.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"`)],
      ["origin pass-through (GET /about proxied to the app)", (v) => wrk(new URL("/about", v.hot.url).href)],
      ["list: page of 20 sorted by clicks", (v) => wrk(new URL("/api/v1/links?limit=20&sort=clicks", v.hot.url).href, getLua(v.hot.token))],
    ];
    // AB_CASES=0,2 runs a subset.
    const only = process.env.AB_CASES?.split(",").map(Number);
    const sums = cases.map(() => ({ A: 0, B: 0, cpuA: 0, cpuB: 0, nA: 0, nB: 0 }));
    let floorSum = 0;
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}: floor`);
      floorSum += (await wrk(floorUrl)).rps;
      for (const [i, [name, run]] of cases.entries()) {
        if (only && !only.includes(i)) continue;
        const order = round % 2 ? [b, a] : [a, b];
        for (const v of order) {
          log(`round ${round + 1}: ${name}, ${v.label} (${SECONDS} s)`);
          const { rps, cpuUs, requests } = await run(v, round);
          log(`  ${rps.toFixed(0)} req/s, ${cpuUs.toFixed(0)} µs CPU a request`);
          sums[i][v.label] += rps;
          sums[i][`cpu${v.label}`] += cpuUs * requests;
          sums[i][`n${v.label}`] += requests;
        }
      }
    }
    console.log(`A: ${resolve(other)}\nB: ${join(ROOT, "build")}\n${ROUNDS} rounds of ${SECONDS} s, alternating order; req/s summed over the rounds\n`);
    console.log("| case | A req/s | B req/s | B / A | A / floor | B / floor | A CPU µs | B CPU µs | CPU B / A |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const [i, [name]] of cases.entries()) {
      if (only && !only.includes(i)) continue;
      const { A, B, cpuA, cpuB, nA, nB } = sums[i];
      const [ca, cb] = [cpuA / nA, cpuB / nB];
      console.log(`| ${name} | ${(A / ROUNDS).toFixed(0)} | ${(B / ROUNDS).toFixed(0)} | ${(B / A).toFixed(3)} | ${(A / floorSum).toFixed(2)}x | ${(B / floorSum).toFixed(2)}x | ${ca.toFixed(0)} | ${cb.toFixed(0)} | ${(cb / ca).toFixed(3)} |`);
    }
    console.log(`\nfloor (JS worker, constant 302): ${(floorSum / ROUNDS).toFixed(0)} req/s`);
  } finally {
    await Promise.allSettled(started.map((w) => w.stop()));
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
