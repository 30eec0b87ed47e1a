//! Every table the index keeps, declared in one place, with the schema version. The layout
//! is documented in `doc/schema.md`; change both together and bump [`SCHEMA_VERSION`].

use redb::TableDefinition;

/// Bumped whenever a table's key or value layout changes.
pub const SCHEMA_VERSION: u32 = 6;

/// `"schema_version"` → u32 LE; `"tip"` → height u32 LE ‖ block hash.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Height → block hash, for every indexed block (reorg detection).
pub const BLOCKS: TableDefinition<u32, &[u8]> = TableDefinition::new("blocks");
/// Asset id bytes → [`crate::rows::AssetRow`] (valid records).
pub const ASSETS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("assets");
/// Asset id bytes → [`crate::rows::InvalidRow`] (records kept with the reason they are invalid).
pub const INVALID: TableDefinition<&[u8], &[u8]> = TableDefinition::new("invalid");
/// Vault scriptPubKey → asset id bytes of the first asset registered with it (equal terms, one vault).
pub const VAULTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("vaults");
/// Outpoint (txid ‖ vout LE) → [`crate::rows::VaultUtxo`].
pub const VAULT_UTXOS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("vault_utxos");
/// Asset id bytes → [`crate::rows::AssetStats`].
pub const STATS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("stats");
/// Payout scriptPubKey → [`crate::rows::Earnings`].
pub const EARNINGS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("earnings");
/// Txid → list of [`crate::rows::Event`] the transaction caused.
pub const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");
/// Asset id bytes → [`crate::rows::ContentRow`]: the on-chain file's assembly state.
pub const CONTENT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("content");
/// Asset id bytes ‖ part index (u32 big-endian) → the part's bytes.
pub const PARTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("parts");
/// Payout scriptPubKey ‖ height (u32 BE) → sats paid to it in that block (u64 LE).
pub const EARNINGS_LOG: TableDefinition<&[u8], &[u8]> = TableDefinition::new("earnings_log");
/// Asset key ([`crate::rows::asset_key`]) ‖ height (u32 BE) ‖ position in block (u32 BE) ‖
/// txid → empty: the transactions
/// whose events involve the asset, in chain order (the asset's flows without a table scan).
pub const ASSET_EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("asset_events");
/// Parent's asset key ‖ child's asset key → empty: who names an asset as parent.
pub const CHILDREN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("children");
/// Vault outpoint (txid ‖ vout LE) → the txid that spent it: how a payment is followed up
/// the lineage through the distributions and merges that carried it.
pub const SPENT_BY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("spent_by");
/// Asset key ‖ outpoint key → empty: an asset's vault UTXOs without scanning them all.
pub const ASSET_UTXOS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("asset_utxos");
/// Height u32 BE ‖ position in block u32 BE → txid, for every transaction with events: the
/// chain's Bitmodel activity in order (recent flows).
pub const EVENT_LOG: TableDefinition<&[u8], &[u8]> = TableDefinition::new("event_log");
/// Splitter vault scriptPubKey → asset id bytes ‖ splitter number (u16 BE): the splitters
/// of records with more than 11 members (`bitmodel_covenant::wide::record_vaults` numbers
/// them), whose UTXOs are the asset's money on its way to its members.
pub const SPLITTERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("splitters");
/// Height → [`crate::journal::Undo`]: the previous value of every key the block changed.
pub const UNDO: TableDefinition<u32, &[u8]> = TableDefinition::new("undo");

/// Tables whose writes are journaled, by a stable index used in undo records.
pub const JOURNALED: [TableDefinition<&[u8], &[u8]>; 16] = [
    ASSETS,
    INVALID,
    VAULTS,
    VAULT_UTXOS,
    STATS,
    EARNINGS,
    EVENTS,
    CONTENT,
    PARTS,
    EARNINGS_LOG,
    ASSET_EVENTS,
    CHILDREN,
    SPENT_BY,
    EVENT_LOG,
    ASSET_UTXOS,
    SPLITTERS,
];
pub const T_ASSETS: u8 = 0;
pub const T_INVALID: u8 = 1;
pub const T_VAULTS: u8 = 2;
pub const T_VAULT_UTXOS: u8 = 3;
pub const T_STATS: u8 = 4;
pub const T_EARNINGS: u8 = 5;
pub const T_EVENTS: u8 = 6;
pub const T_CONTENT: u8 = 7;
pub const T_PARTS: u8 = 8;
pub const T_EARNINGS_LOG: u8 = 9;
pub const T_ASSET_EVENTS: u8 = 10;
pub const T_CHILDREN: u8 = 11;
pub const T_SPENT_BY: u8 = 12;
pub const T_EVENT_LOG: u8 = 13;
pub const T_ASSET_UTXOS: u8 = 14;
pub const T_SPLITTERS: u8 = 15;

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableHandle;

    /// Undo records name tables by these ids: each must be its table's position in
    /// `JOURNALED`, every journaled table must have one, and no two may share one. (They
    /// are kept by hand; this is what keeps them honest.)
    #[test]
    fn journal_ids_are_their_tables_positions() {
        let ids = [
            (T_ASSETS, ASSETS),
            (T_INVALID, INVALID),
            (T_VAULTS, VAULTS),
            (T_VAULT_UTXOS, VAULT_UTXOS),
            (T_STATS, STATS),
            (T_EARNINGS, EARNINGS),
            (T_EVENTS, EVENTS),
            (T_CONTENT, CONTENT),
            (T_PARTS, PARTS),
            (T_EARNINGS_LOG, EARNINGS_LOG),
            (T_ASSET_EVENTS, ASSET_EVENTS),
            (T_CHILDREN, CHILDREN),
            (T_SPENT_BY, SPENT_BY),
            (T_EVENT_LOG, EVENT_LOG),
            (T_ASSET_UTXOS, ASSET_UTXOS),
            (T_SPLITTERS, SPLITTERS),
        ];
        assert_eq!(
            ids.len(),
            JOURNALED.len(),
            "every journaled table has an id"
        );
        let mut seen = std::collections::HashSet::new();
        for (id, table) in ids {
            assert!(seen.insert(id), "id {id} is used twice");
            assert_eq!(JOURNALED[usize::from(id)].name(), table.name(), "id {id}");
        }
    }
}
