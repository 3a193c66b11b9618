#!/usr/bin/env node
// Refuses a deploy config that would not serve ulo.ad: a loopback or localhost value, an
// empty or non-https origin, no route for the short domain, a *.workers.dev copy, a
// placeholder resource id, or a queue consumer without a bound on its concurrency. Run by the deploy workflow before every deploy, and by the tests.
//   node scripts/check-config.mjs [production|staging]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { unstable_readConfig } from "wrangler";

const LOCAL = /(^|[/@.:\s,])(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|::1)([/:\s,]|$)/i;
// All zeros, all one digit, or a "<...>"/"REPLACE"/"TODO"/"xxx" stand-in.
const PLACEHOLDER = /^(?:[0-]+[0-9]?|(.)\1+|<.*>|.*(?:replace|todo|xxx|changeme|placeholder).*)$/i;

/** Problems of one environment of a wrangler config (none: it deploys as is). */
export function configProblems(configPath, envName = "production") {
  const env = envName === "production" ? undefined : envName;
  const config = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
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
  if (!patterns.some((p) => p === shortHost || p.startsWith(`${shortHost}/`))) found.push(`no route for the short domain ${shortHost || "(unknown)"}`);
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const envName = process.argv[2] ?? "production";
  const problems = configProblems(resolve(import.meta.dirname, "..", "wrangler.toml"), envName);
  for (const p of problems) console.error(`check-config (${envName}): ${p}`);
  if (problems.length) process.exit(1);
  console.error(`check-config (${envName}): ok`);
}
