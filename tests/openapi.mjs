// Checks real responses against openapi/openapi.json: every documented status, content
// type and body schema. Undocumented statuses of documented operations are failures.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const ROOT = join(import.meta.dirname, "..");
export const OPENAPI = JSON.parse(readFileSync(join(ROOT, "openapi", "openapi.json"), "utf8"));
const BASE = "https://uload-edge.test/openapi.json";
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(OPENAPI, BASE);

// Templates sorted so literal segments win over {params} ("/links/bulk" before "/links/{id}").
const templates = Object.keys(OPENAPI.paths)
  .map((t) => ({
    t,
    // Literal parts are escaped ("/{code}+" ends in a literal "+").
    re: new RegExp("^" + t.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "/?$"),
    literal: t.replace(/\{[^}]+\}/g, "").length,
  }))
  .sort((a, b) => b.literal - a.literal);

const pointer = (...parts) => "#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const validators = new Map();
function validator(ptr) {
  if (!validators.has(ptr)) validators.set(ptr, ajv.compile({ $ref: BASE + ptr }));
  return validators.get(ptr);
}

/** The operation of a request, or undefined when the path is not documented. */
export function operation(method, path) {
  const pathname = new URL(path, "http://x").pathname;
  const match = templates.find(({ re }) => re.test(pathname));
  if (!match) return undefined;
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  return { template: match.t, method: m, op: OPENAPI.paths[match.t][m] };
}

/** Throws unless `res` (a fetch Response) is what the document promises. Returns `res`. */
export async function conforms(res, method, path) {
  const found = operation(method, path);
  if (!found) return res;
  const where = `${method} ${path} → ${res.status}`;
  if (!found.op) {
    if (res.status !== 405) throw new Error(`${where}: method not documented and not answered 405`);
    return res;
  }
  let resp = found.op.responses[String(res.status)] ?? found.op.responses.default;
  if (!resp) throw new Error(`${where}: status not documented for ${found.method.toUpperCase()} ${found.template}`);
  if (resp.$ref) resp = OPENAPI.components.responses[resp.$ref.split("/").pop()];
  const text = await res.clone().text();
  if (!resp.content) {
    if (text.length) throw new Error(`${where}: documented without a body, got ${text.slice(0, 100)}`);
    return res;
  }
  const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  const media = resp.content[type];
  if (!media) throw new Error(`${where}: content type ${type} not documented (${Object.keys(resp.content)})`);
  if (!type.endsWith("json")) return res;
  const statusKey = found.op.responses[String(res.status)] ? String(res.status) : "default";
  const ref = found.op.responses[statusKey].$ref;
  const ptr = ref
    ? ref.slice(ref.indexOf("#")) + pointer("content", type, "schema").slice(1)
    : pointer("paths", found.template, found.method, "responses", statusKey, "content", type, "schema");
  const validate = validator(ptr);
  const body = JSON.parse(text);
  if (!validate(body)) {
    throw new Error(`${where}: body does not match the schema: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  }
  return res;
}

/** Throws unless `value` matches the document's component schema `name` (e.g. a webhook
 * payload a receiver got, which no response check sees). */
export function assertSchema(name, value) {
  const validate = validator(pointer("components", "schemas", name));
  if (!validate(value)) throw new Error(`not a ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}
