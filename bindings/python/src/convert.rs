//! serde_json values to Python objects and back, directly (no JSON text in between).
//!
//! Python to JSON follows what `testrail-api` sends: `datetime` becomes its UNIX time rounded to
//! an int, an `Enum` its value, a tuple a list. Anything else that `json.dumps` would refuse is a
//! `TypeError`; a float that is not finite, or nesting deeper than [`MAX_DEPTH`], a `ValueError`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, TryLockError};

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde_json::{Map, Number, Value};

/// How deep a request body may nest (TestRail's bodies nest three levels at most); it also stops
/// a self-referencing list from recursing forever.
const MAX_DEPTH: usize = 64;

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENUM: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Dict keys already made into Python strings. TestRail's entities repeat the same few dozen
/// keys (`id`, `title`, `custom_steps`...); handing Python the same string object again spares
/// building it and lets the dict reuse its cached hash. Bounded: keys past the limit (or long
/// ones) are made afresh each time.
struct KeyCache {
    map: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<Fnv>>,
}

const KEY_CACHE_MAX: usize = 4096;
const KEY_CACHE_LONGEST: usize = 64;

static KEYS: Mutex<Option<KeyCache>> = Mutex::new(None);

impl KeyCache {
    fn new() -> KeyCache {
        KeyCache {
            map: HashMap::default(),
        }
    }

    fn key<'py>(&mut self, py: Python<'py>, k: &str) -> Bound<'py, PyString> {
        if let Some(s) = self.map.get(k) {
            return s.bind(py).clone();
        }
        let s = PyString::intern(py, k);
        if self.map.len() < KEY_CACHE_MAX && k.len() <= KEY_CACHE_LONGEST {
            self.map.insert(k.into(), s.clone().unbind());
        }
        s
    }
}

/// FNV-1a: keys are short, and SipHash would cost what the cache saves.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A JSON value as the Python object `json.loads` would give.
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    // Conversion holds the GIL and runs no Python code, so the cache is not contended; should it
    // ever be, a throwaway cache keeps the GIL holder from waiting on a lock.
    match KEYS.try_lock() {
        Ok(mut guard) => {
            let cache = guard.get_or_insert_with(KeyCache::new);
            to_py_cached(py, v, cache)
        }
        Err(TryLockError::Poisoned(p)) => {
            let mut guard = p.into_inner();
            let cache = guard.get_or_insert_with(KeyCache::new);
            to_py_cached(py, v, cache)
        }
        Err(TryLockError::WouldBlock) => to_py_cached(py, v, &mut KeyCache::new()),
    }
}

fn to_py_cached<'py>(
    py: Python<'py>,
    v: &Value,
    keys: &mut KeyCache,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| to_py_cached(py, item, keys))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(keys.key(py, k), to_py_cached(py, item, keys)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python object as a JSON value (a request body or a snapshot).
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    from_py_at(obj, 0)
}

fn from_py_at(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "The value nests deeper than {MAX_DEPTH} levels (or refers to itself)."
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: a bool is an int in Python.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyOverflowError::new_err(
            "The integer is too large for a JSON number (64 bits at most).",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| {
                PyValueError::new_err(
                    "Out of range float values (nan, inf) are not JSON compliant.",
                )
            });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            map.insert(key_of(&k)?, from_py_at(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        let mut out = Vec::with_capacity(l.len());
        for item in l.iter() {
            out.push(from_py_at(&item, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let mut out = Vec::with_capacity(t.len());
        for item in t.iter() {
            out.push(from_py_at(&item, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    let py = obj.py();
    if obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)? {
        // testrail-api sends round(dt.timestamp()); Python's round() rounds half to even.
        let ts: f64 = obj.call_method0("timestamp")?.extract()?;
        return Ok(Value::from(ts.round_ties_even() as i64));
    }
    if obj.is_instance(ENUM.import(py, "enum", "Enum")?)? {
        return from_py_at(&obj.getattr("value")?, depth + 1);
    }
    Err(PyTypeError::new_err(format!(
        "Object of type {} is not JSON serializable",
        obj.get_type().name()?
    )))
}

/// A dict key as JSON has it: a string (ints, as `json.dumps` writes them, become their digits).
fn key_of(k: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = k.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if k.is_instance_of::<PyInt>() && !k.is_instance_of::<PyBool>() {
        return Ok(k.str()?.to_cow()?.into_owned());
    }
    Err(PyTypeError::new_err(format!(
        "Keys must be str or int, not {}",
        k.get_type().name()?
    )))
}
