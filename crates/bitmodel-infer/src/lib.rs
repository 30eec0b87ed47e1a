//! Runs ONNX models with tract: the engine behind Bitmodel's paid inference. A model is
//! loaded once from its bytes (an asset's on-chain file, already sha256-checked by the
//! indexer); it is planned for the input shapes of a request and the plan is cached, so a
//! model with a free batch dimension is optimised once per shape.
//!
//! Tensors travel as JSON-friendly [`Tensor`]s: a shape, a dtype (`float32` or `int64`) and
//! the values in row-major order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

/// tract's error (an `anyhow::Error`): what [`InferError`] keeps as the source of a model's
/// failures.
pub use tract_onnx::prelude::TractError;

/// Model files larger than this are refused before parsing.
pub const MAX_MODEL_BYTES: usize = 256 * 1024 * 1024;
/// Input elements per request, bounding memory per call.
pub const MAX_INPUT_ELEMENTS: usize = 16 * 1024 * 1024;
/// Bytes a run's tensors may take, summed over every node's outputs as the plan types them
/// for the request's shapes: checked before running, so no call can make the server
/// allocate more (a model whose every plan is larger is never run).
pub const MAX_RUN_BYTES: u64 = 1 << 30;
/// Plans kept per model (one per input shape): varying shapes cannot grow memory forever.
pub const MAX_PLANS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum InferError {
    #[error("model is {0} bytes; at most {MAX_MODEL_BYTES} are served")]
    TooLarge(usize),
    /// Display shows the whole chain (`{0:#}`): servers print only this top-level message.
    #[error("not a usable ONNX model: {0:#}")]
    BadModel(#[source] TractError),
    #[error("the model takes {expected} input(s) ({names}), {got} given")]
    InputCount {
        expected: usize,
        got: usize,
        names: String,
    },
    #[error("input {index}: shape {shape:?} holds {want} values but {got} were given")]
    DataLength {
        index: usize,
        shape: Vec<usize>,
        want: usize,
        got: usize,
    },
    #[error("input {index}: dtype '{dtype}' is not supported; use float32 or int64")]
    DType { index: usize, dtype: String },
    #[error("inputs hold {0} values; at most {MAX_INPUT_ELEMENTS} per request")]
    InputTooLarge(usize),
    #[error("the model rejected these inputs: {0:#}")]
    Run(#[source] TractError),
    #[error("a run on these inputs would need {0} bytes of tensors; at most {MAX_RUN_BYTES} per run (send smaller inputs)")]
    TooMuchMemory(u64),
    /// The model accepted the inputs and then failed while running: the model's own fault.
    #[error("the model failed while running: {0:#}")]
    Failed(#[source] TractError),
}

impl InferError {
    /// Whether the caller's inputs were refused before the model ran (so a paid call that
    /// ends this way has not used its payment).
    pub fn refused_before_running(&self) -> bool {
        !matches!(
            self,
            InferError::Failed(_) | InferError::TooLarge(_) | InferError::BadModel(_)
        )
    }
}

/// A tensor as requests and answers carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    #[serde(default)]
    pub name: Option<String>,
    pub shape: Vec<usize>,
    #[serde(default = "float32")]
    pub dtype: String,
    pub data: Vec<f64>,
}

fn float32() -> String {
    "float32".into()
}

/// The input shapes and dtypes a plan was made for.
type ShapeKey = Vec<(Vec<usize>, String)>;

/// A loaded model and its plans by input shapes.
pub struct Model {
    /// Size of the ONNX file (what a cache of models is bounded by).
    pub bytes: usize,
    graph: InferenceModel,
    input_names: Vec<String>,
    output_names: Vec<String>,
    plans: Mutex<HashMap<ShapeKey, Arc<TypedRunnableModel>>>,
}

/// Bytes of every node output of a typed plan (a symbolic dimension counts as unbounded).
fn tensor_bytes(m: &TypedModel) -> u64 {
    let mut total: u64 = 0;
    for node in m.nodes() {
        for o in &node.outputs {
            let size = o.fact.datum_type.size_of() as u64;
            let volume = match o.fact.shape.as_concrete() {
                Some(dims) => dims
                    .iter()
                    .try_fold(1u64, |acc, d| acc.checked_mul(*d as u64))
                    .unwrap_or(u64::MAX),
                None => u64::MAX,
            };
            total = total.saturating_add(volume.saturating_mul(size));
        }
    }
    total
}

impl Model {
    pub fn load(bytes: &[u8]) -> Result<Model, InferError> {
        if bytes.len() > MAX_MODEL_BYTES {
            return Err(InferError::TooLarge(bytes.len()));
        }
        let graph = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(InferError::BadModel)?;
        let input_names = graph
            .input_outlets()
            .map_err(InferError::BadModel)?
            .iter()
            .map(|o| graph.node(o.node).name.clone())
            .collect();
        let output_names = graph
            .output_outlets()
            .map(|o| o.iter().map(|o| graph.node(o.node).name.clone()).collect())
            .unwrap_or_default();
        Ok(Model {
            bytes: bytes.len(),
            graph,
            input_names,
            output_names,
            plans: Mutex::new(HashMap::new()),
        })
    }

    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// Each input's name and declared type as the file states it (e.g. `N,64,F32`), and
    /// each output's name: what a caller needs to build a request.
    pub fn signature(&self) -> (Vec<(String, String)>, Vec<String>) {
        let inputs = self
            .input_names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let fact = self
                    .graph
                    .input_fact(i)
                    .map(|f| format!("{f:?}"))
                    .unwrap_or_default();
                (n.clone(), fact)
            })
            .collect();
        (inputs, self.output_names.clone())
    }

    fn plan(&self, key: &[(Vec<usize>, String)]) -> Result<Arc<TypedRunnableModel>, InferError> {
        if let Some(p) = self
            .plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return Ok(p.clone());
        }
        let mut g = self.graph.clone();
        for (i, (shape, dtype)) in key.iter().enumerate() {
            let fact: InferenceFact = if dtype == "int64" {
                i64::fact(shape).into()
            } else {
                f32::fact(shape).into()
            };
            g = g.with_input_fact(i, fact).map_err(InferError::BadModel)?;
        }
        // Fully optimised when tract can; some graphs (Silero's control flow) only survive
        // decluttering, and a plain typed plan is the last resort. All give the same answers.
        let plan = g
            .clone()
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .or_else(|_| {
                g.clone()
                    .into_typed()
                    .and_then(|m| m.into_decluttered())
                    .and_then(|m| m.into_runnable())
            })
            .or_else(|_| g.into_typed().and_then(|m| m.into_runnable()))
            .map_err(InferError::Run)?;
        let needed = tensor_bytes(plan.model());
        if needed > MAX_RUN_BYTES {
            return Err(InferError::TooMuchMemory(needed));
        }
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        plans.insert(key.to_vec(), plan.clone());
        Ok(plan)
    }

    /// Runs the model on `inputs` (in the model's input order).
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, InferError> {
        if inputs.len() != self.input_names.len() {
            return Err(InferError::InputCount {
                expected: self.input_names.len(),
                got: inputs.len(),
                names: self.input_names.join(", "),
            });
        }
        let total: usize = inputs.iter().map(|t| t.data.len()).sum();
        if total > MAX_INPUT_ELEMENTS {
            return Err(InferError::InputTooLarge(total));
        }
        let mut key = Vec::with_capacity(inputs.len());
        let mut values: TVec<TValue> = tvec!();
        for (index, t) in inputs.iter().enumerate() {
            let want: usize = t.shape.iter().product();
            if want != t.data.len() {
                return Err(InferError::DataLength {
                    index,
                    shape: t.shape.clone(),
                    want,
                    got: t.data.len(),
                });
            }
            let tensor = match t.dtype.as_str() {
                "float32" => tract_ndarray::ArrayD::from_shape_vec(
                    t.shape.clone(),
                    t.data.iter().map(|v| *v as f32).collect(),
                )
                .map(tract_onnx::prelude::Tensor::from),
                "int64" => tract_ndarray::ArrayD::from_shape_vec(
                    t.shape.clone(),
                    t.data.iter().map(|v| *v as i64).collect(),
                )
                .map(tract_onnx::prelude::Tensor::from),
                other => {
                    return Err(InferError::DType {
                        index,
                        dtype: other.to_string(),
                    })
                }
            }
            .map_err(|e| InferError::Run(e.into()))?;
            key.push((t.shape.clone(), t.dtype.clone()));
            values.push(tensor.into());
        }
        let plan = self.plan(&key)?;
        let outputs = plan.run(values).map_err(InferError::Failed)?;
        outputs
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let t = v.into_tensor();
                let dtype = if t.datum_type() == i64::datum_type() {
                    "int64"
                } else {
                    "float32"
                };
                let as_f64 = t.cast_to::<f64>().map_err(InferError::Failed)?;
                let data: Vec<f64> = as_f64
                    .to_plain_array_view::<f64>()
                    .map_err(InferError::Failed)?
                    .iter()
                    .copied()
                    .collect();
                Ok(Tensor {
                    name: self.output_names.get(i).cloned(),
                    shape: t.shape().to_vec(),
                    dtype: dtype.into(),
                    data,
                })
            })
            .collect()
    }
}
