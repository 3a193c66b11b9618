#!/usr/bin/env node
// The layout rules of the code, checked in the README's test command (scripts/test.sh, lint):
//  1. the core crate (crates/core) depends on no worker, web-sys, js-sys or wasm-bindgen,
//     so its rules build and test natively and the importer shares them without the worker;
//  2. no module below the HTTP layer imports a handler (only `app` and `lib` may), and the
//     worker's top-level modules import each other without a cycle;
//  3. no source file is over MAX_LINES lines (generated and vendored code aside).
// Prints every violation and exits 1 if there is one.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, basename } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const MAX_LINES = 400;
const FORBIDDEN_IN_CORE = ['worker', 'web-sys', 'js-sys', 'wasm-bindgen'];
// Generated (openapi/types.ts from openapi.json) or vendored: not written by hand here.
const NOT_OURS = [/^vendor\//, /^openapi\//, /\/fixtures\//];
const SOURCE = /\.(rs|mjs|js|ts|sh)$/;
const SOURCE_DIRS = ['src', 'crates', 'importer', 'tests', 'scripts', 'bench', '.ci'];

const problems = [];

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}

// 1. The core crate's dependency tree.
const tree = execFileSync('cargo', ['tree', '-p', 'uload-core', '-e', 'normal', '--prefix', 'none'], {
  cwd: ROOT,
  encoding: 'utf8',
});
const crates = new Set(tree.split('\n').map((line) => line.split(' ')[0]).filter(Boolean));
for (const name of FORBIDDEN_IN_CORE) {
  if (crates.has(name)) problems.push(`crates/core depends on ${name} (cargo tree -p uload-core -i ${name})`);
}

// 2. The worker's module graph, file by file: an edge A -> B when file A names `crate::…`
//    or `super::…` and B is the file of that module (src/b.rs or src/b/mod.rs, at any
//    depth). A module's use of its ancestors (`super::Ctx` in a handler) is no edge: the
//    parent only declares its children.
const SRC = join(ROOT, 'src');
const rsFiles = files(SRC).filter((p) => p.endsWith('.rs'));
const nodeOf = (path) => relative(SRC, path).replace(/(\/mod)?\.rs$/, ''); // "handlers/links"
const known = new Set(rsFiles.map(nodeOf));
/** The deepest module file a path names (`handlers::origin::proxy` → "handlers/origin"). */
function resolve(segments) {
  for (let n = segments.length; n > 0; n--) {
    const candidate = segments.slice(0, n).join('/');
    if (known.has(candidate)) return candidate;
  }
  return null; // `crate::Result`, macros…
}
const graph = new Map();
for (const path of rsFiles) {
  const node = nodeOf(path);
  const parts = node.split('/');
  // What `super` names in this file: the parent module of the file's module (for a mod.rs
  // the module is the directory itself).
  const superOf = parts.slice(0, -1);
  const ancestors = new Set(parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/')));
  const text = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, ''); // code, not comments
  const deps = new Set();
  const add = (base, raw) => {
    const target = resolve([...base, ...raw.split('::').map((x) => x.trim()).filter(Boolean)]);
    if (target && target !== node && !ancestors.has(target)) deps.add(target);
  };
  for (const [, kw, rest] of text.matchAll(/\b(crate|super)::((?:[a-z_]+::)*[a-z_]+)/g)) {
    add(kw === 'super' ? superOf : [], rest);
  }
  for (const [, kw, prefix, group] of text.matchAll(/\b(crate|super)::((?:[a-z_]+::)*)\{([^}]*)\}/g)) {
    for (const item of group.split(',')) {
      const head = item.trim().replace(/::\{.*$/, '').replace(/::self$/, '').replace(/^self$/, '');
      add(kw === 'super' ? superOf : [], `${prefix}${head}`);
    }
  }
  graph.set(node, deps);
}
const HTTP_LAYER = (node) => node === 'lib' || node === 'app' || node.startsWith('handlers');
for (const [node, deps] of graph) {
  const up = [...deps].filter((d) => d.startsWith('handlers'));
  if (up.length && !HTTP_LAYER(node)) {
    problems.push(`src/${node}.rs imports ${up.join(', ')}: only the HTTP layer (app, handlers) may`);
  }
}
const state = new Map();
function visit(node, path) {
  if (state.get(node) === 'done') return;
  if (state.get(node) === 'open') {
    problems.push(`import cycle: ${[...path.slice(path.indexOf(node)), node].join(' -> ')}`);
    return;
  }
  state.set(node, 'open');
  for (const dep of graph.get(node) ?? []) if (dep !== 'lib') visit(dep, [...path, node]);
  state.set(node, 'done');
}
for (const node of graph.keys()) if (node !== 'lib') visit(node, []);

// 3. File length, over the files git tracks (build output and caches are not tracked).
const tracked = execFileSync('git', ['ls-files', ...SOURCE_DIRS], { cwd: ROOT, encoding: 'utf8' });
for (const rel of tracked.split('\n').filter(Boolean)) {
  if (!SOURCE.test(rel) || NOT_OURS.some((re) => re.test(rel))) continue;
  const lines = readFileSync(join(ROOT, rel), 'utf8').split('\n').length - 1;
  if (lines > MAX_LINES) problems.push(`${rel}: ${lines} lines (at most ${MAX_LINES}: split it by concern)`);
}

if (problems.length) {
  console.error(`layout: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`layout: ok (core crate free of ${FORBIDDEN_IN_CORE.join(', ')}; ${graph.size} modules without a cycle or an upward import; files <= ${MAX_LINES} lines)`);
