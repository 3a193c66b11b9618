#!/usr/bin/env node
// Refuses a deploy config that would not serve ulo.ad: a loopback or localhost value, an
// empty or non-https origin, a route on the wrong worker (the visitor's worker holds the
// short domain's, the whole worker none), a *.workers.dev copy, a placeholder resource id, a
// queue consumer without a bound on its concurrency, or a visitor's worker that does not
// share the whole worker's vars, data and objects. Run by the deploy workflow before every
// deploy, and by the tests.
//   node scripts/check-config.mjs [production|staging]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { unstable_readConfig } from "wrangler";

const LOCAL = /(^|[/@.:\s,])(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|::1)([/:\s,]|$)/i;
// All zeros, all one digit, or a "<...>"/"REPLACE"/"TODO"/"xxx" stand-in.
const PLACEHOLDER = /^(?:[0-]+[0-9]?|(.)\1+|<.*>|.*(?:replace|todo|xxx|changeme|placeholder).*)$/i;

const read = (configPath, envName) =>
  unstable_readConfig({ config: configPath, env: envName === "production" ? undefined : envName }, { hideWarnings: true });

/**
 * Problems of one environment of one wrangler config (none: it deploys as is). `role`:
 * "visitor" (wrangler.visitor.toml: it must hold the short domain's route) or "whole"
 * (wrangler.toml: no route, reached through the visitor's service binding).
 */
export function configProblems(configPath, envName = "production", role = "whole") {
  const config = read(configPath, envName);
  const found = [];
  const vars = config.vars ?? {};
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value === "string" && LOCAL.test(value)) found.push(`${name}=${value} is a local address`);
  }
  const https = (name) => {
    const value = vars[name];
    if (!value) return found.push(`${name} is empty`);
    for (const item of String(value).split(",").map((s) => s.trim())) {
      let url;
      try {
        url = new URL(item);
      } catch {
        found.push(`${name}: ${item} is not a URL`);
        continue;
      }
      if (url.protocol !== "https:") found.push(`${name}: ${item} is not https`);
    }
  };
  https("SHORT_BASE_URL");
  https("ORIGIN_URL");
  https("ALLOWED_ORIGINS");
  const routes = [...(config.routes ?? []), ...(config.route ? [config.route] : [])];
  const patterns = routes.map((r) => (typeof r === "string" ? r : r.pattern));
  let shortHost = "";
  try {
    shortHost = new URL(vars.SHORT_BASE_URL).host;
  } catch {
    // reported above
  }
  if (role === "visitor" && !patterns.some((p) => p === shortHost || p.startsWith(`${shortHost}/`))) found.push(`no route for the short domain ${shortHost || "(unknown)"}`);
  if (role === "whole" && patterns.length) found.push(`the whole worker has routes (${patterns.join(", ")}): the visitor's worker holds the short domain's route`);
  if (config.workers_dev !== false) found.push("workers_dev is not false: a *.workers.dev copy would bypass the route");
  if (vars.ORIGIN_URL && shortHost && new URL(vars.ORIGIN_URL).host === shortHost) found.push("ORIGIN_URL is the short domain itself: the route would catch the worker's own requests");
  const ids = [
    ...config.kv_namespaces.map((k) => [`KV ${k.binding}`, k.id]),
    ...config.d1_databases.map((d) => [`D1 ${d.binding}`, d.database_id]),
  ];
  for (const [what, id] of ids) {
    if (id !== undefined && PLACEHOLDER.test(id)) found.push(`${what} has the placeholder id ${id}`);
  }
  for (const [what, name] of [...config.d1_databases.map((d) => ["D1", d.database_name]), ...config.r2_buckets.map((b) => ["R2", b.bucket_name])]) {
    if (!name) found.push(`${what} has no name`);
  }
  // D1 runs one query at a time: the click consumers must not scale out without bound
  // (docs/CAPACITY.md, the click pipeline).
  for (const c of config.queues?.consumers ?? []) {
    const n = c.max_concurrency;
    if (!Number.isInteger(n) || n < 1 || n > 10) found.push(`queue consumer ${c.queue}: max_concurrency must be set between 1 and 10 (D1 sees a bounded load), not ${n}`);
  }
  return found;
}

/**
 * Problems of the pair that is deployed: each config on its own, and the visitor's worker
 * in front of the whole one: the same vars, KV namespace, D1 database, R2 bucket and queues
 * (producers only), the whole worker's objects by script_name, its API service binding to
 * the whole worker, and nothing that runs on its own (crons, consumers, object classes).
 */
export function splitProblems(wholePath, visitorPath, envName = "production") {
  const found = [...configProblems(wholePath, envName, "whole"), ...configProblems(visitorPath, envName, "visitor").map((p) => `visitor: ${p}`)];
  const whole = read(wholePath, envName);
  const visitor = read(visitorPath, envName);
  const differ = (what, a, b) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) found.push(`visitor: ${what} differ from the whole worker's: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  };
  const sorted = (o) => Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  differ("vars", sorted(whole.vars), sorted(visitor.vars));
  differ("KV namespaces", whole.kv_namespaces.map((k) => [k.binding, k.id]), visitor.kv_namespaces.map((k) => [k.binding, k.id]));
  differ("D1 databases", whole.d1_databases.map((d) => [d.binding, d.database_name, d.database_id]), visitor.d1_databases.map((d) => [d.binding, d.database_name, d.database_id]));
  differ("R2 buckets", whole.r2_buckets.map((b) => [b.binding, b.bucket_name]), visitor.r2_buckets.map((b) => [b.binding, b.bucket_name]));
  differ("queue producers", whole.queues.producers.map((q) => [q.binding, q.queue]), visitor.queues.producers.map((q) => [q.binding, q.queue]));
  differ("objects", whole.durable_objects.bindings.map((d) => [d.name, d.class_name, whole.name]), visitor.durable_objects.bindings.map((d) => [d.name, d.class_name, d.script_name]));
  const api = (visitor.services ?? []).find((s) => s.binding === "API");
  if (api?.service !== whole.name) found.push(`visitor: the API service binding must name the whole worker ${whole.name}, not ${api?.service}`);
  if (visitor.queues.consumers?.length) found.push("visitor: it consumes queues (the whole worker does)");
  if (visitor.triggers?.crons?.length) found.push("visitor: it has crons (the whole worker runs them)");
  if (visitor.migrations?.length) found.push("visitor: it declares object classes (they are the whole worker's)");
  return found;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const envName = process.argv[2] ?? "production";
  const root = resolve(import.meta.dirname, "..");
  const problems = splitProblems(resolve(root, "wrangler.toml"), resolve(root, "wrangler.visitor.toml"), envName);
  for (const p of problems) console.error(`check-config (${envName}): ${p}`);
  if (problems.length) process.exit(1);
  console.error(`check-config (${envName}): ok`);
}
