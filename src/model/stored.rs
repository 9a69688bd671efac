//! Enums stored by explicit numbers.
//!
//! serde's derive writes a variant as its position in the declaration, so a reordered or inserted
//! variant would silently change the meaning of every record already stored. An enum declared
//! with [`stored_enum!`] writes a number given next to each variant instead: bincode (the store's
//! records) stores that number and JSON (bundles) keeps the variant's name, so both read exactly
//! what serde's derive wrote for the same numbers. Enums with fields (`PushState`, `Json`) declare
//! a fieldless tag enum this way and write their serde impls around it.
//!
//! The rule for every such list: a number is never reused. A retired variant stays in the list as
//! a comment with its number, and a new variant takes the next number after the largest.
//! `model::pins` pins every number and the bytes of a few records.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, EnumAccess, Unexpected, VariantAccess, Visitor};

/// A fieldless enum with a stored number per variant, implemented by [`stored_enum!`].
pub(crate) trait Numbered: Sized + Copy + 'static {
    /// The enum's name, as serde is told it.
    const NAME: &'static str;
    /// The variants' names (their JSON form), in declaration order.
    const VARIANTS: &'static [&'static str];
    /// The variant stored as `number`, if any.
    fn from_number(number: u64) -> Option<Self>;
    /// The variant whose name is `name`, if any.
    fn from_variant_name(name: &str) -> Option<Self>;
    /// The number this variant is stored as.
    fn number(self) -> u32;
    /// The variant's name, its JSON form.
    fn variant_name(self) -> &'static str;
}

/// Declares a fieldless enum whose variants carry explicit stored numbers. `enum Name: T` names
/// the integer type of `code()` and `from_code()`. Generates `ALL`, `code()`, `from_code()` and
/// serde impls that write the number (bincode) or the variant's name (JSON).
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: $int:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[repr(u8)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant = $code, )*
        }

        // A private tag enum uses only some of these.
        #[allow(dead_code)]
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),*].len()] = [$($name::$variant),*];

            /// The number this variant is stored as: fixed, never reused.
            pub const fn code(self) -> $int {
                self as $int
            }

            /// The variant stored as `code`, if any.
            pub const fn from_code(code: $int) -> Option<$name> {
                match code {
                    $( $code => Some($name::$variant), )*
                    _ => None,
                }
            }
        }

        impl $crate::model::stored::Numbered for $name {
            const NAME: &'static str = stringify!($name);
            const VARIANTS: &'static [&'static str] = &[$(stringify!($variant)),*];

            fn from_number(number: u64) -> Option<$name> {
                match number {
                    $( $code => Some($name::$variant), )*
                    _ => None,
                }
            }

            fn from_variant_name(name: &str) -> Option<$name> {
                match name {
                    $( stringify!($variant) => Some($name::$variant), )*
                    _ => None,
                }
            }

            fn number(self) -> u32 {
                self as u32
            }

            fn variant_name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant), )*
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use $crate::model::stored::Numbered;
                s.serialize_unit_variant(stringify!($name), self.number(), self.variant_name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                $crate::model::stored::deserialize_unit(d)
            }
        }
    };
}
pub(crate) use stored_enum;

/// A variant's identifier as a deserializer gives it: the number (bincode) or the name (JSON).
/// The first half of reading an enum with fields.
pub(crate) struct Variant<T>(pub T);

impl<'de, T: Numbered> Deserialize<'de> for Variant<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(VariantVisitor(PhantomData))
    }
}

struct VariantVisitor<T>(PhantomData<T>);

impl<T: Numbered> Visitor<'_> for VariantVisitor<T> {
    type Value = Variant<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a variant of {}", T::NAME)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Variant<T>, E> {
        T::from_number(v)
            .map(Variant)
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Variant<T>, E> {
        T::from_variant_name(v)
            .map(Variant)
            .ok_or_else(|| E::unknown_variant(v, T::VARIANTS))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Variant<T>, E> {
        match std::str::from_utf8(v) {
            Ok(name) => self.visit_str(name),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }
}

/// Reads a fieldless numbered enum (the `Deserialize` of [`stored_enum!`]).
pub(crate) fn deserialize_unit<'de, T: Numbered, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    struct UnitVisitor<T>(PhantomData<T>);

    impl<'de, T: Numbered> Visitor<'de> for UnitVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a variant of {}", T::NAME)
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
            let (Variant(value), variant) = data.variant::<Variant<T>>()?;
            variant.unit_variant()?;
            Ok(value)
        }
    }

    d.deserialize_enum(T::NAME, T::VARIANTS, UnitVisitor(PhantomData))
}

/// Reads the fields of a struct variant into `T`, a struct with the same fields in the same
/// order that derives `Deserialize`: bincode gives them as a sequence, JSON as a map.
pub(crate) fn struct_variant<'de, T, A>(
    variant: A,
    fields: &'static [&'static str],
) -> Result<T, A::Error>
where
    T: Deserialize<'de>,
    A: VariantAccess<'de>,
{
    struct Fields<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Fields<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the fields of a variant")
        }

        fn visit_seq<S: de::SeqAccess<'de>>(self, seq: S) -> Result<T, S::Error> {
            T::deserialize(de::value::SeqAccessDeserializer::new(seq))
        }

        fn visit_map<M: de::MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }

    variant.struct_variant(fields, Fields(PhantomData))
}
