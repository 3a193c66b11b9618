#!/usr/bin/env node
// Where the wasm's bytes go (scripts/bench.sh size): the deployed module's sections, then
// the code by crate and the largest functions and data segments, read from the named copy
// the build keeps (build/symbols/index_bg.wasm). No tool beyond node: the name section
// gives each function's name, the code section its body.
//
// "gzip alone" is each part compressed on its own: parts share a dictionary in the real
// upload, so these overstate a little, but they rank what removing a part would save.
// Handlers are inlined into the runtime's entry points (`future_to_promise` closures of
// js_sys hold the fetch, queue, scheduled and Durable Object handlers), so a crate's figure
// is the code that kept its own name, not everything it caused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { functionNames, leb, sections } from '../scripts/wasm-names.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
// `node bench/size.mjs build-visitor`: the visitor's worker's module instead.
const BUILD = process.argv[2] ?? 'build';
const deployed = readFileSync(join(ROOT, BUILD, 'index_bg.wasm'));
const named = readFileSync(join(ROOT, BUILD, 'symbols', 'index_bg.wasm'));
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** How many functions are imported (they come first in the function index space). */
function importedFunctions(bytes) {
  const section = sections(bytes).find((s) => s.id === 2);
  if (!section) return 0;
  let [count, at] = leb(bytes, section.body);
  let functions = 0;
  const skipLimits = (p) => { const flag = bytes[p]; let [, q] = leb(bytes, p + 1); if (flag & 1) [, q] = leb(bytes, q); return q; };
  while (count-- > 0) {
    for (let k = 0; k < 2; k++) { const [len, s] = leb(bytes, at); at = s + len; }
    const kind = bytes[at++];
    if (kind === 0) { functions++; [, at] = leb(bytes, at); }
    else if (kind === 1) at = skipLimits(at + 1);
    else if (kind === 2) at = skipLimits(at);
    else if (kind === 3) at += 2;
    else if (kind === 4) [, at] = leb(bytes, at + 1);
    else throw new Error(`import kind ${kind}`);
  }
  return functions;
}

/** Each function body: { index, bytes }. */
function bodies(bytes) {
  const section = sections(bytes).find((s) => s.id === 10);
  let [count, at] = leb(bytes, section.body);
  const first = importedFunctions(bytes);
  const out = [];
  for (let i = 0; i < count; i++) {
    const [size, body] = leb(bytes, at);
    out.push({ index: first + i, bytes: bytes.subarray(body, body + size) });
    at = body + size;
  }
  return out;
}

/** Each active data segment's bytes. */
function dataSegments(bytes) {
  const section = sections(bytes).find((s) => s.id === 11);
  let [count, at] = leb(bytes, section.body);
  const out = [];
  while (count-- > 0) {
    const [flag, p] = leb(bytes, at);
    at = p;
    if (flag === 2) [, at] = leb(bytes, at);
    if (flag !== 1) { while (bytes[at] !== 0x0b) at++; at++; }
    const [size, body] = leb(bytes, at);
    out.push(bytes.subarray(body, body + size));
    at = body + size;
  }
  return out;
}

/** The crate a demangled Rust name belongs to (the impl's type for `<T as Trait>::f`). */
function crateOf(name) {
  if (/^js_sys::futures::future_to_promise/.test(name)) return 'entry points (handlers inlined)';
  const m = name.match(/^<?(?:&(?:mut )?)?(?:\[)?([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  if (m) return m[1];
  if (/^(__wbg|__wbindgen|__externref|wasm_bindgen)/.test(name)) return 'wasm_bindgen';
  if (/^<(f32|f64|u\d+|i\d+|usize|isize|bool|char|str)\b/.test(name)) return 'core';
  return 'other';
}

const sectionNames = { 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export', 9: 'element', 10: 'code', 11: 'data', 12: 'data count', 13: 'tag' };
console.log(`deployed module: ${deployed.length} bytes, ${gz(deployed)} gzipped (${kib(gz(deployed))}); with names: ${named.length} bytes, ${gz(named)} gzipped`);
console.log('\n| section | bytes | gzip alone |\n|---|---:|---:|');
for (const s of sections(named)) {
  const part = named.subarray(s.start, s.end);
  if (part.length < 1024) continue;
  console.log(`| ${s.id === 0 ? `custom "${s.name}"${s.name === 'name' ? ' (kept in build/symbols/ only)' : ''}` : sectionNames[s.id] ?? s.id} | ${part.length} | ${gz(part)} |`);
}

const names = functionNames(named);
const byCrate = new Map();
const functions = bodies(named).map((f) => ({ ...f, name: names.get(f.index) ?? `function ${f.index}` }));
for (const f of functions) {
  const crate = crateOf(f.name);
  byCrate.set(crate, [...(byCrate.get(crate) ?? []), f.bytes]);
}
const crates = [...byCrate].map(([crate, parts]) => ({ crate, count: parts.length, bytes: parts.reduce((n, p) => n + p.length, 0), gzip: gz(Buffer.concat(parts)) }));
crates.sort((a, b) => b.gzip - a.gzip);
console.log('\n| code by crate | functions | bytes | gzip alone |\n|---|---:|---:|---:|');
for (const c of crates.slice(0, 25)) console.log(`| ${c.crate} | ${c.count} | ${c.bytes} | ${c.gzip} |`);

functions.sort((a, b) => b.bytes.length - a.bytes.length);
console.log('\n| largest functions | bytes | gzip alone |\n|---|---:|---:|');
for (const f of functions.slice(0, 15)) console.log(`| \`${f.name.replace(/::h[0-9a-f]{16}$/, '').slice(0, 90)}\` | ${f.bytes.length} | ${gz(f.bytes)} |`);

const segments = dataSegments(named).map((bytes) => ({ bytes, gzip: gz(bytes) })).sort((a, b) => b.gzip - a.gzip);
const label = (b) => {
  const text = b.toString('latin1');
  if (text.includes('"operationId"')) return 'OpenAPI document (served at /api/v1/openapi.json)';
  if (/SELECT|INSERT/.test(text)) return 'SQL, messages and other strings';
  const words = text.match(/[A-Za-z][A-Za-z _-]{7,}/g) ?? [];
  return words.length ? `strings, e.g. "${words[0].slice(0, 40)}"` : 'tables (no text)';
};
console.log('\n| largest data segments | bytes | gzip alone |\n|---|---:|---:|');
for (const s of segments.slice(0, 8)) console.log(`| ${label(s.bytes)} | ${s.bytes.length} | ${s.gzip} |`);
