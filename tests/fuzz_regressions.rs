//! Replays the fuzzers' interesting inputs (`tests/fuzz-regressions/<target>/`:
//! seeds, and inputs the fuzzers found, minimised) through the same checks as
//! the fuzz targets in `fuzz/`. `scripts/fuzz.sh` runs the fuzzers.

#[path = "fuzz_harness/mod.rs"]
mod harness;

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check(&bytes));
        assert!(result.is_ok(), "{} panicked", path.display());
        count += 1;
    }
    assert!(count > 0, "no inputs in {}", dir.display());
}

#[test]
fn weights_binary() {
    replay("weights_binary", harness::weights_binary);
}

#[test]
fn weights_safetensors() {
    replay("weights_safetensors", harness::weights_safetensors);
}

#[test]
fn idx() {
    replay("idx", harness::idx);
}

/// Writes the seed inputs (valid files of each kind) when
/// `REGENERATE_FIXTURES` is set.
#[test]
fn seeds() {
    use staticnet::Network;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let sine = harness::Sine::new_boxed(1);
    let small = harness::Small::new_boxed(2);
    let seeds: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "weights_binary",
            "seed-sine.bin",
            staticnet::weights::to_vec(&*sine).unwrap(),
        ),
        (
            "weights_binary",
            "seed-small.bin",
            staticnet::weights::to_vec(&*small).unwrap(),
        ),
        (
            "weights_safetensors",
            "seed-sine.safetensors",
            staticnet::weights::safetensors::to_bytes(&*sine).unwrap(),
        ),
        (
            "weights_safetensors",
            "seed-small.safetensors",
            staticnet::weights::safetensors::to_bytes(&*small).unwrap(),
        ),
        (
            "idx",
            "seed-labels.idx",
            vec![0, 0, 8, 1, 0, 0, 0, 3, 7, 3, 1],
        ),
        (
            "idx",
            "seed-images.idx",
            [
                &[0u8, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2][..],
                &[0, 255, 128, 3],
            ]
            .concat(),
        ),
    ];
    for (target, name, bytes) in seeds {
        let path = dir.join(target).join(name);
        if std::env::var_os("REGENERATE_FIXTURES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} is stale: REGENERATE_FIXTURES=1 rewrites it",
            path.display()
        );
    }
}
