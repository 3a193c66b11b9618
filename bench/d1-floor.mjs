// The D1 floor: the least a worker can do for the bench's list and search cases, in
// JavaScript: the same statements this worker sends D1 for them (src/store/links_db/list.rs,
// columns as in schema.rs), the rows as JSON. No authentication, no rate limit, no check of
// the user, no cursor: what separates this worker's list from it is this worker's own work,
// what separates it from the JS floor is the runtime's D1 (here miniflare's simulation).
//   GET /d1-floor/list?user=U            the first page of 20, newest first
//   GET /d1-floor/list?user=U&q=term     a search (three characters or more), as the worker
//                                        does it: the term's matches first, then the page
const READ = `l.id, l.code, l.url, l.title, l.description, l.is_active,
  l.password_hash IS NOT NULL AS has_password, l.max_clicks, l.expires_at, l.click_count,
  l.bot_click_count, l.last_clicked_at, l.utm_source, l.utm_medium, l.utm_campaign, l.user_id,
  l.workspace_id, l.redirect_status, l.forward_query, l.created_at, l.updated_at, l.version,
  l.password_hash, l.ios_url, l.android_url, l.geo_targets, l.blocked_reason, l.blocked_at,
  l.held_at, l.og_title, l.og_description, l.og_image,
  (SELECT json_group_array(t.name) FROM link_tags lt JOIN tags t ON t.id = lt.tag_id WHERE lt.link_id = l.id) AS tags`;
const TAG_MATCH = `FROM tags t JOIN link_tags lt ON lt.tag_id = t.id JOIN links l ON l.id = lt.link_id
  WHERE ifnull(t.user_id, '') = ifnull(?1, '') AND (instr(lower(t.name), lower(?3)) > 0 OR instr(t.slug, ?4) > 0)`;
const ORDER = "ORDER BY l.created_at DESC, l.id DESC LIMIT 21";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const user = url.searchParams.get("user");
    const q = url.searchParams.get("q");
    let rows;
    if (!q) {
      rows = await env.DB.prepare(`SELECT ${READ} FROM links l WHERE l.user_id IS ?1 ${ORDER}`).bind(user).all();
    } else {
      const phrase = `"${q.replace(/"/g, '""')}"`;
      const slug = q.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      const few = await env.DB.prepare(
        `SELECT l.rowid AS r FROM links_search s CROSS JOIN links l ON l.rowid = s.rowid
         WHERE links_search MATCH ?2 AND l.user_id IS ?1 UNION ALL SELECT l.rowid AS r ${TAG_MATCH} LIMIT 201`,
      )
        .bind(user, phrase, q, slug)
        .all();
      if (few.results.length > 200) return new Response("the floor covers few matches only", { status: 501 });
      const ids = JSON.stringify(few.results.map((r) => r.r));
      rows = await env.DB.prepare(`SELECT ${READ} FROM links l WHERE +l.user_id IS ?1 AND l.rowid IN (SELECT value FROM json_each(?2)) ${ORDER}`)
        .bind(user, ids)
        .all();
    }
    return Response.json({ data: rows.results.slice(0, 20) });
  },
};
