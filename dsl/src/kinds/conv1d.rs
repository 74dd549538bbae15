//! `conv1d(out_channels, kernel, stride = 1, padding = 0, dilation = 1,
//! groups = 1, bias = true)`: PyTorch's `nn.Conv1d` on `[C, L]`, computed as a
//! height-1 `conv2d` (`runtime/src/kernels/conv1d.rs` documents the same).

use super::conv2d::Conv;
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use crate::shape::ConvSpec;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["out_channels", "kernel"], &["stride", "padding", "dilation", "groups", "bias"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8]",
    declaration: "conv1d(4, 3)",
    config: "kernel=(1, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=true",
    variants: &["conv1d(4, 3, stride = 2)", "conv1d(4, 3, padding = 1)", "conv1d(4, 3, dilation = 2)", "conv1d(4, 3, groups = 2)", "conv1d(4, 3, bias = false)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let spec = ConvSpec {
        out_c: args.positive(0, "out_channels")?,
        kernel: (1, args.positive(1, "kernel")?),
        stride: (1, args.named_int("stride", 1, 1)?),
        padding: (0, args.named_int("padding", 0, 0)?),
        dilation: (1, args.named_int("dilation", 1, 1)?),
        groups: args.named_int("groups", 1, 1)?,
    };
    Ok(Box::new(Conv {
        one_d: true,
        spec,
        bias: args.flag("bias", true)?,
    }))
}
