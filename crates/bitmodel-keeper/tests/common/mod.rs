//! The devnet world the keeper's tests run in: a devnet, an index of it, and the steps the
//! tests take (register, pay, keeper rounds).
#![allow(dead_code)]

use bitcoin::Amount;
use bitmodel_covenant::Utxo;
use bitmodel_devnet::Devnet;
use bitmodel_index::sync::sync;
use bitmodel_index::Index;
use bitmodel_keeper::{Keeper, PushKind};
use bitmodel_protocol::{AssetId, Chain, Record};
use bitmodel_rpc::Client;

pub struct World {
    pub dn: Devnet,
    pub client: Client,
    pub index: Index,
    _dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> World {
        let dn = Devnet::spawn().unwrap();
        let client = dn.client().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("i.redb"), Chain::Devnet).unwrap();
        World {
            dn,
            client,
            index,
            _dir: dir,
        }
    }

    pub fn register(&self, r: &Record) -> AssetId {
        let id = bitmodel_testkit::assets::register(&self.dn, r, "text/plain", b"card".to_vec());
        self.sync();
        assert!(
            self.index.asset(&id).unwrap().is_some(),
            "{} registered: {:?}",
            r.name,
            self.index.invalid(&id).unwrap()
        );
        id
    }

    pub fn sync(&self) {
        sync(&self.index, &self.client, 0, |_, _| {}).unwrap();
    }

    pub fn pay(&self, id: &AssetId, sats: u64) {
        self.sync();
        let vault = self.index.asset(id).unwrap().unwrap().vault.unwrap();
        self.dn.fund(&vault, Amount::from_sat(sats)).unwrap();
        self.sync();
    }

    /// Keeper rounds, a block after each, until a round pushes nothing; the pushes per round.
    pub fn keep(
        &self,
        keeper: &mut Keeper,
        max_rounds: usize,
    ) -> Vec<Vec<(Option<u16>, PushKind)>> {
        let mut rounds = Vec::new();
        for _ in 0..max_rounds {
            self.sync();
            let r = keeper
                .round(&self.index, |tx| {
                    self.dn.submit(tx.clone()).map_err(|r| format!("{r:?}"))
                })
                .unwrap();
            assert!(
                r.refused.is_empty(),
                "the devnet refused a push: {:?}",
                r.refused
            );
            if r.pushed.is_empty() {
                break;
            }
            rounds.push(
                r.pushed
                    .iter()
                    .map(|(h, p, _)| (h.splitter, p.kind))
                    .collect(),
            );
            self.dn.mine(1).unwrap();
        }
        self.sync();
        rounds
    }

    pub fn utxos(&self, id: &AssetId) -> Vec<Utxo> {
        self.index
            .vault_status(id)
            .unwrap()
            .unwrap()
            .utxos
            .iter()
            .map(|(outpoint, u)| Utxo {
                outpoint: *outpoint,
                amount: u.amount,
            })
            .collect()
    }

    /// One keeper round; pushes go to the devnet's mempool.
    pub fn round(&self, keeper: &mut Keeper) -> bitmodel_keeper::Round {
        self.sync();
        keeper
            .round(&self.index, |tx| {
                self.dn.submit(tx.clone()).map_err(|r| format!("{r:?}"))
            })
            .unwrap()
    }
}
