// The pages a visitor sees from the worker, in a real browser (Debian's Chromium through
// playwright-core): password form (and after a wrong password), 404, 410, 429, the
// maintenance page and the bio page rendered at the edge, each at 375 px and at desktop
// width, in German and English, light and dark, checked with axe-core (no violations),
// for horizontal overflow, layout shift and focus, and scored by Lighthouse's accessibility
// category (pinned 12.8.2, which runs on this Node; offline against the local worker);
// screenshots and page weights are kept in target/pages/ (ULOAD_DOCS_SCREENSHOTS=1 also
// writes the README's to docs/pages/).
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";
import { ROOT, api, startWorker } from "../harness.mjs";
import { startApp } from "../origin-app.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const AXE = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const OUT = join(ROOT, "target", "pages");
const DOCS = join(ROOT, "docs", "pages");
const WIDTHS = [375, 1280];
const LANGS = { de: "de-DE", en: "en-US" };
const weights = {};
const scores = {};
let lighthouseChrome;

/** Lighthouse's accessibility score of `url` on a phone, in German. */
async function accessibilityScore(name, url) {
  lighthouseChrome ??= await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"] });
  const result = await lighthouse(
    url,
    { port: lighthouseChrome.port, onlyCategories: ["accessibility"], output: "json", logLevel: "error" },
    {
      extends: "lighthouse:default",
      settings: {
        // The pages under test answer 401, 404, 410, 429 and 503 by design.
        ignoreStatusCode: true,
        extraHeaders: { "Accept-Language": "de-DE" },
        formFactor: "mobile",
        screenEmulation: { mobile: true, width: 375, height: 800, deviceScaleFactor: 2 },
      },
    },
  );
  const score = Math.round(result.lhr.categories.accessibility.score * 100);
  scores[name] = score;
  const failed = Object.values(result.lhr.audits).filter((a) => a.score === 0).map((a) => a.id);
  assert.ok(score >= 95, `${name}: Lighthouse accessibility ${score} (failed: ${failed.join(", ")})`);
}

/** Opens `path` (or runs `go(page)`) in every width × language × colour scheme and checks it. */
async function checkPage(browser, name, url, { status, go, expect } = {}) {
  for (const [lang, locale] of Object.entries(LANGS)) {
    for (const width of WIDTHS) {
      // Dark at phone width only: the colours are what changes, not the layout.
      for (const scheme of width === 375 ? ["light", "dark"] : ["light"]) {
        const context = await browser.newContext({
          locale,
          colorScheme: scheme,
          viewport: { width, height: 800 },
          // axe-core is injected into pages whose CSP allows no script at all.
          bypassCSP: true,
        });
        try {
          const page = await context.newPage();
          const res = go ? await go(page, url) : await page.goto(url);
          if (status) assert.equal(res.status(), status, `${name} ${lang}`);
          const headers = res.headers();
          assert.match(headers.vary ?? "", /Accept-Language/i, `${name}: Vary names Accept-Language`);
          assert.equal(await page.getAttribute("html", "lang"), lang, `${name}: lang`);
          const body = await res.body();
          weights[name] = Math.max(weights[name] ?? 0, body.length);
          // No horizontal scrolling on a phone, nothing loaded from elsewhere.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name} ${lang} ${width}px: ${overflow}px wider than the screen`);
          const shift = await page.evaluate(
            () =>
              new Promise((resolve) => {
                let total = 0;
                new PerformanceObserver((list) => list.getEntries().forEach((e) => (total += e.value))).observe({ type: "layout-shift", buffered: true });
                setTimeout(() => resolve(total), 100);
              }),
          );
          assert.equal(shift, 0, `${name}: no layout shift`);
          await page.evaluate(AXE);
          const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
          const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
          assert.deepEqual(violations, [], `${name} ${lang} ${width}px ${scheme}: axe-core`);
          if (expect) await expect(page, lang);
          await mkdir(OUT, { recursive: true });
          const shot = `${name}-${lang}-${width}-${scheme}.png`;
          await page.screenshot({ path: join(OUT, shot), fullPage: true });
          if (process.env.ULOAD_DOCS_SCREENSHOTS && scheme === "light" && ((lang === "de" && width === 375) || (lang === "en" && width === 1280))) {
            await mkdir(DOCS, { recursive: true });
            await page.screenshot({ path: join(DOCS, shot), fullPage: false });
          }
        } finally {
          await context.close();
        }
      }
    }
  }
}

const text = (page, selector) => page.textContent(selector).then((t) => t.trim());

describe("visitor pages in Chromium: designed, responsive, accessible, German and English", () => {
  let app;
  let w;
  let limited;
  let browser;
  before(async () => {
    // uLoad's real app behind the worker: the pages link home only while it answers.
    app = await startApp();
    w = await startWorker({ bindings: { ORIGIN_URL: app.url, BREAKER_FAILURES: "1", BREAKER_COOLDOWN_SECONDS: "300", ORIGIN_RETRIES: "0" } });
    limited = await startWorker({ bindings: { RATE_REDIRECT_LIMIT: "1", RATE_REDIRECT_SYNC_EVERY: "1" } });
    assert.equal((await api(w, "PUT", "/api/v1/users/pagesuser01", { body: { username: "lena", display_name: "Lena Müller", bio: "Fotografin aus Köln · Reisen & Kaffee" } })).status, 201);
    const as = { user: "pagesuser01" };
    for (const body of [
      { url: "https://example.com/portfolio", title: "Mein Portfolio" },
      { url: "https://example.com/shop", title: "Prints kaufen" },
      { url: "https://example.com/blog", code: "lena/reiseblog" },
      { url: "https://example.com/insta", title: "Instagram" },
    ]) {
      assert.equal((await api(w, "POST", "/api/v1/links", { body, ...as })).status, 201);
    }
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/vault", code: "tresor", password: "sesam öffne dich" } })).status, 201);
    assert.equal((await api(w, "POST", "/api/v1/links", { body: { url: "https://example.com/off", code: "abgelaufen", is_active: false } })).status, 201);
    assert.equal((await api(limited, "POST", "/api/v1/links", { body: { url: "https://example.com/x", code: "beliebt" } })).status, 201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    await lighthouseChrome?.kill();
    await w?.stop();
    await limited?.stop();
    await app?.stop();
    if (Object.keys(weights).length) {
      await mkdir(OUT, { recursive: true });
      await writeFile(join(OUT, "weights.json"), JSON.stringify(weights, null, 2) + "\n");
      console.log(`# page weights (bytes of HTML, inline CSS included): ${JSON.stringify(weights)}`);
      console.log(`# Lighthouse accessibility: ${JSON.stringify(scores)}`);
    }
  });

  it("the password form: labelled, focused, and clear after a wrong password", async () => {
    const url = new URL("/tresor", w.url).href;
    await checkPage(browser, "password", url, {
      status: 401,
      async expect(page, lang) {
        assert.equal(await page.evaluate(() => document.activeElement?.id), "password", "autofocus");
        assert.equal(await text(page, "label[for=password]"), lang === "de" ? "Passwort" : "Password");
        assert.equal(await page.getAttribute("a.logo", "href"), "/", "the app answers: the wordmark links home");
        // The focus is visible on the button.
        await page.keyboard.press("Tab");
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        assert.notEqual(outline, "none");
      },
    });
    await accessibilityScore("password", url);
    await checkPage(browser, "password-wrong", url, {
      async go(page, target) {
        await page.goto(target);
        await page.fill("#password", "falsch");
        const [res] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
        return res;
      },
      async expect(page, lang) {
        assert.match(await text(page, "[role=alert]"), lang === "de" ? /Falsches Passwort/ : /Wrong password/);
        assert.equal(await page.getAttribute("#password", "aria-invalid"), "true");
        assert.ok(await page.isVisible("[role=alert]"));
      },
    });
  });

  it("410", async () => {
    await checkPage(browser, "gone", new URL("/abgelaufen", w.url).href, {
      status: 410,
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Link nicht mehr verfügbar" : "Link no longer available");
        assert.equal(await page.getAttribute("a.logo", "href"), "/", "the app answers: the wordmark links home");
      },
    });
    await accessibilityScore("gone", new URL("/abgelaufen", w.url).href);
  });

  it("the abuse pages: disabled (451), held with a warning, the report form and its thanks", async () => {
    const made = async (code) => (await api(w, "POST", "/api/v1/links", { body: { url: `https://example.com/${code}`, code } })).json();
    const blocked = await made("gesperrt");
    assert.equal((await api(w, "POST", `/api/v1/admin/links/${blocked.id}/block`, { body: { reason: "phishing" } })).status, 200);
    await checkPage(browser, "blocked", new URL("/gesperrt", w.url).href, {
      status: 451,
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Link gesperrt" : "Link disabled");
      },
    });
    await made("verdaechtig");
    for (const ip of ["198.51.100.10", "198.51.100.11", "198.51.100.12"]) {
      const res = await w.fetch("/abuse/report", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": ip }, body: JSON.stringify({ link: "verdaechtig", reason: "phishing" }) });
      assert.equal(res.status, 202);
    }
    await checkPage(browser, "held", new URL("/verdaechtig", w.url).href, {
      status: 200,
      async expect(page, lang) {
        assert.equal(await text(page, "a.button"), lang === "de" ? "Trotzdem fortfahren" : "Continue anyway");
      },
    });
    await checkPage(browser, "report", new URL("/abuse/report?link=verdaechtig", w.url).href, {
      status: 200,
      async expect(page, lang) {
        assert.equal(await page.inputValue("#link"), "verdaechtig");
        assert.equal(await text(page, "label[for=reason]"), lang === "de" ? "Grund" : "Reason");
      },
    });
    await checkPage(browser, "report-sent", new URL("/abuse/report", w.url).href, {
      async go(page, target) {
        await page.goto(target);
        await page.fill("#link", "gesperrt");
        await page.selectOption("#reason", "spam");
        const [res] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
        return res;
      },
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Danke für deine Meldung" : "Thank you for your report");
      },
    });
    await accessibilityScore("report", new URL("/abuse/report", w.url).href);
    await accessibilityScore("held", new URL("/verdaechtig", w.url).href);
  });

  it("429", async () => {
    const url = new URL("/beliebt", limited.url).href;
    assert.equal((await limited.fetch("/beliebt")).status, 302);
    await checkPage(browser, "too-many", url, {
      status: 429,
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Zu viele Anfragen" : "Too many requests");
        assert.match(await text(page, "main"), lang === "de" ? /Versuche es in etwa/ : /try again in about/);
        assert.equal(await page.$("a.logo"), null, "no app configured: no link home");
      },
    });
    await accessibilityScore("too-many", url);
  });

  it("while the app is down: the maintenance page says when to come back, the bio page comes from the edge", async () => {
    await app.stop();
    await checkPage(browser, "maintenance", new URL("/blog/neuigkeiten", w.url).href, {
      status: 503,
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Gleich wieder da" : "Back in a moment");
        const when = await page.getAttribute("time", "datetime");
        assert.ok(Date.parse(when) > Date.now(), "the time to come back is ahead");
        assert.match(await text(page, "time"), lang === "de" ? /^\d\d:\d\d Uhr UTC$/ : /^\d\d:\d\d UTC$/);
        assert.equal(await page.$("a.logo"), null, "the app is down: no link to it");
      },
    });
    // While the app is up, an unknown code is the app's to answer; now it is the worker's.
    await checkPage(browser, "not-found", new URL("/gibtesnicht", w.url).href, {
      status: 404,
      async expect(page, lang) {
        assert.equal(await text(page, "h1"), lang === "de" ? "Link nicht gefunden" : "Link not found");
      },
    });
    await checkPage(browser, "bio", new URL("/p/lena", w.url).href, {
      status: 200,
      async expect(page) {
        assert.equal(await text(page, "h1"), "Lena Müller");
        const links = await page.$$eval(".links a", (as) => as.map((a) => [a.textContent, a.getAttribute("href")]));
        assert.equal(links.length, 4);
        assert.ok(links.some(([label]) => label === "Mein Portfolio"));
        assert.ok(links.every(([, href]) => !href.includes("example.com")), "short links only, never a target");
        // A link-in-bio page on a phone: full-width buttons of a comfortable size.
        const box = await page.$eval(".links a", (a) => a.getBoundingClientRect().toJSON());
        assert.ok(box.height >= 44, `touch target ${box.height}px`);
      },
    });
    await accessibilityScore("maintenance", new URL("/blog/neuigkeiten", w.url).href);
    await accessibilityScore("not-found", new URL("/gibtesnicht", w.url).href);
    await accessibilityScore("bio", new URL("/p/lena", w.url).href);
    for (const [name, size] of Object.entries(weights)) assert.ok(size < 8 * 1024, `${name}: ${size} bytes, a few KB`);
  });
});
