// Holes found when the worker was tried as an attacker would (issue 12), each closed and
// checked here in the real runtime. See SECURITY.md for the threat model.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, d1, eventually, startWorker } from "../harness.mjs";
import { ALICE, securityWorker } from "./security-setup.mjs";

describe("security: who may call what", () => {
  let w;
  before(async () => {
    w = await securityWorker();
  });
  after(() => w?.stop());

  it("1. a present but empty or malformed X-Uload-User is a 400, never the service itself", async () => {
    for (const value of ["", "   ", "../etc", "a b"]) {
      const res = await w.fetch("/api/v1/links", { headers: { authorization: `Bearer ${w.token}`, "x-uload-user": value } });
      assert.equal(res.status, 400, JSON.stringify(value));
      assert.equal((await res.json()).code, "invalid_header");
    }
    const backup = await w.fetch("/api/v1/admin/backups", { method: "POST", headers: { authorization: `Bearer ${w.token}`, "x-uload-user": "" } });
    assert.equal(backup.status, 400, "an empty header gets no admin rights");
  });

  it("1. operations need ADMIN_TOKEN: the dashboard's token cannot back up, restore or reconcile", async () => {
    for (const [method, path] of [["GET", "/api/v1/admin/backups"], ["POST", "/api/v1/admin/backups"], ["POST", "/api/v1/admin/reconcile"], ["POST", "/api/v1/admin/backups/2026-01-01T00-00-00.000Z/restore"]]) {
      const res = await api(w, method, path, { token: w.token });
      assert.equal(res.status, 403, `${method} ${path} with the service token`);
      assert.match((await res.json()).detail, /ADMIN_TOKEN/);
    }
    assert.equal((await api(w, "GET", "/api/v1/admin/backups", { token: w.adminToken })).status, 200);
    const links = await api(w, "GET", "/api/v1/links", { token: w.adminToken });
    assert.equal(links.status, 403, "the admin token is for operations only");
    const actAs = await w.fetch("/api/v1/admin/backups", { headers: { authorization: `Bearer ${w.adminToken}`, "x-uload-user": ALICE } });
    assert.equal(actAs.status, 400, "the admin token acts for nobody");
  });

  it("1. without ADMIN_TOKEN the operations routes are closed", async () => {
    const closed = await startWorker({ bindings: { ADMIN_TOKEN: "" } });
    try {
      assert.equal((await api(closed, "POST", "/api/v1/admin/backups", { token: closed.token })).status, 403);
      assert.equal((await api(closed, "POST", "/api/v1/admin/backups", { token: "" })).status, 401);
    } finally {
      await closed.stop();
    }
  });

  it("2. API keys have scopes and an expiry, record their last use, and cannot manage keys", async () => {
    const mkKey = async (body) => {
      const res = await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body });
      assert.equal(res.status, 201, await res.clone().text());
      return res.json();
    };
    const reader = await mkKey({ name: "reader", scopes: ["links:read"] });
    assert.deepEqual(reader.scopes, ["links:read"]);
    assert.equal(reader.expires_at, null);
    const asKey = (key, method, path, body) => api(w, method, path, { token: key.key, body });
    assert.equal((await asKey(reader, "GET", "/api/v1/links")).status, 200);
    const denied = await asKey(reader, "POST", "/api/v1/links", { url: "https://example.com/nope" });
    assert.equal(denied.status, 403);
    assert.match((await denied.json()).detail, /links:write/);
    const made = await api(w, "POST", "/api/v1/links", { user: ALICE, body: { url: "https://example.com/stats" } });
    const link = await made.json();
    assert.equal((await asKey(reader, "GET", `/api/v1/links/${link.id}/stats`)).status, 403, "stats need stats:read");

    const full = await mkKey({ name: "full" });
    assert.deepEqual(full.scopes, ["links:read", "links:write", "stats:read"], "every scope by default");
    assert.equal((await asKey(full, "GET", `/api/v1/links/${link.id}/stats`)).status, 200);
    // A leaked key can neither mint a new key nor revoke the others (and so outlive its own revocation).
    assert.equal((await asKey(full, "POST", "/api/v1/api-keys", { name: "escape" })).status, 403);
    assert.equal((await asKey(full, "GET", "/api/v1/api-keys")).status, 403);
    assert.equal((await asKey(full, "DELETE", `/api/v1/api-keys/${reader.id}`)).status, 403);

    // Expiry: a key past it is refused.
    const soon = await mkKey({ name: "soon", expires_at: new Date(Date.now() + 60_000).toISOString() });
    assert.ok(soon.expires_at);
    assert.equal((await asKey(soon, "GET", "/api/v1/links")).status, 200);
    await (await d1(w)).prepare("UPDATE api_keys SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?").bind(soon.id).run();
    assert.equal((await asKey(soon, "GET", "/api/v1/links")).status, 401, "expired");
    const bad = await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "x", scopes: ["admin"] } });
    assert.equal(bad.status, 422);

    // last_used_at is written after the answer.
    const listed = await eventually(async () => {
      const data = (await (await api(w, "GET", "/api/v1/api-keys", { user: ALICE })).json()).data;
      return data.find((k) => k.id === reader.id)?.last_used_at && data;
    }, "the key's last use to be recorded");
    assert.ok(listed.find((k) => k.id === reader.id).last_used_at, "the key's last use is recorded");
    assert.deepEqual(listed.find((k) => k.id === reader.id).scopes, ["links:read"]);
  });

  it("3. a link goes under /w/{slug}/ only for members of that workspace, managed by the service", async () => {
    const BOB = "secbob00000001";
    assert.equal((await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "secbob" } })).status, 201);
    const put = await api(w, "PUT", "/api/v1/workspaces/acme", { body: { name: "ACME", members: [ALICE] } });
    assert.equal(put.status, 201);
    assert.deepEqual((await put.json()).members, [ALICE]);
    const mine = await api(w, "POST", "/api/v1/links", { user: ALICE, body: { url: "https://acme.example/", code: "acmelink", workspace_id: "acme" } });
    assert.equal(mine.status, 201, "a member may");
    const theirs = await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://phish.example/", code: "acmephish", workspace_id: "acme" } });
    assert.equal(theirs.status, 422, "another user may not put a link under /w/acme/");
    const err = await theirs.json();
    assert.equal(err.errors[0].field, "workspace_id");
    const ghost = await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://x.example/", workspace_id: "nosuchws" } });
    assert.equal(ghost.status, 422);
    assert.equal((await ghost.json()).errors[0].message.replace("nosuchws", "acme"), err.errors[0].message, "the same answer: existence does not leak");
    // Moving an own link into someone else's workspace is refused the same way.
    const bobs = await (await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://bob.example/" } })).json();
    assert.equal((await api(w, "PATCH", `/api/v1/links/${bobs.id}`, { user: BOB, body: { workspace_id: "acme" } })).status, 422);
    assert.equal((await w.fetch("/w/acme/acmephish")).status, 404);
    assert.equal((await w.fetch("/w/acme/acmelink")).status, 302);
    // Only the service manages workspaces; members are known users.
    const key = await (await api(w, "POST", "/api/v1/api-keys", { user: ALICE, body: { name: "k" } })).json();
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/acme", { token: key.key, body: { members: [ALICE, BOB] } })).status, 403);
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/acme", { body: { members: [ALICE, "nosuchuser01"] } })).status, 422);
    // Adding Bob lets him in; removing him shuts the door again.
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/acme", { body: { name: "ACME", members: [ALICE, BOB] } })).status, 200);
    assert.equal((await api(w, "POST", "/api/v1/links", { user: BOB, body: { url: "https://bob.example/2", workspace_id: "acme" } })).status, 201);
    assert.equal((await api(w, "GET", "/api/v1/workspaces/acme")).status, 200);
    assert.equal((await api(w, "DELETE", "/api/v1/workspaces/acme")).status, 204);
    assert.equal((await api(w, "GET", "/api/v1/workspaces/acme")).status, 404);
    assert.equal((await api(w, "POST", "/api/v1/links", { user: ALICE, body: { url: "https://acme.example/3", workspace_id: "acme" } })).status, 422, "a deleted workspace takes no new links");
  });

  it("4. readiness fails when ADMIN_TOKEN is the SERVICE_TOKEN", async () => {
    const same = await startWorker({ bindings: { ADMIN_TOKEN: "x".repeat(40), SERVICE_TOKEN: "x".repeat(40) } });
    try {
      const res = await same.fetch("/health/ready", { headers: { authorization: `Bearer ${"x".repeat(40)}` } });
      assert.equal(res.status, 503);
      assert.match((await res.json()).checks.config.error, /ADMIN_TOKEN is the SERVICE_TOKEN/);
    } finally {
      await same.stop();
    }
  });

  it("5. HEAD on a max_clicks link never reveals its target", async () => {
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://one-time.example/gift", code: "secgift", max_clicks: 1 } })).status, 201);
    for (let i = 0; i < 5; i++) {
      const head = await w.fetch("/secgift", { method: "HEAD" });
      assert.equal(head.status, 204);
      assert.equal(head.headers.get("location"), null);
    }
    const get = await w.fetch("/secgift");
    assert.equal(get.status, 302, "the one click is still there for a visitor");
    assert.equal(get.headers.get("location"), "https://one-time.example/gift");
    assert.equal((await w.fetch("/secgift", { method: "HEAD" })).status, 410);
  });
});
