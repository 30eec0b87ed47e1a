"""An independent oracle for MVC transaction ids and FORKID sighash preimages: mvclib
(PyPI, the MVC team's Python library), run at test time by crates/bitmodel-mvc/tests/vectors.rs.

Reads one JSON object per line on stdin:
    {"tx": "<hex>", "inputs": [{"script_code": "<hex>", "value": n, "sighash": n}, ...]}
and writes one per line on stdout:
    {"txid": "<hex>", "preimages": ["<hex>", ...]}
"""
import json
import sys

from mvclib.script.script import Script
from mvclib.transaction.transaction import Transaction

for line in sys.stdin:
    case = json.loads(line)
    tx = Transaction.from_hex(case["tx"])
    if tx is None:
        raise SystemExit("mvclib could not parse a transaction: " + case["tx"][:80])
    for tin, spec in zip(tx.tx_inputs, case["inputs"]):
        tin.locking_script = Script(bytes.fromhex(spec["script_code"]))
        tin.satoshi = spec["value"]
        tin.sighash = spec["sighash"]
    out = {"txid": tx.txid(), "preimages": [p.hex() for p in tx.digests()]}
    print(json.dumps(out), flush=True)
