//! Loaded models by asset, most recently used first, bounded by the size of their files
//! ([`BUDGET`] bytes): loading parses and checks the ONNX graph, which takes far longer than a
//! small model's run. Loads are single-flight: concurrent calls for a model not yet loaded
//! wait for one load instead of each parsing the file. Only paid calls load models; the
//! content viewer keeps just a model's signature ([`Models::signature`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bitmodel_infer::{InferError, Model, TractError};
use bitmodel_protocol::AssetId;

/// File bytes of the models kept loaded.
pub const BUDGET: usize = 512 * 1024 * 1024;
/// Signatures kept for the content viewer.
const SIGNATURES: usize = 1024;

/// A model's inputs (name, declared type) and output names.
pub type Signature = (Vec<(String, String)>, Vec<String>);

type Loading = Arc<OnceLock<Result<Arc<Model>, String>>>;

#[derive(Default)]
struct State {
    cached: Vec<(AssetId, Arc<Model>)>,
    loading: HashMap<AssetId, Loading>,
    signatures: HashMap<AssetId, Signature>,
}

pub struct Models {
    state: Mutex<State>,
    budget: usize,
}

impl Default for Models {
    fn default() -> Models {
        Models::with_budget(BUDGET)
    }
}

impl Models {
    /// A cache keeping at most `budget` bytes of model files loaded.
    pub fn with_budget(budget: usize) -> Models {
        Models {
            state: Mutex::default(),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached model, or the one `load` makes (once, however many callers wait for it).
    pub fn get_or_load(
        &self,
        id: &AssetId,
        load: impl FnOnce() -> Result<Model, InferError>,
    ) -> Result<Arc<Model>, InferError> {
        if let Some(m) = self.get(id) {
            return Ok(m);
        }
        let cell = self.lock().loading.entry(*id).or_default().clone();
        let loaded = cell
            // Kept as text: every caller waiting on this load gets the failure, so it must be
            // Clone (InferError is not); each gets it back as a BadModel of that text.
            .get_or_init(|| load().map(Arc::new).map_err(|e| e.to_string()))
            .clone();
        let mut st = self.lock();
        st.loading.remove(id);
        let m = loaded.map_err(|e| InferError::BadModel(TractError::msg(e)))?;
        if !st.cached.iter().any(|(k, _)| k == id) {
            st.cached.insert(0, (*id, m.clone()));
            // Evict the least recently used until the files fit the budget (the newest
            // always stays, even alone over it).
            let mut total: usize = st.cached.iter().map(|(_, m)| m.bytes).sum();
            while total > self.budget && st.cached.len() > 1 {
                let (_, old) = st.cached.pop().expect("more than one");
                total -= old.bytes;
            }
        }
        Ok(m)
    }

    pub fn get(&self, id: &AssetId) -> Option<Arc<Model>> {
        let mut st = self.lock();
        let i = st.cached.iter().position(|(k, _)| k == id)?;
        let hit = st.cached.remove(i);
        let m = hit.1.clone();
        st.cached.insert(0, hit);
        Some(m)
    }

    /// File bytes of the models loaded now.
    pub fn loaded_bytes(&self) -> usize {
        self.lock().cached.iter().map(|(_, m)| m.bytes).sum()
    }

    /// A model's signature, parsed once and kept without the model: viewing a model costs
    /// the server no plan and no cached graph.
    pub fn signature(&self, id: &AssetId, bytes: &[u8]) -> Result<Signature, InferError> {
        if let Some(s) = self.lock().signatures.get(id) {
            return Ok(s.clone());
        }
        let sig = match self.get(id) {
            Some(m) => m.signature(),
            None => Model::load(bytes)?.signature(),
        };
        let mut st = self.lock();
        if st.signatures.len() >= SIGNATURES {
            st.signatures.clear();
        }
        st.signatures.insert(*id, sig.clone());
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const DIGITS: &[u8] = include_bytes!("../../../../demo/model/digits.onnx");

    fn id(n: u8) -> AssetId {
        AssetId::new(bitcoin::Txid::from_byte_array([n; 32]), 0)
    }

    #[test]
    fn concurrent_misses_load_once() {
        let models = Arc::new(Models::default());
        let loads = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (models, loads) = (models.clone(), loads.clone());
                std::thread::spawn(move || {
                    models
                        .get_or_load(&id(1), || {
                            loads.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            Model::load(DIGITS)
                        })
                        .unwrap()
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "single-flight");
    }

    #[test]
    fn the_cache_is_bounded_by_bytes_and_signatures_keep_no_model() {
        let models = Models::with_budget(2 * DIGITS.len() + 10);
        for n in 0..5 {
            models.get_or_load(&id(n), || Model::load(DIGITS)).unwrap();
        }
        assert_eq!(models.loaded_bytes(), 2 * DIGITS.len(), "the two newest");
        assert!(models.get(&id(4)).is_some() && models.get(&id(0)).is_none());
        let fresh = Models::default();
        let (inputs, outputs) = fresh.signature(&id(9), DIGITS).unwrap();
        assert_eq!(inputs.len(), 1);
        assert!(!outputs.is_empty());
        assert_eq!(fresh.loaded_bytes(), 0, "viewing loads nothing for good");
        assert!(fresh.signature(&id(8), b"not onnx").is_err());
    }
}
