export function load() {
  throw new Error("the app failed (test route)");
}
