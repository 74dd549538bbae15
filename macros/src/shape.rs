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
        found: Shape,
        hint: &'static str,
    },
    /// A dimension is 0.
    ZeroDim { found: Shape },
    /// The element count does not fit in `usize`.
    Overflow { found: Vec<usize> },
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
                found,
                hint,
            } => {
                write!(
                    f,
                    "expected a {expected}-d input, found {found} ({}-d){hint}",
                    found.0.len()
                )
            }
            ShapeError::ZeroDim { found } => {
                write!(f, "every dimension must be at least 1, found {found}")
            }
            ShapeError::Overflow { found } => {
                write!(f, "{} elements overflow `usize`", Shape(found.clone()))
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

    fn expect_rank(&self, rank: usize, hint: &'static str) -> Result<(), ShapeError> {
        if self.rank() == rank {
            Ok(())
        } else {
            Err(ShapeError::Rank {
                expected: rank,
                found: self.clone(),
                hint,
            })
        }
    }
}

/// `dense(units)`: `[in] -> [units]`.
pub fn dense(input: &Shape, units: usize) -> Result<Shape, ShapeError> {
    input.expect_rank(1, "; add `flatten` before it")?;
    Shape::new(vec![units])
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
    fn dense_takes_rank_one() {
        assert_eq!(dense(&Shape(vec![784]), 128), Ok(Shape(vec![128])));
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

    #[test]
    fn display_like_a_list() {
        assert_eq!(Shape(vec![1, 28, 28]).to_string(), "[1, 28, 28]");
    }
}
