//! Unit tests of `link`.

use super::*;
use serde_json::json;

fn rules(policy: &Policy) -> Rules<'_> {
    Rules {
        policy,
        username: Some("alice"),
        now: crate::time::parse("2026-01-01T00:00:00Z").unwrap(),
    }
}

fn create(body: Value) -> Result<LinkFields, Vec<FieldError>> {
    parse_create(&body, &rules(&Policy::new(&["ulo.ad".into()], &[])))
}

fn update(body: Value) -> Result<LinkFields, Vec<FieldError>> {
    parse_update(&body, &rules(&Policy::new(&["ulo.ad".into()], &[])))
}

fn fields(errs: &[FieldError]) -> Vec<&str> {
    errs.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn create_needs_only_a_url() {
    let f = create(json!({"url": "https://a.de"})).unwrap();
    assert_eq!(f.url, Field::Value("https://a.de/".into()));
    assert!(f.code.is_absent() && f.title.is_absent());
    let errs = create(json!({})).unwrap_err();
    assert_eq!(fields(&errs), ["url"]);
}

#[test]
fn create_reads_every_field() {
    let f = create(json!({
        "url": "https://a.de", "code": "alice/promo", "title": " T ", "description": "D",
        "is_active": false, "password": "pw", "max_clicks": 10, "expires_at": "2030-01-01T01:00:00+01:00",
        "tags": ["News", "news ", "Sale"], "utm_source": "nl", "utm_medium": "mail", "utm_campaign": "x",
        "workspace_id": "w1", "redirect_status": 307, "forward_query": false
    }))
    .unwrap();
    assert_eq!(f.code, Field::Value("alice/promo".into()));
    assert_eq!(f.title, Field::Value("T".into()));
    assert_eq!(
        f.expires_at,
        Field::Value("2030-01-01T00:00:00.000Z".into())
    );
    assert_eq!(f.tags, Field::Value(vec!["News".into(), "Sale".into()]));
    assert_eq!(f.redirect_status, Field::Value(307));
    assert_eq!(f.max_clicks, Field::Value(10));
}

#[test]
fn names_every_offending_field() {
    let errs = create(json!({
        "url": "ftp://x", "code": "a/b", "ulr": 1, "title": "t".repeat(201), "max_clicks": 0,
        "expires_at": "tomorrow", "redirect_status": 200, "tags": [""], "is_active": "yes",
        "workspace_id": "a b"
    }))
    .unwrap_err();
    assert_eq!(
        fields(&errs),
        [
            "ulr",
            "url",
            "code",
            "title",
            "is_active",
            "max_clicks",
            "expires_at",
            "tags",
            "workspace_id",
            "redirect_status"
        ]
    );
}

#[test]
fn refuses_expiry_in_the_past_and_loops() {
    let errs = create(json!({"url": "https://ulo.ad/x", "expires_at": "2025-12-31T23:59:59Z"}))
        .unwrap_err();
    assert_eq!(fields(&errs), ["url", "expires_at"]);
    assert!(errs[0].message.contains("loop"));
}

#[test]
fn redirect_status_out_of_range_is_an_error_not_a_wrap() {
    let errs = create(json!({"url": "https://a.de", "redirect_status": 65_838})).unwrap_err();
    assert_eq!(fields(&errs), ["redirect_status"]);
}

#[test]
fn update_is_partial_and_null_clears() {
    let f = update(json!({"title": null, "password": ""})).unwrap();
    assert_eq!(f.title, Field::Null);
    assert_eq!(f.password, Field::Null);
    assert!(f.url.is_absent());
    assert_eq!(fields(&update(json!({})).unwrap_err()), [""]);
    assert_eq!(
        fields(&update(json!({"url": null, "code": null})).unwrap_err()),
        ["url", "code"]
    );
}

#[test]
fn too_many_tags() {
    let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    assert_eq!(
        fields(&create(json!({"url": "https://a.de", "tags": tags})).unwrap_err()),
        ["tags"]
    );
}

#[test]
fn redirect_record_defaults_for_old_records_and_stays_small() {
    let r: RedirectRecord =
        serde_json::from_str(r#"{"link_id":"x","url":"https://a.de/"}"#).unwrap();
    assert_eq!(r.status, 302);
    assert!(r.active);
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"link_id":"x","url":"https://a.de/","status":302}"#
    );
}

#[test]
fn times_are_stored_in_one_format() {
    let t = crate::time::parse("2030-05-06T07:08:09.5+02:00").unwrap();
    assert_eq!(crate::time::format(t), "2030-05-06T05:08:09.500Z");
    assert_eq!(crate::time::parse("2030-05-06"), None);
}

#[test]
fn passwords_of_a_bulk_request_are_counted() {
    let items: Vec<serde_json::Value> = vec![
        serde_json::json!({ "url": "https://a.example/", "password": "x" }),
        serde_json::json!({ "url": "https://a.example/", "password": "" }),
        serde_json::json!({ "url": "https://a.example/", "password": null }),
        serde_json::json!({ "url": "https://a.example/" }),
        serde_json::json!({ "url": "https://a.example/", "password": "y" }),
    ];
    assert_eq!(passwords_in(&items), 2);
}

#[test]
fn a_get_body_sent_back_changes_only_what_was_edited() {
    let current = serde_json::json!({
        "id": "abc", "url": "https://a.example/", "code": "promo", "title": "Old",
        "expires_at": "2020-01-01T00:00:00.000Z", "tags": ["x"], "version": 3,
        "click_count": 7, "short_url": "https://ulo.ad/promo",
    });
    let mut edited = current.clone();
    edited["title"] = "New".into();
    edited["click_count"] = 99.into(); // read-only: ignored, whatever it says
    let (rest, version) = changes(&edited, &current).unwrap();
    assert_eq!(
        rest,
        serde_json::json!({ "title": "New" }),
        "unchanged fields, even an expiry in the past, are no change"
    );
    assert_eq!(version, Some(3), "the version it was read with");
    let (rest, version) = changes(&serde_json::json!({ "title": "Old" }), &current).unwrap();
    assert_eq!((rest, version), (serde_json::json!({}), None));
    assert!(changes(&serde_json::json!({ "version": "3" }), &current).is_err());
    let (rest, _) = changes(&serde_json::json!([1]), &current).unwrap();
    assert_eq!(
        rest,
        serde_json::json!([1]),
        "not an object: left for parse_update to refuse"
    );
}
