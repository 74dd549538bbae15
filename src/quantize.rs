//! Int8 post-training quantisation from a data set: [`calibrate`] runs a
//! network declared with `#[staticnet(quantize)]` over calibration samples
//! (every pass its [`Range`] method needs); `<Name>Q::quantize` then makes
//! the int8 network from the float one and the calibration.
//!
//! ```
//! use staticnet::data::Samples;
//! use staticnet::quant::calib::Range;
//! use staticnet::quantize::calibrate;
//! use staticnet::Network;
//!
//! staticnet::network! {
//!     #[staticnet(quantize)]
//!     struct Tiny { input: [2], dense(8), relu, dense(2) }
//! }
//!
//! let net = Tiny::new_boxed(1);
//! let xs = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
//! let data = Samples::new(&xs, 2, &[0usize, 1, 1, 0]).unwrap();
//! // Batches of 4; 4 tensors (the input and 3 layers' outputs, `TinyQ::TENSORS`).
//! let calib = calibrate::<Tiny, _, 4, 4>(&net, &data, 4, Range::MinMax).unwrap();
//! let q = TinyQ::quantize(&net, &calib).unwrap();
//! let mut ws = TinyQWorkspace::ZEROED;
//! let mut x = [0i8; 2];
//! q.quantize_input(&[1.0, 0.0], &mut x);
//! assert!(q.predict(&x, &mut ws) < 2);
//! ```

use crate::data::Dataset;
use staticnet_runtime::quant::calib::{Calibration, Observe, Range};
use std::boxed::Box;
use std::fmt;
use std::vec::Vec;

/// Why calibration could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrateError {
    /// The data set's samples are not the network's input size.
    InputLen {
        /// The network's input, in `f32`s.
        expected: usize,
        /// The data set's.
        found: usize,
    },
    /// No samples to calibrate on: `samples` is 0 or the data set is empty.
    NoSamples,
}

impl fmt::Display for CalibrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalibrateError::InputLen { expected, found } => write!(
                f,
                "calibration data has {found} values per sample, the network takes {expected}"
            ),
            CalibrateError::NoSamples => f.write_str("no calibration samples"),
        }
    }
}

impl std::error::Error for CalibrateError {}

/// Observes the first `samples` samples of `data` (at most its length) in
/// batches of `B` (the remainder one sample at a time), every pass
/// `method` needs. `T` is the network's tensor count
/// (`<Name>Q::TENSORS.len()`; the compiler checks it).
pub fn calibrate<N, D, const B: usize, const T: usize>(
    net: &N,
    data: &D,
    samples: usize,
    method: Range,
) -> Result<Box<Calibration<T>>, CalibrateError>
where
    N: Observe<T>,
    D: Dataset,
    D::Target: bytemuck::Zeroable,
{
    if data.input_len() != N::INPUT_LEN {
        return Err(CalibrateError::InputLen {
            expected: N::INPUT_LEN,
            found: data.input_len(),
        });
    }
    let samples = samples.min(data.len());
    if samples == 0 {
        return Err(CalibrateError::NoSamples);
    }
    let mut calib = Box::new(Calibration::new(method));
    let mut cache = N::new_cache::<B>();
    let mut one = N::new_cache::<1>();
    let mut x = N::new_batch::<B>();
    let mut x1 = N::new_batch::<1>();
    let mut targets: Box<[D::Target; B]> = bytemuck::zeroed_box();
    let indices: Vec<usize> = (0..samples).collect();
    for _ in 0..calib.passes() {
        let mut chunks = indices.chunks_exact(B);
        for idx in &mut chunks {
            data.fill(idx, crate::flat_mut(&mut *x), &mut targets[..]);
            net.observe(&x, &mut cache, &mut calib);
        }
        for &i in chunks.remainder() {
            data.fill(&[i], crate::flat_mut(&mut *x1), &mut targets[..1]);
            net.observe(&x1, &mut one, &mut calib);
        }
        calib.next_pass();
    }
    Ok(calib)
}
