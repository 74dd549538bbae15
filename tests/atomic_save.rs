//! Crash safety of weights files and checkpoints (issue 17): a save killed at
//! any moment, or one that runs out of room, leaves the previous file whole
//! and loadable.
//!
//! The child processes are this test binary run again
//! ([`std::env::current_exe`]): a parent test sets an environment variable and
//! runs one `#[ignore]`d child test by its exact name. Run alone, a child test
//! says so and does nothing.
#![cfg(all(unix, feature = "std"))]

use staticnet::optim::{Constant, Sgd};
use staticnet::train::{Mse, Trainer};
use staticnet::weights::{self, safetensors as st, write_atomic, FileError};
use staticnet::{Network, Rng};
use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

staticnet::network! {
    /// 40,300 parameters, so each file is about 161 KB: larger than the file
    /// size limit of the disk test; the tmpfs of the full-disk test holds one
    /// file of each format but not a third file.
    struct Versioned { input: [100], dense(200), relu, dense(100) }
}

/// Version `k` of the network: every value is `k`, so a loaded file tells
/// which version it is, and a mix of two versions shows.
fn versioned(k: u64) -> Box<Versioned> {
    let mut net = Versioned::zeroed_boxed();
    net.state_mut().fill(k as f32);
    net
}

/// The version a loaded network holds, or why it is not one whole version.
fn version_of(net: &Versioned) -> Result<u64, String> {
    let state = net.state();
    let v = state[0];
    if let Some(i) = state.iter().position(|&x| x.to_bits() != v.to_bits()) {
        return Err(format!(
            "values of two versions: [0] = {v}, [{i}] = {}",
            state[i]
        ));
    }
    if v < 0.0 || v.fract() != 0.0 {
        return Err(format!("not a version: {v}"));
    }
    Ok(v as u64)
}

/// The version in a binary weights file (`weights::load_file`).
fn load_bin(path: &Path) -> Result<u64, String> {
    let mut net = Versioned::zeroed_boxed();
    weights::load_file(path, &mut *net).map_err(|e| e.to_string())?;
    version_of(&net)
}

/// The version in a safetensors file (`safetensors::load_file`, strict).
fn load_st(path: &Path) -> Result<u64, String> {
    let mut net = Versioned::zeroed_boxed();
    st::load_file(path, &mut *net, st::Options::strict()).map_err(|e| e.to_string())?;
    version_of(&net)
}

/// A trainer whose checkpoints hold a [`Versioned`] network (plain SGD: no
/// optimizer state, so a checkpoint is about the size of the weights file).
type Checkpointed = Trainer<Versioned, Sgd, Constant, Mse<100>, 1>;

fn checkpointed() -> Checkpointed {
    Trainer::new(
        Versioned::zeroed_boxed(),
        Sgd::new(0.1),
        Constant(0.1),
        Mse::<100>,
    )
}

/// Saves version `k` of the network as `t`'s checkpoint.
fn save_ckpt(t: &mut Checkpointed, k: u64, path: &Path) {
    t.net.state_mut().fill(k as f32);
    t.save_checkpoint(path).unwrap();
}

/// The version in a checkpoint, resumed into a new trainer.
fn load_ckpt(path: &Path) -> Result<u64, String> {
    let mut t = checkpointed();
    t.resume(path).map_err(|e| e.to_string())?;
    version_of(&t.net)
}

/// The arguments that run exactly the `#[ignore]`d child test `name`.
fn child_args(name: &str) -> [&str; 4] {
    ["--exact", name, "--ignored", "--nocapture"]
}

fn output_text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `.staticnet-*.tmp` files `write_atomic` left in `dir`; panics on any
/// other file besides `targets`.
fn temp_files(dir: &Path, targets: &[&Path]) -> Vec<PathBuf> {
    let mut temps = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".staticnet-") && name.ends_with(".tmp") {
            temps.push(path);
        } else {
            assert!(targets.contains(&path.as_path()), "unexpected file {name}");
        }
    }
    temps
}

/// Panics unless `path` holds exactly `before`, saying where it differs
/// (not the bytes: the files are 161 KB).
fn assert_unchanged(path: &Path, before: &[u8]) {
    let now = fs::read(path).unwrap();
    if now != before {
        let at = now.iter().zip(before).position(|(a, b)| a != b);
        panic!(
            "{} changed: {} bytes, was {}; first difference at byte {at:?}",
            path.display(),
            now.len(),
            before.len()
        );
    }
}

/// Kills the child on drop, so that a failing parent leaves no save loop
/// behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const SAVE_LOOP: &str = "STATICNET_SAVE_LOOP";
const SAVE_FROM: &str = "STATICNET_SAVE_FROM";
const LOOP_STARTED: &str = "save loop from version";
const ROUNDS: usize = 250;

/// Issue 17: a child saves versions 1, 2, 3, ... in a loop, both weights
/// formats and a checkpoint, and is killed with SIGKILL at a random moment;
/// after every kill the three files load (the checkpoint resumes) as one
/// whole version each, never older than the one seen before.
#[test]
fn killed_saves_leave_the_previous_or_the_new_file() {
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("net.bin");
    let sft = dir.path().join("net.safetensors");
    let ckpt = dir.path().join("net.ckpt");

    // The first round starts from good files written here; timing a few
    // saves sets the range of the random kill delay: two rounds of the three
    // files (the median of five, as one stalled save on a busy machine
    // would stretch it), so that some kills land in the first save and most
    // after a few; at most 250 ms, which keeps 250 rounds under a minute on
    // a slow disk.
    let mut trainer = checkpointed();
    let mut cycles: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            weights::save_file(&*versioned(0), &bin).unwrap();
            st::save_file(&*versioned(0), &sft).unwrap();
            save_ckpt(&mut trainer, 0, &ckpt);
            t.elapsed()
        })
        .collect();
    cycles.sort();
    let cycle = cycles[2];
    let max_delay = (2 * cycle).clamp(Duration::from_millis(2), Duration::from_millis(250));
    let max_delay_us = max_delay.as_micros() as usize;

    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::new(17);
    let (mut last_bin, mut last_st, mut last_ck) = (0u64, 0u64, 0u64);
    let mut seen = BTreeSet::from([0u64]);
    let (mut changed_rounds, mut rounds_with_temp, mut temps_total) = (0, 0, 0);
    let mut ckpt_changed = 0;
    for round in 0..ROUNDS {
        let from = last_bin.max(last_st) + 1;
        let child = Command::new(&exe)
            .args(child_args("child_save_loop"))
            .env(SAVE_LOOP, dir.path())
            .env(SAVE_FROM, from.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(child);
        // Wait for the loop to start (past the test harness), then a random
        // moment within its first few saves.
        let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
        let mut head = String::new();
        while !head.contains(LOOP_STARTED) {
            if stdout.read_line(&mut head).unwrap() == 0 {
                let _ = child.0.kill();
                let mut err = String::new();
                child
                    .0
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("round {round}: the child ended before saving:\n{head}\n{err}");
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(max_delay_us) as u64));
        child.0.kill().unwrap();
        let status = child.0.wait().unwrap();
        if status.signal() != Some(9) {
            let mut rest = String::new();
            stdout.read_to_string(&mut rest).unwrap();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut rest)
                .unwrap();
            panic!("round {round}: the child was not killed mid-loop: {status:?}\n{head}{rest}");
        }

        let b = load_bin(&bin)
            .unwrap_or_else(|e| panic!("round {round}: net.bin is not a whole version: {e}"));
        let s = load_st(&sft).unwrap_or_else(|e| {
            panic!("round {round}: net.safetensors is not a whole version: {e}")
        });
        let c = load_ckpt(&ckpt).unwrap_or_else(|e| {
            panic!("round {round}: net.ckpt does not resume as a whole version: {e}")
        });
        assert!(
            [(b, last_bin), (s, last_st), (c, last_ck)]
                .iter()
                .all(|&(now, last)| now == last || now >= from),
            "round {round}: versions went from (bin {last_bin}, st {last_st}, ckpt {last_ck}) \
             to (bin {b}, st {s}, ckpt {c}), the child started at {from}"
        );
        // The child saves version k to net.bin, net.safetensors, net.ckpt in
        // that order.
        assert!(
            c <= s && s <= b,
            "round {round}: out of order: bin {b}, safetensors {s}, ckpt {c}"
        );
        if (b, s, c) != (last_bin, last_st, last_ck) {
            changed_rounds += 1;
        }
        if c != last_ck {
            ckpt_changed += 1;
        }
        seen.extend([b, s, c]);
        (last_bin, last_st, last_ck) = (b, s, c);

        let temps = temp_files(dir.path(), &[&bin, &sft, &ckpt]);
        if !temps.is_empty() {
            rounds_with_temp += 1;
            temps_total += temps.len();
        }
        for t in temps {
            fs::remove_file(t).unwrap();
        }
    }

    println!(
        "{ROUNDS} rounds of SIGKILL in {:.1?} (kill delay 0..{max_delay:?} after the loop \
         started, saving the three files took {cycle:?}, the median of five): {changed_rounds} rounds \
         changed a file ({ckpt_changed} the checkpoint), {} distinct versions seen (last: bin \
         {last_bin}, safetensors {last_st}, checkpoint {last_ck}), \
         {rounds_with_temp} rounds killed inside a save left {temps_total} .staticnet-*.tmp \
         file(s), removed",
        start.elapsed(),
        seen.len(),
    );
    // Not vacuous: saves completed between kills, and kills landed inside
    // saves (a temporary file written but not yet renamed: 30-40% of rounds
    // on a disk, 14-16% on a tmpfs where a save is mostly encoding).
    // Checkpoints, saved third, completed in 18-65% of rounds in a few runs.
    assert!(
        changed_rounds >= ROUNDS / 10 && ckpt_changed >= ROUNDS / 25,
        "only {changed_rounds} of {ROUNDS} rounds saw a save complete, {ckpt_changed} a checkpoint"
    );
    assert!(
        rounds_with_temp >= ROUNDS / 50,
        "only {rounds_with_temp} of {ROUNDS} kills landed inside a save"
    );
}

/// The child of [`killed_saves_leave_the_previous_or_the_new_file`]: saves
/// versions `STATICNET_SAVE_FROM`, +1, ... to `net.bin`, `net.safetensors`
/// then the checkpoint `net.ckpt` in `STATICNET_SAVE_LOOP` until killed (or
/// 20 s).
#[test]
#[ignore = "child process of killed_saves_leave_the_previous_or_the_new_file"]
fn child_save_loop() {
    let Some(dir) = std::env::var_os(SAVE_LOOP) else {
        println!("{SAVE_LOOP} not set: run by killed_saves_leave_the_previous_or_the_new_file");
        return;
    };
    let dir = PathBuf::from(dir);
    let from: u64 = std::env::var(SAVE_FROM).unwrap().parse().unwrap();
    let mut net = Versioned::zeroed_boxed();
    let mut trainer = checkpointed();
    println!("{LOOP_STARTED} {from}");
    io::stdout().flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    for k in from.. {
        net.state_mut().fill(k as f32);
        weights::save_file(&*net, dir.join("net.bin")).unwrap();
        st::save_file(&*net, dir.join("net.safetensors")).unwrap();
        save_ckpt(&mut trainer, k, &dir.join("net.ckpt"));
        assert!(Instant::now() < deadline, "not killed within 20 s");
    }
}

const OVER_LIMIT: &str = "STATICNET_SAVE_OVER_LIMIT";
/// The file size limit of the child, in `ulimit -f` blocks: 8 KB where a
/// block is 512 bytes (dash, POSIX), 16 KB where it is 1024 (bash).
const LIMIT_BLOCKS: usize = 16;
/// The child's exit code for "both saves failed with the expected typed error".
const EXIT_TYPED_ERROR: i32 = 42;

/// Issue 17: a save that cannot be written to the end (here the process's
/// file size limit, `RLIMIT_FSIZE`, which needs no root and no mount) fails
/// with a typed I/O error, and the previous file stays byte for byte.
#[test]
fn save_over_file_size_limit_fails_typed_and_keeps_the_file() {
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("net.bin");
    let sft = dir.path().join("net.safetensors");
    weights::save_file(&*versioned(1), &bin).unwrap();
    st::save_file(&*versioned(1), &sft).unwrap();
    let (bin_before, st_before) = (fs::read(&bin).unwrap(), fs::read(&sft).unwrap());
    assert!(bin_before.len().min(st_before.len()) > LIMIT_BLOCKS * 1024);

    // SIGXFSZ ignored, so that the write returns EFBIG instead of killing.
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            r#"trap "" XFSZ && ulimit -f {LIMIT_BLOCKS} && exec "$0" "$@""#
        ))
        .arg(&exe)
        .args(child_args("child_save_over_limit"))
        .env(OVER_LIMIT, dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(
        out.status.code(),
        Some(EXIT_TYPED_ERROR),
        "the child did not see the typed error:\n{text}"
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.starts_with("child:") {
            println!("{line}");
        }
    }

    assert_unchanged(&bin, &bin_before);
    assert_unchanged(&sft, &st_before);
    assert_eq!(load_bin(&bin), Ok(1));
    assert_eq!(load_st(&sft), Ok(1));
    // The temporary files went with the errors.
    assert_eq!(temp_files(dir.path(), &[&bin, &sft]), Vec::<PathBuf>::new());
    println!(
        "file size limit {LIMIT_BLOCKS} blocks, files of {} and {} bytes: both intact ({:.1?})",
        bin_before.len(),
        st_before.len(),
        start.elapsed()
    );
}

/// The child of [`save_over_file_size_limit_fails_typed_and_keeps_the_file`]:
/// saves version 2 in both formats under the file size limit, and exits with
/// [`EXIT_TYPED_ERROR`] if both fail with "file too large".
#[test]
#[ignore = "child process of save_over_file_size_limit_fails_typed_and_keeps_the_file"]
fn child_save_over_limit() {
    let Some(dir) = std::env::var_os(OVER_LIMIT) else {
        println!(
            "{OVER_LIMIT} not set: run by save_over_file_size_limit_fails_typed_and_keeps_the_file"
        );
        return;
    };
    let dir = PathBuf::from(dir);
    let net = versioned(2);
    let e = weights::save_file(&*net, dir.join("net.bin")).unwrap_err();
    match &e {
        FileError::Io { source, .. } if source.kind() == ErrorKind::FileTooLarge => {
            println!("child: weights::save_file: FileError::Io: {e}");
        }
        _ => panic!("weights::save_file: expected FileError::Io, file too large, got {e:?}"),
    }
    let e = st::save_file(&*net, dir.join("net.safetensors")).unwrap_err();
    match &e {
        st::Error::Io { source, .. } if source.kind() == ErrorKind::FileTooLarge => {
            println!("child: safetensors::save_file: Error::Io: {e}");
        }
        _ => panic!("safetensors::save_file: expected Error::Io, file too large, got {e:?}"),
    }
    io::stdout().flush().unwrap();
    std::process::exit(EXIT_TYPED_ERROR);
}

/// A tmpfs mounted for one test, unmounted on drop.
#[cfg(target_os = "linux")]
struct Tmpfs(PathBuf);

#[cfg(target_os = "linux")]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Issue 17 on a real full disk: a 384 KB tmpfs holds one file of each
/// format (about 161 KB each) but not the temporary file of a second save.
/// Mounting needs root, so the test is ignored by default and fails when run
/// where it cannot mount; CI runs it as root (`.ci/run`). The file size
/// limit test above covers the failed write everywhere.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs root: mounts a small tmpfs"]
fn save_to_full_tmpfs_fails_typed_and_keeps_the_file() {
    use std::os::unix::fs::MetadataExt;
    let uid = fs::metadata("/proc/self").unwrap().uid();
    assert_eq!(
        uid, 0,
        "save_to_full_tmpfs_fails_typed_and_keeps_the_file needs root to mount a tmpfs (uid {uid})"
    );
    let dir = tempfile::tempdir().unwrap();
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=384k", "tmpfs"])
        .arg(dir.path())
        .output()
        .unwrap();
    // Root without the capability to mount (an unprivileged container).
    assert!(
        mount.status.success(),
        "save_to_full_tmpfs_fails_typed_and_keeps_the_file: cannot mount a tmpfs:\n{}",
        output_text(&mount)
    );
    let tmpfs = Tmpfs(dir.path().to_path_buf());
    let bin = tmpfs.0.join("net.bin");
    let sft = tmpfs.0.join("net.safetensors");
    weights::save_file(&*versioned(1), &bin).unwrap();
    st::save_file(&*versioned(1), &sft).unwrap();
    let (bin_before, st_before) = (fs::read(&bin).unwrap(), fs::read(&sft).unwrap());

    let full = versioned(2);
    match weights::save_file(&*full, &bin) {
        Err(FileError::Io { source, .. }) if source.kind() == ErrorKind::StorageFull => {
            println!("full tmpfs: weights::save_file: FileError::Io: {source}");
        }
        other => panic!("weights::save_file on a full disk: expected FileError::Io, got {other:?}"),
    }
    match st::save_file(&*full, &sft) {
        Err(st::Error::Io { source, .. }) if source.kind() == ErrorKind::StorageFull => {
            println!("full tmpfs: safetensors::save_file: Error::Io: {source}");
        }
        other => panic!("safetensors::save_file on a full disk: expected Error::Io, got {other:?}"),
    }
    assert_unchanged(&bin, &bin_before);
    assert_unchanged(&sft, &st_before);
    assert_eq!(load_bin(&bin), Ok(1));
    assert_eq!(load_st(&sft), Ok(1));
    assert_eq!(temp_files(&tmpfs.0, &[&bin, &sft]), Vec::<PathBuf>::new());

    // The same file system read-only: root's permission override does not
    // apply, unlike a directory of mode 0555.
    let remount = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&tmpfs.0)
        .output()
        .unwrap();
    assert!(remount.status.success(), "{}", output_text(&remount));
    let err = write_atomic(&bin, b"new").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadOnlyFilesystem, "{err}");
    println!("read-only tmpfs: write_atomic: {err}");
    assert_unchanged(&bin, &bin_before);
}

#[test]
fn write_atomic_into_a_missing_directory_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no").join("such");
    let err = write_atomic(&missing.join("net.bin"), b"bytes").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!dir.path().join("no").exists());

    // A regular file where the directory should be.
    let file = dir.path().join("file");
    fs::write(&file, b"not a directory").unwrap();
    let err = write_atomic(&file.join("net.bin"), b"bytes").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotADirectory, "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"not a directory");
}

/// Root writes into a directory of mode 0555 regardless: then the test says
/// it is skipped (the tmpfs test remounts read-only instead).
#[test]
fn write_atomic_into_a_read_only_directory_fails_and_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Searchable by anyone, for the unprivileged writer below.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let sub = dir.path().join("ro");
    fs::create_dir(&sub).unwrap();
    let path = sub.join("net.bin");
    write_atomic(&path, b"old").unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
    let result = std::thread::spawn({
        let path = path.clone();
        move || {
            as_unprivileged_writer();
            write_atomic(&path, b"new")
        }
    })
    .join()
    .unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(temp_files(&sub, &[&path]), Vec::<PathBuf>::new());
}

/// Root writes into any directory whatever its mode: as root, this thread's
/// filesystem user becomes `nobody` (Linux's per-thread `setfsuid`, which
/// also drops the capability to override permissions), so that a mode of
/// 0555 holds for it.
fn as_unprivileged_writer() {
    #[cfg(target_os = "linux")]
    {
        use nix::unistd::{geteuid, setfsuid, Uid};
        if geteuid().is_root() {
            setfsuid(Uid::from_raw(65534));
            assert_eq!(setfsuid(Uid::from_raw(65534)), Uid::from_raw(65534));
        }
    }
    #[cfg(not(target_os = "linux"))]
    assert!(
        !running_as_root(),
        "run this test as a normal user: root writes into a directory of mode 0555"
    );
}

#[cfg(not(target_os = "linux"))]
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A new file is readable as `File::create` would make it (not the temporary
/// file's 0o600); a replaced file keeps its permissions.
#[cfg(unix)]
#[test]
fn permissions_are_those_of_a_plain_create_or_kept() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let expected = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
    let new = dir.path().join("new.bin");
    weights::write_atomic(&new, b"first").unwrap();
    assert_eq!(
        std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
        expected
    );
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
    weights::write_atomic(&new, b"second").unwrap();
    assert_eq!(
        std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(std::fs::read(&new).unwrap(), b"second");
}
