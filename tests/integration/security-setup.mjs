// The worker both security test files attack: uLoad's app behind it is down (nothing
// listens on port 9), so pages fall back at the edge; one user, ALICE, exists.
import assert from "node:assert/strict";
import { api, startWorker } from "../harness.mjs";

export const ALICE = "secalice000001";

export async function securityWorker() {
  const w = await startWorker({ bindings: { ORIGIN_URL: "http://127.0.0.1:9", ORIGIN_RETRIES: "0" } });
  assert.equal((await api(w, "PUT", `/api/v1/users/${ALICE}`, { body: { username: "secalice" } })).status, 201);
  return w;
}
