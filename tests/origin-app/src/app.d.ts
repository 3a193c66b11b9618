// The app's own types for SvelteKit (https://svelte.dev/docs/kit/types#app.d.ts).
declare global {
  namespace App {
    interface Locals {
      /** The signed-in username (hooks.server.js), or null. */
      user: string | null;
    }
  }
}

export {};
