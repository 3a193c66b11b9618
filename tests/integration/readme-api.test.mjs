// The README's API section against the OpenAPI document and the worker (issue 18): every
// operation of the document is in the README and every route the README lists is in the
// document; every query parameter the document takes is named in the README (as `name`,
// `name=…` or `?name=…`); the problem
// codes of the README's table, of the document and of the worker's source are the same;
// and the order of checks the README states is the worker's.
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, startWorker } from "../harness.mjs";
import { OPENAPI } from "../openapi.mjs";

const README = await readFile(join(ROOT, "README.md"), "utf8");
const section = (start, end) => README.slice(README.indexOf(start), README.indexOf(end, README.indexOf(start)));
const API = section("\n## API\n", "\n## Operations\n");
const METHODS = ["get", "put", "post", "patch", "delete"];

/** `GET/POST /api/v1/tags` → ["GET /api/v1/tags", "POST /api/v1/tags"], for every code span of a text. */
function routesIn(text) {
  const out = [];
  for (const [, methods, path] of text.matchAll(/`((?:GET|PUT|POST|PATCH|DELETE|HEAD)(?:[/|](?:GET|PUT|POST|PATCH|DELETE|HEAD))*) (\/[^`\s?]*)(?:\?[^`]*)?`/g)) {
    for (const m of methods.split(/[/|]/)) if (m !== "HEAD") out.push(`${m} ${path}`);
  }
  return out;
}

const documented = Object.entries(OPENAPI.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`));

describe("the README's API section", () => {
  it("lists every operation of the OpenAPI document, and only those", () => {
    const table = section("### Routes", "\nCodes:");
    const listed = routesIn(table);
    assert.ok(listed.length > 40, `${listed.length} routes read from the table`);
    // /api/v1 operations are in the routes table; the others (health, the document itself,
    // abuse reports, inspection) where the README describes them.
    const missing = documented.filter((op) => !(op.split(" ")[1].startsWith("/api/v1/") && op !== "GET /api/v1/openapi.json" ? listed : routesIn(README)).includes(op));
    assert.deepEqual(missing, [], "operations the README does not list");
    assert.deepEqual(listed.filter((op) => !documented.includes(op)), [], "routes the README lists that the document does not have");
  });

  it("names every query parameter the document takes", () => {
    const unnamed = [];
    for (const [path, item] of Object.entries(OPENAPI.paths)) {
      for (const m of METHODS.filter((m) => item[m])) {
        for (const p of [...(item.parameters ?? []), ...(item[m].parameters ?? [])].filter((p) => p.in === "query")) {
          if (!new RegExp("[`?&]" + p.name + "[`=]").test(README)) unnamed.push(`${m.toUpperCase()} ${path} ?${p.name}`);
        }
      }
    }
    assert.deepEqual(unnamed, []);
  });

  it("has the problem codes of the document's enum, which are the worker's", async () => {
    const table = section("| status | `code` | when |", "\nThe order of checks");
    const readme = new Map();
    for (const [, status, codes] of table.matchAll(/^\| (\d{3}) \| ([^|]+) \|/gm)) {
      for (const [, code] of codes.matchAll(/`([a-z_]+)`/g)) readme.set(code, Number(status));
    }
    const doc = OPENAPI.components.schemas.Problem.properties.code.enum;
    assert.deepEqual([...readme.keys()].sort(), [...doc].sort(), "the README's table and the document's enum");
    // The worker's codes: the table of uload_core::problem::Code (its status follows from
    // the code), each variant used somewhere outside that table.
    const problemRs = await readFile(join(ROOT, "crates", "core", "src", "problem.rs"), "utf8");
    const source = new Map([...problemRs.matchAll(/^\s+(\w+) = "([a-z_]+)", (\d{3});$/gm)].map(([, variant, code, status]) => [code, { variant, status: Number(status) }]));
    assert.deepEqual([...source.keys()], doc, "the worker's codes and the document's enum, in the same order");
    const uses = [];
    async function scan(dir) {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) await scan(path);
        else if (e.name.endsWith(".rs") && e.name !== "tests.rs") uses.push((await readFile(path, "utf8")).split("#[cfg(test)]")[0]);
      }
    }
    await scan(join(ROOT, "src"));
    await scan(join(ROOT, "crates", "core", "src"));
    const code = uses.join("\n");
    for (const [name, { variant, status }] of source) {
      assert.match(code, new RegExp(`Code::${variant}\\b`), `${name}: answered somewhere`);
      assert.equal(readme.get(name), status, `${name}: the README's status`);
    }
  });

  describe("the order of checks it states", () => {
    let w;
    before(async () => (w = await startWorker()));
    after(() => w?.stop());

    it("routing before authentication: 404 and 405 without credentials, then 401", async () => {
      assert.match(API, /routing first \(an unknown path is a 404 and a method the route does not\nhave a 405, with or without credentials\), then authentication \(401\)/);
      const code = async (method, path) => {
        const res = await w.fetch(path, { method, headers: { "content-type": "text/plain" }, body: method === "GET" ? undefined : "x" });
        return [res.status, (await res.json()).code];
      };
      assert.deepEqual(await code("GET", "/api/v1/nope"), [404, "not_found"]);
      assert.deepEqual(await code("PUT", "/api/v1/links"), [405, "method_not_allowed"]);
      assert.deepEqual(await code("POST", "/api/v1/links"), [401, "unauthorized"], "401 before the body's 415");
    });
  });
});
