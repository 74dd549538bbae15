//! Damaged models, made from every fixture by flipping bytes, truncating and
//! overwriting ranges (seeded): the importer returns a model or an error,
//! and never panics.

use staticnet_import::{import_bytes, Options};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The fixtures, one name a line (`scripts/onnx_fixtures.py` writes them).
const FIXTURES: &str = include_str!("fixtures/names.txt");

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn damaged_models_are_errors_not_panics() {
    let mut rng = Rng(2026);
    let (mut imported, mut refused) = (0, 0);
    for name in FIXTURES.lines() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{name}.onnx"));
        let original = std::fs::read(&path).unwrap();
        for trial in 0..300 {
            let mut b = original.clone();
            // Half the damage in the first 4 KB and the last 4 KB, where the
            // graph's structure is rather than the weights' raw bytes.
            let pos = |rng: &mut Rng, len: usize| {
                if rng.next().is_multiple_of(2) {
                    let edge = rng.below(4096.min(len));
                    if rng.next().is_multiple_of(2) {
                        edge
                    } else {
                        len - 1 - edge
                    }
                } else {
                    rng.below(len)
                }
            };
            match trial % 3 {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = pos(&mut rng, b.len());
                        b[i] ^= 1 << rng.below(8);
                    }
                }
                1 => b.truncate(rng.below(b.len())),
                _ => {
                    let i = pos(&mut rng, b.len());
                    for byte in b.iter_mut().skip(i).take(1 + rng.below(16)) {
                        *byte = rng.next() as u8;
                    }
                }
            }
            match catch_unwind(AssertUnwindSafe(|| {
                import_bytes(&b, "m", &Options::default())
            })) {
                Ok(Ok(_)) => imported += 1,
                Ok(Err(e)) => {
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                }
                Err(_) => panic!("{name}, damage {trial}: the importer panicked"),
            }
        }
    }
    eprintln!("{imported} damaged models imported, {refused} refused with an error");
    assert!(
        refused > 0 && imported > 0,
        "the damage should produce both outcomes"
    );
}
