// The stand-in for uLoad's SvelteKit app in the integration tests: SvelteKit 2, Svelte 5,
// adapter-node (uLoad's stack). Its CSRF check of form actions is on, as in uLoad.
import adapter from "@sveltejs/adapter-node";

export default {
  kit: {
    // precompress: static files also as .gz/.br, served with Content-Encoding by sirv,
    // so the tests see real compressed answers pass through the worker.
    adapter: adapter({ out: "build", precompress: true }),
  },
};
