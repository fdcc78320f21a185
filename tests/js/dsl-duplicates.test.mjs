// Two annotated handlers for one event, in two modules (dupapp).
// Proves: the server refuses to start, exits non-zero, and the error names the event and
// both handler functions with their module paths.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { withTimeout } from "./harness.mjs";

describe("duplicate annotated handlers (dupapp)", () => {
  it("refuses to start and names both functions", async () => {
    const dir = process.env.FERRIO_BIN_DIR;
    assert.ok(dir, "FERRIO_BIN_DIR must point at the server binaries");
    const child = spawn(path.join(dir, "dupapp"), [], { env: { ...process.env, PORT: "0" } });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const code = await withTimeout(
      new Promise((resolve) => child.on("exit", (code) => resolve(code))),
      10_000,
      "dupapp to exit",
    );
    assert.notEqual(code, 0, "dupapp must not run with two handlers for one event");
    assert.match(stderr, /two handlers for event `sum`/);
    assert.match(stderr, /dupapp::sum/);
    assert.match(stderr, /dupapp::elsewhere::duplicate_sum/);
  });
});
