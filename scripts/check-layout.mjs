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

// 2. The worker's module graph: an edge A -> B when a file of top-level module A names crate::B.
const modules = new Map(); // name -> Set of names it imports
for (const path of files(join(ROOT, 'src')).filter((p) => p.endsWith('.rs'))) {
  const rel = relative(join(ROOT, 'src'), path);
  const name = rel.includes('/') ? rel.split('/')[0] : basename(rel, '.rs');
  const text = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, ''); // code, not comments
  const deps = modules.get(name) ?? new Set();
  for (const [, one] of text.matchAll(/crate::([a-z_]+)/g)) deps.add(one);
  for (const [, group] of text.matchAll(/crate::\{([^}]*)\}/g)) {
    for (const item of group.split(',')) {
      const head = item.trim().split('::')[0].trim();
      if (/^[a-z_]+$/.test(head)) deps.add(head);
    }
  }
  deps.delete(name);
  modules.set(name, deps);
}
for (const [name, deps] of modules) {
  for (const dep of deps) if (!modules.has(dep)) deps.delete(dep); // macros, `crate::Result`…
  if (deps.has('handlers') && !['app', 'lib'].includes(name)) {
    problems.push(`src/${name} imports a handler: only app and lib may (move the shared part below)`);
  }
}
const TOP = new Set(['lib']); // the crate root declares every module
const state = new Map();
function visit(name, path) {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'open') {
    problems.push(`import cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
    return;
  }
  state.set(name, 'open');
  for (const dep of modules.get(name) ?? []) if (!TOP.has(dep)) visit(dep, [...path, name]);
  state.set(name, 'done');
}
for (const name of modules.keys()) if (!TOP.has(name)) visit(name, []);

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
console.log(`layout: ok (core crate free of ${FORBIDDEN_IN_CORE.join(', ')}; ${modules.size} modules without a cycle or an upward import; files <= ${MAX_LINES} lines)`);
