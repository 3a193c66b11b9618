// Moving uLoad's data: a PocketBase-shaped pb_data/data.db (built here with Python's
// sqlite3, bad records included), REST API JSON pages and CSV exports go through
// uload-import; its SQL is loaded with `wrangler d1 execute`, twice (idempotent), and every
// imported link redirects from the worker.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ROOT, api, d1, startWorker } from "../harness.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const IMPORTER = join(ROOT, "target", "debug", "uload-import");

const USERS = [
  { id: "pbuser000000001", username: "alice", name: "Alice", created: "2024-01-02 03:04:05.678Z", updated: "2024-01-02 03:04:05.678Z" },
  { id: "pbuser000000002", username: "", name: "No Name", created: "2024-01-02 03:04:05.678Z", updated: "2024-01-02 03:04:05.678Z" },
];
const TAGS = [{ id: "pbtag0000000001", name: "Promo", user: "pbuser000000001", color: "#ff0000", created: "2024-01-03 00:00:00.000Z", updated: "2024-01-03 00:00:00.000Z" }];
const GOOD_LINKS = Array.from({ length: 40 }, (_, i) => ({
  id: `pblink${String(i).padStart(9, "0")}`,
  short_code: `imp${i}`,
  original_url: `https://example.com/imported/${i}?ref=pb`,
  title: `Imported ${i}`,
  user: i % 2 ? "pbuser000000001" : "",
  tags: i % 5 === 0 ? JSON.stringify(["pbtag0000000001"]) : "[]",
  is_active: 1,
  password: i === 7 ? "open-sesame" : "",
  click_count: i,
  created: "2024-03-01 12:00:00.000Z",
  updated: "2024-03-02 12:00:00.000Z",
}));
const BAD_LINKS = [
  { id: "pblinkbad000001", short_code: "login", original_url: "https://example.com/reserved" },
  { id: "pblinkbad000002", short_code: "xss1", original_url: "javascript:alert(1)" },
  { id: "pblinkbad000003", short_code: "imp1", original_url: "https://example.com/duplicate" },
  { id: "pblinkbad000004", short_code: "orphan", original_url: "https://example.com/o", user: "pbnouser0000000" },
];
const CLICKS = [
  ...Array.from({ length: 6 }, (_, i) => ({ id: `pbclick00000000${i}`, link: "pblink000000003", created: `2024-03-05 0${i}:00:00.000Z`, user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", ip_hash: "203.0.113.50", referer: "https://www.google.com/search?q=x", country: "DE", city: "Berlin" })),
  { id: "pbclickbot00001", link: "pblink000000003", created: "2024-03-05 09:00:00.000Z", user_agent: "Twitterbot/1.0", ip_hash: "198.51.100.7" },
  { id: "pbclickbad00001", link: "pblinkmissing00", created: "2024-03-05 09:00:00.000Z" },
];

/** A PocketBase-shaped SQLite file: one table per collection, PocketBase's column types. */
async function pocketbaseDb(dir) {
  const file = join(dir, "data.db");
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
data = json.load(sys.stdin)
schemas = {
  "users": "id TEXT PRIMARY KEY, username TEXT, name TEXT, email TEXT DEFAULT '', created TEXT, updated TEXT",
  "tags": "id TEXT PRIMARY KEY, name TEXT, user TEXT, color TEXT, created TEXT, updated TEXT",
  "links": "id TEXT PRIMARY KEY, short_code TEXT, original_url TEXT, title TEXT, user TEXT, tags JSON, is_active BOOLEAN, password TEXT, click_count NUMBER, created TEXT, updated TEXT",
  "clicks": "id TEXT PRIMARY KEY, link TEXT, created TEXT, user_agent TEXT, ip_hash TEXT, referer TEXT, country TEXT, city TEXT",
}
for name, cols in schemas.items():
    db.execute(f"CREATE TABLE {name} ({cols})")
    for r in data[name]:
        keys = list(r.keys())
        db.execute(f"INSERT INTO {name} ({','.join(keys)}) VALUES ({','.join('?' * len(keys))})", [r[k] for k in keys])
db.execute("CREATE TABLE _collections (id TEXT, name TEXT)")
db.commit()
`;
  const child = execFile("python3", ["-c", script, file]);
  child.stdin.end(JSON.stringify({ users: USERS, tags: TAGS, links: [...GOOD_LINKS, ...BAD_LINKS], clicks: CLICKS }));
  await new Promise((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`python3 exited ${code}`)))));
  return file;
}

async function importer(args) {
  return run(IMPORTER, args, { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
}

describe("PocketBase import", () => {
  let dir;
  let db;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "uload-import-"));
    await run("cargo", ["build", "--quiet", "-p", "uload-import"], { cwd: ROOT });
    db = await pocketbaseDb(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a dry run reports what it would do and writes nothing", async () => {
    const { stdout, stderr } = await importer(["--sqlite", db, "--dry-run"]);
    const report = JSON.parse(stdout);
    // Alice's tag on four links without an owner is not assigned (tags are per user), and said.
    assert.deepEqual(report.insert, { users: 1, links: 40, tags: 1, link_tags: 4, clicks: 7 });
    assert.equal(report.skipped, 1 + BAD_LINKS.length + 1 + 4);
    assert.match(stderr, /reading .*data\.db/);
    assert.match(stderr, /dry run, nothing written/);
  });

  it("imports into D1 through wrangler, twice without a change, and every link redirects", async () => {
    const sqlFile = join(dir, "import.sql");
    const skippedFile = join(dir, "skipped.jsonl");
    await importer(["--sqlite", db, "--out", sqlFile, "--skipped", skippedFile]);
    const sqlText = await readFile(sqlFile, "utf8");
    assert.ok(!sqlText.includes("203.0.113.50"), "no IP address is imported");
    assert.ok(!sqlText.includes("open-sesame"), "no plaintext password");
    const skipped = (await readFile(skippedFile, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    const reasons = Object.fromEntries(skipped.map((s) => [s.id, s.reason]));
    assert.match(reasons.pblinkbad000001, /reserved/);
    assert.match(reasons.pblinkbad000002, /target URL/);
    assert.match(reasons.pblinkbad000003, /taken/);
    assert.match(reasons.pblinkbad000004, /owner/);
    assert.ok(skipped.some((s) => s.id === "pblink000000000" && /belongs to another user/.test(s.reason)), "a tag of another user is not given to a link");
    assert.match(reasons.pbuser000000002, /username/);
    assert.match(reasons.pbclickbad00001, /link/);

    // A migrated, empty local D1; the SQL loaded twice with wrangler (idempotent).
    const w0 = await startWorker();
    await w0.stop({ keepState: true });
    const execute = () =>
      run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", w0.dir, "--file", sqlFile, "--yes"], {
        cwd: ROOT,
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
      });
    await execute();
    const w = await startWorker({ state: w0.state });
    try {
      const db1 = await d1(w);
      const snapshot = async () =>
        JSON.stringify((await db1.prepare("SELECT * FROM links ORDER BY id").all()).results) +
        JSON.stringify((await db1.prepare("SELECT id FROM clicks ORDER BY id").all()).results);
      const first = await snapshot();
      // Importing again (new password salts, same ids) changes nothing.
      await importer(["--sqlite", db, "--out", sqlFile]);
      await w.stop({ keepState: true });
      await execute();
      const w2 = await startWorker({ state: w0.state });
      const db2 = await d1(w2);
      const again =
        JSON.stringify((await db2.prepare("SELECT * FROM links ORDER BY id").all()).results) +
        JSON.stringify((await db2.prepare("SELECT id FROM clicks ORDER BY id").all()).results);
      assert.equal(again, first, "the second import changed nothing");

      // Publish to KV and count the imported clicks.
      const rec = await api(w2, "POST", "/api/v1/admin/reconcile");
      assert.equal(rec.status, 200);
      assert.equal((await rec.json()).missing, 40);
      for (const l of GOOD_LINKS) {
        const path = `/${l.short_code}`;
        const res = await w2.fetch(path);
        if (l.password) {
          assert.equal(res.status, 401, path);
          const unlock = await w2.fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "password=open-sesame" });
          assert.equal(unlock.status, 303, "the imported password unlocks it");
          continue;
        }
        assert.equal(res.status, 302, path);
        assert.equal(res.headers.get("location"), l.original_url, path);
      }
      // uLoad's count is kept where there are no click records; counted from them otherwise.
      const counted = await db2.prepare("SELECT id, click_count, bot_click_count FROM links WHERE id IN ('pblink000000002', 'pblink000000003') ORDER BY id").all();
      assert.deepEqual(counted.results, [
        { id: "pblink000000002", click_count: 2, bot_click_count: 0 },
        { id: "pblink000000003", click_count: 6, bot_click_count: 1 },
      ]);
      const tagged = await (await api(w2, "GET", "/api/v1/links?tag=promo&limit=100", { user: "pbuser000000001" })).json();
      assert.equal(tagged.data.length, 4, "alice's links tagged Promo (every 5th, odd ones are hers)");
      await w2.stop();
    } finally {
      await w.stop();
    }
  });

  it("reads the REST API's JSON pages and CSV exports too", async () => {
    const pages = join(dir, "pages");
    const csvDir = join(dir, "csv");
    await run("mkdir", ["-p", pages, csvDir]);
    const page = (items, n) => JSON.stringify({ page: n, perPage: 20, totalItems: GOOD_LINKS.length, totalPages: 2, items });
    await writeFile(join(pages, "links-1.json"), page(GOOD_LINKS.slice(0, 20), 1));
    await writeFile(join(pages, "links-2.json"), page(GOOD_LINKS.slice(20), 2));
    await writeFile(join(pages, "users.json"), JSON.stringify({ page: 1, perPage: 30, totalItems: 1, items: [USERS[0]] }));
    const fromJson = JSON.parse((await importer(["--json", pages, "--dry-run"])).stdout);
    assert.deepEqual({ users: fromJson.insert.users, links: fromJson.insert.links }, { users: 1, links: 40 });
    const header = "id,short_code,original_url,title,is_active,click_count\n";
    const rows = GOOD_LINKS.filter((l) => !l.user).map((l) => `${l.id},${l.short_code},${l.original_url},"${l.title}, with a comma",true,${l.click_count}`).join("\n");
    await writeFile(join(csvDir, "links.csv"), header + rows + "\nbadrow000000001,,https://example.com/x,,true,0\n");
    const fromCsv = JSON.parse((await importer(["--csv", csvDir, "--dry-run"])).stdout);
    assert.equal(fromCsv.insert.links, 20);
    assert.equal(fromCsv.skipped, 1, "a row without a code");
    await assert.rejects(importer(["--json"]), /needs a value/);
    await assert.rejects(importer(["--bogus"]), /unknown argument/);
  });
});
