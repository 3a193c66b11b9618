//! `cargo run -p uload-openapi`: writes openapi/openapi.json from openapi/source.json and the
//! rules of uload-core (then `npm run types` regenerates the TypeScript types from it).

fn main() {
    let root = uload_openapi::root();
    let source = std::fs::read_to_string(root.join("openapi/source.json"))
        .unwrap_or_else(|e| panic!("openapi/source.json: {e}"));
    match uload_openapi::generate(&source) {
        Ok(doc) => {
            std::fs::write(root.join("openapi/openapi.json"), doc)
                .unwrap_or_else(|e| panic!("openapi/openapi.json: {e}"));
            eprintln!("openapi/openapi.json written");
        }
        Err(e) => {
            eprintln!("openapi/source.json: {e}");
            std::process::exit(1);
        }
    }
}
