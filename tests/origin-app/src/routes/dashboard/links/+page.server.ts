// The dashboard's link list, as uLoad's SvelteKit server would build it on uload-edge: the
// load lists the signed-in user's links (newest first, with the total), the `create` action
// makes one from a form. Errors come back as the API's problem documents, typed.
import { error, fail, redirect } from "@sveltejs/kit";
import { randomUUID } from "node:crypto";
import { USER_IDS } from "$lib/sessions.js";
import { formProblem, uloadFor } from "$lib/server/uload";
import type { Actions, PageServerLoad } from "./$types";

function userId(user: string | null, pathname: string): string {
  if (!user) redirect(302, `/login?next=${encodeURIComponent(pathname)}`);
  const id = USER_IDS.get(user);
  if (!id) error(403, "this account has no uLoad user");
  return id;
}

export const load: PageServerLoad = async ({ locals, url, fetch, setHeaders }) => {
  const api = uloadFor(userId(locals.user, url.pathname), fetch);
  const cursor = url.searchParams.get("cursor") ?? undefined;
  const { data, error: problem, response } = await api.GET("/api/v1/links", {
    params: { query: { limit: 20, total: true, cursor } },
  });
  if (problem) error(response.status, problem.detail ?? problem.title);
  setHeaders({ "cache-control": "private, no-store" });
  return {
    links: data.data.map((l) => ({ id: l.id, code: l.code, short_url: l.short_url, url: l.url_display, clicks: l.click_count })),
    total: data.total ?? data.data.length,
    next: data.next_cursor,
  };
};

export const actions: Actions = {
  create: async ({ request, locals, url, fetch }) => {
    const api = uloadFor(userId(locals.user, url.pathname), fetch);
    const form = await request.formData();
    const target = String(form.get("url") ?? "");
    const code = String(form.get("code") ?? "").trim() || undefined;
    const { data, error: problem, response } = await api.POST("/api/v1/links", {
      body: { url: target, code },
      // One key per submitted form: a double submit or a retry creates one link.
      params: { header: { "Idempotency-Key": String(form.get("idempotency_key") || randomUUID()) } },
    });
    if (problem) return fail(response.status, { url: target, code, problem: formProblem(problem) });
    return { created: { code: data.code, short_url: data.short_url } };
  },
};
