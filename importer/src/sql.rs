//! The plan as SQL for `wrangler d1 execute --file`. Each record is inserted only if the
//! import ledger has not seen it, then recorded there: running the file again, or a later
//! export that still holds records imported before, adds only what is new. Neither clicks
//! that retention has deleted since nor links their owners deleted come back, and nothing is
//! counted twice. No transaction statements: D1 runs a file as one batch.

use serde_json::Value;

use crate::plan::{Plan, TABLES};

fn sql_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => i64::from(*b).to_string(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => format!("'{}'", other.to_string().replace('\'', "''")),
    }
}

pub fn sql(p: &Plan, now: &str) -> String {
    let mut out = String::from("-- uload-import: PocketBase data for uload-edge (idempotent)\n");
    let now = sql_value(&Value::from(now));
    for table in TABLES {
        let rows = p.rows.get(table).into_iter().flatten();
        let keys = p.keys.get(table).into_iter().flatten();
        for (row, key) in rows.zip(keys) {
            let cols: Vec<&str> = row.keys().copied().collect();
            let vals: Vec<String> = row.values().map(sql_value).collect();
            let key = sql_value(&Value::from(key.as_str()));
            out.push_str(&format!(
                "INSERT INTO {table} ({}) SELECT {} WHERE NOT EXISTS (SELECT 1 FROM import_ledger WHERE key = {key}) ON CONFLICT DO NOTHING;\n\
                 INSERT INTO import_ledger (key, imported_at) VALUES ({key}, {now}) ON CONFLICT DO NOTHING;\n",
                cols.join(", "),
                vals.join(", ")
            ));
        }
    }
    out
}
