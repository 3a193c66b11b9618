// The chaos tests of uLoad's downtime plan, for real: KV, D1 and the limiter made to fail
// by test-only wiring of the runtime, a fake origin the test controls, and readiness that
// reports each dependency.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { api, d1, eventually, kv, startWorker } from "../harness.mjs";

async function fakeOrigin() {
  let mode = "up";
  const server = createServer((req, res) => {
    if (mode === "down") return req.socket.destroy();
    res.writeHead(mode === "500" ? 500 : 200, { "content-type": "text/html" });
    res.end("<h1>uLoad</h1>");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, set: (m) => (mode = m), close: () => new Promise((r) => server.close(r)) };
}

async function ready(w) {
  // With the operator's token: every check, probed now.
  const res = await w.fetch("/health/ready", { headers: { authorization: `Bearer ${w.adminToken}` } });
  assert.equal(res.headers.get("cache-control"), "no-store");
  return { status: res.status, body: await res.json() };
}

describe("readiness", () => {
  let origin, w;
  before(async () => {
    origin = await fakeOrigin();
    w = await startWorker({ bindings: { ORIGIN_URL: origin.url } });
  });
  after(async () => {
    await w?.stop();
    await origin?.close();
  });

  it("checks KV, D1, the Durable Object and the origin, with latencies and the version", async () => {
    const { status, body } = await ready(w);
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    for (const name of ["kv", "d1", "durable_objects", "origin", "config"]) {
      assert.equal(body.checks[name].ok, true, `${name}: ${JSON.stringify(body.checks[name])}`);
      assert.equal(typeof body.checks[name].latency_ms, "number");
    }
    assert.equal(body.checks.origin.critical, false);
  });

  it("a failing origin degrades readiness but does not fail it", async () => {
    origin.set("500");
    let r = await ready(w);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "degraded");
    assert.match(r.body.checks.origin.error, /500/);
    origin.set("down");
    r = await ready(w);
    assert.equal(r.status, 200);
    assert.equal(r.body.checks.origin.ok, false);
    origin.set("up");
  });

  it("liveness stays cheap and 200", async () => {
    assert.equal((await w.fetch("/health")).status, 200);
  });
});

describe("a dependency down", () => {
  let state;
  before(async () => {
    // One healthy run writes the data the failure runs start from.
    const w = await startWorker();
    for (const code of ["inkv", "alsokv"]) {
      assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: `https://${code}.example/`, code } })).status, 201);
    }
    await (await d1(w))
      .prepare("INSERT INTO links (id, domain, code, url, created_at, updated_at) VALUES ('d1only00000001x', '', 'd1only', 'https://d1only.example/', 'now', 'now')")
      .run();
    state = w.state;
    await w.stop({ keepState: true });
  });

  it("KV down: lookups go to D1, and readiness says so", async () => {
    const w = await startWorker({ state, broken: ["kv"] });
    try {
      const res = await w.fetch("/inkv");
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), "https://inkv.example/");
      assert.equal(res.headers.get("x-served-from"), "d1");
      assert.equal((await w.fetch("/d1only")).status, 302);
      const { status, body } = await ready(w);
      assert.equal(status, 503);
      assert.equal(body.status, "fail");
      assert.equal(body.checks.kv.ok, false);
      assert.equal(body.checks.d1.ok, true);
      assert.ok(w.events().some((e) => e.event === "readiness_check_failed" && e.check === "kv" && e.level === "error"));
      // Writes still work: D1 has them; KV is repaired later.
      assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://new.example/", code: "duringkv" } })).status, 201);
      assert.ok(w.events().some((e) => e.event === "kv_publish_failed"));
    } finally {
      await w.stop({ keepState: true });
    }
  });

  it("D1 down: links in KV still redirect; the rest answers 503; API writes change nothing", async () => {
    const w = await startWorker({ state, broken: ["d1"] });
    try {
      for (const code of ["inkv", "alsokv"]) {
        const res = await w.fetch(`/${code}`);
        assert.equal(res.status, 302, code);
        assert.equal(res.headers.get("x-served-from"), "kv");
      }
      const missing = await w.fetch("/d1only");
      assert.equal(missing.status, 503);
      assert.equal(missing.headers.get("retry-after"), "30");
      const write = await api(w, "POST", "/api/v1/links", { body: { url: "https://lost.example/", code: "lost" } });
      assert.equal(write.status, 503);
      assert.ok(Number(write.headers.get("retry-after")) > 0);
      assert.equal((await write.json()).code, "unavailable");
      const { status, body } = await ready(w);
      assert.equal(status, 503);
      assert.equal(body.checks.d1.ok, false);
      assert.equal(body.checks.kv.ok, true);
    } finally {
      await w.stop({ keepState: true });
    }
    const healthy = await startWorker({ state });
    try {
      const rows = await (await d1(healthy)).prepare("SELECT code FROM links ORDER BY code").all();
      assert.deepEqual(rows.results.map((r) => r.code), ["alsokv", "d1only", "duringkv", "inkv"], "nothing was written while D1 was down");
      assert.equal((await healthy.fetch("/lost")).status, 404);
    } finally {
      await healthy.stop();
    }
  });

  it("KV writes that failed are repaired from D1 by the reconcile job", async () => {
    const healthy = await startWorker();
    const moved = await (await api(healthy, "POST", "/api/v1/links", { body: { url: "https://before.example/", code: "moved" } })).json();
    const gone = await (await api(healthy, "POST", "/api/v1/links", { body: { url: "https://gone.example/", code: "gone" } })).json();
    const s = healthy.state;
    await healthy.stop({ keepState: true });

    const kvDown = await startWorker({ state: s, broken: ["kv"] });
    assert.equal((await api(kvDown, "PATCH", `/api/v1/links/${moved.id}`, { body: { url: "https://after.example/" } })).status, 200);
    assert.equal((await api(kvDown, "DELETE", `/api/v1/links/${gone.id}`)).status, 204);
    await new Promise((r) => setTimeout(r, 100)); // the background retry fails too
    await kvDown.stop({ keepState: true });

    const back = await startWorker({ state: s });
    try {
      const store = await kv(back);
      assert.equal((await store.get("link:moved", "json")).url, "https://before.example/", "KV is stale after the outage");
      assert.notEqual(await store.get("link:gone"), null);
      const queued = await (await d1(back)).prepare("SELECT code FROM kv_repairs ORDER BY code").all();
      assert.deepEqual(queued.results.map((r) => r.code), ["gone", "moved"]);

      await (await back.mf.getWorker()).scheduled({ cron: "* * * * *" });
      assert.equal((await store.get("link:moved", "json")).url, "https://after.example/");
      assert.equal(await store.get("link:gone"), null);
      assert.equal((await (await d1(back)).prepare("SELECT count(*) AS n FROM kv_repairs").first()).n, 0);
      assert.ok(back.events().some((e) => e.event === "kv_reconciled" && e.fixed === 2 && e.failed === 0));
      assert.equal((await back.fetch("/moved")).headers.get("location"), "https://after.example/");
      assert.equal((await back.fetch("/gone")).status, 404);
    } finally {
      await back.stop();
    }
  });

  it("successful writes leave nothing in the repair queue", async () => {
    const w = await startWorker();
    try {
      const l = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://q.example/", code: "queued" } })).json();
      await api(w, "PATCH", `/api/v1/links/${l.id}`, { body: { title: "t" } });
      const db = await d1(w);
      await eventually(async () => (await db.prepare("SELECT count(*) AS n FROM kv_repairs").first()).n === 0, "the KV repair queue to empty", { timeoutMs: 5000, intervalMs: 20 });
    } finally {
      await w.stop();
    }
  });

  it("the limiter down: readiness fails on the Durable Object check", async () => {
    const w = await startWorker({ brokenLimiter: true });
    try {
      const { status, body } = await ready(w);
      assert.equal(status, 503);
      assert.equal(body.checks.durable_objects.ok, false);
    } finally {
      await w.stop();
    }
  });
});
