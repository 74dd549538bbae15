//! `staticnet-import model.onnx [--name Net] [--out DIR] [--crate PATH]`:
//! writes `DIR/<model>.rs` (the `network!` declaration and a `static` over
//! the included weights), `DIR/<model>.bin` and `DIR/<model>.safetensors`,
//! and prints the network's summary.

use staticnet_import::{Options, WeightsPath};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: staticnet-import MODEL.onnx [--name NAME] [--out DIR] [--crate PATH]

Writes DIR/<model>.rs (the network! declaration and a static over the included
weights), DIR/<model>.bin (checked weights) and DIR/<model>.safetensors.
  --name NAME   the struct's name (default: the file name in UpperCamelCase)
  --out DIR     where to write (default: the current directory)
  --crate PATH  how the generated code names staticnet (default: staticnet)";

struct Args {
    model: PathBuf,
    out: PathBuf,
    opts: Options,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut model = None;
    let mut out = PathBuf::from(".");
    let mut opts = Options {
        weights_path: WeightsPath::Relative,
        ..Options::default()
    };
    while let Some(a) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--name" => opts.name = Some(value("--name")?),
            "--out" => out = PathBuf::from(value("--out")?),
            "--crate" => opts.krate = value("--crate")?,
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            path if model.is_none() => model = Some(PathBuf::from(path)),
            extra => {
                return Err(format!(
                    "unexpected argument `{extra}` (one model at a time)"
                ))
            }
        }
    }
    let model = model.ok_or("no model given")?;
    Ok(Some(Args { model, out, opts }))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let start = std::time::Instant::now();
    match staticnet_import::write(&args.model, &args.out, &args.opts) {
        Ok(w) => {
            let m = &w.imported.manifest;
            let params: usize = m
                .tensors
                .iter()
                .filter(|t| t.trainable)
                .map(|t| t.len())
                .sum();
            println!(
                "{}: {} layers, {params} parameters",
                w.imported.name,
                m.layers.len()
            );
            for (from, to) in &w.imported.renamed {
                println!("renamed `{from}` -> `{to}`");
            }
            for p in [&w.source, &w.weights, &w.safetensors] {
                println!("wrote {}", p.display());
            }
            println!("in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.model.display());
            ExitCode::FAILURE
        }
    }
}
