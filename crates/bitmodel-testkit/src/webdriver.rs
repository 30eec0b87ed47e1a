//! Browser tests over WebDriver, with the [`fantoccini`] client: starts Debian's `chromedriver`
//! on a free loopback port, opens a headless Chromium session with the flags this machine needs
//! (no sandbox as root, no background networking on a closed network, a fresh profile), and
//! offers what the explorer tests use: navigate, find by CSS, click, read text and attributes,
//! run a script, resize, screenshot. The calls block: the [`Browser`] owns a current-thread
//! tokio runtime that drives the client. The session, driver and browser stop on drop.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// An element of the current page, as [`Browser::find_all`] gives it.
pub use fantoccini::elements::Element;

pub type Result<T> = std::result::Result<T, String>;

/// How long one WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(60);

pub struct Browser {
    // Dropped in this order: the session is closed in `drop`, then the runtime, the driver
    // (killed in `drop`) and the profile.
    client: Option<Client>,
    /// Taken in `drop` when that runs inside another runtime, where dropping one panics.
    rt: Option<tokio::runtime::Runtime>,
    driver: Child,
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        // From here on, an error drops `b`, which stops the driver.
        let mut b = Browser {
            client: None,
            rt: Some(rt),
            driver,
            _profile: profile,
        };
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
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome_bin, "args": args}
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            use fantoccini::error::NewSessionError as E;
            match b.rt().block_on(builder.connect(&url)) {
                Ok(c) => break c,
                // Not listening yet: chromedriver is still starting.
                Err(E::Failed(_) | E::FailedC(_) | E::Lost(_))
                    if started.elapsed() < Duration::from_secs(30) =>
                {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => return Err(format!("chromedriver on {url}: {e}")),
            }
        };
        b.client = Some(client);
        Ok(b)
    }

    /// Runs one client call to its end (or [`COMMAND`]'s timeout).
    fn run<'a, T, F>(&'a self, what: &str, call: impl FnOnce(&'a Client) -> F) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, fantoccini::error::CmdError>>,
    {
        let client = self.client.as_ref().expect("a session until drop");
        let call = call(client);
        // The timer is made inside the runtime, which `block_on` enters.
        match self
            .rt()
            .block_on(async { tokio::time::timeout(COMMAND, call).await })
        {
            Ok(r) => r.map_err(|e| format!("{what}: {e}")),
            Err(_) => Err(format!("{what}: no answer within {COMMAND:?}")),
        }
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("a runtime until drop")
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.run(&format!("goto {url}"), |c| c.goto(url))
    }

    pub fn url(&self) -> Result<String> {
        self.run("url", |c| c.current_url()).map(String::from)
    }

    pub fn title(&self) -> Result<String> {
        self.run("title", |c| c.title())
    }

    /// Elements matching a CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        self.run(&format!("find {css}"), |c| c.find_all(Locator::Css(css)))
    }

    pub fn text(&self, el: &Element) -> Result<String> {
        self.run("text", |_| el.text())
    }

    pub fn attr(&self, el: &Element, name: &str) -> Result<Option<String>> {
        self.run(&format!("attribute {name}"), |_| el.attr(name))
    }

    pub fn click(&self, el: &Element) -> Result<()> {
        self.run("click", |_| el.click())
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn script(&self, script: &str) -> Result<Value> {
        self.run("script", |c| c.execute(script, Vec::new()))
    }

    pub fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.run("resize", |c| c.set_window_size(width, height))
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let png = self.run("screenshot", |c| c.screenshot())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Inside another runtime `block_on` would panic (and abort while unwinding): then only
        // the driver is stopped.
        let nested = tokio::runtime::Handle::try_current().is_ok();
        if let Some(client) = self.client.take().filter(|_| !nested) {
            let close = client.close();
            let _ = self
                .rt()
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), close).await });
        }
        if nested {
            if let Some(rt) = self.rt.take() {
                rt.shutdown_background();
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
