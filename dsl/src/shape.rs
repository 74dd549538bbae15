//! Pure shape arithmetic: every layer's output shape from its input shape.
//! No `syn`, no spans: errors carry the numbers and the caller attaches the
//! span. Never a bare `-` or `/` on `usize`; products are checked.

use core::fmt;

/// A per-sample tensor shape, outermost dimension first (row-major).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape(pub Vec<usize>);

/// Why a layer cannot take its input.
#[derive(Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// The layer needs an input of another rank.
    Rank {
        expected: usize,
        what: &'static str,
        found: Shape,
        hint: &'static str,
    },
    /// A dimension is 0.
    ZeroDim { found: Shape },
    /// The element count does not fit in `usize`.
    Overflow { found: Vec<usize> },
    /// A convolution kernel (dilated) larger than the padded input.
    KernelTooLarge {
        kernel: (usize, usize),
        dilation: (usize, usize),
        span: (usize, usize),
        input: (usize, usize),
        padding: (usize, usize),
    },
    /// A pooling window larger than its padded input.
    WindowTooLarge {
        window: (usize, usize),
        input: (usize, usize),
        padding: (usize, usize),
    },
    /// Channels not divisible by the group count.
    Groups {
        which: &'static str,
        channels: usize,
        groups: usize,
    },
    /// A size rule particular to one layer kind, already worded.
    Rule(String),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Rank {
                expected,
                what,
                found,
                hint,
            } => {
                write!(
                    f,
                    "expected a {expected}-d input{what}, found {found} ({}-d){hint}",
                    found.0.len()
                )
            }
            ShapeError::ZeroDim { found } => {
                write!(f, "every dimension must be at least 1, found {found}")
            }
            ShapeError::Overflow { found } => {
                write!(f, "{} elements overflow `usize`", Shape(found.clone()))
            }
            ShapeError::KernelTooLarge {
                kernel,
                dilation,
                span,
                input,
                padding,
            } => {
                write!(f, "kernel {}", hw(*kernel))?;
                if *dilation != (1, 1) {
                    write!(
                        f,
                        " with dilation {} spans {}, which",
                        hw(*dilation),
                        hw(*span)
                    )?;
                }
                let padding = if input.0 == 1 && kernel.0 == 1 {
                    (padding.1, padding.1)
                } else {
                    *padding
                };
                write!(
                    f,
                    " does not fit input {} (padding {})",
                    hw(*input),
                    pad(padding)
                )
            }
            ShapeError::WindowTooLarge {
                window,
                input,
                padding,
            } => {
                write!(
                    f,
                    "window {} does not fit input {}",
                    hw(*window),
                    hw(*input)
                )?;
                if *padding != (0, 0) {
                    write!(f, " (padding {})", pad(*padding))?;
                }
                Ok(())
            }
            ShapeError::Rule(text) => write!(f, "{text}"),
            ShapeError::Groups {
                which,
                channels,
                groups,
            } => {
                write!(
                    f,
                    "{which} channels ({channels}) are not divisible by groups ({groups})"
                )
            }
        }
    }
}

impl Shape {
    /// A checked shape: no zero dimension, element count fits in `usize`
    /// (and in an `f32` array, with 4 bytes per element).
    pub fn new(dims: Vec<usize>) -> Result<Shape, ShapeError> {
        if dims.contains(&0) {
            return Err(ShapeError::ZeroDim { found: Shape(dims) });
        }
        let len = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match len.and_then(|n| n.checked_mul(4)) {
            Some(bytes) if bytes <= isize::MAX as usize => Ok(Shape(dims)),
            _ => Err(ShapeError::Overflow { found: dims }),
        }
    }

    /// Elements per sample (checked when the shape was built).
    pub fn len(&self) -> usize {
        self.0.iter().product()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The innermost dimension.
    pub fn last(&self) -> usize {
        *self.0.last().unwrap_or(&1)
    }

    fn expect_rank(
        &self,
        rank: usize,
        what: &'static str,
        hint: &'static str,
    ) -> Result<(), ShapeError> {
        if self.rank() == rank {
            Ok(())
        } else {
            Err(ShapeError::Rank {
                expected: rank,
                what,
                found: self.clone(),
                hint,
            })
        }
    }
}

/// `5x5`, or `5` for a 1-d size `(1, 5)`.
fn hw((h, w): (usize, usize)) -> String {
    if h == 1 && w != 1 {
        format!("{w}")
    } else {
        format!("{h}x{w}")
    }
}

fn pad((h, w): (usize, usize)) -> String {
    if h == w {
        format!("{h}")
    } else {
        format!("{h}x{w}")
    }
}

/// Hyper-parameters of a 2-d convolution (1-d ones use height 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    pub out_c: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

/// One spatial size of a convolution: `(in + 2p - d(k - 1) - 1) / s + 1`.
fn conv_len(input: usize, k: usize, s: usize, p: usize, d: usize) -> Option<usize> {
    let span = d.checked_mul(k.checked_sub(1)?)?.checked_add(1)?;
    let padded = input.checked_add(p.checked_mul(2)?)?;
    padded.checked_sub(span)?.checked_div(s)?.checked_add(1)
}

/// `conv2d`: `[C, H, W] -> [out_c, OH, OW]`; `conv1d` passes `[C, 1, L]`.
pub fn conv(input: &Shape, spec: &ConvSpec) -> Result<Shape, ShapeError> {
    let (c, h, w) = match input.0[..] {
        [c, h, w] => (c, h, w),
        _ => unreachable!("callers check the rank"),
    };
    for (which, channels) in [("input", c), ("output", spec.out_c)] {
        if channels % spec.groups != 0 {
            return Err(ShapeError::Groups {
                which,
                channels,
                groups: spec.groups,
            });
        }
    }
    let too_large = || {
        let span = |k: usize, d: usize| d.saturating_mul(k.saturating_sub(1)).saturating_add(1);
        ShapeError::KernelTooLarge {
            kernel: spec.kernel,
            dilation: spec.dilation,
            span: (
                span(spec.kernel.0, spec.dilation.0),
                span(spec.kernel.1, spec.dilation.1),
            ),
            input: (h, w),
            padding: spec.padding,
        }
    };
    let oh = conv_len(
        h,
        spec.kernel.0,
        spec.stride.0,
        spec.padding.0,
        spec.dilation.0,
    )
    .ok_or_else(too_large)?;
    let ow = conv_len(
        w,
        spec.kernel.1,
        spec.stride.1,
        spec.padding.1,
        spec.dilation.1,
    )
    .ok_or_else(too_large)?;
    Shape::new(vec![spec.out_c, oh, ow])
}

/// `conv2d` on `[C, H, W]`.
pub fn conv2d(input: &Shape, spec: &ConvSpec) -> Result<Shape, ShapeError> {
    input.expect_rank(3, " [channels, height, width]", "")?;
    conv(input, spec)
}

/// `conv1d` on `[C, L]`: `[out_c, OL]`.
pub fn conv1d(input: &Shape, spec: &ConvSpec) -> Result<Shape, ShapeError> {
    input.expect_rank(2, " [channels, length]", "")?;
    let out = conv(&Shape(vec![input.0[0], 1, input.0[1]]), spec)?;
    Shape::new(vec![out.0[0], out.0[2]])
}

/// `maxpool2d`/`avgpool2d`: `[C, H, W] -> [C, OH, OW]`, PyTorch's
/// `(H + 2 padding - k) / stride + 1` (`ceil_mode=False`).
pub fn pool2d(
    input: &Shape,
    window: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Result<Shape, ShapeError> {
    input.expect_rank(3, " [channels, height, width]", "")?;
    let (c, h, w) = (input.0[0], input.0[1], input.0[2]);
    let err = || ShapeError::WindowTooLarge {
        window,
        input: (h, w),
        padding,
    };
    let oh = conv_len(h, window.0, stride.0, padding.0, 1).ok_or_else(err)?;
    let ow = conv_len(w, window.1, stride.1, padding.1, 1).ok_or_else(err)?;
    Shape::new(vec![c, oh, ow])
}

/// `global_avgpool`: `[C, H, W]` or `[C, L]` -> `[C]`.
pub fn global_avgpool(input: &Shape) -> Result<Shape, ShapeError> {
    if !(2..=3).contains(&input.rank()) {
        return Err(ShapeError::Rank {
            expected: 3,
            what: " [channels, height, width] (or 2-d [channels, length])",
            found: input.clone(),
            hint: "",
        });
    }
    Shape::new(vec![input.0[0]])
}

/// `batchnorm`: over channel 0 of `[C]`, `[C, L]` or `[C, H, W]`; shape unchanged.
pub fn batchnorm(input: &Shape) -> Result<Shape, ShapeError> {
    if !(1..=3).contains(&input.rank()) {
        return Err(ShapeError::Rank {
            expected: 3,
            what: " [channels, height, width] (or [channels, length], or [features])",
            found: input.clone(),
            hint: "",
        });
    }
    Ok(input.clone())
}

/// `dense(units)`: `[in] -> [units]`.
pub fn dense(input: &Shape, units: usize) -> Result<Shape, ShapeError> {
    // On a sequence `[T, F]`, PyTorch's `nn.Linear` applies to every step.
    if let [steps, _] = input.0[..] {
        return Shape::new(vec![steps, units]);
    }
    input.expect_rank(
        1,
        " or a 2-d sequence [steps, features]",
        "; add `flatten` before it",
    )?;
    Shape::new(vec![units])
}

/// `rnn`/`lstm`/`gru(hidden)` on `[T, F]`: `[T, hidden]`, or `[hidden]`
/// with only the last step.
pub fn recurrent(input: &Shape, hidden: usize, sequence: bool) -> Result<Shape, ShapeError> {
    input.expect_rank(
        2,
        " sequence [steps, features]",
        "; declare `input: [steps, features]`",
    )?;
    if sequence {
        Shape::new(vec![input.0[0], hidden])
    } else {
        Shape::new(vec![hidden])
    }
}

/// A sequence `[T, E]` (attention, positional embedding, mean pooling).
pub fn sequence(input: &Shape) -> Result<(usize, usize), ShapeError> {
    input.expect_rank(2, " sequence [steps, features]", "")?;
    Ok((input.0[0], input.0[1]))
}

/// `multihead_attention(heads)` on `[T, E]`: `E` must split into the heads.
pub fn attention(input: &Shape, heads: usize) -> Result<Shape, ShapeError> {
    let (_, e) = sequence(input)?;
    if e % heads != 0 {
        return Err(ShapeError::Rule(format!(
            "embedding size {e} is not divisible by {heads} heads"
        )));
    }
    Ok(input.clone())
}

/// `patchify(p)` on `[C, H, W]`: `[(H/p)(W/p), C p p]`.
pub fn patchify(input: &Shape, p: usize) -> Result<Shape, ShapeError> {
    input.expect_rank(3, " [channels, height, width]", "")?;
    let (c, h, w) = (input.0[0], input.0[1], input.0[2]);
    if h % p != 0 || w % p != 0 {
        return Err(ShapeError::Rule(format!(
            "input {h}x{w} does not split into {p}x{p} patches"
        )));
    }
    let patches = (h / p).checked_mul(w / p);
    let len = c.checked_mul(p).and_then(|v| v.checked_mul(p));
    match (patches, len) {
        (Some(n), Some(l)) => Shape::new(vec![n, l]),
        _ => Err(ShapeError::Overflow {
            found: input.0.clone(),
        }),
    }
}

/// `embedding(vocab, dim)` on token ids `[T]`: `[T, dim]`.
pub fn embedding(input: &Shape, dim: usize) -> Result<Shape, ShapeError> {
    input.expect_rank(1, " of token ids [steps]", "")?;
    Shape::new(vec![input.0[0], dim])
}

/// Activations, dropout: the shape is unchanged.
pub fn elementwise(input: &Shape) -> Result<Shape, ShapeError> {
    Ok(input.clone())
}

/// `flatten`: `[d0, d1, ...] -> [d0 * d1 * ...]`.
pub fn flatten(input: &Shape) -> Result<Shape, ShapeError> {
    Shape::new(vec![input.len()])
}

/// Parameters of `dense(units)` on `[in]`: `units * in (+ units)`.
pub fn dense_params(inp: usize, units: usize, bias: bool) -> Option<usize> {
    units
        .checked_mul(inp)?
        .checked_add(if bias { units } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transformer_shapes() {
        assert_eq!(
            patchify(&Shape(vec![1, 28, 28]), 7),
            Ok(Shape(vec![16, 49]))
        );
        assert!(matches!(
            patchify(&Shape(vec![1, 28, 28]), 5),
            Err(ShapeError::Rule(_))
        ));
        assert_eq!(attention(&Shape(vec![16, 64]), 4), Ok(Shape(vec![16, 64])));
        assert_eq!(
            attention(&Shape(vec![16, 30]), 4).unwrap_err().to_string(),
            "embedding size 30 is not divisible by 4 heads"
        );
    }

    #[test]
    fn recurrent_needs_a_sequence() {
        assert_eq!(
            recurrent(&Shape(vec![28, 28]), 64, true),
            Ok(Shape(vec![28, 64]))
        );
        assert_eq!(
            recurrent(&Shape(vec![28, 28]), 64, false),
            Ok(Shape(vec![64]))
        );
        assert!(matches!(
            recurrent(&Shape(vec![784]), 64, true),
            Err(ShapeError::Rank { expected: 2, .. })
        ));
        assert_eq!(embedding(&Shape(vec![16]), 8), Ok(Shape(vec![16, 8])));
    }

    #[test]
    fn dense_takes_rank_one() {
        assert_eq!(dense(&Shape(vec![784]), 128), Ok(Shape(vec![128])));
        assert_eq!(dense(&Shape(vec![5, 7]), 3), Ok(Shape(vec![5, 3])));
        assert!(matches!(
            dense(&Shape(vec![1, 28, 28]), 10),
            Err(ShapeError::Rank { expected: 1, .. })
        ));
    }

    #[test]
    fn flatten_multiplies() {
        assert_eq!(flatten(&Shape(vec![1, 28, 28])), Ok(Shape(vec![784])));
    }

    #[test]
    fn shapes_are_checked() {
        assert!(matches!(
            Shape::new(vec![3, 0]),
            Err(ShapeError::ZeroDim { .. })
        ));
        assert!(matches!(
            Shape::new(vec![usize::MAX, 2]),
            Err(ShapeError::Overflow { .. })
        ));
        assert!(matches!(
            Shape::new(vec![usize::MAX / 2]),
            Err(ShapeError::Overflow { .. })
        ));
        assert_eq!(dense_params(784, 128, true), Some(100_480));
        assert_eq!(dense_params(usize::MAX, 2, false), None);
    }

    fn spec(out_c: usize, k: usize, s: usize, p: usize, d: usize, g: usize) -> ConvSpec {
        ConvSpec {
            out_c,
            kernel: (k, k),
            stride: (s, s),
            padding: (p, p),
            dilation: (d, d),
            groups: g,
        }
    }

    #[test]
    fn conv_sizes_as_pytorch() {
        // LeNet-5.
        assert_eq!(
            conv2d(&Shape(vec![1, 28, 28]), &spec(6, 5, 1, 2, 1, 1)),
            Ok(Shape(vec![6, 28, 28]))
        );
        assert_eq!(
            conv2d(&Shape(vec![6, 14, 14]), &spec(16, 5, 1, 0, 1, 1)),
            Ok(Shape(vec![16, 10, 10]))
        );
        // Stride, dilation, odd sizes: floor((7 + 2 - 2*(3-1) - 1) / 2) + 1 = 3.
        assert_eq!(
            conv2d(&Shape(vec![3, 7, 7]), &spec(4, 3, 2, 1, 2, 1)),
            Ok(Shape(vec![4, 3, 3]))
        );
        let spec1d = ConvSpec {
            out_c: 4,
            kernel: (1, 3),
            stride: (1, 3),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 2,
        };
        assert_eq!(conv1d(&Shape(vec![2, 10]), &spec1d), Ok(Shape(vec![4, 3])));
        let long = ConvSpec {
            kernel: (1, 11),
            ..spec1d
        };
        assert_eq!(
            conv1d(&Shape(vec![2, 10]), &long).unwrap_err().to_string(),
            "kernel 11 does not fit input 10 (padding 0)"
        );
        assert_eq!(
            conv2d(&Shape(vec![1, 1, 1]), &spec(1, 1, 1, 0, 1, 1)),
            Ok(Shape(vec![1, 1, 1]))
        );
    }

    #[test]
    fn conv_errors_carry_the_numbers() {
        let err = conv2d(&Shape(vec![1, 3, 3]), &spec(2, 5, 1, 0, 1, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel 5x5 does not fit input 3x3 (padding 0)"
        );
        let err = conv2d(&Shape(vec![1, 4, 4]), &spec(2, 3, 1, 0, 2, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel 3x3 with dilation 2x2 spans 5x5, which does not fit input 4x4 (padding 0)"
        );
        let err = conv2d(&Shape(vec![3, 4, 4]), &spec(4, 1, 1, 0, 1, 2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input channels (3) are not divisible by groups (2)"
        );
        let err = pool2d(&Shape(vec![3, 1, 1]), (2, 2), (2, 2), (0, 0)).unwrap_err();
        assert_eq!(err.to_string(), "window 2x2 does not fit input 1x1");
        let err = pool2d(&Shape(vec![3, 2, 2]), (5, 4), (1, 1), (1, 0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "window 5x4 does not fit input 2x2 (padding 1x0)"
        );
        assert!(matches!(
            conv2d(&Shape(vec![784]), &spec(1, 1, 1, 0, 1, 1)),
            Err(ShapeError::Rank { expected: 3, .. })
        ));
        // Huge padding or dilation overflow into an error, not a panic.
        assert!(conv2d(&Shape(vec![1, 3, 3]), &spec(1, 3, 1, usize::MAX, 1, 1)).is_err());
        assert!(conv2d(&Shape(vec![1, 3, 3]), &spec(1, 3, 1, 0, usize::MAX, 1)).is_err());
    }

    #[test]
    fn pools_and_norms() {
        assert_eq!(
            pool2d(&Shape(vec![6, 28, 28]), (2, 2), (2, 2), (0, 0)),
            Ok(Shape(vec![6, 14, 14]))
        );
        assert_eq!(
            pool2d(&Shape(vec![1, 7, 5]), (3, 2), (2, 1), (0, 0)),
            Ok(Shape(vec![1, 3, 4]))
        );
        // PyTorch: floor((H + 2p - k) / s) + 1; (7 + 2 - 3) / 2 + 1 = 4,
        // (5 + 4 - 5) / 3 + 1 = 2.
        assert_eq!(
            pool2d(&Shape(vec![2, 7, 5]), (3, 5), (2, 3), (1, 2)),
            Ok(Shape(vec![2, 4, 2]))
        );
        // A window larger than the input, fitting only with padding.
        assert_eq!(
            pool2d(&Shape(vec![1, 1, 1]), (3, 3), (1, 1), (1, 1)),
            Ok(Shape(vec![1, 1, 1]))
        );
        assert_eq!(global_avgpool(&Shape(vec![8, 3, 3])), Ok(Shape(vec![8])));
        assert_eq!(batchnorm(&Shape(vec![8, 3, 3])), Ok(Shape(vec![8, 3, 3])));
    }

    #[test]
    fn display_like_a_list() {
        assert_eq!(Shape(vec![1, 28, 28]).to_string(), "[1, 28, 28]");
    }
}
