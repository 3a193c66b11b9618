// A page that differs per visitor (it says who is signed in) and says so with Vary: Cookie,
// without being private: a shared copy of it must never be kept.
export function load({ locals, setHeaders }) {
  setHeaders({ vary: "Cookie", "cache-control": "public, max-age=0" });
  return { user: locals.user };
}
