// Webhooks (issue 15) in workerd with a real queue and D1: a real HTTP receiver on
// loopback, every delivery verified with the `standardwebhooks` package from npm (the
// specification's own verifier, not code of ours); failures, timeouts and a disabled
// endpoint that recovers get every event, under the same id.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { api, counter, d1, eventually, ROOT, startWorker } from "../harness.mjs";
import { ALICE, asBob, BOB, json, problem, setupUsers } from "./api-helpers.mjs";
import { CHROME } from "./clicks.mjs";
import { assertSchema } from "../openapi.mjs";

/** A receiver: records every request; `answer(req, n)` decides (status, or "hang"). */
async function receiver(answer = () => 200) {
  const got = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const i = n++;
      const verdict = answer(req, i);
      got.push({ headers: req.headers, body, verdict });
      if (verdict === "hang") return setTimeout(() => res.destroy(), 3000);
      res.writeHead(verdict, verdict >= 300 && verdict < 400 ? { location: "http://127.0.0.1:1/" } : {});
      res.end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { got, url: `http://127.0.0.1:${server.address().port}/hook`, close: () => new Promise((r) => server.close(r)), set: (f) => (answer = f) };
}

const verified = (secret, r) => new Webhook(secret).verify(r.body, r.headers);
const delivered = (rcv) => rcv.got.filter((r) => r.verdict === 200);
const FAST = { WEBHOOK_ALLOW_LOOPBACK: "true", WEBHOOK_RETRY_BASE_SECONDS: "1", WEBHOOK_RETRY_MAX_SECONDS: "2", WEBHOOK_TIMEOUT_MS: "1000" };
const asAlice = (w, m, p, o = {}) => api(w, m, p, { user: ALICE, ...o });

describe("webhooks", () => {
  let w, rcv;
  before(async () => {
    w = await startWorker({ bindings: FAST });
    await setupUsers(w);
    rcv = await receiver();
  });
  after(() => rcv.close());

  test("link events arrive signed as the Standard Webhooks specification says", async () => {
    const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created", "link.updated", "link.deleted"], description: "CRM" } }), 201);
    assert.match(ep.secret, /^whsec_[A-Za-z0-9+/=]{32}$/);
    assert.equal(ep.enabled, true);
    const shown = await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}`), 200);
    assert.equal(shown.secret, undefined, "the secret is shown once");
    const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.example/", code: "hooked" } }), 201);
    await json(await asAlice(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "Now with a title" } }), 200);
    assert.equal((await asAlice(w, "DELETE", `/api/v1/links/${link.id}`)).status, 204);
    await eventually(() => delivered(rcv).length >= 3 || undefined, "three deliveries", { timeoutMs: 30_000 });
    const events = delivered(rcv).map((r) => verified(ep.secret, r));
    assert.deepEqual(events.map((e) => e.type).sort(), ["link.created", "link.deleted", "link.updated"]);
    for (const e of events) assertSchema("WebhookPayload", e);
    const created = events.find((e) => e.type === "link.created");
    assert.equal(created.data.code, "hooked");
    assert.equal(created.data.short_url, "http://127.0.0.1:8787/hooked");
    assert.equal(events.find((e) => e.type === "link.updated").data.title, "Now with a title");
    assert.equal(new Set(delivered(rcv).map((r) => r.headers["webhook-id"])).size, 3, "one id per event");
    assert.throws(() => verified(`whsec_${Buffer.alloc(24, 1).toString("base64")}`, delivered(rcv)[0]), "another secret does not verify");
    // Bob's links raise nothing for Alice, and Bob cannot see her endpoint.
    await json(await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://b.example/" } }), 201);
    await problem(await api(w, "GET", `/api/v1/webhooks/${ep.id}`, { user: BOB }), 404, "not_found");
    const log = await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}/deliveries`), 200);
    assert.ok(log.data.filter((a) => a.outcome === "delivered" && a.status === 200).length >= 3, JSON.stringify(log));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(delivered(rcv).length, 3, "nothing else was sent");
    assert.equal((await asAlice(w, "DELETE", `/api/v1/webhooks/${ep.id}`)).status, 204);
  });

  test("endpoints: public https only, known events, a bounded number; refusals change nothing", async () => {
    for (const url of ["http://hooks.example.com/", "https://10.0.0.1/", "https://169.254.169.254/", "https://192.168.1.1/", "https://u:p@hooks.example.com/", "https://printer.local/"]) {
      const body = await problem(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url, events: ["link.created"] } }), 422, "validation_failed");
      assert.ok(body.errors.some((e) => e.field === "url"), url);
    }
    await problem(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: "https://hooks.example.com/", events: ["link.exploded"] } }), 422, "validation_failed");
    await problem(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: "https://hooks.example.com/" } }), 422, "validation_failed");
    assert.deepEqual((await json(await asAlice(w, "GET", "/api/v1/webhooks"), 200)).data, []);
    const made = [];
    for (let i = 0; i < 10; i++) made.push(await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: `https://hooks${i}.example.com/`, events: ["link.created"], enabled: false } }), 201));
    await problem(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: "https://hooks.example.com/", events: ["link.created"] } }), 409, "too_many_webhooks");
    for (const ep of made) assert.equal((await asAlice(w, "DELETE", `/api/v1/webhooks/${ep.id}`)).status, 204);
    // API keys cannot manage webhooks (they stream all of a user's data).
    const key = await json(await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "k", scopes: ["links:read", "links:write", "stats:read"] } }), 201);
    const res = await api(w, "GET", "/api/v1/webhooks", { token: key.key });
    assert.equal(res.status, 403);
  });

  test("a failing, then hanging receiver gets every event after it recovers, each under one id", async () => {
    const flaky = await receiver((req, i) => (i < 2 ? 500 : i < 3 ? "hang" : 200));
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: flaky.url, events: ["link.created"] } }), 201);
      const codes = ["flaky1", "flaky2", "flaky3"];
      for (const code of codes) await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://f.example/", code } }), 201);
      await eventually(() => new Set(delivered(flaky).map((r) => r.headers["webhook-id"])).size >= 3 || undefined, "every event delivered", { timeoutMs: 60_000 });
      const ok = delivered(flaky).map((r) => verified(ep.secret, r));
      assert.deepEqual(ok.map((e) => e.data.code).sort(), codes);
      // Every attempt of an event carried its id: the ids of failed attempts are among the delivered ones.
      const ids = new Set(delivered(flaky).map((r) => r.headers["webhook-id"]));
      for (const r of flaky.got) assert.ok(ids.has(r.headers["webhook-id"]), "a retried event keeps its id");
      assert.equal(delivered(flaky).length, ids.size, "none delivered twice");
      const log = (await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}/deliveries`), 200)).data;
      assert.ok(log.some((a) => a.outcome === "failed" && a.status === 500), JSON.stringify(log));
      assert.ok(log.some((a) => a.outcome === "failed" && /no answer within 1000 ms/.test(a.error)), JSON.stringify(log));
      const state = await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}`), 200);
      assert.equal(state.consecutive_failures, 0);
      assert.ok(state.last_failure_at && state.last_success_at);
      await asAlice(w, "DELETE", `/api/v1/webhooks/${ep.id}`);
    } finally {
      await flaky.close();
    }
  });

  test("clicks in batches, the limit reached, a test event, and a rotated secret signing twice", async () => {
    const hook = await receiver();
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: hook.url, events: ["link.clicked", "link.limit_reached"] } }), 201);
      const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://c.example/", code: "clicky", max_clicks: 3 } }), 201);
      for (let i = 0; i < 4; i++) await w.fetch("/clicky", { headers: { "user-agent": CHROME } });
      const clicks = () => delivered(hook).map((r) => verified(ep.secret, r)).filter((e) => e.type === "link.clicked").flatMap((e) => e.data.clicks);
      await eventually(() => clicks().length >= 3 || undefined, "the clicks", { timeoutMs: 30_000 });
      assert.equal(new Set(clicks().map((c) => c.click_id)).size, 3);
      assert.ok(clicks().every((c) => c.code === "clicky" && c.browser && c.is_bot === false && !("visitor_hash" in c)));
      await eventually(() => delivered(hook).some((r) => verified(ep.secret, r).type === "link.limit_reached") || undefined, "limit reached", { timeoutMs: 30_000 });

      const test = await json(await asAlice(w, "POST", `/api/v1/webhooks/${ep.id}/test`), 202);
      await eventually(() => delivered(hook).some((r) => r.headers["webhook-id"] === test.event_id) || undefined, "test event");

      const rotated = await json(await asAlice(w, "POST", `/api/v1/webhooks/${ep.id}/secret`), 200);
      assert.notEqual(rotated.secret, ep.secret);
      assert.ok(Date.parse(rotated.previous_secret_until) > Date.now() + 23 * 3600_000);
      const again = await json(await asAlice(w, "POST", `/api/v1/webhooks/${ep.id}/test`), 202);
      await eventually(() => delivered(hook).find((r) => r.headers["webhook-id"] === again.event_id), "second test event");
      const last = delivered(hook).find((r) => r.headers["webhook-id"] === again.event_id);
      assert.equal(last.headers["webhook-signature"].split(" ").length, 2, "both secrets sign during the overlap");
      assert.equal(verified(rotated.secret, last).type, "webhook.test");
      assert.equal(verified(ep.secret, last).type, "webhook.test");
      await asAlice(w, "DELETE", `/api/v1/webhooks/${ep.id}`);
    } finally {
      await hook.close();
    }
  });
});

describe("webhooks: many clicks", () => {
  test("every click arrives once, in events of at most 500 clicks", async () => {
    const w = await startWorker({ bindings: FAST });
    await setupUsers(w);
    const rcv = await receiver();
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.clicked"] } }), 201);
      const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://m.example/", code: "many" } }), 201);
      const n = 1200;
      let next = 0;
      await Promise.all(Array.from({ length: 40 }, async () => {
        while (next < n) {
          next++;
          await (await w.fetch("/many", { headers: { "user-agent": CHROME } })).arrayBuffer();
        }
      }));
      const events = () => delivered(rcv).map((r) => verified(ep.secret, r)).filter((e) => e.type === "link.clicked");
      const clicks = () => events().flatMap((e) => e.data.clicks);
      await eventually(() => clicks().length >= n || undefined, `${n} clicks`, { timeoutMs: 60_000 });
      assert.equal(new Set(clicks().map((c) => c.click_id)).size, n, "each click once");
      assert.ok(events().every((e) => e.data.clicks.length <= 500), events().map((e) => e.data.clicks.length).join(","));
      assert.ok(clicks().every((c) => c.link_id === link.id));
      for (const e of events()) assertSchema("WebhookPayload", e);
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});

describe("webhooks: bulk operations and expiries", () => {
  test("bulk writes raise an event per link; an expiry raises one, once", async () => {
    const w = await startWorker({ bindings: FAST });
    await setupUsers(w);
    const rcv = await receiver();
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created", "link.deleted", "link.expired"] } }), 201);
      const bulk = await json(await asAlice(w, "POST", "/api/v1/links/bulk", { body: { links: [{ url: "https://b.example/1", code: "bulk1" }, { url: "https://b.example/2", code: "bulk2" }] } }), 200);
      const ids = bulk.results.map((r) => r.link.id);
      await json(await asAlice(w, "POST", "/api/v1/links/bulk/delete", { body: { ids } }), 200);
      const events = () => delivered(rcv).map((r) => verified(ep.secret, r));
      await eventually(() => events().length >= 4 || undefined, "bulk events", { timeoutMs: 30_000 });
      assert.deepEqual(events().map((e) => `${e.type} ${e.data.code}`).sort(), ["link.created bulk1", "link.created bulk2", "link.deleted bulk1", "link.deleted bulk2"]);

      const soon = new Date(Date.now() + 1500).toISOString();
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://e.example/", code: "fleeting", expires_at: soon } }), 201);
      await eventually(() => events().length >= 5 || undefined, "its creation");
      await new Promise((r) => setTimeout(r, 2000));
      for (let i = 0; i < 2; i++) await (await w.mf.getWorker()).scheduled({ cron: "* * * * *" });
      await eventually(() => events().some((e) => e.type === "link.expired") || undefined, "the expiry", { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1500));
      const expired = events().filter((e) => e.type === "link.expired");
      assert.equal(expired.length, 1, "raised once, however often the minute job runs");
      assert.equal(expired[0].data.code, "fleeting");
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});

describe("webhooks: the dispatcher's claims", () => {
  // Each claim is a D1 write; a link write tells whether it left events behind, so one
  // that raised none (nobody listens to its owner's links) starts none.
  test("a link write that raised no event starts no claim; one that raised an event is sent at once", async () => {
    const w = await startWorker({ bindings: FAST });
    const rcv = await receiver();
    const claims = async () => counter(await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text(), "webhook_outbox_claims_total");
    try {
      await setupUsers(w);
      await eventually(async () => (await claims()) >= 2 || undefined, "the users' writes' claims");
      const before = await claims();
      assert.equal(before, 2, "a write of users starts a claim");
      // Bob has no endpoint: seven link writes of every kind raise no event.
      const one = await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://b.example/", code: "quiet1" } }), 201);
      await json(await asBob(w, "PATCH", `/api/v1/links/${one.id}`, { body: { title: "still quiet" } }), 200);
      const bulk = await json(await asBob(w, "POST", "/api/v1/links/bulk", { body: { links: [{ url: "https://b.example/2" }, { url: "https://b.example/3" }] } }), 200);
      const ids = bulk.results.map((r) => r.link.id);
      await json(await asBob(w, "POST", "/api/v1/links/bulk/update", { body: { ids, is_active: false } }), 200);
      await json(await asBob(w, "POST", "/api/v1/links/bulk/tag", { body: { ids, add: ["quiet"] } }), 200);
      await json(await asBob(w, "POST", "/api/v1/links/bulk/delete", { body: { ids } }), 200);
      assert.equal((await asBob(w, "DELETE", `/api/v1/links/${one.id}`)).status, 204);
      // A write of webhooks always starts a claim (it may have made events of its own).
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created"] } }), 201);
      await eventually(async () => (await claims()) >= before + 1 || undefined, "the endpoint's claim");
      assert.equal(await claims(), before + 1, "Bob's link writes started no claim");
      // Alice's link raises an event: its write starts the claim that sends it.
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://a.example/", code: "heard" } }), 201);
      await eventually(() => delivered(rcv).length >= 1 || undefined, "its event", { timeoutMs: 30_000 });
      assert.equal(verified(ep.secret, delivered(rcv)[0]).data.code, "heard");
      assert.equal(await claims(), before + 2);
      const pending = await (await d1(w)).prepare("SELECT count(*) AS n FROM webhook_events WHERE dispatched_at IS NULL").first();
      assert.equal(pending.n, 0, "nothing left for the minute's job");
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});

describe("webhooks of a workspace", () => {
  test("take every member's links in it, only while their owner is a member", async () => {
    const w = await startWorker({ bindings: FAST });
    await setupUsers(w);
    const rcv = await receiver();
    try {
      assert.equal((await api(w, "PUT", "/api/v1/workspaces/team", { body: { name: "Team", members: [ALICE, BOB] } })).status, 201);
      const body = await problem(await api(w, "POST", "/api/v1/webhooks", { user: BOB, body: { url: rcv.url, events: ["link.created"], workspace_id: "elsewhere" } }), 422, "validation_failed");
      assert.ok(body.errors.some((e) => e.field === "workspace_id"));
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created"], workspace_id: "team" } }), 201);
      await json(await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://t.example/", code: "bobteam", workspace_id: "team" } }), 201);
      await json(await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://t.example/", code: "bobown" } }), 201);
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://t.example/", code: "aliceown" } }), 201);
      await eventually(() => delivered(rcv).length >= 1 || undefined, "the team link's event", { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(delivered(rcv).map((r) => verified(ep.secret, r).data.code), ["bobteam"], "only links in the workspace, whoever's");
      // Alice leaves the team: her endpoint hears nothing more of it.
      assert.equal((await api(w, "PUT", "/api/v1/workspaces/team", { body: { name: "Team", members: [BOB] } })).status, 200);
      await json(await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://t.example/", code: "bobteam2", workspace_id: "team" } }), 201);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(delivered(rcv).length, 1, "not after leaving");
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});

describe("webhooks: an endpoint that keeps failing", () => {
  test("is disabled with its reason, and gets what it missed when enabled again", async () => {
    const w = await startWorker({ bindings: { ...FAST, WEBHOOK_DISABLE_AFTER: "3" } });
    await setupUsers(w);
    let down = true;
    const rcv = await receiver(() => (down ? 503 : 200));
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created"] } }), 201);
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://d.example/", code: "down1" } }), 201);
      const off = await eventually(async () => {
        const e = await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}`), 200);
        return e.enabled ? undefined : e;
      }, "disabled", { timeoutMs: 30_000 });
      assert.match(off.disabled_reason, /3 failed deliveries in a row; last: HTTP 503/);
      // While disabled, events are logged as skipped, not sent.
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://d.example/", code: "down2" } }), 201);
      const tries = rcv.got.length;
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(rcv.got.length, tries, "a disabled endpoint is not called");
      down = false;
      const on = await json(await asAlice(w, "PATCH", `/api/v1/webhooks/${ep.id}`, { body: { enabled: true } }), 200);
      assert.equal(on.enabled, true);
      assert.equal(on.disabled_reason, null);
      await eventually(() => delivered(rcv).length >= 2 || undefined, "the missed events", { timeoutMs: 30_000 });
      const codes = delivered(rcv).map((r) => verified(ep.secret, r).data.code).sort();
      assert.deepEqual(codes, ["down1", "down2"]);
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});

describe("webhooks: every retry failed", () => {
  test("the dead-letter queue logs it as dead, and enabling the endpoint sends it again", async () => {
    // The production queue settings, with one retry instead of twenty (test-only wiring).
    const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}/wrangler.toml`, undefined, { envFiles: [`${ROOT}/tests/no-such.env`] });
    const queueConsumers = { ...workerOptions.queueConsumers, "uload-webhooks": { ...workerOptions.queueConsumers["uload-webhooks"], maxRetries: 1 }, "uload-webhooks-dlq": { ...workerOptions.queueConsumers["uload-webhooks-dlq"], maxBatchTimeout: 1 } };
    const w = await startWorker({ bindings: FAST, overrides: { queueConsumers } });
    await setupUsers(w);
    let down = true;
    const rcv = await receiver(() => (down ? 500 : 200));
    try {
      const ep = await json(await asAlice(w, "POST", "/api/v1/webhooks", { body: { url: rcv.url, events: ["link.created"] } }), 201);
      await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://x.example/", code: "deadone" } }), 201);
      const log = await eventually(async () => {
        const l = (await json(await asAlice(w, "GET", `/api/v1/webhooks/${ep.id}/deliveries`), 200)).data;
        return l.some((a) => a.outcome === "dead") ? l : undefined;
      }, "the dead letter", { timeoutMs: 30_000 });
      assert.equal(log.filter((a) => a.outcome === "failed").length, 2, "the first attempt and its one retry");
      assert.equal(rcv.got.length, 2);
      down = false;
      await json(await asAlice(w, "PATCH", `/api/v1/webhooks/${ep.id}`, { body: { enabled: true } }), 200);
      await eventually(() => delivered(rcv).length >= 1 || undefined, "the redelivery", { timeoutMs: 30_000 });
      const event = verified(ep.secret, delivered(rcv)[0]);
      assert.equal(event.data.code, "deadone");
      assert.equal(delivered(rcv)[0].headers["webhook-id"], rcv.got[0].headers["webhook-id"], "the same event id as the failed attempts");
    } finally {
      await rcv.close();
      await w.stop();
    }
  });
});
