//! A classifier trained on a CSV file: the breast cancer Wisconsin
//! (diagnostic) data shipped in `data/tabular/` (569 rows, 30 features,
//! malignant or benign). Every fifth row is held out (`i % 5 == 4`, the rule
//! `scripts/sklearn_reference.py` uses for its reference accuracies), and
//! every fifth of the remaining rows is a validation set for early stopping,
//! so the held-out rows decide nothing; the features are standardised with
//! statistics fitted on the training rows; an MLP trains with Adam, warm-up
//! and cosine decay, and stops when the validation accuracy has not
//! improved for 15 epochs. The weights, the standardisation
//! statistics and a checkpoint are written to `--out` (atomically); run it
//! again with `--resume` to continue from the checkpoint.
//!
//! ```text
//! cargo run --release --example tabular
//! cargo run --release --example tabular -- --csv my.csv --target label --epochs 50
//! ```
//! Options (`--help` lists them): `--csv FILE`, `--target COLUMN` (`target`),
//! `--epochs N` (60), `--seed S` (42), `--out DIR`, `--resume`.

mod common;

use clap::Parser;
use common::cli::{positive, report, OutArgs, ResultExt};
use staticnet::data::csv::{CsvOptions, Standardize};
use staticnet::optim::{Adam, CosineLr, Warmup};
use staticnet::train::{Control, Event, SoftmaxCrossEntropy, Trainer};
use staticnet::{weights, Network};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

staticnet::network! {
    /// 30 standardised measurements in, malignant/benign logits out.
    pub struct Diagnosis {
        input: [30],
        dense(32), relu,
        dropout(0.2),
        dense(16), relu,
        dense(2),
    }
}

const B: usize = 16;

/// Trains a classifier on a CSV file and reports its held-out accuracy.
#[derive(Parser)]
struct Args {
    /// The CSV file (a header row, 30 numeric feature columns and the
    /// target column) [default: data/tabular/breast_cancer.csv]
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// The target column's name: class labels 0, 1, ...
    #[arg(long, value_name = "COLUMN", default_value = "target")]
    target: String,
    /// Passes over the training rows (at most; early stopping may end sooner)
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = positive)]
    epochs: usize,
    /// Seed of the initial weights, the shuffling and dropout
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Continue from the checkpoint in the output directory
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    out: OutArgs,
}

fn main() -> ExitCode {
    report(run(Args::parse()))
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let path = args.csv.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/tabular/breast_cancer.csv"
        ))
    });
    let table = CsvOptions::new()
        .target(args.target.as_str())
        .load_classes(&path)?;
    let (rest, mut test) = table.split_every(5);
    let (mut train, mut val) = rest.split_every(5);
    println!(
        "{}: {} rows of {} features, {} classes; {} training, {} validation, {} held out \
         (every 5th row)",
        path.display(),
        table.len(),
        table.input_len(),
        table.classes(),
        train.len(),
        val.len(),
        test.len()
    );
    if table.input_len() != Diagnosis::INPUT_LEN || table.classes() > Diagnosis::OUTPUT_LEN {
        return Err(format!(
            "the network takes {} features and tells {} classes; {} has {} and {}",
            Diagnosis::INPUT_LEN,
            Diagnosis::OUTPUT_LEN,
            path.display(),
            table.input_len(),
            table.classes()
        )
        .into());
    }
    let stats = Standardize::fit(&train);
    stats.apply(&mut train)?;
    stats.apply(&mut val)?;
    stats.apply(&mut test)?;

    let steps = args.epochs * (train.len() / B);
    let schedule = Warmup {
        steps: 20,
        then: CosineLr {
            base: 3e-3,
            min: 0.0,
            total_steps: steps.saturating_sub(20),
        },
    };
    let (ckpt, model, stats_file) = (
        args.out.join("tabular.ckpt"),
        args.out.join("tabular.bin"),
        args.out.join("tabular.stats"),
    );
    let mut trainer = Trainer::<Diagnosis, _, _, _, B>::new(
        Diagnosis::new_boxed(args.seed),
        Adam::new(3e-3),
        schedule,
        SoftmaxCrossEntropy,
    )
    .seed(args.seed)
    .patience(15)
    .checkpoint_to(&ckpt);
    if args.resume {
        trainer
            .resume(&ckpt)
            .context(|| "cannot resume (run once without --resume first)".into())?;
        println!("resumed at epoch {}", trainer.progress().epoch);
    }
    let fit = trainer.fit(&train, Some(&val), args.epochs, |event| {
        if let Event::Epoch {
            epoch,
            train_loss,
            validation: Some(v),
            ..
        } = event
        {
            if epoch % 10 == 0 {
                println!(
                    "epoch {epoch}: train loss {train_loss:.4}, validation loss {:.4}, accuracy {:.4}",
                    v.loss, v.metric
                );
            }
        }
        Control::Continue
    })?;
    let held_out = trainer.evaluate(&test)?;
    let train_acc = trainer.evaluate(&train)?.metric;
    if fit.early_stopped {
        println!("early stopping after epoch {}", fit.epochs);
    }
    weights::save_file(&*trainer.net, &model)?;
    stats.save_file(&stats_file)?;
    println!(
        "saved {}, {} and {}",
        model.display(),
        stats_file.display(),
        ckpt.display()
    );
    println!("train accuracy: {train_acc:.4}");
    println!(
        "held-out cross-entropy: {:.4}, held-out accuracy: {:.4} ({}/{})",
        held_out.loss,
        held_out.metric,
        (held_out.metric * test.len() as f64).round(),
        test.len()
    );
    Ok(())
}
