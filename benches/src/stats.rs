//! `trailstore-bench stats DIR`: where a store's bytes go (per redb table, the search index), and
//! the same for an SQLite file (dbstat), as evidence for the size figures of W1.

use std::path::Path;

use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};

use crate::util::{dir_allocated, dir_bytes};

/// `println!`, except that a reader gone away (`stats DIR | head`) ends the program quietly, as
/// it would a Unix tool, instead of a panic on the broken pipe.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(e.into());
        }
    }};
}

fn mb(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// Prints the breakdown of a trailstore folder (closed: redb allows one opener).
pub fn store(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let file = dir.join(trailstore::DATA_FILE);
    let db = redb::Database::open(&file)?;
    let rtx = db.begin_read()?;
    println!(
        "{}: file {:.1} MB apparent, {:.1} MB allocated",
        file.display(),
        mb(dir_bytes(&file)),
        mb(dir_allocated(&file))
    );
    println!("| table | entries | stored bytes (MB) | leaf+branch pages (MB) | fragmented (MB) |");
    println!("|---|---:|---:|---:|---:|");
    let mut total_pages = 0;
    for handle in rtx.list_tables()? {
        let name = handle.name().to_string();
        let t = rtx.open_untyped_table(handle)?;
        let s = t.stats()?;
        let pages = (s.leaf_pages() + s.branch_pages()) * 4096;
        total_pages += pages;
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} |",
            t.len()?,
            mb(s.stored_bytes()),
            mb(pages),
            mb(s.fragmented_bytes())
        );
    }
    println!("tables' pages total: {:.1} MB", mb(total_pages));
    drop(rtx);
    drop(db);
    let index = dir.join(trailstore::INDEX_DIR);
    let segments = std::fs::read_dir(&index)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "idx"))
                .count()
        })
        .unwrap_or(0);
    println!(
        "index: {:.1} MB in {segments} segments",
        mb(dir_allocated(&index))
    );
    let mut by_ext: std::collections::BTreeMap<String, u64> = Default::default();
    for e in std::fs::read_dir(&index)?.flatten() {
        let ext = e
            .path()
            .extension()
            .map(|x| x.to_string_lossy().into_owned())
            .unwrap_or_default();
        *by_ext.entry(ext).or_default() += e.metadata()?.len();
    }
    for (ext, b) in by_ext {
        println!("  .{ext}: {:.1} MB", mb(b));
    }
    index_fields(&index)
}

/// What each field of the search index costs, summed over its segments: term dictionary,
/// postings, positions, fast column, field norms (tantivy's own space accounting).
fn index_fields(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::collections::BTreeMap;
    let index = tantivy::Index::open_in_dir(dir)?;
    let reader = index.reader()?;
    let usage = reader.searcher().space_usage()?;
    let mut fields: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    let mut store = 0u64;
    for seg in usage.segments() {
        let parts = [
            seg.termdict(),
            seg.postings(),
            seg.positions(),
            seg.fast_fields(),
            seg.fieldnorms(),
        ];
        for (i, part) in parts.iter().enumerate() {
            for f in part.fields() {
                let name = f.field_name().to_string();
                fields.entry(name).or_default()[i] += f.total().get_bytes();
            }
        }
        store += seg.store().total().get_bytes();
    }
    println!("| index field | terms (MB) | postings (MB) | positions (MB) | fast (MB) | norms (MB) | total (MB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut sum = [0u64; 5];
    for (name, b) in &fields {
        for (t, x) in sum.iter_mut().zip(b) {
            *t += x;
        }
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            mb(b[0]),
            mb(b[1]),
            mb(b[2]),
            mb(b[3]),
            mb(b[4]),
            mb(b.iter().sum())
        );
    }
    println!(
        "| all | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        mb(sum[0]),
        mb(sum[1]),
        mb(sum[2]),
        mb(sum[3]),
        mb(sum[4]),
        mb(sum.iter().sum())
    );
    println!("document store: {:.2} MB", mb(store));
    Ok(())
}

/// Prints the breakdown of an SQLite file.
pub fn sqlite(file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    println!("{}: {:.1} MB", file.display(), mb(dir_bytes(file)));
    let mut st =
        conn.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for r in rows {
        let (name, bytes) = r?;
        println!("  {name}: {:.1} MB", mb(bytes as u64));
    }
    Ok(())
}
