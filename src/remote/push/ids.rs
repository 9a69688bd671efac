//! Renaming pushed entities: a local record takes the id the server gave it, and everything that
//! points at it follows, in the transaction that marks its journal entries done.

use crate::error::Result;
use crate::model::{Case, CaseField, Kind, Project, Section, Suite};
use crate::tables;
use crate::tx::Writer;

/// Rewrites every section and case of a suite with the given edits, moving their index entries
/// (a section whose suite changes leaves the old suite's list).
fn rewrite_suite(
    w: &mut Writer<'_>,
    suite_id: u64,
    edit_section: impl Fn(&mut Section),
    edit_case: impl Fn(&mut Case),
) -> Result<()> {
    for sec_id in w.tx().children(tables::SUITE_SECTIONS, suite_id)? {
        if let Some(mut sec) = w.tx().get::<Section>(sec_id)? {
            edit_section(&mut sec);
            if sec.suite_id != suite_id {
                w.unlink(tables::SUITE_SECTIONS, suite_id, sec_id)?;
            }
            w.put_section(&sec)?;
        }
    }
    let mut cases = Vec::new();
    w.tx().for_each_suite_case(suite_id, 0, |cid, _| {
        cases.push(cid);
        Ok(true)
    })?;
    for cid in cases {
        if let Some(old) = w.tx().get::<Case>(cid)? {
            let mut c = old.clone();
            edit_case(&mut c);
            w.put_case(&c, Some(&old))?;
        }
    }
    Ok(())
}

/// Renames a local entity to its server id, moving everything that points at it, and records
/// the mapping. Nothing happens when it is already renamed.
pub(super) fn rename(w: &mut Writer<'_>, kind: Kind, local: u64, server: u64) -> Result<()> {
    let tx = w.tx();
    match kind {
        Kind::Case => {
            if let Some(old) = tx.get::<Case>(local)? {
                let mut c = old.clone();
                c.id = server;
                w.delete_case(&old)?;
                w.put_case(&c, None)?;
                crate::runs::case_renamed(w, c.suite_id, local, server)?;
            }
        }
        Kind::Section => {
            if let Some(old) = tx.get::<Section>(local)? {
                let mut s = old.clone();
                s.id = server;
                w.delete_section(&old)?;
                w.put_section(&s)?;
                for sid in w.tx().children(tables::SUITE_SECTIONS, s.suite_id)? {
                    if let Some(mut child) = w.tx().get::<Section>(sid)? {
                        if child.parent_id == Some(local) {
                            child.parent_id = Some(server);
                            w.put_section(&child)?;
                        }
                    }
                }
                for cid in w.tx().children(tables::SECTION_CASES, local)? {
                    if let Some(old_case) = w.tx().get::<Case>(cid)? {
                        let mut c = old_case.clone();
                        c.section_id = server;
                        w.put_case(&c, Some(&old_case))?;
                    }
                }
            }
        }
        Kind::Suite => {
            if let Some(old) = tx.get::<Suite>(local)? {
                let mut s = old.clone();
                s.id = server;
                w.delete_suite(&old)?;
                w.put_suite(&s)?;
                rewrite_suite(w, local, |s| s.suite_id = server, |c| c.suite_id = server)?;
            }
        }
        Kind::Project => {
            if let Some(old) = tx.get::<Project>(local)? {
                let mut p = old.clone();
                p.id = server;
                w.remove::<Project>(local)?;
                w.put(&p)?;
                for sid in w.tx().children(tables::PROJECT_SUITES, local)? {
                    if let Some(mut suite) = w.tx().get::<Suite>(sid)? {
                        w.unlink(tables::PROJECT_SUITES, local, sid)?;
                        suite.project_id = server;
                        w.put_suite(&suite)?;
                        rewrite_suite(
                            w,
                            sid,
                            |s| s.project_id = server,
                            |c| c.project_id = server,
                        )?;
                    }
                }
            }
        }
        Kind::CaseField => {
            if let Some(old) = tx.get::<CaseField>(local)? {
                let mut f = old.clone();
                f.id = server;
                w.remove::<CaseField>(local)?;
                w.put(&f)?;
            }
        }
        other => super::ids_runs::rename(w, other, local, server)?,
    }
    w.map_id(kind, local, server)
}
