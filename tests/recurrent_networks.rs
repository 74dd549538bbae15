//! Recurrent networks stream: `step` through a sequence equals the whole
//! sequence's output, for LSTM, GRU, RNN and token input. (Backpropagation
//! through time against finite differences, single-sample against batch,
//! allocation and weights checks are rows of `tests/layers.rs`.)

mod common;
mod zoo;

use common::random_batch;
use staticnet::Network;
use zoo::{row_input, Chars, CharsStream, GruStack, GruStackStream, LstmLast, LstmLastStream};
use zoo::{RnnSeq, RnnSeqStream};

/// Steps through each sample of a batch and compares every step's output
/// with the whole-sequence inference output (every row, or the last).
fn stream_matches<N: Network, const B: usize, const T: usize, S>(
    net: &N,
    x: &[N::Input; B],
    fresh: S,
    step: impl Fn(&N, &[f32], &mut S) -> Vec<f32>,
) where
    S: Clone,
{
    let mut cache = N::new_cache::<B>();
    let whole = *net.forward_batch(x, &mut cache, staticnet::Mode::Infer);
    for (xi, yi) in x.iter().zip(whole.iter()) {
        let (xi, yi) = (staticnet::flat(xi), staticnet::flat(yi));
        let per_step_in = xi.len() / T;
        let mut state = fresh.clone();
        let outs: Vec<Vec<f32>> = (0..T)
            .map(|t| step(net, &xi[t * per_step_in..(t + 1) * per_step_in], &mut state))
            .collect();
        let expected_rows: Vec<&[f32]> = if yi.len() == outs[0].len() {
            vec![yi]
        } else {
            yi.chunks(outs[0].len()).collect()
        };
        let got: Vec<&Vec<f32>> = if expected_rows.len() == 1 {
            vec![&outs[T - 1]]
        } else {
            outs.iter().collect()
        };
        for (g, e) in got.iter().zip(&expected_rows) {
            for (u, v) in g.iter().zip(e.iter()) {
                assert!((u - v).abs() <= 1e-5 * (1.0 + v.abs()), "{u} vs {v}");
            }
        }
    }
}

#[test]
fn streaming_steps_equal_the_whole_sequence() {
    let net = LstmLast::new_boxed(1);
    let x = random_batch::<LstmLast, 3>(21);
    stream_matches::<_, 3, 5, _>(&*net, &x, LstmLastStream::ZEROED, |n, xt, s| {
        n.step(xt.try_into().unwrap(), s).to_vec()
    });
    let net = GruStack::new_boxed(2);
    let x = random_batch::<GruStack, 2>(22);
    stream_matches::<_, 2, 4, _>(&*net, &x, GruStackStream::ZEROED, |n, xt, s| {
        n.step(xt.try_into().unwrap(), s).to_vec()
    });
    let net = RnnSeq::new_boxed(3);
    let x = random_batch::<RnnSeq, 2>(23);
    stream_matches::<_, 2, 3, _>(&*net, &x, RnnSeqStream::ZEROED, |n, xt, s| {
        n.step(xt.try_into().unwrap(), s).to_vec()
    });
    let net = Chars::new_boxed(4);
    let x = row_input::<Chars, 2>(0);
    stream_matches::<_, 2, 6, _>(&*net, &x, CharsStream::ZEROED, |n, xt, s| {
        n.step(xt.try_into().unwrap(), s).to_vec()
    });
    // reset starts a new sequence.
    let mut s = CharsStream::ZEROED;
    let first = *net.step(&[3.0], &mut s);
    net.step(&[1.0], &mut s);
    s.reset();
    assert_eq!(*net.step(&[3.0], &mut s), first);
}
