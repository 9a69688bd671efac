//! A JSON value that the binary codec can store.
//!
//! `serde_json::Value` needs a self-describing format to deserialize, which bincode is not, so
//! custom field values and unknown keys are kept as [`Json`] and converted at the edges.

use std::fmt;

use serde::de::{Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::stored::{stored_enum, Numbered, Variant};

/// A JSON value in stored form, with its text as `S`: [`Json`] owns it, [`JsonView`] borrows it
/// from a record's payload (see `CaseView`). Object keys keep their order. Stored by the numbers
/// of [`JsonTag`], the same bytes whichever `S`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum JsonOf<S> {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(S),
    List(Vec<JsonOf<S>>),
    Map(Vec<(S, JsonOf<S>)>),
}

/// A stored JSON value that owns its text: what records hold and writes build.
pub type Json = JsonOf<String>;

/// A stored JSON value whose text is borrowed from the record it was read from.
pub type JsonView<'a> = JsonOf<&'a str>;

stored_enum! {
    /// The stored number of each [`Json`] variant: never renumber or reuse one; a retired variant
    /// stays here as a comment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum JsonTag: u32 {
        Null = 0,
        Bool = 1,
        Int = 2,
        Float = 3,
        Str = 4,
        List = 5,
        Map = 6,
    }
}

// By hand rather than derived, so that the stored number is JsonTag's and not the position.
impl<T: Serialize> Serialize for JsonOf<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let tag = self.tag();
        let (name, number, variant) = ("Json", tag.number(), tag.variant_name());
        match self {
            JsonOf::Null => s.serialize_unit_variant(name, number, variant),
            JsonOf::Bool(b) => s.serialize_newtype_variant(name, number, variant, b),
            JsonOf::Int(i) => s.serialize_newtype_variant(name, number, variant, i),
            JsonOf::Float(f) => s.serialize_newtype_variant(name, number, variant, f),
            JsonOf::Str(text) => s.serialize_newtype_variant(name, number, variant, text),
            JsonOf::List(items) => s.serialize_newtype_variant(name, number, variant, items),
            JsonOf::Map(entries) => s.serialize_newtype_variant(name, number, variant, entries),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<JsonOf<T>, D::Error> {
        struct JsonVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for JsonVisitor<T> {
            type Value = JsonOf<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a stored JSON value")
            }

            fn visit_enum<A: EnumAccess<'de>>(
                self,
                data: A,
            ) -> std::result::Result<JsonOf<T>, A::Error> {
                let (Variant(tag), v) = data.variant::<Variant<JsonTag>>()?;
                match tag {
                    JsonTag::Null => v.unit_variant().map(|()| JsonOf::Null),
                    JsonTag::Bool => v.newtype_variant().map(JsonOf::Bool),
                    JsonTag::Int => v.newtype_variant().map(JsonOf::Int),
                    JsonTag::Float => v.newtype_variant().map(JsonOf::Float),
                    JsonTag::Str => v.newtype_variant().map(JsonOf::Str),
                    JsonTag::List => v.newtype_variant().map(JsonOf::List),
                    JsonTag::Map => v.newtype_variant().map(JsonOf::Map),
                }
            }
        }

        d.deserialize_enum(
            "Json",
            <JsonTag as Numbered>::VARIANTS,
            JsonVisitor(std::marker::PhantomData),
        )
    }
}

impl<T> JsonOf<T> {
    fn tag(&self) -> JsonTag {
        match self {
            JsonOf::Null => JsonTag::Null,
            JsonOf::Bool(_) => JsonTag::Bool,
            JsonOf::Int(_) => JsonTag::Int,
            JsonOf::Float(_) => JsonTag::Float,
            JsonOf::Str(_) => JsonTag::Str,
            JsonOf::List(_) => JsonTag::List,
            JsonOf::Map(_) => JsonTag::Map,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, JsonOf::Null)
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            JsonOf::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl<T: AsRef<str>> JsonOf<T> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonOf::Str(s) => Some(s.as_ref()),
            _ => None,
        }
    }

    /// Looks a key up in a map value.
    pub fn get(&self, key: &str) -> Option<&JsonOf<T>> {
        match self {
            JsonOf::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl Json {
    /// Converts to a `serde_json::Value` for output.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Json::Str(s) => Value::String(s.clone()),
            Json::List(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A [`Json`] serialized as the plain JSON it stands for (its own `Serialize` is the stored,
/// tagged form the codec writes). Every output form (a `serde_json::Value`, JSON text, Python
/// objects) goes through this one mapping; a float that is not finite becomes `null`, as in
/// [`Json::to_value`].
pub struct AsJson<'a, T>(pub &'a JsonOf<T>);

impl<T: AsRef<str>> serde::Serialize for AsJson<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            JsonOf::Null => s.serialize_unit(),
            JsonOf::Bool(b) => s.serialize_bool(*b),
            JsonOf::Int(i) => s.serialize_i64(*i),
            JsonOf::Float(f) if f.is_finite() => s.serialize_f64(*f),
            JsonOf::Float(_) => s.serialize_unit(),
            JsonOf::Str(text) => s.serialize_str(text.as_ref()),
            JsonOf::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&AsJson(item))?;
                }
                seq.end()
            }
            JsonOf::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), &AsJson(v))?;
                }
                map.end()
            }
        }
    }
}

/// A `serde_json` value or object serialized in [`Json`]'s stored form, to the same bytes as the
/// [`Json`] that `Json::from` would build, without building it: a bulk add's journal entry
/// encodes its request body this way.
#[derive(Clone, Copy)]
pub enum StoredJson<'a> {
    Value(&'a Value),
    Object(&'a Map<String, Value>),
}

impl Serialize for StoredJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        struct Items<'a>(&'a [Value]);
        impl Serialize for Items<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for v in self.0 {
                    seq.serialize_element(&StoredJson::Value(v))?;
                }
                seq.end()
            }
        }
        struct Entries<'a>(&'a Map<String, Value>);
        impl Serialize for Entries<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    seq.serialize_element(&(k.as_str(), StoredJson::Value(v)))?;
                }
                seq.end()
            }
        }
        let variant = |tag: JsonTag| ("Json", tag.number(), tag.variant_name());
        match *self {
            StoredJson::Object(map) => {
                let (name, number, v) = variant(JsonTag::Map);
                s.serialize_newtype_variant(name, number, v, &Entries(map))
            }
            StoredJson::Value(Value::Object(map)) => StoredJson::Object(map).serialize(s),
            StoredJson::Value(Value::Array(items)) => {
                let (name, number, v) = variant(JsonTag::List);
                s.serialize_newtype_variant(name, number, v, &Items(items))
            }
            StoredJson::Value(Value::String(text)) => {
                let (name, number, v) = variant(JsonTag::Str);
                s.serialize_newtype_variant(name, number, v, text.as_str())
            }
            // Null, booleans and numbers convert without allocating.
            StoredJson::Value(other) => Json::from(other).serialize(s),
        }
    }
}

impl<'a, S: From<&'a str>> JsonOf<S> {
    /// A parsed JSON value in stored form: as a [`Json`] it copies the text, as a [`JsonView`]
    /// it borrows the text from `v`.
    pub fn of(v: &'a Value) -> JsonOf<S> {
        match v {
            Value::Null => JsonOf::Null,
            Value::Bool(b) => JsonOf::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => JsonOf::Int(i),
                None => JsonOf::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => JsonOf::Str(S::from(s)),
            Value::Array(items) => JsonOf::List(items.iter().map(JsonOf::of).collect()),
            Value::Object(map) => JsonOf::of_map(map),
        }
    }

    /// A parsed JSON object in stored form (see [`JsonOf::of`]).
    pub fn of_map(map: &'a Map<String, Value>) -> JsonOf<S> {
        JsonOf::Map(
            map.iter()
                .map(|(k, v)| (S::from(k), JsonOf::of(v)))
                .collect(),
        )
    }
}

impl From<&Value> for Json {
    fn from(v: &Value) -> Json {
        JsonOf::of(v)
    }
}

impl From<&Map<String, Value>> for Json {
    fn from(map: &Map<String, Value>) -> Json {
        JsonOf::of_map(map)
    }
}

impl From<Value> for Json {
    fn from(v: Value) -> Json {
        Json::from(&v)
    }
}
