//! `trailstore-bench codecs DIR`: a store's own case records packed by each compressor a store
//! could use: zstd with the store's dictionary at levels 3, 1, -1 and -3 with zstd's own
//! parameters, at -1 with the dictionary's hash table and shortest repeat that `src/codec.rs`
//! sets (what it writes), and lz4 (lz4_flex) without a dictionary and with one. Bytes and time
//! per record, as the evidence for the codec's choice (docs/benchmarks.md).
//!
//! It reads the redb file itself (the store must be closed) and undoes the record format the
//! way `src/codec.rs` writes it: a version byte, then the bincode payload (1) or a zstd frame of
//! it (2) naming the store's dictionary, kept in the meta table.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use zstd::zstd_safe;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");

/// Packs a payload.
type Pack = Box<dyn Fn(&[u8]) -> Vec<u8>>;
/// Unpacks a packed payload of the given length into the buffer.
type Unpack = Box<dyn Fn(&[u8], usize, &mut Vec<u8>)>;

/// A way of packing records: bytes out, and what it takes to get the payload back.
struct Codec {
    name: String,
    pack: Pack,
    unpack: Unpack,
}

fn zstd_codec(level: i32, dict: &[u8]) -> Codec {
    let cdict = zstd_safe::CDict::create(dict, level);
    let ddict = zstd_safe::DDict::create(dict);
    let cctx = std::cell::RefCell::new(zstd_safe::CCtx::create());
    let dctx = std::cell::RefCell::new(zstd_safe::DCtx::create());
    Codec {
        name: format!("zstd level {level}, the store's dictionary, zstd's own parameters"),
        pack: Box::new(move |p| {
            let mut f = Vec::with_capacity(zstd_safe::compress_bound(p.len()));
            cctx.borrow_mut()
                .compress_using_cdict(&mut f, p, &cdict)
                .expect("zstd packs");
            f
        }),
        unpack: Box::new(move |f, _, out| {
            out.clear();
            dctx.borrow_mut()
                .decompress_using_ddict(out, f, &ddict)
                .expect("zstd unpacks");
        }),
    }
}

/// zstd at `level` with the store's dictionary digested with the given hash table size and
/// shortest repeat, as `src/codec.rs` digests it (zstd-safe has no such constructor).
fn zstd_tuned(level: i32, hash_log: i32, min_match: i32, dict: &[u8]) -> Codec {
    use zstd_safe::zstd_sys as z;
    // SAFETY: the parameter block is created, set and freed here; zstd copies the dictionary.
    // The CDict and the context live as long as the codec (leaked: the command then exits).
    let (cdict, cctx) = unsafe {
        let p = z::ZSTD_createCCtxParams();
        assert!(!p.is_null(), "zstd parameters");
        for code in [
            z::ZSTD_CCtxParams_init(p, level),
            z::ZSTD_CCtxParams_setParameter(p, z::ZSTD_cParameter::ZSTD_c_hashLog, hash_log),
            z::ZSTD_CCtxParams_setParameter(p, z::ZSTD_cParameter::ZSTD_c_minMatch, min_match),
        ] {
            assert_eq!(z::ZSTD_isError(code), 0, "zstd parameter");
        }
        let mem = z::ZSTD_customMem {
            customAlloc: None,
            customFree: None,
            opaque: std::ptr::null_mut(),
        };
        let cdict = z::ZSTD_createCDict_advanced2(
            dict.as_ptr().cast(),
            dict.len(),
            z::ZSTD_dictLoadMethod_e::ZSTD_dlm_byCopy,
            z::ZSTD_dictContentType_e::ZSTD_dct_auto,
            p,
            mem,
        );
        z::ZSTD_freeCCtxParams(p);
        let cctx = z::ZSTD_createCCtx();
        assert!(
            !cdict.is_null() && !cctx.is_null(),
            "zstd dictionary and context"
        );
        (cdict as usize, cctx as usize)
    };
    let ddict = zstd_safe::DDict::create(dict);
    let dctx = std::cell::RefCell::new(zstd_safe::DCtx::create());
    Codec {
        name: format!(
            "zstd level {level}, the store's dictionary, hash table 2^{hash_log}, repeats of {min_match}+ bytes"
        ),
        pack: Box::new(move |p| {
            let mut f = vec![0u8; zstd_safe::compress_bound(p.len())];
            // SAFETY: the context is used by this thread alone; `f` is writable for its
            // length and `p` readable for its own.
            let n = unsafe {
                z::ZSTD_compress_usingCDict(
                    cctx as *mut z::ZSTD_CCtx,
                    f.as_mut_ptr().cast(),
                    f.len(),
                    p.as_ptr().cast(),
                    p.len(),
                    cdict as *const z::ZSTD_CDict,
                )
            };
            // SAFETY: a pure function of the code it is given.
            assert_eq!(unsafe { z::ZSTD_isError(n) }, 0, "zstd packs");
            f.truncate(n);
            f
        }),
        unpack: Box::new(move |f, _, out| {
            out.clear();
            dctx.borrow_mut()
                .decompress_using_ddict(out, f, &ddict)
                .expect("zstd unpacks");
        }),
    }
}

fn lz4_codec(name: &str, dict: Vec<u8>) -> Codec {
    let d = dict.clone();
    Codec {
        name: name.into(),
        // lz4's block format does not hold the size: a record would keep it beside the block.
        pack: Box::new(move |p| lz4_flex::block::compress_with_dict(p, &d)),
        unpack: Box::new(move |f, len, out| {
            out.clear();
            out.resize(len, 0);
            lz4_flex::block::decompress_into_with_dict(f, out, &dict).expect("lz4 unpacks");
        }),
    }
}

/// The store's record dictionary, read from its meta table.
fn dictionary(rtx: &redb::ReadTransaction) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let meta = rtx.open_table(META)?;
    let id = match meta.get("record_dictionary")? {
        Some(v) => u64::from_le_bytes(v.value().try_into()?),
        None => return Err(
            "the store has no record dictionary (a first import of 256 cases or more trains one)"
                .into(),
        ),
    };
    let dict = meta
        .get(format!("record_dictionary.{id}").as_str())?
        .ok_or("the store names a dictionary it does not hold")?
        .value()
        .to_vec();
    Ok(dict)
}

/// What reading a case costs below any decoding, in µs per id: its record looked up in redb;
/// the same with the record's zstd frame unpacked; and that again in a read transaction of its
/// own with the table opened for it, as a call that reads the latest commit does. The first two
/// share one read transaction and one open table for all ids, so they are lower bounds: any
/// store that keeps its records in redb, packed small enough for the disk target, pays at least
/// the second figure before it builds an answer, and the third if it opens a transaction a call.
pub fn read_floor(dir: &Path, ids: &[u64]) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let db = redb::Database::open(dir.join(trailstore::DATA_FILE))?;
    let ddict = zstd_safe::DDict::create(&dictionary(&db.begin_read()?)?);
    let mut dctx = zstd_safe::DCtx::create();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut read = |table: &redb::ReadOnlyTable<u64, &[u8]>, id: u64, unpack: bool| {
        let v = table.get(id)?.ok_or("an id without a case")?;
        let record = v.value();
        if unpack && record.first() == Some(&2) {
            out.clear();
            dctx.decompress_using_ddict(&mut out, &record[1..], &ddict)
                .map_err(zstd_safe::get_error_name)?;
        }
        black_box((record.len(), &out));
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    let per_id = |t: Instant| t.elapsed().as_secs_f64() * 1e6 / ids.len().max(1) as f64;
    let mut shared = |unpack: bool| -> Result<f64, Box<dyn std::error::Error>> {
        let rtx = db.begin_read()?;
        let table = rtx.open_table(CASES)?;
        let t = Instant::now();
        for id in ids {
            read(&table, *id, unpack)?;
        }
        Ok(per_id(t))
    };
    // A warming pass first, so that every figure reads from redb's cache as the store's do.
    shared(true)?;
    let (lookup, unpacked) = (shared(false)?, shared(true)?);
    let t = Instant::now();
    for id in ids {
        let rtx = db.begin_read()?;
        read(&rtx.open_table(CASES)?, *id, true)?;
    }
    Ok((lookup, unpacked, per_id(t)))
}

pub fn compare(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let db = redb::Database::open(dir.join(trailstore::DATA_FILE))?;
    let rtx = db.begin_read()?;
    let dict = dictionary(&rtx)?;
    let ddict = zstd_safe::DDict::create(&dict);
    let mut dctx = zstd_safe::DCtx::create();
    let mut payloads = Vec::new();
    for row in rtx.open_table(CASES)?.iter()? {
        let (_, v) = row?;
        let (version, body) = v.value().split_first().ok_or("an empty record")?;
        payloads.push(match version {
            1 => body.to_vec(),
            2 => {
                let size = zstd_safe::get_frame_content_size(body)
                    .ok()
                    .flatten()
                    .ok_or("a frame without its size")?;
                let mut out = Vec::with_capacity(size as usize);
                dctx.decompress_using_ddict(&mut out, body, &ddict)
                    .map_err(zstd_safe::get_error_name)?;
                out
            }
            v => return Err(format!("record version {v}").into()),
        });
    }
    let raw: usize = payloads.iter().map(Vec::len).sum();
    let n = payloads.len();
    println!(
        "{n} case records, {:.1} MB of bincode payload ({} bytes a record); dictionary {} KB",
        raw as f64 / 1e6,
        raw / n.max(1),
        dict.len() / 1024
    );
    // lz4's dictionary is raw text (its last 64 KB are used): the zstd dictionary's bytes,
    // which hold the content zstd picked from the store's records.
    let codecs = [
        zstd_codec(3, &dict),
        zstd_codec(1, &dict),
        zstd_codec(-1, &dict),
        zstd_tuned(-1, 16, 7, &dict),
        zstd_codec(-3, &dict),
        lz4_codec("lz4, no dictionary", Vec::new()),
        lz4_codec(
            "lz4, the zstd dictionary's bytes as its dictionary",
            dict.clone(),
        ),
    ];
    // Two rounds, so that no codec always runs first on cold caches; the better of each.
    let mut best = vec![(usize::MAX, f64::MAX, f64::MAX); codecs.len()];
    for _round in 0..2 {
        for (c, b) in codecs.iter().zip(best.iter_mut()) {
            let t = Instant::now();
            let packed: Vec<Vec<u8>> = payloads.iter().map(|p| (c.pack)(p)).collect();
            let pack = t.elapsed().as_secs_f64() * 1e6 / n as f64;
            let mut out = Vec::with_capacity(64 * 1024);
            let t = Instant::now();
            for (f, p) in packed.iter().zip(&payloads) {
                (c.unpack)(f, p.len(), &mut out);
                black_box(&out);
            }
            let unpack = t.elapsed().as_secs_f64() * 1e6 / n as f64;
            for (f, p) in packed.iter().zip(&payloads).step_by(97) {
                (c.unpack)(f, p.len(), &mut out);
                assert_eq!(&out, p, "{} round trip", c.name);
            }
            let bytes = packed.iter().map(Vec::len).sum();
            *b = (bytes, b.1.min(pack), b.2.min(unpack));
        }
    }
    println!("| codec | packed (MB) | of the payload | pack (µs/record) | unpack (µs/record) |");
    println!("|---|---:|---:|---:|---:|");
    for (c, (bytes, pack, unpack)) in codecs.iter().zip(best) {
        println!(
            "| {} | {:.1} | {:.3} | {pack:.2} | {unpack:.2} |",
            c.name,
            bytes as f64 / 1e6,
            bytes as f64 / raw as f64
        );
    }
    Ok(())
}
