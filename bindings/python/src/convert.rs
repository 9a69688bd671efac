//! serde_json values to Python objects and back, directly (no JSON text in between).
//!
//! Python to JSON follows what `testrail-api` sends: `datetime` becomes its UNIX time rounded to
//! an int, an `Enum` its value, a tuple a list (and, in query parameters only, a set its items
//! in order). Anything else that `json.dumps` would refuse is a `TypeError`; a float that is not
//! finite, or nesting deeper than [`MAX_DEPTH`], a `ValueError`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, TryLockError};

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};
use serde::{ser, Serialize};
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
    map: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<Fx>>,
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

/// FxHash over 8-byte words: keys are short, and SipHash (or a byte-at-a-time hash) would cost
/// what the cache saves.
#[derive(Default)]
struct Fx(u64);

impl Fx {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }
}

/// A JSON value as the Python object `json.loads` would give.
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    serialize(py, v)
}

/// Anything serializable as JSON (a [`trailstore::Answer`], a `serde_json::Value`) as the Python
/// object `json.loads` would give for its JSON text, built directly: no text and no
/// `serde_json::Value` in between.
pub(crate) fn serialize<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    // Conversion holds the GIL and runs no Python code, so the cache is not contended; should it
    // ever be, a throwaway cache keeps the GIL holder from waiting on a lock.
    let run = |keys: &mut KeyCache| v.serialize(PyOut { py, keys }).map_err(|e| e.0);
    match KEYS.try_lock() {
        Ok(mut guard) => run(guard.get_or_insert_with(KeyCache::new)),
        Err(TryLockError::Poisoned(p)) => run(p.into_inner().get_or_insert_with(KeyCache::new)),
        Err(TryLockError::WouldBlock) => run(&mut KeyCache::new()),
    }
}

/// A `PyErr` carried through `serde`.
#[derive(Debug)]
pub(crate) struct ConvertError(PyErr);

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ConvertError(PyValueError::new_err(msg.to_string()))
    }
}

impl From<std::convert::Infallible> for ConvertError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

impl From<PyErr> for ConvertError {
    fn from(e: PyErr) -> Self {
        ConvertError(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, ConvertError>;

/// A `serde::Serializer` whose output is the Python object for the JSON the input stands for.
/// JSON has no other types, so only those forms are accepted (what TestRail's JSON uses).
struct PyOut<'a, 'py> {
    py: Python<'py>,
    keys: &'a mut KeyCache,
}

fn no_json_form(what: &str) -> ConvertError {
    ConvertError(PyTypeError::new_err(format!("{what} has no JSON form")))
}

fn unsupported<'py>(what: &str) -> Out<'py> {
    Err(no_json_form(what))
}

struct SeqOut<'a, 'py> {
    py: Python<'py>,
    keys: &'a mut KeyCache,
    items: Vec<Bound<'py, PyAny>>,
}

struct MapOut<'a, 'py> {
    py: Python<'py>,
    keys: &'a mut KeyCache,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyString>>,
}

impl<'a, 'py> ser::Serializer for PyOut<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    type SerializeSeq = SeqOut<'a, 'py>;
    type SerializeTuple = SeqOut<'a, 'py>;
    type SerializeTupleStruct = SeqOut<'a, 'py>;
    type SerializeTupleVariant = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeMap = MapOut<'a, 'py>;
    type SerializeStruct = MapOut<'a, 'py>;
    type SerializeStructVariant = ser::Impossible<Self::Ok, ConvertError>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        Ok(v.into_pyobject(self.py)?.into_any())
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(v.into_pyobject(self.py)?.into_any())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, _: &[u8]) -> Out<'py> {
        unsupported("bytes")
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Out<'py> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Out<'py> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Out<'py> {
        unsupported("an enum variant with data")
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqOut<'a, 'py>, ConvertError> {
        Ok(SeqOut {
            py: self.py,
            keys: self.keys,
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqOut<'a, 'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<SeqOut<'a, 'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ConvertError> {
        Err(no_json_form("an enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapOut<'a, 'py>, ConvertError> {
        Ok(MapOut {
            py: self.py,
            keys: self.keys,
            dict: PyDict::new(self.py),
            key: None,
        })
    }
    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<MapOut<'a, 'py>, ConvertError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ConvertError> {
        Err(no_json_form("an enum variant with data"))
    }
}

impl<'py> ser::SerializeSeq for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ConvertError> {
        let item = v.serialize(PyOut {
            py: self.py,
            keys: self.keys,
        })?;
        self.items.push(item);
        Ok(())
    }

    fn end(self) -> Out<'py> {
        Ok(PyList::new(self.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeTuple for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ConvertError> {
        ser::SerializeSeq::serialize_element(self, v)
    }

    fn end(self) -> Out<'py> {
        ser::SerializeSeq::end(self)
    }
}

impl<'py> ser::SerializeTupleStruct for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ConvertError> {
        ser::SerializeSeq::serialize_element(self, v)
    }

    fn end(self) -> Out<'py> {
        ser::SerializeSeq::end(self)
    }
}

impl<'py> ser::SerializeMap for MapOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), ConvertError> {
        self.key = Some(k.serialize(KeyOut {
            py: self.py,
            keys: self.keys,
        })?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ConvertError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ConvertError(PyValueError::new_err("a map value without its key")))?;
        let value = v.serialize(PyOut {
            py: self.py,
            keys: self.keys,
        })?;
        self.dict.set_item(key, value)?;
        Ok(())
    }

    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for MapOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), ConvertError> {
        let key = self.keys.key(self.py, key);
        let value = v.serialize(PyOut {
            py: self.py,
            keys: self.keys,
        })?;
        self.dict.set_item(key, value)?;
        Ok(())
    }

    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

/// A map key: JSON's keys are strings (integers become their digits, as `json.dumps` writes
/// them); the string comes from the key cache.
struct KeyOut<'a, 'py> {
    py: Python<'py>,
    keys: &'a mut KeyCache,
}

type KeyResult<'py> = Result<Bound<'py, PyString>, ConvertError>;

fn not_a_key() -> ConvertError {
    ConvertError(PyTypeError::new_err("a map key must be a string"))
}

fn bad_key<'py>() -> KeyResult<'py> {
    Err(not_a_key())
}

impl<'py> ser::Serializer for KeyOut<'_, 'py> {
    type Ok = Bound<'py, PyString>;
    type Error = ConvertError;
    type SerializeSeq = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeTuple = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeTupleStruct = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeTupleVariant = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeMap = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeStruct = ser::Impossible<Self::Ok, ConvertError>;
    type SerializeStructVariant = ser::Impossible<Self::Ok, ConvertError>;

    fn serialize_str(self, v: &str) -> KeyResult<'py> {
        Ok(self.keys.key(self.py, v))
    }
    fn serialize_i64(self, v: i64) -> KeyResult<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_u64(self, v: u64) -> KeyResult<'py> {
        Ok(PyString::new(self.py, &v.to_string()))
    }
    fn serialize_i8(self, v: i8) -> KeyResult<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> KeyResult<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> KeyResult<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_u8(self, v: u8) -> KeyResult<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> KeyResult<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> KeyResult<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_char(self, v: char) -> KeyResult<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> KeyResult<'py> {
        v.serialize(self)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> KeyResult<'py> {
        self.serialize_str(v)
    }
    fn serialize_bool(self, _: bool) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_f32(self, _: f32) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_f64(self, _: f64) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_bytes(self, _: &[u8]) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_none(self) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_unit(self) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_unit_struct(self, _: &'static str) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> KeyResult<'py> {
        bad_key()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ConvertError> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ConvertError> {
        Err(not_a_key())
    }
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

/// Query parameters given as a dict (`None` for none) as the JSON object
/// `trailstore::Request::with_params` encodes: each value as [`from_py`] converts it, except that a
/// set becomes a list of its items in order (a route must not depend on a set's iteration order)
/// and an int too large for JSON becomes its digits (a query parameter is text, and the core
/// refuses a number out of range as it refuses any other).
pub(crate) fn params_from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Map<String, Value>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Map::new());
    };
    let dict = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "Query parameters must be a dict, not {}",
            obj.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })?;
    let mut params = Map::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        let value = if let Ok(set) = v.cast::<PySet>() {
            param_list(set.iter(), true)?
        } else if let Ok(set) = v.cast::<PyFrozenSet>() {
            param_list(set.iter(), true)?
        } else if let Ok(list) = v.cast::<PyList>() {
            param_list(list.iter(), false)?
        } else if let Ok(tuple) = v.cast::<PyTuple>() {
            param_list(tuple.iter(), false)?
        } else {
            param_item(&v)?
        };
        params.insert(key_of(&k)?, value);
    }
    Ok(params)
}

/// A list parameter's items, sorted when they come from a set.
fn param_list<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>, sort: bool) -> PyResult<Value> {
    let mut list = items
        .map(|item| param_item(&item))
        .collect::<PyResult<Vec<_>>>()?;
    if sort {
        list.sort_by(set_order);
    }
    Ok(Value::Array(list))
}

/// One parameter value (or list item).
fn param_item(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_instance_of::<PyInt>()
        && !v.is_instance_of::<PyBool>()
        && v.extract::<i64>().is_err()
        && v.extract::<u64>().is_err()
    {
        return Ok(Value::String(v.str()?.to_cow()?.into_owned()));
    }
    from_py_at(v, 2)
}

/// The order of a set's items in a parameter: numbers by value, before anything else by its JSON
/// text (a total order, whatever the set holds).
fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.to_string().cmp(&b.to_string()),
    }
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
