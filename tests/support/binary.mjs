// Comparing binary values received by different JavaScript clients, shared by the Node
// harnesses of tests/js/ and tests/redis/.

export function isBinary(x) {
  return Buffer.isBuffer(x) || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

/**
 * Replace every binary value, at any depth, by {$bin: hex} so that deepEqual compares
 * contents whatever the JavaScript type; with `markBuffers`, by {$bin, isBuffer} so that it
 * also checks which came back as Node Buffers.
 */
export function normalizeBinary(value, { markBuffers = false } = {}) {
  if (isBinary(value)) {
    const buf = Buffer.isBuffer(value)
      ? value
      : value instanceof ArrayBuffer
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return markBuffers ? { $bin: buf.toString("hex"), isBuffer: Buffer.isBuffer(value) } : { $bin: buf.toString("hex") };
  }
  if (Array.isArray(value)) return value.map((item) => normalizeBinary(item, { markBuffers }));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeBinary(v, { markBuffers });
    return out;
  }
  return value;
}
