// A public-looking page that sets a cookie on a plain GET (a first-visit marker): its answer
// belongs to this visitor, so no shared copy of it may be kept.
export function load({ cookies, setHeaders }) {
  cookies.set("first_visit", String(Date.now()), { path: "/", httpOnly: true, sameSite: "lax", secure: false });
  setHeaders({ "cache-control": "public, max-age=0" });
  return {};
}
