//! A JSON value that the binary codec can store.
//!
//! `serde_json::Value` needs a self-describing format to deserialize, which bincode is not, so
//! custom field values and unknown keys are kept as [`Json`] and converted at the edges.

use std::fmt;

use serde::de::{Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::stored::{stored_enum, Numbered, Variant};

/// A JSON value in stored form. Object keys keep their order. Stored by the numbers of
/// [`JsonTag`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Map(Vec<(String, Json)>),
}

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
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let tag = self.tag();
        let (name, number, variant) = ("Json", tag.number(), tag.variant_name());
        match self {
            Json::Null => s.serialize_unit_variant(name, number, variant),
            Json::Bool(b) => s.serialize_newtype_variant(name, number, variant, b),
            Json::Int(i) => s.serialize_newtype_variant(name, number, variant, i),
            Json::Float(f) => s.serialize_newtype_variant(name, number, variant, f),
            Json::Str(text) => s.serialize_newtype_variant(name, number, variant, text),
            Json::List(items) => s.serialize_newtype_variant(name, number, variant, items),
            Json::Map(entries) => s.serialize_newtype_variant(name, number, variant, entries),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Json, D::Error> {
        struct JsonVisitor;

        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a stored JSON value")
            }

            fn visit_enum<A: EnumAccess<'de>>(
                self,
                data: A,
            ) -> std::result::Result<Json, A::Error> {
                let (Variant(tag), v) = data.variant::<Variant<JsonTag>>()?;
                match tag {
                    JsonTag::Null => v.unit_variant().map(|()| Json::Null),
                    JsonTag::Bool => v.newtype_variant().map(Json::Bool),
                    JsonTag::Int => v.newtype_variant().map(Json::Int),
                    JsonTag::Float => v.newtype_variant().map(Json::Float),
                    JsonTag::Str => v.newtype_variant().map(Json::Str),
                    JsonTag::List => v.newtype_variant().map(Json::List),
                    JsonTag::Map => v.newtype_variant().map(Json::Map),
                }
            }
        }

        d.deserialize_enum("Json", <JsonTag as Numbered>::VARIANTS, JsonVisitor)
    }
}

impl Json {
    fn tag(&self) -> JsonTag {
        match self {
            Json::Null => JsonTag::Null,
            Json::Bool(_) => JsonTag::Bool,
            Json::Int(_) => JsonTag::Int,
            Json::Float(_) => JsonTag::Float,
            Json::Str(_) => JsonTag::Str,
            Json::List(_) => JsonTag::List,
            Json::Map(_) => JsonTag::Map,
        }
    }

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

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Looks a key up in a map value.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A [`Json`] serialized as the plain JSON it stands for (its own `Serialize` is the stored,
/// tagged form the codec writes). Every output form (a `serde_json::Value`, JSON text, Python
/// objects) goes through this one mapping; a float that is not finite becomes `null`, as in
/// [`Json::to_value`].
pub struct AsJson<'a>(pub &'a Json);

impl serde::Serialize for AsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Int(i) => s.serialize_i64(*i),
            Json::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Json::Float(_) => s.serialize_unit(),
            Json::Str(text) => s.serialize_str(text),
            Json::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&AsJson(item))?;
                }
                seq.end()
            }
            Json::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_str(), &AsJson(v))?;
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

impl From<&Value> for Json {
    fn from(v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Json::Int(i),
                None => Json::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Json::Str(s.clone()),
            Value::Array(items) => Json::List(items.iter().map(Json::from).collect()),
            Value::Object(map) => Json::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&Map<String, Value>> for Json {
    fn from(map: &Map<String, Value>) -> Json {
        Json::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), Json::from(v)))
                .collect(),
        )
    }
}

impl From<Value> for Json {
    fn from(v: Value) -> Json {
        Json::from(&v)
    }
}
