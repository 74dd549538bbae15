//! [safetensors](https://huggingface.co/docs/safetensors) import and export
//! with PyTorch `state_dict` names and layouts (feature `std`).
//!
//! Every tensor of [`Network::ARCH`] is `<layer>.<attr>`: `dense0.weight`
//! `[out, in]`, `dense0.bias` `[out]`, `conv2d0.weight`
//! `[out, in/groups, kh, kw]`, batch norm `weight`, `bias`, `running_mean`,
//! `running_var` and `num_batches_tracked` (an `I64` scalar, as PyTorch).
//! Layer names given in the declaration are the prefixes, so a PyTorch module
//! whose attributes have the same names exchanges weights directly.
//!
//! Import is strict by default: a missing, extra or misshapen tensor is an
//! error listing every problem with both shapes. [`Options::lenient`] ignores
//! extra tensors and leaves missing ones unchanged. Floats may be `F32`,
//! `F64`, `F16` or `BF16`; `num_batches_tracked` may also be an integer.
//! Nothing is written to the network unless the whole file is accepted.
//!
//! ```
//! staticnet::network! { struct Net { input: [4], dense(3), relu, dense(2) } }
//! use staticnet::{weights::safetensors, Network};
//!
//! let net = Net::new_boxed(1);
//! let bytes = safetensors::to_bytes(&*net).unwrap();
//! let mut copy = Net::zeroed_boxed();
//! safetensors::load(&bytes, &mut *copy).unwrap();
//! assert_eq!(net.state(), copy.state());
//! ```

use crate::weights::Arch;
use crate::Network;
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::format;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use super::TensorInfo;

/// One problem between a file and a network.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The network has the tensor, the file does not.
    Missing {
        /// `layer.attr`.
        name: String,
        /// The network's shape.
        shape: Vec<usize>,
    },
    /// The file has a tensor the network does not.
    Extra {
        /// The file's name.
        name: String,
        /// The file's shape.
        shape: Vec<usize>,
    },
    /// Both have it, with different shapes.
    Shape {
        /// `layer.attr`.
        name: String,
        /// The network's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A dtype that cannot become `f32` here.
    Dtype {
        /// `layer.attr`.
        name: String,
        /// The file's dtype.
        found: String,
    },
    /// A NaN or infinite value (or an `F64` out of `f32` range).
    NonFinite {
        /// `layer.attr`.
        name: String,
        /// Flat index.
        index: usize,
    },
    /// A batch counter that is not a whole number in `[0, 2^24]` (the range
    /// its `f32` storage holds exactly).
    Counter {
        /// `layer.attr`.
        name: String,
        /// The file's value.
        value: f64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { name, shape } => write!(f, "missing tensor `{name}` {shape:?}"),
            Problem::Extra { name, shape } => {
                write!(
                    f,
                    "unexpected tensor `{name}` {shape:?} (not in the network)"
                )
            }
            Problem::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}`: expected {expected:?}, file has {found:?}"
            ),
            Problem::Dtype { name, found } => write!(
                f,
                "tensor `{name}`: dtype {found} is not supported (expected F32, F64, F16 or BF16)"
            ),
            Problem::NonFinite { name, index } => {
                write!(f, "tensor `{name}`: NaN or infinite value at index {index}")
            }
            Problem::Counter { name, value } => write!(
                f,
                "tensor `{name}`: a batch counter must be a whole number in [0, 16777216], found {value}"
            ),
        }
    }
}

/// Why a safetensors file could not be read or written.
#[derive(Debug)]
pub enum Error {
    /// Not a valid safetensors file.
    Format(SafeTensorError),
    /// The file's tensors do not fit the network (every problem found).
    Mismatch(Vec<Problem>),
    /// The network holds a NaN or infinite value (on export).
    NonFinite {
        /// `layer.attr`.
        name: String,
        /// Flat index.
        index: usize,
    },
    /// [`arch_to_bytes`]: the state vector's length is not the
    /// architecture's.
    StateLen {
        /// Parameters plus buffers of the architecture.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Format(e) => write!(f, "not a valid safetensors file: {e}"),
            Error::Mismatch(problems) => {
                write!(f, "{} tensor problem(s):", problems.len())?;
                for p in problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            Error::NonFinite { name, index } => {
                write!(f, "tensor `{name}`: NaN or infinite value at index {index}")
            }
            Error::StateLen { expected, found } => {
                write!(
                    f,
                    "a state of {found} values for an architecture of {expected}"
                )
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

/// Import options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Ignore tensors the network does not have, and leave the network's
    /// tensors the file lacks unchanged. Shapes and dtypes are still checked.
    pub lenient: bool,
}

impl Options {
    /// Every tensor present, no extra one (the default).
    pub const fn strict() -> Self {
        Self { lenient: false }
    }

    /// Extra tensors ignored, missing ones left unchanged.
    pub const fn lenient() -> Self {
        Self { lenient: true }
    }
}

/// What a lenient import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Tensors read.
    pub loaded: Vec<String>,
    /// The network's tensors absent from the file (left unchanged).
    pub missing: Vec<String>,
    /// The file's tensors the network does not have (ignored).
    pub ignored: Vec<String>,
}

/// `layer.attr`.
pub fn tensor_name(t: &TensorInfo) -> String {
    format!("{}.{}", t.layer, t.attr)
}

/// PyTorch stores batch counters as `int64`.
fn is_counter(t: &TensorInfo) -> bool {
    t.attr == "num_batches_tracked" && t.shape.is_empty()
}

struct Out {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Out {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The network's parameters and buffers as a safetensors file (metadata
/// `format: pt`, as `safetensors.torch.save_file`).
pub fn to_bytes<N: Network>(net: &N) -> Result<Vec<u8>, Error> {
    arch_to_bytes(&N::ARCH, net.state())
}

/// [`to_bytes`] from an architecture and its state vector (parameters, then
/// buffers, at the offsets `arch` gives), for tools that have no network type
/// (the ONNX importer).
pub fn arch_to_bytes(arch: &Arch, state: &[f32]) -> Result<Vec<u8>, Error> {
    let expected = arch.params() + arch.buffers();
    if state.len() != expected {
        return Err(Error::StateLen {
            expected,
            found: state.len(),
        });
    }
    let mut outs = Vec::new();
    for t in arch.tensors {
        let values = &state[t.offset..t.offset + t.len()];
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name: tensor_name(t),
                index,
            });
        }
        let (dtype, data) = if is_counter(t) {
            let count = values[0] as i64;
            (Dtype::I64, count.to_le_bytes().to_vec())
        } else {
            (
                Dtype::F32,
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        };
        outs.push((
            tensor_name(t),
            Out {
                dtype,
                shape: t.shape.to_vec(),
                data,
            },
        ));
    }
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let views = outs.iter().map(|(n, o)| (n.clone(), o));
    safetensors::tensor::serialize(views, Some(meta)).map_err(Error::Format)
}

/// Writes [`to_bytes`] to `path`, atomically ([`write_atomic`](super::write_atomic)):
/// if the save fails or is interrupted, the previous file is intact.
pub fn save_file<N: Network>(net: &N, path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    super::write_atomic(path, &to_bytes(net)?).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Converts one tensor's bytes to `f32`, or says why not.
fn convert(dtype: Dtype, data: &[u8], out: &mut [f32], counter: bool) -> Result<(), Option<usize>> {
    macro_rules! each {
        ($n:literal, $conv:expr) => {{
            for (o, b) in out.iter_mut().zip(data.chunks_exact($n)) {
                *o = $conv(b.try_into().unwrap_or([0; $n]));
            }
        }};
    }
    match dtype {
        Dtype::F32 => each!(4, f32::from_le_bytes),
        Dtype::F64 => each!(8, |b| f64::from_le_bytes(b) as f32),
        Dtype::BF16 => each!(2, |b| f32::from_bits((u16::from_le_bytes(b) as u32) << 16)),
        Dtype::F16 => each!(2, |b| f16_to_f32(u16::from_le_bytes(b))),
        Dtype::I64 if counter => each!(8, |b| i64::from_le_bytes(b) as f32),
        Dtype::I32 if counter => each!(4, |b| i32::from_le_bytes(b) as f32),
        _ => return Err(None),
    }
    match out.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Some(i)),
        None => Ok(()),
    }
}

/// Whether a converted batch counter is a whole number that `f32` holds
/// exactly, `[0, 2^24]` (checked on the file's integer for `I64`, whose
/// conversion to `f32` may round).
fn valid_counter(dtype: Dtype, data: &[u8], converted: f32) -> bool {
    const MAX: f32 = 16_777_216.0;
    match dtype {
        Dtype::I64 => data
            .try_into()
            .is_ok_and(|b| (0..=1 << 24).contains(&i64::from_le_bytes(b))),
        Dtype::I32 => data
            .try_into()
            .is_ok_and(|b| (0..=1 << 24).contains(&i32::from_le_bytes(b))),
        _ => (0.0..=MAX).contains(&converted) && converted.fract() == 0.0,
    }
}

/// IEEE half to single precision (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        // Subnormal: value = frac * 2^-24.
        (0, _) => {
            let magnitude = frac as f32 * 2f32.powi(-24);
            return if sign != 0 { -magnitude } else { magnitude };
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, _) => sign | 0x7fc0_0000,
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Strict import: every tensor of the network, no other, exact shapes.
pub fn load<N: Network>(bytes: &[u8], net: &mut N) -> Result<Report, Error> {
    load_with(bytes, net, Options::strict())
}

/// Import with [`Options`]. On error `net` is unchanged.
pub fn load_with<N: Network>(bytes: &[u8], net: &mut N, opts: Options) -> Result<Report, Error> {
    let file = SafeTensors::deserialize(bytes).map_err(Error::Format)?;
    let mut state = net.state().to_vec();
    let (mut problems, mut report) = (Vec::new(), Report::default());
    for t in N::ARCH.tensors {
        let name = tensor_name(t);
        let view = match file.tensor(&name) {
            Ok(v) => v,
            Err(_) => {
                if opts.lenient {
                    report.missing.push(name);
                } else {
                    problems.push(Problem::Missing {
                        name,
                        shape: t.shape.to_vec(),
                    });
                }
                continue;
            }
        };
        if view.shape() != t.shape {
            problems.push(Problem::Shape {
                name,
                expected: t.shape.to_vec(),
                found: view.shape().to_vec(),
            });
            continue;
        }
        let out = &mut state[t.offset..t.offset + t.len()];
        match convert(view.dtype(), view.data(), out, is_counter(t)) {
            Ok(()) if is_counter(t) && !valid_counter(view.dtype(), view.data(), out[0]) => {
                let value = match view.dtype() {
                    Dtype::I64 => view
                        .data()
                        .try_into()
                        .map_or(f64::NAN, |b| i64::from_le_bytes(b) as f64),
                    _ => f64::from(out[0]),
                };
                problems.push(Problem::Counter { name, value });
            }
            Ok(()) => report.loaded.push(name),
            Err(None) => problems.push(Problem::Dtype {
                name,
                found: format!("{:?}", view.dtype()),
            }),
            Err(Some(index)) => problems.push(Problem::NonFinite { name, index }),
        }
    }
    let known: Vec<String> = N::ARCH.tensors.iter().map(tensor_name).collect();
    let mut extra: Vec<(String, Vec<usize>)> = file
        .iter()
        .filter(|(n, _)| !known.iter().any(|k| k == n))
        .map(|(n, v)| (n.to_string(), v.shape().to_vec()))
        .collect();
    extra.sort();
    for (name, shape) in extra {
        if opts.lenient {
            report.ignored.push(name);
        } else {
            problems.push(Problem::Extra { name, shape });
        }
    }
    if !problems.is_empty() {
        return Err(Error::Mismatch(problems));
    }
    net.state_mut().copy_from_slice(&state);
    Ok(report)
}

/// Reads a safetensors file into `net` with [`Options`].
pub fn load_file<N: Network>(
    path: impl AsRef<Path>,
    net: &mut N,
    opts: Options,
) -> Result<Report, Error> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_with(&bytes, net, opts)
}
