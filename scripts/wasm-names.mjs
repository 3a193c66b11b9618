#!/usr/bin/env node
// The wasm's function names, kept apart from what is deployed.
//
// worker-build keeps the `name` custom section (wasm-opt --debuginfo) so that a stack
// trace reads `uload_edge::handlers::redirect::serve` instead of `wasm-function[812]`.
// That section is ~16% of the module (about 96 KB of the gzipped upload) and the runtime
// never needs it: a panic's trace from Cloudflare's logs can be read back with the copy
// kept here. So the build deploys the module without it and keeps the named copy:
//
//   node scripts/wasm-names.mjs strip <in.wasm> <out.wasm>   removes the name section (only it:
//                                                            function indices stay the same)
//   node scripts/wasm-names.mjs lookup <named.wasm> <trace>   prints each wasm-function[N] of a
//                                                            stack trace (a file, or - for stdin)
//                                                            with its name
//
// Byte surgery on sections rather than a wasm-opt pass: no instruction is re-encoded, so
// the stripped module's code section is byte for byte the named one's.
import { readFileSync, writeFileSync } from 'node:fs';

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
export function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/** The module's sections: { id, name (custom sections), start, end } with start at the id byte. */
export function sections(bytes) {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    let name = null;
    if (id === 0) {
      const [len, s] = leb(bytes, body);
      name = bytes.subarray(s, s + len).toString('utf8');
    }
    at = body + size;
    if (at > bytes.length) throw new Error('truncated section');
    out.push({ id, name, start, body, end: at });
  }
  return out;
}

/** The module without its `name` custom section. */
export function stripNames(bytes) {
  const keep = sections(bytes).filter((s) => !(s.id === 0 && s.name === 'name'));
  return Buffer.concat([bytes.subarray(0, 8), ...keep.map((s) => bytes.subarray(s.start, s.end))]);
}

/** Function index → name, from the `name` section's function-names subsection. */
export function functionNames(bytes) {
  const names = new Map();
  const section = sections(bytes).find((s) => s.id === 0 && s.name === 'name');
  if (!section) return names;
  let [len, at] = leb(bytes, section.body);
  at += len;
  while (at < section.end) {
    const kind = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    if (kind === 1) {
      let [count, p] = leb(bytes, body);
      while (count-- > 0) {
        const [index, q] = leb(bytes, p);
        const [n, r] = leb(bytes, q);
        names.set(index, bytes.subarray(r, r + n).toString('utf8'));
        p = r + n;
      }
    }
    at = body + size;
  }
  return names;
}

/** Export name → function index (the export section's functions). */
export function exportedFunctions(bytes) {
  const out = new Map();
  const section = sections(bytes).find((s) => s.id === 7);
  if (!section) return out;
  let [count, at] = leb(bytes, section.body);
  while (count-- > 0) {
    const [len, s] = leb(bytes, at);
    const name = bytes.subarray(s, s + len).toString('utf8');
    const kind = bytes[s + len];
    const [index, next] = leb(bytes, s + len + 1);
    if (kind === 0) out.set(name, index);
    at = next;
  }
  return out;
}

/** The trace with every `wasm-function[N]` followed by the function's name. */
export function symbolicate(trace, names) {
  return trace.replace(/wasm-function\[(\d+)\]/g, (all, n) => {
    const name = names.get(Number(n));
    return name ? `${all} ${name}` : all;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, a, b] = process.argv.slice(2);
  if (command === 'strip' && a && b) {
    const named = readFileSync(a);
    const stripped = stripNames(named);
    writeFileSync(b, stripped);
    console.error(`    ${a}: ${named.length} bytes → ${b}: ${stripped.length} bytes without the name section`);
  } else if (command === 'lookup' && a && b) {
    const trace = readFileSync(b === '-' ? 0 : b, 'utf8');
    process.stdout.write(symbolicate(trace, functionNames(readFileSync(a))));
  } else {
    console.error('usage: wasm-names.mjs strip <in.wasm> <out.wasm> | lookup <named.wasm> <trace file or ->');
    process.exit(2);
  }
}
