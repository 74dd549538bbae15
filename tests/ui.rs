//! Compile-time checks: every user mistake in `network!` is a spanned error
//! (`tests/ui/{parse,shape,validate}/*.rs`, and weights files that do not fit
//! the network, `tests/ui/weights`, one mistake per file, reviewed
//! `.stderr` beside each), and odd but valid declarations compile and run
//! (`tests/ui/pass`). Regenerate with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/parse/*.rs");
    t.compile_fail("tests/ui/shape/*.rs");
    t.compile_fail("tests/ui/validate/*.rs");
    t.compile_fail("tests/ui/weights/*.rs");
    t.compile_fail("tests/ui/budget/*.rs");
    t.compile_fail("tests/ui/chain/*.rs");
    t.compile_fail("tests/ui/quantize/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
