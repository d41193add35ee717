//! What the two black-box contract suites share (`judge_cases.rs`,
//! `attribute_cases.rs`): the case files of a folder, the shipped rules,
//! and the `panke` binary run on one case.

use panke::config::rules::RulesPatch;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `.json` case files of `tests/<folder>`, sorted.
pub fn case_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the case folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

pub fn shipped_rules() -> RulesPatch {
    RulesPatch::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("kiosk-config/rules.toml")).expect("rules")
}

/// Runs `panke <args>` with `stdin`: (exit code, stdout, stderr).
pub fn run_binary(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_panke"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("panke runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("case written");
    let out = child.wait_with_output().expect("panke ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}
