//! Loaded models by asset, most recently used first, at most [`CAPACITY`] of them: loading
//! parses and checks the ONNX graph, which takes far longer than a small model's run.

use std::sync::{Arc, Mutex};

use bitmodel_infer::{InferError, Model};
use bitmodel_protocol::AssetId;

pub const CAPACITY: usize = 8;

#[derive(Default)]
pub struct Models {
    cache: Mutex<Vec<(AssetId, Arc<Model>)>>,
}

impl Models {
    /// The cached model, or the one `load` makes (cached for next time).
    pub fn get_or_load(
        &self,
        id: &AssetId,
        load: impl FnOnce() -> Result<Model, InferError>,
    ) -> Result<Arc<Model>, InferError> {
        if let Some(m) = self.get(id) {
            return Ok(m);
        }
        let m = Arc::new(load()?);
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        c.retain(|(k, _)| k != id);
        c.insert(0, (*id, m.clone()));
        c.truncate(CAPACITY);
        Ok(m)
    }

    pub fn get(&self, id: &AssetId) -> Option<Arc<Model>> {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let i = c.iter().position(|(k, _)| k == id)?;
        let hit = c.remove(i);
        let m = hit.1.clone();
        c.insert(0, hit);
        Some(m)
    }
}
