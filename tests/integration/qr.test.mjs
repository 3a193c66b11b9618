// QR codes (issue 18): PNG and SVG with the options users expect, read back by a real QR
// decoder (jsQR): the PNG decoded by pngjs, the SVG rendered by Chromium. Unknown or
// unsupported options are refused, never ignored.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { chromium } from "playwright-core";
import { startWorker } from "../harness.mjs";
import { asAlice, asBob, json, problem, setupUsers } from "./api-helpers.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const hex = (rgb) => rgb.map((v) => v.toString(16).padStart(2, "0")).join("");

describe("QR codes", () => {
  let w, link, nsLink, browser;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://qr.example/landing", code: "qr-1" } }), 201);
    nsLink = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://qr.example/card", code: "alice/card" } }), 201);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
  });

  const qr = (l, qs = "") => asAlice(w, "GET", `/api/v1/links/${l.id}/qr${qs}`);

  async function png(l, qs) {
    const res = await qr(l, qs);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get("content-type"), "image/png");
    return { res, image: PNG.sync.read(Buffer.from(await res.arrayBuffer())) };
  }

  it("PNG: the size, colours and error correction asked for, and it scans to the short URL", async () => {
    for (const [qs, size] of [["?format=png", 256], ["?format=png&size=640&ecc=H&color=1a237e&background=%23fffde7", 640], ["?format=png&size=64&margin=2&ecc=l", 64]]) {
      const { res, image } = await png(link, qs);
      assert.equal(res.headers.get("content-disposition"), 'inline; filename="qr-1.png"');
      assert.equal(res.headers.get("cache-control"), "private, max-age=300");
      assert.deepEqual([image.width, image.height], [size, size], qs);
      const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
      assert.equal(decoded?.data, link.short_url, `${qs} scans`);
      if (qs.includes("color")) {
        const at = (x, y) => hex([...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)]);
        assert.equal(at(0, 0), "fffde7", "the background in the corner");
        const { x, y } = decoded.location.topLeftCorner;
        assert.equal(at(Math.ceil(x) + 1, Math.ceil(y) + 1), "1a237e", "the colour in the finder pattern");
      }
    }
    const big = await png(link, "?format=png&size=2048");
    assert.equal(big.image.width, 2048);
    assert.ok(Number(big.res.headers.get("content-length") ?? (await big.res.arrayBuffer()).byteLength) < 40_000, "compressed (1 bit per pixel, zlib)");
  });

  it("SVG: rendered by Chromium at the size asked, it scans to the short URL", async () => {
    const res = await qr(nsLink, "?size=400&margin=4&color=004d40");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml");
    assert.equal(res.headers.get("content-disposition"), 'inline; filename="alice-card.svg"', "a user's code: no slash in the file name");
    const svg = await res.text();
    const page = await browser.newPage();
    try {
      const pixels = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = `data:image/svg+xml;base64,${btoa(src)}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0);
        return { width: canvas.width, height: canvas.height, data: [...ctx.getImageData(0, 0, canvas.width, canvas.height).data] };
      }, svg);
      assert.deepEqual([pixels.width, pixels.height], [400, 400]);
      assert.equal(jsQR(new Uint8ClampedArray(pixels.data), 400, 400)?.data, nsLink.short_url);
    } finally {
      await page.close();
    }
  });

  it("refuses unknown and unsupported options with a 422 naming them, and another user's link is a 404", async () => {
    for (const [qs, fields] of [
      ["?format=jpeg", ["format"]],
      ["?size=32", ["size"]],
      ["?size=4096", ["size"]],
      ["?size=big", ["size"]],
      ["?margin=-1", ["margin"]],
      ["?ecc=Z", ["ecc"]],
      ["?color=red", ["color"]],
      ["?background=fff", ["background"]],
      ["?color=ffffff&background=fffffe", ["color"]],
      ["?logo=https://evil.example/x.png&dots=round", ["logo", "dots"]],
    ]) {
      const p = await problem(await qr(link, qs), 422, "validation_failed");
      assert.deepEqual(p.errors.map((e) => e.field), fields, qs);
    }
    await problem(await asBob(w, "GET", `/api/v1/links/${link.id}/qr?format=png`), 404, "not_found");
  });
});
