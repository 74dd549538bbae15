//! Data sets: the [`Dataset`] trait the trainer reads batches from, and its
//! implementations: [`Samples`] (inputs and targets in memory: labels,
//! regression targets, multi-label targets), [`Subset`] (a list of indices
//! into another data set: train/validation splits without copying),
//! [`Windows`] (token sequences for the recurrent and Transformer models),
//! MNIST's [`Split`](mnist::Split) (feature `std`), and [`csv::Table`]
//! (feature `std`: tabular data from a CSV file, with a train/test split
//! rule and standardisation fitted on the training rows).
//!
//! The trait and the in-memory types are `no_std`: a device fine-tuning on
//! samples in a `static` uses them as they are. Nothing here allocates per
//! batch.
//!
//! ```
//! use staticnet::data::{Dataset, Samples};
//! // Four samples of two features, one label each.
//! let inputs = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
//! let labels = [0usize, 1, 1, 0];
//! let xor = Samples::new(&inputs, 2, &labels).unwrap();
//! let (mut x, mut y) = ([0.0f32; 4], [0usize; 2]);
//! xor.fill(&[3, 1], &mut x, &mut y);
//! assert_eq!((x, y), ([1.0, 1.0, 0.0, 1.0], [0, 1]));
//! ```

#[cfg(feature = "std")]
pub mod csv;
#[cfg(feature = "std")]
pub mod mnist;

use core::fmt;

/// A data set the trainer draws batches from: `len()` samples, each
/// `input_len()` `f32`s in (token ids as `f32` for `input: tokens[T]`) and
/// one [`Target`](Dataset::Target) out.
pub trait Dataset {
    /// One sample's target: `usize` for a class label, `[f32; K]` for
    /// regression or multi-label targets, `[usize; T]` for a label per step.
    type Target: Copy;

    /// Number of samples.
    fn len(&self) -> usize;

    /// Whether the data set holds no sample.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `f32`s in one sample's input.
    fn input_len(&self) -> usize;

    /// Writes the samples at `indices` into `inputs` (`indices.len() *
    /// input_len()`, sample after sample) and their targets into `targets`
    /// (`indices.len()`). Callers pass indices below `len()` and slices of
    /// those lengths; implementations may panic otherwise. No allocation.
    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [Self::Target]);

    /// A hint that `indices` are the next batch (MNIST starts loading the
    /// images into the CPU caches); nothing by default.
    fn prefetch(&self, indices: &[usize]) {
        let _ = indices;
    }
}

/// A data set whose parts do not fit together: the sizes, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// `inputs.len()` is not `input_len` times the number of targets.
    Inputs {
        /// `f32`s given.
        inputs: usize,
        /// `f32`s per sample.
        input_len: usize,
        /// Targets given.
        targets: usize,
    },
    /// An index of a [`Subset`] is past its data set.
    Index {
        /// Position in the index list.
        position: usize,
        /// The index.
        index: usize,
        /// The data set's length.
        len: usize,
    },
    /// A [`Windows`] data set cannot make one window.
    TooShort {
        /// Tokens given.
        tokens: usize,
        /// Window length plus one (the next-token targets).
        needed: usize,
    },
    /// A token of a [`Windows`] data set is not below the vocabulary size.
    Token {
        /// Position in the token list.
        position: usize,
        /// The token.
        token: u32,
        /// The vocabulary size.
        vocab: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::Inputs {
                inputs,
                input_len,
                targets,
            } => write!(
                f,
                "{inputs} input values are not {targets} samples of {input_len} \
                 (one per target): expected {}",
                targets.saturating_mul(input_len)
            ),
            ShapeError::Index {
                position,
                index,
                len,
            } => write!(
                f,
                "index {index} (at position {position}) is past the data set's {len} samples"
            ),
            ShapeError::TooShort { tokens, needed } => write!(
                f,
                "{tokens} tokens cannot make a window: at least {needed} are needed"
            ),
            ShapeError::Token {
                position,
                token,
                vocab,
            } => write!(
                f,
                "token {token} at position {position} is not below the vocabulary size {vocab}"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ShapeError {}

/// Inputs and targets in memory, borrowed: sample `i` is
/// `inputs[i * input_len..][..input_len]` with target `targets[i]`.
#[derive(Clone, Copy, Debug)]
pub struct Samples<'a, T> {
    inputs: &'a [f32],
    input_len: usize,
    targets: &'a [T],
}

impl<'a, T: Copy> Samples<'a, T> {
    /// Checks that `inputs` holds `input_len` values per target.
    pub fn new(inputs: &'a [f32], input_len: usize, targets: &'a [T]) -> Result<Self, ShapeError> {
        if targets.len().checked_mul(input_len) != Some(inputs.len()) {
            return Err(ShapeError::Inputs {
                inputs: inputs.len(),
                input_len,
                targets: targets.len(),
            });
        }
        Ok(Samples {
            inputs,
            input_len,
            targets,
        })
    }

    /// The input of sample `i`.
    pub fn input(&self, i: usize) -> &'a [f32] {
        &self.inputs[i * self.input_len..][..self.input_len]
    }

    /// The targets, in order.
    pub fn targets(&self) -> &'a [T] {
        self.targets
    }
}

impl<T: Copy> Dataset for Samples<'_, T> {
    type Target = T;

    fn len(&self) -> usize {
        self.targets.len()
    }

    fn input_len(&self) -> usize {
        self.input_len
    }

    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [T]) {
        let n = self.input_len;
        for ((&i, x), t) in indices
            .iter()
            .zip(inputs.chunks_exact_mut(n.max(1)))
            .zip(targets.iter_mut())
        {
            x.copy_from_slice(self.input(i));
            *t = self.targets[i];
        }
    }
}

/// The samples of `data` at `indices`, in that order: a validation split, a
/// fold, a quick run on the first hundred, without copying a sample.
#[derive(Clone, Copy, Debug)]
pub struct Subset<'a, D> {
    data: &'a D,
    indices: &'a [usize],
}

impl<'a, D: Dataset> Subset<'a, D> {
    /// Checks every index against `data.len()`.
    pub fn new(data: &'a D, indices: &'a [usize]) -> Result<Self, ShapeError> {
        let len = data.len();
        if let Some((position, &index)) = indices.iter().enumerate().find(|(_, &i)| i >= len) {
            return Err(ShapeError::Index {
                position,
                index,
                len,
            });
        }
        Ok(Subset { data, indices })
    }
}

/// Subsets map at most this many indices per call to the inner data set.
const CHUNK: usize = 64;

impl<D: Dataset> Dataset for Subset<'_, D> {
    type Target = D::Target;

    fn len(&self) -> usize {
        self.indices.len()
    }

    fn input_len(&self) -> usize {
        self.data.input_len()
    }

    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [D::Target]) {
        // Mapped through a stack buffer, a chunk at a time: no allocation.
        let n = self.data.input_len();
        let mut mapped = [0usize; CHUNK];
        for ((part, x), t) in indices
            .chunks(CHUNK)
            .zip(inputs.chunks_mut(CHUNK * n.max(1)))
            .zip(targets.chunks_mut(CHUNK))
        {
            for (m, &i) in mapped.iter_mut().zip(part) {
                *m = self.indices[i];
            }
            self.data.fill(&mapped[..part.len()], x, t);
        }
    }

    fn prefetch(&self, indices: &[usize]) {
        let mut mapped = [0usize; CHUNK];
        for part in indices.chunks(CHUNK) {
            for (m, &i) in mapped.iter_mut().zip(part) {
                *m = self.indices[i];
            }
            self.data.prefetch(&mapped[..part.len()]);
        }
    }
}

/// Next-token prediction over a token sequence: sample `i` is the window
/// `tokens[i * stride..][..T]` (as `f32` ids), its target the `T` tokens
/// that follow each position (`tokens[i * stride + 1..][..T]`), for a model
/// with `input: tokens[T]` and a `[T, vocab]` output trained with
/// [`SoftmaxCrossEntropy`](crate::train::SoftmaxCrossEntropy).
#[derive(Clone, Copy, Debug)]
pub struct Windows<'a, const T: usize> {
    tokens: &'a [u32],
    stride: usize,
}

impl<'a, const T: usize> Windows<'a, T> {
    /// Every window starting at a multiple of `stride` (at least 1) that
    /// has its `T` targets; every token must be below `vocab`.
    pub fn new(tokens: &'a [u32], stride: usize, vocab: usize) -> Result<Self, ShapeError> {
        if tokens.len() < T + 1 {
            return Err(ShapeError::TooShort {
                tokens: tokens.len(),
                needed: T + 1,
            });
        }
        let bad = tokens
            .iter()
            .enumerate()
            .find(|(_, &t)| t as usize >= vocab);
        if let Some((position, &token)) = bad {
            return Err(ShapeError::Token {
                position,
                token,
                vocab,
            });
        }
        Ok(Windows {
            tokens,
            stride: stride.max(1),
        })
    }
}

impl<const T: usize> Dataset for Windows<'_, T> {
    type Target = [usize; T];

    fn len(&self) -> usize {
        (self.tokens.len() - T - 1) / self.stride + 1
    }

    fn input_len(&self) -> usize {
        T
    }

    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [[usize; T]]) {
        for ((&i, x), t) in indices
            .iter()
            .zip(inputs.chunks_exact_mut(T))
            .zip(targets.iter_mut())
        {
            let w = &self.tokens[i * self.stride..][..T + 1];
            for (x, &id) in x.iter_mut().zip(w) {
                *x = id as f32;
            }
            for (t, &id) in t.iter_mut().zip(&w[1..]) {
                *t = id as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_check_their_lengths() {
        let e = Samples::new(&[0.0; 5], 2, &[0usize, 1]).unwrap_err();
        assert_eq!(
            e,
            ShapeError::Inputs {
                inputs: 5,
                input_len: 2,
                targets: 2
            }
        );
        assert!(std::format!("{e}").contains("expected 4"));
    }

    #[test]
    fn subsets_map_indices_in_chunks() {
        let inputs: std::vec::Vec<f32> = (0..200).map(|v| v as f32).collect();
        let targets: std::vec::Vec<[f32; 1]> = (0..200).map(|v| [v as f32 * 10.0]).collect();
        let all = Samples::new(&inputs, 1, &targets).unwrap();
        let picked: std::vec::Vec<usize> = (0..150).map(|i| 199 - i).collect();
        let sub = Subset::new(&all, &picked).unwrap();
        assert_eq!(sub.len(), 150);
        let ask: std::vec::Vec<usize> = (0..150).rev().collect();
        let (mut x, mut t) = (std::vec![0.0; 150], std::vec![[0.0]; 150]);
        sub.fill(&ask, &mut x, &mut t);
        for (k, &a) in ask.iter().enumerate() {
            assert_eq!(x[k], (199 - a) as f32);
            assert_eq!(t[k], [(199 - a) as f32 * 10.0]);
        }
        let e = Subset::new(&all, &[3, 200]).unwrap_err();
        assert_eq!(
            e,
            ShapeError::Index {
                position: 1,
                index: 200,
                len: 200
            }
        );
    }

    #[test]
    fn windows_pair_each_token_with_the_next() {
        let tokens = [1u32, 2, 3, 4, 5, 6];
        let w = Windows::<3>::new(&tokens, 2, 7).unwrap();
        assert_eq!(w.len(), 2); // starts 0 and 2; start 4 lacks targets
        let (mut x, mut t) = ([0.0; 6], [[0usize; 3]; 2]);
        w.fill(&[1, 0], &mut x, &mut t);
        assert_eq!(x, [3.0, 4.0, 5.0, 1.0, 2.0, 3.0]);
        assert_eq!(t, [[4, 5, 6], [2, 3, 4]]);
        assert!(matches!(
            Windows::<3>::new(&tokens, 1, 6),
            Err(ShapeError::Token {
                position: 5,
                token: 6,
                vocab: 6
            })
        ));
        assert!(matches!(
            Windows::<6>::new(&tokens, 1, 7),
            Err(ShapeError::TooShort {
                tokens: 6,
                needed: 7
            })
        ));
    }
}
