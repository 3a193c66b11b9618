// The floor: the least a worker can do for a redirect. Every figure of the bench is a
// ratio to this worker, measured in the same run on the same machine.
export default {
  fetch() {
    return new Response(null, { status: 302, headers: { location: "https://example.com/" } });
  },
};
