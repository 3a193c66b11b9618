//! Unit tests of `origin`.

use super::*;

#[test]
fn hand_off_sends_app_paths_reserved_words_and_misses_to_the_app_only_with_an_origin() {
    let prefixes = vec!["/p/".to_string(), "/login".to_string()];
    assert_eq!(
        hand_off(Miss::Path("/p/alice"), true, &prefixes),
        Some(Fallback::Page)
    );
    assert_eq!(hand_off(Miss::Path("/abc"), true, &prefixes), None);
    assert_eq!(
        hand_off(Miss::ReservedWord, true, &prefixes),
        Some(Fallback::Page)
    );
    assert_eq!(
        hand_off(Miss::NoRoute, true, &prefixes),
        Some(Fallback::Page)
    );
    assert_eq!(
        hand_off(Miss::NoLink, true, &prefixes),
        Some(Fallback::NotFound)
    );
    for miss in [
        Miss::Path("/p/alice"),
        Miss::ReservedWord,
        Miss::NoRoute,
        Miss::NoLink,
    ] {
        assert_eq!(hand_off(miss, false, &prefixes), None, "{miss:?}");
    }
}

#[test]
fn origin_paths_by_prefix() {
    let p: Vec<String> = ["/login", "/p/", "/_app/"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(is_origin_path("/login", &p));
    assert!(is_origin_path("/login/callback", &p));
    assert!(!is_origin_path("/loginx", &p));
    assert!(is_origin_path("/p/alice", &p));
    assert!(!is_origin_path("/p", &p));
    assert!(is_origin_path("/_app/immutable/x.js", &p));
    assert!(!is_origin_path("/promo", &p));
}

#[test]
fn only_safe_methods_are_retried() {
    assert!(is_idempotent("GET") && is_idempotent("HEAD"));
    assert!(!is_idempotent("POST") && !is_idempotent("PATCH"));
    assert!(is_retryable_status(502) && is_retryable_status(504));
    assert!(!is_retryable_status(500) && !is_retryable_status(404));
}

#[test]
fn opens_after_repeated_failures_then_tries_once() {
    let mut b = Breaker::default();
    for _ in 0..2 {
        assert!(b.allow(0));
        b.failure(0, 3, 1000);
    }
    assert!(b.allow(0));
    b.failure(0, 3, 1000);
    assert!(b.is_open(0));
    assert!(!b.allow(500), "open: fail fast");
    assert_eq!(b.retry_after_s(500), 1);
    assert!(b.allow(1000), "half-open: one trial");
    assert!(!b.allow(1000), "only one");
    b.failure(1000, 3, 1000);
    assert!(!b.allow(1500), "the trial failed: open again");
    assert!(b.allow(2000));
    b.success();
    assert!(b.allow(2000) && b.allow(2000), "closed again");
}

#[test]
fn successes_reset_the_count() {
    let mut b = Breaker::default();
    b.failure(0, 3, 1000);
    b.failure(0, 3, 1000);
    b.success();
    b.failure(0, 3, 1000);
    assert!(!b.is_open(0));
}

#[test]
fn hop_by_hop_headers_and_client_claims_are_dropped() {
    let named = connection_tokens(Some("keep-alive, X-Drop-Me"));
    // The list of RFC 9110 and the issue, spelled out (not the constant under test).
    for h in [
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "x-drop-me",
        "host",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "cf-ray",
    ] {
        assert!(!forward_request_header(h, &named), "{h} is dropped");
    }
    for h in [
        "cookie",
        "authorization",
        "accept",
        "accept-encoding",
        "range",
        "if-none-match",
        "x-custom",
    ] {
        assert!(forward_request_header(h, &named), "{h} is passed on");
    }
    assert!(!forward_response_header("x-drop-me", &named));
    assert!(!forward_response_header("transfer-encoding", &[]));
    for h in [
        "set-cookie",
        "location",
        "content-encoding",
        "etag",
        "vary",
        "forwarded",
    ] {
        assert!(forward_response_header(h, &[]), "{h} reaches the visitor");
    }
}

#[test]
fn the_worker_says_who_and_where() {
    assert_eq!(
        forwarding_headers(Some("203.0.113.9"), "ulo.ad", "https"),
        [
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-host", "ulo.ad"),
            ("x-forwarded-proto", "https")
        ]
    );
    assert_eq!(
        forwarding_headers(None, "ulo.ad", "https").len(),
        2,
        "no address: none invented"
    );
    assert_eq!(forwarding_headers(Some(""), "ulo.ad", "https").len(), 2);
}

#[test]
fn websocket_handshakes_are_recognised() {
    assert!(is_websocket_upgrade(Some("websocket")));
    assert!(is_websocket_upgrade(Some("h2c, WebSocket")));
    assert!(!is_websocket_upgrade(Some("h2c")) && !is_websocket_upgrade(None));
}

#[test]
fn bodies_are_judged_by_their_declared_length() {
    assert_eq!(body_plan("GET", Some("10"), 5), BodyPlan::None);
    assert_eq!(body_plan("HEAD", None, 5), BodyPlan::None);
    assert_eq!(body_plan("POST", Some("0"), 5), BodyPlan::None);
    assert_eq!(body_plan("POST", Some("5"), 5), BodyPlan::Declared(5));
    assert_eq!(body_plan("PUT", Some("6"), 5), BodyPlan::TooLarge);
    assert_eq!(body_plan("POST", None, 5), BodyPlan::Counted);
    assert_eq!(body_plan("POST", Some("lots"), 5), BodyPlan::Counted);
}

#[test]
fn only_public_complete_small_pages_become_stale_copies() {
    let page = StaleFacts {
        method: "GET",
        status: 200,
        content_type: Some("text/html; charset=utf-8"),
        ..Default::default()
    };
    assert!(stale_storable(&page));
    let refused = [
        StaleFacts {
            method: "HEAD",
            ..page
        },
        StaleFacts {
            status: 302,
            ..page
        },
        StaleFacts {
            status: 303,
            ..page
        },
        StaleFacts {
            status: 206,
            ..page
        },
        StaleFacts {
            status: 304,
            ..page
        },
        StaleFacts {
            status: 500,
            ..page
        },
        StaleFacts {
            personal: true,
            ..page
        },
        StaleFacts {
            partial_or_conditional: true,
            ..page
        },
        StaleFacts {
            set_cookie: true,
            ..page
        },
        StaleFacts {
            cache_control: Some("Private, max-age=60"),
            ..page
        },
        StaleFacts {
            cache_control: Some("no-store"),
            ..page
        },
        StaleFacts {
            cache_control: Some("no-cache"),
            ..page
        },
        StaleFacts {
            vary: Some("Accept-Encoding, Cookie"),
            ..page
        },
        StaleFacts {
            vary: Some("*"),
            ..page
        },
        StaleFacts {
            vary: Some("authorization"),
            ..page
        },
        StaleFacts {
            content_type: Some("text/event-stream"),
            ..page
        },
        StaleFacts {
            content_type: Some("application/octet-stream"),
            ..page
        },
        StaleFacts {
            content_length: Some(STALE_MAX_BYTES + 1),
            ..page
        },
    ];
    for f in refused {
        assert!(!stale_storable(&f), "{f:?}");
    }
    assert!(stale_storable(&StaleFacts {
        vary: Some("Accept-Encoding"),
        ..page
    }));
    assert!(stale_storable(&StaleFacts {
        content_type: Some("application/json"),
        content_length: Some(100),
        ..page
    }));
}

#[test]
fn a_page_is_copied_once_per_interval() {
    let mut w = StaleWrites::default();
    assert!(w.due("/a", 0, 1000, 2));
    assert!(
        !w.due("/a", 999, 1000, 2),
        "within the interval: no second copy"
    );
    assert!(w.due("/b", 999, 1000, 2), "another page is its own");
    assert!(w.due("/a", 1000, 1000, 2), "after it: copied again");
    assert!(w.due("/c", 1001, 1000, 2), "full: starts over");
    assert!(w.due("/b", 1002, 1000, 2), "forgotten, so copied again");
}
