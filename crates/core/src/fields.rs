//! Reading a JSON object field by field, collecting every problem instead of stopping at
//! the first, so a client learns everything wrong with a request at once.

use serde_json::{Map, Value};

use super::problem::FieldError;

/// A field of a partial update: absent (leave as is), null (clear), or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// For creates: absent and null both mean "not set".
    pub fn into_option(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(f(v)),
        }
    }
}

pub struct Reader<'a> {
    obj: &'a Map<String, Value>,
    pub errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// Fails unless `body` is an object; unknown fields are errors (a typo must not be
    /// silently ignored).
    pub fn new(body: &'a Value, known: &[&str]) -> Result<Self, Vec<FieldError>> {
        let Some(obj) = body.as_object() else {
            return Err(vec![FieldError::new(
                "",
                "request body must be a JSON object",
            )]);
        };
        let mut unknown: Vec<&String> = obj
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        let errors = unknown
            .into_iter()
            .map(|k| FieldError::new(k, "unknown field"))
            .collect();
        Ok(Self { obj, errors })
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn get(&mut self, name: &str, kind: &str, ok: impl Fn(&Value) -> bool) -> Field<&'a Value> {
        match self.obj.get(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(v) if ok(v) => Field::Value(v),
            Some(_) => {
                self.error(name, format!("{name} must be {kind}"));
                Field::Absent
            }
        }
    }

    pub fn string(&mut self, name: &str) -> Field<String> {
        self.get(name, "a string", Value::is_string)
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    /// A yes-or-no setting with a default: absent is the default, null is refused (it
    /// answers neither), true or false is itself.
    pub fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.bool(name) {
            Field::Null => {
                self.error(name, format!("{name} must be true or false"));
                default
            }
            f => f.into_option().unwrap_or(default),
        }
    }

    pub fn bool(&mut self, name: &str) -> Field<bool> {
        self.get(name, "true or false", Value::is_boolean)
            .map(|v| v.as_bool().unwrap_or_default())
    }

    pub fn uint(&mut self, name: &str) -> Field<u64> {
        self.get(name, "a whole number ≥ 0", |v| whole(v).is_some())
            .map(|v| whole(v).unwrap_or_default())
    }

    pub fn object(&mut self, name: &str) -> Field<Map<String, Value>> {
        self.get(name, "an object", Value::is_object)
            .map(|v| v.as_object().cloned().unwrap_or_default())
    }

    pub fn strings(&mut self, name: &str) -> Field<Vec<String>> {
        let ok = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        self.get(name, "an array of strings", ok).map(|v| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// A required field: records "is required" when absent or null.
    pub fn require<T>(&mut self, name: &str, f: Field<T>) -> Option<T> {
        match f {
            Field::Value(v) => Some(v),
            Field::Null | Field::Absent => {
                if !self.errors.iter().any(|e| e.field == name) {
                    self.error(name, format!("{name} is required"));
                }
                None
            }
        }
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(self.errors)
        }
    }
}

/// A text field with a length limit in characters; empty strings become "not set".
/// A whole number ≥ 0, as JSON Schema's `integer` counts them: `7` and `7.0` alike (some
/// clients and languages write every number with a fraction), up to 2^53 (exact in a double).
/// A boolean column read into a row struct as a `bool`: SQLite's 0/1 (a JS number), or a
/// JSON boolean (rows that went through a backup).
pub fn flag_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    Ok(v.as_bool().unwrap_or_else(|| v.as_f64().is_some_and(flag)))
}

/// SQLite has no booleans: D1 hands a flag column over as a number, 0 or 1.
pub fn flag(v: f64) -> bool {
    v != 0.0
}

pub fn whole(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(f))
            .map(|f| f as u64)
    })
}

pub fn text(r: &mut Reader, name: &str, max: usize) -> Field<String> {
    match r.string(name) {
        Field::Value(s) => {
            let s = s.trim().to_string();
            if s.chars().count() > max {
                r.error(name, format!("{name} must be at most {max} characters"));
                Field::Absent
            } else if s.is_empty() {
                Field::Null
            } else {
                Field::Value(s)
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        assert_eq!(whole(&json!(7)), Some(7));
        assert_eq!(whole(&json!(18843.0)), Some(18843));
        assert_eq!(whole(&json!(1.5)), None);
        assert_eq!(whole(&json!(-1)), None);
        assert_eq!(whole(&json!(-0.0)), Some(0));
        assert_eq!(whole(&json!(1e300)), None);
        assert_eq!(whole(&json!("7")), None);
    }

    #[test]
    fn reads_typed_fields_and_collects_errors() {
        let body = json!({"a": "x", "b": true, "c": 5, "d": ["p"], "e": null, "f": 1, "zz": 0});
        let mut r = Reader::new(&body, &["a", "b", "c", "d", "e", "f", "g"]).unwrap();
        assert_eq!(r.string("a"), Field::Value("x".into()));
        assert_eq!(r.bool("b"), Field::Value(true));
        assert_eq!(r.uint("c"), Field::Value(5));
        assert_eq!(r.strings("d"), Field::Value(vec!["p".into()]));
        assert_eq!(r.string("e"), Field::Null);
        assert_eq!(r.string("f"), Field::Absent);
        assert_eq!(r.string("g"), Field::Absent);
        let fields: Vec<String> = r.errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["zz", "f"]);
    }

    #[test]
    fn negative_and_fractional_numbers_are_not_uints() {
        let body = json!({"a": -1, "b": 1.5});
        let mut r = Reader::new(&body, &["a", "b"]).unwrap();
        assert_eq!(r.uint("a"), Field::Absent);
        assert_eq!(r.uint("b"), Field::Absent);
        assert_eq!(r.errors.len(), 2);
    }

    #[test]
    fn text_limits_and_trims() {
        let body = json!({"t": "  hi  ", "long": "ab", "empty": " "});
        let mut r = Reader::new(&body, &["t", "long", "empty"]).unwrap();
        assert_eq!(text(&mut r, "t", 5), Field::Value("hi".into()));
        assert_eq!(text(&mut r, "long", 1), Field::Absent);
        assert_eq!(text(&mut r, "empty", 5), Field::Null);
        assert_eq!(r.errors.len(), 1);
    }

    #[test]
    fn require_reports_missing_once() {
        let body = json!({"u": 1});
        let mut r = Reader::new(&body, &["u", "v"]).unwrap();
        let u = r.string("u");
        assert_eq!(r.require("u", u), None::<String>);
        let v = r.string("v");
        assert_eq!(r.require("v", v), None::<String>);
        let msgs: Vec<&str> = r.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, ["u must be a string", "v is required"]);
    }

    #[test]
    fn non_objects_are_refused() {
        assert!(Reader::new(&json!([1]), &[]).is_err());
        assert!(Reader::new(&json!("x"), &[]).is_err());
    }
}
