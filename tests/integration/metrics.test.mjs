// GET /metrics in the real runtime: counts of every isolate summed by the metrics Durable
// Objects (8 shards), in the Prometheus text format, checked by promtool and scraped by a real
// Prometheus server (Debian's package; scripts/test.sh installs it when missing).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ROOT, api, eventually, startWorker } from "../harness.mjs";

const run = promisify(execFile);
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "prometheus";
const PROMTOOL = process.env.PROMTOOL_BIN ?? "promtool";

/** The value of one series in a Prometheus text body (0 when absent). */
function value(text, series) {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

describe("metrics", () => {
  let w;
  const scrape = (token) =>
    w.fetch("/metrics", { headers: token === undefined ? { authorization: `Bearer ${w.token}` } : token ? { authorization: `Bearer ${token}` } : {} });
  before(async () => {
    w = await startWorker({ bindings: { RATE_CREATE_LIMIT: "3", RATE_CREATE_WINDOW_SECONDS: "60" } });
  });
  after(() => w?.stop());

  it("needs its token", async () => {
    for (const token of [null, "wrong"]) {
      const res = await scrape(token);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="uload-edge"');
    }
    const off = await startWorker({ bindings: { METRICS_TOKEN: "" } });
    try {
      assert.equal((await off.fetch("/metrics", { headers: { authorization: "Bearer x" } })).status, 404, "no token set: metrics off");
    } finally {
      await off.stop();
    }
  });

  it("counts requests, redirects by outcome and layer, rate limits, and passes promtool", async () => {
    const l = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/m", code: "metered" } })).json();
    for (let i = 0; i < 7; i++) assert.equal((await w.fetch("/metered")).status, 302);
    for (let i = 0; i < 2; i++) assert.equal((await w.fetch("/nosuchcode")).status, 404);
    // Link creation limited to 3 per minute: the 4th and 5th are refused.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(w, "POST", "/api/v1/links", { body: { url: `https://example.com/${i}` } })).status);
    assert.deepEqual(statuses, [201, 201, 429, 429], "one creation above already counted");
    assert.ok(l.id);
    const res = await scrape();
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.equal(value(text, 'http_requests_total{method="GET",route="redirect",status="302"}'), 7);
    assert.equal(value(text, 'http_requests_total{method="GET",route="redirect",status="404"}'), 2);
    assert.equal(value(text, 'http_requests_total{method="POST",route="api",status="201"}'), 3);
    assert.equal(value(text, 'http_requests_total{method="POST",route="api",status="429"}'), 2);
    assert.equal(value(text, 'rate_limited_total{scope="create"}'), 2);
    const redirects = ["memory", "kv", "d1"].reduce((a, s) => a + value(text, `link_redirects_total{outcome="redirect",served_from="${s}"}`), 0);
    assert.equal(redirects, 7);
    assert.equal(value(text, 'http_request_duration_seconds_count{route="redirect"}'), 9);
    assert.equal(value(text, "clicks_recorded_total"), 7);
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    // Scrapes are counted too, and a second scrape sees the first.
    const again = await (await scrape()).text();
    assert.ok(value(again, 'http_requests_total{method="GET",route="metrics",status="200"}') >= 1);
    assert.equal(value(again, 'http_requests_total{method="GET",route="redirect",status="302"}'), 7);
    // promtool's own check of the exposition format.
    const dir = await mkdtemp(join(tmpdir(), "uload-metrics-"));
    try {
      await writeFile(join(dir, "metrics.txt"), again);
      const check = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      check.stdout.on("data", (d) => (out += d));
      check.stderr.on("data", (d) => (out += d));
      check.stdin.end(again);
      const code = await new Promise((r) => check.on("close", r));
      assert.equal(code, 0, `promtool check metrics: ${out}`);
      // The alert rules shipped in ops/ are valid too.
      await run(PROMTOOL, ["check", "rules", join(ROOT, "ops", "prometheus-alerts.yml")]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("every alert passes its promtool rule tests, the never-happened cases included", async () => {
    const { stdout } = await run(PROMTOOL, ["test", "rules", "prometheus-alerts.test.yml"], { cwd: join(ROOT, "ops") });
    assert.match(stdout, /SUCCESS/);
  });

  it("exports what the alerts watch from the first scrape, at zero, before anything happened", async () => {
    const fresh = await startWorker();
    try {
      const res = await fresh.fetch("/metrics", { headers: { authorization: `Bearer ${fresh.token}` } });
      assert.equal(res.status, 200);
      const text = await res.text();
      for (const series of [
        'backups_total{outcome="ok"}',
        'backups_total{outcome="failed"}',
        "clicks_dropped_total",
        'click_batches_total{outcome="retried"}',
        "kv_audit_deletions_refused_total",
        'crons_skipped_total{task="backup"}',
      ]) {
        assert.ok(text.split("\n").includes(`${series} 0`), `${series} 0 in the first scrape`);
      }
      // "Never" is not 1970: the timestamp is absent until the first backup (absent() alerts).
      assert.ok(!text.includes("backup_last_success_timestamp_seconds "), "no backup timestamp before a backup");
      // Every counter a rule takes increase() of is there before its first event.
      const rules = await readFile(join(ROOT, "ops", "prometheus-alerts.yml"), "utf8");
      const watched = [...rules.matchAll(/increase\((\w+)/g)].map((m) => m[1]);
      assert.ok(watched.length >= 4);
      for (const name of watched) assert.match(text, new RegExp(`^${name}(\\{[^}]*\\})? 0$`, "m"), `${name} exported at 0`);
    } finally {
      await fresh.stop();
    }
  });

  it("counts stay exact when the hand-overs spread over the aggregator shards", async () => {
    const series = 'http_requests_total{method="GET",route="health",status="200"}';
    let expected = value(await (await scrape()).text(), series);
    // Every scrape hands this isolate's counts to one of 8 shards at random, then sums all 8.
    for (let round = 0; round < 24; round++) {
      const k = 1 + (round % 4);
      for (let i = 0; i < k; i++) assert.equal((await w.fetch("/health")).status, 200);
      expected += k;
      assert.equal(value(await (await scrape()).text(), series), expected, `round ${round}`);
    }
    // And the counts really are spread: several shards hold a part of them.
    const ns = await w.mf.getDurableObjectNamespace("METRICS");
    const names = ["global", ...Array.from({ length: 7 }, (_, i) => `global-${i + 1}`)];
    const parts = await Promise.all(
      names.map(async (name) => {
        const res = await ns.get(ns.idFromName(name)).fetch("https://object/call", { method: "POST", body: "{}" });
        return (await res.json()).counters?.[series] ?? 0;
      }),
    );
    assert.equal(parts.reduce((a, b) => a + b, 0), expected, "the shards' parts add up to the scrape");
    assert.ok(parts.filter((n) => n > 0).length >= 3, `spread over shards: ${parts}`);
  });

  it("queue and backup figures reach the same scrape", async () => {
    assert.equal((await api(w, "POST", "/api/v1/admin/backups")).status, 201);
    const text = await eventually(async () => {
      const t = await (await scrape()).text();
      return value(t, "clicks_stored_total") >= 7 && t;
    }, "the consumer's counts to arrive", { timeoutMs: 30_000, intervalMs: 250 });
    assert.ok(value(text, 'click_batches_total{outcome="stored"}') >= 1);
    assert.equal(value(text, 'backups_total{outcome="ok"}'), 1);
    assert.ok(Math.abs(value(text, "backup_last_success_timestamp_seconds") - Date.now() / 1000) < 120);
  });

  it("a real Prometheus server scrapes the worker", async () => {
    const dir = await mkdtemp(join(tmpdir(), "uload-prometheus-"));
    const port = await freePort();
    const target = new URL(w.url).host;
    await writeFile(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, scrape_timeout: 1s }",
        "scrape_configs:",
        "  - job_name: uload-edge",
        "    metrics_path: /metrics",
        `    authorization: { credentials: "${w.token}" }`,
        `    static_configs: [{ targets: ["${target}"] }]`,
      ].join("\n"),
    );
    const prom = spawn(PROMETHEUS, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: "ignore" });
    try {
      const query = async (q) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        return (await res.json()).data?.result ?? [];
      };
      const redirects = await eventually(async () => {
        const up = await query('up{job="uload-edge"}');
        const found = await query('http_requests_total{route="redirect",status="302"}');
        return up[0]?.value[1] === "1" && found.length && found;
      }, "Prometheus to scrape the worker", { timeoutMs: 60_000, intervalMs: 250 });
      assert.equal(redirects[0].value[1], "7");
      // Every query of the Grafana dashboard is valid PromQL on these metrics.
      const dashboard = JSON.parse(await readFile(join(ROOT, "ops", "grafana-dashboard.json"), "utf8"));
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
      assert.ok(exprs.length >= 9);
      for (const expr of exprs) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = await res.json();
        assert.equal(body.status, "success", `${expr}: ${body.error ?? ""}`);
      }
      const scraped = await query('http_requests_total{job="uload-edge"}');
      assert.ok(scraped.length > 0);
    } finally {
      prom.kill("SIGTERM");
      await new Promise((r) => prom.on("close", r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
