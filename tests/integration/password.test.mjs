// Password-protected links on the redirect path: the form, the slow-hash check, the signed
// per-link cookie, and that nothing redirects without the password.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, kv, startWorker } from "../harness.mjs";

function form(password) {
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ password }).toString() };
}

describe("password-protected links", () => {
  let w, link, other;
  before(async () => {
    w = await startWorker();
    link = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://secret.example/doc", code: "vault", password: "open sesame" } })).json();
    other = await (await api(w, "POST", "/api/v1/links", { body: { url: "https://other.example/", code: "vault2", password: "open sesame" } })).json();
  });
  after(() => w?.stop());

  it("asks for the password instead of redirecting", async () => {
    const res = await w.fetch("/vault");
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("location"), null);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const html = await res.text();
    assert.match(html, /<form method="post" action="\/vault">/);
    assert.match(html, /type="password"/);
    assert.ok(!html.includes("secret.example"), "the target is not revealed");
    const de = await w.fetch("/vault", { headers: { "accept-language": "de" } });
    assert.match(await de.text(), /Geschützter Link/);
    const jsonRes = await w.fetch("/vault", { headers: { accept: "application/json" } });
    assert.equal((await jsonRes.json()).code, "password_required");
  });

  it("the KV record holds a slow hash, never the password", async () => {
    const record = await (await kv(w)).get("link:vault", "json");
    assert.match(record.pw, /^\$pbkdf2-sha256\$i=100000\$/);
    assert.ok(!JSON.stringify(record).includes("open sesame"));
  });

  it("a wrong password shows the form again with an error and sets no cookie", async () => {
    const res = await w.fetch("/vault", form("wrong"));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("set-cookie"), null);
    assert.match(await res.text(), /role="alert"/);
    const empty = await w.fetch("/vault", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
    assert.equal(empty.status, 401);
  });

  it("the right password sets a scoped, signed cookie that unlocks this link only", async () => {
    const res = await w.fetch("/vault", form("open sesame"));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/vault");
    const setCookie = res.headers.get("set-cookie");
    for (const attr of ["Path=/vault", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=3600"]) {
      assert.ok(setCookie.includes(attr), `${attr} in ${setCookie}`);
    }
    const cookie = setCookie.split(";")[0];

    const hop = await w.fetch("/vault", { headers: { cookie } });
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.get("location"), "https://secret.example/doc");

    // Same password, another link: the cookie is bound to the link it was issued for.
    assert.equal((await w.fetch("/vault2", { headers: { cookie } })).status, 401);
    // Tampering with it fails.
    const [name, value] = cookie.split("=");
    const [exp, sig] = value.split(".");
    assert.equal((await w.fetch("/vault", { headers: { cookie: `${name}=${Number(exp) + 1}.${sig}` } })).status, 401);
    assert.equal((await w.fetch("/vault", { headers: { cookie: `${name}=${exp}.${sig.replace(/^./, (c) => (c === "a" ? "b" : "a"))}` } })).status, 401);
  });

  it("changing the password invalidates earlier cookies; removing it opens the link", async () => {
    const cookie = (await w.fetch("/vault", form("open sesame"))).headers.get("set-cookie").split(";")[0];
    assert.equal((await w.fetch("/vault", { headers: { cookie } })).status, 302);
    assert.equal((await api(w, "PATCH", `/api/v1/links/${link.id}`, { body: { password: "new secret" } })).status, 200);
    assert.equal((await w.fetch("/vault", { headers: { cookie } })).status, 401);
    assert.equal((await w.fetch("/vault", form("open sesame"))).status, 401);
    assert.equal((await w.fetch("/vault", form("new secret"))).status, 303);
    assert.equal((await api(w, "PATCH", `/api/v1/links/${link.id}`, { body: { password: null } })).status, 200);
    assert.equal((await w.fetch("/vault")).status, 302);
    assert.equal((await (await api(w, "GET", `/api/v1/links/${link.id}`)).json()).has_password, false);
  });

  it("posting to an unprotected or unknown link does not unlock anything", async () => {
    const open = await api(w, "POST", "/api/v1/links", { body: { url: "https://open.example/", code: "opendoor" } });
    assert.equal(open.status, 201);
    const res = await w.fetch("/opendoor", form("x"));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("set-cookie"), null);
    assert.equal((await w.fetch("/nosuchlink", form("x"))).status, 404);
    assert.ok(other.has_password);
  });

  it("logs rejections without passwords or addresses", async () => {
    assert.ok(w.events().some((e) => e.event === "password_rejected" && e.link_id === link.id));
    assert.ok(!w.logs().includes("open sesame") && !w.logs().includes("new secret"));
  });
});

describe("protected links without a COOKIE_SECRET fail closed", () => {
  let w;
  before(async () => {
    w = await startWorker({ bindings: { COOKIE_SECRET: "" } });
    await api(w, "POST", "/api/v1/links", { body: { url: "https://secret.example/", code: "locked", password: "pw" } });
  });
  after(() => w?.stop());

  it("never redirects and says so in the logs", async () => {
    assert.equal((await w.fetch("/locked")).status, 401);
    const res = await w.fetch("/locked", form("pw"));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("location"), null);
    assert.ok(w.events().some((e) => e.event === "cookie_secret_missing" && e.level === "error"));
  });
});
