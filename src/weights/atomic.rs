//! Atomic file replacement: every `save_file` writes through
//! [`write_atomic`], so an interrupted save (a crash, a kill, a full disk)
//! leaves the previous file as it was.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `bytes` atomically: the bytes go to a new temporary
/// file in the same directory (`tempfile`, removed again on any error), are
/// flushed and `fsync`ed, the file is renamed over `path` (one atomic step
/// on POSIX file systems and NTFS), and on Unix the directory is `fsync`ed
/// so that the rename itself survives a power cut. Readers see the old file
/// or the new one, never a part. A replaced file keeps its permissions; a new
/// one gets those `File::create` would give.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("model.bin");
/// staticnet::weights::write_atomic(&path, b"first").unwrap();
/// staticnet::weights::write_atomic(&path, b"second").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"second");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".staticnet-").suffix(".tmp");
    // A new file gets the permissions `File::create` would give (0o666 less
    // the umask), not the temporary file's 0o600; a replaced one keeps its own.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.write_all(bytes)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows cannot open a directory as a file; NTFS journals the rename.
    let _ = File::open;
    Ok(())
}
