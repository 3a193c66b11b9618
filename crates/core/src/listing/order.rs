//! The orders a list of links can take (`sort=` and `order=`), and the keyset cursor that
//! continues one. A cursor carries the sort key and id of the last row of a page, so it stays
//! correct when links are added or removed while a client pages, unlike an offset.
//!
//! The key of each order is a value the database compares the same way whatever the row:
//! never NULL (no title sorts as an empty title, never clicked as the earliest click), with
//! the row's id breaking ties. Text keys compare ASCII case-insensitively in the store
//! (SQLite's NOCASE), so the cursor holds the stored text itself, not a lowered copy the
//! database might lower differently.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::link::Link;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "clicks")]
    Clicks,
    #[serde(rename = "last_click")]
    LastClick,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "code")]
    Code,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Order {
    #[serde(rename = "asc")]
    Asc,
    /// Cursors issued before orders had a direction were all descending.
    #[default]
    #[serde(rename = "desc")]
    Desc,
}

pub const SORTS: &str = "created, clicks, last_click, title or code";

impl Sort {
    /// Every order: `sort=` takes exactly their names (or `-name`).
    pub const ALL: [Sort; 5] = [
        Sort::Created,
        Sort::Clicks,
        Sort::LastClick,
        Sort::Title,
        Sort::Code,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sort::Created => "created",
            Sort::Clicks => "clicks",
            Sort::LastClick => "last_click",
            Sort::Title => "title",
            Sort::Code => "code",
        }
    }

    /// `sort=` as given, with the direction a leading `-` asks for (`-created`: descending,
    /// accepted as it always was).
    pub fn parse(v: &str) -> Option<(Sort, Option<Order>)> {
        let (name, order) = match v.strip_prefix('-') {
            Some(rest) => (rest, Some(Order::Desc)),
            None => (v, None),
        };
        let sort = Sort::ALL.into_iter().find(|s| s.name() == name)?;
        Some((sort, order))
    }

    /// Without `order=`: newest, most clicked and most recently clicked first; titles and
    /// codes alphabetically.
    pub fn default_order(self) -> Order {
        match self {
            Sort::Created | Sort::Clicks | Sort::LastClick => Order::Desc,
            Sort::Title | Sort::Code => Order::Asc,
        }
    }

    /// A row's key in this order, as the cursor carries it.
    pub fn key(self, link: &Link) -> Value {
        match self {
            Sort::Created => link.created_at.clone().into(),
            Sort::Clicks => link.click_count.into(),
            Sort::LastClick => link.last_clicked_at.clone().unwrap_or_default().into(),
            Sort::Title => link.title.clone().unwrap_or_default().into(),
            Sort::Code => link.code.clone().into(),
        }
    }

    fn key_is_valid(self, v: &Value) -> bool {
        match self {
            Sort::Clicks => v.is_u64(),
            _ => v.is_string(),
        }
    }
}

/// Where the previous page ended: the order, the last row's key (`c`) and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub s: Sort,
    #[serde(default)]
    pub o: Order,
    pub c: Value,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Option<Self> {
        let bytes = B64.decode(s).ok()?;
        let c: Cursor = serde_json::from_slice(&bytes).ok()?;
        c.s.key_is_valid(&c.c).then_some(c)
    }
}

/// Cuts a page fetched with one row more than `limit` to the page, and gives the cursor of
/// the next page when that extra row was there.
pub fn next_cursor(sort: Sort, order: Order, limit: u32, rows: &mut Vec<Link>) -> Option<String> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let last = rows.last().filter(|_| more)?;
    Some(
        Cursor {
            s: sort,
            o: order,
            c: sort.key(last),
            id: last.id.clone(),
        }
        .encode(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_their_direction() {
        assert_eq!(Sort::parse("title"), Some((Sort::Title, None)));
        assert_eq!(
            Sort::parse("-created"),
            Some((Sort::Created, Some(Order::Desc)))
        );
        assert_eq!(Sort::parse("last_click"), Some((Sort::LastClick, None)));
        for bad in ["", "-", "name", "--created", "Title"] {
            assert_eq!(Sort::parse(bad), None, "{bad}");
        }
        assert_eq!(Sort::Code.default_order(), Order::Asc);
        assert_eq!(Sort::Clicks.default_order(), Order::Desc);
    }

    #[test]
    fn keys_are_never_null_and_cursors_check_their_type() {
        let link = Link {
            id: "a".into(),
            code: "Promo".into(),
            click_count: 7,
            ..Default::default()
        };
        assert_eq!(
            Sort::Title.key(&link),
            Value::from(""),
            "no title sorts as an empty one"
        );
        assert_eq!(
            Sort::LastClick.key(&link),
            Value::from(""),
            "never clicked sorts first"
        );
        assert_eq!(
            Sort::Code.key(&link),
            Value::from("Promo"),
            "the stored text, not lowered"
        );
        assert_eq!(Sort::Clicks.key(&link), Value::from(7));
        let c = Cursor {
            s: Sort::Title,
            o: Order::Asc,
            c: "x".into(),
            id: "a".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        let wrong = Cursor {
            s: Sort::Clicks,
            o: Order::Asc,
            c: "x".into(),
            id: "a".into(),
        };
        assert_eq!(Cursor::decode(&wrong.encode()), None);
    }

    #[test]
    fn cursors_from_before_directions_read_as_descending() {
        let old = B64.encode(br#"{"s":"created","c":"2026-01-01T00:00:00.000Z","id":"x"}"#);
        assert_eq!(Cursor::decode(&old).map(|c| c.o), Some(Order::Desc));
    }
}
