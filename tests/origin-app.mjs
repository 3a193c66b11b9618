// The real SvelteKit app behind the worker in the integration tests: tests/origin-app,
// built by scripts/test.sh (adapter-node, into tests/origin-app/build) and started here as
// its own node process, configured as uLoad's app is behind the worker (adapter-node reads
// the visitor's address, host and scheme from the X-Forwarded-* headers the worker sets).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

export const APP_DIR = join(ROOT, "tests", "origin-app");
const ENTRY = join(APP_DIR, "build", "index.js");

/** A free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the app on a free port (or `port`, when the worker in front of it had to know it
 * first). `env`: more of its environment (e.g. EXTERNAL_URL).
 * Returns { url, port, stop(), start() }: stop() kills the process (an outage), start()
 * brings it back on the same port.
 */
export async function startApp({ env = {}, port: wanted } = {}) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: scripts/test.sh builds the SvelteKit test app`);
  const port = wanted ?? (await freePort());
  const app = { port, url: `http://127.0.0.1:${port}`, child: null, output: "" };
  app.start = async () => {
    const child = spawn(process.execPath, [ENTRY], {
      cwd: APP_DIR,
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        PORT: String(port),
        // adapter-node behind a proxy: the visitor's address, the public host and scheme.
        ADDRESS_HEADER: "x-forwarded-for",
        XFF_DEPTH: "1",
        HOST_HEADER: "x-forwarded-host",
        PROTOCOL_HEADER: "x-forwarded-proto",
        BODY_SIZE_LIMIT: "Infinity",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c) => (app.output += c));
    child.stderr.on("data", (c) => (app.output += c));
    app.child = child;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited: ${app.output}`);
      try {
        const res = await fetch(`${app.url}/about`);
        await res.arrayBuffer();
        if (res.ok) return app;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the app did not start: ${app.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  app.stop = async () => {
    const child = app.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  await app.start();
  process.once("exit", () => app.child?.kill("SIGKILL"));
  return app;
}
