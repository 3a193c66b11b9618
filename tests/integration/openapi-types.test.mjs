// The TypeScript types for the SvelteKit client are generated from the OpenAPI document
// (`npm run types`); this fails when someone changed the document and forgot them.
// `--default-non-nullable=false`: a property with a default is optional to send (the
// generator would otherwise make `redirect_status` a required field of a new link).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../harness.mjs";
import { OPENAPI } from "../openapi.mjs";

test("openapi/uload-edge.d.ts is generated from the current openapi.json", async () => {
  const dir = await mkdtemp(join(tmpdir(), "uload-types-"));
  try {
    const out = join(dir, "types.d.ts");
    await promisify(execFile)(join(ROOT, "node_modules", ".bin", "openapi-typescript"), [join(ROOT, "openapi", "openapi.json"), "--default-non-nullable=false", "-o", out]);
    const fresh = await readFile(out, "utf8");
    const committed = await readFile(join(ROOT, "openapi", "uload-edge.d.ts"), "utf8");
    assert.ok(fresh.includes('"/api/v1/links"'), "the generator saw the API");
    assert.equal(committed, fresh, "run `npm run types` and commit openapi/uload-edge.d.ts");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("redocly lint passes: the recommended rules, every one an error (redocly.yaml)", async () => {
  const { stdout, stderr } = await promisify(execFile)(join(ROOT, "node_modules", ".bin", "redocly"), ["lint", join(ROOT, "openapi", "openapi.json"), "--config", join(ROOT, "redocly.yaml"), "--format", "stylish"], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  }).catch((e) => assert.fail(`redocly lint failed:\n${e.stdout}${e.stderr}`));
  assert.match(stdout + stderr, /Your API description is valid/);
  assert.doesNotMatch(stdout + stderr, /\b(error|warning)\b\s+[a-z-]+\s/, "no problem reported");
});

test("every operation documents its errors as problem documents", () => {
  for (const [path, item] of Object.entries(OPENAPI.paths)) {
    for (const [method, op] of Object.entries(item)) {
      // Public operations, and those where credentials only add detail (readiness: its 503 is
      // its own body, not a problem document), have no 401.
      if (method === "parameters" || op.security?.length === 0 || op.security?.some((s) => Object.keys(s).length === 0)) continue;
      assert.ok(op.responses["401"], `${method} ${path} documents 401`);
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) >= 400) assert.match(r.$ref, /^#\/components\/responses\//, `${method} ${path} ${status}`);
      }
    }
  }
});

test("the document declares the headers the worker sends: Location on 201s, rate limits and replays", () => {
  const ref = (h) => ({ $ref: `#/components/headers/${h}` });
  for (const [path, item] of Object.entries(OPENAPI.paths)) {
    if (!path.startsWith("/api/v1/") || path === "/api/v1/openapi.json") continue;
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      for (const [status, r] of Object.entries(op.responses)) {
        if (!status.startsWith("2")) continue;
        for (const h of ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]) {
          assert.deepEqual(r.headers?.[h], ref(h), `${method} ${path} ${status} declares ${h}`);
        }
        if (method === "post") assert.deepEqual(r.headers?.["Idempotency-Replayed"], ref("Idempotency-Replayed"), `${method} ${path}`);
        if (status === "201" && !path.startsWith("/api/v1/admin/")) assert.ok(r.headers?.Location, `${method} ${path} 201 declares Location`);
      }
    }
  }
  const limited = OPENAPI.components.responses.TooManyRequests.headers;
  for (const h of ["Retry-After", "RateLimit-Policy", "X-RateLimit-Remaining"]) assert.ok(limited[h], `429 declares ${h}`);
});

test("X-Uload-User is a declared header of every operation that acts for a user, and of no other", () => {
  const actAs = { $ref: "#/components/parameters/ActAs" };
  assert.equal(OPENAPI.components.parameters.ActAs.name, "X-Uload-User");
  assert.equal(OPENAPI.components.parameters.ActAs.in, "header");
  for (const [path, item] of Object.entries(OPENAPI.paths)) {
    const acting = path.startsWith("/api/v1/") && !path.startsWith("/api/v1/admin/") && path !== "/api/v1/openapi.json";
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].some((p) => p.$ref === actAs.$ref);
      assert.equal(declared, acting, `${method} ${path}: X-Uload-User ${acting ? "declared" : "not declared"}`);
      if (acting) for (const s of ["400", "422"]) assert.ok(op.responses[s], `${method} ${path} declares ${s} (a malformed or unknown user)`);
    }
  }
});

test("every operation has an operationId of its own, so generated clients get good names", () => {
  const ids = [];
  for (const [path, item] of Object.entries(OPENAPI.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      assert.match(op.operationId ?? "", /^[a-z][A-Za-z]+$/, `${method} ${path} has an operationId`);
      ids.push(op.operationId);
    }
  }
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  assert.ok(ids.length >= 45);
});
