// What both bench scripts need: wrk runs (from a separate process, on loopback) and the
// workerd process behind a port, found by `ss`, for its CPU and memory from /proc.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";

export const run = promisify(execFile);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
// wrk's Lua scripts go to a scratch folder made at the first one (importing this module, as
// the bench-references test does, leaves nothing behind).
let scratch;

/**
 * Runs wrk for `seconds` (SECONDS unless given); `lua` is an optional script body. Returns { requests, rps, p50,
 * p99 (ms), mbps (MiB/s), errors (non-2xx/3xx answers and socket errors) }.
 */
export async function wrk(url, { lua, connections = 50, threads = 2, timeout = "10s", seconds = SECONDS } = {}) {
  const args = [`-t${Math.min(threads, connections)}`, `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", timeout];
  if (lua) {
    scratch ??= mkdtempSync(join(tmpdir(), "uload-bench-"));
    const file = join(scratch, `s${Math.random().toString(36).slice(2)}.lua`);
    writeFileSync(file, lua);
    args.push("-s", file);
  }
  const { stdout } = await run("wrk", [...args, url], { timeout: (seconds + 60) * 1000 });
  const num = (re) => Number((stdout.match(re) ?? [])[1] ?? NaN);
  const ms = (re) => {
    const m = stdout.match(re);
    return m ? { us: Number(m[1]) / 1000, ms: Number(m[1]), s: Number(m[1]) * 1000 }[m[2]] : NaN;
  };
  const transfer = stdout.match(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const sockErr = stdout.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  // Which errors, said where they happen: a table's count alone does not tell a refused
  // answer from a dropped connection.
  if (non2xx || sockErr) process.stderr.write(`wrk: ${url}: ${non2xx} non-2xx/3xx answers${sockErr ? `, ${sockErr[0].toLowerCase()}` : ""}\n`);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99: ms(/99%\s+([\d.]+)(us|ms|s)/),
    mbps: transfer ? Number(transfer[1]) * { B: 1 / 2 ** 20, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer[2]] : NaN,
    errors: non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
    stdout,
  };
}

/** The process listening on `url`'s port, or undefined. */
export async function pidOf(url) {
  const port = new URL(url).port;
  const { stdout } = await run("ss", ["-ltnpH", `sport = :${port}`]).catch(() => ({ stdout: "" }));
  const m = stdout.match(/pid=(\d+)/);
  return m ? Number(m[1]) : undefined;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in 1/100 s
  } catch {
    return NaN;
  }
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid) {
  return Number((readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/) ?? [])[1]) / 1024;
}

/** The user whose links the API cases create and list. */
// Every request from one of 1,000 addresses: the redirect limiter keeps state per client.
export const MANY_CLIENTS = `
math.randomseed(os.time())
function request()
  wrk.headers["cf-connecting-ip"] = "198.18." .. math.random(0, 3) .. "." .. math.random(0, 249)
  return wrk.format("GET")
end`;

/** Miniflare's module rules for a worker-build output (its shim and its wasm). */
export const BUILD_MODULE_RULES = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

export const BENCH_USER = "benchuser000001";

/** wrk script bodies of the API cases: creating a link (with a tag), and a GET as that user. */
/** The bench's large account: 10,000 links of BENCH_USER (who must exist), titled "Item
 * number i", one second apart, newest first by i, for the list and search cases. */
export const LIST_SEED = `INSERT INTO links (id, domain, code, url, title, user_id, click_count, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
  SELECT 'list' || i, '', 'l' || i, 'https://example.com/item/' || i, 'Item number ' || i, '${BENCH_USER}',
         i % 97, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || i || ' seconds'),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || i || ' seconds') FROM n`;

export const createLua = (token) => `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${token}"
wrk.headers["x-uload-user"] = "${BENCH_USER}"
wrk.body = '{"url":"https://example.com/landing?utm_source=bench","title":"Bench","tags":["bench"]}'`;
export const getLua = (token) => `
wrk.headers["authorization"] = "Bearer ${token}"
wrk.headers["x-uload-user"] = "${BENCH_USER}"`;

/**
 * Starts the second reference, a constant 302 through workers-rs (bench/rust-floor, built by
 * scripts/bench.sh), in its own workerd. `options`: more Miniflare options (an inspector port).
 */
export async function startRustReference(options = {}) {
  const dir = join(import.meta.dirname, "rust-floor", "build");
  const mf = new Miniflare({
    modules: true,
    modulesRoot: dir,
    scriptPath: join(dir, "worker", "shim.mjs"),
    modulesRules: BUILD_MODULE_RULES,
    compatibilityDate: "2026-04-20",
    host: "127.0.0.1",
    port: 0,
    cf: false,
    ...options,
  });
  return { mf, url: (await mf.ready).href };
}
