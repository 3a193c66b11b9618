import { redirect } from "@sveltejs/kit";
import { SESSIONS } from "$lib/sessions.js";

export function load() {
  redirect(302, "/");
}

export const actions = {
  default: ({ cookies }) => {
    const id = cookies.get("session");
    if (id) SESSIONS.delete(id);
    cookies.delete("session", { path: "/" });
    redirect(303, "/");
  },
};
