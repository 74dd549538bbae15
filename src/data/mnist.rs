//! Loader for the MNIST handwritten digits, stored as IDX files (feature `std`).
//!
//! [`Mnist::load`] reads the four files of the data set from one directory,
//! gzipped or not, checks every header against the bytes actually present and
//! returns the images as `u8` pixels. [`Split::fill_batch`] converts a
//! mini-batch to `f32` in `[0, 1]` into caller-owned buffers, so a training
//! loop allocates nothing after loading.
//!
//! The staticnet repository carries the first 10,000 training and 2,000 test
//! images in `data/mnist/` (the crate package does not); [`Mnist::default_dir`]
//! is `MNIST_DIR` if set, else `data/mnist` under the current directory.
//!
//! ```
//! use staticnet::data::mnist::Mnist;
//!
//! let mnist = Mnist::load(Mnist::default_dir())?;
//! let pixels = mnist.train.rows * mnist.train.cols;
//! let (mut x, mut y) = (vec![0.0f32; 2 * pixels], [0usize; 2]);
//! mnist.train.fill_batch(&[0, 1], &mut x, &mut y);
//! assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
//! assert!(y.iter().all(|&label| label < 10));
//! # Ok::<(), staticnet::data::mnist::MnistError>(())
//! ```
//!
//! The IDX format: a big-endian `u32` magic number `0x0000TTDD` (type `TT`,
//! `0x08` for `u8`, and `DD` dimensions), then `DD` big-endian `u32` sizes,
//! then the data, row-major.

use std::error::Error;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

/// Magic number of an IDX file of `u8` with 3 dimensions (count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of `u8` with 1 dimension (count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Labels are digits `0..CLASSES`.
pub const CLASSES: usize = 10;

/// One part of the data set (training or test): images and their labels.
///
/// Invariant kept by [`Mnist::load`]: `images.len() == labels.len() * rows * cols`.
#[derive(Clone)]
pub struct Split {
    /// `len() * rows * cols` pixels, image after image, each row-major; 0 is
    /// background, 255 is ink.
    pub images: Vec<u8>,
    /// One digit `0..10` per image.
    pub labels: Vec<u8>,
    /// Pixel rows per image (28 for MNIST).
    pub rows: usize,
    /// Pixel columns per image (28 for MNIST).
    pub cols: usize,
}

/// `p / 255` as `f32`, with the same bits as dividing, without a division
/// (a division per pixel showed in the MLP epoch's profile; a table lookup
/// per pixel did not vectorise and was no faster, see
/// `docs/performance.md`): the product by the reciprocal, corrected by its
/// rounding error. The test checks all 256 values.
#[inline(always)]
fn pixel(p: u8) -> f32 {
    const R: f32 = 1.0 / 255.0;
    let x = f32::from(p);
    let q = x * R;
    q + (x - q * 255.0) * R
}

impl Split {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The `rows * cols` pixels of image `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(
            i < self.len(),
            "image index {i} out of range for a split of {} images",
            self.len()
        );
        let n = self.rows * self.cols;
        &self.images[i * n..(i + 1) * n]
    }

    /// Converts the images at `indices` to `f32` in `[0, 1]` into `x`
    /// (`indices.len() * rows * cols`, image after image) and their labels
    /// into `labels` (`indices.len()`) — no allocation.
    ///
    /// # Panics
    /// If `x` or `labels` has the wrong length, or an index is out of range.
    pub fn fill_batch(&self, indices: &[usize], x: &mut [f32], labels: &mut [usize]) {
        let n = self.rows * self.cols;
        assert_eq!(
            x.len(),
            indices.len() * n,
            "`fill_batch`: `x` must hold {} images of {n} pixels",
            indices.len()
        );
        assert_eq!(
            labels.len(),
            indices.len(),
            "`fill_batch`: `labels` must hold one label per index"
        );
        // Split over the kernel threads when there are several: each then
        // writes (and later reads first) its share of the batch.
        // 16 pixels a step with AVX-512 where the CPU has it (4 in x86-64's
        // baseline SSE2): the conversion of a batch of 32 took 8.9 µs.
        crate::threads::for_each_chunk(x, n.max(1), 1 << 14, &|k, dst| {
            let image = self.image(indices[k]);
            crate::kernels::vectorized(
                #[inline(always)]
                || {
                    for (d, &p) in dst.iter_mut().zip(image) {
                        *d = pixel(p);
                    }
                },
            );
        });
        for (label, &i) in labels.iter_mut().zip(indices) {
            *label = usize::from(self.labels[i]);
        }
    }

    /// Starts loading the images of `indices` into the CPU caches (see
    /// [`crate::kernels::prefetch`]), for a batch that [`Self::fill_batch`]
    /// converts a step later.
    pub fn prefetch(&self, indices: &[usize]) {
        for &i in indices {
            if i < self.len() {
                crate::kernels::prefetch(self.image(i));
            }
        }
    }

    /// Keeps only the first `n` samples (for quick runs); does nothing if the
    /// split holds `n` or fewer.
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.images.truncate(n * self.rows * self.cols);
    }
}

/// Pixels in `[0, 1]` (the conversion of [`Split::fill_batch`]), labels
/// `0..10`.
impl super::Dataset for Split {
    type Target = usize;

    fn len(&self) -> usize {
        Split::len(self)
    }

    fn input_len(&self) -> usize {
        self.rows * self.cols
    }

    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [usize]) {
        self.fill_batch(indices, inputs, targets);
    }

    fn prefetch(&self, indices: &[usize]) {
        Split::prefetch(self, indices);
    }
}

/// Shows the sizes, not the 47 MB of pixels.
impl fmt::Debug for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Split")
            .field("len", &self.len())
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

/// The MNIST data set: a training and a test split.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Training samples (`train-*` files).
    pub train: Split,
    /// Test samples (`t10k-*` files).
    pub test: Split,
}

impl Mnist {
    /// Loads the four IDX files from `dir`, each either gzipped (`*.gz`) or
    /// raw, accepting both the standard names (`train-images-idx3-ubyte`) and
    /// the dotted variant (`train-images.idx3-ubyte`).
    ///
    /// Every header is checked against the bytes present before anything is
    /// allocated from it; images must come with as many labels, labels must
    /// be digits, and test images must have the size of the training images.
    ///
    /// # Errors
    /// A [`MnistError`] naming the file and the problem: missing, unreadable,
    /// bad gzip, malformed IDX, or inconsistent with the other files.
    pub fn load(dir: impl AsRef<Path>) -> Result<Mnist, MnistError> {
        let dir = dir.as_ref();
        let (train, train_images) = load_split(dir, "train")?;
        let (test, test_images) = load_split(dir, "t10k")?;
        if (test.rows, test.cols) != (train.rows, train.cols) {
            return Err(MnistError::ImageSize {
                path: test_images,
                found: (test.rows, test.cols),
                expected: (train.rows, train.cols),
                train: train_images,
            });
        }
        Ok(Mnist { train, test })
    }

    /// The environment variable `MNIST_DIR` if it is set and not empty, else
    /// `data/mnist` relative to the current directory (in a clone of the
    /// staticnet repository, where `cargo run --example` and `cargo test` run,
    /// that is the slice it ships). It never points into staticnet's own
    /// source folder, so a program that depends on staticnet finds its own
    /// `data/mnist`; a directory without the files is a typed error from
    /// [`Mnist::load`] naming the missing file.
    pub fn default_dir() -> PathBuf {
        match std::env::var_os("MNIST_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from("data/mnist"),
        }
    }
}

/// Loads `{prefix}-images` and `{prefix}-labels`; also returns the images'
/// path for later messages.
fn load_split(dir: &Path, prefix: &str) -> Result<(Split, PathBuf), MnistError> {
    let (images_path, mut images) = read_idx_file(dir, prefix, "images", "idx3")?;
    let (dims, pixels) = parse_idx(&images, IMAGES_MAGIC).map_err(|error| MnistError::Idx {
        path: images_path.clone(),
        error,
    })?;
    // `IMAGES_MAGIC` ends in 3, so `parse_idx` returned exactly 3 dimensions.
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    // Drop the header in place rather than copying the pixels out.
    let header_len = images.len() - pixels.len();
    images.drain(..header_len);

    let (labels_path, mut labels) = read_idx_file(dir, prefix, "labels", "idx1")?;
    let (label_dims, label_data) =
        parse_idx(&labels, LABELS_MAGIC).map_err(|error| MnistError::Idx {
            path: labels_path.clone(),
            error,
        })?;
    if label_dims[0] != count {
        return Err(MnistError::CountMismatch {
            images: images_path,
            image_count: count,
            labels: labels_path,
            label_count: label_dims[0],
        });
    }
    if let Some(index) = label_data.iter().position(|&l| usize::from(l) >= CLASSES) {
        let label = label_data[index];
        return Err(MnistError::LabelOutOfRange {
            path: labels_path,
            index,
            label,
        });
    }
    let header_len = labels.len() - label_data.len();
    labels.drain(..header_len);

    let split = Split {
        images,
        labels,
        rows,
        cols,
    };
    Ok((split, images_path))
}

/// Finds `{prefix}-{what}-{kind}-ubyte[.gz]` or `{prefix}-{what}.{kind}-ubyte[.gz]`
/// in `dir` and returns its path and decompressed bytes.
fn read_idx_file(
    dir: &Path,
    prefix: &str,
    what: &str,
    kind: &str,
) -> Result<(PathBuf, Vec<u8>), MnistError> {
    let tried = [
        std::format!("{prefix}-{what}-{kind}-ubyte.gz"),
        std::format!("{prefix}-{what}-{kind}-ubyte"),
        std::format!("{prefix}-{what}.{kind}-ubyte.gz"),
        std::format!("{prefix}-{what}.{kind}-ubyte"),
    ];
    for name in &tried {
        let path = dir.join(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(MnistError::Io { path, source }),
        };
        if !name.ends_with(".gz") {
            return Ok((path, bytes));
        }
        // The output grows with the data actually decoded, never from a size
        // the file claims. `MultiGzDecoder` also reads concatenated members.
        let mut raw = Vec::new();
        return match flate2::bufread::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut raw) {
            Ok(_) => Ok((path, raw)),
            Err(source) => Err(MnistError::Gzip { path, source }),
        };
    }
    Err(MnistError::NotFound {
        dir: dir.to_path_buf(),
        tried: tried.into(),
    })
}

/// Parses one IDX file's bytes (already decompressed) whose magic number must
/// be `expected_magic`; returns its dimensions (as many as the magic number's
/// low byte says) and the data after the header, exactly their product long.
///
/// Exposed for tests and fuzzing. Never panics and allocates only the
/// dimensions, after the header is known to be present.
///
/// # Errors
/// An [`IdxError`] if the header is cut short, the magic number differs, the
/// dimensions' product overflows `usize`, or the data is not exactly that long.
///
/// ```
/// use staticnet::data::mnist::{parse_idx, IdxError, LABELS_MAGIC};
///
/// let file = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3];
/// assert_eq!(parse_idx(&file, LABELS_MAGIC), Ok((vec![2], &[7, 3][..])));
/// assert_eq!(
///     parse_idx(&file[..9], LABELS_MAGIC),
///     Err(IdxError::Truncated { expected: 2, found: 1 })
/// );
/// ```
pub fn parse_idx(bytes: &[u8], expected_magic: u32) -> Result<(Vec<usize>, &[u8]), IdxError> {
    let (magic, rest) = read_u32(bytes).ok_or(IdxError::HeaderTruncated {
        expected: 4,
        found: bytes.len(),
    })?;
    if magic != expected_magic {
        return Err(IdxError::WrongMagic {
            expected: expected_magic,
            found: magic,
        });
    }
    let ndims = usize::from(magic.to_le_bytes()[0]);
    let header_len = 4 + 4 * ndims;
    if bytes.len() < header_len {
        return Err(IdxError::HeaderTruncated {
            expected: header_len,
            found: bytes.len(),
        });
    }
    let (header, data) = rest.split_at(header_len - 4);
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
        .map(|d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| IdxError::TooLarge { dims: dims.clone() })?;
    match data.len() {
        found if found < expected => Err(IdxError::Truncated { expected, found }),
        found if found > expected => Err(IdxError::TrailingBytes { expected, found }),
        _ => Ok((dims, data)),
    }
}

fn read_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

/// What is wrong with the bytes of one IDX file; see [`parse_idx`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdxError {
    /// The file ends inside its header (magic number and dimensions).
    HeaderTruncated {
        /// Header length in bytes, as far as known.
        expected: usize,
        /// File length in bytes.
        found: usize,
    },
    /// The magic number is not the one expected: the wrong file, element type
    /// or number of dimensions.
    WrongMagic {
        /// Magic number expected.
        expected: u32,
        /// Magic number in the file.
        found: u32,
    },
    /// The product of the dimensions does not fit in `usize`.
    TooLarge {
        /// Dimensions in the header.
        dims: Vec<usize>,
    },
    /// Fewer data bytes than the dimensions say.
    Truncated {
        /// Data length the header claims, in bytes.
        expected: usize,
        /// Data length present, in bytes.
        found: usize,
    },
    /// More data bytes than the dimensions say.
    TrailingBytes {
        /// Data length the header claims, in bytes.
        expected: usize,
        /// Data length present, in bytes.
        found: usize,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::HeaderTruncated { expected, found } => write!(
                f,
                "truncated header: expected {expected} bytes, file has {found}"
            ),
            IdxError::WrongMagic { expected, found } => {
                write!(
                    f,
                    "wrong magic number: expected {expected:#010x}, found {found:#010x}"
                )?;
                if found >> 16 == 0x1f8b {
                    f.write_str(" (this looks like gzip data: name the file `*.gz`)")?;
                }
                Ok(())
            }
            IdxError::TooLarge { dims } => {
                f.write_str("header claims an impossible size: ")?;
                for (i, d) in dims.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "x" };
                    write!(f, "{sep}{d}")?;
                }
                f.write_str(" bytes")
            }
            IdxError::Truncated { expected, found } => write!(
                f,
                "truncated: header says {expected} bytes of data, file has {found}"
            ),
            IdxError::TrailingBytes { expected, found } => write!(
                f,
                "trailing bytes: header says {expected} bytes of data, file has {found}"
            ),
        }
    }
}

impl Error for IdxError {}

/// Why [`Mnist::load`] failed. Each message names the file and the problem;
/// the underlying I/O or gzip error, if any, is the [`Error::source`].
#[derive(Debug)]
pub enum MnistError {
    /// None of the accepted names for one file exists in the directory.
    NotFound {
        /// Directory searched.
        dir: PathBuf,
        /// File names tried, in order.
        tried: Vec<String>,
    },
    /// The file exists but could not be read.
    Io {
        /// File read.
        path: PathBuf,
        /// Error from the operating system.
        source: io::Error,
    },
    /// A `*.gz` file is not valid gzip.
    Gzip {
        /// File decoded.
        path: PathBuf,
        /// Error from the decoder.
        source: io::Error,
    },
    /// The (decompressed) file is not a well-formed IDX file of the expected
    /// kind.
    Idx {
        /// File parsed.
        path: PathBuf,
        /// What is wrong; part of this error's message, not its source.
        error: IdxError,
    },
    /// An images file and its labels file hold different numbers of samples.
    CountMismatch {
        /// Images file.
        images: PathBuf,
        /// Images in it.
        image_count: usize,
        /// Labels file.
        labels: PathBuf,
        /// Labels in it.
        label_count: usize,
    },
    /// A label is not a digit `0..10`.
    LabelOutOfRange {
        /// Labels file.
        path: PathBuf,
        /// Index of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
    },
    /// The test images are not the size of the training images.
    ImageSize {
        /// Test images file.
        path: PathBuf,
        /// Their `(rows, cols)`.
        found: (usize, usize),
        /// `(rows, cols)` of the training images.
        expected: (usize, usize),
        /// Training images file.
        train: PathBuf,
    },
}

impl fmt::Display for MnistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MnistError::NotFound { dir, tried } => {
                write!(f, "`{}`: no such file: tried ", dir.display())?;
                for (i, name) in tried.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}`{name}`")?;
                }
                Ok(())
            }
            MnistError::Io { path, .. } => write!(f, "`{}`: cannot read file", path.display()),
            MnistError::Gzip { path, .. } => write!(f, "`{}`: invalid gzip data", path.display()),
            MnistError::Idx { path, error } => write!(f, "`{}`: {error}", path.display()),
            MnistError::CountMismatch {
                images,
                image_count,
                labels,
                label_count,
            } => write!(
                f,
                "`{}` holds {image_count} images but `{}` holds {label_count} labels",
                images.display(),
                labels.display()
            ),
            MnistError::LabelOutOfRange { path, index, label } => write!(
                f,
                "`{}`: label {index} is {label}, expected a digit 0 to 9",
                path.display()
            ),
            MnistError::ImageSize {
                path,
                found,
                expected,
                train,
            } => write!(
                f,
                "`{}`: images are {}x{}, expected {}x{} as in `{}`",
                path.display(),
                found.0,
                found.1,
                expected.0,
                expected.1,
                train.display()
            ),
        }
    }
}

impl Error for MnistError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            MnistError::Io { source, .. } | MnistError::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn pixels_are_divided_by_255_exactly() {
        for p in 0..=255u8 {
            let want = f32::from(std::hint::black_box(p)) / std::hint::black_box(255.0);
            let got = super::pixel(std::hint::black_box(p));
            assert_eq!(got.to_bits(), want.to_bits(), "{p}");
        }
    }

    #[test]
    fn parses_images() {
        let file = idx(IMAGES_MAGIC, &[2, 1, 3], &[1, 2, 3, 4, 5, 6]);
        let (dims, data) = parse_idx(&file, IMAGES_MAGIC).unwrap();
        assert_eq!(dims, [2, 1, 3]);
        assert_eq!(data, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn parses_empty_file_of_zero_samples() {
        let file = idx(IMAGES_MAGIC, &[0, 28, 28], &[]);
        assert_eq!(
            parse_idx(&file, IMAGES_MAGIC),
            Ok((vec![0, 28, 28], &[][..]))
        );
    }

    #[test]
    fn wrong_magic() {
        let file = idx(IMAGES_MAGIC, &[1, 1, 1], &[0]);
        let err = parse_idx(&file, LABELS_MAGIC).unwrap_err();
        assert_eq!(
            err,
            IdxError::WrongMagic {
                expected: LABELS_MAGIC,
                found: IMAGES_MAGIC
            }
        );
        assert_eq!(
            err.to_string(),
            "wrong magic number: expected 0x00000801, found 0x00000803"
        );
    }

    #[test]
    fn gzip_data_gets_a_hint() {
        let err = parse_idx(&[0x1f, 0x8b, 8, 0, 0, 0], LABELS_MAGIC).unwrap_err();
        assert!(err.to_string().contains("looks like gzip"), "{err}");
    }

    #[test]
    fn every_short_header_is_header_truncated() {
        let file = idx(IMAGES_MAGIC, &[1, 1, 1], &[0]);
        for len in 0..4 {
            assert_eq!(
                parse_idx(&file[..len], IMAGES_MAGIC),
                Err(IdxError::HeaderTruncated {
                    expected: 4,
                    found: len
                })
            );
        }
        for len in 4..16 {
            assert_eq!(
                parse_idx(&file[..len], IMAGES_MAGIC),
                Err(IdxError::HeaderTruncated {
                    expected: 16,
                    found: len
                })
            );
        }
    }

    #[test]
    fn truncated_and_trailing_data() {
        let file = idx(LABELS_MAGIC, &[3], &[1, 2]);
        assert_eq!(
            parse_idx(&file, LABELS_MAGIC),
            Err(IdxError::Truncated {
                expected: 3,
                found: 2
            })
        );
        let file = idx(LABELS_MAGIC, &[1], &[1, 2]);
        let err = parse_idx(&file, LABELS_MAGIC).unwrap_err();
        assert_eq!(
            err,
            IdxError::TrailingBytes {
                expected: 1,
                found: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "trailing bytes: header says 1 bytes of data, file has 2"
        );
    }

    #[test]
    fn overflowing_dims_are_too_large() {
        let m = u32::MAX;
        let file = idx(IMAGES_MAGIC, &[m, m, m], &[]);
        let err = parse_idx(&file, IMAGES_MAGIC).unwrap_err();
        assert!(matches!(err, IdxError::TooLarge { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "header claims an impossible size: 4294967295x4294967295x4294967295 bytes"
        );
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn huge_but_representable_dims_are_truncated() {
        let file = idx(IMAGES_MAGIC, &[u32::MAX, 28, 28], &[0; 10]);
        assert_eq!(
            parse_idx(&file, IMAGES_MAGIC),
            Err(IdxError::Truncated {
                expected: u32::MAX as usize * 784,
                found: 10
            })
        );
    }

    #[test]
    fn zero_dimensional_file_holds_one_element() {
        let file = idx(0x0000_0800, &[], &[42]);
        assert_eq!(parse_idx(&file, 0x0000_0800), Ok((vec![], &[42][..])));
    }

    /// Every prefix of a valid file and every single-byte corruption of its
    /// header gives `Ok` or `Err`, never a panic.
    #[test]
    fn never_panics_on_cut_or_corrupt_headers() {
        let file = idx(IMAGES_MAGIC, &[2, 2, 2], &[9; 8]);
        for len in 0..=file.len() {
            let _ = parse_idx(&file[..len], IMAGES_MAGIC);
        }
        for pos in 0..16 {
            for byte in [0x00, 0x01, 0x08, 0x7f, 0x80, 0xff] {
                let mut bad = file.clone();
                bad[pos] = byte;
                let _ = parse_idx(&bad, IMAGES_MAGIC);
                let _ = parse_idx(&bad, u32::from_be_bytes([bad[0], bad[1], bad[2], bad[3]]));
            }
        }
        let max_dims = idx(0x0000_08ff, &[u32::MAX; 255], &[]);
        assert!(matches!(
            parse_idx(&max_dims, 0x0000_08ff),
            Err(IdxError::TooLarge { .. })
        ));
    }
}
