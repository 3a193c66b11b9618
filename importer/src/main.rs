//! uload-import: uLoad's PocketBase data → SQL for uload-edge's D1.
//!
//!   uload-import --sqlite pb_data/data.db --out import.sql
//!   uload-import --json pages/ --dry-run
//!   uload-import --csv exports/ --out import.sql --skipped skipped.jsonl
//!
//! Then: `wrangler d1 execute DB --remote --file import.sql` and
//! `POST /api/v1/admin/reconcile` (publishes the links to KV, counts imported clicks, seeds
//! the max_clicks counters). Progress goes to stderr; the report (JSON) to stdout with
//! `--dry-run`, else to stderr; the SQL to `--out` (or stdout).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use uload_import::{plan_with, read_csv_dir, read_json_dir, read_sqlite, report, sql};

const USAGE: &str = "usage: uload-import (--sqlite FILE | --json DIR | --csv DIR) [--out FILE] [--dry-run] [--skipped FILE] [--short-domains ulo.ad,…] [--blocked-domains a.example,…]\n  --short-domains / --blocked-domains: the worker's SHORT_BASE_URL host and SHORT_DOMAINS, and its BLOCKED_DOMAINS (targets on them are refused, as the API refuses them); default: ulo.ad, none";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uload-import: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut source = None;
    let mut out: Option<PathBuf> = None;
    let mut skipped_file: Option<PathBuf> = None;
    let mut dry_run = false;
    let mut short_domains = vec!["ulo.ad".to_string()];
    let mut blocked_domains: Vec<String> = Vec::new();
    let list = |v: String| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--sqlite" | "--json" | "--csv" => source = Some((a.clone(), PathBuf::from(value()?))),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--skipped" => skipped_file = Some(PathBuf::from(value()?)),
            "--dry-run" => dry_run = true,
            "--short-domains" => short_domains = list(value()?),
            "--blocked-domains" => blocked_domains = list(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let (kind, path) = source.ok_or(USAGE)?;
    eprintln!("uload-import: reading {} ({kind})", path.display());
    let collections = match kind.as_str() {
        "--sqlite" => read_sqlite(&path),
        "--json" => read_json_dir(&path),
        _ => read_csv_dir(&path),
    }?;
    let read: Vec<String> = uload_import::read::READ
        .iter()
        .map(|c| format!("{} {c}", collections.get(c).len()))
        .collect();
    eprintln!("uload-import: read {}", read.join(", "));
    let now = uload_core::time::format(std::time::SystemTime::now().into());
    let policy = uload_core::target::Policy::new(&short_domains, &blocked_domains);
    let plan = plan_with(&collections, &now, &policy, |done, total| {
        eprintln!("uload-import: mapped {done} of {total} records");
    });
    let skipped: Vec<serde_json::Value> = plan
        .skipped
        .iter()
        .map(|s| json!({ "collection": s.collection, "id": s.id, "reason": s.reason, "kind": "skipped" }))
        .collect();
    let notes: Vec<serde_json::Value> = plan
        .notes
        .iter()
        .map(|s| json!({ "collection": s.collection, "id": s.id, "reason": s.reason, "kind": "note" }))
        .collect();
    for s in &skipped {
        eprintln!("uload-import: skipped {s}");
    }
    for n in &notes {
        eprintln!("uload-import: note {n}");
    }
    if let Some(f) = &skipped_file {
        let lines: String = skipped
            .iter()
            .chain(&notes)
            .map(|s| format!("{s}\n"))
            .collect();
        std::fs::write(f, lines).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    let report = report(&collections, &plan, dry_run);
    if dry_run {
        println!("{report}");
        eprintln!("uload-import: dry run, nothing written");
        return Ok(());
    }
    let text = sql(&plan, &now);
    match &out {
        Some(f) => std::fs::write(f, &text).map_err(|e| format!("{}: {e}", f.display()))?,
        None => print!("{text}"),
    }
    eprintln!("uload-import: {report}");
    Ok(())
}
