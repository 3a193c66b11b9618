use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn total_and_workspace_are_read_and_checked() {
    let q = parse(&pairs(&[("total", "true"), ("workspace", "crew-1")])).expect("valid");
    assert!(q.total);
    assert_eq!(q.workspace.as_deref(), Some("crew-1"));
    assert!(!parse(&pairs(&[])).expect("valid").total);
    for bad in [("total", "1"), ("workspace", "a b"), ("workspace", "")] {
        assert!(parse(&pairs(&[bad])).is_err(), "{bad:?}");
    }
}

#[test]
fn a_page_with_one_row_more_has_a_cursor_to_its_last_row() {
    let link = |id: &str, clicks: u64| crate::link::Link {
        id: id.into(),
        created_at: format!("2026-01-0{id}T00:00:00.000Z"),
        click_count: clicks,
        ..Default::default()
    };
    let q = parse(&pairs(&[("limit", "2"), ("sort", "clicks")])).unwrap();
    let mut rows = vec![link("3", 9), link("2", 5), link("1", 1)];
    let cursor = next_cursor(&q, &mut rows).expect("a next page");
    assert_eq!(rows.len(), 2);
    let c = Cursor::decode(&cursor).unwrap();
    assert_eq!(
        (c.s, c.c.as_u64(), c.id.as_str()),
        (Sort::Clicks, Some(5), "2")
    );
    // Exactly a page: no cursor.
    let mut rows = vec![link("3", 9), link("2", 5)];
    assert_eq!(next_cursor(&q, &mut rows), None);
    assert_eq!(rows.len(), 2);
}

#[test]
fn defaults_and_values() {
    let q = parse(&[]).unwrap();
    assert_eq!(
        (q.limit, q.sort, q.status.is_none()),
        (20, Sort::Created, true)
    );
    let q = parse(&pairs(&[
        ("limit", "5"),
        ("sort", "clicks"),
        ("status", "expired"),
        ("tag", "Summer Sale"),
        ("q", " x "),
    ]))
    .unwrap();
    assert_eq!(q.limit, 5);
    assert_eq!(q.sort, Sort::Clicks);
    assert_eq!(q.status, Some(StatusFilter::Expired));
    assert_eq!(q.tag.as_deref(), Some("summer-sale"));
    assert_eq!(q.search.as_deref(), Some("x"));
}

#[test]
fn bad_parameters_are_named() {
    let errs = parse(&pairs(&[
        ("limit", "0"),
        ("sort", "name"),
        ("status", "x"),
        ("cursor", "!!"),
        ("page", "2"),
    ]))
    .unwrap_err();
    let names: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, ["limit", "sort", "status", "page", "cursor"]);
    assert!(parse(&pairs(&[("limit", "101")])).is_err());
}

#[test]
fn cursors_round_trip_and_are_checked() {
    let c = Cursor {
        s: Sort::Created,
        o: Order::Desc,
        c: "2026-01-01T00:00:00.000Z".into(),
        id: "abc".into(),
    };
    assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
    let q = parse(&pairs(&[("cursor", &c.encode())])).unwrap();
    assert_eq!(q.cursor, Some(c.clone()));
    assert!(parse(&pairs(&[("cursor", &c.encode()), ("sort", "clicks")])).is_err());
    let wrong = Cursor {
        s: Sort::Clicks,
        o: Order::Desc,
        c: "text".into(),
        id: "a".into(),
    };
    assert_eq!(Cursor::decode(&wrong.encode()), None);
}

#[test]
fn orders_take_a_direction_and_a_cursor_keeps_to_its_own() {
    let q = |list: &[(&str, &str)]| parse(&pairs(list));
    assert_eq!(q(&[("sort", "title")]).unwrap().order, Order::Asc);
    assert_eq!(q(&[("sort", "last_click")]).unwrap().order, Order::Desc);
    let asc = q(&[("sort", "clicks"), ("order", "asc")]).unwrap();
    assert_eq!((asc.sort, asc.order), (Sort::Clicks, Order::Asc));
    assert_eq!(q(&[("sort", "-created")]).unwrap().order, Order::Desc);
    let errs = q(&[("sort", "-created"), ("order", "asc")]).unwrap_err();
    assert_eq!(errs[0].field, "order");
    assert!(q(&[("order", "up")]).is_err());
    let c = Cursor {
        s: Sort::Title,
        o: Order::Asc,
        c: "m".into(),
        id: "x".into(),
    }
    .encode();
    assert!(q(&[("sort", "title"), ("cursor", &c)]).is_ok());
    let errs = q(&[("sort", "title"), ("order", "desc"), ("cursor", &c)]).unwrap_err();
    assert_eq!(errs[0].message, "cursor belongs to another sort order");
}

#[test]
fn tag_ids_and_creation_dates_filter() {
    let q = parse(&pairs(&[
        ("tag_id", "t0000000000001"),
        ("created_from", "2026-11-01"),
        ("created_to", "2026-11-25"),
    ]))
    .unwrap();
    assert_eq!(q.tag_id.as_deref(), Some("t0000000000001"));
    assert_eq!(q.created_from.as_deref(), Some("2026-11-01T00:00:00.000Z"));
    assert_eq!(
        q.created_to.as_deref(),
        Some("2026-11-26T00:00:00.000Z"),
        "a date includes that whole day"
    );
    let q = parse(&pairs(&[("created_to", "2026-11-25T12:00:00+01:00")])).unwrap();
    assert_eq!(q.created_to.as_deref(), Some("2026-11-25T11:00:00.000Z"));
    for bad in [
        vec![("tag_id", "a b")],
        vec![("created_from", "yesterday")],
        vec![("created_to", "2026-13-01")],
        vec![("created_from", "2026-11-02"), ("created_to", "2026-11-01")],
    ] {
        assert!(parse(&pairs(&bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn a_code_filter_is_exact_and_must_name_something() {
    let pairs = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    assert_eq!(
        parse(&pairs("code", " promo ")).unwrap().code.as_deref(),
        Some("promo")
    );
    assert_eq!(
        parse(&pairs("code", "alice/cv")).unwrap().code.as_deref(),
        Some("alice/cv")
    );
    assert!(parse(&pairs("code", " ")).is_err());
    assert!(parse(&pairs("code", &"x".repeat(201))).is_err());
}

#[test]
fn search_phrases_are_one_quoted_phrase_of_three_characters_or_more() {
    assert_eq!(search_phrase("number 99").as_deref(), Some("\"number 99\""));
    assert_eq!(
        search_phrase("say \"hi\" OR x*").as_deref(),
        Some("\"say \"\"hi\"\" OR x*\""),
        "quotes doubled; operators are text inside a phrase"
    );
    assert_eq!(
        search_phrase("äöü").as_deref(),
        Some("\"äöü\""),
        "characters, not bytes"
    );
    assert_eq!(search_phrase("ab"), None, "shorter than a trigram");
    assert_eq!(
        search_phrase("a\0bc").as_deref(),
        Some("\"abc\""),
        "no NUL inside the quotes"
    );
}

#[test]
fn tag_names_are_also_searched_by_slug() {
    assert_eq!(
        tag_slug_needle("KÜHL Schrank").as_deref(),
        Some("kühl-schrank")
    );
    assert_eq!(tag_slug_needle("50%").as_deref(), Some("50"));
    assert_eq!(tag_slug_needle("!!"), None, "no letter or digit: no slug");
}

#[test]
fn like_patterns_escape_wildcards() {
    assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
}

#[test]
fn every_sort_parses_by_its_name_which_cursors_carry_too() {
    for s in Sort::ALL {
        assert_eq!(Sort::parse(s.name()), Some((s, None)));
        assert_eq!(
            Sort::parse(&format!("-{}", s.name())),
            Some((s, Some(Order::Desc)))
        );
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            s.name(),
            "the cursor's name"
        );
    }
    assert_eq!(Sort::parse("newest"), None);
}
