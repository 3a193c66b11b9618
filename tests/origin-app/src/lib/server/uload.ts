// How uLoad's SvelteKit server calls uload-edge: `openapi-fetch` typed by the paths and
// schemas generated from the worker's OpenAPI document (openapi/uload-edge.d.ts, `npm run
// types`), with the service token from the server's private environment and the signed-in
// user in X-Uload-User. The token never reaches the browser: this module is server-only
// ($lib/server), and SvelteKit refuses to bundle it into client code.
import createClient from "openapi-fetch";
import { env } from "$env/dynamic/private";
import type { components, paths } from "../../../../../openapi/uload-edge";

export type Link = components["schemas"]["Link"];
export type Problem = components["schemas"]["Problem"];

/** A client acting for one uLoad user (their PocketBase id). */
export function uloadFor(userId: string, fetch: typeof globalThis.fetch = globalThis.fetch) {
  const baseUrl = env.ULOAD_EDGE_URL;
  const token = env.ULOAD_SERVICE_TOKEN;
  if (!baseUrl || !token) throw new Error("ULOAD_EDGE_URL and ULOAD_SERVICE_TOKEN must be set");
  return createClient<paths>({
    baseUrl,
    fetch,
    headers: { authorization: `Bearer ${token}`, "x-uload-user": userId },
  });
}

/** What a form shows of a problem document: its detail, and the fields it names. */
export function formProblem(problem: Problem) {
  return {
    title: problem.title,
    detail: problem.detail ?? problem.title,
    code: problem.code,
    fields: Object.fromEntries((problem.errors ?? []).map((e) => [e.field, e.message])),
  };
}
