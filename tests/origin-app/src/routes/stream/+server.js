// Server-sent events: five events 300 ms apart. A proxy that buffers shows nothing until
// the last one.
export function GET() {
  let timer;
  const body = new ReadableStream({
    start(controller) {
      let n = 0;
      const send = () => {
        controller.enqueue(new TextEncoder().encode(`data: tick ${n} at ${Date.now()}\n\n`));
        if (++n === 5) return controller.close();
        timer = setTimeout(send, 300);
      };
      send();
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}
