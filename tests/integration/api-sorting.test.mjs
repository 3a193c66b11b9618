// The list's orders and its tag-id and creation-date filters (issue 18): every order, both
// ways, paged two links at a time, against an order computed here from the links
// themselves; cursors that keep to their order; filters that narrow and count.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { d1, startWorker } from "../harness.mjs";
import { ALICE, BOB, asAlice, asBob, json, problem, setupUsers, snapshot } from "./api-helpers.mjs";

/** Every page of a list, `limit` links at a time: the links in the order the pages gave them. */
async function allPages(w, qs, limit = 2) {
  const out = [];
  let cursor = null;
  do {
    const page = await json(await asAlice(w, "GET", `/api/v1/links?${qs}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`), 200);
    assert.ok(page.data.length <= limit);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

// The expected orders, from the links as the API gives them: ASCII case-insensitive text
// (what the store's NOCASE does), missing title or click as empty text, ties by id.
const text = (s) => (s ?? "").replace(/[A-Z]/g, (c) => c.toLowerCase());
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const KEYS = {
  created: (l) => l.created_at,
  clicks: (l) => l.click_count,
  last_click: (l) => l.last_clicked_at ?? "",
  title: (l) => text(l.title),
  code: (l) => text(l.code),
};
const expected = (links, sort, order) => {
  const sign = order === "asc" ? 1 : -1;
  return [...links].sort((a, b) => sign * (cmp(KEYS[sort](a), KEYS[sort](b)) || cmp(a.id, b.id))).map((l) => l.code);
};

describe("list orders and filters", () => {
  let w, links, tag;
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    const specs = [
      { code: "Zeta", title: "banana", tags: ["Fruit"] },
      { code: "alpha", title: "Apple" },
      { code: "Mid-1", title: "same" },
      { code: "mid-2", title: "SAME" },
      { code: "beta" },
      { code: "omega", title: "cherry", tags: ["Fruit"] },
      { code: "Gamma", title: "Äpfel" },
    ];
    const db = await d1(w);
    for (const [i, s] of specs.entries()) {
      const link = await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: `https://sort.example/${i}`, ...s } }), 201);
      // Clicks, a last click (two never clicked) and a creation day each, set in the table:
      // the orders are under test here, not the click pipeline (tested on its own).
      const day = String(10 + i).padStart(2, "0");
      await db
        .prepare("UPDATE links SET click_count = ?2, last_clicked_at = ?3, created_at = ?4 WHERE id = ?1")
        .bind(link.id, (i * 37) % 5, i % 3 === 1 ? null : `2026-10-${day}T08:00:00.000Z`, `2026-11-${day}T12:00:00.000Z`)
        .run();
    }
    await json(await asBob(w, "POST", "/api/v1/links", { body: { url: "https://bob.example/", code: "aaa-bob", tags: ["Fruit"] } }), 201);
    links = (await json(await asAlice(w, "GET", "/api/v1/links?limit=100"), 200)).data;
    assert.equal(links.length, specs.length);
    tag = (await json(await asAlice(w, "GET", "/api/v1/tags"), 200)).data.find((t) => t.name === "Fruit");
    assert.ok(tag?.id, "the tag was created with the links");
  });
  after(() => w?.stop());

  for (const sort of Object.keys(KEYS)) {
    it(`sort=${sort}: both ways, the same across pages of two as in one page`, async () => {
      for (const order of ["asc", "desc"]) {
        const paged = (await allPages(w, `sort=${sort}&order=${order}`)).map((l) => l.code);
        assert.deepEqual(paged, expected(links, sort, order), `${sort} ${order}`);
        const whole = (await json(await asAlice(w, "GET", `/api/v1/links?sort=${sort}&order=${order}&limit=100`), 200)).data.map((l) => l.code);
        assert.deepEqual(paged, whole);
      }
      const defaultOrder = ["title", "code"].includes(sort) ? "asc" : "desc";
      assert.deepEqual((await allPages(w, `sort=${sort}`, 3)).map((l) => l.code), expected(links, sort, defaultOrder), `default for ${sort}`);
      assert.deepEqual((await allPages(w, `sort=-${sort}`, 3)).map((l) => l.code), expected(links, sort, "desc"), `-${sort}`);
    });
  }

  it("text orders are case-insensitive and ties go by id", async () => {
    const byTitle = (await allPages(w, "sort=title")).map((l) => l.title);
    assert.deepEqual(byTitle.slice(0, 3), [null, "Apple", "banana"], "no title first, then A before b whatever the case");
    assert.deepEqual(new Set(byTitle.slice(4, 6)), new Set(["same", "SAME"]), "same and SAME together");
    assert.equal(byTitle.at(-1), "Äpfel", "non-ASCII after ASCII letters (byte order beyond ASCII)");
    assert.deepEqual((await allPages(w, "sort=code")).map((l) => l.code).slice(0, 3), ["alpha", "beta", "Gamma"]);
  });

  it("a cursor keeps to its order: another order or direction is refused", async () => {
    const first = await json(await asAlice(w, "GET", "/api/v1/links?sort=title&limit=2"), 200);
    assert.ok(first.next_cursor);
    const c = encodeURIComponent(first.next_cursor);
    for (const qs of [`sort=title&order=desc&cursor=${c}`, `sort=code&cursor=${c}`, `cursor=${c}`]) {
      const p = await problem(await asAlice(w, "GET", `/api/v1/links?${qs}`), 422, "validation_failed");
      assert.equal(p.errors[0].field, "cursor", qs);
    }
  });

  it("tag_id= and created_from/created_to narrow the list and its total", async () => {
    const fruit = await json(await asAlice(w, "GET", `/api/v1/links?tag_id=${tag.id}&total=true`), 200);
    assert.deepEqual(fruit.data.map((l) => l.code).sort(), ["Zeta", "omega"], "Alice's links with the tag, not Bob's");
    assert.equal(fruit.total, 2);
    const bobsTag = (await json(await asBob(w, "GET", "/api/v1/tags"), 200)).data[0];
    assert.equal((await json(await asAlice(w, "GET", `/api/v1/links?tag_id=${bobsTag.id}&total=true`), 200)).total, 0, "another user's tag finds nothing");

    // Created 2026-11-10 … 11-16 at noon UTC, one a day.
    const codes = async (qs) => (await json(await asAlice(w, "GET", `/api/v1/links?${qs}&sort=created&order=asc&total=true`), 200));
    const days = await codes("created_from=2026-11-12&created_to=2026-11-14");
    assert.deepEqual(days.data.map((l) => l.code), ["Mid-1", "mid-2", "beta"], "from the start of the 12th to the end of the 14th");
    assert.equal(days.total, 3);
    const times = await codes("created_from=2026-11-12T12:00:00Z&created_to=2026-11-14T12:00:00%2B00:00");
    assert.deepEqual(times.data.map((l) => l.code), ["Mid-1", "mid-2"], "from inclusive, to exclusive");
    assert.deepEqual((await codes("created_from=2026-11-15")).data.map((l) => l.code), ["omega", "Gamma"]);
    assert.equal((await codes(`created_to=2026-11-11&tag_id=${tag.id}`)).total, 1, "filters combine");
  });

  it("a search term with a NUL character is a search, never an error (schemathesis found a 503)", async () => {
    for (const q of ["ban%00ana", "Ñ0%00x%0B"]) {
      const res = await json(await asAlice(w, "GET", `/api/v1/links?q=${q}&total=true`), 200);
      assert.ok(res.total <= 1, q);
    }
    const all = (await json(await asAlice(w, "GET", "/api/v1/links?total=true"), 200)).total;
    assert.equal((await json(await asAlice(w, "GET", "/api/v1/links?q=%00%00%00&total=true"), 200)).total, all, "only NULs: no term, as q= is");
    assert.deepEqual((await json(await asAlice(w, "GET", "/api/v1/links?q=ban%00ana"), 200)).data.map((l) => l.title), ["banana"], "NUL left out, the rest searched");
  });

  it("bad orders and filters: 422 naming the parameter, nothing changed", async () => {
    const before = await snapshot(w);
    for (const [qs, field] of [
      ["sort=name", "sort"],
      ["sort=--title", "sort"],
      ["order=up", "order"],
      ["sort=-title&order=asc", "order"],
      ["tag_id=a%20b", "tag_id"],
      ["created_from=yesterday", "created_from"],
      ["created_to=2026-02-30", "created_to"],
      ["created_from=2026-11-14&created_to=2026-11-13", "created_from"],
    ]) {
      const p = await problem(await asAlice(w, "GET", `/api/v1/links?${qs}`), 422, "validation_failed");
      assert.deepEqual(p.errors.map((e) => e.field), [field], qs);
    }
    assert.equal(await snapshot(w), before);
  });
});

// A search reads its page one of two ways (src/store/links_db/list.rs): from the term's
// matches when they are at most 200 of the owner's links, by walking the owner's links in
// the page's order when there are more. Both must give what the text itself says, in every
// order, across pages, with filters and the total; another user's matches count for neither.
describe("search, by few and by many matches", () => {
  let w, mine;
  // Alice: 320 links, "Offer number i", every ninth with "NUMBER 1" in its description, and
  // one tagged "Number 1 Club": "number 1" finds 135 of them (titles 1, 10–19, 100–199; 23
  // more descriptions; the tag), "offer" 320. Bob: 400 of his own that match both.
  const seed = (db, owner, prefix, n) =>
    db
      .prepare(
        `INSERT INTO links (id, domain, code, url, title, description, user_id, is_active, click_count, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
         SELECT ?2 || i, '', ?2 || 'c' || i, 'https://search.example/' || i, 'Offer number ' || i,
                CASE WHEN i % 9 = 0 THEN 'NUMBER 1 in text' END, ?1, i % 5 != 0, (i * 7) % 11,
                strftime('%Y-%m-%dT%H:%M:%fZ', '2026-11-01', '-' || (i * 13 % 400) || ' minutes'),
                '2026-11-01T00:00:00.000Z' FROM n`,
      )
      .bind(owner, prefix, n)
      .run();
  before(async () => {
    w = await startWorker();
    await setupUsers(w);
    const db = await d1(w);
    await seed(db, ALICE, "sa", 320);
    await seed(db, BOB, "sb", 400);
    // Found by its tag's name only.
    await json(await asAlice(w, "POST", "/api/v1/links", { body: { url: "https://search.example/tagged", title: "Tagged", tags: ["Number 1 Club"] } }), 201);
    mine = await allPages(w, "sort=created", 100);
    assert.equal(mine.length, 321);
  });
  after(() => w?.stop());

  const finds = (term) => (l) =>
    [l.title, l.url, l.description, l.code, ...l.tags].some((s) => s?.toLowerCase().includes(term.toLowerCase()));
  for (const [term, count] of [["number 1", 135], ["offer", 320], ["nUMBER 31", 11], ["nothing like it", 0]]) {
    it(`q=${term}: every order, paged, as the text says; the total; a filter on top`, async () => {
      const want = mine.filter(finds(term));
      assert.equal(want.length, count, `${term}: Alice's links that hold it`);
      const q = `q=${encodeURIComponent(term)}`;
      for (const [sort, order] of [["created", "desc"], ["title", "asc"], ["clicks", "desc"], ["code", "desc"]]) {
        const paged = await allPages(w, `${q}&sort=${sort}&order=${order}`, 40);
        assert.deepEqual(paged.map((l) => l.code), expected(want, sort, order), `${term}, ${sort} ${order}`);
      }
      assert.equal((await json(await asAlice(w, "GET", `/api/v1/links?${q}&total=true`), 200)).total, want.length);
      const inactive = await json(await asAlice(w, "GET", `/api/v1/links?${q}&status=inactive&total=true&limit=100`), 200);
      assert.deepEqual(inactive.data.map((l) => l.code).sort(), want.filter((l) => !l.is_active).map((l) => l.code).sort());
      assert.ok(!inactive.data.some((l) => l.code.startsWith("sb")), "none of Bob's");
    });
  }
});
