//! The only module that names the binary codec.
//!
//! Records are stored as `[record version: u8][bincode 2 payload]`. bincode is pinned to 2.0.1 and
//! used through its serde layer, so swapping it means changing this file only. Decoding never
//! panics: a short, corrupt or unknown record is a typed [`Error`].

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Result};

/// Version of the record layout written by this build. Bump it when a stored struct changes, and
/// teach [`decode`] to read the older layout.
pub const RECORD_VERSION: u8 = 1;

/// Upper bound on what a single record may claim to allocate while decoding, so a corrupt length
/// prefix cannot make the decoder ask for gigabytes.
const DECODE_LIMIT: usize = 256 * 1024 * 1024;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a record with the current record version in front.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(RECORD_VERSION);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::internal(format!("encoding a record failed: {e}")))?;
    Ok(out)
}

/// Decodes a record written by [`encode`], checking its version and that every byte was used.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    let (&version, payload) = bytes
        .split_first()
        .ok_or_else(|| Error::damaged(format!("empty {what} record")))?;
    if version > RECORD_VERSION {
        return Err(Error::Unsupported {
            found: u32::from(version),
            supported: u32::from(RECORD_VERSION),
        });
    }
    if version == 0 {
        return Err(Error::damaged(format!("{what} record has version 0")));
    }
    let (value, used) = bincode::serde::decode_from_slice::<T, _>(payload, config())
        .map_err(|e| Error::damaged(format!("{what} record cannot be decoded: {e}")))?;
    if used != payload.len() {
        return Err(Error::damaged(format!(
            "{what} record has {} trailing bytes",
            payload.len() - used
        )));
    }
    Ok(value)
}

/// The fixed-size summary of a case kept in the suite index, so that `get_cases` filters on
/// priority, type, dates and the like without decoding whole case records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSummary {
    pub section_id: u64,
    pub template_id: u64,
    pub type_id: u64,
    pub priority_id: u64,
    /// 0 when the case has no milestone.
    pub milestone_id: u64,
    pub created_by: u64,
    pub updated_by: u64,
    pub created_on: i64,
    pub updated_on: i64,
}

/// Bytes in an encoded [`CaseSummary`].
pub const CASE_SUMMARY_LEN: usize = 72;

impl CaseSummary {
    pub fn encode(&self) -> [u8; CASE_SUMMARY_LEN] {
        let mut out = [0u8; CASE_SUMMARY_LEN];
        let words = [
            self.section_id,
            self.template_id,
            self.type_id,
            self.priority_id,
            self.milestone_id,
            self.created_by,
            self.updated_by,
            self.created_on as u64,
            self.updated_on as u64,
        ];
        for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<CaseSummary> {
        if bytes.len() != CASE_SUMMARY_LEN {
            return Err(Error::damaged(format!(
                "case summary has {} bytes, expected {CASE_SUMMARY_LEN}",
                bytes.len()
            )));
        }
        let mut w = [0u64; 9];
        for (slot, chunk) in w.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *slot = u64::from_le_bytes(b);
        }
        Ok(CaseSummary {
            section_id: w[0],
            template_id: w[1],
            type_id: w[2],
            priority_id: w[3],
            milestone_id: w[4],
            created_by: w[5],
            updated_by: w[6],
            created_on: w[7] as i64,
            updated_on: w[8] as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Sample {
        id: u64,
        name: String,
        tags: Vec<Option<String>>,
    }

    #[test]
    fn round_trip_and_typed_errors() {
        let s = Sample {
            id: 7,
            name: "héllo 🦀".into(),
            tags: vec![None, Some(String::new())],
        };
        let bytes = encode(&s).unwrap();
        assert_eq!(decode::<Sample>(&bytes, "sample").unwrap(), s);
        // Every truncation is a typed error, never a panic.
        for cut in 0..bytes.len() {
            assert!(
                decode::<Sample>(&bytes[..cut], "sample").is_err(),
                "cut {cut}"
            );
        }
        let mut newer = bytes.clone();
        newer[0] = RECORD_VERSION + 1;
        assert!(matches!(
            decode::<Sample>(&newer, "sample"),
            Err(Error::Unsupported { .. })
        ));
        let mut trailing = bytes;
        trailing.push(0);
        assert!(matches!(
            decode::<Sample>(&trailing, "sample"),
            Err(Error::Damaged { .. })
        ));
    }

    #[test]
    fn summary_round_trip() {
        let s = CaseSummary {
            section_id: 1,
            template_id: 2,
            type_id: 3,
            priority_id: 4,
            milestone_id: 0,
            created_by: 6,
            updated_by: 7,
            created_on: -5,
            updated_on: 1 << 40,
        };
        assert_eq!(CaseSummary::decode(&s.encode()).unwrap(), s);
        assert!(CaseSummary::decode(&[0; 3]).is_err());
    }
}
