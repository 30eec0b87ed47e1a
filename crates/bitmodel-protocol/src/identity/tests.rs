//! Identities from the real header hashes of Bitcoin and Fractal chains.

use super::*;

const BITCOIN_GENESIS: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
const TESTNET3_GENESIS: &str = "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943";
const TESTNET4_GENESIS: &str = "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043";
const SIGNET_GENESIS: &str = "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6";
const REGTEST_GENESIS: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

fn facts(chain: &str, genesis: &str, block1: Option<(&str, u64)>) -> ChainFacts {
    ChainFacts {
        chain: chain.into(),
        genesis: hash(genesis),
        block1: block1.map(|(h, sats)| Block1 {
            hash: hash(h),
            coinbase_sats: sats,
        }),
        op_cat_deployment: None,
        bitcoin_sv: false,
    }
}

fn id(chain: &str, genesis: &str, block1: Option<(&str, u64)>) -> Identity {
    Identity::from_facts(&facts(chain, genesis, block1))
}

const COIN: u64 = 100_000_000;

#[test]
fn rust_bitcoin_genesis_constants_are_the_real_ones() {
    assert_eq!(genesis_of(Network::Bitcoin), hash(BITCOIN_GENESIS));
    assert_eq!(genesis_of(Network::Testnet), hash(TESTNET3_GENESIS));
    assert_eq!(genesis_of(Network::Testnet4), hash(TESTNET4_GENESIS));
    assert_eq!(genesis_of(Network::Signet), hash(SIGNET_GENESIS));
    assert_eq!(genesis_of(Network::Regtest), hash(REGTEST_GENESIS));
}

#[test]
fn same_genesis_other_block1_tells_fractal_from_bitcoin() {
    let bitcoin = id(
        "main",
        BITCOIN_GENESIS,
        Some((BITCOIN_MAIN_BLOCK1, 50 * COIN)),
    );
    let fractal = id("main", BITCOIN_GENESIS, Some((FRACTAL_MAIN_BLOCK1, 0)));
    assert_eq!(bitcoin.node, NodeChain::BitcoinMainnet);
    assert_eq!(fractal.node, NodeChain::FractalMainnet);
    assert!(!bitcoin.has_op_cat());
    assert!(fractal.has_op_cat());
    assert!(!bitcoin.same_chain(&fractal));
    // Fractal testnet: chain "test" on Bitcoin mainnet's genesis, its own block 1.
    let ft = id("test", BITCOIN_GENESIS, Some((FRACTAL_TEST_BLOCK1, 0)));
    assert_eq!(ft.node, NodeChain::FractalTestnet);
    assert!(ft.has_op_cat());
    // Bitcoin's block 1 on a node that says "test" is nothing we know.
    assert_eq!(
        id("test", BITCOIN_GENESIS, Some((BITCOIN_MAIN_BLOCK1, 0))).node,
        NodeChain::Other
    );
    // A Bitcoin fork after block 1 (BCH, BSV) has Bitcoin's block 1: no OP_CAT in tapscript.
    assert!(!id("main", BITCOIN_GENESIS, Some((BITCOIN_MAIN_BLOCK1, 0))).has_op_cat());
}

#[test]
fn bitcoin_testnets_signet() {
    let t3 = id(
        "test",
        TESTNET3_GENESIS,
        Some((BITCOIN_TEST_BLOCK1, 50 * COIN)),
    );
    assert_eq!(t3.node, NodeChain::BitcoinTestnet3);
    assert_eq!(
        id("testnet4", TESTNET4_GENESIS, None).node,
        NodeChain::BitcoinTestnet4
    );
    let core = id("signet", SIGNET_GENESIS, None);
    assert_eq!(core.node, NodeChain::Signet { op_cat: false });
    let mut f = facts("signet", SIGNET_GENESIS, None);
    f.op_cat_deployment = Some(true);
    let inq = Identity::from_facts(&f);
    assert!(inq.has_op_cat());
    assert!(Chain::InquisitionSignet.verify(&inq).unwrap().has_op_cat());
    let e = Chain::InquisitionSignet.verify(&core).unwrap_err();
    assert!(e.to_string().contains("anyone-can-spend"), "{e}");
    assert!(!Chain::Signet.verify(&inq).unwrap().has_op_cat());
}

#[test]
fn regtest_block1_coinbase_tells_fractal_from_core() {
    let b1 = "3c3c2bd6d3ac5a6a7e4c1a5c4a2b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
    let fractal = id("regtest", REGTEST_GENESIS, Some((b1, FRACTAL_BLOCK1_SATS)));
    let core = id("regtest", REGTEST_GENESIS, Some((b1, 50 * COIN)));
    let empty = id("regtest", REGTEST_GENESIS, None);
    assert_eq!(fractal.node, NodeChain::FractalRegtest);
    assert_eq!(
        core.node,
        NodeChain::BitcoinRegtest {
            block1_sats: 50 * COIN
        }
    );
    assert!(matches!(empty.node, NodeChain::Unidentified { .. }));
    assert!(fractal.has_op_cat() && !core.has_op_cat() && !empty.has_op_cat());
    // Exactly 50 coins is still Bitcoin's rule; one sat more is not.
    let at = id(
        "regtest",
        REGTEST_GENESIS,
        Some((b1, BITCOIN_BLOCK1_MAX_SATS)),
    );
    assert!(!at.has_op_cat());
}

#[test]
fn claims_are_checked() {
    let b1 = "3c3c2bd6d3ac5a6a7e4c1a5c4a2b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
    let fractal_rt = id("regtest", REGTEST_GENESIS, Some((b1, FRACTAL_BLOCK1_SATS)));
    let core_rt = id("regtest", REGTEST_GENESIS, Some((b1, 50 * COIN)));
    let ltc = id("regtest", LITECOIN_REGTEST_GENESIS, None);
    let empty_rt = id("regtest", REGTEST_GENESIS, None);
    let btc = id(
        "main",
        BITCOIN_GENESIS,
        Some((BITCOIN_MAIN_BLOCK1, 50 * COIN)),
    );
    let frac = id("main", BITCOIN_GENESIS, Some((FRACTAL_MAIN_BLOCK1, 0)));

    for c in [Chain::Devnet, Chain::FractalRegtest] {
        assert!(c.verify(&fractal_rt).unwrap().has_op_cat());
        for other in [&core_rt, &ltc, &btc, &frac] {
            let e = c.verify(other).unwrap_err();
            assert!(e.to_string().contains(&format!("not {c}")), "{e}");
        }
        // Not yet identifiable: accepted, without vaults.
        let v = c.verify(&empty_rt).unwrap();
        assert!(!v.has_op_cat());
        assert!(v.why_no_vaults().unwrap().contains("block 1"));
    }
    // The message the issue asks for.
    let e = Chain::Fractal.verify(&btc).unwrap_err().to_string();
    assert!(
        e.starts_with("Bitcoin mainnet (block 1 is 00000000839a8e…), not fractal"),
        "{e}"
    );
    assert!(e.contains("refusing to pay into a vault, which would be anyone-can-spend there"));
    // The devnet (Fractal regtest) claimed as other networks.
    for c in [
        Chain::Bitcoin,
        Chain::Fractal,
        Chain::FractalTestnet,
        Chain::Regtest,
    ] {
        assert!(c.verify(&fractal_rt).is_err(), "{c}");
    }
    // Plain regtest nodes without OP_CAT.
    assert!(!Chain::Regtest.verify(&core_rt).unwrap().has_op_cat());
    assert!(!Chain::Regtest.verify(&ltc).unwrap().has_op_cat());
    assert!(Chain::Regtest.verify(&empty_rt).is_ok());
    assert!(Chain::Bitcoin.verify(&btc).is_ok());
    assert!(Chain::Bitcoin.verify(&frac).is_err());
    assert!(Chain::Fractal.verify(&frac).unwrap().has_op_cat());
    // A syncing Fractal node with only its genesis: not identified, so no vaults.
    let bare_main = id("main", BITCOIN_GENESIS, None);
    let v = Chain::Fractal.verify(&bare_main).unwrap();
    assert!(!v.has_op_cat());
    // …and a regtest genesis is not mainnet's.
    assert!(Chain::Fractal.verify(&empty_rt).is_err());
}

#[test]
fn same_chain_tolerates_a_block1_that_appeared() {
    let b1 = "3c3c2bd6d3ac5a6a7e4c1a5c4a2b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
    let b1b = "1c3c2bd6d3ac5a6a7e4c1a5c4a2b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
    let before = id("regtest", REGTEST_GENESIS, None);
    let after = id("regtest", REGTEST_GENESIS, Some((b1, FRACTAL_BLOCK1_SATS)));
    let another = id("regtest", REGTEST_GENESIS, Some((b1b, FRACTAL_BLOCK1_SATS)));
    assert!(before.same_chain(&after) && after.same_chain(&before));
    assert!(!after.same_chain(&another));
    assert!(!after.same_chain(&id("regtest", LITECOIN_REGTEST_GENESIS, None)));
}

#[test]
fn identities_round_trip_through_json() {
    let i = id("main", BITCOIN_GENESIS, Some((FRACTAL_MAIN_BLOCK1, 0)));
    let s = serde_json::to_string(&i).unwrap();
    assert_eq!(serde_json::from_str::<Identity>(&s).unwrap(), i);
}

/// MVC is told by its genesis; BSV's regtest by the node being BSV on Bitcoin's regtest
/// genesis. A Bitcoin Core regtest claimed as `bsv-regtest` is refused: the splitter's
/// opcodes are disabled there and money paid into it would be lost.
#[test]
fn mvc_and_bsv_regtest() {
    let mvc = Identity::from_facts(&facts(
        "main",
        MVC_MAIN_GENESIS,
        Some((MVC_MAIN_GENESIS, 0)),
    ));
    assert_eq!(mvc.node, NodeChain::MvcMainnet);
    assert!(mvc.has_push_tx() && !mvc.has_op_cat());
    let v = Chain::Mvc.verify(&mvc).unwrap();
    assert!(v.has_vaults() && v.has_push_tx() && !v.has_op_cat() && v.why_no_vaults().is_none());
    let mt = Identity::from_facts(&facts("test", MVC_TEST_GENESIS, None));
    assert_eq!(mt.node, NodeChain::MvcTestnet);
    assert!(Chain::Mvc.verify(&mt).is_err() && Chain::MvcTestnet.verify(&mt).is_ok());
    // MVC claimed against a Fractal or Bitcoin node, and Fractal claimed against MVC.
    let fractal = Identity::from_facts(&facts(
        "main",
        BITCOIN_GENESIS,
        Some((FRACTAL_MAIN_BLOCK1, 0)),
    ));
    assert!(Chain::Mvc.verify(&fractal).is_err());
    assert!(Chain::Fractal.verify(&mvc).is_err());

    let mut bsv = facts(
        "regtest",
        REGTEST_GENESIS,
        Some((REGTEST_GENESIS, 50 * 100_000_000)),
    );
    bsv.bitcoin_sv = true;
    let bsv_id = Identity::from_facts(&bsv);
    assert_eq!(bsv_id.node, NodeChain::BsvRegtest);
    assert!(Chain::BsvRegtest.verify(&bsv_id).unwrap().has_vaults());
    // Not Bitcoin Core's regtest, not Fractal's.
    assert!(Chain::Regtest.verify(&bsv_id).is_err());
    assert!(Chain::FractalRegtest.verify(&bsv_id).is_err());
    // Even before block 1.
    bsv.block1 = None;
    assert_eq!(Identity::from_facts(&bsv).node, NodeChain::BsvRegtest);
    // A "BSV" node paying Fractal's block 1 is not what it says.
    bsv.block1 = Some(Block1 {
        hash: hash(REGTEST_GENESIS),
        coinbase_sats: FRACTAL_BLOCK1_SATS,
    });
    assert_eq!(Identity::from_facts(&bsv).node, NodeChain::Other);

    let core = Identity::from_facts(&facts(
        "regtest",
        REGTEST_GENESIS,
        Some((REGTEST_GENESIS, 50 * 100_000_000)),
    ));
    let e = Chain::BsvRegtest.verify(&core).unwrap_err();
    assert!(e.to_string().contains("splitter"), "{e}");
    let fresh = Identity::from_facts(&facts("regtest", REGTEST_GENESIS, None));
    assert!(
        Chain::BsvRegtest.verify(&fresh).is_err(),
        "an unidentified regtest is not BSV"
    );
}
