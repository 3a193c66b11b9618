// Abuse handling in the real runtime: targets refused at creation and edit (denied
// domains with their subdomains, denied terms, other URL shorteners), flagged ones
// (IP literals, look-alike hosts), an admin disabling a link (451 at once, its owner sees
// why) and undoing it, a domain ban reaching every existing link and undone, the audit log.
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

  it("every admin action is in the audit log", async () => {
    await problem(await api(w, "GET", "/api/v1/admin/audit?limit=0"), 422, "validation_failed");
    const log = await ok(await api(w, "GET", "/api/v1/admin/audit?limit=50"), 200);
    const actions = log.data.map((e) => `${e.action} ${e.reason ?? ""}`.trim());
    for (const expected of ["deny_domain phishing kit", "deny_term scam wave", "block_link phishing page (report #12)", "unblock_link", "deny_domain malware host", "allow_domain", "block_link reported separately"]) {
      assert.ok(actions.includes(expected), `${expected} in ${JSON.stringify(actions)}`);
    }
    assert.ok(log.data.every((e) => e.actor === "admin" && Date.parse(e.at) > 0));
    assert.ok(!log.data.some((e) => e.target === "nosuchlink"), "nothing recorded for a link that does not exist");
    assert.ok(log.data[0].at >= log.data[log.data.length - 1].at, "newest first");
  });
});
