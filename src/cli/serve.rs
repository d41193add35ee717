//! `panke serve [--demo]`: the web service.

use super::fail;
use crate::app::Context;
use crate::clock::{Clock, SystemClock};
use crate::web::{AppState, Application, StateOptions, shutdown_signal, spawn_housekeeping};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub fn serve(config: &Path, listen: Option<String>, demo: bool) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut ctx = match Context::load(config, clock.now()) {
        Ok(c) => c,
        Err(e) => return fail(1, e),
    };
    if demo {
        // Demo data never goes into a real database.
        ctx.deployment.storage.database = PathBuf::from("data/demo/panke.db");
        ctx.deployment.storage.secrets = PathBuf::from("data/demo/secrets.json");
        ctx = match Context::reload_secrets(ctx, clock.now()) {
            Ok(c) => c,
            Err(e) => return fail(1, e),
        };
    }
    if ctx.deployment.projects.is_empty() {
        let dir = config.to_owned();
        return fail(1, crate::config::deployment::ConfigError::NoProjects { dir });
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(1, e),
    };
    runtime.block_on(async move {
        let mut store = match ctx.open_store(clock.now()) {
            Ok(s) => s,
            Err(e) => return fail(1, e),
        };
        let demo_info = if demo {
            let Some(project) = ctx.deployment.projects.first() else {
                return fail(1, "no project configured in kiosk-config/projects");
            };
            let info = match crate::demo::seed(
                &mut store,
                &project.id.clone(),
                project.rules.timezone,
                &ctx.key_ring,
                clock.now(),
            ) {
                Ok(info) => info,
                Err(e) => return fail(1, e),
            };
            // A fresh demo database also gets weeks of visits, so the back
            // office's lists have something to show (once: restarts add none).
            match crate::demo::seed_history(&mut store, project, &ctx.key_ring, clock.now()) {
                Ok(Some(n)) => println!("演示数据：已生成 {n} 条带看记录（{} 天）", crate::demo::HISTORY_DAYS),
                Ok(None) => {}
                Err(e) => return fail(1, e),
            }
            Some(info)
        } else {
            None
        };
        if let Some(info) = &demo_info {
            let dir = std::path::Path::new("data/demo/qr");
            let _ = std::fs::create_dir_all(dir);
            for r in &info.reports {
                if let Some(token) = ctx.key_ring.sign_with(r.key_id, r.id, r.filed_at.to_utc())
                    && let Ok(png) = crate::qr::png(&token)
                {
                    let _ = std::fs::write(dir.join(format!("report-{}.png", r.id)), png);
                }
            }
        }
        drop(store);
        let listen = listen.unwrap_or_else(|| ctx.deployment.server.listen.clone());
        let state = match AppState::from_context(ctx, clock, StateOptions { readers: 4, demo }) {
            Ok(state) => state,
            Err(e) => return fail(1, e),
        };
        let app = match Application::build(state.clone(), &listen).await {
            Ok(app) => app,
            Err(e) => return fail(1, format_args!("cannot listen on {listen}: {e}")),
        };
        let base = format!("http://{}:{}", listen.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1"), app.port());
        println!("panke is serving on {base}  (Ctrl-C stops it)");
        if let Some(info) = demo_info {
            print_demo(&base, &info);
        }
        crate::service::webhooks::spawn_delivery_worker(state.clone());
        spawn_housekeeping(state);
        match app.run_until(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(1, e),
        }
    })
}

fn print_demo(base: &str, info: &crate::demo::DemoInfo) {
    println!();
    println!("== 演示数据 / demo data (database data/demo/panke.db; records are marked demo) ==");
    println!(
        "经纪人 / agent:        {base}/agent/login   phone {}  password {}",
        info.agent_phone,
        crate::demo::DEMO_PASSWORD
    );
    println!("另一渠道 / rival agent: phone {}  password {}", info.rival_agent_phone, crate::demo::DEMO_PASSWORD);
    println!(
        "案场员工 / staff:       manager, desk1 (PIN 1234), sales1 (PIN 1111), sales2 (PIN 2222); password {}",
        crate::demo::DEMO_PASSWORD
    );
    println!(
        "判客前台 / kiosk:       {base}/kiosk  pairing code {} (once, 24 h), then desk1 PIN 1234",
        info.kiosk_pairing_code
    );
    println!("记录核验 / records:     {base}/staff/login  (manager / {})", crate::demo::DEMO_PASSWORD);
    println!("渠道 API key / agency API key (shown once): {}", info.api_key);
    println!("  curl -H 'Authorization: Bearer {}' {base}/api/v1/reports", info.api_key);
    println!("开发商接口密钥 / developer API key (shown once): {}", info.developer_key);
    println!("  (the sales system's /api/v1/subscriptions; see {base}/api/v1/openapi.json)");
    println!("演示报备 / demo reports (sign in as the agent to see each QR code; PNGs also in data/demo/qr/):");
    for r in &info.reports {
        println!(
            "  {base}/agent/reports/{:<4} {} {}  manual code {}  filed {}",
            r.id,
            r.customer_name,
            r.customer_phone.masked(),
            r.manual_code,
            r.filed_at.format("%H:%M")
        );
    }
    println!();
}
