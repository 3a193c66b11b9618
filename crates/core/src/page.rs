//! A list the API answers whole: `{"data": [...]}` (lists that page have their own type,
//! e.g. `listing::LinkList`).

use schemars::JsonSchema;
use serde::Serialize;

/// All of them, in one answer.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "{T}List", deny_unknown_fields)]
pub struct List<T> {
    pub data: Vec<T>,
}

impl<T> From<Vec<T>> for List<T> {
    fn from(data: Vec<T>) -> Self {
        List { data }
    }
}
