// Abuse handling in the real runtime: targets refused at creation and edit (denied
// domains with their subdomains, denied terms, other URL shorteners), flagged ones
// (IP literals, look-alike hosts), an admin disabling a link (451 at once, its owner sees
// why) and undoing it, a domain ban reaching every existing link and undone, public
// reports (deduplicated per reporting network, rate-limited) holding a link for review
// after enough of them (a warning with a continue link), release, security.txt, the audit log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, kv, startWorker } from "../harness.mjs";

const NO_MEMORY = { MEMORY_CACHE_TTL_SECONDS: "0", MEMORY_NEGATIVE_TTL_SECONDS: "0" };

async function ok(res, status) {
  assert.equal(res.status, status, await res.clone().text());
  return res.json();
}

async function problem(res, status, code) {
  assert.equal(res.status, status, await res.clone().text());
  const body = await res.json();
  assert.equal(body.code, code);
  return body;
}

describe("abuse handling", () => {
  let w;
  const as = { user: "abuseowner1" };
  before(async () => {
    w = await startWorker({ bindings: NO_MEMORY });
    await ok(await api(w, "PUT", "/api/v1/users/abuseowner1", { body: { username: "owner" } }), 201);
  });
  after(() => w?.stop());

  it("refuses other shorteners, denied domains (with subdomains) and denied terms, naming the rule", async () => {
    const shortener = await problem(await api(w, "POST", "/api/v1/links", { body: { url: "https://bit.ly/3xYz" }, ...as }), 422, "target_refused");
    assert.match(shortener.detail, /^url_shortener: bit\.ly is a URL shortener/);
    assert.equal(shortener.errors[0].field, "url");
    // Only the admin manages the denylist.
    await problem(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "domain", value: "phish.example", reason: "phishing kit" }, token: w.token }), 403, "forbidden");
    await problem(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "domain", value: "https://phish.example/", reason: "x" } }), 422, "validation_failed");
    await problem(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "color", value: "red", reason: "nope" } }), 422, "validation_failed");
    await ok(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "domain", value: "Phish.Example", reason: "phishing kit" } }), 201);
    await ok(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "term", value: "free-iphone", reason: "scam wave" } }), 201);
    const list = await ok(await api(w, "GET", "/api/v1/admin/denylist"), 200);
    assert.deepEqual(list.data.map((e) => [e.kind, e.value]), [["domain", "phish.example"], ["term", "free-iphone"]]);
    for (const [url, rule] of [
      ["https://phish.example/login", "denied_domain"],
      ["https://secure.login.phish.example/", "denied_domain"],
      ["https://shop.example/FREE-iPhone?now=1", "denied_term"],
    ]) {
      const p = await problem(await api(w, "POST", "/api/v1/links", { body: { url }, ...as }), 422, "target_refused");
      assert.match(p.detail, new RegExp(`^${rule}:`), url);
    }
    // Every target of a link is checked, on edit too.
    const fine = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://fine.example/" }, ...as }), 201);
    assert.equal(fine.warnings, undefined);
    const geo = await problem(await api(w, "PATCH", `/api/v1/links/${fine.id}`, { body: { geo: { DE: "https://x.phish.example/" } }, ...as }), 422, "target_refused");
    assert.equal(geo.errors[0].field, "geo.DE");
    await problem(await api(w, "PATCH", `/api/v1/links/${fine.id}`, { body: { url: "https://tinyurl.com/abc" }, ...as }), 422, "target_refused");
    assert.equal((await w.fetch(`/${fine.code}`)).headers.get("location"), "https://fine.example/", "a refused edit changes nothing");
    // Not the same host: allowed.
    await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://notphish.example/" }, ...as }), 201);
  });

  it("flags IP literals and look-alike hosts with warnings", async () => {
    const ip = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "http://203.0.113.9/login" }, ...as }), 201);
    assert.deepEqual(ip.warnings, ["the target's host is an IP address: visitors cannot see whose site it is"]);
    // "pаypal.com" with a Cyrillic "а".
    const lookalike = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://p\u0430ypal.com/signin" }, ...as }), 201);
    assert.match(lookalike.warnings.join(" "), /mixes alphabets/);
    const scrape = await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
    assert.match(scrape, /^links_flagged_total\{rule="ip_literal"\} 1$/m);
    assert.match(scrape, /^links_refused_total\{rule="url_shortener"\} 2$/m);
  });

  it("an admin disables a link for abuse: 451 at once, no-store, the owner sees why; undo restores it", async () => {
    const link = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://reported.example/", code: "reported" }, ...as }), 201);
    assert.equal((await w.fetch("/reported")).status, 302);
    await problem(await api(w, "POST", `/api/v1/admin/links/${link.id}/block`, { body: { reason: "phishing" }, token: w.token }), 403, "forbidden");
    await problem(await api(w, "POST", `/api/v1/admin/links/${link.id}/block`, { body: {} }), 422, "validation_failed");
    await problem(await api(w, "POST", "/api/v1/admin/links/nosuchlink/block", { body: { reason: "phishing" } }), 404, "not_found");
    const blocked = await ok(await api(w, "POST", `/api/v1/admin/links/${link.id}/block`, { body: { reason: "phishing page (report #12)" } }), 200);
    assert.deepEqual(blocked.blocked, { reason: "phishing page (report #12)" });
    const page = await w.fetch("/reported", { headers: { "accept-language": "de" } });
    assert.equal(page.status, 451);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.match(await page.text(), /Link gesperrt/);
    const json = await w.fetch("/reported", { headers: { accept: "application/json" } });
    assert.equal((await json.json()).code, "link_blocked");
    assert.equal(JSON.parse(await (await kv(w)).get("link:reported")).bl, true, "the KV record changed at once");
    // Distinct from inactive: reactivating it does not bring it back.
    await ok(await api(w, "PATCH", `/api/v1/links/${link.id}`, { body: { is_active: true }, ...as }), 200);
    assert.equal((await w.fetch("/reported")).status, 451);
    const owner = await ok(await api(w, "GET", `/api/v1/links/${link.id}`, as), 200);
    assert.equal(owner.blocked.reason, "phishing page (report #12)");
    assert.ok(Date.parse(owner.blocked.at) > 0);
    // Undo.
    const undone = await ok(await api(w, "DELETE", `/api/v1/admin/links/${link.id}/block`), 200);
    assert.equal(undone.blocked, null);
    assert.equal((await w.fetch("/reported")).status, 302);
    assert.equal((await ok(await api(w, "GET", `/api/v1/links/${link.id}`, as), 200)).blocked, null);
  });

  it("a domain ban disables every existing link to the domain at once, refuses new ones, and is undone", async () => {
    const mk = async (url, code) => ok(await api(w, "POST", "/api/v1/links", { body: { url, code }, ...as }), 201);
    await mk("https://malware.example/payload", "banned-one");
    await mk("https://cdn.malware.example/x.exe", "banned-two");
    await mk("https://malware.example.org/fine", "not-banned");
    const byHand = await mk("https://malware.example/other", "banned-by-hand");
    await ok(await api(w, "POST", `/api/v1/admin/links/${byHand.id}/block`, { body: { reason: "reported separately" } }), 200);
    const ban = await ok(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "domain", value: "malware.example", reason: "malware host", disable_existing: true } }), 201);
    assert.equal(ban.links_disabled, 2, "the two links to it (the third was already disabled)");
    assert.equal((await w.fetch("/banned-one")).status, 451);
    assert.equal((await w.fetch("/banned-two")).status, 451);
    assert.equal((await w.fetch("/not-banned")).status, 302);
    await problem(await api(w, "POST", "/api/v1/links", { body: { url: "https://malware.example/new" }, ...as }), 422, "target_refused");
    // Undo, re-enabling what the ban disabled (not what was disabled by hand).
    await problem(await api(w, "DELETE", "/api/v1/admin/denylist?kind=domain&value=nothing.example"), 404, "not_found");
    await problem(await api(w, "DELETE", "/api/v1/admin/denylist?kind=domain&value=malware.example&enable_existing=maybe"), 422, "validation_failed");
    const undo = await ok(await api(w, "DELETE", "/api/v1/admin/denylist?kind=domain&value=malware.example&enable_existing=true"), 200);
    assert.equal(undo.links_enabled, 2);
    assert.equal((await w.fetch("/banned-one")).status, 302);
    assert.equal((await w.fetch("/banned-two")).status, 302);
    assert.equal((await w.fetch("/banned-by-hand")).status, 451);
    await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://malware.example/new" }, ...as }), 201);
  });

  it("public reports: deduplicated, and enough independent ones hold the link for review", async () => {
    const link = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://suspicious.example/login?x=1", code: "suspicious" }, ...as }), 201);
    const report = (ip, body) =>
      w.fetch("/abuse/report", { method: "POST", headers: { "content-type": "application/json", accept: "application/json", "cf-connecting-ip": ip }, body: JSON.stringify(body) });
    const body = { link: `${w.url.replace(/\/$/, "")}/suspicious`, reason: "phishing", details: "asks for my bank password", contact: "me@example.org" };
    // Bad input changes nothing.
    await problem(await report("198.51.100.1", { ...body, reason: "dislike" }), 422, "validation_failed");
    await problem(await report("198.51.100.1", { ...body, link: "https://bit.ly/suspicious" }), 422, "validation_failed");
    await problem(await report("198.51.100.1", { ...body, link: "no-such-code" }), 404, "link_not_found");
    const notJson = await w.fetch("/abuse/report", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "198.51.100.1" }, body: "[1" });
    assert.equal(notJson.status, 400);
    // The same reporter twice: one report (the answer does not say so).
    for (let i = 0; i < 2; i++) assert.equal((await report("198.51.100.1", body)).status, 202);
    // A second network: two reporters, the threshold (3) is not reached.
    assert.equal((await report("2001:db8:1:2::5", body)).status, 202);
    assert.equal((await report("2001:db8:1:2::6", body)).status, 202, "the same /64: the same reporter");
    assert.equal((await w.fetch("/suspicious")).status, 302);
    let open = await ok(await api(w, "GET", `/api/v1/admin/reports?link_id=${link.id}`), 200);
    assert.equal(open.data.length, 2);
    assert.deepEqual(Object.keys(open.data[0]).sort(), ["code", "contact", "created_at", "details", "id", "link_id", "reason"], "no reporter hash, no address");
    // The third network: held for review at once.
    assert.equal((await report("203.0.113.44", { ...body, reason: "malware" })).status, 202);
    const warning = await w.fetch("/suspicious?y=2", { headers: { "accept-language": "en" } });
    assert.equal(warning.status, 200);
    assert.equal(warning.headers.get("cache-control"), "no-store");
    const html = await warning.text();
    assert.match(html, /Warning: reported link/);
    const next = html.match(/href="([^"]+)" rel="nofollow">Continue anyway/)[1].replaceAll("&amp;", "&");
    assert.equal(next, "/suspicious?y=2&uload-continue=1");
    const onward = await w.fetch(next);
    assert.equal(onward.status, 302);
    assert.equal(onward.headers.get("location"), "https://suspicious.example/login?x=1&y=2", "the marker is not passed on");
    const asJson = await w.fetch("/suspicious", { headers: { accept: "application/json" } });
    assert.equal(asJson.status, 409);
    assert.equal((await asJson.json()).code, "link_held");
    assert.equal(JSON.parse(await (await kv(w)).get("link:suspicious")).hd, true);
    const owner = await ok(await api(w, "GET", `/api/v1/links/${link.id}`, as), 200);
    assert.ok(Date.parse(owner.held_at) > 0, "its owner sees the hold");
    // The admin releases it: redirects again, reports closed.
    await problem(await api(w, "DELETE", "/api/v1/admin/links/nosuchlink/hold"), 404, "not_found");
    await ok(await api(w, "DELETE", `/api/v1/admin/links/${link.id}/hold`), 200);
    assert.equal((await w.fetch("/suspicious")).status, 302);
    open = await ok(await api(w, "GET", `/api/v1/admin/reports?link_id=${link.id}`), 200);
    assert.equal(open.data.length, 0);
    const scrape = await (await w.fetch("/metrics", { headers: { authorization: `Bearer ${w.token}` } })).text();
    assert.match(scrape, /^links_held_total 1$/m);
    assert.match(scrape, /^abuse_reports_total\{reason="phishing",outcome="duplicate"\} 2$/m);
    assert.match(scrape, /^abuse_reports_actioned_total 1$/m);
  });

  it("the report form: same-site only, rate-limited, linked from the 404 page; security.txt says where reports go", async () => {
    const own = w.url.replace(/\/$/, "");
    const form = await w.fetch("/abuse/report?link=reported", { headers: { "accept-language": "de" } });
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<input id="link" name="link" required maxlength="2048" value="reported"/);
    const post = (origin, ip) =>
      w.fetch("/abuse/report", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin, "cf-connecting-ip": ip }, body: "link=reported&reason=spam&details=&contact=" });
    assert.equal((await post("https://evil.example", "192.0.2.50")).status, 403, "another site's form");
    const thanks = await post(own, "192.0.2.50");
    assert.equal(thanks.status, 200);
    assert.match(await thanks.text(), /Danke für deine Meldung/);
    const bad = await w.fetch("/abuse/report", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: own, "cf-connecting-ip": "192.0.2.51" }, body: "link=&reason=spam" });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /aria-describedby="link-error"/);
    // Ten reports an hour per network (RATE_REPORT_LIMIT), then 429.
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await post(own, "192.0.2.60")).status);
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
    const notFound = await w.fetch("/no-such-link-here", { headers: { "accept-language": "en" } });
    assert.match(await notFound.text(), /<a href="\/abuse\/report">Report a link for abuse<\/a>/);
    const txt = await w.fetch("/.well-known/security.txt");
    assert.equal(txt.status, 200);
    const text = await txt.text();
    assert.match(text, /^Contact: mailto:abuse@ulo\.ad$/m);
    assert.match(text, /^Contact: .*\/abuse\/report$/m);
    assert.ok(Date.parse(text.match(/^Expires: (.+)$/m)[1]) > Date.now());
  });

  it("the daily re-check holds links the denylist refuses since it changed (never disables them)", async () => {
    const early = await ok(await api(w, "POST", "/api/v1/links", { body: { url: "https://fine.example/", code: "made-early", geo: { AT: "https://later-bad.example/at" } }, ...as }), 201);
    await ok(await api(w, "POST", "/api/v1/admin/denylist", { body: { kind: "domain", value: "later-bad.example", reason: "now known bad" } }), 201);
    assert.equal((await w.fetch("/made-early")).status, 302, "the denial alone changes no existing link");
    await (await w.mf.getWorker()).scheduled({ cron: "41 2 * * *" });
    const held = await w.fetch("/made-early", { headers: { "accept-language": "en" } });
    assert.equal(held.status, 200);
    assert.match(await held.text(), /Warning: reported link/);
    assert.ok(w.events().some((e) => e.event === "abuse_recheck_held" && e.links === 1));
    assert.ok((await ok(await api(w, "GET", `/api/v1/links/${early.id}`, as), 200)).held_at);
    await ok(await api(w, "DELETE", `/api/v1/admin/links/${early.id}/hold`), 200);
    assert.equal((await w.fetch("/made-early")).status, 302);
    // Released by a person: the next re-check leaves it alone.
    await (await w.mf.getWorker()).scheduled({ cron: "41 2 * * *" });
    assert.equal((await w.fetch("/made-early")).status, 302);
  });

  it("every admin action is in the audit log", async () => {
    await problem(await api(w, "GET", "/api/v1/admin/audit?limit=0"), 422, "validation_failed");
    const log = await ok(await api(w, "GET", "/api/v1/admin/audit?limit=50"), 200);
    const actions = log.data.map((e) => `${e.action} ${e.reason ?? ""}`.trim());
    for (const expected of ["deny_domain phishing kit", "deny_term scam wave", "block_link phishing page (report #12)", "unblock_link", "deny_domain malware host", "allow_domain", "block_link reported separately", "release_link"]) {
      assert.ok(actions.includes(expected), `${expected} in ${JSON.stringify(actions)}`);
    }
    assert.ok(log.data.every((e) => e.actor === "admin" && Date.parse(e.at) > 0));
    assert.ok(!log.data.some((e) => e.target === "nosuchlink"), "nothing recorded for a link that does not exist");
    assert.ok(log.data[0].at >= log.data[log.data.length - 1].at, "newest first");
  });
});
