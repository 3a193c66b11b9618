// Migrations keep working with the previous deployed version: a rollback runs the old code
// on the new schema, so every migration only expands (new tables, new nullable or defaulted
// columns, new indexes) unless it says it contracts, and then only what the code stopped
// using a release before (the expand/contract rule of docs/RUNBOOK.md).
//
// Checked on real D1 (miniflare): for every migration, the schema before it is read, the
// migration is applied, and every table and column the older code could use must still be
// there, and every new column of an old table must take a value without being named (an old
// INSERT does not name it).
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Miniflare } from "miniflare";
import { unstable_splitSqlQuery } from "wrangler";
import { ROOT } from "../harness.mjs";

const DIR = join(ROOT, "migrations");
/** A migration that contracts says so: `-- contract: <what>, unused since <release>`. */
const CONTRACT = /^--\s*contract:/m;

async function schema(db) {
  const tables = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all()).results;
  const out = {};
  for (const { name } of tables) {
    const cols = (await db.prepare(`PRAGMA table_info("${name}")`).all()).results;
    out[name] = Object.fromEntries(cols.map((c) => [c.name, { type: c.type, notnull: c.notnull, dflt: c.dflt_value, pk: c.pk }]));
  }
  return out;
}

/** What the previous code (written for `before`) would trip over in `after`. */
function problems(before, after) {
  const found = [];
  for (const [table, cols] of Object.entries(before)) {
    if (!after[table]) {
      found.push(`table ${table} is dropped or renamed`);
      continue;
    }
    for (const [col, def] of Object.entries(cols)) {
      const now = after[table][col];
      if (!now) found.push(`${table}.${col} is dropped or renamed`);
      else if (now.notnull && !def.notnull && now.dflt === null) found.push(`${table}.${col} became NOT NULL without a default`);
    }
    for (const [col, def] of Object.entries(after[table])) {
      if (!cols[col] && def.notnull && def.dflt === null) found.push(`${table}.${col} is new, NOT NULL, without a default: old INSERTs fail`);
    }
  }
  return found;
}

describe("migrations", () => {
  it("each one keeps the schema the previous code used (expand/contract)", async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith(".sql")).sort();
    assert.ok(files.length >= 5, "the migrations are found");
    const mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response(null); } }", d1Databases: ["DB"] });
    try {
      const db = await mf.getD1Database("DB");
      let before = {};
      for (const file of files) {
        const sql = await readFile(join(DIR, file), "utf8");
        for (const statement of unstable_splitSqlQuery(sql)) await db.prepare(statement).run();
        const after = await schema(db);
        if (CONTRACT.test(sql)) {
          before = after;
          continue;
        }
        assert.deepEqual(problems(before, after), [], `${file} breaks the previous code`);
        before = after;
      }
      assert.ok(before.links?.code && before.clicks, "the final schema was read");
    } finally {
      await mf.dispose();
    }
  });

  it("the check catches a migration that would break the previous code", async () => {
    // The same rule, on a migration written to break it: proves the check can fail.
    const mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response(null); } }", d1Databases: ["DB"] });
    try {
      const db = await mf.getD1Database("DB");
      await db.prepare("CREATE TABLE t (a TEXT, b TEXT)").run();
      const before = await schema(db);
      await db.prepare("ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT ''").run();
      assert.deepEqual(problems(before, await schema(db)), [], "a defaulted new column is fine");
      await db.prepare("ALTER TABLE t DROP COLUMN b").run();
      await db.prepare("CREATE TABLE u (x TEXT)").run();
      const mid = await schema(db);
      await db.prepare("ALTER TABLE u RENAME TO v").run();
      assert.deepEqual(problems(before, mid), ["t.b is dropped or renamed"]);
      assert.deepEqual(problems(mid, await schema(db)), ["table u is dropped or renamed"]);
    } finally {
      await mf.dispose();
    }
  });
});
