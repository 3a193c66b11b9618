//! The mapping's rules, natively. The whole path (a `data.db` shaped like uLoad's, loaded
//! with wrangler, checked through the worker) is tests/integration/import.test.mjs.

use serde_json::{json, Value};
use uload_core::{secret, target};

use super::*;

const NOW: &str = "2026-11-25T00:00:00.000Z";

fn rec(v: Value) -> Record {
    v.as_object().cloned().unwrap_or_default()
}

fn recs(v: Value) -> Vec<Record> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| rec(r.clone()))
        .collect()
}

fn sample() -> Collections {
    Collections {
        users: recs(json!([
            { "id": "user00000000001", "username": "alice", "name": "Alice", "publicProfile": true, "created": "2024-01-02 03:04:05.678Z" },
            { "id": "user00000000002", "username": "" },
            { "id": "user00000000003", "username": "temp_a1b2c3", "publicProfile": true },
            { "id": "user00000000004", "username": "jürgen" },
            { "id": "user00000000005", "username": "bob", "publicProfile": false },
        ])),
        tags: recs(json!([
            { "id": "tag000000000001", "name": "Café Tipps", "slug": "caf-tipps", "user_id": "user00000000001" },
            { "id": "tag000000000002", "name": "  ", "user_id": "user00000000001" },
            { "id": "tag000000000003", "name": "Bobs", "slug": "", "user_id": "user00000000005" },
        ])),
        linktags: recs(json!([
            { "id": "lt0000000000001", "link_id": "link00000000001", "tag_id": "tag000000000001" },
            { "id": "lt0000000000002", "link_id": "link00000000001", "tag_id": "tag000000000003" },
            { "id": "lt0000000000003", "link_id": "link00000000001", "tag_id": "tag0000000000xx" },
        ])),
        links: recs(json!([
            { "id": "link00000000001", "short_code": "hello", "original_url": "https://example.com/a", "user_id": "user00000000001", "tags": "null", "is_active": true, "click_count": 9, "created": "", "updated": "" },
            { "id": "link00000000002", "short_code": "secret1", "original_url": "https://example.com/b", "password": " two spaces ", "is_active": true, "user_id": "" },
            { "id": "link00000000003", "short_code": "api", "original_url": "https://example.com/c" },
            { "id": "link00000000004", "short_code": "evil", "original_url": "javascript:alert(1)" },
            { "id": "link00000000005", "short_code": "hello", "original_url": "https://example.com/dup" },
            { "id": "link00000000006", "short_code": "mine", "original_url": "https://example.com/m", "user_id": "user00000000001", "use_username": true },
            { "id": "link00000000007", "short_code": "alice/resume", "original_url": "https://example.com/cv", "user_id": "user00000000001", "use_username": true },
            { "id": "link00000000008", "short_code": "nouser1", "original_url": "https://example.com/n", "user_id": "user00000000002", "use_username": true },
            { "id": "link00000000009", "short_code": "limited", "original_url": "https://example.com/l", "user_id": "user00000000005", "max_clicks": 3, "click_count": 1 },
            { "id": "bad id!", "short_code": "x1", "original_url": "https://example.com/" },
        ])),
        clicks: recs(json!([
            { "id": "click0000000001", "link_id": "link00000000002", "clicked_at": "2024-02-01 10:00:00.000Z", "user_agent": "Twitterbot/1.0", "ip_hash": "203.0.113.9", "country": "Germany", "city": "Unknown" },
            { "id": "click0000000002", "link_id": "nolink000000000", "clicked_at": "2024-02-01 10:00:00.000Z" },
            { "id": "click0000000003", "link_id": "link00000000009", "clicked_at": "2024-02-01 10:00:00.000Z", "user_agent": "", "country": "Unknown" },
            { "id": "click0000000004", "link_id": "link00000000009", "clicked_at": "2024-02-01 11:00:00.000Z", "user_agent": "Googlebot/2.1", "country": "de" },
            { "id": "click0000000005", "link_id": "link00000000001", "clicked_at": "2024-01-15 08:00:00.000Z", "user_agent": "Mozilla/5.0" },
        ])),
        analytics: recs(json!([
            { "id": "an0000000000001", "link": "link00000000009", "created": "2023-12-01 10:00:00.000Z", "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "ip": "198.51.100.7", "country": "France" },
        ])),
        ..Default::default()
    }
}

fn has(list: &[Skip], collection: &str, id: &str, needle: &str) -> bool {
    list.iter()
        .any(|s| s.collection == collection && s.id == id && s.reason.contains(needle))
}

#[test]
fn users_without_a_real_username_keep_their_links() {
    let p = plan(&sample(), NOW, |_, _| {});
    assert_eq!(
        p.row("users", "user00000000002").unwrap()["username"],
        "~user00000000002"
    );
    assert_eq!(
        p.row("users", "user00000000003").unwrap()["username"],
        "~user00000000003",
        "a placeholder"
    );
    assert_eq!(
        p.row("users", "user00000000004").unwrap()["username"],
        "~user00000000004",
        "not routable"
    );
    assert!(has(&p.notes, "users", "user00000000002", "no username"));
    assert!(has(&p.notes, "users", "user00000000003", "placeholder"));
    // The user without a username keeps the link, at its plain code.
    assert_eq!(
        p.row("links", "link00000000008").unwrap()["code"],
        "nouser1"
    );
    // Without a username, no bio page, whatever publicProfile said.
    assert_eq!(
        p.row("users", "user00000000003").unwrap()["profile_public"],
        0
    );
    // publicProfile as uLoad had it (false is PocketBase's unset).
    assert_eq!(
        p.row("users", "user00000000001").unwrap()["profile_public"],
        1
    );
    assert_eq!(
        p.row("users", "user00000000005").unwrap()["profile_public"],
        0
    );
}

#[test]
fn codes_are_prefixed_once() {
    let p = plan(&sample(), NOW, |_, _| {});
    assert_eq!(
        p.row("links", "link00000000006").unwrap()["code"],
        "alice/mine"
    );
    assert_eq!(
        p.row("links", "link00000000007").unwrap()["code"],
        "alice/resume"
    );
    assert!(has(&p.skipped, "links", "link00000000003", "code 'api'"));
    assert!(has(&p.skipped, "links", "link00000000004", "target URL"));
    assert!(has(
        &p.skipped,
        "links",
        "link00000000005",
        "code 'hello' is taken"
    ));
    assert!(has(&p.skipped, "links", "bad id!", "no valid id"));
}

#[test]
fn tags_come_from_linktags_with_their_slugs() {
    let p = plan(&sample(), NOW, |_, _| {});
    assert_eq!(
        p.row("tags", "tag000000000001").unwrap()["slug"],
        "caf-tipps",
        "uLoad's slug kept"
    );
    assert_eq!(p.row("tags", "tag000000000003").unwrap()["slug"], "bobs");
    let assigned: Vec<(&Value, &Value)> = p.rows["link_tags"]
        .iter()
        .map(|r| (&r["link_id"], &r["tag_id"]))
        .collect();
    assert_eq!(
        assigned,
        [(
            &Value::from("link00000000001"),
            &Value::from("tag000000000001")
        )]
    );
    assert!(has(
        &p.skipped,
        "linktags",
        "lt0000000000002",
        "belongs to another user"
    ));
    assert!(has(
        &p.skipped,
        "linktags",
        "lt0000000000003",
        "not among the imported tags"
    ));
}

#[test]
fn clicks_geography_and_limits_as_uload_had_them() {
    let p = plan(&sample(), NOW, |_, _| {});
    let click = |id: &str| p.row("clicks", id).unwrap();
    assert_eq!(click("pb-click0000000001")["country"], "DE");
    assert_eq!(click("pb-click0000000001")["city"], Value::Null);
    assert_eq!(click("pb-click0000000003")["country"], Value::Null);
    assert_eq!(
        click("pb-click0000000003")["is_bot"],
        0,
        "an empty User-Agent was an ordinary click"
    );
    assert_eq!(click("pb-click0000000004")["is_bot"], 1);
    assert_eq!(
        click("pba-an0000000000001")["country"],
        "FR",
        "the legacy analytics collection"
    );
    // uLoad counted every click against max_clicks: 2 clicks + 1 legacy = 3 of 3.
    let limited = p.row("links", "link00000000009").unwrap();
    assert_eq!(limited["limit_seed"], 3);
    assert_eq!(
        limited["click_count"], 0,
        "counted from its click records instead"
    );
    assert_eq!(
        p.row("links", "link00000000001").unwrap()["limit_seed"],
        Value::Null
    );
    let text = sql(&p, NOW);
    assert!(
        !text.contains("203.0.113.9") && !text.contains("198.51.100.7"),
        "no IP"
    );
}

#[test]
fn missing_creation_times_fall_back_to_the_first_click() {
    let p = plan(&sample(), NOW, |_, _| {});
    assert_eq!(
        p.row("links", "link00000000001").unwrap()["created_at"],
        "2024-01-15T08:00:00.000Z"
    );
    assert!(has(
        &p.notes,
        "links",
        "link00000000001",
        "no creation time"
    ));
    assert_eq!(
        p.row("users", "user00000000001").unwrap()["created_at"],
        "2024-01-02T03:04:05.678Z"
    );
}

#[test]
fn passwords_are_hashed_exactly_as_stored() {
    let p = plan(&sample(), NOW, |_, _| {});
    let phc = p.row("links", "link00000000002").unwrap()["password_hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!phc.contains("two spaces"));
    let parsed = secret::PasswordHash::parse(&phc).expect("a PHC string the worker reads");
    let derive = |pw: &[u8]| {
        let mut out = vec![0u8; parsed.hash.len()];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, &parsed.salt, parsed.iterations, &mut out);
        out
    };
    assert!(parsed.matches(&derive(b" two spaces ")));
    assert!(!parsed.matches(&derive(b"two spaces")), "not trimmed");
}

#[test]
fn workspaces_by_slug_with_their_members() {
    let mut c = sample();
    c.workspaces = recs(json!([
        { "id": "ws0000000000001", "name": "Team", "slug": "team", "type": "team", "owner": "user00000000001" },
        { "id": "ws0000000000002", "name": "Mine", "slug": "", "type": "personal", "owner": "user00000000005" },
    ]));
    c.workspace_members = recs(json!([
        { "id": "wm0000000000001", "workspace": "ws0000000000001", "user": "user00000000005", "role": "member", "invitation_status": "accepted" },
        { "id": "wm0000000000002", "workspace": "ws0000000000001", "user": "user00000000003", "role": "member", "invitation_status": "pending" },
    ]));
    c.links.push(rec(json!({ "id": "link00000000010", "short_code": "teamlink", "original_url": "https://example.com/t", "user_id": "user00000000005", "workspace_id": "ws0000000000001" })));
    c.links.push(rec(json!({ "id": "link00000000011", "short_code": "mylink", "original_url": "https://example.com/p", "user_id": "user00000000005", "workspace_id": "ws0000000000002" })));
    let p = plan(&c, NOW, |_, _| {});
    assert_eq!(
        p.row("links", "link00000000010").unwrap()["workspace_id"],
        "team"
    );
    assert_eq!(
        p.row("links", "link00000000011").unwrap()["workspace_id"],
        Value::Null
    );
    let members: Vec<(&Value, &Value)> = p.rows["workspace_members"]
        .iter()
        .map(|m| (&m["workspace_slug"], &m["user_id"]))
        .collect();
    assert_eq!(
        members,
        [
            (&Value::from("team"), &Value::from("user00000000001")),
            (&Value::from("team"), &Value::from("user00000000005"))
        ]
    );
    assert!(has(
        &p.skipped,
        "workspace_members",
        "wm0000000000002",
        "pending"
    ));
    assert!(has(&p.notes, "workspaces", "ws0000000000002", "personal"));
}

#[test]
fn the_sql_inserts_each_source_record_once_ever() {
    let mut c = sample();
    c.links[0].insert(
        "title".into(),
        json!("it's \"quoted\"; DROP TABLE links; --"),
    );
    let text = sql(&plan(&c, NOW, |_, _| {}), NOW);
    assert!(text.contains("'it''s \"quoted\"; DROP TABLE links; --'"));
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert!(lines.len().is_multiple_of(2));
    for pair in lines.chunks(2) {
        assert!(
            pair[0].starts_with("INSERT INTO ")
                && pair[0].contains("WHERE NOT EXISTS (SELECT 1 FROM import_ledger WHERE key = '")
        );
        assert!(pair[1].starts_with("INSERT INTO import_ledger (key, imported_at) VALUES ('"));
    }
    assert!(
        text.contains("'clicks:click0000000001'") && text.contains("'linktags:lt0000000000001'")
    );
}

#[test]
fn the_report_says_what_was_read_and_what_was_not() {
    let mut c = sample();
    c.unread = vec!["cards".into(), "mystery".into()];
    let p = plan(&c, NOW, |_, _| {});
    let r = report(&c, &p, true);
    assert_eq!(r["collections"]["links"]["read"], 10);
    assert_eq!(r["collections"]["links"]["skipped"], 4);
    assert_eq!(r["collections"]["links"]["mapped"], 6);
    assert_eq!(r["collections"]["users"]["notes"], 3);
    assert_eq!(r["collections"]["analytics"]["mapped"], 1);
    assert_eq!(r["not_read"][0]["collection"], "cards");
    assert!(r["not_read"][0]["why"].as_str().unwrap().contains("cards"));
    assert!(r["not_imported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["fields"].as_str().unwrap().contains("email")));
    assert_eq!(r["skipped"].as_u64().unwrap() as usize, p.skipped.len());
}

#[test]
fn foreign_or_weak_password_hashes_never_open_a_link() {
    let worker = hash_password("hunter2");
    let weak =
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    let c = Collections {
        links: recs(json!([
            { "id": "link00000000001", "short_code": "kept1", "original_url": "https://example.com/a", "password_hash": worker },
            { "id": "link00000000002", "short_code": "weak1", "original_url": "https://example.com/b", "password_hash": weak, "is_active": true },
            { "id": "link00000000003", "short_code": "bcrypt", "original_url": "https://example.com/c", "password_hash": "$2b$10$abcdefghijklmnopqrstuv", "is_active": true },
        ])),
        ..Default::default()
    };
    let p = plan(&c, NOW, |_, _| {});
    assert_eq!(
        p.row("links", "link00000000001").unwrap()["password_hash"],
        Value::from(worker.clone())
    );
    for id in ["link00000000002", "link00000000003"] {
        let row = p.row("links", id).unwrap();
        assert_eq!(row["is_active"], 0, "{id}: kept, but switched off");
        assert_eq!(row["password_hash"], Value::Null);
        assert!(has(&p.notes, "links", id, "not the worker's PBKDF2"));
    }
}

#[test]
fn targets_are_checked_against_the_workers_own_domains() {
    let c = Collections {
        links: recs(json!([
            { "id": "link00000000001", "short_code": "loop1", "original_url": "https://sho.rt/x" },
            { "id": "link00000000002", "short_code": "bad1", "original_url": "https://sub.blocked.example/x" },
            { "id": "link00000000003", "short_code": "fine1", "original_url": "https://ulo.ad.example.com/x" },
        ])),
        ..Default::default()
    };
    let policy = target::Policy::new(&["sho.rt".to_string()], &["blocked.example".to_string()]);
    let p = plan_with(&c, NOW, &policy, |_, _| {});
    assert_eq!(p.count("links"), 1);
    assert!(has(&p.skipped, "links", "link00000000001", "target URL"));
    assert!(has(&p.skipped, "links", "link00000000002", "target URL"));
}
