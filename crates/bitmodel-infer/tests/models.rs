//! Real third-party ONNX models from ../shared/models run through tract: a text-direction
//! classifier (PP-OCR) and a voice-activity detector (Silero VAD).

use bitmodel_infer::{InferError, Model, Tensor};

fn model(name: &str) -> Vec<u8> {
    let shared = bitmodel_testkit::shared_dir();
    let path = shared.join("models").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn ppocr_classifier_gives_two_probabilities_per_image() {
    let m = Model::load(&model("ppocr_mobile_v2_cls.onnx")).unwrap();
    assert_eq!(m.input_names().len(), 1);
    for batch in [1usize, 3] {
        let n = batch * 3 * 48 * 192;
        let data: Vec<f64> = (0..n).map(|i| ((i % 97) as f64 / 97.0) - 0.5).collect();
        let out = m
            .run(&[Tensor {
                name: None,
                shape: vec![batch, 3, 48, 192],
                dtype: "float32".into(),
                data,
            }])
            .unwrap();
        assert_eq!(out[0].shape, vec![batch, 2]);
        for row in out[0].data.chunks(2) {
            assert!(
                (row[0] + row[1] - 1.0).abs() < 1e-4,
                "softmax rows sum to 1: {row:?}"
            );
        }
    }
    // Same shape twice: the plan is reused, the answer identical.
    let data = vec![0.25; 3 * 48 * 192];
    let t = Tensor {
        name: None,
        shape: vec![1, 3, 48, 192],
        dtype: "float32".into(),
        data,
    };
    assert_eq!(
        m.run(std::slice::from_ref(&t)).unwrap(),
        m.run(std::slice::from_ref(&t)).unwrap()
    );
}

#[test]
fn silero_vad_runs_with_its_state() {
    let m = Model::load(&model("silero_vad_16k.onnx")).unwrap();
    let names = m.input_names().to_vec();
    let inputs: Vec<Tensor> = names
        .iter()
        .map(|n| match n.as_str() {
            "input" => Tensor {
                name: Some(n.clone()),
                shape: vec![1, 576],
                dtype: "float32".into(),
                data: (0..576).map(|i| (i as f64 * 0.05).sin() * 0.1).collect(),
            },
            "state" => Tensor {
                name: Some(n.clone()),
                shape: vec![2, 1, 128],
                dtype: "float32".into(),
                data: vec![0.0; 256],
            },
            other => panic!("unexpected input {other} in {names:?}"),
        })
        .collect();
    let out = m.run(&inputs).unwrap();
    assert_eq!(out[0].shape, vec![1, 1]);
    assert!(
        (0.0..=1.0).contains(&out[0].data[0]),
        "a speech probability: {:?}",
        out[0].data
    );
    assert_eq!(out[1].shape, vec![2, 1, 128], "the next state");
}

#[test]
fn bad_inputs_are_named() {
    let m = Model::load(&model("ppocr_mobile_v2_cls.onnx")).unwrap();
    assert!(matches!(
        m.run(&[]),
        Err(InferError::InputCount {
            expected: 1,
            got: 0,
            ..
        })
    ));
    let short = Tensor {
        name: None,
        shape: vec![1, 3, 48, 192],
        dtype: "float32".into(),
        data: vec![0.0; 10],
    };
    assert!(matches!(
        m.run(&[short]),
        Err(InferError::DataLength {
            want: 27_648,
            got: 10,
            ..
        })
    ));
    let odd = Tensor {
        name: None,
        shape: vec![1],
        dtype: "bfloat16".into(),
        data: vec![0.0],
    };
    assert!(matches!(m.run(&[odd]), Err(InferError::DType { .. })));
    assert!(matches!(
        Model::load(b"not onnx"),
        Err(InferError::BadModel(_))
    ));
}
