//! `kiosk-config/panke.toml` (where the database, secrets and listener
//! are) and `kiosk-config/projects/<project-id>.toml` (one per project:
//! its name and its rules on top of `rules.toml`).

use super::rules::{RulesError, RulesPatch};
use crate::domain::rules::Rules;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("{path}: the file name must be a project id: lower-case letters and digits, 1 to 40 (e.g. tianhe01.toml)")]
    BadProjectId { path: PathBuf },
    #[error("{dir}: no project is configured; add a file such as projects/demo.toml")]
    NoProjects { dir: PathBuf },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// The address people's browsers use (for QR links and invitations).
    pub public_url: String,
    /// Agencies' webhooks may go to this machine (`http://127.0.0.1`, a
    /// local relay). Off by default: an address the agency chooses must not
    /// reach the server's own services.
    pub webhooks_to_loopback: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            webhooks_to_loopback: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub database: PathBuf,
    pub secrets: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { database: "data/panke.db".into(), secrets: "data/secrets.json".into() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentFile {
    pub server: ServerConfig,
    pub storage: StorageConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    project: ProjectSection,
    #[serde(default)]
    rules: RulesPatch,
    /// 佣金: how an attributed deal is paid (结佣对账单).
    #[serde(default)]
    commission: Option<CommissionSection>,
    /// 争议: the periods of a dispute, in days (the seeds' 5 / 3 / 3).
    #[serde(default)]
    disputes: DisputesSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputesSection {
    #[serde(default = "five")]
    objection_days: u32,
    #[serde(default = "three")]
    evidence_days: u32,
    #[serde(default = "three")]
    opinion_days: u32,
    #[serde(default = "three")]
    appeal_days: u32,
}

fn five() -> u32 {
    5
}

fn three() -> u32 {
    3
}

impl Default for DisputesSection {
    fn default() -> DisputesSection {
        let d = crate::domain::dispute::Settings::default();
        DisputesSection {
            objection_days: d.objection_days,
            evidence_days: d.evidence_days,
            opinion_days: d.opinion_days,
            appeal_days: d.appeal_days,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommissionSection {
    /// Percent of the subscription price, e.g. 1.5.
    percent: Option<f64>,
    /// Or a fixed amount per unit, in yuan.
    per_unit_yuan: Option<i64>,
}

/// How an attributed deal's commission is computed, per project.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Commission {
    /// Basis points of the price (1.5 % = 150).
    Percent { basis_points: i64 },
    /// A fixed amount per unit, in fen.
    PerUnit { fen: i64 },
}

impl Commission {
    /// The commission on a deal of `price_fen`, in fen (rounded half up).
    pub fn of(self, price_fen: i64) -> i64 {
        match self {
            // In i128: a price times basis points does not fit i64 above ¥9 billion.
            Commission::Percent { basis_points } => {
                let fen = (i128::from(price_fen) * i128::from(basis_points) + 5_000) / 10_000;
                i64::try_from(fen).unwrap_or(i64::MAX)
            }
            Commission::PerUnit { fen } => fen,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectSection {
    name: String,
    /// The channel's copy of the confirmation sheet shows the full phone
    /// (渠道联须填写全号码); the developer's and agency's copies never do.
    #[serde(default = "yes")]
    channel_copy_full_phone: bool,
    /// Back-office roles (`manager`, `admin`) whose exports and record
    /// pages show full phones; none by default (masked everywhere).
    #[serde(default)]
    full_phone_roles: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone)]
pub struct ProjectConfig {
    pub id: String,
    pub name: String,
    pub channel_copy_full_phone: bool,
    /// Back-office roles that see full phones in exports and on records.
    pub full_phone_roles: Vec<String>,
    /// `None`: the project file names no commission (statements show none).
    pub commission: Option<Commission>,
    /// The periods of a dispute (`[disputes]`, the seeds' defaults).
    pub disputes: crate::domain::dispute::Settings,
    pub rules: Rules,
    /// SHA-256 of the effective rules, to notice (and audit) changes.
    pub rules_sha256: String,
    /// The effective rules spelled out (JSON): the text `rules_sha256` is
    /// the hash of, kept as the project's rule history.
    pub rules_snapshot: String,
    /// The layers as written, to tell where each value comes from: the
    /// deployment's `rules.toml` and the project file's `[rules]`.
    pub rules_deployment: RulesPatch,
    pub rules_project: RulesPatch,
}

impl ProjectConfig {
    /// May staff of `role` (its code) see this project's full phones in the
    /// back office (exports, record pages)?
    pub fn shows_full_phone(&self, role: &str) -> bool {
        self.full_phone_roles.iter().any(|r| r == role)
    }

    /// Where each rule value comes from (default, deployment, project file).
    pub fn rule_sources(&self) -> Vec<(&'static str, super::rules::RuleSource)> {
        super::rules::rule_sources(&self.rules_deployment, &self.rules_project)
    }
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub dir: PathBuf,
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub projects: Vec<ProjectConfig>,
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|cause| ConfigError::Read { path: path.to_owned(), cause })
}

pub fn valid_project_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Deployment {
    /// Loads everything under `dir`; any bad file stops the start with a
    /// message naming it.
    pub fn load(dir: &Path) -> Result<Deployment, ConfigError> {
        let main_path = dir.join("panke.toml");
        let file: DeploymentFile = if main_path.exists() {
            toml::from_str(&read(&main_path)?).map_err(|e| ConfigError::Syntax {
                path: main_path.clone(),
                message: e.to_string().trim_end().replace('\n', " | "),
            })?
        } else {
            DeploymentFile::default()
        };
        let base = RulesPatch::from_file(&dir.join("rules.toml"))?;
        let projects_dir = dir.join("projects");
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&projects_dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        let mut projects = Vec::new();
        for path in paths {
            let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            if !valid_project_id(&id) {
                return Err(ConfigError::BadProjectId { path });
            }
            let source = path.display().to_string();
            let parsed: ProjectFile = toml::from_str(&read(&path)?).map_err(|e| ConfigError::Syntax {
                path: path.clone(),
                message: e.to_string().trim_end().replace('\n', " | "),
            })?;
            if let Some(bad) =
                parsed.project.full_phone_roles.iter().find(|r| !matches!(r.as_str(), "manager" | "admin"))
            {
                return Err(ConfigError::Syntax {
                    path: path.clone(),
                    message: format!("full_phone_roles: unknown role `{bad}` (manager, admin)"),
                });
            }
            let commission = match &parsed.commission {
                None => None,
                Some(CommissionSection { percent: Some(p), per_unit_yuan: None }) if (0.0..=100.0).contains(p) => {
                    Some(Commission::Percent { basis_points: (p * 100.0).round() as i64 })
                }
                Some(CommissionSection { percent: None, per_unit_yuan: Some(y) }) if *y >= 0 => {
                    Some(Commission::PerUnit { fen: y * 100 })
                }
                Some(_) => {
                    return Err(ConfigError::Syntax {
                        path: path.clone(),
                        message: "[commission]: either percent (0–100) or per_unit_yuan (≥ 0), not both".into(),
                    });
                }
            };
            let d = &parsed.disputes;
            if [d.objection_days, d.evidence_days, d.opinion_days, d.appeal_days].iter().any(|n| !(1..=60).contains(n))
            {
                return Err(ConfigError::Syntax {
                    path: path.clone(),
                    message: "[disputes]: every period is 1–60 days".into(),
                });
            }
            let disputes = crate::domain::dispute::Settings {
                objection_days: d.objection_days,
                evidence_days: d.evidence_days,
                opinion_days: d.opinion_days,
                appeal_days: d.appeal_days,
            };
            let effective = base.overlay(&parsed.rules);
            let rules = effective.resolve(&source)?;
            let snapshot = serde_json::to_string(&RulesPatch::from_rules(&rules)).unwrap_or_default();
            projects.push(ProjectConfig {
                id,
                name: parsed.project.name.trim().to_owned(),
                channel_copy_full_phone: parsed.project.channel_copy_full_phone,
                full_phone_roles: parsed.project.full_phone_roles.clone(),
                commission,
                disputes,
                rules,
                rules_sha256: crate::crypto::sha256_hex(snapshot.as_bytes()),
                rules_snapshot: snapshot,
                rules_deployment: base.clone(),
                rules_project: parsed.rules,
            });
        }
        Ok(Deployment { dir: dir.to_owned(), server: file.server, storage: file.storage, projects })
    }

    pub fn project(&self, id: &str) -> Option<&ProjectConfig> {
        self.projects.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn a_project_file_overrides_the_shared_rules() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "rules.toml", "min_gap_minutes = 30\nmax_reports_per_month = 5\n");
        write(
            dir.path(),
            "projects/tianhe.toml",
            "[project]\nname = \"天河·云境\"\n[rules]\nmax_reports_per_month = 3\n",
        );
        let d = Deployment::load(dir.path()).unwrap();
        let p = d.project("tianhe").unwrap();
        assert_eq!(p.name, "天河·云境");
        assert_eq!(p.rules.max_reports_per_month, 3);
        assert_eq!(p.rules.min_gap, chrono::Duration::minutes(30));
        let sources: std::collections::HashMap<_, _> = p.rule_sources().into_iter().collect();
        use crate::config::rules::RuleSource;
        assert_eq!(sources["max_reports_per_month"], RuleSource::Project);
        assert_eq!(sources["min_gap_minutes"], RuleSource::Deployment);
        assert_eq!(sources["protection_days"], RuleSource::Default);
        assert_eq!(crate::crypto::sha256_hex(p.rules_snapshot.as_bytes()), p.rules_sha256);
    }

    #[test]
    fn bad_project_files_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "rules.toml", "");
        write(dir.path(), "projects/x.toml", "[project]\nname = \"X\"\n[rules]\nreport_validity = \"7x\"\n");
        let e = Deployment::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("projects/x.toml") && e.contains("report_validity"), "{e}");
        write(dir.path(), "projects/x.toml", "[project]\nname = \"X\"\ncolour = \"red\"\n");
        let e = Deployment::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("projects/x.toml") && e.contains("colour"), "{e}");
        std::fs::remove_file(dir.path().join("projects/x.toml")).unwrap();
        write(dir.path(), "projects/Bad-Name.toml", "[project]\nname = \"X\"\n");
        assert!(matches!(Deployment::load(dir.path()), Err(ConfigError::BadProjectId { .. })));
    }

    #[test]
    fn the_shipped_configuration_loads() {
        let d = Deployment::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/kiosk-config"))).unwrap();
        assert!(!d.projects.is_empty());
    }
}
