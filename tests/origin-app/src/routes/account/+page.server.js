import { redirect } from "@sveltejs/kit";

export function load({ locals, url, setHeaders }) {
  if (!locals.user) redirect(302, `/login?next=${encodeURIComponent(url.pathname)}`);
  setHeaders({ "cache-control": "private, no-store" });
  return { user: locals.user };
}
