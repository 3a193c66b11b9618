// Social previews and link inspection (issue 15), in workerd: a link's own preview card for
// the crawlers of a maintained list (crawler-user-agents, from npm), every one of its
// example User-Agents; the redirect for everyone else; `/{code}+` without revealing what the
// owner keeps closed.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { api, ROOT, startWorker } from "../harness.mjs";
import { json, problem, snapshot } from "./api-helpers.mjs";
import { CHROME, settled } from "./clicks.mjs";

const CRAWLERS = JSON.parse(await readFile(join(ROOT, "node_modules", "crawler-user-agents", "crawler-user-agents.json"), "utf8"));
const OURS = (await readFile(join(ROOT, "crates", "core", "src", "social_previewers.txt"), "utf8"))
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

const CARD = { og_title: 'Summer "sale" <50%>', og_description: "Everything & more", og_image: "https://img.example/card.png" };

describe("social preview cards", () => {
  let w, withCard, plain, secret, limited;
  before(async () => {
    w = await startWorker();
    const make = async (body) => json(await api(w, "POST", "/api/v1/links", { body }), 201);
    withCard = await make({ url: "https://shop.example/sale?x=1&y=2", code: "card", title: "Sale", ...CARD });
    plain = await make({ url: "https://plain.example/", code: "nocard" });
    secret = await make({ url: "https://secret.example/", code: "cardpw", password: "hunter22", ...CARD });
    limited = await make({ url: "https://limited.example/", code: "cardmax", max_clicks: 100, ...CARD });
  });

  test("every line of our list is a pattern of the maintained list", () => {
    const patterns = new Set(CRAWLERS.map((c) => c.pattern));
    for (const p of OURS) assert.ok(patterns.has(p), `${p} is not in crawler-user-agents`);
    assert.ok(OURS.length >= 20);
  });

  test("each listed crawler's example User-Agents get the card, with a refresh to the target", async () => {
    const entries = CRAWLERS.filter((c) => OURS.includes(c.pattern));
    let checked = 0;
    for (const entry of entries) {
      for (const ua of entry.instances ?? []) {
        const res = await w.fetch("/card", { headers: { "user-agent": ua } });
        const html = await res.text();
        assert.equal(res.status, 200, `${entry.pattern}: ${ua}`);
        assert.match(res.headers.get("content-type"), /^text\/html/);
        assert.equal(res.headers.get("x-robots-tag"), "noindex");
        assert.ok(html.includes('<meta property="og:title" content="Summer &quot;sale&quot; &lt;50%&gt;">'), html);
        assert.ok(html.includes('<meta property="og:image" content="https://img.example/card.png">'));
        assert.ok(html.includes('<meta name="twitter:card" content="summary_large_image">'));
        assert.ok(html.includes('<meta property="og:url" content="http://127.0.0.1:8787/card">'));
        assert.ok(html.includes('content="0;url=https://shop.example/sale?x=1&amp;y=2"'), html);
        checked++;
      }
    }
    assert.ok(checked >= 40, `only ${checked} User-Agents checked`);
  });

  test("people, search engines and other bots get the redirect; links without a card too", async () => {
    for (const ua of [CHROME, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.5.0", ""]) {
      const res = await w.fetch("/card", { headers: { "user-agent": ua } });
      assert.equal(res.status, 302, ua);
      assert.equal(res.headers.get("location"), "https://shop.example/sale?x=1&y=2");
    }
    const res = await w.fetch("/nocard", { headers: { "user-agent": "Twitterbot/1.0" } });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://plain.example/");
  });

  test("never for password-protected or limited links: no target is revealed, the limit counts", async () => {
    const pw = await w.fetch("/cardpw", { headers: { "user-agent": "Twitterbot/1.0", accept: "text/html" } });
    const html = await pw.text();
    assert.equal(pw.status, 401);
    assert.ok(!html.includes("secret.example") && !html.includes("og:title"), html);
    const max = await w.fetch("/cardmax", { headers: { "user-agent": "Twitterbot/1.0" } });
    assert.equal(max.status, 302, "the limited link redirects as for anyone (and counts)");
    assert.ok(!(await max.text()).includes("og:title"));
  });

  test("cards are filed as bots' visits: never a person's click", async () => {
    const link = await json(await api(w, "POST", "/api/v1/links", { body: { url: "https://count.example/", ...CARD } }), 201);
    const crawlers = ["Twitterbot/1.0", "facebookexternalhit/1.1 Facebot Twitterbot/1.0", "WhatsApp/2.23.20.0 A", "TelegramBot (like TwitterBot)", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"];
    for (const ua of crawlers) assert.equal((await w.fetch(`/${link.code}`, { headers: { "user-agent": ua } })).status, 200, ua);
    for (let i = 0; i < 3; i++) assert.equal((await w.fetch(`/${link.code}`, { headers: { "user-agent": CHROME } })).status, 302);
    const row = await settled(w, link.id, crawlers.length + 3);
    assert.equal(row.click_count, 3, "only the people's redirects are clicks");
    assert.equal(row.bot_click_count, crawlers.length, "each card was recorded as a bot's visit");
  });

  test("the card's fields: validated, shown by the API, cleared with null", async () => {
    const got = await json(await api(w, "GET", `/api/v1/links/${withCard.id}`), 200);
    assert.deepEqual([got.og_title, got.og_description, got.og_image], [CARD.og_title, CARD.og_description, CARD.og_image]);
    const unchanged = await snapshot(w);
    for (const [field, value] of [
      ["og_image", "ftp://img.example/a.png"],
      ["og_image", "https://user:pw@img.example/a.png"],
      ["og_image", "/relative.png"],
      ["og_image", `https://img.example/${"a".repeat(2100)}`],
      ["og_image", 42],
      ["og_title", "t".repeat(201)],
      ["og_description", "d".repeat(501)],
    ]) {
      const body = await problem(await api(w, "PATCH", `/api/v1/links/${plain.id}`, { body: { [field]: value } }), 422, "validation_failed");
      assert.ok(body.errors.some((e) => e.field === field), JSON.stringify(body));
    }
    assert.equal(await snapshot(w), unchanged, "refused writes change nothing");
    await json(await api(w, "PATCH", `/api/v1/links/${withCard.id}`, { body: { og_title: null, og_description: null, og_image: null } }), 200);
    const res = await w.fetch("/card", { headers: { "user-agent": "Twitterbot/1.0" } });
    assert.equal(res.status, 302, "without a card of its own the crawler follows the redirect");
  });
});

describe("link inspection: /{code}+", () => {
  let w, open, secret, limited, gone;
  before(async () => {
    w = await startWorker();
    const make = async (body) => json(await api(w, "POST", "/api/v1/links", { body }), 201);
    open = await make({ url: "https://docs.example/guide?a=1", code: "guide", title: "The <guide>", ios_url: "https://apps.apple.com/app/x" });
    secret = await make({ url: "https://hidden.example/", code: "locked", password: "hunter22" });
    limited = await make({ url: "https://once.example/", code: "once", max_clicks: 1 });
    gone = await make({ url: "https://old.example/", code: "old", is_active: false });
    assert.equal((await api(w, "PUT", "/api/v1/workspaces/team1", { body: { members: [] } })).status, 201);
    await make({ url: "https://team.example/", code: "teamdoc", workspace_id: "team1" });
  });

  test("an open link: its target as text, title, creation, and a way on through the short link", async () => {
    for (const path of ["/guide+", "/guide%2B"]) {
      const res = await w.fetch(path, { headers: { "accept-language": "en" } });
      const html = await res.text();
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("x-robots-tag"), "noindex");
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.ok(html.includes("<code>https://docs.example/guide?a=1</code>"), html);
      assert.ok(html.includes("The &lt;guide&gt;"));
      assert.ok(html.includes(`>${open.created_at.slice(0, 10)}</time>`));
      assert.ok(html.includes('<a class="button" href="/guide">Open the link</a>'));
      assert.ok(html.includes("may lead elsewhere"), "device targets are mentioned");
      assert.ok(!html.includes('href="https://docs.example'), "the target is never a link of its own");
    }
    const res = await w.fetch("/guide+", { headers: { accept: "application/json" } });
    const body = await json(res, 200);
    assert.deepEqual(body, {
      code: "guide",
      short_url: "http://127.0.0.1:8787/guide",
      title: "The <guide>",
      created_at: open.created_at,
      state: "active",
      protected: false,
      limited: false,
      target: "https://docs.example/guide?a=1",
      other_targets: true,
    });
  });

  test("protected, limited and gone links keep their target; inspecting spends no click", async () => {
    for (const [code, state, flag] of [["locked", "active", "protected"], ["once", "active", "limited"], ["old", "gone", null]]) {
      const body = await json(await w.fetch(`/${code}+`, { headers: { accept: "application/json" } }), 200);
      assert.equal(body.target, null, code);
      assert.equal(body.state, state, code);
      if (flag) assert.equal(body[flag], true, code);
      const html = await (await w.fetch(`/${code}+`)).text();
      assert.ok(!/hidden\.example|once\.example|old\.example/.test(html), html);
    }
    for (let i = 0; i < 3; i++) assert.equal((await w.fetch("/once+")).status, 200);
    assert.equal((await w.fetch("/once", { headers: { "user-agent": CHROME } })).status, 302, "the one click is still there");
    assert.equal((await w.fetch("/once", { headers: { "user-agent": CHROME } })).status, 410);
    assert.equal((await json(await w.fetch("/once+", { headers: { accept: "application/json" } }), 200)).target, null);
  });

  test("workspace and user paths, unknown codes, other methods", async () => {
    const ws = await json(await w.fetch("/w/team1/teamdoc+", { headers: { accept: "application/json" } }), 200);
    assert.equal(ws.short_url, "http://127.0.0.1:8787/w/team1/teamdoc");
    assert.equal(ws.target, "https://team.example/");
    assert.equal((await w.fetch("/w/other/teamdoc+")).status, 404, "under another workspace it does not exist");
    assert.equal((await w.fetch("/nosuchcode+")).status, 404);
    assert.equal((await w.fetch("/u/nobody/promo+")).status, 404);
    const post = await w.fetch("/guide+", { method: "POST", body: "password=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.equal((await w.fetch("/guide+", { method: "HEAD" })).status, 200);
  });
});
