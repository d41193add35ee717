//! Just enough of the W3C WebDriver protocol to drive Chromium through
//! chromedriver: sessions, navigation, elements, keys, pointer actions,
//! scripts and screenshots.
//!
//! Every reply is checked: a WebDriver error (`{"value": {"error", "message"}}`)
//! fails the test with the command, the error and its message, instead of
//! being taken for an answer. Only looking for an element retries, while
//! the element is not there yet (or the page is being replaced).

use serde_json::{Value, json};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How many times chromedriver is started (each time on another port)
/// before the test gives up.
const LAUNCH_ATTEMPTS: usize = 5;
/// How long `find` and `text` wait for an element.
const FIND_TIMEOUT: Duration = Duration::from_secs(20);

/// The fields drop in this order after `Drop::drop` ended the session:
/// chromedriver is stopped, then Chromium's profile directory is removed.
pub struct Driver {
    base: String,
    session: String,
    http: reqwest::Client,
    chromedriver: Chromedriver,
    /// Only held, to be removed last.
    _profile: Profile,
}

/// Ends the session first (that closes Chromium; killing chromedriver
/// alone leaves the browser running); the fields then stop chromedriver and
/// remove the profile. Drop cannot await, so the DELETE is a plain blocking
/// HTTP request.
impl Drop for Driver {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let host = format!("127.0.0.1:{}", self.chromedriver.port);
        let Ok(addr) = host.parse::<std::net::SocketAddr>() else { return };
        if let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
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
    }
}

/// The chromedriver process, killed when dropped (also when `Driver::start`
/// fails half-way).
struct Chromedriver {
    process: Child,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Chromium's profile, a temporary directory removed when dropped.
struct Profile(Option<tempfile::TempDir>);

impl Profile {
    fn new() -> Profile {
        Profile(Some(tempfile::tempdir().expect("a temporary directory for Chromium's profile")))
    }

    fn path(&self) -> &std::path::Path {
        self.0.as_ref().map(|dir| dir.path()).expect("the profile directory exists until dropped")
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let Some(dir) = self.0.take() else { return };
        // Chromium's helper processes may still write in it for a moment
        // after the browser closed: try again briefly.
        for _ in 0..20 {
            match std::fs::remove_dir_all(dir.path()) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        let _ = dir.close();
    }
}

/// A WebDriver error reply (or a reply that is not a success).
#[derive(Debug)]
struct WebDriverError {
    command: String,
    status: u16,
    error: String,
    message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebDriver {} failed (HTTP {}): {}: {}", self.command, self.status, self.error, self.message)
    }
}

impl WebDriverError {
    /// Errors that waiting cures: the element is not there yet, or the
    /// screen (or the whole page) was replaced under the command.
    fn transient(&self) -> bool {
        match self.error.as_str() {
            "no such element" | "stale element reference" => true,
            // A page replacing itself (the kiosk after pairing) aborts a
            // lookup made during the navigation: look again.
            "unknown error" => ["detached", "loading status", "execution context", "Cannot find context", "navigat"]
                .iter()
                .any(|s| self.message.contains(s)),
            _ => false,
        }
    }
}

/// The `value` of a WebDriver reply, or its error.
async fn reply(command: String, response: reqwest::Response) -> Result<Value, WebDriverError> {
    let status = response.status();
    let bytes =
        response.bytes().await.unwrap_or_else(|e| panic!("WebDriver {command}: unreadable reply (HTTP {status}): {e}"));
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("WebDriver {command}: HTTP {status}, not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
    });
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error") {
        return Err(WebDriverError {
            command,
            status: status.as_u16(),
            error: error.as_str().map_or_else(|| error.to_string(), str::to_owned),
            message: value.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
        });
    }
    if !status.is_success() {
        return Err(WebDriverError {
            command,
            status: status.as_u16(),
            error: "HTTP error".to_owned(),
            message: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    Ok(value)
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

/// What chromedriver printed at start.
enum Startup {
    /// "ChromeDriver was started successfully on port N." (older versions
    /// leave out "on port N"): it is listening.
    Listening(Option<u16>),
    /// Its output ended first: it exited (for instance, the port was taken).
    Exited,
}

/// The port in "… started successfully on port 41127."
fn port_in(line: &str) -> Option<u16> {
    const MARK: &str = "on port ";
    let rest = &line[line.find(MARK)? + MARK.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|&port| port != 0)
}

/// Reads chromedriver's output on a thread: reports when it is listening,
/// or that it exited; then keeps reading to the end, so that neither
/// chromedriver nor the Chromium it starts ever blocks on a full pipe.
fn watch_output(process: &mut Child) -> mpsc::Receiver<Startup> {
    let (tx, rx) = mpsc::channel();
    let stdout = process.stdout.take().expect("chromedriver's stdout is piped");
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = Vec::new();
        let mut told = false;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    if !told && text.contains("started successfully") {
                        told = true;
                        let _ = tx.send(Startup::Listening(port_in(&text)));
                    }
                }
            }
        }
        if !told {
            let _ = tx.send(Startup::Exited);
        }
    });
    rx
}

/// Starts chromedriver on `requested` (0: a port it picks itself) and waits
/// until it says it listens, and where.
async fn launch(driver: &str, requested: u16) -> Result<Chromedriver, String> {
    let mut process = Command::new(driver)
        .arg(format!("--port={requested}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {driver}: {e}"))?;
    let started = watch_output(&mut process);
    // From here on, any failure kills the process (Chromedriver's Drop).
    let mut chromedriver = Chromedriver { process, port: requested };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match started.try_recv() {
            Ok(Startup::Listening(Some(port))) => {
                chromedriver.port = port;
                return Ok(chromedriver);
            }
            // An older chromedriver that does not repeat the port: it is the
            // one asked for, unless that was 0.
            Ok(Startup::Listening(None)) if requested != 0 => return Ok(chromedriver),
            Ok(Startup::Listening(None)) => {
                return Err("chromedriver does not say which port it picked for --port=0".to_owned());
            }
            Ok(Startup::Exited) | Err(mpsc::TryRecvError::Disconnected) => {
                let how = match chromedriver.process.try_wait() {
                    Ok(Some(status)) => status.to_string(),
                    _ => "its output ended".to_owned(),
                };
                return Err(format!("chromedriver --port={requested} exited at start ({how})"));
            }
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if Instant::now() > deadline {
            return Err(format!("chromedriver --port={requested} did not report that it started within 20 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port free right now. Another process may take it before chromedriver
/// binds it: then chromedriver exits and `start_chromedriver` tries again.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Starts chromedriver without racing for a port: first with --port=0 (it
/// binds a free port itself and prints it), then, should that not work,
/// on fresh free ports, each time checking that it is this process that
/// listens (it says so), not one that took the port in between.
async fn start_chromedriver(driver: &str) -> Chromedriver {
    let mut failures = Vec::new();
    for attempt in 0..LAUNCH_ATTEMPTS {
        let requested = if attempt == 0 {
            0
        } else {
            match free_port() {
                Ok(port) => port,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            }
        };
        match launch(driver, requested).await {
            Ok(chromedriver) => return chromedriver,
            Err(e) => failures.push(e),
        }
    }
    panic!("chromedriver did not start after {LAUNCH_ATTEMPTS} attempts: {}", failures.join("; "))
}

impl Driver {
    /// Starts chromedriver and a headless Chromium whose camera shows `video`,
    /// its viewport `window` CSS pixels.
    pub async fn start(browser: &str, driver: &str, video: &std::path::Path, window: (u32, u32)) -> Driver {
        let chromedriver = start_chromedriver(driver).await;
        let base = format!("http://127.0.0.1:{}", chromedriver.port);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver does not answer on {base}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = Profile::new();
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
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": browser, "args": args, "prefs": { "intl.accept_languages": "zh-CN,zh" } }
        }}});
        let response = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver POST /session: no reply from chromedriver: {e}"));
        let value = reply("POST /session".to_owned(), response).await.unwrap_or_else(|e| panic!("{e}"));
        let session = value["sessionId"].as_str().unwrap_or_else(|| panic!("no session id in {value}")).to_owned();
        let driver = Driver { base, session, http, chromedriver, _profile: profile };
        driver.resize(window.0, window.1).await;
        driver
    }

    /// One command of the session; a WebDriver error is returned.
    async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        let command = format!("{method} {path}");
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let response =
            req.send().await.unwrap_or_else(|e| panic!("WebDriver {command}: no reply from chromedriver: {e}"));
        reply(command, response).await
    }

    /// One command of the session; a WebDriver error fails the test.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.request(method, path, body).await.unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    /// Waits up to 20 s for an element matching `css`.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + FIND_TIMEOUT;
        loop {
            let found = self
                .request(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css })))
                .await;
            match found {
                Ok(v) => match v[ELEMENT].as_str() {
                    Some(id) => return id.to_owned(),
                    None => panic!("WebDriver found {css} but sent no element reference: {v}"),
                },
                Err(e) if e.transient() => {
                    if Instant::now() > deadline {
                        let page = self
                            .request(
                                reqwest::Method::POST,
                                "/execute/sync",
                                Some(json!({ "script": "return document.body.innerText", "args": [] })),
                            )
                            .await
                            .map_or_else(|e| format!("<{e}>"), |v| v.as_str().unwrap_or_default().to_owned());
                        panic!("no element {css} ({e}); the page says: {page}");
                    }
                }
                Err(e) => panic!("looking for {css}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks the element; a click that WebDriver refuses (stale element,
    /// intercepted, not interactable) fails the test.
    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        if let Err(e) = self.request(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await {
            panic!("clicking {css}: {e}");
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        let typed =
            self.request(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text }))).await;
        if let Err(e) = typed {
            panic!("typing into {css}: {e}");
        }
    }

    /// The element's text. Reading has no effect, so an element replaced
    /// between finding and reading it is simply found again.
    pub async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + FIND_TIMEOUT;
        loop {
            let id = self.find(css).await;
            match self.request(reqwest::Method::GET, &format!("/element/{id}/text"), None).await {
                Ok(v) => return v.as_str().unwrap_or_default().to_owned(),
                Err(e) if e.transient() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("reading the text of {css}: {e}"),
            }
        }
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns
    /// what it returns.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Draws a signature-like zig-zag across the element with a pen.
    /// Draws a zig-zag stroke on the element; `variant` changes its height,
    /// so each signer's signature differs (the server refuses one image
    /// used for two signers).
    pub async fn draw(&self, css: &str, variant: i64) {
        let id = self.find(css).await;
        let origin = json!({ ELEMENT: id });
        let mut actions = vec![
            json!({ "type": "pointerMove", "origin": origin, "x": -220, "y": 0 }),
            json!({ "type": "pointerDown", "button": 0 }),
        ];
        for i in 0..=22 {
            let x = -220 + i * 20;
            let amplitude = 40 - 8 * variant;
            let y = if i % 2 == 0 { -amplitude } else { amplitude };
            actions.push(
                json!({ "type": "pointerMove", "origin": origin, "x": x, "y": y, "duration": 20, "pressure": 0.6 }),
            );
        }
        actions.push(json!({ "type": "pointerUp", "button": 0 }));
        let body = json!({ "actions": [{ "type": "pointer", "id": "pen", "parameters": { "pointerType": "pen" }, "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Types `text` as key actions sent to whatever has the focus (not into
    /// one element): each character a key down and up, without pauses —
    /// what a handheld scanner does. `"\u{E007}"` is Enter.
    pub async fn keys(&self, text: &str) {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({ "type": "keyDown", "value": c.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": c.to_string() }));
        }
        let body = json!({ "actions": [{ "type": "key", "id": "scanner", "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Makes the page's viewport `width`×`height` CSS pixels (a tablet's
    /// screen; the window around it is larger by the browser's own bars):
    /// also a tablet turned from landscape to portrait.
    pub async fn resize(&self, width: u32, height: u32) {
        let mut window = (i64::from(width), i64::from(height));
        for _ in 0..3 {
            self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": window.0, "height": window.1 })))
                .await;
            let inner = self.script("return [window.innerWidth, window.innerHeight];", json!([])).await;
            let (w, h) = (inner[0].as_i64().unwrap_or(0), inner[1].as_i64().unwrap_or(0));
            if (w, h) == (i64::from(width), i64::from(height)) {
                return;
            }
            window = (window.0 + i64::from(width) - w, window.1 + i64::from(height) - h);
        }
    }

    /// Makes the page's viewport exactly `width`×`height` CSS pixels by
    /// Chromium's device emulation (DevTools' `Emulation.setDeviceMetricsOverride`,
    /// through chromedriver) instead of sizing the window: headless
    /// Chromium makes no window narrower than 500 px, a phone is 390.
    /// Screenshots are then of that viewport; `end_emulation` ends it.
    pub async fn emulate_viewport(&self, width: u32, height: u32) {
        let params = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
        self.cdp("Emulation.setDeviceMetricsOverride", params).await;
    }

    /// Ends `emulate_viewport`: the viewport is the window's again.
    pub async fn end_emulation(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await;
    }

    /// Makes the browser say it is `user_agent` (the `User-Agent` header and
    /// `navigator.userAgent`) from the next request on, for the rest of
    /// the session: WeChat's in-app browser, say (DevTools'
    /// `Emulation.setUserAgentOverride`, through chromedriver).
    pub async fn set_user_agent(&self, user_agent: &str) {
        self.cdp("Emulation.setUserAgentOverride", json!({ "userAgent": user_agent, "acceptLanguage": "zh-CN" })).await;
    }

    /// One Chrome DevTools Protocol command, sent through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": cmd, "params": params }))).await
    }

    /// The page printed to PDF by the browser (WebDriver's print command),
    /// on paper of this size in centimetres.
    pub async fn print_pdf(&self, width_cm: f64, height_cm: f64) -> Vec<u8> {
        // The margins of the sheet's own `@page` rule (sheet.css).
        let margin = json!({ "top": 0.6, "bottom": 0.6, "left": 0.6, "right": 0.6 });
        let body = json!({ "page": { "width": width_cm, "height": height_cm }, "margin": margin,
                           "background": true, "shrinkToFit": false });
        let pdf = self.call(reqwest::Method::POST, "/print", Some(body)).await;
        let b64 = pdf.as_str().unwrap_or_else(|| panic!("WebDriver POST /print sent no PDF: {pdf}"));
        data_encoding::BASE64.decode(b64.as_bytes()).unwrap_or_else(|e| panic!("the PDF is not base64: {e}"))
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let b64 = png.as_str().unwrap_or_else(|| panic!("WebDriver GET /screenshot sent no image: {png}"));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(
            dir.join(format!("{name}.png")),
            data_encoding::BASE64.decode(b64.as_bytes()).unwrap_or_default(),
        );
    }
}
