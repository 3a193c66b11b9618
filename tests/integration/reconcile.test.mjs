// The full KV reconcile: every link of D1 against every record of KV; missing, stale and
// orphaned records are repaired from D1 and reported.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, createLink, d1, kv, startWorker } from "../harness.mjs";

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
    assert.deepEqual(await res.json(), { checked: 5, missing: 1, stale: 1, orphaned: 1, fixed: 3, failed: 0, orphans_kept: 0, limits_seeded: 0 });
    assert.equal((await w.fetch("/rc2")).headers.get("location"), "https://example.com/rc2");
    assert.equal((await w.fetch("/rc1")).headers.get("x-served-from"), "kv");
    assert.equal((await w.fetch("/gone")).status, 404);
    assert.equal(await store.get("link:gone"), null);
    assert.ok(w.events().some((e) => e.event === "kv_audited" && e.orphaned === 1));

    const again = await (await api(w, "POST", "/api/v1/admin/reconcile")).json();
    assert.deepEqual(again, { checked: 5, missing: 0, stale: 0, orphaned: 0, fixed: 0, failed: 0, orphans_kept: 0, limits_seeded: 0 });
  });

  it("never deletes in bulk on its own: an emptied D1 keeps every redirect until an admin asks", async () => {
    const bulk = await startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    try {
      const codes = Array.from({ length: 15 }, (_, i) => `bulk${i}`);
      for (const code of codes) assert.equal((await createLink(bulk, { url: `https://example.com/${code}`, code })).status, 201);
      // D1 loses every link (an empty restore, the wrong database): KV still has them all.
      const db = await d1(bulk);
      await db.prepare("DELETE FROM links").run();
      // The daily audit (after the backup cron) and the restore's audit run the same code.
      await (await bulk.mf.getWorker()).scheduled({ cron: "41 2 * * *" });
      for (const code of codes) assert.equal((await bulk.fetch(`/${code}`)).status, 302, `${code} still redirects`);
      assert.ok(bulk.events().some((e) => e.event === "kv_audit_bulk_delete_refused" && e.orphaned === 15 && e.level === "error"), "said loudly");
      const report = await (await api(bulk, "POST", "/api/v1/admin/reconcile")).json();
      assert.equal(report.orphaned, 15);
      assert.equal(report.orphans_kept, 15, "the admin call without the flag keeps them too");
      assert.equal((await api(bulk, "POST", "/api/v1/admin/reconcile?delete_orphans=maybe")).status, 422);
      const asked = await (await api(bulk, "POST", "/api/v1/admin/reconcile?delete_orphans=true")).json();
      assert.deepEqual([asked.orphaned, asked.fixed, asked.orphans_kept], [15, 15, 0]);
      assert.equal((await bulk.fetch("/bulk0")).status, 404, "deleted once asked");
    } finally {
      await bulk.stop();
    }
  });

  it("is for the service only", async () => {
    await api(w, "PUT", "/api/v1/users/reconcileusr1", { body: { username: "reconcileusr" } });
    assert.equal((await api(w, "POST", "/api/v1/admin/reconcile", { user: "reconcileusr1" })).status, 403);
  });
});
