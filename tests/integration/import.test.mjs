// Migrating uLoad for real: a pb_data/data.db shaped like uLoad's production PocketBase
// (tests/fixtures/uload-pocketbase.sql: its collections, field names and storage
// conventions) goes through uload-import, is loaded with `wrangler d1 execute`, reconciled,
// and checked through the worker: redirects (/, /u/, /w/), passwords as stored, bio pages
// as public as they were, used-up limits, counts and geography, tags, workspaces; then a
// later export imported again adds only what is new and counts nothing twice.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ROOT, api, clicksSettled, d1, kv, startWorker } from "../harness.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const IMPORTER = join(ROOT, "target", "debug", "uload-import");
const FIXTURE = join(ROOT, "tests", "fixtures", "uload-pocketbase.sql");
// The origin is down: bio pages are rendered by the worker from D1.
const BINDINGS = { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0", ORIGIN_URL: "http://127.0.0.1:9", ORIGIN_PREFIXES: "/p/", ORIGIN_RETRIES: "0" };

/** A data.db from SQL, with Python's sqlite3 (as PocketBase's own SQLite would hold it). */
async function sqliteFile(file, sql) {
  const child = execFile("python3", ["-c", "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.executescript(sys.stdin.read()); db.commit()", file]);
  child.stdin.end(sql);
  await new Promise((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`python3 exited ${code}`)))));
  return file;
}

const importer = (args) => run(IMPORTER, args, { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });

async function execute(dir, sqlFile) {
  await run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", dir, "--file", sqlFile, "--yes"], {
    cwd: ROOT,
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
  });
}

const unlock = (w, path, password) =>
  w.fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: w.url.replace(/\/$/, "") }, body: new URLSearchParams({ password }).toString() });

describe("migrating uLoad's PocketBase", () => {
  let dir;
  let db;
  let w;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "uload-import-"));
    await run("cargo", ["build", "--quiet", "-p", "uload-import"], { cwd: ROOT });
    db = await sqliteFile(join(dir, "data.db"), await readFile(FIXTURE, "utf8"));
  });
  after(async () => {
    await w?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a dry run reports every collection, and no data lost that the worker could hold", async () => {
    const { stdout, stderr } = await importer(["--sqlite", db, "--dry-run"]);
    const report = JSON.parse(stdout);
    assert.deepEqual(
      Object.fromEntries(Object.entries(report.collections).map(([k, v]) => [k, [v.read, v.mapped, v.skipped]])),
      {
        users: [6, 6, 0],
        links: [16, 15, 1],
        tags: [3, 3, 0],
        linktags: [4, 4, 0],
        clicks: [6, 6, 0],
        analytics: [1, 1, 0],
        workspaces: [2, 1, 0],
        workspace_members: [2, 1, 1],
      },
    );
    assert.deepEqual(report.insert, { users: 6, workspaces: 1, workspace_members: 2, tags: 3, links: 15, link_tags: 4, clicks: 7 });
    // The only records left behind: a script as a target, and an invitation never accepted.
    assert.equal(report.skipped, 2);
    assert.match(stderr, /skipped .*pblinkevil00001.*javascript/);
    assert.match(stderr, /skipped .*pbwmnoname00001.*pending/);
    // Notes are not skips: what changed on the way, said per record.
    assert.equal(report.notes, 5);
    assert.match(stderr, /note .*pbnoname0000001.*no username/);
    assert.match(stderr, /note .*pbtemp000000001.*placeholder/);
    assert.match(stderr, /note .*pbjurgen0000001.*cannot be routed/);
    // What was not read at all, and which fields stay behind, with why.
    assert.deepEqual(report.not_read.map((n) => n.collection), ["cards", "folders"]);
    assert.ok(report.not_read.every((n) => n.why.length > 10));
    assert.ok(report.not_imported.some((f) => f.fields.includes("email")));
    assert.ok(report.not_imported.some((f) => f.fields.includes("stripeCustomerId")));
    assert.match(stderr, /dry run, nothing written/);
  });

  it("imports through wrangler, and the worker serves uLoad's links as uLoad did", async () => {
    const sqlFile = join(dir, "import.sql");
    await importer(["--sqlite", db, "--out", sqlFile]);
    const sqlText = await readFile(sqlFile, "utf8");
    for (const secret of ["203.0.113.77", "2001:db8::77", "198.51.100.23", "open sesame", "alice@example.com", "$2a$10$", "tok-alice", "cus_ALICE", "inv-secret-token"]) {
      assert.ok(!sqlText.includes(secret), `${secret} is not imported`);
    }
    const w0 = await startWorker({ bindings: BINDINGS });
    await w0.stop({ keepState: true });
    await execute(w0.dir, sqlFile);
    w = await startWorker({ bindings: BINDINGS, state: w0.state });

    // Publish to KV, count the imported clicks, seed the max_clicks counters.
    const reconciled = await api(w, "POST", "/api/v1/admin/reconcile");
    assert.equal(reconciled.status, 200, await reconciled.clone().text());
    const rec = await reconciled.json();
    assert.equal(rec.missing, 15);
    assert.equal(rec.limits_seeded, 2);
    const redirects = {
      "/u/alice/cv-2024": "https://alice.example/cv.pdf",
      "/u/alice/promo": "https://alice.example/promo?x=%C3%A4&utm_source=newsletter",
      "/w/acme/bobteam": "https://acme.example/board",
      "/bobpersonal": "https://bob.example/me",
      "/noname-link": "https://noname.example/",
      "/temp-link": "https://temp.example/",
      "/u/user_9x8y7z/kept": "https://kept.example/",
      "/juergen1": "https://jurgen.example/",
      "/old-row": "https://alice.example/old",
      "/tagged": "https://alice.example/tagged",
    };
    for (const [path, target] of Object.entries(redirects)) {
      const res = await w.fetch(path);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get("location"), target, path);
    }
    const codes = (await (await d1(w)).prepare("SELECT code FROM links WHERE code LIKE 'alice/%' ORDER BY code").all()).results.map((r) => r.code);
    assert.deepEqual(codes, ["alice/cv-2024", "alice/promo"], "never prefixed twice");
    assert.equal((await w.fetch("/switched-off")).status, 410);
    assert.equal((await w.fetch("/expired-one")).status, 410);
    assert.equal((await w.fetch("/evil-one")).status, 404);

    // The password exactly as uLoad stored it, surrounding spaces included.
    assert.equal((await w.fetch("/secret-doc")).status, 401);
    assert.equal((await unlock(w, "/secret-doc", "open sesame")).status, 401, "trimmed: wrong");
    assert.equal((await unlock(w, "/secret-doc", "  open sesame ")).status, 303);

    // max_clicks: the giveaway was used up in uLoad (bots and empty User-Agents counted).
    assert.equal((await w.fetch("/giveaway")).status, 410, "a used-up link stays used up");
    const left = [];
    for (let i = 0; i < 9; i++) left.push((await w.fetch("/limited-open")).status);
    assert.deepEqual(left, [...Array(8).fill(302), 410], "10 allowed, 2 used in uLoad: 8 left");

    // Bio pages as public as they were: Alice's publicProfile was true, Bob's false.
    const alice = await w.fetch("/p/alice");
    assert.equal(alice.status, 200);
    const html = await alice.text();
    assert.match(html, /Alice Ärger/);
    assert.match(html, /Lebenslauf/);
    assert.equal((await w.fetch("/p/bob")).status, 404, "a private profile stays private");
    assert.equal((await w.fetch("/p/temp_k3j4h5")).status, 404, "a placeholder is no profile");

    // Counts and geography, as uLoad recorded them: an empty User-Agent is a person.
    const rows = async (sql) => (await (await d1(w)).prepare(sql).all()).results;
    assert.deepEqual(await rows("SELECT id, click_count, bot_click_count FROM links WHERE id IN ('pblinkgive00001', 'pblinkcv0000001', 'pblinknoname001') ORDER BY id"), [
      { id: "pblinkcv0000001", click_count: 1, bot_click_count: 0 },
      { id: "pblinkgive00001", click_count: 2, bot_click_count: 1 },
      { id: "pblinknoname001", click_count: 5, bot_click_count: 0 },
    ]);
    assert.deepEqual(await rows("SELECT id, country, city FROM clicks WHERE link_id = 'pblinkgive00001' ORDER BY id"), [
      { id: "pb-pbclickgive0001", country: "DE", city: "Munich" },
      { id: "pb-pbclickgive0002", country: null, city: null },
      { id: "pb-pbclickgive0003", country: null, city: null },
    ]);
    const stats = await (await api(w, "GET", "/api/v1/links/pblinkgive00001/stats?from=2024-04-01&to=2024-05-01", { user: "pbbob0000000001" })).json();
    assert.equal(stats.totals.clicks, 2);
    // "Germany" became DE; "Unknown" is no country (not a country called UNKNOWN).
    assert.deepEqual(stats.top.countries.map((c) => c.value).sort(), ["DE", null]);
    const old = (await rows("SELECT created_at FROM links WHERE id = 'pblinkold000001'"))[0];
    assert.equal(old.created_at, "2023-11-05T09:30:00.000Z", "no creation time: its first click");

    // Tags from linktags, with uLoad's slugs; workspaces with their members.
    const tagged = await (await api(w, "GET", "/api/v1/links?tag=caf-tipps", { user: "pbalice00000001" })).json();
    assert.deepEqual(tagged.data.map((l) => [l.code, l.tags.sort()]), [["tagged", ["Café Tipps", "Work"]]]);
    const ws = await (await api(w, "GET", "/api/v1/workspaces/acme")).json();
    assert.deepEqual(ws.members.sort(), ["pbalice00000001", "pbbob0000000001"]);
    // A user without a username: acting for them works, their name is no path.
    const noname = await (await api(w, "GET", "/api/v1/links", { user: "pbnoname0000001" })).json();
    assert.deepEqual(noname.data.map((l) => new URL(l.short_url).pathname), ["/noname-link"]);
    const attempt = await api(w, "POST", "/api/v1/links", { user: "pbnoname0000001", body: { url: "https://x.example/", code: "~pbnoname0000001/abc" } });
    assert.equal(attempt.status, 422, "no /u/ path under a name that is no username");
  });

  it("a later export imported again adds only what is new and counts nothing twice", async () => {
    const store = await d1(w);
    // The redirects above made clicks of their own: wait until the consumer stored every
    // click the redirects recorded (the worker's own counters say both), and counted them.
    await clicksSettled(w);
    const before = (await store.prepare("SELECT id, click_count, bot_click_count FROM links ORDER BY id").all()).results;
    // Since the first import: retention removed old raw clicks, an owner deleted a link,
    // and uLoad got a new link with a click during the switch.
    await store.prepare("DELETE FROM clicks WHERE clicked_at < '2024-01-01'").run();
    assert.equal((await api(w, "DELETE", "/api/v1/links/pblinktemp00001", { user: "pbtemp000000001" })).status, 204);
    const later = join(dir, "later.db");
    await sqliteFile(later, (await readFile(FIXTURE, "utf8")) + `
INSERT INTO links (id, short_code, original_url, user_id, is_active, created, updated) VALUES ('pblinknew000001', 'during-switch', 'https://alice.example/new', 'pbalice00000001', TRUE, '2026-11-25 10:00:00.000Z', '2026-11-25 10:00:00.000Z');
INSERT INTO clicks (id, link_id, user_agent, country, city, clicked_at, created, updated) VALUES ('pbclicknew00001', 'pblinknew000001', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Germany', 'Berlin', '2026-11-25 10:05:00.000Z', '2026-11-25 10:05:00.000Z', '2026-11-25 10:05:00.000Z');
`);
    const sqlFile = join(dir, "later.sql");
    await importer(["--sqlite", later, "--out", sqlFile]);
    const state = w.state;
    await w.stop({ keepState: true });
    await execute(state.dir, sqlFile);
    w = await startWorker({ bindings: BINDINGS, state });
    const rec = await (await api(w, "POST", "/api/v1/admin/reconcile")).json();
    assert.equal(rec.missing, 1, "only the new link was published");
    const after = (await (await d1(w)).prepare("SELECT id, click_count, bot_click_count FROM links WHERE id != 'pblinknew000001' ORDER BY id").all()).results;
    assert.deepEqual(after, before.filter((l) => l.id !== "pblinktemp00001"), "no count changed; the deleted link stayed deleted");
    const fresh = (await (await d1(w)).prepare("SELECT click_count FROM links WHERE id = 'pblinknew000001'").first());
    assert.equal(fresh.click_count, 1);
    assert.equal((await w.fetch("/during-switch")).status, 302);
    assert.equal((await w.fetch("/temp-link")).status, 404);
    assert.equal((await (await d1(w)).prepare("SELECT count(*) AS n FROM clicks WHERE id = 'pb-pbclickold00001'").first()).n, 0, "a pruned click is not imported again");
    assert.equal(await (await kv(w)).get("link:temp-link"), null);
  });

  it("reads the REST API's JSON pages and CSV exports too", async () => {
    const pages = join(dir, "pages");
    const csvDir = join(dir, "csv");
    await run("mkdir", ["-p", pages, csvDir]);
    const links = Array.from({ length: 30 }, (_, i) => ({ id: `pblinkjson${String(i).padStart(5, "0")}`, short_code: `json${i}`, original_url: `https://example.com/${i}`, user_id: "", is_active: true, tags: null, created: "2024-01-01 00:00:00.000Z", updated: "" }));
    const page = (items, n) => JSON.stringify({ page: n, perPage: 20, totalItems: links.length, totalPages: 2, items });
    await writeFile(join(pages, "links-1.json"), page(links.slice(0, 20), 1));
    await writeFile(join(pages, "links-2.json"), page(links.slice(20), 2));
    await writeFile(join(pages, "linktags.json"), page([], 1));
    await writeFile(join(pages, "workspace_members.json"), page([], 1));
    await writeFile(join(pages, "cards.json"), page([], 1));
    const fromJson = JSON.parse((await importer(["--json", pages, "--dry-run"])).stdout);
    assert.equal(fromJson.insert.links, 30);
    assert.deepEqual(fromJson.not_read.map((n) => n.collection), ["cards"]);
    const header = "id,short_code,original_url,title,is_active,click_count\n";
    const rows = links.map((l) => `${l.id},${l.short_code},${l.original_url},"Title, with a comma",true,3`).join("\n");
    await writeFile(join(csvDir, "links.csv"), header + rows + "\nbadrow000000001,,https://example.com/x,,true,0\n");
    const fromCsv = JSON.parse((await importer(["--csv", csvDir, "--dry-run"])).stdout);
    assert.equal(fromCsv.insert.links, 30);
    assert.equal(fromCsv.skipped, 1, "a row without a code");
    await assert.rejects(importer(["--json"]), /needs a value/);
    await assert.rejects(importer(["--bogus"]), /unknown argument/);
  });
});
