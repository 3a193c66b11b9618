//! Tags as the API accepts them: a name (unique per owner by its slug) and a colour.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fields::{text, Field, Reader};
use crate::link::MAX_TAG_NAME;
use crate::slug::slugify;

/// The members a tag's create and update accept, and a merge's.
pub const FIELDS: &[&str] = &["name", "color"];
pub const MERGE_FIELDS: &[&str] = &["into"];

/// A tag as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tag {
    pub id: String,
    pub name: String,
    /// What the name is unique by (per user): lower case, words joined by `-`.
    pub slug: String,
    #[schemars(regex(pattern = r"^#[0-9a-f]{6}$"))]
    pub color: Option<String>,
    /// How many of the user's links carry it.
    pub link_count: u64,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
}

/// A tag's name and the slug it is unique by (per owner): 1 to 50 characters with at
/// least one letter or digit.
pub fn read_name(r: &mut Reader) -> Field<(String, String)> {
    match text(r, "name", MAX_TAG_NAME) {
        Field::Value(name) => match slugify(&name) {
            slug if slug.is_empty() => {
                r.error("name", "name needs at least one letter or digit");
                Field::Absent
            }
            slug => Field::Value((name, slug)),
        },
        Field::Null => {
            r.error("name", "name must not be empty");
            Field::Absent
        }
        Field::Absent => Field::Absent,
    }
}

/// A tag's colour: `#rrggbb`, stored in lower case.
pub fn read_color(r: &mut Reader) -> Field<String> {
    match r.string("color") {
        Field::Value(c)
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Field::Value(c.to_ascii_lowercase())
        }
        Field::Value(_) => {
            r.error("color", "color must be a hex colour like #1a2b3c");
            Field::Absent
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<T>(body: serde_json::Value, f: impl Fn(&mut Reader) -> Field<T>) -> (Field<T>, usize) {
        let mut r = Reader::new(&body, FIELDS).unwrap();
        let v = f(&mut r);
        (v, r.errors.len())
    }

    #[test]
    fn a_name_needs_a_letter_or_digit_and_gives_its_slug() {
        assert_eq!(
            read(json!({"name": "Café Tipps"}), read_name).0,
            Field::Value(("Café Tipps".into(), "café-tipps".into()))
        );
        assert_eq!(read(json!({"name": "!!!"}), read_name), (Field::Absent, 1));
        assert_eq!(read(json!({"name": null}), read_name), (Field::Absent, 1));
        assert_eq!(read(json!({}), read_name), (Field::Absent, 0));
    }

    #[test]
    fn a_colour_is_hex_and_kept_in_lower_case() {
        assert_eq!(
            read(json!({"color": "#1A2b3C"}), read_color).0,
            Field::Value("#1a2b3c".into())
        );
        for bad in ["red", "#12345", "#12345g", "1a2b3c4"] {
            assert_eq!(
                read(json!({"color": bad}), read_color),
                (Field::Absent, 1),
                "{bad}"
            );
        }
    }
}
