//! `bitmodel up` as a user runs it: first start seeds the demo and serves the API; Ctrl-C
//! (SIGINT) stops it cleanly; a second start resumes from the datadir without re-seeding.
//! While it runs, `bitmodel infer` pays for a call of the demo model, and headless Chromium
//! walks the explorer home → asset → payment (and the content viewer, and a phone-width
//! screen), checking the lineage SVG against the API; screenshots go to
//! `target/browser-artifacts/`.

use std::time::Duration;

mod common;

use common::Running;

/// `bitmodel --datadir D up --http 127.0.0.1:0 --rpc-bind 127.0.0.1:0`.
fn start(datadir: &std::path::Path) -> (Running, String, Vec<String>) {
    common::start_up(
        &["--datadir".into(), datadir.display().to_string()],
        &["--rpc-bind", "127.0.0.1:0"],
    )
}

fn status(url: &str) -> serde_json::Value {
    api(url, "/api/v1/status")
}

fn get(url: &str, path: &str) -> String {
    common::http_get(url, path)
}

fn api(url: &str, path: &str) -> serde_json::Value {
    common::http_json(url, path)
}

/// Every payment of the seeded demo: its page's figures equal the API's, and add up.
fn payments_agree(url: &str) {
    let mut txids = std::collections::BTreeSet::new();
    let items = api(url, "/api/v1/assets?limit=200");
    for a in items["items"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let flows = api(url, &format!("/api/v1/assets/{id}/flows"));
        for f in flows["flows"].as_array().unwrap() {
            if matches!(f["event"]["kind"].as_str(), Some("payment" | "direct")) {
                txids.insert(f["txid"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(txids.len() >= 10, "the demo's payments: {txids:?}");
    for txid in &txids {
        let json = api(url, &format!("/api/v1/tx/{txid}"));
        let html = get(url, &format!("/tx/{txid}"));
        let figures: std::collections::BTreeMap<String, u64> = html
            .split("data-check=\"")
            .skip(1)
            .map(|rest| {
                let (key, rest) = rest.split_once('"').unwrap();
                let v = rest.split("data-sats=\"").nth(1).unwrap();
                (
                    key.to_owned(),
                    v.split('"').next().unwrap().parse().unwrap(),
                )
            })
            .collect();
        let payments = json["payments"].as_array().unwrap();
        assert!(!payments.is_empty(), "{txid}: {json}");
        let mut expected = std::collections::BTreeMap::new();
        for (n, p) in payments.iter().enumerate() {
            let v = |k: &str| p[k].as_u64().unwrap();
            expected.insert(format!("p{n}-amount"), v("amount"));
            if p["direct"].is_null() {
                expected.insert(format!("p{n}-owners"), v("to_owners_total"));
                expected.insert(format!("p{n}-fees"), v("fees"));
                expected.insert(format!("p{n}-waiting"), v("waiting_total"));
                assert_eq!(
                    v("amount"),
                    v("to_owners_total") + v("fees") + v("waiting_total"),
                    "{txid}: every sat of the payment is accounted for: {p}"
                );
                for (i, st) in p["steps"].as_array().unwrap().iter().enumerate() {
                    expected.insert(format!("p{n}-step{i}"), st["carried"].as_u64().unwrap());
                }
            } else {
                for (i, d) in p["direct"].as_array().unwrap().iter().enumerate() {
                    expected.insert(format!("p{n}-direct{i}"), d[2].as_u64().unwrap());
                }
            }
        }
        assert_eq!(figures, expected, "{txid}: the page and the API agree");
    }
}

/// With nobody pushing by hand, the keeper in `up` settles the seeded demo: after some
/// blocks nothing is left that could be distributed or merged, only sub-threshold money.
fn settles(datadir: &std::path::Path, log: &[String], url: &str) {
    use bitmodel_rpc::{Auth, Client};
    let rpc = log
        .iter()
        .find_map(|l| l.strip_prefix("devnet rpc on "))
        .and_then(|l| l.split_whitespace().next())
        .expect("up prints the devnet rpc url");
    let node = Client::new(rpc, Auth::Cookie(datadir.join("devnet/.cookie"))).unwrap();
    let burn = bitcoin::Address::from_script(
        &bitcoin::ScriptBuf::new_p2wpkh(
            &<bitcoin::WPubkeyHash as bitcoin::hashes::Hash>::from_byte_array([1; 20]),
        ),
        bitcoin::Network::Regtest,
    )
    .unwrap()
    .to_string();
    let burn = burn.as_str();
    let ids: Vec<String> = api(url, "/api/v1/assets?limit=200")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let before = status(url)["books"]["waiting"].as_u64().unwrap();
    let mut settled = false;
    for _ in 0..20 {
        let height = node.generate_to_address(1, burn).unwrap();
        assert_eq!(height.len(), 1);
        let tip = node.get_block_count().unwrap();
        // The follower indexes the block and the keeper pushes what it can.
        for _ in 0..100 {
            if status(url)["height"].as_u64() == Some(tip) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        let mempool = node.get_raw_mempool().unwrap();
        let pushable = ids.iter().any(|id| {
            let v = api(url, &format!("/api/v1/assets/{id}/vault"));
            v["keeper"]["next"]
                .as_array()
                .is_some_and(|n| !n.is_empty())
        });
        if mempool.is_empty() && !pushable {
            settled = true;
            break;
        }
    }
    assert!(
        settled,
        "the keeper did not settle the demo within 20 blocks"
    );
    let s = status(url);
    assert_eq!(s["books"]["balanced"], true, "{s}");
    let after = s["books"]["waiting"].as_u64().unwrap();
    assert!(after < before, "money moved up: waiting {before} → {after}");
    for id in &ids {
        let v = api(url, &format!("/api/v1/assets/{id}/vault"));
        if v["balance"].as_u64().unwrap_or(0) > 0 {
            let says = v["keeper"]["says"].as_str().unwrap_or_default();
            assert!(says.contains("waits"), "{id}: {v}");
            assert!(v["keeper"]["runs"] == true, "{v}");
        }
    }
}

#[test]
fn up_seeds_serves_stops_and_resumes() {
    let datadir = std::env::temp_dir().join(format!("bitmodel-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&datadir);
    let (child, url, first) = start(&datadir);
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
    payments_agree(&url);
    browse(&url, &digits);
    settles(&datadir, &first, &url);
    child.interrupt();

    let (child, url, second) = start(&datadir);
    assert!(
        second.iter().any(|l| l.contains("already seeded")),
        "{second:?}"
    );
    let again = status(&url);
    assert_eq!(again["assets"].as_u64().unwrap(), assets, "no re-seeding");
    child.interrupt();
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
    let out = common::bitmodel()
        .args([
            "--datadir",
            datadir.to_str().unwrap(),
            "--rpc-url",
            rpc,
            "--json",
        ])
        .args(["infer", digits, "--input", input, "--server", url])
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

/// No two text labels of the page's drawings overlap, as the browser lays them out.
fn no_overlaps(b: &bitmodel_testkit::webdriver::Browser, what: &str) {
    let found = b
        .script(
            "const ts = Array.from(document.querySelectorAll('svg text')).map(t => [t.getBoundingClientRect(), t.textContent]);\
             const bad = [];\
             for (let i = 0; i < ts.length; i++) for (let j = i + 1; j < ts.length; j++) {\
               const a = ts[i][0], b = ts[j][0];\
               if (a.width > 0 && b.width > 0 && a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)\
                 bad.push(ts[i][1] + ' / ' + ts[j][1]);\
             }\
             return [ts.length, bad.slice(0, 10)];",
        )
        .unwrap();
    let labels = found[0].as_u64().unwrap();
    assert!(labels > 0, "{what}: no labels drawn");
    assert_eq!(
        found[1],
        serde_json::json!([]),
        "{what}: overlapping labels"
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
    assert!(
        home.contains("Top earners") && home.contains("Recent flows"),
        "{home}"
    );
    assert!(!b.find_all("ul.recent a[href^='/tx/']").unwrap().is_empty());
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
    let page = b.text(&b.find_all("body").unwrap()[0]).unwrap();
    assert!(
        page.contains("The keeper"),
        "the asset page says what the keeper does next: {page}"
    );

    // Payment: the Sankey of one payment into the agent.
    let pay = b.find_all("a[href^='/tx/']").unwrap();
    assert!(!pay.is_empty(), "the agent was paid in the demo");
    no_overlaps(&b, "asset page");
    b.click(&pay[0]).unwrap();
    let payment = b.url().unwrap();
    assert!(payment.starts_with(&format!("{base}/tx/")));
    assert!(
        !b.find_all("svg.sankey g.flow").unwrap().is_empty(),
        "flows drawn"
    );
    assert!(b.find_all("svg.sankey g.node").unwrap().len() >= 2);
    assert!(
        !b.find_all("a[href^='/tx/']").unwrap().is_empty(),
        "the distributions that carried it are linked"
    );
    no_overlaps(&b, "payment page");
    shot(&b, "3-payment.png");

    // A contributor: the paper's owner, with what each of its assets paid it.
    let lineage = api(url, &format!("/api/v1/assets/{id}/lineage"));
    let paper = lineage["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Attention Is All You Need"))
        })
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .expect("the Transformer paper is an ancestor");
    b.goto(&format!("{base}/asset/{paper}")).unwrap();
    let text = b.text(&b.find_all("body").unwrap()[0]).unwrap();
    assert!(
        text.contains("Built on this"),
        "a paper sees who builds on it: {text}"
    );
    no_overlaps(&b, "the paper's page");
    shot(&b, "7-paper.png");
    let owner = b.find_all("a[href^='/earnings/']").unwrap();
    b.click(&owner[0]).unwrap();
    let text = b.text(&b.find_all("body").unwrap()[0]).unwrap();
    assert!(text.contains("By asset"), "{text}");
    shot(&b, "8-contributor.png");

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
    b.goto(&payment).unwrap();
    no_overlaps(&b, "payment page at phone width");
    shot(&b, "6-payment-phone.png");
    b.goto(&format!("{base}/asset/{id}")).unwrap();
    no_overlaps(&b, "asset page at phone width");
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
