// CLIENT LIST's text, parsed: shared by the harness, the Node member and the tests (no
// dependency, so that the member process can load it alone).

/** One object per connection (`id`, `name`, `sub`, `cmd`, `flags`, …). */
export function parseClientList(text) {
  return String(text)
    .split("\n")
    .filter((line) => line.trim())
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(" ")
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      ),
    );
}
