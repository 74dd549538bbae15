//! Whole recurrent networks: backpropagation through time against finite
//! differences for every cell (LSTM, GRU, Elman tanh and ReLU), stacked and
//! many-to-one, per-step dense layers on sequences, embeddings on token ids;
//! single-sample against batch forward; streaming `step` against the whole
//! sequence.

mod common;

use common::{check_gradients, check_param_gradients, random_batch, single_matches_batch};
use staticnet::{loss, Network};

staticnet::network! {
    /// Many-to-one LSTM classifier.
    struct LstmLast {
        input: [5, 3],
        lstm(4, sequence = false),
        dense(2),
    }
}

staticnet::network! {
    /// Stacked GRUs, the second returning its last step.
    struct GruStack {
        input: [4, 3],
        gru(5),
        gru(3, sequence = false),
        dense(2),
    }
}

staticnet::network! {
    /// Sequence to sequence: tanh RNN, then a dense layer on every step.
    struct RnnSeq {
        input: [3, 2],
        rnn(4),
        dense(3), tanh,
    }
}

staticnet::network! {
    /// ReLU RNN with odd sizes.
    struct RnnRelu {
        input: [7, 1],
        rnn(3, relu = true, sequence = false),
        dense(1),
    }
}

staticnet::network! {
    /// A character model: token ids, embedding, LSTM, per-step logits.
    struct Chars {
        input: tokens[6],
        embedding(7, 3),
        lstm(5),
        dense(7),
    }
}

fn mse(out: &[f32], g: &mut [f32]) -> f32 {
    let target: Vec<f32> = (0..out.len()).map(|i| (i as f32 * 0.37).sin()).collect();
    loss::mse(out, &target, g)
}

#[test]
fn lstm_gradients_match_finite_differences() {
    let mut net = LstmLast::new_boxed(1);
    let mut x = random_batch::<LstmLast, 3>(11);
    check_gradients(&mut *net, &mut x, &|_| {}, &mse, 1e-3, 2e-2, 2e-3);
}

#[test]
fn gru_gradients_match_finite_differences() {
    let mut net = GruStack::new_boxed(2);
    let mut x = random_batch::<GruStack, 2>(12);
    check_gradients(&mut *net, &mut x, &|_| {}, &mse, 1e-3, 2e-2, 2e-3);
}

#[test]
fn rnn_gradients_match_finite_differences() {
    let mut net = RnnSeq::new_boxed(3);
    let mut x = random_batch::<RnnSeq, 3>(13);
    check_gradients(&mut *net, &mut x, &|_| {}, &mse, 1e-3, 2e-2, 2e-3);
    let mut net = RnnRelu::new_boxed(4);
    let mut x = random_batch::<RnnRelu, 1>(14);
    check_gradients(&mut *net, &mut x, &|_| {}, &mse, 1e-3, 2e-2, 2e-3);
}

/// Token ids: every id at least once, and repeats.
fn tokens<const B: usize>() -> Box<[[f32; 6]; B]> {
    let mut x: Box<[[f32; 6]; B]> = bytemuck::zeroed_box();
    for (i, v) in staticnet::flat_mut(&mut *x).iter_mut().enumerate() {
        *v = ((i * 5 + 3) % 7) as f32;
    }
    x
}

#[test]
fn embedding_gradients_match_finite_differences() {
    let mut net = Chars::new_boxed(5);
    let mut x = tokens::<2>();
    let ce = |out: &[f32], g: &mut [f32]| {
        let labels: Vec<usize> = (0..out.len() / 7).map(|i| (i * 3) % 7).collect();
        loss::softmax_cross_entropy(out, &labels, 7, g)
    };
    check_param_gradients(&mut *net, &mut x, &ce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn single_sample_forward_matches_batch() {
    single_matches_batch::<LstmLast, 3>(6);
    single_matches_batch::<GruStack, 2>(7);
    single_matches_batch::<RnnSeq, 4>(8);
    single_matches_batch::<RnnRelu, 1>(9);
}

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
    let x = tokens::<2>();
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
