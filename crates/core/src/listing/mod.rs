//! Listing links: the query parameters (filters, search, order), checked; the orders and
//! their keyset cursors are in `order`.

mod order;

pub use order::{Cursor, Order, Sort, SORTS};

use schemars::JsonSchema;
use serde::Serialize;

use super::link::LinkView;
use super::problem::FieldError;

/// A page of a user's links.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LinkList<'a> {
    pub data: Vec<LinkView<'a>>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
    /// With total=true: how many links match the filters in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_SEARCH: usize = 200;
/// A search whose term matches at most this many of the owner's links reads the page from
/// those matches; one that matches more walks the owner's links in the page's order, where
/// a page of 20 is found after about 20 × links ÷ matches of them (≤ 1,000 at 10,000 links).
pub const SEARCH_FEW: usize = 200;

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
                // NUL is no character of any stored text; SQLite would read it as the end.
                let t = v.replace('\0', "");
                let t = t.trim();
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
    // FTS5 reads a query as a C string: a NUL would end it inside the quotes (a syntax
    // error, found by schemathesis). No stored text holds one, so it matches nothing anyway.
    let term = term.replace('\0', "");
    (term.chars().count() >= 3).then(|| format!("\"{}\"", term.replace('"', "\"\"")))
}

/// What a search term finds inside a tag's slug: the term's own slug (lowercased by Unicode,
/// so "KÜHL" finds "Kühlschrank"; tag names themselves compare in ASCII case only). `None`
/// when the term has no letter or digit. Compared with `instr`, not `LIKE`: D1 refuses a
/// `LIKE` pattern longer than 50 bytes (found by schemathesis, a 503), `instr` has no limit.
pub fn tag_slug_needle(term: &str) -> Option<String> {
    Some(crate::slug::slugify(term)).filter(|s| !s.is_empty())
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
mod tests;
