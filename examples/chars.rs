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
use staticnet::data::{Dataset, Windows};
use staticnet::optim::{Adam, CosineLr};
use staticnet::train::{Control, Event, SequenceCrossEntropy, TrainError, Trainer};
use staticnet::{Network, Rng};
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

/// Trains `N` for `steps` Adam steps (learning rate `lr`, cosine decay,
/// gradients clipped to norm 5) on every window of `train`, in epochs
/// shuffled from `seed`, and reports the held-out loss.
fn train<N: CharModel>(
    net: Box<N>,
    train: &Windows<'_, STEPS>,
    held_out: &Windows<'_, STEPS>,
    steps: usize,
    lr: f32,
    seed: u64,
) -> Result<Box<N>, TrainError> {
    let schedule = CosineLr {
        base: lr,
        min: lr / 30.0,
        total_steps: steps,
    };
    let loss = SequenceCrossEntropy::<STEPS>;
    let mut trainer = Trainer::<N, _, _, _, B>::new(net, Adam::new(lr), schedule, loss)
        .seed(seed)
        .clip_grad_norm(5.0);
    let epochs = steps.div_ceil((train.len() / B).max(1));
    let start = Instant::now();
    let (mut done, mut recent) = (0usize, 0.0f32);
    // Epochs until `steps` steps, the last one stopped part way.
    trainer.fit(train, None::<&Windows<'_, STEPS>>, epochs, |event| {
        let Event::Step { loss, .. } = *event else {
            return Control::Continue;
        };
        done += 1;
        recent += loss / 100.0;
        if done % 100 == 0 {
            println!("step {done:5}: training loss {recent:.3} nats/char");
            recent = 0.0;
        }
        if done == steps {
            Control::Stop
        } else {
            Control::Continue
        }
    })?;
    let secs = start.elapsed().as_secs_f64();
    let held = trainer.evaluate(held_out)?;
    println!(
        "training time: {secs:.1} s ({:.0} characters/s); held-out loss {:.3} nats/char \
         ({:.2} bits/char; a uniform guess is {:.2})",
        (steps * B * STEPS) as f64 / secs,
        held.loss,
        held.loss / std::f64::consts::LN_2,
        (VOCAB as f32).log2()
    );
    Ok(trainer.net)
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
    let text: Vec<u32> = std::fs::read(path)
        .context(|| format!("cannot read `{path}`"))?
        .into_iter()
        .map(|c| encode(c) as u32)
        .collect();
    let split = text.len() * 9 / 10;
    let (train_text, held_text) = (&text[..split], &text[split..]);
    println!(
        "{} training and {} held-out characters; {steps} steps of batch {B}",
        train_text.len(),
        held_text.len()
    );
    // Every window of 32 for training (as many as there are start
    // positions); the held-out text cut into windows that do not overlap.
    let train_windows = Windows::<STEPS>::new(train_text, 1, VOCAB)?;
    let held_out = Windows::<STEPS>::new(held_text, STEPS, VOCAB)?;
    let mut rng = Rng::new(seed);
    let mut sample = String::from(PROMPT);
    if let Model::Transformer = args.model {
        println!("{}", CharGpt::SUMMARY);
        let net = CharGpt::new_boxed(seed);
        let net = train(net, &train_windows, &held_out, steps, 1e-3, seed)?;
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
        let net = CharLm::new_boxed(seed);
        let net = train(net, &train_windows, &held_out, steps, 3e-3, seed)?;
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
