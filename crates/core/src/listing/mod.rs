//! Listing links: the query parameters (filters, search, order), checked; the orders and
//! their keyset cursors are in `order`.

mod order;

pub use order::{Cursor, Order, Sort, SORTS};

use super::problem::FieldError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_SEARCH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Inactive,
    Expired,
}

/// Cuts a page fetched with one row more than `q.limit` to the page, and gives the cursor
/// of the next page when that extra row was there.
pub fn next_cursor(q: &ListQuery, rows: &mut Vec<crate::link::Link>) -> Option<String> {
    order::next_cursor(q.sort, q.order, q.limit, rows)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub limit: u32,
    pub sort: Sort,
    pub order: Order,
    pub status: Option<StatusFilter>,
    pub tag: Option<String>,
    pub search: Option<String>,
    /// Exactly this code (`code=`): a link found by its short code.
    pub code: Option<String>,
    /// Only links of this workspace (`workspace=`).
    pub workspace: Option<String>,
    /// Only links with this tag, by its id (`tag_id=`; `tag=` names it).
    pub tag_id: Option<String>,
    /// Created at or after this instant (`created_from=`), stored format.
    pub created_from: Option<String>,
    /// Created before this instant (`created_to=`; a date includes that day), stored format.
    pub created_to: Option<String>,
    /// Also count every link that matches (`total=true`), for "page 2 of 7".
    pub total: bool,
    pub cursor: Option<Cursor>,
}

/// Parses `?limit=&sort=&order=&status=&tag=&tag_id=&q=&code=&workspace=&created_from=
/// &created_to=&total=&cursor=` (already percent-decoded pairs).
pub fn parse(pairs: &[(String, String)]) -> Result<ListQuery, Vec<FieldError>> {
    let mut q = ListQuery {
        limit: DEFAULT_LIMIT,
        sort: Sort::Created,
        order: Order::Desc,
        status: None,
        tag: None,
        search: None,
        code: None,
        workspace: None,
        tag_id: None,
        created_from: None,
        created_to: None,
        total: false,
        cursor: None,
    };
    let mut errors = Vec::new();
    let mut raw_cursor = None;
    let (mut sort_order, mut order) = (None, None);
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => q.limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("limit must be 1 to {MAX_LIMIT}"),
                )),
            },
            "sort" => match Sort::parse(v) {
                Some((sort, o)) => (q.sort, sort_order) = (sort, o),
                None => errors.push(FieldError::new("sort", format!("sort must be {SORTS}"))),
            },
            "order" => match v.as_str() {
                "asc" => order = Some(Order::Asc),
                "desc" => order = Some(Order::Desc),
                _ => errors.push(FieldError::new("order", "order must be asc or desc")),
            },
            "tag_id" => match v.trim() {
                t if crate::route::is_id(t) => q.tag_id = Some(t.to_string()),
                _ => errors.push(FieldError::new("tag_id", "tag_id must be a tag's id")),
            },
            "created_from" | "created_to" => {
                let end = k == "created_to";
                match super::stats::bound(v, &super::stats::Zone::utc(), end) {
                    Some(t) if end => q.created_to = Some(crate::time::format(t)),
                    Some(t) => q.created_from = Some(crate::time::format(t)),
                    None => errors.push(FieldError::new(
                        k.as_str(),
                        format!("{k} must be a date (YYYY-MM-DD, UTC) or an RFC 3339 time"),
                    )),
                }
            }
            "status" => match v.as_str() {
                "active" => q.status = Some(StatusFilter::Active),
                "inactive" => q.status = Some(StatusFilter::Inactive),
                "expired" => q.status = Some(StatusFilter::Expired),
                _ => errors.push(FieldError::new(
                    "status",
                    "status must be active, inactive or expired",
                )),
            },
            "tag" => match super::slug::slugify(v) {
                _ if v.chars().count() > MAX_SEARCH => errors.push(FieldError::new(
                    "tag",
                    format!("tag must be at most {MAX_SEARCH} characters"),
                )),
                s if s.is_empty() => errors.push(FieldError::new("tag", "tag must name a tag")),
                s => q.tag = Some(s),
            },
            "q" => {
                let t = v.trim();
                if t.chars().count() > MAX_SEARCH {
                    errors.push(FieldError::new(
                        "q",
                        format!("q must be at most {MAX_SEARCH} characters"),
                    ));
                } else if !t.is_empty() {
                    q.search = Some(t.to_string());
                }
            }
            "code" => match v.trim() {
                "" => errors.push(FieldError::new("code", "code must not be empty")),
                c if c.chars().count() > MAX_SEARCH => errors.push(FieldError::new(
                    "code",
                    format!("code must be at most {MAX_SEARCH} characters"),
                )),
                c => q.code = Some(c.to_string()),
            },
            "workspace" => match v.trim() {
                w if crate::route::is_id(w) => q.workspace = Some(w.to_string()),
                _ => errors.push(FieldError::new(
                    "workspace",
                    "workspace must be a workspace's slug (A-Z, a-z, 0-9, '_', '-')",
                )),
            },
            "total" => match v.as_str() {
                "true" => q.total = true,
                "false" => q.total = false,
                _ => errors.push(FieldError::new("total", "total must be true or false")),
            },
            "cursor" => raw_cursor = Some(v.clone()),
            other => errors.push(FieldError::new(other, "unknown query parameter")),
        }
    }
    q.order = match (sort_order, order) {
        (Some(Order::Desc), Some(Order::Asc)) => {
            errors.push(FieldError::new(
                "order",
                "sort=-… is descending; order=asc contradicts it",
            ));
            Order::Desc
        }
        (_, Some(o)) | (Some(o), None) => o,
        (None, None) => q.sort.default_order(),
    };
    if let (Some(from), Some(to)) = (&q.created_from, &q.created_to) {
        if from >= to {
            errors.push(FieldError::new(
                "created_from",
                "created_from must be before created_to",
            ));
        }
    }
    if let Some(raw) = raw_cursor {
        match Cursor::decode(&raw) {
            Some(c) if c.s == q.sort && c.o == q.order => q.cursor = Some(c),
            Some(_) => errors.push(FieldError::new(
                "cursor",
                "cursor belongs to another sort order",
            )),
            None => errors.push(FieldError::new("cursor", "cursor is not valid")),
        }
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(errors)
    }
}

/// The search index's query for a term: one FTS5 phrase (quoted, quotes doubled), which the
/// trigram index matches anywhere in the text, case-insensitively. `None` for a term shorter
/// than a trigram (3 characters): the index cannot look it up, and `like_pattern` is used.
pub fn search_phrase(term: &str) -> Option<String> {
    (term.chars().count() >= 3).then(|| format!("\"{}\"", term.replace('"', "\"\"")))
}

/// Escapes a search term for `LIKE … ESCAPE '\'`, so `%` and `_` match themselves.
pub fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
