use super::*;
use serde_json::json;

const RULES: UrlRules = UrlRules {
    allow_loopback: false,
    own_hosts: &[],
};

#[test]
fn signatures_match_the_specifications_test_vector() {
    // The example of the Standard Webhooks specification (and of its reference libraries).
    let sig = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
    );
    assert_eq!(
        sig.as_deref(),
        Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    );
    assert_eq!(sign("not-a-secret", "m", 1, "{}"), None);
    let both = signature_header(
        &[
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            &new_secret(&[7; 24]),
        ],
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
    );
    let parts: Vec<&str> = both.split(' ').collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_ne!(parts[0], parts[1]);
}

#[test]
fn endpoints_must_be_https_to_public_hosts() {
    assert_eq!(
        check_url("https://hooks.example.com/in?x=1", &RULES).as_deref(),
        Ok("https://hooks.example.com/in?x=1")
    );
    for bad in [
        "http://hooks.example.com/",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "https://127.0.0.1/",
        "https://localhost/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://printer.local/",
        "https://db.internal/",
        "https://intranet/",
        "https://hooks.example.com/#frag",
        "not a url",
    ] {
        assert!(check_url(bad, &RULES).is_err(), "{bad}");
    }
    let own = ["ulo.ad".to_string()];
    let rules = UrlRules {
        allow_loopback: false,
        own_hosts: &own,
    };
    assert!(check_url("https://ulo.ad/x", &rules).is_err());
    let tests = UrlRules {
        allow_loopback: true,
        own_hosts: &[],
    };
    assert!(check_url("http://127.0.0.1:9000/hook", &tests).is_ok());
    assert!(
        check_url("http://10.0.0.1/hook", &tests).is_err(),
        "only loopback is let through"
    );
}

#[test]
fn create_needs_url_and_known_events_and_update_needs_something() {
    let ok = parse(
        &json!({"url": "https://h.example/", "events": ["link.created", "link.created", "link.clicked"]}),
        true,
        &RULES,
    )
    .expect("valid");
    assert_eq!(
        ok.events,
        Field::Value(vec!["link.created".to_string(), "link.clicked".to_string()])
    );
    let errs = parse(&json!({"events": ["link.exploded"]}), true, &RULES).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"url") && fields.contains(&"events"),
        "{errs:?}"
    );
    assert!(parse(
        &json!({"url": "https://h.example/", "events": []}),
        true,
        &RULES
    )
    .is_err());
    assert!(parse(&json!({}), false, &RULES).is_err());
    assert!(parse(&json!({"enabled": null}), false, &RULES).is_err());
    assert!(
        parse(&json!({"secret": "x"}), false, &RULES).is_err(),
        "unknown fields are refused"
    );
    assert_eq!(
        parse(&json!({"enabled": true}), false, &RULES).map(|f| f.enabled),
        Ok(Field::Value(true))
    );
}

#[test]
fn backoff_doubles_up_to_the_cap_with_jitter_between_half_and_whole() {
    assert_eq!(backoff_seconds(1, 10, 3600, 1.0), 10);
    assert_eq!(backoff_seconds(2, 10, 3600, 1.0), 20);
    assert_eq!(backoff_seconds(5, 10, 3600, 1.0), 160);
    assert_eq!(backoff_seconds(40, 10, 3600, 1.0), 3600);
    assert_eq!(backoff_seconds(3, 10, 3600, 0.0), 20);
    assert_eq!(backoff_seconds(1, 1, 60, 0.0), 1, "never zero");
}

#[test]
fn subscriptions_by_event_owner_and_workspace() {
    let events = vec!["link.created".to_string()];
    let alice = Scope {
        user: Some("alice"),
        workspace: None,
    };
    let team = Scope {
        user: Some("alice"),
        workspace: Some("team"),
    };
    let of = |user, workspace| Scope { user, workspace };
    assert!(subscribed(
        &events,
        alice,
        "link.created",
        of(Some("alice"), Some("team"))
    ));
    assert!(!subscribed(
        &events,
        alice,
        "link.deleted",
        of(Some("alice"), None)
    ));
    assert!(
        !subscribed(&events, alice, "link.created", of(Some("bob"), None)),
        "another user's link"
    );
    assert!(
        subscribed(&events, team, "link.created", of(Some("bob"), Some("team"))),
        "a workspace's endpoint takes every member's link in it"
    );
    assert!(
        !subscribed(&events, team, "link.created", of(Some("alice"), None)),
        "but not its owner's other links"
    );
    assert!(!subscribed(
        &events,
        team,
        "link.created",
        of(Some("bob"), Some("other"))
    ));
}
