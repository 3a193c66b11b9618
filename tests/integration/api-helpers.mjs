// Helpers of the link API tests (api.test.mjs, api-lists.test.mjs): two users, problem
// documents, and a snapshot of everything the API can change.
import assert from "node:assert/strict";
import { api, d1, kv } from "../harness.mjs";

export const ALICE = "alice0000000001";
export const BOB = "bob000000000001";

export async function problem(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${await res.clone().text()}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.code, code);
  return body;
}

export async function json(res, status) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text);
}

/** Everything the API can change, so a test can prove a refused request changed nothing. */
export async function snapshot(w) {
  const db = await d1(w);
  const out = {};
  for (const t of ["links", "tags", "link_tags", "api_keys", "users"]) {
    out[t] = (await db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()).results;
  }
  const keys = await (await kv(w)).list();
  out.kv = keys.keys.map((k) => k.name).sort();
  return JSON.stringify(out);
}

export async function setupUsers(w) {
  assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE}`, { body: { username: "alice", display_name: "Alice" } })).status, 201);
  assert.equal((await api(w, "PUT", `/api/v1/users/${BOB}`, { body: { username: "bob" } })).status, 201);
}

export const asAlice = (w, method, path, opts = {}) => api(w, method, path, { user: ALICE, ...opts });
export const asBob = (w, method, path, opts = {}) => api(w, method, path, { user: BOB, ...opts });
