//! Weights files on disk (feature `std`).

use super::{encoded_len, load, save, LoadError, SaveError};
use crate::Network;
use std::boxed::Box;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::vec;
use std::vec::Vec;

/// Why a weights file could not be written or read.
#[derive(Debug)]
pub enum FileError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The network could not be saved.
    Save(SaveError),
    /// The file is not a weights file of this network.
    Load {
        /// The file.
        path: PathBuf,
        /// What is wrong (boxed: it carries names and shapes inline).
        source: Box<LoadError>,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FileError::Save(e) => write!(f, "cannot save: {e}"),
            FileError::Load { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io { source, .. } => Some(source),
            FileError::Save(e) => Some(e),
            FileError::Load { source, .. } => Some(&**source),
        }
    }
}

/// The weights of `net` in the binary format, in a new vector.
pub fn to_vec<N: Network>(net: &N) -> Result<Vec<u8>, SaveError> {
    let mut out = vec![0u8; encoded_len::<N>()];
    save(net, &mut out)?;
    Ok(out)
}

/// Writes the weights of `net` to `path`, atomically ([`write_atomic`](super::write_atomic)):
/// if the save fails or is interrupted, the previous file is intact.
pub fn save_file<N: Network>(net: &N, path: impl AsRef<Path>) -> Result<(), FileError> {
    let path = path.as_ref();
    let bytes = to_vec(net).map_err(FileError::Save)?;
    super::write_atomic(path, &bytes).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a weights file into `net`; on error `net` is unchanged. A file much
/// longer than `N`'s weights is refused from its length alone, unread.
pub fn load_file<N: Network>(path: impl AsRef<Path>, net: &mut N) -> Result<(), FileError> {
    let path = path.as_ref();
    let io_err = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let load_err = |source| FileError::Load {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let len = fs::metadata(path).map_err(io_err)?.len();
    let want = encoded_len::<N>() as u64;
    // Room for a header of another architecture to say what differs.
    if len > want.saturating_mul(2).saturating_add(1 << 20) {
        return Err(load_err(LoadError::Length {
            expected: want,
            found: usize::try_from(len).unwrap_or(usize::MAX),
        }));
    }
    let bytes = fs::read(path).map_err(io_err)?;
    load(&bytes, net).map_err(load_err)
}

/// Writes an int8 network (`<Name>Q`, see [`staticnet::quant::file`](crate::quant::file))
/// to `path`, atomically: if the save fails or is interrupted, the previous
/// file is intact.
pub fn save_int8_file<Q: crate::quant::file::Quantized>(
    q: &Q,
    path: impl AsRef<Path>,
) -> Result<(), FileError> {
    let path = path.as_ref();
    let mut bytes = vec![0u8; crate::quant::file::encoded_len::<Q>()];
    crate::quant::file::save(q, &mut bytes).map_err(FileError::Save)?;
    super::write_atomic(path, &bytes).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads an int8 network's file into `q`; on error `q` is unchanged.
pub fn load_int8_file<Q: crate::quant::file::Quantized>(
    path: impl AsRef<Path>,
    q: &mut Q,
) -> Result<(), FileError> {
    let path = path.as_ref();
    let io_err = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let load_err = |source| FileError::Load {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let len = fs::metadata(path).map_err(io_err)?.len();
    let want = crate::quant::file::encoded_len::<Q>() as u64;
    if len != want {
        return Err(load_err(LoadError::Length {
            expected: want,
            found: usize::try_from(len).unwrap_or(usize::MAX),
        }));
    }
    let bytes = fs::read(path).map_err(io_err)?;
    crate::quant::file::load(&bytes, q).map_err(load_err)
}
