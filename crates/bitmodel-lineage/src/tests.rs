use super::*;

fn import(text: &str) -> (Lineage, ImportReport) {
    let mut l = Lineage::default();
    let r = import_edges(&mut l, text, &WeightPolicy::default()).unwrap();
    (l, r)
}

#[test]
fn edges_with_header_and_relations() {
    let (l, r) =
        import("child,parent,relation\nft,base,finetune\nq,ft,quantized\nft,wiki,dataset\n");
    assert_eq!((r.rows, r.nodes_added, r.edges_added), (3, 4, 3));
    assert!(r.skipped.is_empty());
    let ft = l.find("ft").unwrap();
    let w: Vec<(String, u16, Relation)> = l
        .edges
        .iter()
        .filter(|e| e.child == ft)
        .map(|e| {
            (
                l.nodes[e.parent as usize].name.clone(),
                e.weight,
                e.relation,
            )
        })
        .collect();
    assert_eq!(
        w,
        vec![
            ("base".into(), 2000, Relation::Finetune),
            ("wiki".into(), 500, Relation::Dataset)
        ]
    );
    assert_eq!(
        l.nodes[l.find("wiki").unwrap() as usize].kind,
        Kind::Dataset
    );
}

#[test]
fn headerless_and_model_atlas_shapes() {
    let (l, r) = import("a,b\nc,a\n");
    assert_eq!((r.rows, r.edges_added), (2, 2));
    assert!(l.find("b").is_some());
    let (l, r) = import("current_model,base_model,base_model_relation\nm,\"x,y,z\",merge\n");
    assert_eq!(r.edges_added, 3);
    // three merge parents at 3000 each = 9000 > 8000: scaled to 2666 each
    assert!(l
        .edges
        .iter()
        .all(|e| e.weight == 2666 && e.relation == Relation::Merge));
}

#[test]
fn self_loops_cycles_and_duplicates_are_skipped_with_reasons() {
    let (l, r) = import("a,a\nb,a\na,b\nc,x\nc,x\n");
    let reasons: Vec<&str> = r.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].starts_with("self-loop"));
    assert!(reasons.iter().any(|r| r.starts_with("duplicate parent")));
    assert!(reasons.iter().any(|r| r.starts_with("cycle")));
    l.graph().expect("what was kept is a DAG");
}

#[test]
fn more_than_eleven_parents_are_kept_up_to_a_thousand() {
    // 13 parents: a wide record (paid through splitters), all kept.
    let mut text = String::from("child,parent,relation\n");
    for i in 0..12 {
        text.push_str(&format!("w,d{i},dataset\n"));
    }
    text.push_str("w,base,finetune\n");
    let (_, r) = import(&text);
    assert_eq!(r.edges_added, 13);
    assert!(r.skipped.is_empty());
}

#[test]
fn more_than_a_thousand_parents_keeps_the_heaviest() {
    let mut text = String::from("child,parent,relation\n");
    for i in 0..bitmodel_protocol::MAX_MEMBERS + 1 {
        text.push_str(&format!("m,d{i},dataset\n"));
    }
    text.push_str("m,base,finetune\n");
    let (l, r) = import(&text);
    assert_eq!(r.edges_added, bitmodel_protocol::MAX_MEMBERS as u64);
    assert_eq!(r.skipped.len(), 2);
    assert!(
        r.skipped[0].reason.contains("at most 1000"),
        "{:?}",
        r.skipped
    );
    assert!(l.edges.iter().all(|e| e.weight >= 1));
    assert!(l
        .edges
        .iter()
        .any(|e| l.nodes[e.parent as usize].name == "base"));
    assert!(l.edges.iter().map(|e| u32::from(e.weight)).sum::<u32>() <= 8000);
}

#[test]
fn edges_are_fixed_once_set() {
    let mut l = Lineage::default();
    let p = WeightPolicy::default();
    import_edges(&mut l, "a,b\n", &p).unwrap();
    let r = import_edges(&mut l, "a,c\n", &p).unwrap();
    assert_eq!(r.edges_added, 0);
    assert!(r.skipped[0].reason.contains("fixed once set"));
}

#[test]
fn bad_relation_and_malformed_rows() {
    let (_, r) = import("child,parent,relation\na,b,stolen\n");
    assert!(
        r.skipped[0].reason.contains("unknown relation 'stolen'"),
        "{:?}",
        r.skipped
    );
    let mut l = Lineage::default();
    assert_eq!(
        import_edges(&mut l, "  \n", &WeightPolicy::default()),
        Err(LineageError::Empty)
    );
    assert_eq!(
        import_epoch(&mut l, "\n\t", &WeightPolicy::default()),
        Err(LineageError::Empty)
    );
}

#[test]
fn policy_overrides_and_limits() {
    let mut p = WeightPolicy::default();
    p.set_from_str("finetune=2500").unwrap();
    assert_eq!(p.weight(Relation::Finetune), 2500);
    assert!(p
        .set_from_str("finetune=0")
        .unwrap_err()
        .contains("1..=10000"));
    assert!(p
        .set_from_str("stolen=10")
        .unwrap_err()
        .contains("unknown relation"));
    assert!(p
        .set_from_str("finetune")
        .unwrap_err()
        .contains("relation=bps"));
    assert!(p.set_max_total(5).is_err());
    p.set_max_total(11).unwrap();
    assert_eq!(p.assign(&[Relation::Quantized; 11]), vec![1; 11]);
}

#[test]
fn hf_card() {
    let card = "---\nlicense: apache-2.0\nbase_model:\n- meta-llama/Llama-2-7b-hf\nbase_model_relation: adapter\ndatasets: tatsu-lab/alpaca\nmodel-index:\n- name: my-lora\n---\n# My LoRA\n";
    let parsed = parse_hf_card(card).unwrap();
    assert_eq!(parsed.name.as_deref(), Some("my-lora"));
    assert_eq!(parsed.base_models, vec!["meta-llama/Llama-2-7b-hf"]);
    let mut l = Lineage::default();
    let r = import_hf_card(&mut l, card, None, &WeightPolicy::default()).unwrap();
    assert_eq!(r.edges_added, 2);
    assert_eq!(l.edges[0].relation, Relation::Adapter);
    assert_eq!(
        parse_hf_card("# no front matter"),
        Err(LineageError::NoFrontMatter)
    );
    assert!(parse_hf_card("---\nbase_model: [\n---\n")
        .unwrap_err()
        .to_string()
        .starts_with("model card front matter is not valid YAML"));
    assert_eq!(
        parse_hf_card("---\nbase_model: 3\n---\n"),
        Err(LineageError::CardField {
            field: "base_model",
            expected: "a string or a list of strings"
        })
    );
    let mut l = Lineage::default();
    assert_eq!(
        import_hf_card(
            &mut l,
            "---\nlicense: mit\n---\n",
            None,
            &WeightPolicy::default()
        ),
        Err(LineageError::NoCardName)
    );
}

#[test]
fn epoch_rows() {
    let csv = "Model,Base model,Training dataset,Parameters\nB,A,\"Common Crawl,Unspecified unreleased\",7\nA,,Common Crawl,1\n";
    let mut l = Lineage::default();
    let r = import_epoch(&mut l, csv, &WeightPolicy::default()).unwrap();
    assert_eq!(r.rows, 2);
    assert_eq!(r.edges_added, 3);
    assert_eq!(r.skipped.len(), 1);
    let err = import_epoch(&mut l, "Name,Base\nx,y\n", &WeightPolicy::default()).unwrap_err();
    assert!(err.to_string().contains("no 'Model' column"), "{err}");
}

#[test]
fn json_round_trip_reindexes() {
    let (l, _) = import("a,b\nc,a\n");
    let json = serde_json::to_string(&l).unwrap();
    let mut back: Lineage = serde_json::from_str(&json).unwrap();
    back.reindex().unwrap();
    assert_eq!(back, l);
    assert_eq!(back.find("c"), l.find("c"));
}

/// The real data sets in ../shared import cleanly into DAGs and conserve money.
#[test]
fn real_lineage_data() {
    let shared = bitmodel_testkit::shared_dir();
    let read = |p: &str| {
        std::fs::read_to_string(shared.join(p))
            .unwrap_or_else(|e| panic!("reading {p} from {}: {e}", shared.display()))
    };
    let policy = WeightPolicy::default();

    let mut atlas = Lineage::default();
    let r = import_edges(
        &mut atlas,
        &read("data/model-atlas/hf_model_parent_edges.csv"),
        &policy,
    )
    .unwrap();
    eprintln!(
        "model-atlas edges: {} rows, {} nodes, {} edges, {} skipped",
        r.rows,
        r.nodes_added,
        r.edges_added,
        r.skipped.len()
    );
    assert_eq!(r.rows, 21_891);
    assert!(r.edges_added > 20_000);
    let g = atlas.graph().unwrap();
    let mut annotated = Lineage::default();
    let r = import_edges(
        &mut annotated,
        &read("data/model-atlas/manually_annotated.csv"),
        &policy,
    )
    .unwrap();
    assert_eq!(r.rows, 1_094);
    assert!(
        r.skipped
            .iter()
            .all(|s| !s.reason.contains("unknown relation")),
        "{:?}",
        r.skipped
    );
    annotated.graph().unwrap();

    let mut epoch = Lineage::default();
    let r = import_epoch(
        &mut epoch,
        &read("data/epoch-ai/all_ai_models.csv"),
        &policy,
    )
    .unwrap();
    eprintln!(
        "epoch: {} rows, {} nodes, {} edges, {} skipped",
        r.rows,
        r.nodes_added,
        r.edges_added,
        r.skipped.len()
    );
    assert_eq!(r.rows, 2_228);
    epoch.graph().unwrap();

    for node in (0..g.node_count() as u32).step_by(97) {
        let f = g.flatten(node, 123_456_789);
        assert_eq!(f.iter().map(|x| x.keeps).sum::<u64>(), 123_456_789);
    }
}

#[test]
fn kinds_and_comments_in_edge_lists() {
    let (l, r) = import("# attribution: public model cards\nchild,parent,relation,child_kind,parent_kind\nbert,attention-paper,architecture,model,paper\n# a comment\nbert,wiki,dataset,,\nx,y,finetune,robot,\n");
    assert_eq!(r.edges_added, 2, "{l:?} {r:?}");
    assert_eq!(
        l.nodes[l.find("attention-paper").unwrap() as usize].kind,
        Kind::Paper
    );
    assert_eq!(
        l.nodes[l.find("wiki").unwrap() as usize].kind,
        Kind::Dataset
    );
    assert!(r.skipped[0].reason.contains("unknown kind 'robot'"));
}
