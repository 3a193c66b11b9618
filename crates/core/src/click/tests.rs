//! Unit tests of `click`.

use super::*;

const T: u64 = 1_764_028_800_000; // 2025-11-25T00:00:00Z

#[test]
fn visitor_hashes_are_per_link_per_salt_and_keep_no_trace_of_the_address() {
    let ua = "Mozilla/5.0";
    let salt = [7u8; 32];
    let a = visitor_hash(&salt, b"secret", "link1", "203.0.113.7", ua);
    assert_eq!(
        a,
        visitor_hash(&salt, b"secret", "link1", "203.0.113.7", ua),
        "stable within the day"
    );
    assert_ne!(
        a,
        visitor_hash(&[8u8; 32], b"secret", "link1", "203.0.113.7", ua),
        "another day's salt"
    );
    assert_ne!(
        a,
        visitor_hash(&salt, b"secret", "link2", "203.0.113.7", ua),
        "another link"
    );
    assert_ne!(
        a,
        visitor_hash(&salt, b"secret", "link1", "203.0.113.8", ua),
        "another visitor"
    );
    assert_ne!(
        a,
        visitor_hash(&salt, b"other", "link1", "203.0.113.7", ua),
        "another secret"
    );
    assert_eq!(a.len(), 32);
    assert!(!a.contains("203"));
    // Parts are length-prefixed: moving a byte from one part to the next changes the hash.
    assert_ne!(
        visitor_hash(&salt, b"s", "ab", "c", ua),
        visitor_hash(&salt, b"s", "a", "bc", ua)
    );
}

#[test]
fn day_salts_end_an_hour_after_their_day_and_parse_from_hex() {
    assert_eq!(salt_end_ms("2025-11-25"), Some(T + 86_400_000 + 3_600_000));
    assert_eq!(salt_end_ms("yesterday"), None);
    let hex = "00ff".repeat(16);
    assert_eq!(parse_salt(&hex).map(|s| (s[0], s[1])), Some((0, 255)));
    assert_eq!(parse_salt("abc"), None);
    assert_eq!(parse_salt(&"zz".repeat(32)), None);
}

#[test]
fn click_ids_are_unique_and_id_shaped() {
    let mut ids = ClickIds::new("abcdefghijklmnop".into());
    let all: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next_id()).collect();
    assert_eq!(all.len(), 10_000);
    assert!(all.contains("abcdefghijklmnop0"));
    assert!(all.contains("abcdefghijklmnopzz"), "36 * 36 - 1");
    assert!(all
        .iter()
        .all(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())));
}

#[test]
fn referer_is_reduced_to_its_host() {
    assert_eq!(
        referer_host(Some("https://www.Google.com/search?q=private")),
        Some("google.com".into())
    );
    assert_eq!(referer_host(Some("https://t.co/abc")), Some("t.co".into()));
    assert_eq!(referer_host(Some("not a url")), None);
    assert_eq!(referer_host(Some("javascript:alert(1)")), None);
    assert_eq!(referer_host(None), None);
}

#[test]
fn utm_from_query() {
    let u = Utm::from_query(Some(
        "utm_source=news%20letter&x=1&utm_medium=email&utm_source=second&utm_term=",
    ));
    assert_eq!(u.source.as_deref(), Some("news letter"));
    assert_eq!(u.medium.as_deref(), Some("email"));
    assert_eq!(u.term, None);
    assert!(Utm::from_query(Some("a=b")).is_empty());
    assert!(Utm::from_query(None).is_empty());
    let long = format!("utm_campaign={}", "é".repeat(300));
    let u = Utm::from_query(Some(&long));
    assert!(u.campaign.unwrap().len() <= MAX_UTM);
}

fn event(i: usize, ua_len: usize) -> ClickEvent {
    ClickEvent {
        id: format!("c{i}"),
        link: "l1".into(),
        at: T,
        v: None,
        ua: "x".repeat(ua_len),
        r#ref: None,
        country: None,
        city: None,
        utm: Utm::default(),
        ip: None,
    }
}

#[test]
fn messages_batch_clicks_and_stay_under_the_size_limit() {
    let events: Vec<_> = (0..100).map(|i| event(i, 100)).collect();
    let messages = encode_messages(&events);
    assert_eq!(messages.len(), 1, "100 small clicks are one message");
    let back = decode_message(serde_json::Value::String(messages[0].clone())).unwrap();
    assert_eq!(back, events);
    let big: Vec<_> = (0..400).map(|i| event(i, MAX_USER_AGENT)).collect();
    let messages = encode_messages(&big);
    assert!(messages.len() > 1);
    assert!(messages.iter().all(|m| m.len() <= MAX_MESSAGE_BYTES));
    let all: Vec<ClickEvent> = messages
        .into_iter()
        .flat_map(|m| decode_message(serde_json::Value::String(m)).unwrap())
        .collect();
    assert_eq!(all, big, "nothing lost or reordered");
    assert!(encode_messages(&[]).is_empty());
}

#[test]
fn single_events_and_garbage() {
    let one = serde_json::to_value(event(1, 3)).unwrap();
    assert_eq!(decode_message(one).unwrap(), vec![event(1, 3)]);
    assert!(decode_message(serde_json::json!({ "link": "l" })).is_err());
    assert!(decode_message(serde_json::Value::String("{not json".into())).is_err());
    assert!(decode_message(serde_json::json!(42)).is_err());
}

#[test]
fn events_round_trip_and_bad_ones_are_refused() {
    let e = ClickEvent {
        id: "c1".into(),
        link: "l1".into(),
        at: T + 3_600_000 + 5,
        v: Some("ab".into()),
        ua: "curl/8.0".into(),
        r#ref: Some("t.co".into()),
        country: Some("de".into()),
        city: Some("Berlin".into()),
        utm: Utm::default(),
        ip: None,
    };
    let json = serde_json::to_string(&e).unwrap();
    assert!(!json.contains("utm"), "empty utm is not sent: {json}");
    let with_ip = ClickEvent {
        ip: Some("203.0.113.7".into()),
        ..e.clone()
    };
    assert!(
        !serde_json::to_string(&with_ip)
            .unwrap()
            .contains("203.0.113.7"),
        "the address never leaves the isolate"
    );
    let back: ClickEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
    let s = StoredClick::from_event(back).unwrap();
    assert_eq!(s.clicked_at, "2025-11-25T01:00:00.005Z");
    assert_eq!(s.country.as_deref(), Some("DE"));
    assert!(s.agent.bot);
    let bad = |f: fn(&mut ClickEvent)| {
        let mut x = e.clone();
        f(&mut x);
        StoredClick::from_event(x).unwrap_err()
    };
    assert_eq!(bad(|x| x.id.clear()), EventError::MissingId);
    assert_eq!(bad(|x| x.link.clear()), EventError::MissingLink);
    assert_eq!(bad(|x| x.at = 0), EventError::BadTime);
    assert_eq!(bad(|x| x.at = u64::MAX), EventError::BadTime);
}
