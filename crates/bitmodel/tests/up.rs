//! `bitmodel up` as a user runs it: first start seeds the demo and serves the API; Ctrl-C
//! (SIGINT) stops it cleanly; a second start resumes from the datadir without re-seeding.
//! While it runs, `bitmodel infer` pays for a call of the demo model, and headless Chromium
//! walks the explorer home → asset → payment (and the content viewer, and a phone-width
//! screen), checking the lineage SVG against the API; screenshots go to
//! `target/browser-artifacts/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn start(datadir: &std::path::Path) -> (Child, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bitmodel"))
        .args([
            "--datadir",
            datadir.to_str().unwrap(),
            "up",
            "--http",
            "127.0.0.1:0",
            "--rpc-bind",
            "127.0.0.1:0",
        ])
        .env_remove("BITMODEL_NETWORK")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no API URL within 120 s; output: {seen:?}");
        };
        if let Some(rest) = line.split("API at ").nth(1) {
            let url = rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches("api/v1/status")
                .to_string();
            seen.push(line);
            return (child, url, seen);
        }
        seen.push(line);
    }
}

fn status(url: &str) -> serde_json::Value {
    api(url, "/api/v1/status")
}

fn api(url: &str, path: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Kills `bitmodel up` if the test fails while it runs.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn interrupt(mut child: Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let code = child.wait().unwrap();
    assert!(code.success(), "bitmodel up exits 0 on Ctrl-C, got {code}");
}

#[test]
fn up_seeds_serves_stops_and_resumes() {
    let datadir = std::env::temp_dir().join(format!("bitmodel-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    let (child, url, first) = start(&datadir);
    let mut child = Running(Some(child));
    assert!(first.iter().any(|l| l.contains("seeded")), "{first:?}");
    let s = status(&url);
    assert_eq!(s["network"], "devnet");
    let assets = s["assets"].as_u64().unwrap();
    assert!(assets >= 25, "the demo lineage is on chain: {s}");
    assert_eq!(s["books"]["balanced"], true, "{s}");
    assert!(
        s["books"]["paid_out"].as_u64().unwrap() > 0,
        "distributions paid owners: {s}"
    );
    let digits = api(&url, "/api/v1/assets?q=digits-mlp");
    let digits = digits["items"][0]["id"].as_str().unwrap().to_owned();
    paid_call(&datadir, &first, &url, &digits);
    browse(&url, &digits);
    interrupt(child.0.take().unwrap());

    let (child, url, second) = start(&datadir);
    let mut child = Running(Some(child));
    assert!(
        second.iter().any(|l| l.contains("already seeded")),
        "{second:?}"
    );
    let again = status(&url);
    assert_eq!(again["assets"].as_u64().unwrap(), assets, "no re-seeding");
    interrupt(child.0.take().unwrap());
    assert!(datadir.join("devnet/seeded.json").exists());
}

/// `bitmodel infer` against the running `up`, paying from the demo wallet.
fn paid_call(datadir: &std::path::Path, log: &[String], url: &str, digits: &str) {
    let rpc = log
        .iter()
        .find_map(|l| l.strip_prefix("devnet rpc on "))
        .and_then(|l| l.split_whitespace().next())
        .expect("up prints the devnet rpc url");
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/model/input.json");
    let out = Command::new(env!("CARGO_BIN_EXE_bitmodel"))
        .args([
            "--datadir",
            datadir.to_str().unwrap(),
            "--rpc-url",
            rpc,
            "--json",
        ])
        .args(["infer", digits, "--input", input, "--server", url])
        .env_remove("BITMODEL_NETWORK")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["paid"], 5000, "the demo model's price: {v}");
    assert_eq!(
        v["outputs"][1]["data"],
        serde_json::json!([7.0]),
        "the sample is a 7: {v}"
    );
}

fn browse(url: &str, digits: &str) {
    use bitmodel_testkit::webdriver::Browser;
    let art =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    let shot = |b: &Browser, name: &str| {
        b.screenshot(&art.join(name)).unwrap();
        eprintln!("screenshot {}", art.join(name).display());
    };
    let b = Browser::start(1280, 1000).unwrap_or_else(|e| panic!("{e}"));
    let base = url.trim_end_matches('/');

    // Home: the chain's figures and the assets; follow the agent's link.
    b.goto(url).unwrap();
    assert!(b.title().unwrap().contains("Bitmodel"));
    shot(&b, "1-home.png");
    // The books on the home page reconcile: every sat paid in is with owners, fees or vaults.
    let body = b.find_all("body").unwrap();
    let home = b.text(&body[0]).unwrap();
    let books = home
        .lines()
        .find(|l| l.contains(" sats: "))
        .unwrap_or_else(|| panic!("home shows the books: {home}"));
    let nums: Vec<u64> = books
        .split(|c: char| !(c.is_ascii_digit() || c == ','))
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .map(|t| t.replace(',', "").parse().unwrap())
        .collect();
    let [_assets, paid_in, owners, fees, waiting] = nums[..] else {
        panic!("assets, paid in, to owners, fees, waiting: {books}")
    };
    assert_eq!(paid_in, owners + fees + waiting, "{books}");
    assert!(owners > 0 && fees > 0 && waiting > 0, "{books}");
    let links = b.find_all("a[href^='/asset/']").unwrap();
    let texts: Vec<String> = links.iter().map(|l| b.text(l).unwrap()).collect();
    let agent = texts
        .iter()
        .position(|t| t == "bitmodel-demo/research-agent")
        .map(|i| &links[i])
        .unwrap_or_else(|| panic!("home links the research agent: {texts:?}"));
    b.click(agent).unwrap();
    let at = b.url().unwrap();
    let id = at.rsplit('/').next().unwrap().to_owned();
    assert!(at.starts_with(&format!("{base}/asset/")), "{at}");

    // Asset: the lineage SVG has exactly the API's ancestors as nodes and their parent links
    // as edges.
    let lineage = api(url, &format!("/api/v1/assets/{id}/lineage"));
    let ancestors = lineage["ancestors"].as_array().unwrap();
    let mut want: Vec<String> = ancestors
        .iter()
        .map(|a| format!("/asset/{}", a["id"].as_str().unwrap()))
        .collect();
    let edges: usize = ancestors
        .iter()
        .map(|a| a["parents"].as_array().unwrap().len())
        .sum();
    let drawn = b
        .script("return Array.from(document.querySelectorAll('svg.lineage g.node a')).map(a => a.getAttribute('href'))")
        .unwrap();
    let mut got: Vec<String> = serde_json::from_value(drawn).unwrap();
    want.sort();
    got.sort();
    assert!(ancestors.len() >= 8, "the agent has a deep lineage");
    assert_eq!(got, want, "one node per ancestor");
    assert_eq!(
        b.find_all("svg.lineage g.edge").unwrap().len(),
        edges,
        "one edge per parent link"
    );
    shot(&b, "2-asset.png");

    // Payment: the Sankey of one payment into the agent.
    let pay = b.find_all("a[href^='/tx/']").unwrap();
    assert!(!pay.is_empty(), "the agent was paid in the demo");
    b.click(&pay[0]).unwrap();
    assert!(b.url().unwrap().starts_with(&format!("{base}/tx/")));
    assert!(
        !b.find_all("svg.sankey g.flow").unwrap().is_empty(),
        "flows drawn"
    );
    assert!(b.find_all("svg.sankey g.node").unwrap().len() >= 2);
    shot(&b, "3-payment.png");

    // The content viewer shows the demo model's signature.
    b.goto(&format!("{base}/content/{digits}")).unwrap();
    let body = b.find_all("body").unwrap();
    let text = b.text(&body[0]).unwrap();
    assert!(
        text.contains("N,64,F32") && text.contains("5000 sats a call"),
        "{text}"
    );
    shot(&b, "4-content.png");

    // A phone-width screen: nothing wider than the screen.
    b.resize(390, 844).unwrap();
    b.goto(&format!("{base}/asset/{id}")).unwrap();
    shot(&b, "5-asset-phone.png");
    let wide = b
        .script(
            "const w = window.innerWidth; return Array.from(document.querySelectorAll('body *'))\
             .filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 5).map(e => e.outerHTML.slice(0, 120))",
        )
        .unwrap();
    assert_eq!(
        wide,
        serde_json::json!([]),
        "the asset page fits a phone-width screen"
    );
}
