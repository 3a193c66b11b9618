// schemathesis against the built worker (issue 18): every operation of openapi/openapi.json,
// every phase (examples, coverage, fuzzing, stateful), every check, zero failures. Two runs:
// the dashboard's token acting for a user (every route but /api/v1/admin), then the admin
// token over /api/v1/admin. The pins, hooks and config are in tests/schemathesis/;
// scripts/test.sh installs schemathesis and sets SCHEMATHESIS_BIN.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, api, startWorker } from "../harness.mjs";

const DIR = join(ROOT, "tests", "schemathesis");
const ACTING = "alice0000000001";

/** Runs `st run` with the project's config; resolves to { code, output }, printing progress. */
function schemathesis(w, token, extra) {
  const bin = process.env.SCHEMATHESIS_BIN;
  assert.ok(bin, "SCHEMATHESIS_BIN is set by scripts/test.sh (run the tests with it)");
  const args = ["--config-file", join(DIR, "schemathesis.toml"), "run", join(ROOT, "openapi", "openapi.json"), "--url", w.url.replace(/\/$/, ""), "--workers", "1", "--no-color", ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: DIR,
      env: {
        ...process.env,
        PYTHONPATH: DIR,
        ULOAD_ST_TOKEN: token,
        ULOAD_ST_ACTING: ACTING,
        ULOAD_ST_USERNAME: "alice",
        ULOAD_ST_USERS: ACTING,
        ULOAD_ST_WORKSPACE: "crew",
      },
    });
    let output = "";
    const take = (chunk) => {
      output += chunk;
      // The phases' lines as they finish, so a long run shows where it is.
      for (const line of String(chunk).split("\n")) if (/^\s*(✅|❌|⏭)|passed|failed/.test(line)) console.log(`# ${line.trim()}`);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("schemathesis: the worker against its OpenAPI document", () => {
  let w;
  before(async () => {
    w = await startWorker();
    for (const [id, username] of [[ACTING, "alice"], ["stscratch000001", "scratch"]]) {
      assert.equal((await api(w, "PUT", `/api/v1/users/${id}`, { body: { username } })).status, 201);
    }
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/crew", { body: { members: [ACTING] } })).status, 201);
  });
  after(() => w?.stop());

  const verdict = ({ code, output }) => {
    const summary = output.slice(output.lastIndexOf("SUMMARY"));
    assert.match(summary, /Test cases:\s+\d+ generated/, output.slice(-3000));
    assert.doesNotMatch(summary, /Failures:|failures?,|errors?,/, output.slice(-6000));
    assert.equal(code, 0, output.slice(-6000));
    return summary;
  };

  it("acting for a user, every operation but the admin ones: no failure", async () => {
    const summary = verdict(await schemathesis(w, w.token, ["--exclude-path-regex", "^/api/v1/admin"]));
    // Every phase ran and every selected operation was tested.
    for (const phase of ["Examples", "Coverage", "Fuzzing", "Stateful"]) assert.match(summary, new RegExp(`${phase}`), phase);
    const [, selected, tested] = summary.match(/Selected: (\d+)\/\d+\s+Tested: (\d+)/s) ?? [];
    assert.ok(Number(selected) >= 40 && tested === selected, summary);
  });

  it("with the admin token, the admin operations: no failure", async () => {
    const summary = verdict(await schemathesis(w, w.adminToken, ["--include-path-regex", "^/api/v1/admin"]));
    const [, selected, tested] = summary.match(/Selected: (\d+)\/\d+\s+Tested: (\d+)/s) ?? [];
    assert.ok(Number(selected) >= 10 && tested === selected, summary);
  });
});
