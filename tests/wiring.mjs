// Test-only wiring of failures (tests/harness.mjs): bindings whose service is down or
// fails part-way, as workers that stand in for the binding.
const down = (what) => `() => Promise.reject(new Error("${what} is down (test wiring)"))`;
export const BROKEN_KV = `export default function () {
  const fail = ${down("KV")};
  return { get: fail, getWithMetadata: fail, put: fail, delete: fail, list: fail };
}`;
export const BROKEN_D1 = `export default function () {
  const fail = ${down("D1")};
  const stmt = { bind() { return stmt; }, first: fail, all: fail, run: fail, raw: fail };
  return { prepare() { return stmt; }, batch: fail, exec: fail, dump: fail };
}`;

// D1 that fails `times` batches whose SQL contains `match`, once each, then works: a
// dependency that fails mid-way through the consumer's work (after its first write). With
// `delayMs`, each such batch also waits that long first (a slow D1).
export const FLAKY_D1 = `let left;
let delay = 0;
// Named as the runtime's classes: workers-rs checks a binding's constructor name.
class D1PreparedStatement {
  constructor(inner, sql) { this.inner = inner; this.sql = sql; }
  bind(...a) { return new D1PreparedStatement(this.inner.bind(...a), this.sql); }
  first(...a) { return this.inner.first(...a); }
  all() { return this.inner.all(); }
  run() { return this.inner.run(); }
  raw(...a) { return this.inner.raw(...a); }
}
class D1Database {
  constructor(db, match) { this.db = db; this.match = match; }
  prepare(sql) { return new D1PreparedStatement(this.db.prepare(sql), sql); }
  async batch(statements) {
    if (statements.some((s) => s.sql.includes(this.match))) {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (left > 0) {
        left--;
        throw new Error("D1 failed in the middle of the work (test wiring)");
      }
    }
    return this.db.batch(statements.map((s) => s.inner));
  }
  exec(q) { return this.db.exec(q); }
  dump() { return this.db.dump(); }
}
export default function (env) {
  left ??= Number(env.FAIL_TIMES);
  delay = Number(env.DELAY_MS);
  return new D1Database(env.INNER, env.FAIL_MATCH);
}`;
