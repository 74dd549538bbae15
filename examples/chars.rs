//! A character-level language model: token ids of 32 characters, an
//! embedding, an LSTM and a per-step dense layer predict every next
//! character. Trained on `data/text/gpl-3.0.txt` (the GPL v3, 35 KB, last
//! 10% held out), then sampled one character at a time with the generated
//! streaming API (`CharLm::step`).
//!
//! ```text
//! cargo run --release --example chars            # --steps N (1500), --seed S (42)
//! ```

use staticnet::optim::{Adam, CosineLr, LrSchedule, Optimizer};
use staticnet::{loss, Mode, Network, Rng};
use std::time::Instant;

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

fn arg(key: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
fn evaluate(net: &CharLm, text: &[usize], cache: &mut CharLmCache<B>) -> f32 {
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (steps, seed) = (arg("--steps", 1500) as usize, arg("--seed", 42));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/text/gpl-3.0.txt");
    let text: Vec<usize> = std::fs::read(path)?.into_iter().map(encode).collect();
    let split = text.len() * 9 / 10;
    let (train, held_out) = (&text[..split], &text[split..]);
    println!("{}", CharLm::SUMMARY);
    println!(
        "{} training and {} held-out characters; {steps} steps of batch {B}",
        train.len(),
        held_out.len()
    );

    let mut net = CharLm::new_boxed(seed);
    let mut grads = CharLm::zeroed_boxed();
    let mut cache = CharLm::new_cache::<B>();
    let schedule = CosineLr {
        base: 3e-3,
        min: 1e-4,
        total_steps: steps,
    };
    let mut opt = Adam::new(schedule.base);
    let mut state = vec![0.0f32; opt.state_slots() * CharLm::PARAMS];
    let mut rng = Rng::new(seed);
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
    let held = evaluate(&net, held_out, &mut cache);
    println!(
        "training time: {secs:.1} s ({:.0} characters/s); held-out loss {held:.3} nats/char \
         ({:.2} bits/char; a uniform guess is {:.2})",
        (steps * B * STEPS) as f64 / secs,
        held / std::f32::consts::LN_2,
        (VOCAB as f32).log2()
    );

    // Sampling, one character at a time through the streaming API.
    let mut stream = CharLmStream::ZEROED;
    let prompt = "The licenses for most software";
    let mut sample = String::from(prompt);
    let mut probs = [0.0f32; VOCAB];
    let mut logits = [0.0f32; VOCAB];
    for c in prompt.bytes() {
        logits = *net.step(&[encode(c) as f32], &mut stream);
    }
    for _ in 0..400 {
        let temperature = 0.6;
        let max = logits.iter().fold(f32::MIN, |m, &v| m.max(v));
        let mut sum = 0.0;
        for (p, &l) in probs.iter_mut().zip(&logits) {
            *p = ((l - max) / temperature).exp();
            sum += *p;
        }
        let mut u = rng.uniform() * sum;
        let mut next = VOCAB - 1;
        for (i, &p) in probs.iter().enumerate() {
            if u < p {
                next = i;
                break;
            }
            u -= p;
        }
        sample.push(decode(next));
        logits = *net.step(&[next as f32], &mut stream);
    }
    println!("sample (temperature 0.6):\n{sample}");
    Ok(())
}
