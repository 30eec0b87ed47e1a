//! JSON-RPC framing as bitcoind does it: single and batch requests, positional or named
//! parameters, Core's error codes, and HTTP statuses (`400` invalid request, `404` unknown
//! method, `500` other errors) with the JSON-RPC error in the body.

use serde_json::{json, Map, Value};

use super::methods::{Handler, METHODS};
use super::State;

// Core's `RPCErrorCode`s.
pub const RPC_MISC_ERROR: i32 = -1;
pub const RPC_TYPE_ERROR: i32 = -3;
pub const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
pub const RPC_INVALID_PARAMETER: i32 = -8;
pub const RPC_DESERIALIZATION_ERROR: i32 = -22;
pub const RPC_VERIFY_ERROR: i32 = -25;
pub const RPC_VERIFY_REJECTED: i32 = -26;
pub const RPC_VERIFY_ALREADY_IN_CHAIN: i32 = -27;
pub const RPC_INVALID_REQUEST: i32 = -32600;
pub const RPC_METHOD_NOT_FOUND: i32 = -32601;
pub const RPC_PARSE_ERROR: i32 = -32700;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

/// A method's parameters, named ones already mapped to positions.
pub struct Params {
    method: &'static str,
    names: &'static [&'static str],
    values: Vec<Value>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Core 24 reports a parameter of the wrong JSON type from UniValue's getters, which
/// surface as `RPC_MISC_ERROR` (as Core 0.21 did too); clients see -1 from both.
fn type_error(v: &Value, expected: &str) -> RpcError {
    RpcError::new(
        RPC_MISC_ERROR,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            type_name(v)
        ),
    )
}

impl Params {
    /// The value at `i`, `None` if absent or null.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i).filter(|v| !v.is_null())
    }

    pub fn required(&self, i: usize) -> Result<&Value, RpcError> {
        self.get(i).ok_or_else(|| {
            RpcError::new(
                RPC_MISC_ERROR,
                format!(
                    "{} is missing required parameter {} ({}); usage: {} {}",
                    self.method,
                    i + 1,
                    self.names.get(i).copied().unwrap_or("?"),
                    self.method,
                    self.names.join(" ")
                ),
            )
        })
    }

    pub fn str(&self, i: usize) -> Result<&str, RpcError> {
        let v = self.required(i)?;
        v.as_str().ok_or_else(|| type_error(v, "string"))
    }

    pub fn i64(&self, i: usize) -> Result<i64, RpcError> {
        let v = self.required(i)?;
        v.as_i64().ok_or_else(|| type_error(v, "number"))
    }

    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>, RpcError> {
        match self.get(i) {
            None => Ok(None),
            Some(v) => match v {
                Value::Number(n) => Ok(n.as_f64()),
                Value::String(s) => s.parse().map(Some).map_err(|_| type_error(v, "number")),
                _ => Err(type_error(v, "number")),
            },
        }
    }

    pub fn opt_bool(&self, i: usize, default: bool) -> Result<bool, RpcError> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| type_error(v, "bool")),
        }
    }

    /// A verbosity given as a bool (`true` = 1) or a number, as Core accepts both.
    pub fn verbosity(&self, i: usize, default: i64) -> Result<i64, RpcError> {
        match self.get(i) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(i64::from(*b)),
            Some(v) => v.as_i64().ok_or_else(|| type_error(v, "number")),
        }
    }

    pub fn array(&self, i: usize) -> Result<&Vec<Value>, RpcError> {
        let v = self.required(i)?;
        v.as_array().ok_or_else(|| type_error(v, "array"))
    }

    /// A 64-hex-digit hash.
    pub fn hash<T: std::str::FromStr>(&self, i: usize) -> Result<T, RpcError> {
        let s = self.str(i)?;
        let name = self.names.get(i).copied().unwrap_or("hash");
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
            ));
        }
        s.parse().map_err(|_| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("{name} must be hexadecimal string (not '{s}')"),
            )
        })
    }
}

fn build_params(
    method: &'static str,
    names: &'static [&'static str],
    raw: Option<&Value>,
) -> Result<Params, RpcError> {
    let values = match raw {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            if a.len() > names.len() {
                return Err(RpcError::new(
                    RPC_MISC_ERROR,
                    format!(
                        "{method} takes at most {} parameters ({}), got {}",
                        names.len(),
                        names.join(", "),
                        a.len()
                    ),
                ));
            }
            a.clone()
        }
        Some(Value::Object(o)) => {
            let mut v = vec![Value::Null; names.len()];
            for (k, val) in o {
                let Some(pos) = names.iter().position(|n| n == k) else {
                    return Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        format!("Unknown named parameter {k}"),
                    ));
                };
                v[pos] = val.clone();
            }
            while v.last().is_some_and(Value::is_null) {
                v.pop();
            }
            v
        }
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Params must be an array or object",
            ))
        }
    };
    Ok(Params {
        method,
        names,
        values,
    })
}

fn call(state: &State, req: &Map<String, Value>) -> Result<Value, RpcError> {
    let method = match req.get("method") {
        Some(Value::String(m)) => m.as_str(),
        None => return Err(RpcError::new(RPC_INVALID_REQUEST, "Missing method")),
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Method must be a string",
            ))
        }
    };
    let Some((name, names, handler)) = METHODS.iter().find(|(n, _, _)| *n == method) else {
        return Err(RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found"));
    };
    let params = build_params(name, names, req.get("params"))?;
    let handler: &Handler = handler;
    handler(state, &params)
}

fn reply(state: &State, req: &Value) -> (u16, Value) {
    let Value::Object(obj) = req else {
        let e = RpcError::new(RPC_INVALID_REQUEST, "Invalid Request object");
        return (
            400,
            json!({"result": null, "error": e.to_json(), "id": null}),
        );
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    match call(state, obj) {
        Ok(result) => (200, json!({"result": result, "error": null, "id": id})),
        Err(e) => {
            let status = match e.code {
                RPC_INVALID_REQUEST => 400,
                RPC_METHOD_NOT_FOUND => 404,
                _ => 500,
            };
            (
                status,
                json!({"result": null, "error": e.to_json(), "id": id}),
            )
        }
    }
}

/// Handles one HTTP body; returns the HTTP status and the JSON reply.
pub fn handle_body(state: &State, body: &[u8]) -> (u16, Vec<u8>) {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::new(RPC_PARSE_ERROR, format!("Parse error: {e}"));
            let v = json!({"result": null, "error": err.to_json(), "id": null});
            return (500, v.to_string().into_bytes());
        }
    };
    let (status, value) = match &parsed {
        Value::Array(batch) => (
            200,
            Value::Array(batch.iter().map(|r| reply(state, r).1).collect()),
        ),
        single => reply(state, single),
    };
    let mut out = value.to_string().into_bytes();
    out.push(b'\n');
    (status, out)
}
