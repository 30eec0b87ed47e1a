//! The index served by the one process that owns it. redb lets one process open a database
//! file, and `bitmodel up` keeps its index open while it follows the chain, so a CLI command
//! beside it reads the same index through `up`'s server instead (`POST /api/v1/index`, one
//! [`Query`] in, its answer out, in the index's own row types). ord's wallet talks to ord's
//! server the same way. [`Reader`] is what commands hold: the index itself, or the server's.
//! Why: `docs/adr/0002-cli-beside-a-running-node.md`.

use std::time::{Duration, Instant};

use bitcoin::{BlockHash, OutPoint, ScriptBuf, Txid};
use bitmodel_covenant::vault::ParentShare;
use bitmodel_covenant::{Vault, VaultTerms};
use bitmodel_protocol::{AssetId, Chain, Identity};
use bitmodel_rpc::web::Web;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rows::{AssetRow, AssetStats, Earnings, Event, InvalidRow, VaultUtxo};
use crate::{Index, IndexError, Totals, VaultStatus};

/// One read of the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", content = "arg", rename_all = "snake_case")]
pub enum Query {
    /// What the index knows of the chain: [`Head`].
    Head,
    Asset(AssetId),
    Invalid(AssetId),
    Ancestry(AssetId),
    VaultTerms(AssetId),
    /// The terms of the asset's splitters in pre-order (records with more than 11 members).
    Splitters(AssetId),
    VaultStatus(AssetId),
    Stats(AssetId),
    EventsFor(AssetId),
    VaultUtxos,
    Earnings(ScriptBuf),
    Totals,
    AssetCount,
}

/// The index's chain, start height and tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub chain: Chain,
    pub identity: Option<Identity>,
    pub start: Option<u32>,
    pub tip: Option<(u32, BlockHash)>,
}

/// [`VaultTerms`] as they travel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Terms {
    parents: Vec<(ScriptBuf, u16)>,
    owner: ScriptBuf,
    fee_cap: u64,
    #[serde(default = "bps")]
    denominator: u16,
}

fn bps() -> u16 {
    bitmodel_protocol::BPS
}

impl Terms {
    fn of(t: VaultTerms) -> Terms {
        Terms {
            parents: t
                .parents
                .into_iter()
                .map(|p| (p.script_pubkey, p.weight))
                .collect(),
            owner: t.owner,
            fee_cap: t.fee_cap,
            denominator: t.denominator,
        }
    }

    fn into_terms(self) -> VaultTerms {
        VaultTerms {
            parents: self
                .parents
                .into_iter()
                .map(|(script_pubkey, weight)| ParentShare {
                    script_pubkey,
                    weight,
                })
                .collect(),
            owner: self.owner,
            fee_cap: self.fee_cap,
            denominator: self.denominator,
        }
    }
}

/// [`VaultStatus`] as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Status {
    balance: u64,
    utxos: Vec<(OutPoint, VaultUtxo)>,
    threshold_at_cap: Option<u64>,
    shared_with: Option<AssetId>,
    #[serde(default)]
    splitters: Vec<(OutPoint, VaultUtxo)>,
}

/// [`Totals`] as they travel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Sums {
    payments_in: u64,
    paid_out: u64,
    fees: u64,
    waiting: u64,
    to_parents: u64,
    from_children: u64,
}

fn json<T: Serialize>(v: T) -> Value {
    serde_json::to_value(v).expect("index rows serialise to json")
}

impl Index {
    /// Answers one query, for a client that cannot open the index itself.
    pub fn answer(&self, q: &Query) -> Result<Value, IndexError> {
        Ok(match q {
            Query::Head => json(Head {
                chain: self.chain,
                identity: self.identity()?,
                start: self.stored_start()?,
                tip: self.tip()?,
            }),
            Query::Asset(id) => json(self.asset(id)?),
            Query::Invalid(id) => json(self.invalid(id)?),
            Query::Ancestry(id) => json(self.ancestry(id)?),
            Query::VaultTerms(id) => json(self.vault_terms(id)?.map(Terms::of)),
            Query::Splitters(id) => json(self.splitters(id)?.map(|vs| {
                vs.into_iter()
                    .map(|v| Terms::of(v.terms))
                    .collect::<Vec<_>>()
            })),
            Query::VaultStatus(id) => json(self.vault_status(id)?.map(|s| Status {
                balance: s.balance,
                utxos: s.utxos,
                threshold_at_cap: s.threshold_at_cap,
                shared_with: s.shared_with,
                splitters: s.splitters,
            })),
            Query::Stats(id) => json(self.stats(id)?),
            Query::EventsFor(id) => json(self.events_for(id)?),
            Query::VaultUtxos => json(self.vault_utxos_by_asset()?),
            Query::Earnings(spk) => json(self.earnings(spk)?),
            Query::Totals => {
                let t = self.totals()?;
                json(Sums {
                    payments_in: t.payments_in,
                    paid_out: t.paid_out,
                    fees: t.fees,
                    waiting: t.waiting,
                    to_parents: t.to_parents,
                    from_children: t.from_children,
                })
            }
            Query::AssetCount => json(self.asset_count()?),
        })
    }
}

/// A running node's index, read through its server.
pub struct Remote {
    web: Web,
    url: String,
    chain: Chain,
}

impl Remote {
    /// The index served at `url` (`http://host:port/`), which must be of `chain`.
    pub fn connect(url: &str, chain: Chain) -> Result<Remote, IndexError> {
        let web = Web::new(url.trim_end_matches('/'))
            .map_err(|e| IndexError::RemoteFailed {
                what: url.to_owned(),
                source: e.into(),
            })?
            .with_timeout(Duration::from_secs(30));
        let r = Remote {
            web,
            url: url.to_owned(),
            chain,
        };
        let head = r.head()?;
        if head.chain != chain {
            return Err(IndexError::Remote(format!(
                "the node at {url} indexes {}, not {chain}",
                head.chain
            )));
        }
        Ok(r)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn get<T: DeserializeOwned>(&self, q: Query) -> Result<T, IndexError> {
        let body = serde_json::to_value(&q).expect("queries serialise");
        let r =
            self.web
                .post_json("/api/v1/index", &body)
                .map_err(|e| IndexError::RemoteFailed {
                    what: self.url.clone(),
                    source: e.into(),
                })?;
        if r.status != 200 {
            return Err(IndexError::Remote(format!(
                "{} answered http {} to {q:?}: {}",
                self.url,
                r.status,
                String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
            )));
        }
        serde_json::from_slice(&r.body).map_err(|e| IndexError::RemoteFailed {
            what: format!("{}: undecodable answer to {q:?}", self.url),
            source: e.into(),
        })
    }

    pub fn head(&self) -> Result<Head, IndexError> {
        self.get(Query::Head)
    }

    /// Waits (up to `timeout`) until the server has indexed `hash`, the node's tip, so a
    /// command sees what it just did.
    pub fn catch_up(&self, hash: &BlockHash, timeout: Duration) -> Result<(), IndexError> {
        let deadline = Instant::now() + timeout;
        loop {
            let head = self.head()?;
            if head.tip.is_some_and(|(_, h)| h == *hash) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(IndexError::Remote(format!(
                    "the node at {} has not indexed block {hash} within {} s (its tip: {:?})",
                    self.url,
                    timeout.as_secs(),
                    head.tip
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The index a command reads: its own, or a running node's.
pub enum Reader {
    Local(Index),
    Remote(Remote),
}

macro_rules! read {
    ($( $(#[$doc:meta])* $name:ident($($arg:ident: $t:ty),*) -> $ret:ty = $q:expr; )*) => {$(
        $(#[$doc])*
        pub fn $name(&self, $($arg: $t),*) -> Result<$ret, IndexError> {
            match self {
                Reader::Local(i) => i.$name($($arg),*),
                Reader::Remote(r) => r.get($q),
            }
        }
    )*};
}

impl Reader {
    read! {
        asset(id: &AssetId) -> Option<AssetRow> = Query::Asset(*id);
        invalid(id: &AssetId) -> Option<InvalidRow> = Query::Invalid(*id);
        ancestry(id: &AssetId) -> Vec<AssetRow> = Query::Ancestry(*id);
        stats(id: &AssetId) -> Option<AssetStats> = Query::Stats(*id);
        events_for(id: &AssetId) -> Vec<(Txid, Event)> = Query::EventsFor(*id);
        earnings(spk: &bitcoin::Script) -> Earnings = Query::Earnings(spk.to_owned());
        asset_count() -> u64 = Query::AssetCount;
        /// Every vault UTXO, grouped by the asset its vault is booked to.
        vault_utxos_by_asset() -> Vec<(AssetId, Vec<(OutPoint, VaultUtxo)>)> = Query::VaultUtxos;
    }

    pub fn chain(&self) -> Chain {
        match self {
            Reader::Local(i) => i.chain(),
            Reader::Remote(r) => r.chain,
        }
    }

    /// The height the index starts at ([`Index::start_height`]); a running node's index
    /// cannot be restarted from here.
    pub fn start_height(&self, requested: Option<u32>, default: u32) -> Result<u32, IndexError> {
        match self {
            Reader::Local(i) => i.start_height(requested, default),
            Reader::Remote(r) => match (r.head()?.start, requested) {
                (Some(s), Some(req)) if s != req => Err(IndexError::OtherStart {
                    path: r.url.clone(),
                    stored: s,
                    requested: req,
                }),
                (Some(s), _) => Ok(s),
                (None, req) => Ok(req.unwrap_or(default)),
            },
        }
    }

    pub fn tip(&self) -> Result<Option<(u32, BlockHash)>, IndexError> {
        match self {
            Reader::Local(i) => i.tip(),
            Reader::Remote(r) => Ok(r.head()?.tip),
        }
    }

    pub fn totals(&self) -> Result<Totals, IndexError> {
        match self {
            Reader::Local(i) => i.totals(),
            Reader::Remote(r) => {
                let s: Sums = r.get(Query::Totals)?;
                Ok(Totals {
                    payments_in: s.payments_in,
                    paid_out: s.paid_out,
                    fees: s.fees,
                    waiting: s.waiting,
                    to_parents: s.to_parents,
                    from_children: s.from_children,
                })
            }
        }
    }

    pub fn vault_terms(&self, id: &AssetId) -> Result<Option<VaultTerms>, IndexError> {
        match self {
            Reader::Local(i) => i.vault_terms(id),
            Reader::Remote(r) => Ok(r
                .get::<Option<Terms>>(Query::VaultTerms(*id))?
                .map(Terms::into_terms)),
        }
    }

    /// The asset's splitters in pre-order (numbered as the index books their UTXOs), each
    /// built once; empty for a record of at most 11 members.
    pub fn splitters(&self, id: &AssetId) -> Result<Option<Vec<Vault>>, IndexError> {
        match self {
            Reader::Local(i) => i.splitters(id),
            Reader::Remote(r) => r
                .get::<Option<Vec<Terms>>>(Query::Splitters(*id))?
                .map(|ts| {
                    ts.into_iter()
                        .map(|t| {
                            Vault::new(t.into_terms(), self.chain()).map_err(|e| {
                                IndexError::corrupt(format!("splitter terms of {id}"), e)
                            })
                        })
                        .collect()
                })
                .transpose(),
        }
    }

    /// The asset's vault, ready to build covenant spends.
    pub fn vault(&self, id: &AssetId) -> Result<Option<Vault>, IndexError> {
        match self {
            Reader::Local(i) => i.vault(id),
            Reader::Remote(_) => self
                .vault_terms(id)?
                .map(|t| {
                    Vault::new(t, self.chain())
                        .map_err(|e| IndexError::corrupt(format!("vault terms of {id}"), e))
                })
                .transpose(),
        }
    }

    pub fn vault_status(&self, id: &AssetId) -> Result<Option<VaultStatus>, IndexError> {
        match self {
            Reader::Local(i) => i.vault_status(id),
            Reader::Remote(r) => {
                Ok(r.get::<Option<Status>>(Query::VaultStatus(*id))?
                    .map(|s| VaultStatus {
                        balance: s.balance,
                        utxos: s.utxos,
                        threshold_at_cap: s.threshold_at_cap,
                        shared_with: s.shared_with,
                        splitters: s.splitters,
                    }))
            }
        }
    }
}
