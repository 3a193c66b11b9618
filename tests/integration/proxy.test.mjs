// The worker in front of a real SvelteKit app (tests/origin-app, adapter-node, uLoad's
// stack) as a transparent HTTP intermediary: the app's redirects and cookies reach the
// visitor as sent, bodies stream both ways within a cap, hop-by-hop headers stay on their
// hop, the app learns the visitor's address, host and scheme only from the worker, and
// conditional, partial, HEAD, compressed and streamed answers pass through. Then the app's
// process is killed: links still redirect, public pages come from their stale copies, the
// rest gets the maintenance page; started again, pages come back once the breaker closes.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { api, eventually, startWorker } from "../harness.mjs";
import { APP_DIR, startApp } from "../origin-app.mjs";

const MIB = 1024 * 1024;
const CAP = 8 * MIB;

/** A raw HTTP/1.1 exchange (node's fetch refuses hop-by-hop headers and decodes bodies). */
function raw(base, path, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A server standing for another site the app redirects to; it records every request. */
async function externalSite() {
  const site = { hits: [] };
  site.server = createServer((req, res) => {
    site.hits.push({ url: req.url, cookie: req.headers.cookie });
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<h1>another site</h1>");
  });
  await new Promise((r) => site.server.listen(0, "127.0.0.1", r));
  site.url = `http://127.0.0.1:${site.server.address().port}`;
  return site;
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const formLogin = (origin) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", origin },
  body: "username=alice&password=correct+horse",
});

describe("the worker in front of the real SvelteKit app", () => {
  let app, w, external;
  before(async () => {
    external = await externalSite();
    app = await startApp({ env: { EXTERNAL_URL: external.url } });
    w = await startWorker({
      bindings: {
        ORIGIN_URL: app.url,
        // The app's pages, as a deployment lists uLoad's (the defaults plus this app's own):
        // straight to the app, and a maintenance page rather than "no such link" when it is down.
        ORIGIN_PREFIXES: "/login,/logout,/register,/dashboard,/my/,/p/,/_app/,/settings,/auth/,/api/auth/,/account,/greeting,/welcome,/external,/boom,/stream,/upload,/download,/files/",
        ORIGIN_MAX_BODY_BYTES: String(CAP),
        ORIGIN_TIMEOUT_MS: "2000",
        BREAKER_FAILURES: "2",
        BREAKER_COOLDOWN_SECONDS: "1",
      },
    });
  });
  after(async () => {
    await w?.stop();
    await app?.stop();
    await new Promise((r) => external?.server.close(r));
  });

  it("passes the app's redirects on as sent, never following them", async () => {
    const guarded = await w.fetch("/account", { headers: { cookie: "session=nope" } });
    assert.equal(guarded.status, 302);
    assert.equal(guarded.headers.get("location"), "/login?next=%2Faccount");
    assert.equal(guarded.headers.get("x-served-from"), "origin");

    const before = external.hits.length;
    const out = await w.fetch("/external", { headers: { cookie: "session=secret-of-the-visitor" } });
    assert.equal(out.status, 302, "the redirect to another site is the browser's to follow");
    assert.equal(out.headers.get("location"), `${external.url}/landing`);
    assert.equal(await out.text(), "");
    assert.equal(external.hits.length, before, "the worker never called the other site, nor sent it the visitor's cookie");
  });

  it("logs in through a form action: 303 with every Set-Cookie header kept apart, then the session works", async () => {
    const login = await w.fetch("/login?next=%2Faccount", formLogin(w.url.replace(/\/$/, "")));
    assert.equal(login.status, 303, "SvelteKit's CSRF check passed: the app saw its public origin");
    assert.equal(login.headers.get("location"), "/account");
    const cookies = login.headers.getSetCookie();
    assert.equal(cookies.length, 2, `two cookies, two headers: ${JSON.stringify(cookies)}`);
    const session = cookies.find((c) => c.startsWith("session="));
    assert.match(session, /HttpOnly/i);
    assert.match(session, /Path=\//);
    assert.ok(cookies.some((c) => c.startsWith("ui_lang=de")));

    const cookie = session.split(";")[0];
    const page = await w.fetch("/account", { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Signed in as alice/);
    // Signed in, /login?next=… answers 302 onwards (uLoad's behaviour).
    const again = await w.fetch("/login?next=%2Fgreeting", { headers: { cookie } });
    assert.equal(again.status, 302);
    assert.equal(again.headers.get("location"), "/greeting");

    const logout = await w.fetch("/logout", { method: "POST", headers: { cookie, accept: "text/html", "content-type": "application/x-www-form-urlencoded", origin: w.url.replace(/\/$/, "") }, body: "" });
    assert.equal(logout.status, 303);
    assert.match(logout.headers.getSetCookie().join("\n"), /session=;/, "the session cookie is cleared");
    assert.equal((await w.fetch("/account", { headers: { cookie } })).status, 302, "the old session is gone");
  });

  it("a cross-site form post is still refused by the app's own CSRF check", async () => {
    const res = await w.fetch("/login", formLogin("https://evil.example"));
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-served-from"), "origin");
  });

  it("the app sees the visitor's address, host and scheme from the worker only; client claims are dropped", async () => {
    const res = await raw(w.url, "/api/echo?tag=x&tag=y", {
      headers: {
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        forwarded: "for=6.6.6.6;host=evil.example",
        "x-real-ip": "6.6.6.6",
        "true-client-ip": "6.6.6.6",
        "x-custom": "kept",
      },
    });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body);
    const workerHost = new URL(w.url).host;
    assert.equal(seen.url, `http://${workerHost}/api/echo?tag=x&tag=y`, "the app's idea of its own URL is the worker's public one");
    assert.equal(seen.search, "?tag=x&tag=y", "repeated query keys arrive as sent");
    assert.equal(seen.headers["x-forwarded-host"], workerHost);
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.notEqual(seen.address, "6.6.6.6");
    for (const h of ["forwarded", "x-real-ip", "true-client-ip"]) assert.equal(seen.headers[h], undefined, `${h} is dropped`);
    assert.ok(!String(seen.headers["x-forwarded-for"] ?? "").includes("6.6.6.6"), "the client's X-Forwarded-For is dropped");
    assert.equal(seen.headers["x-custom"], "kept");
    assert.equal(res.headers["x-served-from"], "origin");
  });

  it("hop-by-hop headers stay on their hop, both ways", async () => {
    const res = await raw(w.url, "/api/echo?hop=1", {
      headers: { connection: "keep-alive, x-drop-me", "x-drop-me": "1", "keep-alive": "timeout=9", te: "trailers", "proxy-authorization": "Basic eDp5", "x-custom": "kept" },
    });
    const seen = JSON.parse(res.body);
    for (const h of ["x-drop-me", "proxy-authorization", "te", "keep-alive"]) assert.equal(seen.headers[h], undefined, `${h} did not reach the app`);
    assert.doesNotMatch(String(seen.headers.connection ?? ""), /x-drop-me/);
    assert.equal(seen.headers["x-custom"], "kept");
    assert.equal(res.headers["x-app-hop"], undefined, "the app's Connection-named header stays with the app");
    assert.equal(res.headers["x-app-kept"], "1");
  });

  it("conditional requests, ranges, HEAD and compressed files pass through", async () => {
    const file = await readFile(join(APP_DIR, "static", "files", "notes.txt"));
    // The runtime asks the app for a compressed file and decodes it for a client that
    // accepts none (identity); a client that says nothing accepts any coding (RFC 9110).
    const identity = { "accept-encoding": "identity" };
    const full = await raw(w.url, "/files/notes.txt", { headers: identity });
    assert.equal(full.status, 200);
    assert.ok(full.body.equals(file));
    const etag = full.headers.etag;
    assert.ok(etag, "the app's ETag");

    const notModified = await raw(w.url, "/files/notes.txt", { headers: { "if-none-match": etag } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);

    const part = await raw(w.url, "/files/notes.txt", { headers: { ...identity, range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers["content-range"], `bytes 100-199/${file.length}`);
    assert.ok(part.body.equals(file.subarray(100, 200)));

    const head = await raw(w.url, "/files/notes.txt", { method: "HEAD", headers: identity });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers["content-type"], full.headers["content-type"]);
    assert.equal(head.headers.etag, etag, "HEAD describes the same representation");

    for (const [encoding, decode] of [["gzip", gunzipSync], ["br", brotliDecompressSync]]) {
      const packed = await raw(w.url, "/files/notes.txt", { headers: { "accept-encoding": encoding } });
      assert.equal(packed.status, 200);
      assert.equal(packed.headers["content-encoding"], encoding);
      assert.ok(packed.body.length < file.length / 2, `${encoding}: sent compressed (${packed.body.length} bytes)`);
      assert.ok(decode(packed.body).equals(file), `${encoding}: decoded once, it is the file`);
    }
  });

  it("server-sent events stream through as they are sent", async () => {
    const started = Date.now();
    const res = await w.fetch("/stream");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/event-stream/);
    const reader = res.body.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const total = Date.now() - started;
    assert.match(text, /tick 0[\s\S]*tick 4/);
    assert.ok(total >= 1100, `the stream took ${total} ms`);
    assert.ok(firstAt < total - 800, `the first event came at ${firstAt} ms of ${total}: not buffered`);
  });

  it("uploads of several MB stream to the app, with or without a declared length", async () => {
    const body = randomBytes(6 * MIB);
    const declared = await w.fetch("/upload", { method: "POST", headers: { "content-type": "application/octet-stream" }, body });
    assert.equal(declared.status, 200);
    assert.deepEqual(await declared.json(), { bytes: body.length, sha256: sha256(body) });

    const chunked = await w.fetch("/upload", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Blob([body]).stream(),
      duplex: "half",
    });
    assert.equal(chunked.status, 200);
    assert.deepEqual(await chunked.json(), { bytes: body.length, sha256: sha256(body) });
  });

  it("a body over the cap is refused with 413: by its length before it is read, or once the count passes the cap", async () => {
    const completed = async () => (await (await fetch(`${app.url}/upload`)).json()).completed;
    const before = await completed();
    const big = randomBytes(CAP + MIB);
    // Only the headers are sent: the answer must come before any of the body.
    const declared = await new Promise((resolve, reject) => {
      const req = httpRequest(new URL("/upload", w.url), { method: "POST", headers: { "content-type": "application/octet-stream", "content-length": String(big.length) } }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode, body: Buffer.concat(chunks) });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    assert.equal(declared.status, 413, "refused by its declared length, before a byte was sent");
    assert.equal(JSON.parse(declared.body).code, "payload_too_large");
    const chunked = await w.fetch("/upload", { method: "POST", body: new Blob([big]).stream(), duplex: "half" });
    assert.equal(chunked.status, 413);
    assert.equal((await chunked.json()).code, "payload_too_large");
    assert.equal(await completed(), before, "no refused upload reached the app whole");
  });

  it("a 5 MB download streams through whole", async () => {
    const res = await w.fetch("/download?mb=5");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(5 * MIB));
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, 5 * MIB);
    assert.equal(body[251], 0);
    assert.equal(body[5 * MIB - 1], (5 * MIB - 1) % (64 * 1024) % 251);
  });

  it("a WebSocket handshake gets a clear 501", async () => {
    const res = await raw(w.url, "/ws", {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": randomBytes(16).toString("base64") },
    });
    assert.equal(res.status, 501);
    assert.equal(JSON.parse(res.body).code, "not_implemented");
  });

  it("the app's JSON endpoints, bio pages, 404s and 500s are its own answers", async () => {
    const json = await w.fetch("/api/echo", { method: "PUT", headers: { "content-type": "application/json" }, body: "abc" });
    assert.equal(json.status, 200);
    assert.equal((await json.json()).body, 3);
    const bio = await w.fetch("/p/alice");
    assert.equal(bio.status, 200);
    assert.match(await bio.text(), /Profile of alice/);
    assert.equal((await w.fetch("/p/nobody")).status, 404);
    for (let i = 0; i < 4; i++) {
      const boom = await w.fetch("/boom");
      assert.equal(boom.status, 500, "the app's error page, as it sent it");
      assert.equal(boom.headers.get("x-served-from"), "origin");
      await boom.arrayBuffer();
    }
    const after = await w.fetch("/about");
    assert.equal(after.headers.get("x-served-from"), "origin", "an app error is not an outage: the breaker stays closed");
  });

  it("a real browser logs in, reaches the page that needs the session, and logs out, all on the worker's address", async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const origin = new URL(w.url).origin;
      await page.goto(`${origin}/account`);
      assert.equal(page.url(), `${origin}/login?next=%2Faccount`, "the app's redirect, followed by the browser, on the worker's address");
      await page.waitForLoadState("networkidle"); // the app's scripts (through the worker) have hydrated the form
      await page.fill("input[name=username]", "alice");
      await page.fill("input[name=password]", "wrong");
      await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
      assert.match(await page.textContent("#wrong"), /Wrong username or password/);
      await page.waitForLoadState("networkidle");
      await page.fill("input[name=username]", "alice");

      await page.fill("input[name=password]", "correct horse");
      await Promise.all([page.waitForURL(`${origin}/account`), page.click("button[type=submit]")]);
      assert.equal(await page.textContent("#who"), "Signed in as alice");
      const session = (await context.cookies(origin)).find((c) => c.name === "session");
      assert.ok(session, "the session cookie was stored for the worker's host");
      assert.equal(session.httpOnly, true);
      assert.ok((await context.cookies(origin)).some((c) => c.name === "ui_lang"), "and the second cookie of the same answer");

      // Reloading keeps the session; logging out ends it.
      await page.goto(`${origin}/account`);
      assert.equal(await page.textContent("#who"), "Signed in as alice");
      await Promise.all([page.waitForURL(`${origin}/`), page.click("text=Log out")]);
      assert.equal((await context.cookies(origin)).find((c) => c.name === "session"), undefined, "the session cookie is gone");
      await page.goto(`${origin}/account`);
      assert.match(page.url(), /\/login\?next=%2Faccount$/, "signed out: the page asks to log in again");
    } finally {
      await browser.close();
    }
  });

  it("when the app's process dies: links redirect, public pages come stale, the rest gets the maintenance page; then it comes back", async () => {
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/still-here", code: "stillhere" } })).status, 201);
    const cookie = (await w.fetch("/login", formLogin(w.url.replace(/\/$/, "")))).headers.getSetCookie().find((c) => c.startsWith("session=")).split(";")[0];
    // Answers that may be kept, and answers that may never be kept as a shared copy.
    for (const [path, headers] of [
      ["/about", {}],
      ["/", {}],
      ["/greeting", {}], // Vary: Cookie
      ["/welcome", {}], // sets a cookie on a plain GET
      ["/external", {}], // a 302
      ["/account", { cookie }], // private, and asked with a cookie
      ["/about?evil=1", { "x-forwarded-host": "evil.example" }],
    ]) {
      const res = await w.fetch(path, { headers });
      assert.equal(res.headers.get("x-served-from"), "origin", path);
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 300)); // copies are written after the response

    await app.stop();
    const link = await w.fetch("/stillhere");
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "https://example.com/still-here");

    const about = await w.fetch("/about");
    assert.equal(about.status, 200);
    assert.equal(about.headers.get("x-served-from"), "stale");
    assert.match(await about.text(), /About uLoad/);
    const poisoned = await w.fetch("/about?evil=1");
    assert.equal(poisoned.headers.get("x-served-from"), "stale");
    assert.doesNotMatch(await poisoned.text(), /evil\.example/, "the copy was made with the worker's own forwarding headers");
    for (const [path, headers] of [["/greeting", {}], ["/welcome", {}], ["/external", {}], ["/account", { cookie }], ["/login", {}]]) {
      const res = await w.fetch(path, { headers });
      assert.equal(res.status, 503, `${path}: no shared copy of it`);
      assert.equal(res.headers.get("x-served-from"), "maintenance");
      assert.ok(Number(res.headers.get("retry-after")) > 0);
      await res.arrayBuffer();
    }
    const bio = await w.fetch("/p/nobody");
    assert.equal(bio.headers.get("x-served-from"), "edge", "bio pages are rendered at the edge instead");
    await bio.arrayBuffer();

    await app.start();
    const back = await eventually(async () => {
      const res = await w.fetch("/greeting");
      await res.arrayBuffer();
      return res.headers.get("x-served-from") === "origin" && res;
    }, "a trial request to reach the app again", { timeoutMs: 5000 });
    assert.equal(back.status, 200, "the app answers again once the breaker lets a trial through");
    assert.equal(back.headers.get("x-served-from"), "origin");
  });
});
