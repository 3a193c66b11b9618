// The KV floor: the least a worker can do for a redirect from KV, in JavaScript: one KV read
// of the link's record (the same key, value and cacheTtl the worker reads), JSON.parse, a 302.
// What separates it from the JS floor is the runtime's KV read (here miniflare's local
// simulation of KV); what separates this worker's KV case from it is this worker's code.
export default {
  async fetch(request, env) {
    const code = new URL(request.url).pathname.slice(1);
    const text = await env.LINKS_KV.get(`link:${code}`, { cacheTtl: 60 });
    if (text === null) return new Response("not found", { status: 404 });
    return new Response(null, { status: 302, headers: { location: JSON.parse(text).url } });
  },
};
