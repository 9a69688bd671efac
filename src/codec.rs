//! The only module that names the binary codec and the compressor.
//!
//! A record is `[record version: u8][body]`:
//!
//! - version 1 ([`PLAIN`]): the body is the record's bincode 2 payload. Every store of file format
//!   1 holds only these, and this build still writes them for small records and where no
//!   compression is asked for (ids maps, tests, results);
//! - version 2 ([`PACKED`]): the body is one zstd frame of that payload. The frame names its
//!   dictionary (0 for none) and its decompressed size. A store trains one dictionary on its own
//!   case records at its first large import (see [`train`]) and keeps it in its meta table; a
//!   record refers to it by the id zstd wrote into the dictionary, which is a hash of its
//!   content.
//!
//! Records of both versions are read as they are: nothing is rewritten on open (a 1M-case store
//! would take seconds), and a record is packed when it is next written.
//!
//! bincode is pinned to 2.0.1 and used through its serde layer to write records, so swapping it
//! means changing this module only; records are read by [`de`], which reads the same bytes.
//! Decoding never panics: a short, corrupt or unknown record is a typed [`Error`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use zstd::zstd_safe;

use crate::error::{Error, Result};

mod de;

/// Record version 1: the bincode payload as it is.
pub const PLAIN: u8 = 1;
/// Record version 2: a zstd frame of the bincode payload.
pub const PACKED: u8 = 2;
/// The newest record version this build reads and writes. Bump it when a stored struct or the
/// body's form changes, and teach [`decode`] to read the older one.
pub const RECORD_VERSION: u8 = PACKED;

/// Upper bound on a record's payload, and on what it may claim to allocate while it is unpacked,
/// so a corrupt length cannot make the reader ask for gigabytes.
const DECODE_LIMIT: usize = 256 * 1024 * 1024;

/// Payloads shorter than this stay plain: zstd's frame header and the lack of repeats in a few
/// dozen bytes leave nothing to gain, and the time would be spent for nothing.
const PACK_MIN: usize = 96;

/// zstd's level for records: its first fast level, at which zstd leaves literals plain instead
/// of Huffman-coding them, so a record unpacks in a third less time (1.40 against 2.10 µs for a
/// 1.2 KB case) for a quarter more bytes, and the store stays under half of SQLite's size; a
/// `get_case` and a search's hits are read far more often than a record is written
/// (`trailstore-bench codecs`, docs/benchmarks.md).
const LEVEL: i32 = -1;

/// Payloads longer than this (a bulk add's journal entry) are packed at [`LONG_LEVEL`] without
/// the dictionary, since they find their repeats in themselves, and packing them with it (at
/// level 3) took about a tenth of a bulk add's CPU (docs/benchmarks.md, W9).
const LONG: usize = 8 * 1024;

/// zstd's level for payloads longer than [`LONG`]: its first fast level, which packs a bulk
/// add's entry in about a fifth less time than level 1, to within a few bytes of its pages
/// (docs/benchmarks.md, W9).
const LONG_LEVEL: i32 = -1;

/// bincode's standard configuration (little-endian, variable-length integers): the bytes
/// [`de`] reads. Only writes use it, and bincode's encoder has no use for a limit.
fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// A record's bincode payload, without a version in front: what a dictionary is trained on.
pub fn payload<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    write_payload(value, &mut out)?;
    Ok(out)
}

/// Appends a value's bincode payload to `out`.
fn write_payload<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    bincode::serde::encode_into_writer(value, VecOut(out), config())
        .map_err(|e| Error::internal(format!("encoding a record failed: {e}")))
}

/// bincode's writer over a `Vec`: each piece is appended, without the `std::io::Write` layer
/// (its error mapping and byte count cost more than the copy for the many small pieces of a
/// record).
struct VecOut<'a>(&'a mut Vec<u8>);

impl bincode::enc::write::Writer for VecOut<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::result::Result<(), bincode::error::EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Encodes a record plain ([`PLAIN`]), as format 1 did.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(PLAIN);
    write_payload(value, &mut out)?;
    Ok(out)
}

/// How a writer packs its records: with a store's dictionary, or without one.
#[derive(Clone, Copy, Default)]
pub struct Packer {
    dict: Option<&'static Dictionary>,
}

impl Packer {
    /// Packs with the dictionary `id` (registered by [`register`]); 0 packs without one.
    pub fn with(id: u32) -> Result<Packer> {
        if id == 0 {
            return Ok(Packer { dict: None });
        }
        match dictionary(id) {
            Some(d) => Ok(Packer { dict: Some(d) }),
            None => Err(Error::damaged(format!(
                "record dictionary {id} is named by the store but not loaded"
            ))),
        }
    }

    /// Encodes a record packed ([`PACKED`]) when that makes it smaller, else plain.
    pub fn encode<T: Serialize>(&self, value: &T) -> Result<Vec<u8>> {
        let plain = encode(value)?;
        if plain.len() <= PACK_MIN {
            return Ok(plain);
        }
        let packed = CCTX.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (cctx, frame) = &mut *guard;
            let body = &plain[1..];
            let written = match self.dict {
                _ if body.len() > LONG => cctx.compress(frame, body, PackWith::Level(LONG_LEVEL)),
                Some(d) => cctx.compress(frame, body, PackWith::Dict(&d.cdict)),
                None => cctx.compress(frame, body, PackWith::Level(LEVEL)),
            };
            match written {
                Ok(()) if frame.len() + 1 < plain.len() => {
                    let mut out = Vec::with_capacity(frame.len() + 1);
                    out.push(PACKED);
                    out.extend_from_slice(frame);
                    Ok(Some(out))
                }
                Ok(()) => Ok(None),
                Err(why) => Err(Error::internal(format!(
                    "compressing a record failed: {why}"
                ))),
            }
        })?;
        Ok(packed.unwrap_or(plain))
    }
}

thread_local! {
    /// One compression and one decompression context per thread: creating them allocates
    /// hundreds of kilobytes, more than packing a record costs.
    static CCTX: RefCell<(PackCtx, Vec<u8>)> = RefCell::new((PackCtx::create(), Vec::new()));
    static DCTX: RefCell<(zstd_safe::DCtx<'static>, Vec<u8>)> =
        RefCell::new((zstd_safe::DCtx::create(), Vec::new()));
}

/// A zstd dictionary, digested for both directions.
pub struct Dictionary {
    id: u32,
    bytes: Box<[u8]>,
    cdict: PackDict,
    ddict: zstd_safe::DDict<'static>,
}

/// The size, in bits, of the hash table through which a packed record finds repeats in the
/// dictionary ([`PackDict`]). zstd's own choice for a 64 KB dictionary at [`LEVEL`] is 12: 4,096
/// entries for the dictionary's 65,536 positions, so most of them cannot be found. At 16 the
/// benchmark's records packed 10 % smaller, with [`DICT_MIN_MATCH`] (`trailstore-bench codecs`,
/// docs/benchmarks.md).
const DICT_HASH_LOG: i32 = 16;

/// The shortest repeat a packed record refers to instead of holding the bytes (zstd's choice
/// at [`LEVEL`] is 5). Fewer, longer repeats unpack in a quarter less time and pack faster; with
/// [`DICT_HASH_LOG`], the records are still smaller than with zstd's choices.
const DICT_MIN_MATCH: i32 = 7;

/// A zstd compression dictionary digested with [`DICT_HASH_LOG`] and [`DICT_MIN_MATCH`] at
/// [`LEVEL`]; zstd-safe makes one from a level alone, so this holds zstd's own pointer. Only the
/// parameters of compression change: the frames are zstd's, read with the same dictionary.
struct PackDict(std::ptr::NonNull<zstd_safe::zstd_sys::ZSTD_CDict>);

// SAFETY: a CDict is read-only once created, and zstd lets any number of threads compress with
// one at the same time ("ZSTD_CDict can be created once and shared by multiple threads
// concurrently, since its usage is read-only", zstd.h).
unsafe impl Send for PackDict {}
// SAFETY: as for `Send`: every use takes it by shared reference, read-only.
unsafe impl Sync for PackDict {}

impl PackDict {
    /// Digests `bytes` (a dictionary from [`train`]); `None` when zstd cannot.
    fn create(bytes: &[u8]) -> Option<PackDict> {
        use zstd_safe::zstd_sys as z;
        // SAFETY: the parameter block is created, set and freed here, and checked for null;
        // zstd copies `bytes` (ZSTD_dlm_byCopy), so the CDict does not borrow them.
        unsafe {
            let params = z::ZSTD_createCCtxParams();
            if params.is_null() {
                return None;
            }
            let set = [
                z::ZSTD_CCtxParams_init(params, LEVEL),
                z::ZSTD_CCtxParams_setParameter(
                    params,
                    z::ZSTD_cParameter::ZSTD_c_hashLog,
                    DICT_HASH_LOG,
                ),
                z::ZSTD_CCtxParams_setParameter(
                    params,
                    z::ZSTD_cParameter::ZSTD_c_minMatch,
                    DICT_MIN_MATCH,
                ),
            ];
            let cdict = match set.iter().all(|&code| z::ZSTD_isError(code) == 0) {
                true => z::ZSTD_createCDict_advanced2(
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    z::ZSTD_dictLoadMethod_e::ZSTD_dlm_byCopy,
                    z::ZSTD_dictContentType_e::ZSTD_dct_auto,
                    params,
                    z::ZSTD_customMem {
                        customAlloc: None,
                        customFree: None,
                        opaque: std::ptr::null_mut(),
                    },
                ),
                false => std::ptr::null_mut(),
            };
            z::ZSTD_freeCCtxParams(params);
            std::ptr::NonNull::new(cdict).map(PackDict)
        }
    }
}

impl Drop for PackDict {
    fn drop(&mut self) {
        // SAFETY: created by `ZSTD_createCDict_advanced2` and freed once, here.
        unsafe {
            zstd_safe::zstd_sys::ZSTD_freeCDict(self.0.as_ptr());
        }
    }
}

/// A zstd compression context: zstd-safe's cannot compress with a [`PackDict`], so this holds
/// zstd's own pointer, one per thread ([`CCTX`]).
struct PackCtx(std::ptr::NonNull<zstd_safe::zstd_sys::ZSTD_CCtx>);

/// What a frame is packed with: a dictionary (and its parameters), or a level alone.
enum PackWith<'a> {
    Dict(&'a PackDict),
    Level(i32),
}

impl PackCtx {
    fn create() -> PackCtx {
        // SAFETY: a plain allocation by zstd, checked for null.
        let cctx = unsafe { zstd_safe::zstd_sys::ZSTD_createCCtx() };
        PackCtx(std::ptr::NonNull::new(cctx).expect("zstd could not allocate a context"))
    }

    /// Packs `body` into `frame` (emptied first) as one zstd frame, which holds its size and,
    /// when packed with a dictionary, the dictionary's id.
    fn compress(
        &mut self,
        frame: &mut Vec<u8>,
        body: &[u8],
        with: PackWith<'_>,
    ) -> std::result::Result<(), &'static str> {
        use zstd_safe::zstd_sys as z;
        frame.clear();
        frame.reserve(zstd_safe::compress_bound(body.len()));
        let (dst, cap) = (frame.as_mut_ptr().cast(), frame.capacity());
        // SAFETY: `self.0` is a live context used by this thread alone (`&mut self`); `dst`
        // is writable for `cap` bytes and `body` readable for its length; a dictionary is a
        // live CDict. zstd writes at most `cap` bytes and returns their count or an error code.
        let written = unsafe {
            match with {
                PackWith::Dict(d) => z::ZSTD_compress_usingCDict(
                    self.0.as_ptr(),
                    dst,
                    cap,
                    body.as_ptr().cast(),
                    body.len(),
                    d.0.as_ptr(),
                ),
                PackWith::Level(level) => z::ZSTD_compressCCtx(
                    self.0.as_ptr(),
                    dst,
                    cap,
                    body.as_ptr().cast(),
                    body.len(),
                    level,
                ),
            }
        };
        // SAFETY: a pure function of the code it is given.
        if unsafe { z::ZSTD_isError(written) } != 0 {
            return Err(zstd_safe::get_error_name(written));
        }
        // SAFETY: zstd initialized the first `written` bytes, and `written <= cap`.
        unsafe { frame.set_len(written.min(cap)) };
        Ok(())
    }
}

impl Drop for PackCtx {
    fn drop(&mut self) {
        // SAFETY: created by `ZSTD_createCCtx` and freed once, here.
        unsafe {
            zstd_safe::zstd_sys::ZSTD_freeCCtx(self.0.as_ptr());
        }
    }
}

/// Every dictionary loaded in this process, by id. Dictionaries are small (tens of kilobytes,
/// a few hundred digested) and never change, so they stay for the life of the process, shared
/// by every store that has the same one.
fn registry() -> &'static RwLock<HashMap<u32, &'static Dictionary>> {
    static REGISTRY: OnceLock<RwLock<HashMap<u32, &'static Dictionary>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(HashMap::new()))
}

fn dictionary(id: u32) -> Option<&'static Dictionary> {
    thread_local! {
        static LAST: std::cell::Cell<Option<&'static Dictionary>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some(d) = LAST.with(|l| l.get()).filter(|d| d.id == id) {
        return Some(d);
    }
    let found = registry().read().ok()?.get(&id).copied();
    LAST.with(|l| l.set(found));
    found
}

/// Loads a stored dictionary (bytes written by [`train`]) and returns its id. Loading the same
/// dictionary again is free; a different one under an id already taken is refused (ids are
/// 31-bit hashes of the content, so two stores opened in one process would have to collide).
pub fn register(bytes: &[u8]) -> Result<u32> {
    let id = zstd_safe::get_dict_id(bytes)
        .map(|n| n.get())
        .ok_or_else(|| Error::damaged("a record dictionary of the store is not one"))?;
    if let Some(d) = dictionary(id) {
        return if *d.bytes == *bytes {
            Ok(id)
        } else {
            Err(Error::damaged(format!(
                "record dictionary {id} differs from another one of that id open in this process"
            )))
        };
    }
    let ddict = zstd_safe::DDict::try_create(bytes)
        .ok_or_else(|| Error::damaged(format!("record dictionary {id} cannot be loaded")))?;
    let d: &'static Dictionary = Box::leak(Box::new(Dictionary {
        id,
        bytes: bytes.into(),
        cdict: PackDict::create(bytes)
            .ok_or_else(|| Error::damaged(format!("record dictionary {id} cannot be loaded")))?,
        ddict,
    }));
    let mut map = registry()
        .write()
        .map_err(|_| Error::internal("the dictionary registry was poisoned"))?;
    map.entry(id).or_insert(d);
    Ok(id)
}

/// Samples a dictionary is trained on: at most this many records, spread over the import.
pub const TRAIN_SAMPLES: usize = 2_000;
/// The dictionary's size. 64 KB was within 2 % of 110 KB (zstd's default) on the benchmark's
/// cases and trains in half the time (docs/benchmarks.md).
const DICT_SIZE: usize = 64 * 1024;

/// Trains a dictionary on record payloads (from [`payload`]). `None` when zstd finds too little
/// to learn from (few or tiny samples): records are then packed without one.
pub fn train(samples: &[Vec<u8>]) -> Option<Vec<u8>> {
    let total: usize = samples.iter().map(Vec::len).sum();
    // zstd wants the samples to be several times the dictionary's size.
    let size = DICT_SIZE.min(total / 8);
    if samples.len() < 16 || size < 1024 {
        return None;
    }
    let mut joined = Vec::with_capacity(total);
    let mut sizes = Vec::with_capacity(samples.len());
    for s in samples {
        joined.extend_from_slice(s);
        sizes.push(s.len());
    }
    let mut dict = vec![0u8; size];
    let len = train_fast_cover(&mut dict, &joined, &sizes)?;
    dict.truncate(len);
    zstd_safe::get_dict_id(&dict).map(|_| dict)
}

/// zstd's `ZDICT_trainFromBuffer` (fastCover, d = 8) with its segment size fixed at the one it
/// picks for case records. zstd tries five segment sizes from 50 to 2,000 bytes, each trained
/// on three quarters of the samples and scored on the rest, and keeps the best: 537 on both
/// benchmark data sets, where the others packed within 1 % of it but for 50 (up to 3.3 % more).
/// The four other tries were four-fifths of the training's CPU while the import waited for the
/// dictionary (docs/benchmarks.md). Returns the dictionary's length, or `None` when zstd finds
/// too little to learn from.
fn train_fast_cover(dict: &mut [u8], joined: &[u8], sizes: &[usize]) -> Option<usize> {
    use zstd_safe::zstd_sys as z;
    // SAFETY: an all-zero parameter block is zstd's own "defaults" (each field 0 means its
    // default, as `ZDICT_trainFromBuffer` starts from a zeroed block too).
    let mut params: z::ZDICT_fastCover_params_t = unsafe { std::mem::zeroed() };
    params.k = 537;
    params.d = 8;
    params.zParams.compressionLevel = zstd_safe::CLEVEL_DEFAULT;
    let count = u32::try_from(sizes.len()).ok()?;
    // SAFETY: `dict` is writable for `dict.len()` bytes, `joined` holds the samples whose sizes
    // `sizes` lists (they add up to `joined.len()`), and `params` outlives the call; zstd writes
    // at most `dict.len()` bytes and returns their count or an error code.
    let written = unsafe {
        z::ZDICT_optimizeTrainFromBuffer_fastCover(
            dict.as_mut_ptr().cast(),
            dict.len(),
            joined.as_ptr().cast(),
            sizes.as_ptr(),
            count,
            &mut params,
        )
    };
    // SAFETY: a pure function of the code it is given.
    let failed = unsafe { z::ZDICT_isError(written) } != 0;
    (!failed && written <= dict.len()).then_some(written)
}

/// Decodes a record written by [`encode`] or [`Packer::encode`], checking its version and that
/// every byte was used.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    match split(bytes, what)? {
        (PLAIN, body) => decode_borrowed(body, what),
        (_, body) => DCTX.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (dctx, buf) = &mut *guard;
            unpack(dctx, buf, body, what)?;
            decode_borrowed(buf, what)
        }),
    }
}

/// A record's payload, unpacked if it was packed, in a buffer of its own: what a value that
/// borrows its text ([`decode_borrowed`]) is read from after the read transaction has ended.
pub fn owned_payload(bytes: &[u8], what: &str) -> Result<Box<[u8]>> {
    match split(bytes, what)? {
        (PLAIN, body) => Ok(body.into()),
        (_, body) => DCTX.with(|cell| {
            let mut guard = cell.borrow_mut();
            let mut buf = Vec::new();
            unpack(&mut guard.0, &mut buf, body, what)?;
            Ok(buf.into_boxed_slice())
        }),
    }
}

/// A record's version, checked to be one this build reads, and its body.
fn split<'a>(bytes: &'a [u8], what: &str) -> Result<(u8, &'a [u8])> {
    let (&version, body) = bytes
        .split_first()
        .ok_or_else(|| Error::damaged(format!("empty {what} record")))?;
    match version {
        PLAIN | PACKED => Ok((version, body)),
        0 => Err(Error::damaged(format!("{what} record has version 0"))),
        v => Err(Error::Unsupported {
            found: u32::from(v),
            supported: u32::from(RECORD_VERSION),
        }),
    }
}

/// Decompresses a packed body into `buf`.
fn unpack(
    dctx: &mut zstd_safe::DCtx<'static>,
    buf: &mut Vec<u8>,
    body: &[u8],
    what: &str,
) -> Result<()> {
    let bad = |why: &str| Error::damaged(format!("{what} record cannot be unpacked: {why}"));
    let size = match zstd_safe::get_frame_content_size(body) {
        Ok(Some(n)) if n <= DECODE_LIMIT as u64 => n as usize,
        Ok(Some(_)) => return Err(bad("it claims to be too large")),
        _ => return Err(bad("no frame header")),
    };
    buf.clear();
    buf.reserve(size);
    let result = match zstd_safe::get_dict_id_from_frame(body) {
        Some(id) => {
            let d = dictionary(id.get())
                .ok_or_else(|| bad(&format!("its dictionary {id} is not one of the store's")))?;
            dctx.decompress_using_ddict(buf, body, &d.ddict)
        }
        None => dctx.decompress(buf, body),
    };
    match result {
        Ok(n) if n == size => Ok(()),
        Ok(n) => Err(bad(&format!("{n} bytes where its header says {size}"))),
        Err(code) => Err(bad(zstd_safe::get_error_name(code))),
    }
}

/// Decodes a payload (a record's body, or one from [`owned_payload`]) into a value that may
/// borrow its text from it, checking that every byte was used.
pub fn decode_borrowed<'a, T: Deserialize<'a>>(payload: &'a [u8], what: &str) -> Result<T> {
    if payload.len() > DECODE_LIMIT {
        return Err(Error::damaged(format!("{what} record is too large")));
    }
    let (value, used) = de::from_slice::<T>(payload)
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

/// Tests per block of [`TestStates`]: a run's tests with ids `64 k .. 64 k + 63` share one.
pub const TEST_BLOCK: u64 = 64;

/// Version byte of an encoded [`TestStates`] block.
const TEST_STATES_VERSION: u8 = 1;

/// A test's status and assignee, as kept apart from its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestState {
    pub status_id: u64,
    pub assignedto_id: Option<u64>,
}

/// The states of the tests of one run in one block of [`TEST_BLOCK`] ids, as stored in
/// `test_statuses`: `[version][u64 bitmap of slots held][per slot held: status, assignee + 1
/// (0 for none), each a LEB128 varint]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestStates {
    slots: Vec<Option<TestState>>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(bytes: &mut &[u8]) -> Result<u64> {
    // Statuses and most assignees fit one byte: read those without the loop.
    if let Some((&b, rest)) = bytes.split_first() {
        if b < 0x80 {
            *bytes = rest;
            return Ok(u64::from(b));
        }
    }
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes
            .split_first()
            .ok_or_else(|| Error::damaged("test states end inside a number"))?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::damaged(
        "test states hold a number longer than 64 bits",
    ))
}

impl TestStates {
    /// The block a test id is in, and its slot there.
    pub fn place(test_id: u64) -> (u64, usize) {
        (test_id / TEST_BLOCK, (test_id % TEST_BLOCK) as usize)
    }

    pub fn get(&self, slot: usize) -> Option<TestState> {
        self.slots.get(slot).copied().flatten()
    }

    pub fn set(&mut self, slot: usize, state: Option<TestState>) {
        if self.slots.len() <= slot {
            self.slots.resize(slot + 1, None);
        }
        self.slots[slot] = state;
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.slots.len() * 4);
        out.push(TEST_STATES_VERSION);
        let mut bits = 0u64;
        for (i, s) in self.slots.iter().enumerate().take(TEST_BLOCK as usize) {
            if s.is_some() {
                bits |= 1 << i;
            }
        }
        out.extend_from_slice(&bits.to_le_bytes());
        for s in self.slots.iter().take(TEST_BLOCK as usize).flatten() {
            put_varint(&mut out, s.status_id);
            put_varint(&mut out, s.assignedto_id.map_or(0, |a| a.saturating_add(1)));
        }
        out
    }

    /// How many tests an encoded block holds, from its bitmap alone.
    pub fn held(bytes: &[u8]) -> Result<u64> {
        Ok(u64::from(Self::header(bytes)?.0.count_ones()))
    }

    /// An encoded block's bitmap of slots held, and the bytes after it.
    fn header(bytes: &[u8]) -> Result<(u64, &[u8])> {
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(Error::damaged("test states are empty"));
        };
        if version != TEST_STATES_VERSION {
            return Err(Error::damaged(format!(
                "test states have version {version}, expected {TEST_STATES_VERSION}"
            )));
        }
        if rest.len() < 8 {
            return Err(Error::damaged("test states end inside their bitmap"));
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&rest[..8]);
        Ok((u64::from_le_bytes(b), &rest[8..]))
    }

    pub fn decode(bytes: &[u8]) -> Result<TestStates> {
        let (bits, mut rest) = Self::header(bytes)?;
        let mut slots = vec![None; 64 - bits.leading_zeros() as usize];
        for (i, slot) in slots.iter_mut().enumerate() {
            if bits & (1 << i) != 0 {
                let status_id = take_varint(&mut rest)?;
                let assignee = take_varint(&mut rest)?;
                *slot = Some(TestState {
                    status_id,
                    assignedto_id: assignee.checked_sub(1),
                });
            }
        }
        if !rest.is_empty() {
            return Err(Error::damaged(
                "test states have bytes after their last test",
            ));
        }
        Ok(TestStates { slots })
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
    fn test_states_round_trip_and_typed_errors() {
        let mut s = TestStates::default();
        assert!(s.is_empty());
        s.set(
            0,
            Some(TestState {
                status_id: 1,
                assignedto_id: None,
            }),
        );
        s.set(
            63,
            Some(TestState {
                status_id: 300,
                assignedto_id: Some(u64::from(u32::MAX) << 12),
            }),
        );
        s.set(
            5,
            Some(TestState {
                status_id: 3,
                assignedto_id: Some(0),
            }),
        );
        let bytes = s.encode();
        let back = TestStates::decode(&bytes).unwrap();
        for i in 0..64 {
            assert_eq!(back.get(i), s.get(i), "slot {i}");
        }
        assert_eq!(back.get(7), None);
        for cut in 0..bytes.len() {
            assert!(TestStates::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(TestStates::decode(&longer).is_err());
        s.set(0, None);
        s.set(5, None);
        s.set(63, None);
        assert!(s.is_empty());
        assert_eq!(TestStates::place(130), (2, 2));
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
        assert_eq!(bytes[0], PLAIN);
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

    /// Records alike enough for a dictionary to learn from, as a store's cases are.
    fn samples(n: usize) -> Vec<Sample> {
        let words = [
            "checkout", "basket", "payment", "refund", "invoice", "shipping", "login",
        ];
        (0..n)
            .map(|i| Sample {
                id: i as u64,
                name: (0..40)
                    .map(|k| words[(i * 7 + k * k) % words.len()])
                    .collect::<Vec<_>>()
                    .join(" "),
                tags: vec![Some(format!("Open the {} page", words[i % 7])), None],
            })
            .collect()
    }

    #[test]
    fn packed_records_round_trip_with_and_without_a_dictionary() {
        let records = samples(300);
        let payloads: Vec<Vec<u8>> = records.iter().map(|r| payload(r).unwrap()).collect();
        let dict = train(&payloads).expect("enough samples to train on");
        let id = register(&dict).unwrap();
        // Loading the same dictionary again is fine.
        assert_eq!(register(&dict).unwrap(), id);
        for packer in [Packer::with(0).unwrap(), Packer::with(id).unwrap()] {
            let bytes = packer.encode(&records[5]).unwrap();
            assert_eq!(bytes[0], PACKED);
            assert!(bytes.len() < encode(&records[5]).unwrap().len());
            assert_eq!(decode::<Sample>(&bytes, "sample").unwrap(), records[5]);
            for cut in 0..bytes.len() {
                assert!(
                    decode::<Sample>(&bytes[..cut], "sample").is_err(),
                    "cut {cut}"
                );
            }
            let mut flipped = bytes.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 0x55;
            let _ = decode::<Sample>(&flipped, "sample");
        }
        let with = Packer::with(id).unwrap().encode(&records[9]).unwrap();
        let without = Packer::with(0).unwrap().encode(&records[9]).unwrap();
        assert!(
            with.len() < without.len(),
            "{} vs {}",
            with.len(),
            without.len()
        );
        // A small record stays plain, and plain records (format 1's) still read.
        let small = Sample {
            id: 1,
            name: "x".into(),
            tags: vec![],
        };
        let bytes = Packer::with(id).unwrap().encode(&small).unwrap();
        assert_eq!(bytes, encode(&small).unwrap());
        assert_eq!(decode::<Sample>(&bytes, "sample").unwrap(), small);
    }

    #[test]
    fn a_record_naming_an_unknown_dictionary_is_a_typed_error() {
        assert!(matches!(Packer::with(12345), Err(Error::Damaged { .. })));
        let mut other = samples(300);
        for r in &mut other {
            r.name = r.name.to_uppercase();
        }
        let payloads: Vec<Vec<u8>> = other.iter().map(|r| payload(r).unwrap()).collect();
        let dict = train(&payloads).unwrap();
        let id = register(&dict).unwrap();
        let mut bytes = Packer::with(id).unwrap().encode(&other[3]).unwrap();
        // The frame's dictionary id sits after the magic number and the frame header byte.
        bytes[6] ^= 0x01;
        assert!(matches!(
            decode::<Sample>(&bytes, "sample"),
            Err(Error::Damaged { .. })
        ));
        assert!(train(&payloads[..3]).is_none(), "too few samples");
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
