//! A small W3C WebDriver client for browser tests: starts Debian's `chromedriver` on a free
//! loopback port, opens a headless Chromium session with the flags this machine needs (no
//! sandbox as root, no background networking on a closed network, a fresh profile), and
//! offers what the explorer tests use: navigate, find by CSS, click, read text and
//! attributes, run a script, resize, screenshot. The driver and browser stop on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bitmodel_rpc::web::Web;
use serde_json::{json, Value};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub type Result<T> = std::result::Result<T, String>;

pub struct Browser {
    driver: Child,
    web: Web,
    session: String,
    _profile: tempfile::TempDir,
}

/// The `chromedriver` and `chromium` binaries: `$CHROMEDRIVER` / `$CHROMIUM`, else Debian's.
fn binaries() -> (PathBuf, PathBuf) {
    let driver = std::env::var_os("CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from);
    let chrome =
        std::env::var_os("CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from);
    (driver, chrome)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session at `width`×`height`.
    pub fn start(width: u32, height: u32) -> Result<Browser> {
        let (driver_bin, chrome_bin) = binaries();
        for b in [&driver_bin, &chrome_bin] {
            if !b.exists() {
                return Err(format!(
                    "{} is missing: install Debian's chromium and chromium-driver (`.ci/run` does)",
                    b.display()
                ));
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", driver_bin.display()))?;
        let web = Web::new(&format!("http://127.0.0.1:{port}"))
            .map_err(|e| e.to_string())?
            .with_timeout(Duration::from_secs(60));
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut b = Browser {
            driver,
            web,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = b.web.get("/status") {
                if r.json().is_ok_and(|v| v["value"]["ready"] == true) {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("chromedriver did not become ready within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--user-data-dir={}", b._profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome_bin, "args": args}
        }}});
        let v = b.call("POST", "/session", Some(caps))?;
        b.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {v}"))?
            .to_owned();
        Ok(b)
    }

    /// One WebDriver command; its `value`, or the driver's error message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).expect("json"))
            .unwrap_or_default();
        let headers: &[(&str, &str)] = if bytes.is_empty() && method != "POST" {
            &[]
        } else {
            &[("Content-Type", "application/json")]
        };
        let bytes = if bytes.is_empty() && method == "POST" {
            b"{}".to_vec()
        } else {
            bytes
        };
        let r = self
            .web
            .request(method, path, headers, &bytes)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let v = r.json().map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!(
                "{method} {path}: http {}: {}",
                r.status, v["value"]["message"]
            ));
        }
        Ok(v["value"].clone())
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })))
            .map(|_| ())
    }

    pub fn url(&self) -> Result<String> {
        Ok(self
            .call("GET", &self.s("/url"), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub fn title(&self) -> Result<String> {
        Ok(self
            .call("GET", &self.s("/title"), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Elements matching a CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Result<Vec<String>> {
        let v = self.call(
            "POST",
            &self.s("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
            .collect())
    }

    pub fn text(&self, el: &str) -> Result<String> {
        Ok(self
            .call("GET", &self.s(&format!("/element/{el}/text")), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub fn attr(&self, el: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .call(
                "GET",
                &self.s(&format!("/element/{el}/attribute/{name}")),
                None,
            )?
            .as_str()
            .map(str::to_owned))
    }

    pub fn click(&self, el: &str) -> Result<()> {
        self.call("POST", &self.s(&format!("/element/{el}/click")), None)
            .map(|_| ())
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn script(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.call(
            "POST",
            &self.s("/window/rect"),
            Some(json!({"width": width, "height": height})),
        )
        .map(|_| ())
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let v = self.call("GET", &self.s("/screenshot"), None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &self.s(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
