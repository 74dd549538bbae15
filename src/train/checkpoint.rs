//! Checkpoints: everything a [`Trainer`] needs to continue exactly where it
//! was, in one checked file written atomically
//! ([`write_atomic`](crate::weights::write_atomic)).
//!
//! Training one epoch, saving, exiting, loading and training one more gives
//! the bits of two epochs straight (`tests/checkpoint.rs`). The file holds:
//!
//! | field | encoding |
//! |---|---|
//! | magic `STATICKP`, version 1 | 8 + 4 bytes |
//! | CRC-32 (IEEE) of every byte after this field | 4 |
//! | batch size, seed-independent configuration: optimizer (its `Debug` with the learning rate and step counter zeroed), schedule (`Debug`), loss (type name), gradient clipping, patience | `u64`, strings (`u32` length + UTF-8), `f32`, `u64` |
//! | progress: epoch, batch in epoch, step, best metric, epochs since best, stopped | `u64`s, `f64`, `u8` |
//! | optimizer step counter, shuffling and dropout generator states | `u64`s |
//! | the epoch's sample order | `u64` count + `u64` each |
//! | optimizer state (moments) | `u64` count + `f32` each |
//! | parameters and buffers | the [`weights`] format, `u64` length first |
//!
//! Every integer and float is little-endian. [`Trainer::resume`] checks the
//! magic, version, length and checksum, then that the configuration is the
//! trainer's (naming the first field that differs: `optimizer: checkpoint
//! has Adam { .. beta1: 0.9 .. }, this trainer Sgd { .. }`), then the
//! architecture (the weights format's checks, naming the layer), and only
//! then changes anything.

use super::{Loss, Progress, TrainError, Trainer};
use crate::optim::{LrSchedule, Optimizer};
use crate::weights::{self, crc32, LoadError};
use crate::{Network, Rng};
use core::fmt;
use std::boxed::Box;
use std::format;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;
use std::{fs, io};

/// The magic number at offset 0.
pub const MAGIC: [u8; 8] = *b"STATICKP";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// When [`Trainer::fit`] writes checkpoints.
#[derive(Clone, Debug)]
pub(super) struct Policy {
    path: Option<PathBuf>,
    every: Option<usize>,
}

impl Policy {
    /// Whether a save is due after global step `step` (steps count from 1
    /// here: the step just taken).
    pub(super) fn due(&self, step: usize) -> bool {
        self.every.is_some_and(|n| n > 0 && step.is_multiple_of(n))
    }

    /// `checkpoint_every` without `checkpoint_to`: nowhere to write.
    pub(super) fn lacks_path(&self) -> bool {
        self.path.is_none()
    }
}

/// Why a checkpoint could not be written or read. On a read error the
/// trainer is unchanged.
#[derive(Debug)]
pub enum CheckpointError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Not a checkpoint, another version, truncated, or corrupted (the
    /// checksum or a length does not hold): what was found.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint of another training configuration.
    Mismatch {
        /// The file.
        path: PathBuf,
        /// The field that differs (`optimizer`, `schedule`, `batch size`).
        field: &'static str,
        /// In the file.
        file: String,
        /// In this trainer.
        trainer: String,
    },
    /// A checkpoint of another architecture: what the weights format says.
    Architecture {
        /// The file.
        path: PathBuf,
        /// The first difference.
        source: Box<LoadError>,
    },
    /// The network could not be encoded.
    Save(weights::SaveError),
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Corrupt { path, reason } => {
                write!(f, "{}: not a valid checkpoint: {reason}", path.display())
            }
            CheckpointError::Mismatch {
                path,
                field,
                file,
                trainer,
            } => write!(
                f,
                "{}: {field} differs: the checkpoint has {file}, this trainer {trainer}",
                path.display()
            ),
            CheckpointError::Architecture { path, source } => {
                write!(f, "{}: {source}", path.display())
            }
            CheckpointError::Save(e) => write!(f, "cannot encode the network: {e}"),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            CheckpointError::Architecture { source, .. } => Some(&**source),
            CheckpointError::Save(e) => Some(e),
            _ => None,
        }
    }
}

/// The configuration fields, in file order, as text.
fn config<N, O, S, L, const B: usize>(t: &Trainer<N, O, S, L, B>) -> [(&'static str, String); 6]
where
    N: Network,
    O: Optimizer + Clone + fmt::Debug,
    L: Loss,
    S: fmt::Debug,
{
    let mut opt = t.opt.clone();
    opt.set_lr(0.0);
    opt.set_counter(0);
    [
        ("batch size", format!("{B}")),
        ("optimizer", format!("{opt:?}")),
        ("schedule", format!("{:?}", t.schedule)),
        ("loss", core::any::type_name::<L>().into()),
        ("gradient clipping", format!("{:?}", t.clip)),
        ("patience", format!("{:?}", t.patience)),
    ]
}

impl<N, O, S, L, const B: usize> Trainer<N, O, S, L, B>
where
    N: Network,
    O: Optimizer + Clone + fmt::Debug,
    S: LrSchedule + fmt::Debug,
    L: Loss,
{
    /// Writes a checkpoint to `path` after each epoch of [`fit`](Self::fit)
    /// (and when its callback stops it).
    pub fn checkpoint_to(mut self, path: impl Into<PathBuf>) -> Self {
        let every = self.checkpoint.take().and_then(|p| p.every);
        self.checkpoint = Some(Policy {
            path: Some(path.into()),
            every,
        });
        self
    }

    /// Also writes the checkpoint every `steps` optimizer steps, to the
    /// file of [`checkpoint_to`](Self::checkpoint_to) (without it, training
    /// is a [`TrainError::Config`] error).
    pub fn checkpoint_every(mut self, steps: usize) -> Self {
        let path = self.checkpoint.take().and_then(|p| p.path);
        self.checkpoint = Some(Policy {
            path,
            every: Some(steps),
        });
        self
    }

    pub(super) fn save_due(&mut self) -> Result<(), TrainError> {
        match self.checkpoint.as_ref().and_then(|p| p.path.clone()) {
            Some(path) => self.save_checkpoint(&path).map_err(TrainError::Checkpoint),
            None => Ok(()),
        }
    }

    /// The checkpoint as bytes (`&mut`: the dropout generator is read
    /// through [`Network::cache_rng`]).
    pub fn checkpoint_bytes(&mut self) -> Result<Vec<u8>, CheckpointError> {
        let mut w = Vec::new();
        w.extend_from_slice(&MAGIC);
        w.extend_from_slice(&VERSION.to_le_bytes());
        w.extend_from_slice(&[0; 4]); // checksum, below
        for (_, text) in config(self) {
            put_str(&mut w, &text);
        }
        let p = &self.progress;
        for v in [p.epoch, p.batch, p.step, p.since_best] {
            put_u64(&mut w, v as u64);
        }
        w.extend_from_slice(&p.best.unwrap_or(f64::NAN).to_le_bytes());
        w.push(u8::from(p.best.is_some()) | u8::from(p.stopped) << 1);
        put_u64(&mut w, self.opt.counter());
        put_u64(&mut w, self.shuffle.state());
        put_u64(&mut w, N::cache_rng(&mut self.cache).state());
        put_u64(&mut w, self.order.len() as u64);
        for &i in &self.order {
            put_u64(&mut w, i as u64);
        }
        put_u64(&mut w, self.state.len() as u64);
        for &v in &self.state {
            w.extend_from_slice(&v.to_le_bytes());
        }
        let net = weights::to_vec(&*self.net).map_err(CheckpointError::Save)?;
        put_u64(&mut w, net.len() as u64);
        w.extend_from_slice(&net);
        let crc = crc32(&w[16..]);
        w[12..16].copy_from_slice(&crc.to_le_bytes());
        Ok(w)
    }

    /// Saves a checkpoint to `path` atomically: an interrupted save leaves
    /// the previous file intact.
    pub fn save_checkpoint(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let bytes = self.checkpoint_bytes()?;
        weights::write_atomic(path, &bytes).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Restores a checkpoint written by a trainer of the same configuration
    /// and network; on any error nothing changes.
    pub fn resume(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.resume_from_bytes(&bytes)
            .map_err(|e| e.at(path.to_path_buf()))
    }

    /// [`resume`](Self::resume) from bytes in memory.
    pub fn resume_from_bytes(&mut self, bytes: &[u8]) -> Result<(), CheckpointError> {
        let corrupt = |reason: &str| CheckpointError::Corrupt {
            path: PathBuf::new(),
            reason: reason.into(),
        };
        if bytes.len() < 16 || bytes[..8] != MAGIC {
            return Err(corrupt("no STATICKP magic at the start"));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if version != VERSION {
            return Err(corrupt(&format!(
                "format version {version}, this build reads {VERSION}"
            )));
        }
        let crc = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or_default());
        if crc32(&bytes[16..]) != crc {
            return Err(corrupt("checksum mismatch (truncated or damaged)"));
        }
        let mut r = Reader {
            bytes: &bytes[16..],
        };
        let short = || corrupt("shorter than its lengths say");
        for (field, mine) in config(self) {
            let theirs = r.str().ok_or_else(short)?;
            if theirs != mine {
                return Err(CheckpointError::Mismatch {
                    path: PathBuf::new(),
                    field,
                    file: theirs.into(),
                    trainer: mine,
                });
            }
        }
        let mut n = [0u64; 4];
        for v in &mut n {
            *v = r.u64().ok_or_else(short)?;
        }
        let best = f64::from_le_bytes(r.take(8).ok_or_else(short)?.try_into().unwrap_or_default());
        let flags = r.take(1).ok_or_else(short)?[0];
        let counter = r.u64().ok_or_else(short)?;
        let (shuffle, dropout) = (r.u64().ok_or_else(short)?, r.u64().ok_or_else(short)?);
        let count = r.len(8).ok_or_else(short)?;
        let order: Vec<usize> = (0..count)
            .map(|_| r.u64().map(|v| v as usize))
            .collect::<Option<_>>()
            .ok_or_else(short)?;
        let count = r.len(4).ok_or_else(short)?;
        let state = r.take(4 * count).ok_or_else(short)?;
        let len = r.len(1).ok_or_else(short)?;
        let net = r.take(len).ok_or_else(short)?;
        if !r.bytes.is_empty() {
            return Err(corrupt("bytes after the end"));
        }
        let architecture = |e| CheckpointError::Architecture {
            path: PathBuf::new(),
            source: Box::new(e),
        };
        weights::check::<N>(net).map_err(architecture)?;
        if count != self.state.len() {
            return Err(corrupt(&format!(
                "{count} optimizer state values, the optimizer has {}",
                self.state.len()
            )));
        }
        let usize_of = |v: u64| usize::try_from(v).map_err(|_| corrupt("a count past usize"));
        let progress = Progress {
            epoch: usize_of(n[0])?,
            batch: usize_of(n[1])?,
            step: usize_of(n[2])?,
            best: (flags & 1 != 0).then_some(best),
            since_best: usize_of(n[3])?,
            stopped: flags & 2 != 0,
        };
        if progress.batch > 0 && order.is_empty() {
            return Err(corrupt("mid-epoch without a sample order"));
        }
        // The last check writes the parameters only if it passes.
        weights::load(net, &mut *self.net).map_err(architecture)?;
        for (s, b) in self.state.iter_mut().zip(state.chunks_exact(4)) {
            *s = f32::from_le_bytes(b.try_into().unwrap_or_default());
        }
        self.opt.set_counter(counter);
        self.opt.set_lr(self.schedule.lr(progress.step));
        self.progress = progress;
        self.order = order;
        self.shuffle = Rng::new(shuffle);
        *N::cache_rng(&mut self.cache) = Rng::new(dropout);
        Ok(())
    }
}

impl CheckpointError {
    fn at(self, file: PathBuf) -> Self {
        match self {
            CheckpointError::Corrupt { reason, .. } => {
                CheckpointError::Corrupt { path: file, reason }
            }
            CheckpointError::Mismatch {
                field,
                file: f,
                trainer,
                ..
            } => CheckpointError::Mismatch {
                path: file,
                field,
                file: f,
                trainer,
            },
            CheckpointError::Architecture { source, .. } => {
                CheckpointError::Architecture { path: file, source }
            }
            e => e,
        }
    }
}

fn put_u64(w: &mut Vec<u8>, v: u64) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    w.extend_from_slice(&(s.len() as u32).to_le_bytes());
    w.extend_from_slice(s.as_bytes());
}

/// Reads fields off the front; `None` when the bytes run out.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A `u64` count of items of `size` bytes that the rest can hold.
    fn len(&mut self, size: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(size)? <= self.bytes.len()).then_some(n)
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        core::str::from_utf8(self.take(n)?).ok()
    }
}
