"""Train Bitmodel's demo model: a small MLP that reads 8x8 handwritten digits.

Data: scikit-learn's bundled `load_digits()` (UCI Optical Recognition of Handwritten Digits,
Alpaydin & Kaynak 1998, CC BY 4.0): 1797 images of 64 pixels valued 0..16, so nothing is
downloaded. A one-hidden-layer MLPClassifier (32 ReLU units) is trained on inputs scaled by
1/16 with fixed seeds.

The ONNX graph is built by hand with `onnx.helper` rather than by a converter such as
skl2onnx: it uses only standard ai.onnx ops (Div, MatMul, Add, Relu, Softmax, ArgMax; opset
13, IR version 8) so that tract, the engine behind Bitmodel's inference, runs it as is. There
is no ZipMap and no ai.onnx.ml op. The graph takes raw pixels (`image`, float32 [N,64]) and
gives `probabilities` (float32 [N,10]) and `label` (int64 [N]).

Writes into --out (default: this file's directory):
  digits.onnx   the model
  samples.json  one correctly classified test image per digit 0..9
  input.json    the digit-7 sample as an inference request's tensor list

Rerun from the repository root:
  python3 -m venv .venv && .venv/bin/pip install -r demo/model/requirements.txt \
    && .venv/bin/python demo/model/train_digits.py
"""

import argparse
import json
import os
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

DATASET = ("scikit-learn's digits dataset (UCI Optical Recognition of Handwritten Digits, "
           "Alpaydin & Kaynak 1998, CC BY 4.0)")


def train():
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=2000,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # fail rather than under-train
        clf.fit(x_tr / 16.0, y_tr)
    assert list(clf.classes_) == list(range(10))
    return clf, x_te, y_te


def build_onnx(clf, accuracy):
    w1, w2 = (w.astype(np.float32) for w in clf.coefs_)
    b1, b2 = (b.astype(np.float32) for b in clf.intercepts_)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (np.array(16.0, np.float32), "scale"), (w1, "W1"), (b1, "b1"), (w2, "W2"), (b2, "b2")]]
    nodes = [
        helper.make_node("Div", ["image", "scale"], ["x"]),
        helper.make_node("MatMul", ["x", "W1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "W2"], ["z0"]),
        helper.make_node("Add", ["z0", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="bitmodel-demo",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    model.doc_string = (
        f"Digit classifier (8x8 images, pixels 0..16) trained by demo/model/train_digits.py "
        f"on {DATASET}. Test accuracy {accuracy:.4f}. Model license: CC-BY-4.0.")
    helper.set_model_props(model, {
        "trained_by": "demo/model/train_digits.py",
        "dataset": DATASET,
        "test_accuracy": f"{accuracy:.4f}",
        "license": "CC-BY-4.0",
    })
    onnx.checker.check_model(model, full_check=True)
    return model, (w1, b1, w2, b2)


def numpy_forward(weights, images):
    w1, b1, w2, b2 = weights
    h = np.maximum((images.astype(np.float32) / np.float32(16)) @ w1 + b1, 0)
    return np.argmax(h @ w2 + b2, axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)

    clf, x_te, y_te = train()
    pred = clf.predict(x_te / 16.0)
    accuracy = float(np.mean(pred == y_te))
    print(f"test accuracy: {accuracy:.4f} ({int(np.sum(pred == y_te))}/{len(y_te)}), "
          f"{clf.n_iter_} iterations")

    model, weights = build_onnx(clf, accuracy)
    assert np.array_equal(numpy_forward(weights, x_te), pred), "numpy forward pass differs"
    _, labels = ReferenceEvaluator(model).run(None, {"image": x_te.astype(np.float32)})
    assert np.array_equal(labels, pred), "ONNX reference run differs from sklearn"

    path = os.path.join(out, "digits.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    samples = []
    for digit in range(10):
        i = next(i for i in range(len(y_te)) if y_te[i] == digit and pred[i] == digit)
        samples.append({"label": digit, "image": [int(v) for v in x_te[i]]})
    with open(os.path.join(out, "samples.json"), "w") as f:
        json.dump({"input_name": "image", "samples": samples}, f)
        f.write("\n")
    seven = [float(v) for v in samples[7]["image"]]
    with open(os.path.join(out, "input.json"), "w") as f:
        json.dump({"inputs": [{"name": "image", "shape": [1, 64], "dtype": "float32",
                               "data": seven}]}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
