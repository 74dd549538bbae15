//! Character-level language models: token ids of 32 characters in, the
//! logits of every next character out. `--model lstm` (default): an
//! embedding, an LSTM and a per-step dense layer, sampled one character at a
//! time with the generated streaming API (`CharLm::step`). `--model
//! transformer`: a causal Transformer (two pre-norm blocks of 4-head masked
//! self-attention and a GELU feed-forward), sampled by running the window.
//! Trained on `data/text/gpl-3.0.txt` (the GPL v3, 35 KB, last 10% held out).
//!
//! ```text
//! cargo run --release --example chars
//! cargo run --release --example chars -- --model transformer
//! ```
//! Options (`--help` lists them): `--model lstm|transformer` (lstm),
//! `--steps N` (1500), `--seed S` (42).

mod common;

use clap::{Parser, ValueEnum};
use common::cli::{positive, ResultExt};
use staticnet::optim::{Adam, CosineLr, LrSchedule, Optimizer};
use staticnet::{loss, Mode, Network, Rng};
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

/// Trains a character-level language model on the GPL v3 and samples from it.
#[derive(Parser)]
struct Args {
    /// The network
    #[arg(long, value_enum, default_value_t = Model::Lstm)]
    model: Model,
    /// Adam steps, of 32 windows of 32 characters each
    #[arg(long, value_name = "N", default_value_t = 1500, value_parser = positive)]
    steps: usize,
    /// Seed of the initial weights, the batches and the sampling
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Model {
    /// An embedding, an LSTM and a per-step dense layer
    Lstm,
    /// A causal Transformer
    Transformer,
}

/// Printable ASCII (32..=126) and newline; anything else reads as a space.
const VOCAB: usize = 96;
const STEPS: usize = 32;
const B: usize = 32;

staticnet::network! {
    /// Next-character logits for each of 32 characters.
    pub struct CharLm {
        input: tokens[32],
        embedding(96, 32),
        lstm(128),
        dense(96),
    }
}

staticnet::network! {
    /// The same with a causal Transformer: step `t` sees characters `<= t`.
    pub struct CharGpt {
        input: tokens[32],
        embedding(96, 64),
        pos_embedding,
        residual { layernorm, multihead_attention(4, causal = true) },
        residual { layernorm, dense(128), gelu, dense(64) },
        residual { layernorm, multihead_attention(4, causal = true) },
        residual { layernorm, dense(128), gelu, dense(64) },
        layernorm,
        dense(96),
    }
}

/// A character model of this example.
trait CharModel: Network<Input = [f32; STEPS], Output = [[f32; VOCAB]; STEPS]> {}
impl<N: Network<Input = [f32; STEPS], Output = [[f32; VOCAB]; STEPS]>> CharModel for N {}

fn encode(c: u8) -> usize {
    match c {
        b'\n' => 95,
        32..=126 => usize::from(c - 32),
        _ => 0,
    }
}

fn decode(id: usize) -> char {
    if id == 95 {
        '\n'
    } else {
        char::from(32 + id as u8)
    }
}

/// Fills a batch of windows starting at `starts`: inputs and next-character labels.
fn fill(text: &[usize], starts: &[usize], x: &mut [[f32; STEPS]; B], y: &mut [usize]) {
    for (b, &s) in starts.iter().enumerate() {
        for t in 0..STEPS {
            x[b][t] = text[s + t] as f32;
            y[b * STEPS + t] = text[s + t + 1];
        }
    }
}

/// Mean cross-entropy (nats per character) over non-overlapping windows of `text`.
fn evaluate<N: CharModel>(net: &N, text: &[usize], cache: &mut N::Cache<B>) -> f32 {
    let (mut x, mut y) = ([[0.0f32; STEPS]; B], vec![0usize; B * STEPS]);
    let mut g = vec![0.0f32; B * STEPS * VOCAB];
    let windows: Vec<usize> = (0..(text.len() - 1) / STEPS).map(|i| i * STEPS).collect();
    let (mut total, mut n) = (0.0f64, 0usize);
    for chunk in windows.chunks_exact(B) {
        fill(text, chunk, &mut x, &mut y);
        let out = net.forward_batch(&x, cache, Mode::Infer);
        total += f64::from(loss::softmax_cross_entropy(
            staticnet::flat(out),
            &y,
            VOCAB,
            &mut g,
        ));
        n += 1;
    }
    (total / n.max(1) as f64) as f32
}

/// Trains `N` for `steps` Adam steps (learning rate `lr`, cosine decay) and
/// reports the held-out loss.
fn train<N: CharModel>(
    net: &mut N,
    train: &[usize],
    held_out: &[usize],
    steps: usize,
    lr: f32,
    rng: &mut Rng,
) {
    let mut grads = N::zeroed_boxed();
    let mut cache = N::new_cache::<B>();
    let schedule = CosineLr {
        base: lr,
        min: lr / 30.0,
        total_steps: steps,
    };
    let mut opt = Adam::new(schedule.base);
    let mut state = vec![0.0f32; opt.state_slots() * N::PARAMS];
    let (mut x, mut y) = (Box::new([[0.0f32; STEPS]; B]), vec![0usize; B * STEPS]);
    let mut g: Box<[[[f32; VOCAB]; STEPS]; B]> = bytemuck::zeroed_box();
    let start = Instant::now();
    let mut recent = 0.0;
    for step in 0..steps {
        let starts: Vec<usize> = (0..B).map(|_| rng.below(train.len() - STEPS - 1)).collect();
        fill(train, &starts, &mut x, &mut y);
        let out = net.forward_batch(&x, &mut cache, Mode::Train);
        let l = loss::softmax_cross_entropy(
            staticnet::flat(out),
            &y,
            VOCAB,
            staticnet::flat_mut(&mut *g),
        );
        net.backward(&x, &mut cache, &g, &mut grads, None);
        staticnet::optim::clip_grad_norm(grads.params_mut(), 5.0);
        opt.set_lr(schedule.lr(step));
        opt.step(net.params_mut(), grads.params(), &mut state);
        recent += l / 100.0;
        if (step + 1) % 100 == 0 {
            println!("step {:5}: training loss {recent:.3} nats/char", step + 1);
            recent = 0.0;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let held = evaluate(net, held_out, &mut cache);
    println!(
        "training time: {secs:.1} s ({:.0} characters/s); held-out loss {held:.3} nats/char \
         ({:.2} bits/char; a uniform guess is {:.2})",
        (steps * B * STEPS) as f64 / secs,
        held / std::f32::consts::LN_2,
        (VOCAB as f32).log2()
    );
}

/// Draws from `softmax(logits / 0.6)`.
fn draw(logits: &[f32; VOCAB], rng: &mut Rng) -> usize {
    let temperature = 0.6;
    let max = logits.iter().fold(f32::MIN, |m, &v| m.max(v));
    let probs: Vec<f32> = logits
        .iter()
        .map(|&l| ((l - max) / temperature).exp())
        .collect();
    let mut u = rng.uniform() * probs.iter().sum::<f32>();
    for (i, &p) in probs.iter().enumerate() {
        if u < p {
            return i;
        }
        u -= p;
    }
    VOCAB - 1
}

const PROMPT: &str = "The licenses for most software";

fn main() -> ExitCode {
    common::cli::report(run(&Args::parse()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (steps, seed) = (args.steps, args.seed);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/text/gpl-3.0.txt");
    let text: Vec<usize> = std::fs::read(path)
        .context(|| format!("cannot read `{path}`"))?
        .into_iter()
        .map(encode)
        .collect();
    let split = text.len() * 9 / 10;
    let (train_text, held_out) = (&text[..split], &text[split..]);
    println!(
        "{} training and {} held-out characters; {steps} steps of batch {B}",
        train_text.len(),
        held_out.len()
    );
    let mut rng = Rng::new(seed);
    let mut sample = String::from(PROMPT);
    if let Model::Transformer = args.model {
        println!("{}", CharGpt::SUMMARY);
        let mut net = CharGpt::new_boxed(seed);
        train(&mut *net, train_text, held_out, steps, 1e-3, &mut rng);
        // Sampling by running the window: with the causal mask, the output
        // at step t depends on characters <= t only.
        let mut ws = CharGpt::new_workspace();
        let mut context: Vec<usize> = PROMPT.bytes().map(encode).collect();
        for _ in 0..400 {
            let window = &context[context.len().saturating_sub(STEPS)..];
            let mut x = [0.0f32; STEPS];
            for (v, &id) in x.iter_mut().zip(window) {
                *v = id as f32;
            }
            let logits = net.forward(&x, &mut ws)[window.len() - 1];
            let next = draw(&logits, &mut rng);
            sample.push(decode(next));
            context.push(next);
        }
    } else {
        println!("{}", CharLm::SUMMARY);
        let mut net = CharLm::new_boxed(seed);
        train(&mut *net, train_text, held_out, steps, 3e-3, &mut rng);
        // Sampling one character at a time through the streaming API.
        let mut stream = CharLmStream::ZEROED;
        let mut logits = [0.0f32; VOCAB];
        for c in PROMPT.bytes() {
            logits = *net.step(&[encode(c) as f32], &mut stream);
        }
        for _ in 0..400 {
            let next = draw(&logits, &mut rng);
            sample.push(decode(next));
            logits = *net.step(&[next as f32], &mut stream);
        }
    }
    println!("sample (temperature 0.6):\n{sample}");
    Ok(())
}
