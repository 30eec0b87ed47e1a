//! Drives the real `bitmodel` binary against a node: JSON in, exit codes and messages out.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

pub struct Cli {
    pub datadir: PathBuf,
    pub url: String,
    /// Extra global flags (network, credentials).
    pub flags: Vec<String>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The `bitmodel` binary under test — the one place tests name it — without the shell's
/// network and node settings, so a developer's environment cannot steer a test.
pub fn bitmodel() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bitmodel"));
    c.env_remove("BITMODEL_NETWORK")
        .env_remove("BITMODEL_RPC_URL");
    c
}

impl Run {
    pub fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

impl Cli {
    /// `bitmodel --datadir D --rpc-url U <flags>`, ready for a subcommand.
    pub fn command(&self) -> Command {
        let mut c = bitmodel();
        c.args([
            "--datadir",
            self.datadir.to_str().unwrap(),
            "--rpc-url",
            &self.url,
        ])
        .args(&self.flags);
        c
    }

    pub fn raw(&self, args: &[&str]) -> Run {
        Run::of(self.command().args(args).output().expect("the binary runs"))
    }

    /// `bitmodel … up --http 127.0.0.1:0` against this node: see [`start_up`].
    pub fn up(&self) -> (Running, String, Vec<String>) {
        let global = [
            "--datadir",
            self.datadir.to_str().unwrap(),
            "--rpc-url",
            &self.url,
        ]
        .map(String::from)
        .into_iter()
        .chain(self.flags.iter().cloned())
        .collect::<Vec<_>>();
        start_up(&global, &[])
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let r = self.raw(&a);
        assert_eq!(r.code, 0, "{args:?} failed: {}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout))
    }

    pub fn fails(&self, args: &[&str], message: &str) {
        let r = self.raw(args);
        assert_ne!(r.code, 0, "{args:?} should fail");
        assert!(
            r.stderr.contains(message),
            "{args:?}: expected '{message}' in: {}",
            r.stderr
        );
    }

    /// `register --name x --license MIT` and `extra` fails, saying `message`.
    pub fn register_fails(&self, extra: &[&str], message: &str) {
        let mut args = vec!["register", "--name", "x", "--license", "MIT"];
        args.extend_from_slice(extra);
        self.fails(&args, message);
    }

    /// A paid call of `model` (the demo digits model) on the demo's sample input through the
    /// gateway at `server`, with `extra`; the JSON answer.
    pub fn infer_demo(&self, model: &str, server: &str, extra: &[&str]) -> Value {
        let (_, input) = demo_model();
        self.json(&infer_args(model, input.to_str().unwrap(), server, extra))
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `infer <asset> --input <input> --server <server>` and `extra`.
pub fn infer_args<'a>(
    asset: &'a str,
    input: &'a str,
    server: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["infer", asset, "--input", input, "--server", server];
    args.extend_from_slice(extra);
    args
}

/// The demo digits model (ONNX, priced 5,000 sats a call) and its sample input.
pub fn demo_model() -> (PathBuf, PathBuf) {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/model");
    (demo.join("digits.onnx"), demo.join("input.json"))
}

/// `register` arguments for the digits model with `paper` as its parent at 20%.
pub fn digits_model_args(paper: &str) -> Vec<String> {
    let (model, _) = demo_model();
    [
        "register",
        "--name",
        "digits-mlp",
        "--license",
        "MIT",
        "--parent",
        &format!("{paper}:2000:algorithm"),
        "--content",
        model.to_str().unwrap(),
        "--content-type",
        "application/onnx",
        "--price",
        "5000",
    ]
    .map(String::from)
    .to_vec()
}

/// A running `bitmodel up`, killed if the test ends (or fails) while it runs.
pub struct Running(pub Option<std::process::Child>);

impl Running {
    /// Ctrl-C (SIGINT), and `up` must exit 0.
    pub fn interrupt(mut self) {
        let mut child = self.0.take().expect("running");
        let ok = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let code = child.wait().unwrap();
        assert!(code.success(), "bitmodel up exits 0 on Ctrl-C, got {code}");
    }
}

/// `GET path` from a server at `base` (`http://host:port/`): the body.
pub fn http_get(base: &str, path: &str) -> String {
    http(
        base,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .split_once("\r\n\r\n")
    .expect("an HTTP reply")
    .1
    .to_owned()
}

/// `GET path` as JSON.
pub fn http_json(base: &str, path: &str) -> Value {
    let body = http_get(base, path);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// A raw HTTP/1.1 exchange with the server at `base`: the whole reply.
pub fn http(base: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `bitmodel <global> up --http 127.0.0.1:0 <extra>`; the process, the API's base URL
/// (`http://…/`) and every line it printed up to it.
pub fn start_up(global: &[String], extra: &[&str]) -> (Running, String, Vec<String>) {
    use std::io::BufRead;
    let mut child = bitmodel()
        .args(global)
        .args(["up", "--http", "127.0.0.1:0"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let running = Running(Some(child));
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no API URL within 120 s: {seen:?}"));
        let api = line
            .split("API at ")
            .nth(1)
            .map(|rest| rest.split("api/v1").next().unwrap_or_default().to_owned());
        seen.push(line);
        if let Some(api) = api {
            return (running, api, seen);
        }
    }
}
