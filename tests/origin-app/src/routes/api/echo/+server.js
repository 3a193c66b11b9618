// What the app sees of a request: the headers a proxy may add or must drop, the address
// and URL SvelteKit derives from them (adapter-node's ADDRESS_HEADER, HOST_HEADER,
// PROTOCOL_HEADER), and the body's size.
import { json } from "@sveltejs/kit";

const SHOWN = [
  "host", "cookie", "authorization", "connection", "keep-alive", "te", "trailer", "upgrade",
  "proxy-authorization", "proxy-connection", "x-forwarded-for", "x-forwarded-host",
  "x-forwarded-proto", "forwarded", "x-real-ip", "true-client-ip", "x-custom", "x-drop-me",
  "accept-language", "content-type", "origin", "content-length", "transfer-encoding", "cf-connecting-ip",
];

async function echo({ request, url, getClientAddress, setHeaders }) {
  // ?hop=1: the app's own hop-by-hop headers, which must not reach the visitor.
  if (url.searchParams.has("hop")) setHeaders({ connection: "x-app-hop", "x-app-hop": "1", "keep-alive": "timeout=5", "x-app-kept": "1" });
  const headers = Object.fromEntries(SHOWN.filter((h) => request.headers.has(h)).map((h) => [h, request.headers.get(h)]));
  const body = request.body ? (await request.arrayBuffer()).byteLength : 0;
  return json({ method: request.method, url: url.href, search: url.search, address: getClientAddress(), headers, body });
}

export const GET = echo;
export const POST = echo;
export const PUT = echo;
