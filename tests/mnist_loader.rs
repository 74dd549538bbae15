//! `staticnet::data::mnist`: the repository slice, the full set (`#[ignore]`d:
//! `MNIST_DIR`, run by `.ci/run`),
//! and one temporary directory of synthetic IDX files per bad input.
#![cfg(feature = "std")]

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use staticnet::data::mnist::{IdxError, Mnist, MnistError, Split, IMAGES_MAGIC, LABELS_MAGIC};

mod mnist_data;
use mnist_data::{full_set_dir, SLICE_DIR};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("staticnet-mnist-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        fs::write(self.0.join(name), bytes).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn images(n: u32, rows: u32, cols: u32) -> Vec<u8> {
    let data: Vec<u8> = (0..n * rows * cols).map(|i| (i % 256) as u8).collect();
    idx(IMAGES_MAGIC, &[n, rows, cols], &data)
}

fn labels(n: u32) -> Vec<u8> {
    let data: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    idx(LABELS_MAGIC, &[n], &data)
}

/// A valid gzipped set: 5 training and 3 test images of 4x3 pixels.
fn valid_set(test: &str) -> TempDir {
    let dir = TempDir::new(test);
    dir.write("train-images-idx3-ubyte.gz", &gz(&images(5, 4, 3)));
    dir.write("train-labels-idx1-ubyte.gz", &gz(&labels(5)));
    dir.write("t10k-images-idx3-ubyte.gz", &gz(&images(3, 4, 3)));
    dir.write("t10k-labels-idx1-ubyte.gz", &gz(&labels(3)));
    dir
}

/// Loads `dir`, expecting an error whose message names `file`.
fn load_err(dir: &TempDir, file: &str) -> MnistError {
    let err = Mnist::load(dir.path()).expect_err("loading should fail");
    let msg = err.to_string();
    assert!(msg.contains(file), "message does not name `{file}`: {msg}");
    err
}

fn check_sane(split: &Split, len: usize) {
    assert_eq!(split.len(), len);
    assert_eq!((split.rows, split.cols), (28, 28));
    assert_eq!(split.images.len(), len * 28 * 28);
    assert!(split.labels.iter().all(|&l| l < 10));
}

#[test]
fn repository_slice_loads() {
    let mnist = Mnist::load(SLICE_DIR).unwrap();
    check_sane(&mnist.train, 10_000);
    check_sane(&mnist.test, 2_000);
    // First labels of the full set.
    assert_eq!(mnist.train.labels[..4], [5, 0, 4, 1]);
    assert_eq!(mnist.test.labels[..4], [7, 2, 1, 0]);
    if std::env::var_os("MNIST_DIR").is_none() {
        // `cargo test` runs in the package's root, where the slice is.
        assert_eq!(Mnist::default_dir(), Path::new("data/mnist"));
        assert_eq!(
            Mnist::load(Mnist::default_dir()).unwrap().train.len(),
            10_000
        );
    }
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn full_set_loads_and_starts_with_the_slice() {
    let full = Mnist::load(full_set_dir()).unwrap();
    check_sane(&full.train, 60_000);
    check_sane(&full.test, 10_000);
    let slice = Mnist::load(SLICE_DIR).unwrap();
    assert_eq!(
        full.train.images[..slice.train.images.len()],
        slice.train.images
    );
    assert_eq!(full.train.labels[..slice.train.len()], slice.train.labels);
    assert_eq!(
        full.test.images[..slice.test.images.len()],
        slice.test.images
    );
    assert_eq!(full.test.labels[..slice.test.len()], slice.test.labels);
}

#[test]
fn synthetic_set_loads() {
    let dir = valid_set("valid");
    let mnist = Mnist::load(dir.path()).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (5, 3));
    assert_eq!((mnist.train.rows, mnist.train.cols), (4, 3));
    assert_eq!(mnist.train.image(1), &(12..24).collect::<Vec<u8>>()[..]);
    assert_eq!(mnist.test.labels, [0, 1, 2]);
}

#[test]
fn raw_and_dotted_files_load() {
    let dir = TempDir::new("raw");
    dir.write("train-images-idx3-ubyte", &images(5, 4, 3));
    dir.write("train-labels-idx1-ubyte", &labels(5));
    dir.write("t10k-images.idx3-ubyte", &images(3, 4, 3));
    dir.write("t10k-labels.idx1-ubyte.gz", &gz(&labels(3)));
    let mnist = Mnist::load(dir.path()).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (5, 3));
    assert_eq!(mnist.test.image(2), mnist.train.image(2));
}

#[test]
fn wrong_magic() {
    let dir = valid_set("magic");
    dir.write("train-labels-idx1-ubyte.gz", &gz(&images(5, 4, 3)));
    let err = load_err(&dir, "train-labels-idx1-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::WrongMagic {
                    expected: 0x801,
                    found: 0x803
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().ends_with(
        "train-labels-idx1-ubyte.gz`: wrong magic number: expected 0x00000801, found 0x00000803"
    ));
    assert!(err.source().is_none());
}

#[test]
fn truncated_images() {
    let dir = valid_set("truncated");
    let mut file = images(5, 4, 3);
    file.pop();
    dir.write("train-images-idx3-ubyte.gz", &gz(&file));
    let err = load_err(&dir, "train-images-idx3-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::Truncated {
                    expected: 60,
                    found: 59
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .ends_with("truncated: header says 60 bytes of data, file has 59"));
}

#[test]
fn truncated_header() {
    let dir = valid_set("header");
    dir.write("t10k-images-idx3-ubyte.gz", &gz(&images(3, 4, 3)[..10]));
    let err = load_err(&dir, "t10k-images-idx3-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::HeaderTruncated {
                    expected: 16,
                    found: 10
                },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn count_mismatch_names_both_files() {
    let dir = valid_set("count");
    dir.write("train-labels-idx1-ubyte.gz", &gz(&labels(4)));
    let err = load_err(&dir, "train-images-idx3-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::CountMismatch {
                image_count: 5,
                label_count: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("train-labels-idx1-ubyte.gz"), "{msg}");
    assert!(msg.contains("holds 5 images but"), "{msg}");
    assert!(msg.ends_with("holds 4 labels"), "{msg}");
}

#[test]
fn huge_claimed_size_allocates_nothing() {
    let dir = valid_set("huge");
    let m = u32::MAX;
    dir.write(
        "train-images-idx3-ubyte",
        &idx(IMAGES_MAGIC, &[m, m, m], &[0; 100]),
    );
    fs::remove_file(dir.path().join("train-images-idx3-ubyte.gz")).unwrap();
    let err = load_err(&dir, "train-images-idx3-ubyte");
    assert!(
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::TooLarge { .. },
                ..
            }
        ),
        "{err:?}"
    );

    // 4294967295 images of 28x28 fit in a 64-bit `usize`: caught by length.
    // Had the loader allocated the claimed 3.4 TB, this test would abort.
    dir.write(
        "train-images-idx3-ubyte",
        &idx(IMAGES_MAGIC, &[m, 28, 28], &[0; 100]),
    );
    let err = load_err(&dir, "train-images-idx3-ubyte");
    let expected = if cfg!(target_pointer_width = "64") {
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::Truncated { found: 100, .. },
                ..
            }
        )
    } else {
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::TooLarge { .. },
                ..
            }
        )
    };
    assert!(expected, "{err:?}");

    // A huge label count is no different.
    dir.write(
        "t10k-labels-idx1-ubyte.gz",
        &gz(&idx(LABELS_MAGIC, &[m], &[1])),
    );
    dir.write("train-images-idx3-ubyte", &images(5, 4, 3));
    let err = load_err(&dir, "t10k-labels-idx1-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::Idx {
                error: IdxError::Truncated { found: 1, .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn corrupt_gzip() {
    let dir = valid_set("gzip");
    // Not gzip at all.
    dir.write("t10k-labels-idx1-ubyte.gz", &labels(3));
    let err = load_err(&dir, "t10k-labels-idx1-ubyte.gz");
    assert!(matches!(err, MnistError::Gzip { .. }), "{err:?}");
    assert!(err.source().is_some());

    // A valid header, then a damaged stream.
    let mut file = gz(&images(5, 4, 3));
    let mid = file.len() / 2;
    for b in &mut file[mid - 4..mid + 4] {
        *b ^= 0x5a;
    }
    dir.write("t10k-labels-idx1-ubyte.gz", &gz(&labels(3)));
    dir.write("train-images-idx3-ubyte.gz", &file);
    let err = load_err(&dir, "train-images-idx3-ubyte.gz");
    assert!(matches!(err, MnistError::Gzip { .. }), "{err:?}");

    // Cut short.
    let file = gz(&images(5, 4, 3));
    dir.write("train-images-idx3-ubyte.gz", &file[..file.len() - 6]);
    let err = load_err(&dir, "train-images-idx3-ubyte.gz");
    assert!(matches!(err, MnistError::Gzip { .. }), "{err:?}");
}

#[test]
fn missing_file_lists_names_tried() {
    let dir = valid_set("missing");
    fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = load_err(&dir, "t10k-labels-idx1-ubyte.gz");
    assert!(matches!(err, MnistError::NotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    for name in [
        "`t10k-labels-idx1-ubyte.gz`",
        "`t10k-labels-idx1-ubyte`",
        "`t10k-labels.idx1-ubyte.gz`",
        "`t10k-labels.idx1-ubyte`",
    ] {
        assert!(msg.contains(name), "{msg}");
    }

    let err = Mnist::load(dir.path().join("nowhere")).unwrap_err();
    assert!(matches!(err, MnistError::NotFound { .. }), "{err:?}");
}

#[test]
fn label_out_of_range() {
    let dir = valid_set("label");
    dir.write(
        "t10k-labels-idx1-ubyte.gz",
        &gz(&idx(LABELS_MAGIC, &[3], &[0, 9, 10])),
    );
    let err = load_err(&dir, "t10k-labels-idx1-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::LabelOutOfRange {
                index: 2,
                label: 10,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn test_images_must_match_training_size() {
    let dir = valid_set("size");
    dir.write("t10k-images-idx3-ubyte.gz", &gz(&images(3, 3, 4)));
    let err = load_err(&dir, "t10k-images-idx3-ubyte.gz");
    assert!(
        matches!(
            err,
            MnistError::ImageSize {
                found: (3, 4),
                expected: (4, 3),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("train-images-idx3-ubyte.gz"));
}

#[test]
fn fill_batch_converts_to_unit_range() {
    let split = Split {
        images: vec![0, 255, 51, 255, 0, 0],
        labels: vec![3, 8],
        rows: 1,
        cols: 3,
    };
    let mut x = [f32::NAN; 9];
    let mut y = [usize::MAX; 3];
    split.fill_batch(&[1, 0, 1], &mut x, &mut y);
    assert_eq!(x, [1.0, 0.0, 0.0, 0.0, 1.0, 0.2, 1.0, 0.0, 0.0]);
    assert_eq!(y, [8, 3, 8]);

    split.fill_batch(&[], &mut [], &mut []);
}

/// Every pixel value, in images of 263 pixels (vector steps and a scalar
/// tail), converts to the bits of `p / 255.0`.
#[test]
fn fill_batch_divides_every_value_by_255_exactly() {
    let n = 263;
    let images: Vec<u8> = (0..3 * n).map(|i| (i * 7 % 256) as u8).collect();
    let split = Split {
        images: images.clone(),
        labels: vec![0, 1, 2],
        rows: 1,
        cols: n,
    };
    let mut x = vec![f32::NAN; 3 * n];
    let mut y = [0; 3];
    split.fill_batch(&[0, 1, 2], &mut x, &mut y);
    for (i, (&p, &got)) in images.iter().zip(&x).enumerate() {
        let want = f32::from(std::hint::black_box(p)) / std::hint::black_box(255.0);
        assert_eq!(got.to_bits(), want.to_bits(), "pixel {i} = {p}");
    }
}

#[test]
#[should_panic(expected = "`x` must hold")]
fn fill_batch_checks_lengths() {
    let split = Split {
        images: vec![0; 6],
        labels: vec![0; 2],
        rows: 1,
        cols: 3,
    };
    split.fill_batch(&[0, 1], &mut [0.0; 5], &mut [0; 2]);
}

#[test]
fn truncate_keeps_the_first_samples() {
    let mut mnist = Mnist::load(SLICE_DIR).unwrap();
    let first = mnist.train.image(99).to_vec();
    mnist.train.truncate(100);
    assert_eq!(mnist.train.len(), 100);
    assert_eq!(mnist.train.images.len(), 100 * 784);
    assert_eq!(mnist.train.image(99), first);
    mnist.train.truncate(1_000);
    assert_eq!(mnist.train.len(), 100);
}
