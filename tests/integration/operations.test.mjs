// Operations that cannot hurt (issue 19), in the real runtime with local D1, KV, R2 and
// Durable Objects: a restore that cannot erase the edge (restore mode, empty backups never
// chosen, scripts/restore.sh asking first), usernames that cannot be hijacked, and renames
// and deletions that leave nothing stale on the redirect path.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ROOT, api, d1, eventually, kv, redeployOnEmptyD1, startWorker } from "../harness.mjs";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const NO_MEMORY = { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" };
const BACKUP_CRON = "41 2 * * *";

async function ok(res, status) {
  assert.equal(res.status, status, await res.clone().text());
  return res.status === 204 ? null : res.json();
}

async function problem(res, status, code) {
  assert.equal(res.status, status, await res.clone().text());
  assert.match(res.headers.get("content-type"), /^application\/problem\+json/);
  const body = await res.json();
  assert.equal(body.code, code);
  return body;
}

const cron = async (w, schedule) => (await w.mf.getWorker()).scheduled({ cron: schedule });

function restoreScript(w, args, input) {
  return new Promise((resolve) => {
    const child = execFile(join(ROOT, "scripts", "restore.sh"), args, {
      cwd: ROOT,
      env: { ...process.env, UL_URL: w.url.replace(/\/$/, ""), ADMIN_TOKEN: w.adminToken },
    }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

describe("a restore that cannot erase the edge", () => {
  let w;
  let links;
  after(() => w?.stop());

  before(async () => {
    w = await startWorker({ bindings: NO_MEMORY });
    await ok(await api(w, "PUT", "/api/v1/users/opsuser0001", { body: { username: "opsuser" } }), 201);
    links = [];
    for (let i = 0; i < 24; i++) {
      const body = { url: `https://example.com/ops/${i}` };
      if (i % 4 === 0) body.code = `opsuser/page-${i}`;
      if (i === 1) body.password = "open sesame";
      links.push(await ok(await api(w, "POST", "/api/v1/links", { body, user: "opsuser0001" }), 201));
    }
    await cron(w, BACKUP_CRON);
    const listed = await ok(await api(w, "GET", "/api/v1/admin/backups"), 200);
    assert.equal(listed.data.length, 1);
    assert.equal(listed.data[0].links, 24, "the manifest says how many links it holds");
    assert.equal(listed.data[0].default, true);
    assert.equal(listed.data[0].suspect, null);
  });

  it("deploy empty → write → cron backup → restore → audit: every original link redirects", async () => {
    // The database is lost; the worker is deployed again on an empty D1.
    w = await redeployOnEmptyD1(w, { bindings: NO_MEMORY });
    const mode = await ok(await api(w, "GET", "/api/v1/admin/restore-mode"), 200);
    assert.deepEqual([mode.mode, mode.set], ["pending", "auto"]);
    assert.match(mode.reason, /database is empty while a backup with links exists/);

    // Redirects keep working from KV while the restore is pending.
    for (const l of links.filter((l) => !l.has_password)) {
      assert.equal((await w.fetch(new URL(l.short_url).pathname)).status, 302, l.code);
    }
    // The dashboard writes: refused, and nothing lands in the empty database.
    const refused = await problem(await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/new" } }), 503, "restore_mode");
    assert.match(refused.detail, /nothing was changed/);
    const put = await api(w, "PUT", "/api/v1/users/newcomer01", { body: { username: "newcomer" } });
    await problem(put, 503, "restore_mode");
    assert.equal(put.headers.get("retry-after"), "60");
    await problem(await api(w, "POST", "/api/v1/admin/backups"), 503, "restore_mode");
    // Clicks while waiting are kept raw, not counted (counting would write rollups).
    for (let i = 0; i < 3; i++) {
      assert.equal((await w.fetch(new URL(links[2].short_url).pathname, { headers: { "user-agent": CHROME } })).status, 302);
    }
    const db = await d1(w);
    // 23 redirects above (the password link answered its form), and these 3.
    await eventually(async () => (await db.prepare("SELECT count(*) AS n FROM clicks").first()).n === 26, "the consumer to store 26 clicks", { timeoutMs: 30_000 });
    // The daily backup cron, then every other cron: all skip.
    for (const c of [BACKUP_CRON, "17 3 * * *", "* * * * *"]) await cron(w, c);
    assert.equal((await ok(await api(w, "GET", "/api/v1/admin/backups"), 200)).data.length, 1, "no backup of the empty database");
    const skipped = w.events().filter((e) => e.event === "cron_skipped").map((e) => e.job);
    assert.deepEqual(skipped.sort(), ["backup", "kv_reconcile", "retention"]);
    const scrape = await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
    assert.match(scrape, /^crons_skipped_total\{task="backup"\} 1$/m);
    const tables = ["users", "links", "click_rollups", "kv_repairs"];
    for (const t of tables) assert.equal((await db.prepare(`SELECT count(*) AS n FROM ${t}`).first()).n, 0, `${t} stays empty`);
    assert.equal((await (await kv(w)).list({ prefix: "link:" })).keys.length, 24, "KV untouched");

    // Had an operator turned restore mode off, the cron's empty backup would be the newest:
    // it is marked, and never the default.
    await ok(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "off" } }), 200);
    await cron(w, BACKUP_CRON);
    await ok(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "auto" } }), 200);
    const listed = (await ok(await api(w, "GET", "/api/v1/admin/backups"), 200)).data;
    assert.equal(listed.length, 2);
    assert.deepEqual(listed.map((b) => [b.links, b.suspect, b.default]), [[0, "empty: holds no links", false], [24, null, true]]);
    // The audit that follows that backup refused to delete the "orphans".
    assert.equal((await (await kv(w)).list({ prefix: "link:" })).keys.length, 24);

    // scripts/restore.sh shows what it is about to restore and asks.
    const no = await restoreScript(w, [], "no\n");
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, new RegExp(`about to restore backup ${listed[1].id}`));
    assert.match(no.stderr, /links\s+24 rows/);
    assert.match(no.stderr, /nothing restored/);
    assert.equal((await db.prepare("SELECT count(*) AS n FROM links").first()).n, 0);
    const yes = await restoreScript(w, [], "yes\n");
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stderr, /restored; KV rebuilt/);
    assert.equal(JSON.parse(yes.stdout).restored.id, listed[1].id, "the good backup, not the newest");

    // The daily audit afterwards, and every original link redirects from the rebuilt KV.
    await cron(w, BACKUP_CRON);
    assert.equal((await ok(await api(w, "GET", "/api/v1/admin/restore-mode"), 200)).mode, "off");
    for (const l of links) {
      const res = await w.fetch(new URL(l.short_url).pathname);
      assert.equal(res.status, l.has_password ? 401 : 302, l.code);
    }
    // The clicks made while waiting were counted after the restore.
    const counted = await db.prepare("SELECT click_count FROM links WHERE id = ?").bind(links[2].id).first();
    assert.equal(counted.click_count, 4);
    // Writes work again; the newest backup now is a good one.
    await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/after" } }), 201);
    assert.equal((await ok(await api(w, "POST", "/api/v1/admin/backups"), 201)).links, 25);
    const after = (await ok(await api(w, "GET", "/api/v1/admin/backups"), 200)).data;
    assert.deepEqual(after.map((b) => [b.links, b.default]), [[25, true], [24, false], [0, false], [24, false]]);
  });

  it("restore mode can be turned on by hand, and bad settings change nothing", async () => {
    await ok(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "pending" } }), 200);
    await problem(await api(w, "DELETE", `/api/v1/links/${links[3].id}`, { user: "opsuser0001" }), 503, "restore_mode");
    // Reads still work.
    await ok(await api(w, "GET", `/api/v1/links/${links[3].id}`, { user: "opsuser0001" }), 200);
    await problem(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "sometimes" } }), 422, "validation_failed");
    await problem(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "off" }, token: w.token }), 403, "forbidden");
    assert.equal((await ok(await api(w, "GET", "/api/v1/admin/restore-mode"), 200)).mode, "pending");
    await ok(await api(w, "PUT", "/api/v1/admin/restore-mode", { body: { mode: "auto" } }), 200);
    await ok(await api(w, "DELETE", `/api/v1/links/${links[3].id}`, { user: "opsuser0001" }), 204);
  });
});

describe("usernames that cannot be hijacked", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: NO_MEMORY });
    await ok(await api(w, "PUT", "/api/v1/users/aliceid0001", { body: { username: "alice" } }), 201);
    await ok(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "mallory" } }), 201);
  });
  after(() => w?.stop());

  it("a rename keeps the links where they are, and nobody else takes the old name", async () => {
    const cv = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://alice.example/cv", code: "alice/resume" }, user: "aliceid0001" }), 201);
    await ok(await api(w, "PUT", "/api/v1/users/aliceid0001", { body: { username: "alicia" } }), 200);
    assert.equal((await w.fetch("/u/alice/resume")).headers.get("location"), "https://alice.example/cv");
    // Mallory tries to take the freed name: refused while Alice's links live under it.
    const taken = await problem(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alice" } }), 409, "username_held");
    assert.match(taken.detail, /links of another user live under \/u\/alice\//);
    // …and cannot put links under it either.
    await problem(await api(w, "POST", "/api/v1/links", { body: { url: "https://evil.example/", code: "alice/login" }, user: "malloryid01" }), 422, "validation_failed");
    assert.equal((await w.fetch("/u/alice/login")).status, 404);
    // Alice's new links go under her new name; she cannot add to the old one meanwhile.
    await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://alice.example/new", code: "alicia/new" }, user: "aliceid0001" }), 201);
    // Once her links under the old name are gone, the name is still held for her.
    await ok(await api(w, "DELETE", `/api/v1/links/${cv.id}`, { user: "aliceid0001" }), 204);
    const held = await problem(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alice" } }), 409, "username_held");
    assert.match(held.detail, /held for its previous owner until \d{4}-\d\d-\d\dT/);
    // Alice takes it back whenever she likes, and her links under "alicia" stay hers.
    await ok(await api(w, "PUT", "/api/v1/users/aliceid0001", { body: { username: "alice" } }), 200);
    assert.equal((await w.fetch("/u/alicia/new")).status, 302);
    await problem(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alicia" } }), 409, "username_held");
    // A name somebody has now: taken, as before.
    await problem(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alice" } }), 409, "username_taken");
  });

  it("after the hold, a name with no links under it is free again", async () => {
    await ok(await api(w, "PUT", "/api/v1/users/aliceid0001", { body: { username: "alice-two" } }), 200);
    // Only Alice's link "alicia/new" keeps "alicia"; "alice" has none left. Age the hold.
    const db = await d1(w);
    await db.prepare("UPDATE username_holds SET released_at = '2020-01-01T00:00:00.000Z'").run();
    await ok(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alice" } }), 200);
    await problem(await api(w, "PUT", "/api/v1/users/malloryid01", { body: { username: "alicia" } }), 409, "username_held");
  });
});

describe("renames and deletions leave nothing stale", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: NO_MEMORY });
    await ok(await api(w, "PUT", "/api/v1/users/taguser001", { body: { username: "taguser" } }), 201);
    await ok(await api(w, "PUT", "/api/v1/users/goneuser01", { body: { username: "goneuser" } }), 201);
  });
  after(() => w?.stop());

  it("renaming, deleting or merging a tag gives its links a new version", async () => {
    const as = { user: "taguser001" };
    const promo = await ok(await api(w, "POST", "/api/v1/tags", { body: { name: "promo" }, ...as }), 201);
    const other = await ok(await api(w, "POST", "/api/v1/tags", { body: { name: "other" }, ...as }), 201);
    const link = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/t", tags: ["promo"] }, ...as }), 201);
    const read = async () => {
      const res = await api(w, "GET", `/api/v1/links/${link.id}`, as);
      return { etag: res.headers.get("etag"), body: await ok(res, 200) };
    };
    const v1 = await read();
    await ok(await api(w, "PATCH", `/api/v1/tags/${promo.id}`, { body: { name: "sale" }, ...as }), 200);
    const v2 = await read();
    assert.notEqual(v2.etag, v1.etag);
    assert.deepEqual(v2.body.tags, ["sale"]);
    // An edit based on the old version is refused: it would overwrite what it never saw.
    await problem(await api(w, "PATCH", `/api/v1/links/${link.id}`, { body: { title: "x" }, headers: { "if-match": v1.etag }, ...as }), 412, "precondition_failed");
    // A colour change shows nowhere on the link: same version.
    await ok(await api(w, "PATCH", `/api/v1/tags/${promo.id}`, { body: { color: "#ff0000" }, ...as }), 200);
    assert.equal((await read()).etag, v2.etag);
    await ok(await api(w, "POST", `/api/v1/tags/${promo.id}/merge`, { body: { into: other.id }, ...as }), 200);
    const v3 = await read();
    assert.notEqual(v3.etag, v2.etag);
    assert.deepEqual(v3.body.tags, ["other"]);
    await ok(await api(w, "DELETE", `/api/v1/tags/${other.id}`, as), 204);
    const v4 = await read();
    assert.notEqual(v4.etag, v3.etag);
    assert.deepEqual(v4.body.tags, []);
  });

  it("deleting a user stops their links at once and removes their data", async () => {
    const as = { user: "goneuser01" };
    const made = [];
    for (const body of [{ url: "https://gone.example/a", code: "goneuser/aaa" }, { url: "https://gone.example/b", tags: ["t"] }, { url: "https://gone.example/c", code: "gone-c" }]) {
      made.push(await ok(await api(w, "POST", "/api/v1/links", { body, ...as }), 201));
    }
    const key = await ok(await api(w, "POST", "/api/v1/api-keys", { body: { name: "k" }, ...as }), 201);
    for (const l of made) assert.equal((await w.fetch(new URL(l.short_url).pathname, { headers: { "user-agent": CHROME } })).status, 302);
    const db = await d1(w);
    await eventually(async () => (await db.prepare("SELECT count(*) AS n FROM click_rollups WHERE link_id IN (SELECT id FROM links WHERE user_id = 'goneuser01')").first()).n > 0, "clicks counted", { timeoutMs: 30_000 });
    // Only the service may delete users.
    await problem(await api(w, "DELETE", "/api/v1/users/goneuser01", { token: key.key }), 403, "forbidden");
    await ok(await api(w, "DELETE", "/api/v1/users/goneuser01"), 204);
    for (const l of made) assert.equal((await w.fetch(new URL(l.short_url).pathname)).status, 404, `${l.code} stopped`);
    const store = await kv(w);
    for (const l of made) assert.equal(await store.get(`link:${l.code}`), null);
    for (const t of ["links", "tags", "api_keys"]) {
      assert.equal((await db.prepare(`SELECT count(*) AS n FROM ${t} WHERE user_id = 'goneuser01'`).first()).n, 0, t);
    }
    for (const t of ["clicks", "click_rollups", "click_visitors"]) {
      const ids = made.map((l) => `'${l.id}'`).join(",");
      assert.equal((await db.prepare(`SELECT count(*) AS n FROM ${t} WHERE link_id IN (${ids})`).first()).n, 0, t);
    }
    // Their key no longer works, acting as them is refused, and the name is held.
    assert.equal((await api(w, "GET", "/api/v1/links", { token: key.key })).status, 401);
    await problem(await api(w, "GET", "/api/v1/links", as), 422, "validation_failed");
    await problem(await api(w, "PUT", "/api/v1/users/taguser001", { body: { username: "goneuser" } }), 409, "username_held");
    await problem(await api(w, "DELETE", "/api/v1/users/goneuser01"), 404, "not_found");
    // Nobody else's links were touched.
    assert.ok((await db.prepare("SELECT count(*) AS n FROM links WHERE user_id = 'taguser001'").first()).n >= 1);
  });
});
