//! The TypeScript typings of the clicker schema are committed in `tests/ts/generated/`: this
//! test fails when the schema's output drifts from them (regenerate with
//! `FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript`, then review the diff).
//! `tests/ts` runs the real TypeScript compiler over them (`scripts/test` does).

#[path = "../../examples/clicker/schema.rs"]
#[allow(dead_code)]
mod schema;

use ferrio::schema::Namespace;

#[test]
fn the_clicker_typings_match_the_committed_file() {
    let generated = schema::clicker::Clicker::typescript();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ts/generated/clicker.d.ts");
    if std::env::var_os("FERRIO_BLESS").is_some() {
        std::fs::write(path, &generated).expect("write the typings");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is not what the clicker schema generates; regenerate it with \
         FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript\n--- generated ---\n{generated}"
    );
}
