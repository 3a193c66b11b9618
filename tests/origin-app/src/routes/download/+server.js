// A large download (GET /download?mb=5), generated as it is sent: 64 KiB chunks of a
// repeating pattern, with its length declared.
const CHUNK = 64 * 1024;

export function GET({ url }) {
  const mb = Math.min(Number(url.searchParams.get("mb") ?? "5") || 5, 50);
  const total = mb * 1024 * 1024;
  const block = new Uint8Array(CHUNK).map((_, i) => i % 251);
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(CHUNK, total - sent);
      controller.enqueue(n === CHUNK ? block.slice() : block.slice(0, n));
      sent += n;
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/octet-stream", "content-length": String(total), "cache-control": "public, max-age=60" },
  });
}
