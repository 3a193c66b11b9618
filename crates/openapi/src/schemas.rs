//! The JSON Schemas of the API's response types, from the types themselves (schemars, with
//! serde's serialisation rules: an `Option` is a required, nullable member, a
//! `skip_serializing_if` one may be absent). Each is a component of the document, placed by
//! a `{{schema::Name}}` placeholder.

use schemars::generate::{Contract, SchemaSettings};
use serde_json::Value;
use uload_core::link::LinkView;

pub fn schemas() -> Vec<(String, Value)> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.contract = Contract::Serialize;
            s.meta_schema = None;
        })
        .into_generator();
    generator.subschema_for::<LinkView>();
    generator
        .take_definitions(true)
        .into_iter()
        .map(|(name, schema)| (format!("schema::{name}"), schema))
        .collect()
}
