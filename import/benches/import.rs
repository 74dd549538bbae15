//! Import time of each fixture: decode, lower, plan (the macro's planner,
//! once per layer and once for the whole declaration), lay out and encode
//! the weights. `cargo bench -p staticnet-import`.

use criterion::{criterion_group, criterion_main, Criterion};
use staticnet_import::{import_bytes, Options};
use std::hint::black_box;
use std::path::Path;

/// The fixtures, one name a line (`scripts/onnx_fixtures.py` writes them).
const FIXTURES: &str = include_str!("../tests/fixtures/names.txt");

fn import(c: &mut Criterion) {
    let mut group = c.benchmark_group("import");
    group.sample_size(20);
    for name in FIXTURES.lines() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{name}.onnx"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        group.bench_function(name, |b| {
            b.iter(|| import_bytes(black_box(&bytes), name, &Options::default()).expect("imports"))
        });
    }
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
