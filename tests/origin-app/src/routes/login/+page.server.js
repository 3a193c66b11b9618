import { fail, redirect } from "@sveltejs/kit";
import { USERS, open } from "$lib/sessions.js";

/** Only paths of this app: `next` never sends a visitor elsewhere. */
function next(url) {
  const n = url.searchParams.get("next") ?? "/account";
  return n.startsWith("/") && !n.startsWith("//") ? n : "/account";
}

export function load({ locals, url }) {
  // Already signed in: straight on (a 302, as uLoad's /login?next=… does).
  if (locals.user) redirect(302, next(url));
  return { next: next(url) };
}

export const actions = {
  default: async ({ request, cookies, url }) => {
    const form = await request.formData();
    const username = String(form.get("username") ?? "");
    if (USERS.get(username) !== String(form.get("password") ?? "")) {
      return fail(400, { username, wrong: true });
    }
    const secure = url.protocol === "https:";
    cookies.set("session", open(username), { path: "/", httpOnly: true, sameSite: "lax", secure });
    // A second cookie in the same answer: both must reach the browser as separate headers.
    cookies.set("ui_lang", "de", { path: "/", httpOnly: false, sameSite: "lax", secure });
    redirect(303, next(url));
  },
};
