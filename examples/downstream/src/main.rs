//! staticnet as a downstream crate sees it: a dependency renamed in
//! `Cargo.toml` (`sn = { package = "staticnet", ... }`), a network declared
//! with `sn::network!`, trained on a sine, saved, loaded into a second
//! declaration made through a re-export (`#[staticnet(crate = ...)]`), and
//! checked to predict the same bits. Prints one line; exits non-zero on any
//! failure.

use std::error::Error;
use std::f32::consts::PI;
use std::process::ExitCode;

use sn::optim::{Adam, Optimizer};
use sn::{flat, flat_mut, loss, Mode, Network, Rng};

sn::network! {
    /// Sine regressor, 1-32-32-1 with tanh.
    struct Sine {
        input: [1],
        dense(32), tanh,
        dense(32), tanh,
        dense(1),
    }
}

/// What a crate that re-exports staticnet offers its users. Neither
/// `staticnet` nor `sn` is a name there, so the declaration gives the path.
mod nn {
    pub use sn::*;
}

nn::network! {
    /// The same architecture declared through the re-export: it loads what
    /// `Sine` saved.
    #[staticnet(crate = "crate::nn")]
    struct Reloaded {
        input: [1],
        dense(32), tanh,
        dense(32), tanh,
        dense(1),
    }
}

const BATCH: usize = 32;
const STEPS: usize = 600;
/// Mean squared error on the evaluation grid that training must reach.
const THRESHOLD: f32 = 0.01;
/// Evaluation points, evenly spaced over `[-pi, pi]`.
const GRID: usize = 101;

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("downstream: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn grid() -> impl Iterator<Item = f32> {
    (0..GRID).map(|i| -PI + 2.0 * PI * i as f32 / (GRID - 1) as f32)
}

/// Mean squared error of `predict` against `sin` on the grid.
fn grid_mse(mut predict: impl FnMut(f32) -> f32) -> f32 {
    grid().map(|x| (predict(x) - x.sin()).powi(2)).sum::<f32>() / GRID as f32
}

fn run() -> Result<String, Box<dyn Error>> {
    let mut net = Sine::new_boxed(1);
    let mut grads = Sine::zeroed_boxed();
    let mut cache = Sine::new_cache::<BATCH>();
    let mut x = Sine::new_batch::<BATCH>();
    let mut y = [[0.0f32; 1]; BATCH];
    let mut grad_out = [[0.0f32; 1]; BATCH];
    let mut opt = Adam::new(0.01);
    let mut state = vec![0.0; opt.state_slots() * Sine::PARAMS];
    let mut rng = Rng::new(7);
    let mut ws = Sine::new_workspace();

    let before = grid_mse(|v| net.forward(&[v], &mut ws)[0]);
    for _ in 0..STEPS {
        for (xi, yi) in x.iter_mut().zip(&mut y) {
            xi[0] = (2.0 * rng.uniform() - 1.0) * PI;
            yi[0] = xi[0].sin();
        }
        let out = net.forward_batch(&x, &mut cache, Mode::Train);
        loss::mse(flat(out), flat(&y), flat_mut(&mut grad_out));
        net.backward(&x, &mut cache, &grad_out, &mut grads, None);
        opt.step(net.params_mut(), grads.params(), &mut state);
    }
    let after = grid_mse(|v| net.forward(&[v], &mut ws)[0]);
    if after.is_nan() || after >= THRESHOLD {
        return Err(format!(
            "sine: grid MSE {after:.5} after {STEPS} steps (from {before:.5}), \
             expected below {THRESHOLD}"
        )
        .into());
    }

    let path =
        std::env::temp_dir().join(format!("staticnet-downstream-{}.bin", std::process::id()));
    sn::weights::save_file(&*net, &path)?;
    let bytes = std::fs::metadata(&path)?.len();
    let mut reloaded = Reloaded::zeroed_boxed();
    let loaded = sn::weights::load_file(&path, &mut *reloaded);
    std::fs::remove_file(&path)?;
    loaded?;
    let mut ws2 = Reloaded::new_workspace();
    for v in grid() {
        let (a, b) = (
            net.forward(&[v], &mut ws)[0],
            reloaded.forward(&[v], &mut ws2)[0],
        );
        if a.to_bits() != b.to_bits() {
            return Err(
                format!("reloaded network predicts {b} at {v}, the trained one {a}").into(),
            );
        }
    }
    Ok(format!(
        "downstream: ok: sine grid MSE {before:.4} -> {after:.5} (< {THRESHOLD}) in {STEPS} steps; \
         {bytes}-byte weights file reloaded through the re-export, {GRID} predictions identical"
    ))
}
