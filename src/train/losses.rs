//! What the trainer minimises: the [`Loss`] trait and its implementations
//! for class labels, labels per step, regression and multi-label targets.

use crate::loss;
use bytemuck::Zeroable;

/// What [`Loss::metric`] measures, for reports and early stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Its name in reports (`accuracy`, `mse`).
    pub name: &'static str,
    /// Whether a larger value is better (accuracy) or worse (an error).
    pub higher_is_better: bool,
}

/// A loss over a batch of network outputs and their targets, and the metric
/// that fits it. Implement it for a loss of your own: the trainer calls
/// [`check`](Loss::check) once, then [`loss`](Loss::loss) every step and
/// [`metric`](Loss::metric) when evaluating.
pub trait Loss {
    /// One sample's target (the data set's [`Target`](crate::data::Dataset::Target)).
    type Target: Copy + Zeroable;
    /// What [`metric`](Loss::metric) measures.
    const METRIC: Metric;

    /// Whether outputs of `out_len` `f32`s per sample fit this loss; the
    /// reason when not (e.g. `Mse<3>` on a 2-output network).
    fn check(&self, out_len: usize) -> Result<(), &'static str>;

    /// The batch's mean loss; overwrites `grad` (the layout of `out`:
    /// `targets.len()` samples of `out_len`) with its gradient with
    /// respect to `out`.
    fn loss(&self, out: &[f32], targets: &[Self::Target], grad: &mut [f32]) -> f32;

    /// The metric summed over the batch's samples (the trainer divides by
    /// the number of samples).
    fn metric(&self, out: &[f32], targets: &[Self::Target]) -> f64;

    /// Whether `target` is one this loss can take for outputs of `out_len`
    /// (a class label below the number of classes); the trainer checks
    /// every target before [`loss`](Loss::loss) and reports the sample.
    fn valid(&self, target: &Self::Target, out_len: usize) -> bool {
        let _ = (target, out_len);
        true
    }
}

/// Softmax cross-entropy on logits with a class label per sample
/// ([`loss::softmax_cross_entropy`]); metric: accuracy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy;

impl Loss for SoftmaxCrossEntropy {
    type Target = usize;
    const METRIC: Metric = ACCURACY;

    fn check(&self, out_len: usize) -> Result<(), &'static str> {
        if out_len == 0 {
            return Err("the network has no outputs");
        }
        Ok(())
    }

    fn loss(&self, out: &[f32], targets: &[usize], grad: &mut [f32]) -> f32 {
        let classes = out.len() / targets.len().max(1);
        loss::softmax_cross_entropy(out, targets, classes, grad)
    }

    fn metric(&self, out: &[f32], targets: &[usize]) -> f64 {
        let classes = out.len() / targets.len().max(1);
        correct(out, targets, classes)
    }

    fn valid(&self, target: &usize, out_len: usize) -> bool {
        *target < out_len
    }
}

/// Softmax cross-entropy with a label per step: the output is `[T, V]`
/// logits, the target `T` labels, the loss the mean over every step of the
/// batch (PyTorch's `F.cross_entropy` on the flattened `[B T, V]`); metric:
/// the fraction of steps predicted right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceCrossEntropy<const T: usize>;

impl<const T: usize> Loss for SequenceCrossEntropy<T> {
    type Target = [usize; T];
    const METRIC: Metric = ACCURACY;

    fn check(&self, out_len: usize) -> Result<(), &'static str> {
        if T == 0 || out_len == 0 || !out_len.is_multiple_of(T) {
            return Err("the output is not T steps of logits (T the target's length)");
        }
        Ok(())
    }

    fn loss(&self, out: &[f32], targets: &[[usize; T]], grad: &mut [f32]) -> f32 {
        let labels: &[usize] = bytemuck::cast_slice(targets);
        loss::softmax_cross_entropy(out, labels, out.len() / labels.len().max(1), grad)
    }

    fn metric(&self, out: &[f32], targets: &[[usize; T]]) -> f64 {
        let labels: &[usize] = bytemuck::cast_slice(targets);
        correct(out, labels, out.len() / labels.len().max(1)) / T as f64
    }

    fn valid(&self, target: &[usize; T], out_len: usize) -> bool {
        target.iter().all(|&l| l < out_len / T.max(1))
    }
}

/// Mean squared error against `K` regression targets per sample
/// ([`loss::mse`], the mean over every element); metric: the same mean
/// squared error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mse<const K: usize>;

impl<const K: usize> Loss for Mse<K> {
    type Target = [f32; K];
    const METRIC: Metric = Metric {
        name: "mse",
        higher_is_better: false,
    };

    fn check(&self, out_len: usize) -> Result<(), &'static str> {
        if out_len != K {
            return Err("the network's outputs are not K targets (Mse<K>)");
        }
        Ok(())
    }

    fn loss(&self, out: &[f32], targets: &[[f32; K]], grad: &mut [f32]) -> f32 {
        loss::mse(out, bytemuck::cast_slice(targets), grad)
    }

    fn metric(&self, out: &[f32], targets: &[[f32; K]]) -> f64 {
        let t: &[f32] = bytemuck::cast_slice(targets);
        let sq: f64 = out
            .iter()
            .zip(t)
            .map(|(&o, &t)| (f64::from(o) - f64::from(t)).powi(2))
            .sum();
        sq / K.max(1) as f64
    }

    fn valid(&self, target: &[f32; K], _out_len: usize) -> bool {
        target.iter().all(|t| t.is_finite())
    }
}

/// Binary cross-entropy on logits against `K` targets in `[0, 1]` per
/// sample (multi-label; [`loss::bce_with_logits`]); metric: the fraction of
/// labels right (logit `> 0` against target `> 0.5`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BceWithLogits<const K: usize>;

impl<const K: usize> Loss for BceWithLogits<K> {
    type Target = [f32; K];
    const METRIC: Metric = ACCURACY;

    fn check(&self, out_len: usize) -> Result<(), &'static str> {
        if out_len != K {
            return Err("the network's outputs are not K labels (BceWithLogits<K>)");
        }
        Ok(())
    }

    fn loss(&self, out: &[f32], targets: &[[f32; K]], grad: &mut [f32]) -> f32 {
        loss::bce_with_logits(out, bytemuck::cast_slice(targets), grad)
    }

    fn metric(&self, out: &[f32], targets: &[[f32; K]]) -> f64 {
        let t: &[f32] = bytemuck::cast_slice(targets);
        let right = out
            .iter()
            .zip(t)
            .filter(|(&o, &t)| (o > 0.0) == (t > 0.5))
            .count();
        right as f64 / K.max(1) as f64
    }

    fn valid(&self, target: &[f32; K], _out_len: usize) -> bool {
        target.iter().all(|t| (0.0..=1.0).contains(t))
    }
}

const ACCURACY: Metric = Metric {
    name: "accuracy",
    higher_is_better: true,
};

/// Rows of `out` (of `classes`) whose argmax is the label.
fn correct(out: &[f32], labels: &[usize], classes: usize) -> f64 {
    out.chunks_exact(classes.max(1))
        .zip(labels)
        .filter(|(row, &l)| loss::argmax(row) == l)
        .count() as f64
}
