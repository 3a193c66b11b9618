// The full KV reconcile: every link of D1 against every record of KV; missing, stale and
// orphaned records are repaired from D1 and reported.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, createLink, kv, startWorker } from "../harness.mjs";

describe("KV reconcile", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    for (const code of ["rc1", "rc2", "rc3", "rc4", "rc5"]) {
      assert.equal((await createLink(w, { url: `https://example.com/${code}`, code })).status, 201);
    }
  });
  after(() => w?.stop());

  it("repairs missing, stale and orphaned records from D1 and reports them", async () => {
    const store = await kv(w);
    await store.delete("link:rc1"); // missing
    const stale = JSON.parse(await store.get("link:rc2"));
    await store.put("link:rc2", JSON.stringify({ ...stale, url: "https://wrong.example/" })); // stale
    await store.put("link:gone", JSON.stringify({ ...stale, url: "https://deleted.example/" })); // orphaned
    assert.equal((await w.fetch("/rc2")).headers.get("location"), "https://wrong.example/", "KV is believed");
    assert.equal((await w.fetch("/gone")).status, 302, "an orphan redirects");

    const res = await api(w, "POST", "/api/v1/admin/reconcile");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { checked: 5, missing: 1, stale: 1, orphaned: 1, fixed: 3, failed: 0 });
    assert.equal((await w.fetch("/rc2")).headers.get("location"), "https://example.com/rc2");
    assert.equal((await w.fetch("/rc1")).headers.get("x-served-from"), "kv");
    assert.equal((await w.fetch("/gone")).status, 404);
    assert.equal(await store.get("link:gone"), null);
    assert.ok(w.events().some((e) => e.event === "kv_audited" && e.orphaned === 1));

    const again = await (await api(w, "POST", "/api/v1/admin/reconcile")).json();
    assert.deepEqual(again, { checked: 5, missing: 0, stale: 0, orphaned: 0, fixed: 0, failed: 0 });
  });

  it("is for the service only", async () => {
    await api(w, "PUT", "/api/v1/users/reconcileusr1", { body: { username: "reconcileusr" } });
    assert.equal((await api(w, "POST", "/api/v1/admin/reconcile", { user: "reconcileusr1" })).status, 403);
  });
});
