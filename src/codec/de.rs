//! A serde deserializer over a record's payload, reading exactly the bytes bincode 2 writes in
//! its standard configuration (little-endian, variable-length integers), for the read path.
//!
//! Why not bincode's own serde decoder: it threads a large error type and its byte-limit
//! accounting through every value, and on a case record (some forty nested values) copying
//! those results from layer to layer was the hottest code of decoding (`perf annotate`); this
//! reader decodes a case in a third less time (docs/benchmarks.md). It carries a two-word error
//! and needs no limit: it reads from a slice already in memory, so a corrupt length can only run
//! off the slice's end (serde's own collections cap what they reserve from a length they are
//! told). Records are still written by bincode; the tests check that both read every serde form,
//! a case, and damaged and random bytes the same way.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

/// Why a payload could not be read. A boxed text, so that results stay small.
#[derive(Debug)]
pub(super) struct DeError(Box<str>);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError(msg.to_string().into())
    }
}

fn fail<T>(why: &str) -> Result<T, DeError> {
    Err(DeError(why.into()))
}

/// Reads a `T` from the front of `bytes`; answers it and how many bytes it took.
pub(super) fn from_slice<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<(T, usize), DeError> {
    let mut reader = Reader { rest: bytes };
    let value = T::deserialize(&mut reader)?;
    Ok((value, bytes.len() - reader.rest.len()))
}

// bincode's varint: one byte up to 250, else a marker byte and the integer in 2, 4, 8 or 16
// little-endian bytes.
const SINGLE_BYTE_MAX: u8 = 250;
const U16_BYTE: u8 = 251;
const U32_BYTE: u8 = 252;
const U64_BYTE: u8 = 253;
const U128_BYTE: u8 = 254;

struct Reader<'de> {
    rest: &'de [u8],
}

impl<'de> Reader<'de> {
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8], DeError> {
        if n > self.rest.len() {
            return fail("the record ends early");
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DeError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, DeError> {
        match self.rest.split_first() {
            Some((&b, tail)) => {
                self.rest = tail;
                Ok(b)
            }
            None => fail("the record ends early"),
        }
    }

    /// A varint no wider than `widest` (one of the marker bytes up to [`U64_BYTE`]) allows, as
    /// bincode reads an integer of that width.
    #[inline]
    fn varint(&mut self, widest: u8) -> Result<u64, DeError> {
        let marker = self.byte()?;
        if marker <= SINGLE_BYTE_MAX {
            return Ok(u64::from(marker));
        }
        if marker > widest {
            return fail("an integer wider than its type");
        }
        Ok(match marker {
            U16_BYTE => u64::from(u16::from_le_bytes(self.array()?)),
            U32_BYTE => u64::from(u32::from_le_bytes(self.array()?)),
            _ => u64::from_le_bytes(self.array()?),
        })
    }

    /// A 128-bit varint: [`U128_BYTE`] and sixteen bytes, or any narrower form.
    fn varint128(&mut self) -> Result<u128, DeError> {
        if self.rest.first() == Some(&U128_BYTE) {
            self.byte()?;
            return Ok(u128::from_le_bytes(self.array()?));
        }
        self.varint(U64_BYTE).map(u128::from)
    }

    #[inline]
    fn u16(&mut self) -> Result<u16, DeError> {
        self.varint(U16_BYTE).map(|v| v as u16)
    }

    #[inline]
    fn u32(&mut self) -> Result<u32, DeError> {
        self.varint(U32_BYTE).map(|v| v as u32)
    }

    #[inline]
    fn u64(&mut self) -> Result<u64, DeError> {
        self.varint(U64_BYTE)
    }

    #[inline]
    fn len(&mut self) -> Result<usize, DeError> {
        usize::try_from(self.u64()?).or_else(|_| fail("a length past this machine's memory"))
    }

    #[inline]
    fn str(&mut self) -> Result<&'de str, DeError> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).or_else(|_| fail("a string that is not UTF-8"))
    }
}

/// Zigzag: 0, -1, 1, -2... as 0, 1, 2, 3...
macro_rules! zigzag {
    ($n:expr, $t:ty) => {{
        let n = $n;
        if n % 2 == 0 {
            (n / 2) as $t
        } else {
            !(n / 2) as $t
        }
    }};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
        fail("a record type that needs a self-describing format")
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.byte()? {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            _ => fail("a boolean that is neither 0 nor 1"),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i8(self.byte()? as i8)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i16(zigzag!(self.u16()?, i16))
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i32(zigzag!(self.u32()?, i32))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i64(zigzag!(self.u64()?, i64))
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i128(zigzag!(self.varint128()?, i128))
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u8(self.byte()?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u16(self.u16()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u32(self.u32()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(self.u64()?)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u128(self.varint128()?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f32(f32::from_le_bytes(self.array()?))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(f64::from_le_bytes(self.array()?))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // UTF-8, one to four bytes, the first saying how many.
        let width = match self.rest.first() {
            Some(b) if *b < 0x80 => 1,
            Some(b) if (0xC2..=0xDF).contains(b) => 2,
            Some(b) if (0xE0..=0xEF).contains(b) => 3,
            Some(b) if (0xF0..=0xF4).contains(b) => 4,
            Some(_) => return fail("a character that is not UTF-8"),
            None => return fail("the record ends early"),
        };
        let bytes = self.take(width)?;
        match std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.chars().next())
        {
            Some(c) => visitor.visit_char(c),
            None => fail("a character that is not UTF-8"),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.str()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.str()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let n = self.len()?;
        visitor.visit_borrowed_bytes(self.take(n)?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.byte()? {
            0 => visitor.visit_none(),
            1 => visitor.visit_some(self),
            _ => fail("an option tag that is neither 0 nor 1"),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let len = self.len()?;
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_seq(Items { reader: self, len })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let len = self.len()?;
        visitor.visit_map(Items { reader: self, len })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
        fail("a record type that names its fields")
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
        fail("a record type that skips values")
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The items of a sequence, tuple or struct, or the entries of a map, `len` of them.
struct Items<'a, 'de> {
    reader: &'a mut Reader<'de>,
    len: usize,
}

impl<'de> Items<'_, 'de> {
    /// The next item (or map key), if `len` allows one more.
    #[inline]
    fn next<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        if self.len == 0 {
            return Ok(None);
        }
        self.len -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = DeError;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.next(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        self.next(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        seed.deserialize(&mut *self.reader)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

impl<'de> EnumAccess<'de> for &mut Reader<'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let index = self.u32()?;
        let value = seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(index))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for &mut Reader<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_tuple(self, fields.len(), visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::from_slice;
    use crate::codec::payload;
    use crate::model::{Case, CaseView, Json};

    /// bincode's own reading of a payload, as the store read records before this reader.
    fn bincode_reads<T: DeserializeOwned>(bytes: &[u8]) -> Option<(T, usize)> {
        let config = bincode::config::standard().with_limit::<{ 256 * 1024 * 1024 }>();
        bincode::serde::decode_from_slice::<T, _>(bytes, config).ok()
    }

    /// Both readers take the same bytes, or both refuse them; what they read encodes the same.
    fn agree<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> bool {
        let ours = from_slice::<T>(bytes).ok();
        let theirs = bincode_reads::<T>(bytes);
        match (&ours, &theirs) {
            (Some((a, used_a)), Some((b, used_b))) => {
                assert_eq!(used_a, used_b, "bytes used of {bytes:?}");
                assert_eq!(payload(a).unwrap(), payload(b).unwrap(), "{bytes:?}");
                true
            }
            (None, None) => false,
            _ => panic!(
                "this reader {} and bincode {} bytes {bytes:?}",
                if ours.is_some() { "reads" } else { "refuses" },
                if theirs.is_some() { "reads" } else { "refuses" },
            ),
        }
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Shape {
        Unit,
        New(i32),
        Pair(u8, i8),
        Named { a: u16, b: i16 },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Unit;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Every {
        b: bool,
        u8_: u8,
        u16_: u16,
        u32_: u32,
        u64_: u64,
        u128_: u128,
        i8_: i8,
        i16_: i16,
        i32_: i32,
        i64_: i64,
        i128_: i128,
        f32_: f32,
        f64_: f64,
        c: char,
        s: String,
        #[serde(with = "serde_bytes_like")]
        raw: Vec<u8>,
        o: Option<String>,
        t: (u32, String),
        v: Vec<Shape>,
        m: BTreeMap<String, i64>,
        unit: (),
        unit_struct: Unit,
        json: Json,
    }

    /// `Vec<u8>` through `serialize_bytes` / `deserialize_byte_buf`, as serde_bytes would.
    mod serde_bytes_like {
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Vec<u8>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                    Ok(v.to_vec())
                }
            }
            d.deserialize_byte_buf(V)
        }
    }

    fn every(k: u64) -> Every {
        // Integers at and around each varint width's edges.
        let edges = [
            0u64,
            1,
            250,
            251,
            255,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
        ];
        let e = edges[(k as usize) % edges.len()];
        Every {
            b: k % 2 == 0,
            u8_: e as u8,
            u16_: e as u16,
            u32_: e as u32,
            u64_: e.wrapping_mul(k + 1),
            u128_: u128::from(e) << (k % 100),
            i8_: -(e as i8),
            i16_: -(e as i16),
            i32_: -(e as i32),
            i64_: -(e as i64) * (k as i64 + 1),
            i128_: -(i128::from(e) << (k % 100)),
            f32_: e as f32 / 3.0,
            f64_: -(e as f64) / 7.0,
            c: ['a', 'é', '€', '𝄞'][(k % 4) as usize],
            s: "Ünïcode ✓ ".repeat((k % 5) as usize),
            raw: (0..(k % 7) as u8).collect(),
            o: (k % 3 == 0).then(|| format!("note {k}")),
            t: (e as u32, format!("{e}")),
            v: vec![
                Shape::Unit,
                Shape::New(-(e as i32)),
                Shape::Pair(e as u8, -(e as i8)),
                Shape::Named {
                    a: e as u16,
                    b: -(e as i16),
                },
            ],
            m: (0..k % 4).map(|i| (format!("k{i}"), -(i as i64))).collect(),
            unit: (),
            unit_struct: Unit,
            json: Json::from(&json!({
                "n": null, "t": true, "i": -(e as i64), "f": 2.5,
                "l": [1, "two", [3.5]], "m": {"x": {"y": "z"}}
            })),
        }
    }

    fn case() -> Case {
        Case::from_json(&json!({
            "id": 7, "title": "Checkout with a saved card", "section_id": 3, "suite_id": 2,
            "template_id": 2, "type_id": 6, "priority_id": 2, "milestone_id": null,
            "refs": "WEB-1", "created_by": 1, "created_on": 1_700_000_000,
            "updated_by": 2, "updated_on": 1_700_000_500, "estimate": "5m",
            "estimate_forecast": null, "display_order": 7, "is_deleted": 0, "labels": [],
            "custom_preconds": "A saved card",
            "custom_steps_separated": [
                {"content": "Open the basket", "expected": "It opens", "additional_info": "",
                 "refs": ""}
            ],
            "custom_automation_type": 1, "custom_is_flaky": false, "x_extra": {"a": [1.25]}
        }))
        .unwrap()
    }

    #[test]
    fn it_reads_every_form_as_bincode_wrote_it() {
        for k in 0..200 {
            let value = every(k);
            let bytes = payload(&value).unwrap();
            let (read, used) = from_slice::<Every>(&bytes).unwrap();
            assert_eq!(read, value);
            assert_eq!(used, bytes.len());
            assert!(agree::<Every>(&bytes));
        }
        let c = case();
        let bytes = payload(&c).unwrap();
        assert_eq!(from_slice::<Case>(&bytes).unwrap(), (c, bytes.len()));
        assert!(borrowed_agrees(&bytes));
    }

    /// Whether a case payload reads as a [`CaseView`], asserting that it does exactly where it
    /// reads as a [`Case`], with the same fields (the view writes the same bytes back).
    fn borrowed_agrees(bytes: &[u8]) -> bool {
        let owned = from_slice::<Case>(bytes).ok();
        let view = from_slice::<CaseView<'_>>(bytes).ok();
        match (&owned, &view) {
            (Some((c, used_c)), Some((v, used_v))) => {
                assert_eq!(used_c, used_v, "bytes used of {bytes:?}");
                assert_eq!(payload(c).unwrap(), payload(v).unwrap(), "{bytes:?}");
                assert_eq!(c.title, v.title);
                true
            }
            (None, None) => false,
            _ => panic!("the view and the case disagree on {bytes:?}"),
        }
    }

    /// A small generator, so that the test is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Damaged records: bytes changed, cut, inserted and dropped, and bytes at random. Wherever
    /// bincode refuses a payload this reader does too, and wherever it reads one both read it
    /// the same.
    #[test]
    fn it_takes_and_refuses_exactly_what_bincode_does() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let seeds: Vec<(bool, Vec<u8>)> = (0..20)
            .map(|k| (true, payload(&every(k)).unwrap()))
            .chain([(false, payload(&case()).unwrap())])
            .collect();
        let (mut read, mut refused) = (0, 0);
        for round in 0..30_000 {
            let (is_every, seed) = &seeds[round % seeds.len()];
            let mut bytes = seed.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len());
                match rng.below(5) {
                    _ if bytes.is_empty() => bytes.push(rng.next() as u8),
                    0 => bytes[at] = rng.next() as u8,
                    1 => bytes[at] ^= 1 << rng.below(8),
                    2 => bytes.truncate(at),
                    3 => bytes.insert(at, [0, 1, 250, 251, 252, 253, 254, 255][rng.below(8)]),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let ok = if *is_every {
                agree::<Every>(&bytes)
            } else {
                let read = agree::<Case>(&bytes);
                assert_eq!(read, borrowed_agrees(&bytes));
                read
            };
            if ok {
                read += 1;
            } else {
                refused += 1;
            }
            let noise: Vec<u8> = (0..rng.below(24)).map(|_| rng.next() as u8).collect();
            agree::<Json>(&noise);
            agree::<Vec<(String, Option<u64>)>>(&noise);
        }
        // Both outcomes were exercised.
        assert!(
            read > 1_000 && refused > 1_000,
            "{read} read, {refused} refused"
        );
    }
}
