use super::*;
use serde_json::json;

/// The committed document.
fn document() -> Value {
    let text = std::fs::read_to_string(root().join("openapi/openapi.json")).expect("document");
    serde_json::from_str(&text).expect("JSON")
}

/// The names of an object's members.
fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn vals(list: &[(&str, Value)]) -> Vec<(String, Value)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let root = root();
    let source = std::fs::read_to_string(root.join("openapi/source.json")).expect("source");
    let committed = std::fs::read_to_string(root.join("openapi/openapi.json")).expect("document");
    let generated = generate(&source).expect("the source fills in");
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(g, c)| g != c)
            .map_or(0, |i| i + 1);
        panic!(
            "openapi/openapi.json is not what openapi/source.json and uload-core give \
             (first difference at line {line}): run `npm run openapi`"
        );
    }
}

#[test]
fn the_document_states_the_rules_the_code_applies() {
    let doc: Value = serde_json::from_str(
        &generate(&std::fs::read_to_string(root().join("openapi/source.json")).expect("source"))
            .expect("fills in"),
    )
    .expect("JSON");
    let schemas = &doc["components"]["schemas"];
    let codes: Vec<&str> = uload_core::problem::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        schemas["Problem"]["properties"]["code"]["enum"],
        json!(codes)
    );
    let create = &schemas["LinkCreate"]["properties"];
    assert_eq!(
        create["title"]["maxLength"],
        json!(uload_core::link::MAX_TITLE)
    );
    assert_eq!(
        create["url"]["maxLength"],
        json!(uload_core::target::MAX_LEN)
    );
    assert_eq!(
        create["code"]["pattern"],
        json!("^([a-z0-9_-]{3,30}/)?[A-Za-z0-9_-]{3,50}$")
    );
    assert_eq!(
        create["redirect_status"]["enum"],
        json!([301, 302, 307, 308])
    );
}

#[test]
fn a_whole_placeholder_becomes_the_value_indented_like_its_line() {
    let values = vals(&[("a::N", json!(7)), ("a::L", json!(["x", "y"]))]);
    let source = "{\n  \"n\": \"{{a::N}}\",\n  \"l\": \"{{a::L}}\"\n}\n";
    assert_eq!(
        fill(source, &values).unwrap(),
        "{\n  \"n\": 7,\n  \"l\": [\n    \"x\",\n    \"y\"\n  ]\n}\n"
    );
}

#[test]
fn inside_a_string_a_placeholder_becomes_its_text_escaped() {
    let values = vals(&[("a::MIN", json!(3)), ("a::RE", json!("\\d"))]);
    let source = r#"{"p": "^{{a::RE}}{{{a::MIN}},}$"}"#;
    assert_eq!(fill(source, &values).unwrap(), r#"{"p": "^\\d{3,}$"}"#);
}

#[test]
fn unknown_names_unused_rules_and_broken_json_are_errors() {
    let values = vals(&[("a::N", json!(1)), ("a::M", json!(2))]);
    let unknown = fill(r#"{"n": "{{a::X}}"}"#, &values).unwrap_err();
    assert!(
        unknown.contains("unknown placeholder {{a::X}}"),
        "{unknown}"
    );
    let unused = fill(r#"{"n": "{{a::N}}"}"#, &values).unwrap_err();
    assert!(unused.contains("a::M"), "{unused}");
    let arrays_in_text = fill(r#"{"n": "x{{a::L}}"}"#, &vals(&[("a::L", json!([1]))])).unwrap_err();
    assert!(
        arrays_in_text.contains("inside a string"),
        "{arrays_in_text}"
    );
    assert!(fill(r#"{"n": "{{a::N}}" "#, &vals(&[("a::N", json!(1))])).is_err());
}

#[test]
fn braces_that_are_not_placeholders_are_left_alone() {
    let text = r#"{"p": "^[a-z]{1,64}$", "q": "{{ not one }}"}"#;
    assert_eq!(fill(text, &[]).unwrap(), text);
}

#[test]
fn the_link_schema_has_exactly_the_members_a_link_serialises_to() {
    use uload_core::link::{Link, LinkView};
    let doc = document();
    let schema = &doc["components"]["schemas"]["Link"];
    let link = Link {
        id: "abc".into(),
        ..Default::default()
    };
    let view = LinkView {
        link: &link,
        short_url: "https://ulo.ad/abc".into(),
        url_display: "https://example.com/".into(),
        warnings: vec!["w"],
    };
    let value = serde_json::to_value(&view).expect("serialises");
    let declared = keys(&schema["properties"]);
    assert_eq!(keys(&value), declared);
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let optional: Vec<&str> = declared.difference(&required).copied().collect();
    assert_eq!(optional, ["warnings"], "only the warnings may be left out");
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["properties"]["click_count"],
        json!({
            "type": "integer",
            "minimum": 0,
            "description": "Clicks by people (bots excluded), exact; updated seconds after each click."
        }),
        "no Rust integer format (uint64) left"
    );
}

/// Every request body the document describes accepts exactly the members the worker's
/// parser reads (`Reader::new(body, FIELDS)` refuses any other with a 422), and no other.
#[test]
fn each_request_body_declares_the_members_its_parser_accepts() {
    use uload_core::{abuse, link, profile, restore, scope, tag, webhook, workspace};
    let doc = document();
    let link_update: Vec<&str> = link::FIELDS
        .iter()
        .chain(link::READ_ONLY)
        .copied()
        .collect();
    let cases: [(&str, &str, &[&str]); 18] = [
        ("post", "/api/v1/links", link::FIELDS),
        ("patch", "/api/v1/links/{id}", &link_update),
        ("post", "/api/v1/links/bulk", link::BULK_CREATE_FIELDS),
        (
            "post",
            "/api/v1/links/bulk/delete",
            link::BULK_DELETE_FIELDS,
        ),
        (
            "post",
            "/api/v1/links/bulk/update",
            link::BULK_UPDATE_FIELDS,
        ),
        ("post", "/api/v1/links/bulk/tag", link::BULK_TAG_FIELDS),
        ("post", "/api/v1/tags", tag::FIELDS),
        ("patch", "/api/v1/tags/{id}", tag::FIELDS),
        ("post", "/api/v1/tags/{id}/merge", tag::MERGE_FIELDS),
        ("post", "/api/v1/api-keys", scope::KEY_FIELDS),
        ("put", "/api/v1/users/{id}", profile::FIELDS),
        ("patch", "/api/v1/users/{id}", profile::FIELDS),
        ("put", "/api/v1/workspaces/{slug}", workspace::FIELDS),
        ("post", "/api/v1/webhooks", webhook::FIELDS),
        ("patch", "/api/v1/webhooks/{id}", webhook::FIELDS),
        ("put", "/api/v1/admin/restore-mode", restore::MODE_FIELDS),
        ("post", "/api/v1/admin/denylist", abuse::DENY_FIELDS),
        (
            "post",
            "/api/v1/admin/links/{id}/block",
            abuse::BLOCK_FIELDS,
        ),
    ];
    let resolve = |s: &Value| -> Value {
        match s["$ref"].as_str() {
            Some(r) => doc.pointer(&r[1..]).cloned().expect("a known component"),
            None => s.clone(),
        }
    };
    let mut described = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            described += 1;
            if path == "/abuse/report" {
                continue; // A public form: unknown members are ignored, not refused.
            }
            let (_, _, fields) = cases
                .iter()
                .find(|(m, p, _)| m == method && p == path)
                .unwrap_or_else(|| panic!("{method} {path}: which fields does its parser accept?"));
            let schema = resolve(&body["content"]["application/json"]["schema"]);
            let declared = keys(&schema["properties"]);
            let accepted: BTreeSet<&str> = fields.iter().copied().collect();
            assert_eq!(declared, accepted, "{method} {path}");
            assert_eq!(
                schema["additionalProperties"],
                json!(false),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        described,
        cases.len() + 1,
        "every case is a documented body"
    );
}
