//! Drives the real `bitmodel` binary: exit codes, JSON shapes and error messages.

mod common;

use std::path::{Path, PathBuf};

use common::Run;
use serde_json::Value;

/// The binary in `dir` (these commands need no node and no datadir flag).
fn bitmodel(dir: &Path, args: &[&str]) -> Run {
    Run::of(
        common::bitmodel()
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the binary runs"),
    )
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let r = bitmodel(dir, args);
    assert_eq!(r.code, 0, "{args:?} failed: {}", r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", r.stdout))
}

fn fails(dir: &Path, args: &[&str], message: &str) {
    let r = bitmodel(dir, args);
    assert_ne!(r.code, 0, "{args:?} should fail");
    assert!(
        r.stderr.contains(message),
        "{args:?}: expected '{message}' in: {}",
        r.stderr
    );
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bitmodel-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

use bitmodel_testkit::shared_dir as shared;

#[test]
fn split_json_shape_and_conservation() {
    let d = tempdir("split");
    let v = ok_json(
        &d,
        &[
            "cflow",
            "split",
            "--amount",
            "100000",
            "--fee",
            "1000",
            "--weights",
            "3000,2500,1",
            "--json",
        ],
    );
    assert_eq!(v["amount"], 100_000);
    assert_eq!(v["fee"], 1000);
    let parents: Vec<(u64, u64)> = v["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["weight"].as_u64().unwrap(), p["amount"].as_u64().unwrap()))
        .collect();
    assert_eq!(parents, vec![(3000, 29_700), (2500, 24_750), (1, 9)]);
    assert_eq!(v["owner"], 100_000 - 1000 - 29_700 - 24_750 - 9);
    // No parents: everything but the fee to the owner.
    let v = ok_json(&d, &["cflow", "split", "--amount", "5", "--json"]);
    assert_eq!(v["owner"], 5);
}

#[test]
fn split_bad_input_names_the_problem() {
    let d = tempdir("split-bad");
    fails(
        &d,
        &["cflow", "split", "--amount", "-5", "--weights", "1"],
        "'-5' is not an amount",
    );
    fails(
        &d,
        &["cflow", "split", "--amount", "ten", "--weights", "1"],
        "whole number of sats",
    );
    fails(
        &d,
        &["cflow", "split", "--amount", "10", "--weights", "6000,5000"],
        "sum to 11000",
    );
    fails(
        &d,
        &["cflow", "split", "--amount", "10", "--weights", "0"],
        "from 1 to 10000",
    );
    fails(
        &d,
        &["cflow", "split", "--amount", "10", "--weights", "12000"],
        "from 1 to 10000",
    );
    fails(
        &d,
        &["cflow", "split", "--amount", "10", "--fee", "11"],
        "fee 11 sats exceeds the amount 10",
    );
}

#[test]
fn import_then_explain() {
    let d = tempdir("explain");
    std::fs::write(
        d.join("edges.csv"),
        "child,parent,relation\nbert-ft,bert,finetune\nbert,transformer,architecture\nbert,wikipedia,dataset\nbert-ft,wikipedia,dataset\nbert-ft,bert-ft,finetune\nbert-ft,glue,dataset\n",
    )
    .unwrap();
    let v = ok_json(&d, &["lineage", "import", "edges.csv", "--json"]);
    assert_eq!(v["nodes"], 5);
    assert_eq!(v["edges"], 5);
    assert_eq!(v["skipped_count"], 1);
    assert_eq!(v["skipped"][0]["line"], 6);
    assert!(v["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("self-loop"));
    assert!(d.join("bitmodel-lineage.json").exists());

    let v = ok_json(
        &d,
        &[
            "cflow", "explain", "bert-ft", "--amount", "1000000", "--json",
        ],
    );
    let keeps = |name: &str| {
        v["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["keeps"]
            .as_u64()
            .unwrap()
    };
    // bert-ft: 2000 to bert, 500 to wikipedia, 500 to glue, keeps 700,000
    assert_eq!(keeps("bert-ft"), 700_000);
    // bert: receives 200,000, passes 500 bps to transformer (10,000) and 500 to wikipedia (10,000)
    assert_eq!(keeps("bert"), 180_000);
    assert_eq!(keeps("transformer"), 10_000);
    assert_eq!(keeps("wikipedia"), 50_000 + 10_000);
    assert_eq!(keeps("glue"), 50_000);
    let total: u64 = v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["keeps"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1_000_000);
    assert_eq!(v["tree"]["parents"][0]["name"], "bert");
    assert_eq!(v["tree"]["parents"][0]["amount"], 200_000);

    let text = bitmodel(&d, &["cflow", "explain", "bert-ft", "--amount", "1000000"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout
            .contains("└── glue (dataset, 5.00%) ← 50,000 sats"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("wikipedia (dataset, 5.00%) ← 10,000 sats"),
        "{}",
        text.stdout
    );

    fails(
        &d,
        &["cflow", "explain", "bert-f", "--amount", "5"],
        "did you mean: bert, bert-ft?",
    );
    fails(
        &d,
        &["cflow", "explain", "nothing-like-it", "--amount", "5"],
        "unknown asset 'nothing-like-it'",
    );
    fails(
        &d,
        &[
            "cflow",
            "explain",
            "bert",
            "--amount",
            "5",
            "--graph",
            "missing.json",
        ],
        "cannot read lineage graph missing.json",
    );
}

#[test]
fn import_errors_and_formats() {
    let d = tempdir("import");
    std::fs::write(
        d.join("README.md"),
        "---\nbase_model: openai-community/gpt2\ndatasets:\n- openwebtext\n---\n",
    )
    .unwrap();
    let v = ok_json(
        &d,
        &[
            "lineage",
            "import",
            "README.md",
            "--name",
            "me/gpt2-ft",
            "--json",
        ],
    );
    assert_eq!(v["files"][0]["format"], "hf-card");
    assert_eq!(v["edges"], 2);
    std::fs::write(d.join("bad.md"), "no front matter\n").unwrap();
    fails(&d, &["lineage", "import", "bad.md"], "no YAML front matter");
    fails(
        &d,
        &["lineage", "import", "nope.csv"],
        "cannot read nope.csv",
    );
    fails(
        &d,
        &["lineage", "import", "README.md", "--weight", "finetune=0"],
        "1..=10000",
    );
    std::fs::write(
        d.join("epoch.csv"),
        "Model,Base model,Training dataset\nB,A,Pile\n",
    )
    .unwrap();
    let v = ok_json(
        &d,
        &["lineage", "import", "epoch.csv", "--append", "--json"],
    );
    assert_eq!(v["files"][0]["format"], "epoch");
    assert_eq!(v["nodes"], 3 + 3, "appended to the card's graph");
    std::fs::write(d.join("garbage.csv"), "this is a note\nnot an edge list\n").unwrap();
    fails(
        &d,
        &["lineage", "import", "garbage.csv", "--out", "g2.json"],
        "has no usable rows",
    );
    assert!(
        !d.join("g2.json").exists(),
        "nothing is written for a malformed input"
    );
    std::fs::write(d.join("graph.json"), "{not json").unwrap();
    fails(
        &d,
        &[
            "cflow",
            "explain",
            "B",
            "--amount",
            "5",
            "--graph",
            "graph.json",
        ],
        "graph.json is not a lineage graph file",
    );
}

#[test]
fn real_hugging_face_lineage() {
    let d = tempdir("atlas");
    let file = shared().join("data/model-atlas/hf_model_parent_edges.csv");
    let v = ok_json(&d, &["lineage", "import", file.to_str().unwrap(), "--json"]);
    assert_eq!(v["rows"], 21_891);
    assert_eq!(v["skipped_count"], 4);
    let v = ok_json(
        &d,
        &[
            "cflow",
            "explain",
            "TheBloke/Llama-2-7B-Chat-GGUF",
            "--amount",
            "1000000",
            "--json",
        ],
    );
    let r = v["recipients"].as_array().unwrap();
    assert_eq!(
        r.iter().map(|x| x["keeps"].as_u64().unwrap()).sum::<u64>(),
        1_000_000
    );
    assert!(r
        .iter()
        .any(|x| x["name"] == "meta-llama/Llama-2-7b-chat-hf"));
}
