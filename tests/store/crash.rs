//! A process recording visits is killed with SIGKILL at random moments;
//! every visit it reported as committed survives, and the chain verifies.

use super::helpers::TestDeployment;
use panke::app::Context;
use rand::Rng;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn killed_mid_check_in_loses_nothing_it_acknowledged() {
    let dep = TestDeployment::demo_and_other();
    let mut acknowledged: Vec<i64> = Vec::new();
    let mut rng = rand::thread_rng();
    for round in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_panke"))
            .arg("--config")
            .arg(dep.config_dir())
            .args(["soak-checkins", "--project", "demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(seq) = line.strip_prefix("committed ").and_then(|s| s.parse::<i64>().ok()) {
                    let _ = tx.send(seq);
                }
            }
        });
        // Wait for the first commit (start-up done), then kill at a random moment.
        let first = rx.recv_timeout(Duration::from_secs(60)).expect("the soak process commits");
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..400)));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        reader.join().unwrap();
        acknowledged.push(first);
        acknowledged.extend(rx.try_iter());

        let ctx = Context::load(&dep.config_dir(), chrono::Utc::now()).unwrap();
        let store = ctx.open_store_plain().unwrap();
        for seq in &acknowledged {
            store.ledger_row(*seq).unwrap_or_else(|e| panic!("round {round}: acknowledged record {seq} lost: {e}"));
        }
        let verified = store.verify_ledger().unwrap().unwrap_or_else(|f| panic!("round {round}: {f}"));
        assert!(verified >= *acknowledged.iter().max().unwrap());
    }
    let out =
        Command::new(env!("CARGO_BIN_EXE_panke")).arg("--config").arg(dep.config_dir()).arg("verify").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(acknowledged.len() >= 5);
}
