//! The command line tool: its files, its exit codes and its messages.

use std::path::Path;
use std::process::Command;

fn tool() -> Command {
    Command::new(env!("CARGO_BIN_EXE_staticnet-import"))
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn writes_the_declaration_and_both_weight_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = tool()
        .args([&fixture("lenet.onnx"), "--name", "LeNet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("LeNet: 12 layers, 61706 parameters\n"),
        "{stdout}"
    );
    let src = std::fs::read_to_string(dir.path().join("lenet.rs")).unwrap();
    assert!(src.contains("pub struct LeNet {\n        input: [1, 28, 28],\n        l0: conv2d(6, 5, padding = 2),"), "{src}");
    assert!(
        src.contains("staticnet::include_weights!(LeNet, \"lenet.bin\")"),
        "{src}"
    );
    let bin = std::fs::read(dir.path().join("lenet.bin")).unwrap();
    let st = std::fs::read(dir.path().join("lenet.safetensors")).unwrap();
    assert!(bin.len() > 61706 * 4 && st.len() > 61706 * 4);
}

#[test]
fn a_missing_model_is_exit_1_with_the_path() {
    let out = tool().arg("/nonexistent/model.onnx").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: /nonexistent/model.onnx: /nonexistent/model.onnx: No such file"),
        "{err}"
    );
}

#[test]
fn bad_arguments_are_exit_2_with_the_usage() {
    for (args, msg) in [
        (&["--bogus"][..], "error: unknown option `--bogus`"),
        (&[][..], "error: no model given"),
        (
            &["a.onnx", "b.onnx"][..],
            "error: unexpected argument `b.onnx` (one model at a time)",
        ),
        (&["a.onnx", "--out"][..], "error: --out needs a value"),
    ] {
        let out = tool().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(msg) && err.contains("usage: staticnet-import"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_file_that_is_not_onnx_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.onnx");
    std::fs::write(&path, b"\xff\xffnot a protobuf").unwrap();
    let out = tool()
        .arg(&path)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("not an ONNX model"));
    assert!(
        !dir.path().join("x.rs").exists(),
        "nothing written on error"
    );
}
