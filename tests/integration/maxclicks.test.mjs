// max_clicks is exact: a Durable Object per limited link counts, so with a limit of N
// exactly N visitors are redirected however many arrive at once; links without a limit
// never call it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, startWorker } from "../harness.mjs";

async function link(w, body) {
  const res = await api(w, "POST", "/api/v1/links", { body });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

describe("max_clicks", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.stop());

  it("60 simultaneous visitors of a link limited to 7: exactly 7 redirects, then 410", async () => {
    await link(w, { url: "https://limited.example/", code: "seven", max_clicks: 7 });
    const responses = await Promise.all(Array.from({ length: 60 }, () => w.fetch("/seven")));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 302).length, 7, String(statuses));
    assert.equal(statuses.filter((s) => s === 410).length, 53);
    assert.equal((await w.fetch("/seven")).status, 410);
  });

  it("HEAD requests (link previewers) are not clicks, and never see the target", async () => {
    await link(w, { url: "https://once.example/", code: "once", max_clicks: 1 });
    for (let i = 0; i < 3; i++) {
      const head = await w.fetch("/once", { method: "HEAD" });
      assert.equal(head.status, 204, "a click is left, but HEAD does not spend it");
      assert.equal(head.headers.get("location"), null, "so it does not get the target either");
    }
    assert.equal((await w.fetch("/once")).status, 302);
    assert.equal((await w.fetch("/once")).status, 410);
    assert.equal((await w.fetch("/once", { method: "HEAD" })).status, 410);
  });

  it("raising the limit lets more visitors through", async () => {
    const l = await link(w, { url: "https://raise.example/", code: "raise", max_clicks: 1 });
    assert.equal((await w.fetch("/raise")).status, 302);
    assert.equal((await w.fetch("/raise")).status, 410);
    assert.equal((await api(w, "PATCH", `/api/v1/links/${l.id}`, { body: { max_clicks: 2 } })).status, 200);
    assert.equal((await w.fetch("/raise")).status, 302);
    assert.equal((await w.fetch("/raise")).status, 410);
  });
});

describe("max_clicks with the counter unreachable", () => {
  let w;
  before(async () => {
    w = await startWorker({ brokenCounter: true });
    await link(w, { url: "https://free.example/", code: "free" });
    await link(w, { url: "https://capped.example/", code: "capped", max_clicks: 100 });
  });
  after(() => w?.stop());

  it("links without a limit never depend on it; limited links fail closed", async () => {
    assert.equal((await w.fetch("/free")).status, 302);
    const res = await w.fetch("/capped");
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("location"), null);
    assert.ok(w.events().some((e) => e.event === "click_counter_unreachable"));
  });
});
