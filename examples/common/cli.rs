//! Command-line options shared by the examples (parsed with clap), where the
//! MNIST files are, and error messages for people.

use staticnet::data::mnist::Mnist;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The MNIST slice shipped in the repository, `data/mnist`.
pub fn shipped_mnist_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))
}

/// `--data DIR`: where the MNIST files are.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Directory of the MNIST IDX files [default: $MNIST_DIR, else the
    /// slice shipped in the repository, data/mnist]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataArgs {
    /// The directory: `--data`, else `MNIST_DIR` (if set and not empty),
    /// else [`shipped_mnist_dir`]; with how it was chosen, for messages.
    pub fn dir(&self) -> (PathBuf, String) {
        if let Some(dir) = &self.data {
            (dir.clone(), format!("--data `{}`", dir.display()))
        } else if let Some(dir) = std::env::var_os("MNIST_DIR").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            let what = format!("MNIST_DIR `{}`", dir.display());
            (dir, what)
        } else {
            let dir = shipped_mnist_dir().to_path_buf();
            let what = format!("`{}` (the slice shipped in the repository)", dir.display());
            (dir, what)
        }
    }

    /// Loads MNIST from [`DataArgs::dir`]; returns the data and the directory.
    pub fn load(&self) -> Result<(Mnist, PathBuf), Box<dyn Error>> {
        let (dir, what) = self.dir();
        match std::fs::metadata(&dir) {
            Err(e) => return Err(format!("{what}: {e}").into()),
            Ok(m) if !m.is_dir() => return Err(format!("{what}: not a directory").into()),
            Ok(_) => {}
        }
        let data = Mnist::load(&dir).context(|| format!("cannot load MNIST from {what}"))?;
        Ok((data, dir))
    }
}

/// `--out DIR`: where the example writes its files.
#[derive(Debug, clap::Args)]
pub struct OutArgs {
    /// Directory for the files written (it must exist) [default: the
    /// system's temporary directory]
    #[arg(long, value_name = "DIR", value_parser = existing_dir)]
    pub out: Option<PathBuf>,
}

impl OutArgs {
    /// `name` in the output directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(std::env::temp_dir)
            .join(name)
    }
}

/// Checked when the command line is parsed, so that a long run does not
/// fail at its end.
fn existing_dir(s: &str) -> Result<PathBuf, String> {
    match std::fs::metadata(s) {
        Ok(m) if m.is_dir() => Ok(PathBuf::from(s)),
        Ok(_) => Err("not a directory".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parser of counts that must be at least 1 (`--epochs`, `--steps`, ...).
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (expected a whole number, at least 1)")),
    }
}

/// An error with a message saying what was being done; the error it wraps
/// is its [`Error::source`].
#[derive(Debug)]
pub struct Context {
    message: String,
    source: Box<dyn Error>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Context {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

/// `result.context(|| format!("cannot write `{}`", path.display()))?`
pub trait ResultExt<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T, Box<dyn Error>>;
}

impl<T, E: Into<Box<dyn Error>>> ResultExt<T> for Result<T, E> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T, Box<dyn Error>> {
        self.map_err(|e| {
            Box::new(Context {
                message: message(),
                source: e.into(),
            }) as Box<dyn Error>
        })
    }
}

/// The end of `main`: on error, prints `error: ...` and each underlying
/// cause (`caused by: ...`, unless the line above already says it) to
/// standard error and exits with status 1.
pub fn report<T>(result: Result<T, Box<dyn Error>>) -> ExitCode {
    let Err(e) = result else {
        return ExitCode::SUCCESS;
    };
    let mut above = e.to_string();
    eprintln!("error: {above}");
    let mut source = e.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !above.contains(&line) {
            eprintln!("caused by: {line}");
        }
        above = line;
        source = cause.source();
    }
    ExitCode::FAILURE
}
