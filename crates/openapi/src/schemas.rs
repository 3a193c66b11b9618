//! The JSON Schemas of the API's response types, from the types themselves (schemars, with
//! serde's serialisation rules: an `Option` is a required, nullable member, a
//! `skip_serializing_if` one may be absent). Each is a component of the document, placed by
//! a `{{schema::Name}}` placeholder.

use schemars::generate::{Contract, SchemaSettings};
use serde_json::Value;
use uload_core::abuse::{Allowed, AuditEntry, BlockState, Denied, DenyEntry, HoldReleased};
use uload_core::audit::Reconciled;
use uload_core::backup::{BackupListed, RestoreResult};
use uload_core::code::Availability;
use uload_core::health::{Health, ReadyDetailed, ReadyPublic};
use uload_core::inspect::Inspection;
use uload_core::link::{BulkCreated, BulkDeleted, BulkUpdated, LinkView};
use uload_core::listing::LinkList;
use uload_core::page::List;
use uload_core::problem::Problem;
use uload_core::profile::User;
use uload_core::report::{ReportEntry, ReportReceived};
use uload_core::restore::ModeView;
use uload_core::scope::{ApiKeyCreated, ApiKeyView};
use uload_core::stats::LinkStats;
use uload_core::tag::Tag;
use uload_core::webhook::{Attempt, Endpoint, EndpointWithSecret, Payload, TestQueued};
use uload_core::workspace::Workspace;

pub fn schemas() -> Vec<(String, Value)> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.contract = Contract::Serialize;
            s.meta_schema = None;
        })
        .into_generator();
    generator.subschema_for::<LinkView>();
    generator.subschema_for::<Problem>();
    generator.subschema_for::<Tag>();
    generator.subschema_for::<User>();
    generator.subschema_for::<Workspace>();
    generator.subschema_for::<Inspection>();
    generator.subschema_for::<DenyEntry>();
    generator.subschema_for::<AuditEntry>();
    generator.subschema_for::<ReportEntry>();
    generator.subschema_for::<Attempt>();
    generator.subschema_for::<LinkStats>();
    generator.subschema_for::<LinkList>();
    generator.subschema_for::<List<Tag>>();
    generator.subschema_for::<ApiKeyCreated>();
    generator.subschema_for::<List<ApiKeyView>>();
    generator.subschema_for::<EndpointWithSecret>();
    generator.subschema_for::<List<Endpoint>>();
    generator.subschema_for::<List<Attempt>>();
    generator.subschema_for::<BulkCreated>();
    generator.subschema_for::<BulkUpdated>();
    generator.subschema_for::<BulkDeleted>();
    generator.subschema_for::<Health>();
    generator.subschema_for::<ReadyPublic>();
    generator.subschema_for::<ReadyDetailed>();
    generator.subschema_for::<ModeView>();
    generator.subschema_for::<Availability>();
    generator.subschema_for::<List<BackupListed>>();
    generator.subschema_for::<RestoreResult>();
    generator.subschema_for::<Reconciled>();
    generator.subschema_for::<Denied>();
    generator.subschema_for::<Allowed>();
    generator.subschema_for::<BlockState>();
    generator.subschema_for::<HoldReleased>();
    generator.subschema_for::<ReportReceived>();
    generator.subschema_for::<TestQueued>();
    generator.subschema_for::<Payload>();
    generator.subschema_for::<List<DenyEntry>>();
    generator.subschema_for::<List<AuditEntry>>();
    generator.subschema_for::<List<ReportEntry>>();
    generator
        .take_definitions(true)
        .into_iter()
        .map(|(name, mut schema)| {
            drop_rust_formats(&mut schema);
            (format!("schema::{name}"), schema)
        })
        .collect()
}

/// schemars names Rust's integer types as formats (`uint64`, `uint16`…), which neither
/// JSON Schema nor OpenAPI defines (validators warn about them); `minimum`/`maximum` already
/// say the range, so they go.
fn drop_rust_formats(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let rust = o.get("format").and_then(Value::as_str).is_some_and(|f| {
                f.starts_with("uint") || f == "int" || f == "int8" || f == "int16"
            });
            if rust {
                o.remove("format");
            }
            o.values_mut().for_each(drop_rust_formats);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_rust_formats),
        _ => {}
    }
}
