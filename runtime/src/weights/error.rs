//! Typed errors of the weight formats. No allocation: shapes and names read
//! from a file are kept inline ([`Dims`], [`Text`]), and messages are written
//! by a `const fn` so that a mismatch found while compiling (weights embedded
//! with [`include_weights!`](crate::include_weights)) reads like one found at
//! run time.

use core::fmt;

/// Most dimensions a saved tensor may have.
pub const MAX_RANK: usize = 8;
/// Bytes of a name read from a file that an error keeps.
pub const TEXT_LEN: usize = 96;

/// A shape, inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    dims: [u64; MAX_RANK],
    rank: usize,
}

impl Dims {
    /// The empty shape (a scalar).
    pub const EMPTY: Self = Self {
        dims: [0; MAX_RANK],
        rank: 0,
    };

    /// From a shape of at most [`MAX_RANK`] dimensions (longer ones are cut).
    pub const fn from_usizes(d: &[usize]) -> Self {
        let mut out = Self::EMPTY;
        while out.rank < d.len() && out.rank < MAX_RANK {
            out.dims[out.rank] = d[out.rank] as u64;
            out.rank += 1;
        }
        out
    }

    pub(crate) const fn push(&mut self, d: u64) {
        if self.rank < MAX_RANK {
            self.dims[self.rank] = d;
            self.rank += 1;
        }
    }

    /// The dimensions.
    pub fn as_slice(&self) -> &[u64] {
        &self.dims[..self.rank]
    }

    /// Whether this equals a network's shape.
    pub const fn eq_usizes(&self, d: &[usize]) -> bool {
        if self.rank != d.len() {
            return false;
        }
        let mut i = 0;
        while i < d.len() {
            if self.dims[i] != d[i] as u64 {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// A name read from a file, inline (cut to [`TEXT_LEN`] bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text {
    bytes: [u8; TEXT_LEN],
    len: usize,
    cut: bool,
}

impl Text {
    /// The empty text.
    pub const EMPTY: Self = Self {
        bytes: [0; TEXT_LEN],
        len: 0,
        cut: false,
    };

    /// Copies `b` (cut to [`TEXT_LEN`] bytes).
    pub const fn new(b: &[u8]) -> Self {
        let mut t = Self::EMPTY;
        t.push(b);
        t
    }

    pub(crate) const fn push(&mut self, b: &[u8]) {
        let mut i = 0;
        while i < b.len() {
            if self.len == TEXT_LEN {
                self.cut = true;
                return;
            }
            self.bytes[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
    }

    /// The longest valid UTF-8 prefix of what was kept.
    pub const fn as_str(&self) -> &str {
        let b = self.bytes.split_at(self.len).0;
        match core::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => match core::str::from_utf8(b.split_at(e.valid_up_to()).0) {
                Ok(s) => s,
                Err(_) => "",
            },
        }
    }
}

/// A difference between a weights file and the network it is loaded into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The input shapes differ.
    Input {
        /// The network's.
        expected: Dims,
        /// The file's.
        found: Dims,
    },
    /// The numbers of tensors differ.
    TensorCount {
        /// The network's.
        expected: usize,
        /// The file's.
        found: usize,
    },
    /// The tensor at `index` has another name (`layer.attr`).
    TensorName {
        /// Position in the tensor list.
        index: usize,
        /// The network's layer.
        layer: &'static str,
        /// The network's attribute.
        attr: &'static str,
        /// The file's `layer.attr`.
        found: Text,
    },
    /// A tensor's shape differs.
    TensorShape {
        /// The layer.
        layer: &'static str,
        /// The attribute.
        attr: &'static str,
        /// The network's shape.
        expected: Dims,
        /// The file's shape.
        found: Dims,
    },
    /// A tensor is a parameter in one and a buffer in the other.
    Trainable {
        /// The layer.
        layer: &'static str,
        /// The attribute.
        attr: &'static str,
    },
    /// The numbers of layers differ.
    LayerCount {
        /// The network's.
        expected: usize,
        /// The file's.
        found: usize,
    },
    /// The layer at `index` has another name.
    LayerName {
        /// Position in the layer list.
        index: usize,
        /// The network's name.
        expected: &'static str,
        /// The file's.
        found: Text,
    },
    /// A layer is of another kind.
    LayerKind {
        /// The layer.
        layer: &'static str,
        /// The network's kind.
        expected: &'static str,
        /// The file's.
        found: Text,
    },
    /// A layer's hyper-parameters differ.
    LayerConfig {
        /// The layer.
        layer: &'static str,
        /// The network's.
        expected: &'static str,
        /// The file's.
        found: Text,
    },
    /// A layer's output shape differs.
    LayerOutput {
        /// The layer.
        layer: &'static str,
        /// The network's.
        expected: Dims,
        /// The file's.
        found: Dims,
    },
    /// Manifests agree but the header's fingerprint or counts do not.
    Header {
        /// What disagrees.
        what: &'static str,
    },
}

/// Why weights could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Shorter than the fixed header.
    TooShort {
        /// Bytes in the file.
        len: usize,
    },
    /// The file does not start with the staticnet magic number.
    BadMagic,
    /// A format version this build cannot read.
    Version {
        /// The file's version.
        found: u32,
    },
    /// The file's length is not what its header says.
    Length {
        /// Bytes the header announces (saturating).
        expected: u64,
        /// Bytes in the file.
        found: usize,
    },
    /// The CRC-32 of the file body does not match the header.
    Checksum {
        /// The header's.
        stored: u32,
        /// The body's.
        computed: u32,
    },
    /// The header or manifest is malformed.
    Corrupt {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// The file was saved from another architecture.
    Mismatch(Mismatch),
    /// A weight is NaN or infinite.
    NonFinite {
        /// The layer.
        layer: &'static str,
        /// The attribute.
        attr: &'static str,
        /// Flat index into the tensor.
        index: usize,
    },
    /// An int8 network's file was saved from another declaration or
    /// quantised layout (its fingerprint covers both).
    Fingerprint {
        /// The network's.
        expected: u64,
        /// The file's.
        found: u64,
    },
    /// An int8 network's quantisation parameter is out of its range (a zero
    /// point outside `[-128, 127]`, a multiplier not in Q31 form, a row sum
    /// that is not its weights' sum).
    Invalid {
        /// The layer (or `scale`/`zero`/`clamp` for the activations' table).
        layer: &'static str,
        /// What is wrong.
        what: &'static str,
    },
}

/// Why weights could not be saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveError {
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        found: usize,
    },
    /// A weight is NaN or infinite: such a file could not be loaded.
    NonFinite {
        /// The layer.
        layer: &'static str,
        /// The attribute.
        attr: &'static str,
        /// Flat index into the tensor.
        index: usize,
    },
    /// [`save_arch`](super::save_arch): the state vector's length is not
    /// the architecture's.
    StateLen {
        /// Parameters plus buffers of the architecture.
        expected: usize,
        /// Length given.
        found: usize,
    },
}

/// A fixed-capacity message buffer written in `const fn`s.
pub struct Msg {
    buf: [u8; 320],
    len: usize,
}

impl Msg {
    /// An empty message.
    pub const fn new() -> Self {
        Self {
            buf: [0; 320],
            len: 0,
        }
    }

    /// Appends `s` (cut at capacity).
    pub const fn str(&mut self, s: &str) -> &mut Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.buf.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends a number in decimal.
    pub const fn num(&mut self, mut v: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            digits[19 - n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        match core::str::from_utf8(digits.split_at(20 - n).1) {
            Ok(s) => self.str(s),
            Err(_) => self,
        }
    }

    /// Appends `0x` and 8 hexadecimal digits.
    pub const fn hex32(&mut self, v: u32) -> &mut Self {
        let mut digits = *b"0x00000000";
        let mut i = 0;
        while i < 8 {
            let d = ((v >> (28 - 4 * i)) & 0xf) as u8;
            digits[2 + i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            i += 1;
        }
        match core::str::from_utf8(&digits) {
            Ok(s) => self.str(s),
            Err(_) => self,
        }
    }

    /// Appends `[a, b, c]`.
    pub const fn dims(&mut self, d: &Dims) -> &mut Self {
        self.str("[");
        let mut i = 0;
        while i < d.rank {
            if i > 0 {
                self.str(", ");
            }
            self.num(d.dims[i]);
            i += 1;
        }
        self.str("]")
    }

    /// Appends a file text, with `...` if it was cut.
    pub const fn text(&mut self, t: &Text) -> &mut Self {
        self.str(t.as_str());
        if t.cut {
            self.str("...");
        }
        self
    }

    /// The message so far.
    pub const fn as_str(&self) -> &str {
        let b = self.buf.split_at(self.len).0;
        match core::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => match core::str::from_utf8(b.split_at(e.valid_up_to()).0) {
                Ok(s) => s,
                Err(_) => "",
            },
        }
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

impl Mismatch {
    /// Writes the rustc-style message.
    pub const fn describe(&self, m: &mut Msg) {
        match self {
            Mismatch::Input { expected, found } => {
                m.str("input: expected ").dims(expected);
                m.str(", file has ").dims(found);
            }
            Mismatch::TensorCount { expected, found } => {
                m.str("expected ").num(*expected as u64);
                m.str(" tensors, file has ").num(*found as u64);
            }
            Mismatch::TensorName {
                index,
                layer,
                attr,
                found,
            } => {
                m.str("tensor ").num(*index as u64).str(": expected `");
                m.str(layer).str(".").str(attr).str("`, file has `");
                m.text(found).str("`");
            }
            Mismatch::TensorShape {
                layer,
                attr,
                expected,
                found,
            } => {
                m.str("layer ").str(layer).str(": `").str(attr);
                m.str("` expected ").dims(expected);
                m.str(", file has ").dims(found);
            }
            Mismatch::Trainable { layer, attr } => {
                m.str("layer ").str(layer).str(": `").str(attr);
                m.str("` is a parameter in one and a buffer in the other");
            }
            Mismatch::LayerCount { expected, found } => {
                m.str("expected ").num(*expected as u64);
                m.str(" layers, file has ").num(*found as u64);
            }
            Mismatch::LayerName {
                index,
                expected,
                found,
            } => {
                m.str("layer ").num(*index as u64).str(": expected name `");
                m.str(expected).str("`, file has `").text(found).str("`");
            }
            Mismatch::LayerKind {
                layer,
                expected,
                found,
            } => {
                m.str("layer ").str(layer).str(": expected `").str(expected);
                m.str("`, file has `").text(found).str("`");
            }
            Mismatch::LayerConfig {
                layer,
                expected,
                found,
            } => {
                m.str("layer ").str(layer).str(": expected `").str(expected);
                m.str("`, file has `").text(found).str("`");
            }
            Mismatch::LayerOutput {
                layer,
                expected,
                found,
            } => {
                m.str("layer ").str(layer).str(": output expected ");
                m.dims(expected).str(", file has ").dims(found);
            }
            Mismatch::Header { what } => {
                m.str("header ")
                    .str(what)
                    .str(" differs though the manifests agree");
            }
        }
    }
}

impl LoadError {
    /// Writes the rustc-style message.
    pub const fn describe(&self, m: &mut Msg) {
        match self {
            LoadError::TooShort { len } => {
                m.str("file is ").num(*len as u64);
                m.str(" bytes, shorter than the 48-byte header");
            }
            LoadError::BadMagic => {
                m.str("not a staticnet weights file (bad magic number)");
            }
            LoadError::Version { found } => {
                m.str("format version ").num(*found as u64);
                m.str(", this build reads version 1");
            }
            LoadError::Length { expected, found } => {
                m.str("file has ")
                    .num(*found as u64)
                    .str(" bytes, its header says ");
                m.num(*expected);
            }
            LoadError::Checksum { stored, computed } => {
                m.str("checksum mismatch: header has ").hex32(*stored);
                m.str(", body has ").hex32(*computed);
            }
            LoadError::Corrupt { offset, what } => {
                m.str("corrupt header at byte ").num(*offset as u64);
                m.str(": ").str(what);
            }
            LoadError::Mismatch(mm) => {
                m.str("architecture differs: ");
                mm.describe(m);
            }
            LoadError::NonFinite { layer, attr, index } => {
                m.str("layer ").str(layer).str(": `").str(attr);
                m.str("` has a NaN or infinite value at index ")
                    .num(*index as u64);
            }
            LoadError::Fingerprint { expected, found } => {
                m.str("saved from another int8 network: fingerprint ")
                    .num(*found);
                m.str(", this network's is ").num(*expected);
            }
            LoadError::Invalid { layer, what } => {
                m.str("layer ").str(layer).str(": ").str(what);
            }
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = Msg::new();
        self.describe(&mut m);
        f.write_str(m.as_str())
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = Msg::new();
        self.describe(&mut m);
        f.write_str(m.as_str())
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::BufferTooSmall { needed, found } => {
                write!(f, "buffer of {found} bytes, the weights need {needed}")
            }
            SaveError::NonFinite { layer, attr, index } => write!(
                f,
                "layer {layer}: `{attr}` has a NaN or infinite value at index {index}"
            ),
            SaveError::StateLen { expected, found } => write!(
                f,
                "a state of {found} values for an architecture of {expected}"
            ),
        }
    }
}

impl core::error::Error for LoadError {}
impl core::error::Error for SaveError {}
