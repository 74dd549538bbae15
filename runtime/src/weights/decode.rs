//! Reading a weights file: header checks and the manifest comparison, all
//! `const fn`, so that weights embedded at compile time are checked while
//! compiling, by the same code that checks a file at run time.

use super::arch::Arch;
use super::error::{Dims, LoadError, Mismatch, Text, MAX_RANK};
use super::{HEADER, MAGIC, VERSION};

/// `?` for `const fn`s.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(e),
        }
    };
}

const fn corrupt<T>(offset: usize, what: &'static str) -> Result<T, LoadError> {
    Err(LoadError::Corrupt { offset, what })
}

const fn mismatch<T>(m: Mismatch) -> Result<T, LoadError> {
    Err(LoadError::Mismatch(m))
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A bounds-checked little-endian reader over the header.
struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Rd<'a> {
    const fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if n > self.b.len() - self.pos {
            return corrupt(self.pos, "manifest runs past the header");
        }
        let (_, rest) = self.b.split_at(self.pos);
        self.pos += n;
        Ok(rest.split_at(n).0)
    }

    const fn u32(&mut self) -> Result<u32, LoadError> {
        let b = tri!(self.take(4));
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    const fn u64(&mut self) -> Result<u64, LoadError> {
        let b = tri!(self.take(8));
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    const fn str(&mut self) -> Result<&'a [u8], LoadError> {
        let len = tri!(self.u32()) as usize;
        self.take(len)
    }

    const fn dims(&mut self) -> Result<Dims, LoadError> {
        let at = self.pos;
        let rank = tri!(self.u32()) as usize;
        if rank > MAX_RANK {
            return corrupt(at, "a shape of more than 8 dimensions");
        }
        let mut d = Dims::EMPTY;
        let mut i = 0;
        while i < rank {
            d.push(tri!(self.u64()));
            i += 1;
        }
        Ok(d)
    }
}

/// `u32` at a fixed header offset (the caller checked the length).
const fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

const fn u64_at(b: &[u8], at: usize) -> u64 {
    (u32_at(b, at) as u64) | ((u32_at(b, at + 4) as u64) << 32)
}

/// The fixed header, checked for shape but not yet against a network.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub header_len: usize,
    pub crc: u32,
    pub fingerprint: u64,
    pub params: u64,
    pub buffers: u64,
}

/// Checks magic, version and lengths.
pub(crate) const fn header(b: &[u8]) -> Result<Header, LoadError> {
    if b.len() < HEADER {
        return Err(LoadError::TooShort { len: b.len() });
    }
    if !bytes_eq(b.split_at(8).0, &MAGIC) {
        return Err(LoadError::BadMagic);
    }
    let version = u32_at(b, 8);
    if version != VERSION {
        return Err(LoadError::Version { found: version });
    }
    let header_len = u32_at(b, 16) as usize;
    if u32_at(b, 20) != 0 {
        return corrupt(20, "unknown flags");
    }
    if header_len < HEADER || !header_len.is_multiple_of(16) {
        return corrupt(16, "header length is not a multiple of 16 of at least 48");
    }
    let (params, buffers) = (u64_at(b, 32), u64_at(b, 40));
    // In u128: a header claiming 2^64 values is a length error, not an overflow.
    let expected = header_len as u128 + 4 * (params as u128 + buffers as u128);
    if expected != b.len() as u128 {
        let expected = if expected > u64::MAX as u128 {
            u64::MAX
        } else {
            expected as u64
        };
        return Err(LoadError::Length {
            expected,
            found: b.len(),
        });
    }
    Ok(Header {
        header_len,
        crc: u32_at(b, 12),
        fingerprint: u64_at(b, 24),
        params,
        buffers,
    })
}

/// Compares the file's manifest with `arch`: tensors first (what the weights
/// are), then layers, then the input; the first difference is the error.
pub(crate) const fn compare(b: &[u8], h: &Header, arch: &Arch) -> Result<(), LoadError> {
    let mut r = Rd {
        b: b.split_at(h.header_len).0,
        pos: HEADER,
    };
    let input = tri!(r.dims());
    let n_layers = tri!(r.u32()) as usize;
    let layers_at = r.pos;
    let mut i = 0;
    while i < n_layers {
        tri!(r.str());
        tri!(r.str());
        tri!(r.str());
        tri!(r.dims());
        i += 1;
    }

    let n_tensors = tri!(r.u32()) as usize;
    let mut i = 0;
    while i < n_tensors && i < arch.tensors.len() {
        let t = &arch.tensors[i];
        let (layer, attr) = (tri!(r.str()), tri!(r.str()));
        let shape = tri!(r.dims());
        let at = r.pos;
        let flags = tri!(r.u32());
        if !bytes_eq(layer, t.layer.as_bytes()) || !bytes_eq(attr, t.attr.as_bytes()) {
            let mut found = Text::new(layer);
            found.push(b".");
            found.push(attr);
            return mismatch(Mismatch::TensorName {
                index: i,
                layer: t.layer,
                attr: t.attr,
                found,
            });
        }
        if !shape.eq_usizes(t.shape) {
            return mismatch(Mismatch::TensorShape {
                layer: t.layer,
                attr: t.attr,
                expected: Dims::from_usizes(t.shape),
                found: shape,
            });
        }
        if flags > 1 {
            return corrupt(at, "unknown tensor flags");
        }
        if (flags == 1) != t.trainable {
            return mismatch(Mismatch::Trainable {
                layer: t.layer,
                attr: t.attr,
            });
        }
        i += 1;
    }
    if n_tensors != arch.tensors.len() {
        return mismatch(Mismatch::TensorCount {
            expected: arch.tensors.len(),
            found: n_tensors,
        });
    }

    r.pos = layers_at;
    let mut i = 0;
    while i < n_layers && i < arch.layers.len() {
        let l = &arch.layers[i];
        let (name, kind, config) = (tri!(r.str()), tri!(r.str()), tri!(r.str()));
        let output = tri!(r.dims());
        if !bytes_eq(name, l.name.as_bytes()) {
            return mismatch(Mismatch::LayerName {
                index: i,
                expected: l.name,
                found: Text::new(name),
            });
        }
        if !bytes_eq(kind, l.kind.as_bytes()) {
            return mismatch(Mismatch::LayerKind {
                layer: l.name,
                expected: l.kind,
                found: Text::new(kind),
            });
        }
        if !bytes_eq(config, l.config.as_bytes()) {
            return mismatch(Mismatch::LayerConfig {
                layer: l.name,
                expected: l.config,
                found: Text::new(config),
            });
        }
        if !output.eq_usizes(l.output) {
            return mismatch(Mismatch::LayerOutput {
                layer: l.name,
                expected: Dims::from_usizes(l.output),
                found: output,
            });
        }
        i += 1;
    }
    if n_layers != arch.layers.len() {
        return mismatch(Mismatch::LayerCount {
            expected: arch.layers.len(),
            found: n_layers,
        });
    }
    if !input.eq_usizes(arch.input) {
        return mismatch(Mismatch::Input {
            expected: Dims::from_usizes(arch.input),
            found: input,
        });
    }
    if h.fingerprint != arch.fingerprint() {
        return mismatch(Mismatch::Header {
            what: "fingerprint",
        });
    }
    if h.params != arch.params() as u64 || h.buffers != arch.buffers() as u64 {
        return mismatch(Mismatch::Header {
            what: "parameter count",
        });
    }
    Ok(())
}
