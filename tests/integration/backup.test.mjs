// Backups and restore in the real runtime: D1 → gzipped NDJSON in local R2 with a
// manifest → wipe → restore into the empty D1 → KV rebuilt → every link redirects again.
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT, api, d1, eventually, kv, r2, startWorker } from "../harness.mjs";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const TABLES = ["users", "webhook_endpoints", "links", "tags", "link_tags", "api_keys", "click_rollups", "workspaces", "workspace_members", "import_ledger", "abuse_denylist", "admin_audit"];

async function ok(res, status) {
  assert.equal(res.status, status, await res.clone().text());
  return res.json();
}

async function counts(w) {
  const db = await d1(w);
  const out = {};
  for (const t of [...TABLES, "clicks"]) out[t] = (await db.prepare(`SELECT count(*) AS n FROM ${t}`).first()).n;
  return out;
}

async function wipe(w) {
  const db = await d1(w);
  for (const t of ["link_tags", "click_rollups", "clicks", "click_visitors", "api_keys", "workspace_members", "workspaces", "tags", "links", "webhook_deliveries", "webhook_events", "webhook_endpoints", "users", "kv_repairs", "idempotency_keys"]) {
    await db.prepare(`DELETE FROM ${t}`).run();
  }
  const store = await kv(w);
  for (const { name } of (await store.list({ prefix: "link:" })).keys) await store.delete(name);
}

describe("backups and restore", () => {
  let w;
  let links;
  let before_;
  let backupId;
  before(async () => {
    // No memory layer: after a wipe, only KV and D1 can answer.
    w = await startWorker({ bindings: { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" } });
    await ok(await api(w, "PUT", "/api/v1/users/backupuser001", { body: { username: "backupuser", bio: "Grüße" } }), 201);
    const as = { user: "backupuser001" };
    links = [];
    for (let i = 0; i < 30; i++) {
      const body = { url: `https://example.com/page/${i}?q=ä&x=${"y".repeat(i * 30)}`, title: `Link ${i}`, tags: i % 3 ? ["promo"] : ["news", "promo"] };
      if (i === 1) body.password = "secret-pass";
      if (i === 2) body.geo = { DE: "https://example.de/" };
      links.push(await ok(await api(w, "POST", "/api/v1/links", { body, ...as }), 201));
    }
    links.push(await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/service", code: "svc" } }), 201));
    await ok(await api(w, "POST", "/api/v1/api-keys", { body: { name: "ci" }, ...as }), 201);
    await ok(await api(w, "PUT", "/api/v1/workspaces/backupteam", { body: { name: "Team", members: ["backupuser001"] } }), 201);
    // A webhook endpoint (with its secret): a restore must not cut off the user's integrations.
    await ok(await api(w, "POST", "/api/v1/webhooks", { body: { url: "https://hooks.example.com/uload", events: ["link.created"], enabled: false }, ...as }), 201);
    // Clicks, counted into the links and rollups.
    for (const l of links.slice(3, 8)) {
      for (let i = 0; i < 3; i++) assert.equal((await w.fetch(`/${l.code}`, { headers: { "user-agent": CHROME } })).status, 302);
    }
    const db = await d1(w);
    await eventually(async () => (await db.prepare("SELECT coalesce(sum(click_count), 0) AS n FROM links").first()).n === 15, "15 clicks counted", { timeoutMs: 60_000 });
    before_ = await counts(w);
  });
  after(() => w?.stop());

  const linkRows = async () =>
    (await (await d1(w)).prepare("SELECT * FROM links ORDER BY id").all()).results;

  it("a backup writes every table as gzipped NDJSON with a manifest of counts and checksums", async () => {
    const made = await ok(await api(w, "POST", "/api/v1/admin/backups"), 201);
    backupId = made.id;
    const bucket = await r2(w);
    const manifest = JSON.parse(await (await bucket.get(`backups/${backupId}/manifest.json`)).text());
    assert.deepEqual(manifest.tables.map((t) => t.name), TABLES);
    for (const t of manifest.tables) {
      const gz = new Uint8Array(await (await bucket.get(t.key)).arrayBuffer());
      assert.equal(gz.length, t.gzip_bytes);
      const ndjson = gunzipSync(gz);
      assert.equal(ndjson.length, t.bytes);
      const lines = ndjson.toString("utf8").split("\n").filter(Boolean);
      assert.equal(lines.length, t.rows, t.name);
      assert.equal(t.rows, before_[t.name], `${t.name}: every row`);
      const { createHash } = await import("node:crypto");
      assert.equal(createHash("sha256").update(ndjson).digest("hex"), t.sha256);
    }
    assert.ok(!(await bucket.head(`backups/${backupId}/clicks.ndjson.gz`)), "raw clicks only with BACKUP_INCLUDE_CLICKS");
    const listed = await ok(await api(w, "GET", "/api/v1/admin/backups"), 200);
    assert.equal(listed.data[0].id, backupId);
  });

  it("only the service itself may back up or restore", async () => {
    const res = await api(w, "POST", "/api/v1/admin/backups", { user: "backupuser001" });
    assert.equal(res.status, 403);
    const restore = await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`, { user: "backupuser001" });
    assert.equal(restore.status, 403);
    const anon = await api(w, "GET", "/api/v1/admin/backups", { token: null });
    assert.equal(anon.status, 401);
  });

  it("restore into a non-empty database is refused", async () => {
    const res = await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`);
    assert.equal(res.status, 409);
    assert.equal((await res.json()).code, "database_not_empty");
  });

  it("a corrupted or truncated backup is refused with a clear error and changes nothing", async () => {
    const expected = await linkRows();
    await wipe(w);
    const bucket = await r2(w);
    const key = `backups/${backupId}/links.ndjson.gz`;
    const good = new Uint8Array(await (await bucket.get(key)).arrayBuffer());
    const damaged = [
      ["truncated", good.slice(0, Math.floor(good.length / 2))],
      ["a flipped byte", Uint8Array.from(good, (b, i) => (i === Math.floor(good.length / 2) ? b ^ 0xff : b))],
      ["not gzip", new TextEncoder().encode('{"id":"x"}\n')],
      // A gzip bomb: 64 MiB of zeros in ~64 KB; the manifest says the table is far smaller,
      // and decompression stops there instead of inflating it all into memory.
      ["a gzip bomb", new Uint8Array(gzipSync(Buffer.alloc(64 * 1024 * 1024)))],
    ];
    for (const [what, bytes] of damaged) {
      await bucket.put(key, bytes);
      const res = await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`);
      assert.equal(res.status, 422, what);
      const p = await res.json();
      assert.equal(p.code, "backup_unusable", what);
      assert.match(p.detail, /links/, `${what}: names the table (${p.detail})`);
      if (what === "a gzip bomb") assert.match(p.detail, /more than \d+ bytes once decompressed/, "stopped at the manifest's size, not inflated whole");
      const c = await counts(w);
      assert.ok(Object.values(c).every((n) => n === 0), `${what}: nothing was written ${JSON.stringify(c)}`);
    }
    const missing = await api(w, "POST", "/api/v1/admin/backups/2020-01-01T00-00-00.000Z/restore");
    assert.equal(missing.status, 404);
    // The good bytes back: the restore works (next test); the data is what it was.
    await bucket.put(key, good);
    const res = await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await linkRows(), expected, "every link row as it was, counts included");
  });

  it("a consistent backup with rows the API would never write is refused, and changes nothing", async () => {
    // Whoever can write the bucket can craft a backup whose checksums agree: its rows are
    // checked with the API's own rules (targets, codes, password hashes) before any is written.
    const { createHash } = await import("node:crypto");
    const bucket = await r2(w);
    const manifestKey = `backups/${backupId}/manifest.json`;
    const goodManifest = await (await bucket.get(manifestKey)).text();
    const key = `backups/${backupId}/links.ndjson.gz`;
    const good = new Uint8Array(await (await bucket.get(key)).arrayBuffer());
    const rows = gunzipSync(good).toString().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const before = await counts(w);
    for (const [what, change, expected] of [
      ["a javascript: target", (r) => (r.url = "javascript:alert(document.cookie)"), /url of/],
      ["a weak password hash", (r) => (r.password_hash = "$pbkdf2-sha256$i=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"), /PBKDF2/],
      ["a reserved code", (r) => (r.code = "login"), /code 'login'/],
    ]) {
      const crafted = rows.map((r, i) => {
        const copy = { ...r };
        if (i === 0) change(copy);
        return copy;
      });
      const ndjson = Buffer.from(crafted.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const manifest = JSON.parse(goodManifest);
      const entry = manifest.tables.find((t) => t.name === "links");
      entry.sha256 = createHash("sha256").update(ndjson).digest("hex");
      entry.bytes = ndjson.length;
      const gz = new Uint8Array(gzipSync(ndjson));
      entry.gzip_bytes = gz.length;
      await bucket.put(key, gz);
      await bucket.put(manifestKey, JSON.stringify(manifest));
      const res = await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`);
      assert.equal(res.status, 422, what);
      const p = await res.json();
      assert.equal(p.code, "backup_unusable", what);
      assert.match(p.detail, /row 1 is not one the API would write/, what);
      assert.match(p.detail, expected, `${what}: ${p.detail}`);
      assert.deepEqual(await counts(w), before, `${what}: nothing changed`);
    }
    await bucket.put(key, good);
    await bucket.put(manifestKey, goodManifest);
  });

  it("after a wipe, restore brings back every row and every redirect, and KV is rebuilt", async () => {
    await wipe(w);
    for (const l of links.slice(0, 3)) assert.equal((await w.fetch(`/${l.code}`)).status, 404, "wiped");
    // A KV record of a link the backup does not have must not survive the rebuild.
    await (await kv(w)).put("link:ghost", JSON.stringify({ url: "https://ghost.example/" }));
    const res = await ok(await api(w, "POST", `/api/v1/admin/backups/${backupId}/restore`), 200);
    assert.equal(res.kv.failed, 0);
    assert.equal(res.kv.written, links.length + 1, "every link, and the ghost deleted");
    assert.deepEqual(await counts(w), { ...before_, clicks: 0 }, "every count matches (raw clicks are not in backups)");
    for (const l of links) {
      const r = await w.fetch(`/${l.code}`, { headers: { "user-agent": CHROME } });
      if (l.has_password) {
        assert.equal(r.status, 401, l.code);
        continue;
      }
      assert.equal(r.status, 302, l.code);
      assert.equal(r.headers.get("x-served-from"), "kv", "KV was rebuilt");
    }
    assert.equal((await w.fetch("/ghost")).status, 404);
    assert.equal(await (await kv(w)).get("link:ghost"), null);
    // Tags, the user and the key came back with their links.
    const list = await ok(await api(w, "GET", "/api/v1/links?tag=news&limit=100", { user: "backupuser001" }), 200);
    assert.equal(list.data.length, 10);
    const stats = await ok(await api(w, "GET", `/api/v1/links/${links[3].id}/stats`, { user: "backupuser001" }), 200);
    assert.equal(stats.totals.clicks, 3, "rollups restored");
  });

  it("the daily cron backs up, and backups past retention go (the newest always stays)", async () => {
    const bucket = await r2(w);
    await bucket.put("backups/2020-01-01T00-00-00.000Z/manifest.json", "{}");
    await bucket.put("backups/2020-01-01T00-00-00.000Z/links.ndjson.gz", "x");
    const before = (await ok(await api(w, "GET", "/api/v1/admin/backups"), 200)).data.length;
    await (await w.mf.getWorker()).scheduled({ cron: "41 2 * * *" });
    const after = (await ok(await api(w, "GET", "/api/v1/admin/backups"), 200)).data;
    assert.equal(after.length, before + 1);
    assert.equal((await bucket.list({ prefix: "backups/2020-01-01" })).objects.length, 0, "old backup deleted");
    assert.ok(w.events().some((e) => e.event === "backup_written" && e.pruned.includes("2020-01-01T00-00-00.000Z")));
  });

  it("scripts/restore.sh, the documented command, restores the newest backup", async () => {
    await wipe(w);
    const { stdout, stderr } = await promisify(execFile)(join(ROOT, "scripts", "restore.sh"), ["--yes"], {
      cwd: ROOT,
      env: { ...process.env, UL_URL: w.url.replace(/\/$/, ""), ADMIN_TOKEN: w.adminToken },
    });
    assert.match(stderr, /restored; KV rebuilt/);
    assert.equal(JSON.parse(stdout).kv.failed, 0);
    assert.deepEqual(await counts(w), { ...before_, clicks: 0 });
    assert.equal((await w.fetch(`/${links[5].code}`)).status, 302);
    // Refused restores exit non-zero.
    await assert.rejects(
      promisify(execFile)(join(ROOT, "scripts", "restore.sh"), ["--yes"], {
        cwd: ROOT,
        env: { ...process.env, UL_URL: w.url.replace(/\/$/, ""), ADMIN_TOKEN: w.adminToken },
      }),
      /restore refused \(HTTP 409\)/,
    );
  });
});

describe("backups with raw clicks", () => {
  it("BACKUP_INCLUDE_CLICKS=true: the raw clicks come back too", async () => {
    const w = await startWorker({ bindings: { BACKUP_INCLUDE_CLICKS: "true" } });
    try {
      const l = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/c", code: "withclicks" } }), 201);
      for (let i = 0; i < 4; i++) assert.equal((await w.fetch("/withclicks", { headers: { "user-agent": CHROME } })).status, 302);
      const db = await d1(w);
      await eventually(async () => (await db.prepare("SELECT count(*) AS n FROM clicks WHERE pending = 0").first()).n === 4, "4 clicks stored", { timeoutMs: 60_000 });
      const rawBefore = (await db.prepare("SELECT * FROM clicks ORDER BY id").all()).results;
      const made = await ok(await api(w, "POST", "/api/v1/admin/backups"), 201);
      assert.ok(made.tables.some((t) => t.name === "clicks" && t.rows === 4));
      await wipe(w);
      await ok(await api(w, "POST", `/api/v1/admin/backups/${made.id}/restore`), 200);
      assert.deepEqual((await db.prepare("SELECT * FROM clicks ORDER BY id").all()).results, rawBefore, "every raw click, as it was");
      const row = await db.prepare("SELECT click_count FROM links WHERE id = ?").bind(l.id).first();
      assert.equal(row.click_count, 4);
    } finally {
      await w.stop();
    }
  });
});
