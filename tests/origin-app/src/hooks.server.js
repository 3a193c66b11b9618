// Sessions as uLoad keeps them: an HttpOnly cookie set by the login action.
import { SESSIONS } from "$lib/sessions.js";

export async function handle({ event, resolve }) {
  const id = event.cookies.get("session");
  event.locals.user = id ? (SESSIONS.get(id) ?? null) : null;
  return resolve(event);
}
