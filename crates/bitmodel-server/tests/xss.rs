//! Stored XSS, attacked in a real browser (headless Chromium over WebDriver): anyone can
//! inscribe an HTML or SVG file whose script tries to take over the explorer — rewrite the
//! page that shows it, read the explorer's cookies, navigate the top window. Served from the
//! explorer's origin, none of it may run.

mod common;

use bitmodel_devnet::Devnet;
use bitmodel_protocol::{AssetId, Kind, Record};
use bitmodel_testkit::fixture;
use bitmodel_testkit::webdriver::Browser;

const ATTACK: &str = "document.title='ran';\
try{document.cookie='stolen=1'}catch(e){}\
try{parent.document.body.innerHTML='PWNED'}catch(e){}\
try{top.document.title='PWNED'}catch(e){}\
try{top.location='/?owned=1'}catch(e){}";

fn record(name: &str, body: &[u8]) -> Record {
    Record {
        kind: Kind::Code,
        content: Some(fixture::content(body, None)),
        ..fixture::record(name, fixture::owner(4), 20_000)
    }
}

#[test]
fn inscribed_scripts_cannot_touch_the_explorer() {
    let dn = Devnet::spawn().unwrap();
    dn.mine(1).unwrap();
    let html = format!("<!doctype html><title>inscription</title><p id=x>hello</p><script>{ATTACK}</script><img src=x onerror=\"{ATTACK}\">");
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{ATTACK}\"><script>{ATTACK}</script><text y=\"20\">svg</text></svg>");
    let page: AssetId = bitmodel_testkit::assets::register(
        &dn,
        &record("evil.html", html.as_bytes()),
        "text/html;charset=utf-8",
        html.clone().into_bytes(),
    );
    let image: AssetId = bitmodel_testkit::assets::register(
        &dn,
        &record("evil.svg", svg.as_bytes()),
        "image/svg+xml",
        svg.clone().into_bytes(),
    );
    let (state, _dir) = common::indexed_state(&dn);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(bitmodel_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let b = Browser::start(1280, 900).unwrap_or_else(|e| panic!("{e}"));
    for id in [page, image] {
        // The viewer shows it in a sandboxed frame: the explorer's page is untouched.
        b.goto(&format!("{base}/content/{id}")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(
            b.url().unwrap(),
            format!("{base}/content/{id}"),
            "not navigated"
        );
        assert!(b.title().unwrap().contains("Bitmodel"), "title kept");
        let text = b.text(&b.find_all("body").unwrap()[0]).unwrap();
        assert!(!text.contains("PWNED"), "{text}");
        assert!(text.contains("Shown in a sandbox"), "{text}");
        let frames = b.find_all("iframe.inscription[sandbox]").unwrap();
        assert_eq!(
            frames.len(),
            1,
            "active content only inside a sandboxed frame"
        );
        let cookies = b.script("return document.cookie").unwrap();
        assert_eq!(cookies, serde_json::json!(""), "no cookie was set or read");
        // Opened on its own, from the explorer's origin, its scripts do not run either.
        b.goto(&format!("{base}/api/v1/assets/{id}/content"))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_ne!(b.title().unwrap(), "ran", "the inscription's script ran");
        assert!(!b.url().unwrap().contains("owned"));
        let art =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
        b.screenshot(&art.join(format!("xss-{}.png", &id.to_string()[..8])))
            .unwrap();
    }
    drop(b);
    stop.send(()).unwrap();
    rt.block_on(server).unwrap().unwrap();
}
