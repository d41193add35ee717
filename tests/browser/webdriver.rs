//! Just enough of the W3C WebDriver protocol to drive Chromium through
//! chromedriver: sessions, navigation, elements, keys, pointer actions,
//! scripts and screenshots.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

/// Ends the session first (that closes Chromium; killing chromedriver
/// alone leaves the browser running), then stops chromedriver. Drop cannot
/// await, so the DELETE is a plain blocking HTTP request.
impl Drop for Driver {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://");
        if let Ok(mut stream) = std::net::TcpStream::connect(host) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            // The reply comes once the browser has closed; the connection
            // may stay open, so read the reply, not to the end.
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read(&mut [0u8; 4096]);
            }
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn chromium() -> Option<(String, String)> {
    let find =
        |names: &[&str]| names.iter().find(|n| std::path::Path::new(n).exists() || which(n)).map(|n| n.to_string());
    Some((
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])?,
        find(&["/usr/bin/chromedriver", "chromedriver"])?,
    ))
}

fn which(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Driver {
    /// Starts chromedriver and a headless Chromium whose camera shows `video`.
    pub async fn start(browser: &str, driver: &str, video: &std::path::Path, window: (u32, u32)) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap().keep();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--window-size={},{}", window.0, window.1),
            "--lang=zh-CN".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": browser, "args": args, "prefs": { "intl.accept_languages": "zh-CN,zh" } }
        }}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_owned();
        Driver { process, base, session, http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    /// Waits up to 20 s for an element matching `css`.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css })))
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_owned();
            }
            if Instant::now() > deadline {
                let text = self.script("return document.body.innerText", json!([])).await;
                panic!("no element {css}; the page says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text }))).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None).await.as_str().unwrap_or("").to_owned()
    }

    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Draws a signature-like zig-zag across the element with a pen.
    pub async fn draw(&self, css: &str) {
        let id = self.find(css).await;
        let origin = json!({ ELEMENT: id });
        let mut actions = vec![
            json!({ "type": "pointerMove", "origin": origin, "x": -220, "y": 0 }),
            json!({ "type": "pointerDown", "button": 0 }),
        ];
        for i in 0..=22 {
            let x = -220 + i * 20;
            let y = if i % 2 == 0 { -40 } else { 40 };
            actions.push(
                json!({ "type": "pointerMove", "origin": origin, "x": x, "y": y, "duration": 20, "pressure": 0.6 }),
            );
        }
        actions.push(json!({ "type": "pointerUp", "button": 0 }));
        let body = json!({ "actions": [{ "type": "pointer", "id": "pen", "parameters": { "pointerType": "pen" }, "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(b64) = png.as_str() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(
                dir.join(format!("{name}.png")),
                data_encoding::BASE64.decode(b64.as_bytes()).unwrap_or_default(),
            );
        }
    }
}
