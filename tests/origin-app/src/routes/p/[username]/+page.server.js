import { error } from "@sveltejs/kit";

export function load({ params }) {
  if (params.username === "nobody") error(404, "No such profile");
  return { username: params.username };
}
