// Test harness: runs the built worker (build/) in workerd through miniflare's API, with the
// bindings wrangler.toml declares (read by wrangler itself, so tests and `wrangler dev`
// cannot drift apart), real local KV and D1 on disk in a fresh directory per worker, and
// the D1 migrations applied by `wrangler d1 migrations apply --local`.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after } from "node:test";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { conforms } from "./openapi.mjs";
import { BROKEN_D1, BROKEN_KV, FLAKY_D1 } from "./wiring.mjs";

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

let template; // one migrated state per test process, copied for each worker
async function migratedTemplate() {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "uload-template-"));
    await run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
    });
    return dir;
  })();
  return template;
}

const started = new Set();
async function stopAll() {
  await Promise.allSettled([...started].map((w) => w.stop()));
}
// After the last test of a file (also a failed one): workerd's child process would keep
// node's event loop, and the test run, alive.
if (process.env.NODE_TEST_CONTEXT) after(stopAll);
process.once("beforeExit", stopAll);
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => stopAll().then(() => process.exit(130)));

// wrangler.toml's top level is production's: the tests run with local values instead.
export const LOCAL_VARS = {
  SHORT_BASE_URL: "http://127.0.0.1:8787",
  ALLOWED_ORIGINS: "http://localhost:5173",
  ORIGIN_URL: "",
};

/**
 * The vars a test worker starts with: wrangler.toml's own, then the local values. Never a
 * developer's .dev.vars or .env (wrangler would read them): tests give the same result on
 * every machine, whatever the developer points their local worker at.
 */
export function configuredVars(configPath = join(ROOT, "wrangler.toml")) {
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  return { ...config.vars, ...LOCAL_VARS };
}

// Tests that are not about rate limits must not trip them: they get limits no test reaches.
const GENEROUS_LIMITS = Object.fromEntries(
  ["API", "DASHBOARD", "CREATE", "PASSWORD", "PASSWORD_LINK", "PASSWORD_DAILY", "FAILURE", "REDIRECT"].map((s) => [`RATE_${s}_LIMIT`, "1000000"]),
);

/**
 * Starts the worker. `bindings` override wrangler.toml's vars (test-only wiring).
 * `state`: { dir, token, cookieSecret } of an earlier worker to start again on its persisted
 * state (a restart). `brokenLimiter`: the LIMITER binding points at an object that always
 * throws (the limiter is unreachable); `brokenCounter` the same for the click counter (a
 * string: what it throws). `brokenShards: [i]`: those shards of the click counters cannot be
 * reached. `flakyD1: { match, times, delayMs }`: D1 batches whose SQL
 * contains `match` fail `times` times. `overrides`: miniflare worker options replaced whole.
 * `extraWorkers`: more miniflare workers beside it (e.g. a stand-in queue consumer); or a
 * function of { d1 } (the worker's D1 database id) returning them, to share its D1.
 * `split`: production's topology, the visitor's worker (wrangler.visitor.toml, built into
 * build-visitor/) in front of the whole worker, which it reaches through its API service
 * binding and whose objects it binds; `url` is then the visitor's, and `visitorOverrides`
 * replaces its miniflare options (e.g. an API binding to a worker that is down). The other
 * wiring options apply to the whole worker.
 * Returns { url, token, fetch(path, init), mf, stop({ keepState }) }.
 */
export async function startWorker({ bindings = {}, state, brokenLimiter = false, brokenCounter = false, brokenShards = [], broken = [], flakyD1, overrides = {}, extraWorkers = [], buildDir = join(ROOT, "build"), split = false, visitorOverrides = {} } = {}) {
  // envFiles: a file that does not exist, so that wrangler reads no .dev.vars or .env.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"), undefined, {
    envFiles: [join(ROOT, "tests", "no-such.env")],
  });
  const dir = state?.dir ?? (await mkdtemp(join(tmpdir(), "uload-worker-")));
  if (!state) await cp(await migratedTemplate(), dir, { recursive: true });
  const token = state?.token ?? randomBytes(32).toString("base64url");
  const cookieSecret = state?.cookieSecret ?? randomBytes(24).toString("hex");
  const analyticsSalt = state?.analyticsSalt ?? randomBytes(24).toString("hex");
  const adminToken = state?.adminToken ?? randomBytes(32).toString("base64url");
  let logText = "";
  const main = {
    ...workerOptions,
    name: "uload-edge",
    modules: true,
    modulesRoot: buildDir,
    scriptPath: join(buildDir, "worker", "shim.mjs"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    // Each worker gets its own secrets, whatever the developer's .dev.vars holds.
    bindings: { ...configuredVars(), ...GENEROUS_LIMITS, SERVICE_TOKEN: token, COOKIE_SECRET: cookieSecret, ANALYTICS_SALT: analyticsSalt, METRICS_TOKEN: token, ADMIN_TOKEN: adminToken, ...bindings },
    durableObjects: {
      ...workerOptions.durableObjects,
      ...(brokenLimiter ? { LIMITER: { className: "RateLimiter", scriptName: "broken-objects" } } : {}),
      ...(brokenCounter ? { CLICKS: { className: "ClickCounter", scriptName: "broken-objects" } } : {}),
      ...(brokenShards.length ? { CLICK_SHARDS: { className: "ClickShard", scriptName: "shard-proxy" } } : {}),
    },
  };
  // `overrides`: options of the worker replaced as a whole (e.g. no queue binding).
  Object.assign(main, overrides);
  const shared = {
    kvPersist: join(dir, "v3", "kv"),
    d1Persist: join(dir, "v3", "d1"),
    durableObjectsPersist: join(dir, "v3", "do"),
    cachePersist: join(dir, "v3", "cache"),
    r2Persist: join(dir, "v3", "r2"),
    host: "127.0.0.1",
    port: 0,
    cf: false,
    // The worker's JSON-line logs are kept for assertions (and shown with ULOAD_TEST_LOGS=1).
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => {
          logText += chunk;
          if (process.env.ULOAD_TEST_LOGS) process.stderr.write(chunk);
        });
      }
    },
  };
  // Durable Object classes that throw on every call: the object cannot be reached.
  const brokenObjectsWorker = {
    name: "broken-objects",
    modules: true,
    script: [
      'export class RateLimiter { fetch() { throw new Error("limiter down (test wiring)"); } }',
      'export class ClickCounter { constructor(state, env) { this.env = env; } fetch() { throw new Error(this.env.COUNTER_ERROR); } }',
      "export default { fetch() { return new Response(null, { status: 404 }); } };",
    ].join("\n"),
    durableObjects: {
      A: { className: "RateLimiter", useSQLite: true },
      B: { className: "ClickCounter", useSQLite: true },
    },
    // `brokenCounter: "…"` sets what the counter throws (e.g. that it is overloaded).
    bindings: { COUNTER_ERROR: typeof brokenCounter === "string" ? brokenCounter : "counter down (test wiring)" },
  };
  // `brokenShards: [1]`: the click counter's shards of those numbers cannot be reached; the
  // others are the worker's own, reached through this stand-in by name.
  const shardProxyWorker = {
    name: "shard-proxy",
    modules: true,
    script: `export class ClickShard {
      constructor(state, env) { this.env = env; }
      fetch(req) {
        const name = new URL(req.url).searchParams.get("object") ?? "";
        if (${JSON.stringify(brokenShards.map(String))}.includes(name.split("#").pop())) throw new Error("shard down (test wiring)");
        return this.env.REAL.get(this.env.REAL.idFromName(name)).fetch(req);
      }
    }
    export default { fetch() { return new Response(null, { status: 404 }); } };`,
    durableObjects: {
      PROXY: { className: "ClickShard" },
      // The real class is SQLite-backed: every binding to it must say so, or workerd may
      // set it up without SQL (its objects then fail).
      REAL: { className: "ClickShard", scriptName: "uload-edge", useSQLite: true },
    },
  };
  // `broken: ["kv", "d1"]`: those bindings are replaced by objects whose every operation
  // fails, as a binding does when its service is down (test-only wiring of the runtime).
  const failing = [];
  if (broken.includes("kv")) {
    main.kvNamespaces = {};
    main.wrappedBindings = { ...main.wrappedBindings, LINKS_KV: { scriptName: "broken-kv" } };
    failing.push({ name: "broken-kv", modules: true, script: BROKEN_KV });
  }
  if (broken.includes("d1")) {
    main.d1Databases = {};
    main.wrappedBindings = { ...main.wrappedBindings, DB: { scriptName: "broken-d1" } };
    failing.push({ name: "broken-d1", modules: true, script: BROKEN_D1 });
  }
  // `flakyD1: { match, times }`: D1 batches whose SQL contains `match` fail `times` times.
  if (flakyD1) {
    const dbId = workerOptions.d1Databases.DB;
    main.d1Databases = {};
    main.wrappedBindings = {
      ...main.wrappedBindings,
      DB: { scriptName: "flaky-d1", bindings: { FAIL_MATCH: flakyD1.match, FAIL_TIMES: flakyD1.times ?? 1, DELAY_MS: flakyD1.delayMs ?? 0 } },
    };
    failing.push({ name: "flaky-d1", modules: true, script: FLAKY_D1, d1Databases: { INNER: dbId } });
  }
  // The visitor's worker: its own config's bindings (the whole worker's objects by
  // script_name, its API service binding by worker name), the same vars and limits, and
  // only the secrets it holds in production.
  const front = [];
  if (split) {
    const visitorConfig = join(ROOT, "wrangler.visitor.toml");
    const visitorDir = join(ROOT, "build-visitor");
    const { workerOptions: visitorOptions } = unstable_getMiniflareWorkerOptions(visitorConfig, undefined, {
      envFiles: [join(ROOT, "tests", "no-such.env")],
    });
    front.push({
      ...visitorOptions,
      name: "uload-edge-visitor",
      modules: true,
      modulesRoot: visitorDir,
      scriptPath: join(visitorDir, "worker", "shim.mjs"),
      modulesRules: main.modulesRules,
      bindings: { ...configuredVars(visitorConfig), ...GENEROUS_LIMITS, COOKIE_SECRET: cookieSecret, ANALYTICS_SALT: analyticsSalt, ...bindings },
      ...visitorOverrides,
    });
  }
  const extra = [...(brokenLimiter || brokenCounter ? [brokenObjectsWorker] : []), ...(brokenShards.length ? [shardProxyWorker] : []), ...failing, ...(typeof extraWorkers === "function" ? extraWorkers({ d1: workerOptions.d1Databases.DB }) : extraWorkers)];
  const workers = [...front, main, ...extra];
  const mf = new Miniflare(workers.length > 1 ? { ...shared, workers } : { ...shared, ...main });
  mf.__flaky = Boolean(flakyD1);
  let stopped = false;
  const worker = {
    mf,
    token,
    adminToken,
    dir,
    /** What `startWorker({ state })` needs to start again on this worker's persisted state. */
    state: { dir, token, cookieSecret, analyticsSalt, adminToken },
    url: "",
    /** Everything the worker printed so far. */
    logs: () => logText,
    /** The JSON-line log events it printed. */
    events: () =>
      logText
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l)),
    fetch: (path, init = {}) => fetch(new URL(path, worker.url), { redirect: "manual", ...init }),
    async stop({ keepState = false } = {}) {
      if (stopped) return;
      stopped = true;
      started.delete(worker);
      await mf.dispose().catch(() => {});
      if (!keepState) await rm(dir, { recursive: true, force: true });
    },
  };
  started.add(worker);
  try {
    worker.url = (await mf.ready).href;
    await waitUntilReady(worker);
  } catch (e) {
    await worker.stop();
    throw e;
  }
  return worker;
}

async function waitUntilReady(worker, timeoutMs = 30_000) {
  await eventually(async () => (await worker.fetch("/health")).ok, "the worker to answer /health", { timeoutMs, intervalMs: 25 });
}

/**
 * The suite's one wait: polls `check` (sync or async) until it returns something truthy,
 * and returns that. A `check` that throws (an assertion, a refused connection) is polled
 * again; at the deadline the wait fails, naming `what` and the last error. Tests wait for
 * a condition, never for a fixed time.
 */
export async function eventually(check, what, { timeoutMs = 10_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The value of an unlabelled counter in a Prometheus text scrape (0 if absent). */
export function counter(scrape, name) {
  return Number((scrape.match(new RegExp(`^${name} (\\d+)$`, "m")) ?? [0, 0])[1]);
}

/**
 * Waits until every click the worker recorded is stored and counted: its own counters say
 * stored >= recorded, no stored click waits to be counted, and `ready()` (optional, e.g.
 * "the link has n clicks", for clicks that reached the queue without a redirect) holds.
 * Needs METRICS_TOKEN (set by startWorker).
 */
export async function clicksSettled(worker, { ready = () => true, timeoutMs = 60_000 } = {}) {
  const store = await d1(worker);
  return eventually(
    async () => {
      const scrape = await (await worker.fetch("/metrics", { headers: { authorization: `Bearer ${worker.token}` } })).text();
      const recorded = counter(scrape, "clicks_recorded_total");
      const stored = counter(scrape, "clicks_stored_total");
      const { pending } = await store.prepare("SELECT ifnull(sum(pending), 0) AS pending FROM clicks").first();
      if (stored > 0 && stored >= recorded && pending === 0 && (await ready())) return { recorded, stored };
      throw new Error(`recorded ${recorded}, stored ${stored}, pending ${pending}`);
    },
    "every recorded click to be stored and counted",
    { timeoutMs, intervalMs: 250 },
  );
}

/** POST /api/v1/links as the dashboard would; the response is checked against the OpenAPI document. */
export function createLink(worker, body, { token = worker.token, headers = {} } = {}) {
  return api(worker, "POST", "/api/v1/links", { body, token, headers });
}

/**
 * Calls the API. `user` acts for that user with the service token; `token` overrides the
 * credential (an API key, or a wrong one); `body` is JSON-encoded unless it is a string.
 * Every response is checked against openapi/openapi.json before it is returned.
 */
export async function api(worker, method, path, { body, token, user, headers = {} } = {}) {
  // The operations routes take the admin token; acting for a user, the dashboard's.
  // (null: no credentials at all.)
  if (token === undefined) token = path.startsWith("/api/v1/admin/") && !user ? worker.adminToken : worker.token;
  const h = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(user ? { "x-uload-user": user } : {}) };
  if (body !== undefined) h["content-type"] = "application/json";
  const res = await worker.fetch(path, {
    method,
    headers: { ...h, ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return conforms(res, method, path);
}

/**
 * The worker deployed again on a new, empty (migrated) D1 with the same KV, R2 and Durable
 * Objects: what an operator does after losing the database. `options`: as startWorker's.
 */
export async function redeployOnEmptyD1(worker, options = {}) {
  const state = worker.state;
  await worker.stop({ keepState: true });
  const d1Dir = join(state.dir, "v3", "d1");
  await rm(d1Dir, { recursive: true, force: true });
  await cp(join(await migratedTemplate(), "v3", "d1"), d1Dir, { recursive: true });
  return startWorker({ ...options, state });
}

/** Runs SQL against the worker's local D1 (the test's view of the source of truth). */
export async function d1(worker) {
  // With test wiring in front of D1, the test reads the real database behind it.
  const flaky = worker.mf.__flaky;
  return flaky ? worker.mf.getD1Database("INNER", "flaky-d1") : worker.mf.getD1Database("DB");
}

export async function kv(worker) {
  return worker.mf.getKVNamespace("LINKS_KV");
}

export async function r2(worker) {
  return worker.mf.getR2Bucket("BACKUPS");
}
