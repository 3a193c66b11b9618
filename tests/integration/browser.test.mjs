// A real browser (Debian's headless Chromium, driven by playwright-core) through a
// password-protected link: the form, a wrong password, the right one, the cookie, and the
// redirect to the target.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { api, startWorker } from "../harness.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

describe("password-protected link in a real browser", () => {
  let w, target, browser;
  before(async () => {
    target = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<title>Landing</title><h1 id=landing>You made it</h1>");
    });
    await new Promise((r) => target.listen(0, "127.0.0.1", r));
    w = await startWorker();
    // "localhost", not 127.0.0.1: the latter is the short host here, refused as a loop.
    const url = `http://localhost:${target.address().port}/landing`;
    const res = await api(w, "POST", "/api/v1/links", { body: { url, code: "browserlock", password: "let me in" } });
    assert.equal(res.status, 201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    await new Promise((r) => target?.close(r));
  });

  it("asks, refuses a wrong password, accepts the right one and lands on the target", async () => {
    const context = await browser.newContext({ locale: "de-DE" });
    const page = await context.newPage();
    const first = await page.goto(new URL("/browserlock", w.url).href);
    assert.equal(first.status(), 401);
    assert.equal(await page.textContent("h1"), "Geschützter Link");

    await page.fill("#password", "wrong");
    await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
    assert.match(await page.textContent("[role=alert]"), /Falsches Passwort/);

    await page.fill("#password", "let me in");
    await Promise.all([page.waitForURL(/\/landing$/), page.click("button[type=submit]")]);
    assert.equal(await page.textContent("#landing"), "You made it");

    const [cookie] = (await context.cookies()).filter((c) => c.name === "ul_pw");
    assert.ok(cookie, "the unlock cookie is set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/browserlock");

    // Unlocked: the next visit goes straight through.
    await page.goto(new URL("/browserlock", w.url).href);
    assert.match(page.url(), /\/landing$/);
    await context.close();
  });
});
