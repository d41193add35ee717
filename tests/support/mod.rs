//! What every test binary (and the HTTP benchmarks) starts from: a
//! deployment in a temporary folder, loaded by the same `Context` and wired
//! by the same `AppState::from_context` as `panke serve`.
//!
//! Included with `#[path = "../support/mod.rs"] mod support;`.

#![allow(dead_code)]

use panke::app::Context;
use panke::clock::Clock;
use panke::web::{AppState, Application, StateOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The repository's own rules file: tests judge by the shipped defaults.
pub const RULES_TOML: &str = include_str!("../../kiosk-config/rules.toml");

/// A deployment in a temporary folder: `kiosk-config/` with the given
/// project files, data paths inside the folder.
pub struct TestDeployment {
    pub dir: tempfile::TempDir,
}

impl TestDeployment {
    /// `projects`: (id, project file text).
    pub fn new(projects: &[(&str, &str)]) -> TestDeployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = dir.path().join("kiosk-config");
        std::fs::create_dir_all(cfg.join("projects")).expect("config dir");
        std::fs::write(cfg.join("rules.toml"), RULES_TOML).expect("rules.toml");
        for (id, text) in projects {
            std::fs::write(cfg.join(format!("projects/{id}.toml")), text).expect("project file");
        }
        let data = dir.path().join("data");
        std::fs::write(
            cfg.join("panke.toml"),
            format!(
                "[server]\nwebhooks_to_loopback = true\n[storage]\ndatabase = \"{}\"\nsecrets = \"{}\"\n",
                data.join("panke.db").display(),
                data.join("secrets.json").display()
            ),
        )
        .expect("panke.toml");
        TestDeployment { dir }
    }

    /// Projects `demo` (the repository's demo project file) and `other`.
    pub fn demo_and_other() -> TestDeployment {
        let demo = include_str!("../../kiosk-config/projects/demo.toml");
        TestDeployment::new(&[("demo", demo), ("other", "[project]\nname = \"另一个项目\"\n")])
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("kiosk-config")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data/panke.db")
    }

    pub fn secrets_path(&self) -> PathBuf {
        self.dir.path().join("data/secrets.json")
    }

    pub fn context(&self, now: chrono::DateTime<chrono::Utc>) -> Context {
        Context::load(&self.config_dir(), now).expect("the test deployment loads")
    }

    /// Puts a database file (and its head file) in place of the
    /// deployment's, sealed with `ledger_key`: a database written by an
    /// earlier release, say.
    pub fn install_database(&self, db: &Path, ledger_key: &[u8], now: chrono::DateTime<chrono::Utc>) {
        let mut secrets = panke::secrets::Secrets::load_or_create(&self.secrets_path(), now).expect("secrets");
        secrets.ledger_key_hex = data_encoding::HEXLOWER.encode(ledger_key);
        secrets.save(&self.secrets_path()).expect("save secrets");
        std::fs::copy(db, self.db_path()).expect("copy database");
        let mut head = db.as_os_str().to_owned();
        head.push(".head");
        let mut to = self.db_path().into_os_string();
        to.push(".head");
        if Path::new(&head).exists() {
            std::fs::copy(head, to).expect("copy head file");
        }
    }
}

/// The service on a random loopback port, wired as `serve` wires it;
/// returns its base URL.
pub async fn serve(ctx: Context, clock: Arc<dyn Clock>, readers: usize) -> String {
    let state = AppState::from_context(ctx, clock, StateOptions { readers, demo: false }).expect("state");
    let app = Application::build(state, "127.0.0.1:0").await.expect("bind a port");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    base
}
