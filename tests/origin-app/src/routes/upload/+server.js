// An upload of several MB (an avatar, an import file): read as a stream, counted and hashed.
// GET says how many uploads arrived whole, so tests see that a refused one never did.
import { json } from "@sveltejs/kit";
import { createHash } from "node:crypto";

let completed = 0;

export async function POST({ request }) {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of request.body) {
    bytes += chunk.byteLength;
    hash.update(chunk);
  }
  completed++;
  return json({ bytes, sha256: hash.digest("hex") });
}

export function GET() {
  return json({ completed });
}
