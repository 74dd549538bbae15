//! [`Conv2dGeom`]: the sizes of a convolution, which algorithm runs it, and
//! the scratch each pass needs.

/// The geometry of a 2-D convolution (all sizes in elements; see the module
/// docs for the layouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    /// Input channels.
    pub in_c: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output channels.
    pub out_c: usize,
    /// Output height: `(in_h + 2 pad_h - dil_h (k_h - 1) - 1) / stride_h + 1`.
    pub out_h: usize,
    /// Output width: `(in_w + 2 pad_w - dil_w (k_w - 1) - 1) / stride_w + 1`.
    pub out_w: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Zero rows added above and below the input.
    pub pad_h: usize,
    /// Zero columns added left and right of the input.
    pub pad_w: usize,
    /// Vertical dilation (distance between kernel taps).
    pub dil_h: usize,
    /// Horizontal dilation.
    pub dil_w: usize,
    /// Channel groups: output channel `oc` sees the input channels of group
    /// `oc / (out_c / groups)`; `groups = in_c` is a depthwise convolution.
    pub groups: usize,
}

impl Conv2dGeom {
    /// The f32s of scratch that [`conv2d_forward`](super::conv2d_forward) needs (independent of
    /// the batch size): one group's unfolded input, or for a wide geometry
    /// (`is_wide`) its padded input and wide output, or nothing for a 1x1
    /// convolution with stride 1 and no padding. Nothing on bare-metal
    /// targets (`target_os = "none"`), whose forward pass is a direct
    /// convolution: generated code sizes its workspace with this `const
    /// fn`, so the size follows the target the runtime is compiled for.
    pub const fn scratch_len(&self) -> usize {
        if super::direct::DIRECT {
            0
        } else {
            self.product_scratch_len()
        }
    }

    /// The forward pass's scratch through the matrix product (see
    /// [`Self::scratch_len`]).
    const fn product_scratch_len(&self) -> usize {
        let col = self.col_rows() * self.out_h * self.out_w;
        if self.is_pointwise() {
            0
        } else if self.is_wide() {
            // The wide output, or the weights transposed (`lanes`).
            let (wide, taps) = (self.wide_len(), self.col_rows());
            self.padded_len() + self.out_c / self.groups * if wide > taps { wide } else { taps }
        } else {
            col
        }
    }

    /// The f32s of scratch that [`conv2d_backward`](super::conv2d_backward) needs, at least
    /// [`Self::scratch_len`] (a training cache shares one buffer between the
    /// two passes): for a wide geometry, one group's padded input, its
    /// output gradient in the wide layout and one input channel's rows of
    /// the unfolded input gradient; else as the forward pass through the
    /// matrix product (the column buffer).
    pub const fn train_scratch_len(&self) -> usize {
        let forward = self.product_scratch_len();
        if self.is_wide() {
            let wide = self.padded_len()
                + (self.out_c / self.groups + self.k_h * self.k_w) * self.wide_len();
            if wide > forward {
                wide
            } else {
                forward
            }
        } else if self.is_pointwise() {
            0
        } else {
            forward
        }
    }

    /// Whether the forward pass unfolds the input "wide" (stride 1, not
    /// [`Self::is_pointwise`], and
    /// padded rows at most twice as long as the output's): each im2col row is
    /// then one contiguous window of the (zero-padded) input, `wide_len` long,
    /// which the product reads in place ([`Rows`]), and it computes `in_w + 2
    /// pad_w - out_w` unused outputs per row, dropped afterwards. Unfolding
    /// row by row copies `out_w` elements at a time, which measured slower
    /// than the product itself for LeNet's layers, and copying the wide rows
    /// out was still a large part of LeNet's batch-1 forward (see
    /// `docs/performance.md`).
    pub(super) const fn is_wide(&self) -> bool {
        !self.is_pointwise()
            && self.stride_h == 1
            && self.stride_w == 1
            && self.in_w + 2 * self.pad_w <= 2 * self.out_w
    }

    /// Length of a row of the wide im2col matrix: `(out_h - 1)` padded input
    /// rows and `out_w`.
    pub(super) const fn wide_len(&self) -> usize {
        (self.out_h - 1) * (self.in_w + 2 * self.pad_w) + self.out_w
    }

    /// Elements of one group's zero-padded input, or 0 without padding.
    pub(super) const fn padded_len(&self) -> usize {
        if self.pad_h == 0 && self.pad_w == 0 {
            0
        } else {
            self.in_c / self.groups * (self.in_h + 2 * self.pad_h) * (self.in_w + 2 * self.pad_w)
        }
    }

    /// Whether `x` is its own im2col matrix (1x1 kernel, stride 1, no padding).
    pub(super) const fn is_pointwise(&self) -> bool {
        self.k_h == 1
            && self.k_w == 1
            && self.stride_h == 1
            && self.stride_w == 1
            && self.pad_h == 0
            && self.pad_w == 0
    }

    /// Rows of one group's im2col matrix: `in_c / groups * k_h * k_w`.
    pub(super) const fn col_rows(&self) -> usize {
        self.in_c / self.groups * self.k_h * self.k_w
    }
}

/// Per-group sizes: input channels, output channels, `col` rows, output
/// positions, input elements per channel.
pub(super) fn dims(g: &Conv2dGeom) -> (usize, usize, usize, usize, usize) {
    let (cg, ocg) = (g.in_c / g.groups, g.out_c / g.groups);
    (cg, ocg, g.col_rows(), g.out_h * g.out_w, g.in_h * g.in_w)
}
