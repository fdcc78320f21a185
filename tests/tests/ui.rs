//! Compile-time checks of the `#[on]` DSL: every misuse is a compile error at the user's
//! token, with a message that says what to write instead (`tests/ui/*/fail/*.stderr`), and
//! every supported form compiles (`tests/ui/*/pass`).
//!
//! Regenerate the expected messages with `TRYBUILD=overwrite cargo test -p ferrio-tests --test ui`,
//! then read every changed `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/on/fail/*.rs");
    cases.compile_fail("ui/namespace/fail/*.rs");
    cases.compile_fail("ui/on_error/fail/*.rs");
    cases.compile_fail("ui/schema/fail/*.rs");
    cases.pass("ui/on/pass/*.rs");
    cases.pass("ui/on_error/pass/*.rs");
    cases.pass("ui/schema/pass/*.rs");
}
