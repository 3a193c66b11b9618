// The bench's references answer as the worker does: the same status, headers and body for the
// same link, so the bench compares like with like. Issue 14's account of what the runtime
// costs (BENCHMARKS.md) rests on them: a reference that drifted from the worker's answers (a
// header fewer, a shorter body) would make the worker look slower than its own code is.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Miniflare } from "miniflare";
import { ROOT, createLink, kv, startWorker } from "../harness.mjs";
import { startRustReference } from "../../bench/load.mjs";

const VISITOR = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0", "cf-connecting-ip": "198.18.0.7" };

/** Status, headers (as sent, the runtime's own transfer headers aside) and body. */
async function answer(res) {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !["content-encoding", "transfer-encoding", "content-length"].includes(name)));
  return { status: res.status, headers, body: await res.text() };
}

describe("the bench's references answer as the worker does", () => {
  let hot, cold, ref, record;
  before(async () => {
    [hot, cold] = await Promise.all([
      startWorker(),
      // The memory layer off: every redirect reads KV, as the bench's KV case.
      startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } }),
    ]);
    for (const w of [hot, cold]) assert.equal((await createLink(w, { url: "https://example.com/", code: "bench" })).status, 201);
    record = await (await kv(cold)).get("link:bench");
    assert.ok(record, "the link has a KV record");
    ref = await startRustReference({ kvNamespaces: { LINKS_KV: "bench-references" } });
    await (await ref.mf.getKVNamespace("LINKS_KV")).put("link:bench", record);
  });
  after(() => Promise.allSettled([hot?.stop(), cold?.stop(), ref?.mf.dispose()]));

  const fromRef = (path) => fetch(new URL(path, ref.url), { redirect: "manual", headers: VISITOR });

  it("the click reference's 302 is the worker's redirect from memory", async () => {
    await hot.fetch("/bench", { redirect: "manual", headers: VISITOR }); // fills the memory layer
    const ours = await answer(await hot.fetch("/bench", { redirect: "manual", headers: VISITOR }));
    assert.equal(ours.headers["x-served-from"], "memory");
    assert.deepEqual(await answer(await fromRef("/click")), ours);
  });

  it("the KV reference's 302 is the worker's redirect from KV, for the record the worker wrote", async () => {
    const ours = await answer(await cold.fetch("/bench", { redirect: "manual", headers: VISITOR }));
    assert.equal(ours.headers["x-served-from"], "kv");
    assert.deepEqual(await answer(await fromRef("/kv/bench")), ours);
    // An absent record is not a redirect.
    assert.equal((await fromRef("/kv/absent")).status, 404);
  });

  it("the same-body reference's /health is the worker's /health", async () => {
    const ours = await answer(await hot.fetch("/health"));
    assert.equal(ours.status, 200);
    assert.deepEqual(await answer(await fromRef("/health")), ours);
  });

  it("the constant 302 and the JS KV floor redirect to the link's target", async () => {
    assert.equal((await fromRef("/")).headers.get("location"), "https://example.com/");
    const floor = new Miniflare({ modules: true, scriptPath: join(ROOT, "bench", "kv-floor.mjs"), compatibilityDate: "2026-04-20", kvNamespaces: { LINKS_KV: "kv-floor" }, host: "127.0.0.1", port: 0, cf: false });
    try {
      const url = await floor.ready;
      await (await floor.getKVNamespace("LINKS_KV")).put("link:bench", record);
      const res = await fetch(new URL("/bench", url), { redirect: "manual" });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), JSON.parse(record).url);
    } finally {
      await floor.dispose();
    }
  });
});
