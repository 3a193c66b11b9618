#!/usr/bin/env node
// Creates the Cloudflare resources an environment of wrangler.toml needs and that do not
// exist yet (KV namespace, D1 database, R2 bucket, queues), and writes the KV namespace's
// and D1 database's ids into wrangler.toml and wrangler.visitor.toml (the visitor's worker
// shares them). Idempotent: what exists is found and reused,
// nothing is created twice, and an id already in wrangler.toml is never overwritten: if it
// is not the account's, the script stops and says so.
//
//   scripts/provision.sh [production|staging] [--dry-run]
//
// Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (or `wrangler login`). WRANGLER
// names the wrangler to run (default: the project's); --dry-run prints what would be run.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { unstable_readConfig } from "wrangler";

const ROOT = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");
const envName = args.find((a) => !a.startsWith("--")) ?? "production";
if (!["production", "staging"].includes(envName)) fail(`unknown environment '${envName}' (production or staging)`);
const env = envName === "production" ? undefined : envName;
const configPath = resolve(process.env.WRANGLER_CONFIG ?? join(ROOT, "wrangler.toml"));
// The visitor's worker shares the KV namespace and D1 database: its config gets the same ids.
const visitorPath = join(dirname(configPath), "wrangler.visitor.toml");
const wrangler = process.env.WRANGLER ?? join(ROOT, "node_modules", ".bin", "wrangler");

function fail(message) {
  console.error(`provision: ${message}`);
  process.exit(1);
}
const say = (message) => console.error(`provision: ${message}`);

/** Runs wrangler; `ok: false` instead of throwing when `allowFailure`. */
function run(argv, { allowFailure = false, mutates = false } = {}) {
  if (dryRun && mutates) {
    console.log(`would run: wrangler ${argv.join(" ")}`);
    return { ok: true, out: "" };
  }
  try {
    const out = execFileSync(wrangler, argv, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    return { ok: true, out };
  } catch (e) {
    if (allowFailure) return { ok: false, out: String(e.stdout ?? "") + String(e.stderr ?? "") };
    fail(`wrangler ${argv.join(" ")} failed:\n${e.stderr ?? e.message}`);
  }
}

/** The JSON array a list command prints (wrangler may print notices before it). */
function jsonList(text) {
  const start = text.indexOf("[");
  try {
    return JSON.parse(text.slice(start));
  } catch {
    fail(`could not read the list wrangler printed:\n${text.slice(0, 500)}`);
  }
}

/** Inserts `key = "value"` after `anchor` inside the table headed `header` of the TOML text. */
function insertAfter(text, header, anchor, line) {
  const at = text.indexOf(`${header}\n`);
  if (at < 0) fail(`wrangler.toml has no ${header}`);
  const next = text.indexOf("\n[", at + header.length);
  const section = text.slice(at, next < 0 ? undefined : next);
  const a = section.indexOf(anchor);
  if (a < 0) fail(`${header} has no ${anchor}`);
  const end = at + a + anchor.length;
  return `${text.slice(0, end)}\n${line}${text.slice(end)}`;
}

const config = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
const prefix = env ? `env.${env}.` : "";
let toml = readFileSync(configPath, "utf8");
let changed = false;
// Every binding's id, found or written: the visitor's config gets the same.
const ids = { kv: new Map(), d1: new Map() };

// KV: one namespace per binding, titled "<worker>-<binding>".
for (const kv of config.kv_namespaces) {
  const title = `${config.name}-${kv.binding}`;
  let found = jsonList(run(["kv", "namespace", "list"]).out).find((n) => n.title === title);
  if (kv.id && found && found.id !== kv.id) fail(`wrangler.toml has id ${kv.id} for ${kv.binding}, the account's "${title}" is ${found.id}: not overwriting`);
  if (kv.id && !found && !jsonList(run(["kv", "namespace", "list"]).out).some((n) => n.id === kv.id)) {
    fail(`wrangler.toml has id ${kv.id} for ${kv.binding}, which is not a namespace of this account`);
  }
  if (kv.id) {
    say(`KV ${kv.binding}: ${kv.id} (in wrangler.toml)`);
    ids.kv.set(kv.binding, kv.id);
    continue;
  }
  if (!found) {
    say(`KV ${kv.binding}: creating namespace "${title}"`);
    run(["kv", "namespace", "create", title], { mutates: true });
    if (dryRun) continue;
    found = jsonList(run(["kv", "namespace", "list"]).out).find((n) => n.title === title);
    if (!found) fail(`namespace "${title}" was created but is not listed`);
  }
  say(`KV ${kv.binding}: ${found.id}`);
  ids.kv.set(kv.binding, found.id);
  toml = insertAfter(toml, `[[${prefix}kv_namespaces]]`, `binding = "${kv.binding}"`, `id = "${found.id}"`);
  changed = true;
}

// D1: by database name.
for (const db of config.d1_databases) {
  let found = jsonList(run(["d1", "list", "--json"]).out).find((d) => d.name === db.database_name);
  if (db.database_id) {
    if (!found || found.uuid !== db.database_id) fail(`wrangler.toml has database_id ${db.database_id} for ${db.binding}, the account's "${db.database_name}" is ${found?.uuid ?? "missing"}: not overwriting`);
    say(`D1 ${db.binding}: ${db.database_id} (in wrangler.toml)`);
    ids.d1.set(db.binding, db.database_id);
    continue;
  }
  if (!found) {
    say(`D1 ${db.binding}: creating database "${db.database_name}"`);
    run(["d1", "create", db.database_name], { mutates: true });
    if (dryRun) continue;
    found = jsonList(run(["d1", "list", "--json"]).out).find((d) => d.name === db.database_name);
    if (!found) fail(`database "${db.database_name}" was created but is not listed`);
  }
  say(`D1 ${db.binding}: ${found.uuid}`);
  ids.d1.set(db.binding, found.uuid);
  toml = insertAfter(toml, `[[${prefix}d1_databases]]`, `database_name = "${db.database_name}"`, `database_id = "${found.uuid}"`);
  changed = true;
}

// R2 and queues are named in wrangler.toml: created when missing, nothing to write.
for (const bucket of config.r2_buckets) {
  if (run(["r2", "bucket", "info", bucket.bucket_name, "--json"], { allowFailure: true }).ok) {
    say(`R2 ${bucket.binding}: ${bucket.bucket_name} exists`);
  } else {
    say(`R2 ${bucket.binding}: creating bucket ${bucket.bucket_name}`);
    run(["r2", "bucket", "create", bucket.bucket_name], { mutates: true });
  }
}
const queues = new Set([
  ...config.queues.producers.map((q) => q.queue),
  ...config.queues.consumers.flatMap((q) => [q.queue, q.dead_letter_queue].filter(Boolean)),
]);
for (const queue of queues) {
  if (run(["queues", "info", queue], { allowFailure: true }).ok) {
    say(`queue ${queue} exists`);
  } else {
    say(`queue ${queue}: creating`);
    run(["queues", "create", queue], { mutates: true });
  }
}

if (changed && !dryRun) {
  writeFileSync(configPath, toml);
  say(`wrote the ids into ${configPath}: commit it`);
} else {
  say(dryRun ? "dry run: nothing created, nothing written" : "wrangler.toml already has every id");
}

// The visitor's worker: the same ids, written where missing, never overwritten.
if (existsSync(visitorPath) && !dryRun) {
  const visitor = unstable_readConfig({ config: visitorPath, env }, { hideWarnings: true });
  let text = readFileSync(visitorPath, "utf8");
  let wrote = false;
  // KV by its id, D1 by its database_id: the same rule for both.
  const kinds = [
    { what: "KV", table: "kv_namespaces", list: visitor.kv_namespaces, known: ids.kv, field: "id", anchor: (b) => `binding = "${b.binding}"` },
    { what: "D1", table: "d1_databases", list: visitor.d1_databases, known: ids.d1, field: "database_id", anchor: (b) => `database_name = "${b.database_name}"` },
  ];
  for (const { what, table, list, known, field, anchor } of kinds) {
    for (const binding of list) {
      const id = known.get(binding.binding);
      if (!id) fail(`${visitorPath} binds ${what} ${binding.binding}, which wrangler.toml does not`);
      if (binding[field] && binding[field] !== id) fail(`${visitorPath} has ${field} ${binding[field]} for ${binding.binding}, wrangler.toml ${id}: not overwriting`);
      if (binding[field]) continue;
      text = insertAfter(text, `[[${prefix}${table}]]`, anchor(binding), `${field} = "${id}"`);
      wrote = true;
    }
  }
  if (wrote) {
    writeFileSync(visitorPath, text);
    say(`wrote the same ids into ${visitorPath}: commit it`);
  }
}
