//! What a network is, as data: input shape, layers, tensors. Every generated
//! network carries one [`Arch`] ([`Network::ARCH`](crate::Network::ARCH)); the
//! weight formats write it into files and compare it on load.
//!
//! The manifest encoding below is the one source of the architecture
//! fingerprint: the fingerprint is the FNV-1a hash of the manifest bytes, so
//! two networks have the same fingerprint exactly when their manifests agree.

/// A network's architecture: enough to tell whether saved weights fit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arch {
    /// Shape of one input sample.
    pub input: &'static [usize],
    /// Every layer, in declaration order.
    pub layers: &'static [LayerInfo],
    /// Every tensor of the network struct in memory order: trainable
    /// parameters first, then buffers.
    pub tensors: &'static [TensorInfo],
}

/// One layer of an [`Arch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer's name (`dense0`, or the one the declaration gives).
    pub name: &'static str,
    /// The DSL keyword (`dense`, `conv2d`).
    pub kind: &'static str,
    /// Hyper-parameters the shapes do not show (`stride=(2, 2), ...`).
    pub config: &'static str,
    /// Shape of one output sample.
    pub output: &'static [usize],
}

/// One tensor of an [`Arch`]: PyTorch's `state_dict` entry `<layer>.<attr>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The owning layer's name, the `state_dict` prefix.
    pub layer: &'static str,
    /// PyTorch's attribute (`weight`, `bias`, `running_mean`).
    pub attr: &'static str,
    /// PyTorch's shape; `[]` for a scalar.
    pub shape: &'static [usize],
    /// Offset, in `f32`s, into [`Network::state`](crate::Network::state).
    pub offset: usize,
    /// Trained by the optimizer (a parameter) or not (a buffer).
    pub trainable: bool,
}

impl TensorInfo {
    /// Number of `f32`s (1 for a scalar).
    pub const fn len(&self) -> usize {
        let mut n = 1;
        let mut i = 0;
        while i < self.shape.len() {
            n *= self.shape[i];
            i += 1;
        }
        n
    }

    /// Whether the tensor holds no value (a zero dimension; never generated).
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// FNV-1a 64-bit offset basis and prime.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Where manifest bytes go: into a buffer (when `store`), and always into the
/// length count and the fingerprint hash.
pub(crate) struct Sink<'a> {
    pub buf: &'a mut [u8],
    pub store: bool,
    pub pos: usize,
    pub hash: u64,
}

impl<'a> Sink<'a> {
    pub const fn new(buf: &'a mut [u8], store: bool) -> Self {
        Self {
            buf,
            store,
            pos: 0,
            hash: FNV_OFFSET,
        }
    }

    const fn byte(&mut self, b: u8) {
        if self.store {
            self.buf[self.pos] = b;
        }
        self.pos += 1;
        self.hash = (self.hash ^ b as u64).wrapping_mul(FNV_PRIME);
    }

    const fn bytes(&mut self, b: &[u8]) {
        let mut i = 0;
        while i < b.len() {
            self.byte(b[i]);
            i += 1;
        }
    }

    const fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    const fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.bytes(s.as_bytes());
    }

    const fn dims(&mut self, d: &[usize]) {
        self.u32(d.len() as u32);
        let mut i = 0;
        while i < d.len() {
            self.bytes(&(d[i] as u64).to_le_bytes());
            i += 1;
        }
    }
}

impl Arch {
    /// Writes the manifest (see the module documentation of
    /// [`weights`](crate::weights)) into `sink`.
    pub(crate) const fn write_manifest(&self, sink: &mut Sink<'_>) {
        sink.dims(self.input);
        sink.u32(self.layers.len() as u32);
        let mut i = 0;
        while i < self.layers.len() {
            let l = &self.layers[i];
            sink.str(l.name);
            sink.str(l.kind);
            sink.str(l.config);
            sink.dims(l.output);
            i += 1;
        }
        sink.u32(self.tensors.len() as u32);
        let mut i = 0;
        while i < self.tensors.len() {
            let t = &self.tensors[i];
            sink.str(t.layer);
            sink.str(t.attr);
            sink.dims(t.shape);
            sink.u32(t.trainable as u32);
            i += 1;
        }
    }

    /// Bytes of the encoded manifest.
    pub const fn manifest_len(&self) -> usize {
        let mut sink = Sink::new(&mut [], false);
        self.write_manifest(&mut sink);
        sink.pos
    }

    /// The architecture fingerprint: FNV-1a 64 of the manifest. Layer kinds,
    /// names, hyper-parameters and every shape go into it.
    pub const fn fingerprint(&self) -> u64 {
        let mut sink = Sink::new(&mut [], false);
        self.write_manifest(&mut sink);
        sink.hash
    }

    /// Number of trainable `f32`s.
    pub const fn params(&self) -> usize {
        self.count(true)
    }

    /// Number of buffer `f32`s.
    pub const fn buffers(&self) -> usize {
        self.count(false)
    }

    const fn count(&self, trainable: bool) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.tensors.len() {
            if self.tensors[i].trainable == trainable {
                n += self.tensors[i].len();
            }
            i += 1;
        }
        n
    }
}
