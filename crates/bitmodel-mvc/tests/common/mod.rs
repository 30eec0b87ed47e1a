//! What the node tests share: the test wallet's key (from the BIP39 test mnemonic, on MVC's
//! path) and a BSV regtest node whose first 101 blocks pay it.
#![allow(dead_code)]

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Network, OutPoint, TxOut};
use bitmodel_mvc::keys::receive_key;
use bitmodel_testkit::bsv::BsvNode;

pub const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

pub struct Funded {
    pub node: BsvNode,
    pub key: SecretKey,
    pub pk: bitcoin::PublicKey,
    pub address: bitcoin::Address,
    /// Block 1's coinbase output (mature): the wallet's first coin.
    pub coin: (OutPoint, TxOut),
}

/// A node, the wallet key, and 101 blocks mined to the wallet.
pub fn funded() -> Funded {
    let node = BsvNode::start();
    let secp = Secp256k1::new();
    let seed = bip39::Mnemonic::parse(WORDS).unwrap().to_seed("");
    let key = receive_key(&secp, &seed, 0).unwrap();
    let pk = bitcoin::PublicKey::new(key.public_key(&secp));
    let address = bitcoin::Address::p2pkh(pk, Network::Regtest);
    node.mine_to(101, &address.to_string());
    let c = node.client();
    let cb = c.get_block(&c.get_block_hash(1).unwrap()).unwrap().txdata[0].clone();
    assert_eq!(cb.output[0].script_pubkey, address.script_pubkey());
    let coin = (OutPoint::new(cb.compute_txid(), 0), cb.output[0].clone());
    Funded {
        node,
        key,
        pk,
        address,
        coin,
    }
}
