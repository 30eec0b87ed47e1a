//! One commit/reveal pair paid by the wallet: the wallet funds the commit, the inscription
//! key signs the reveal, both are broadcast and noted in the wallet. `bitmodel register` (a
//! record and each further part of its file) and the demo seed (a lineage layer per reveal)
//! both inscribe this way.

use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::{Amount, FeeRate, OutPoint, Transaction, TxOut, Txid};
use bitmodel_protocol::envelope::Inscription;
use bitmodel_wallet::reveal::Reveal;
use bitmodel_wallet::Wallet;

pub struct Inscribed {
    pub commit: Txid,
    pub reveal: Txid,
    /// Commit and reveal fees together.
    pub fees: u64,
}

/// Inscribes `inscriptions` (asset ids `<reveal>i0`, `i1`, …) with `postage` as the reveal's
/// outputs, at `rate`; `broadcast` sends each transaction to the node.
pub fn inscribe(
    wallet: &mut Wallet,
    broadcast: &dyn Fn(&Transaction) -> anyhow::Result<Txid>,
    secp: &Secp256k1<bitcoin::secp256k1::All>,
    keypair: &Keypair,
    inscriptions: &[Inscription],
    postage: &[TxOut],
    rate: FeeRate,
) -> anyhow::Result<Inscribed> {
    let reveal = Reveal::new(secp, keypair.x_only_public_key().0, inscriptions)?;
    let reveal_fee = rate.to_sat_per_vb_ceil() * reveal.vsize(postage);
    let commit_value = postage.iter().map(|o| o.value.to_sat()).sum::<u64>() + reveal_fee;
    let commit = wallet.pay(
        &[(
            reveal.commit_script_pubkey(),
            Amount::from_sat(commit_value),
        )],
        rate,
    )?;
    let vout = commit
        .output
        .iter()
        .position(|o| o.script_pubkey == reveal.commit_script_pubkey())
        .expect("the commit pays the reveal address");
    let commit_fee = wallet.fee(&commit).unwrap_or(0);
    let commit_txid = broadcast(&commit)?;
    wallet.note_broadcast(commit)?;
    let reveal_tx = reveal.reveal(
        secp,
        keypair,
        OutPoint {
            txid: commit_txid,
            vout: vout as u32,
        },
        commit_value,
        postage.to_vec(),
        reveal_fee,
    )?;
    let reveal_txid = broadcast(&reveal_tx)?;
    wallet.note_broadcast(reveal_tx)?;
    Ok(Inscribed {
        commit: commit_txid,
        reveal: reveal_txid,
        fees: commit_fee + reveal_fee,
    })
}
