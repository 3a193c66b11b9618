// In-memory sessions of the test app (one process, restarted by the outage tests).
import { randomBytes } from "node:crypto";

export const SESSIONS = new Map();
export const USERS = new Map([["alice", "correct horse"]]);
/** Each account's uLoad user id (PocketBase's 15-character ids), for X-Uload-User. */
export const USER_IDS = new Map([["alice", "alice0000000001"]]);

export function open(username) {
  const id = randomBytes(16).toString("hex");
  SESSIONS.set(id, username);
  return id;
}
