// In-memory sessions of the test app (one process, restarted by the outage tests).
import { randomBytes } from "node:crypto";

export const SESSIONS = new Map();
export const USERS = new Map([["alice", "correct horse"]]);

export function open(username) {
  const id = randomBytes(16).toString("hex");
  SESSIONS.set(id, username);
  return id;
}
