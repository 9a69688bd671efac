//! `trailstore`: the command-line front of the store.
//!
//! A front on the library's public API only: every command goes through the same dispatcher as
//! the other fronts (`Store::call` and friends). [`args`] holds the command line, [`commands`]
//! one function per command, [`render`] what a person sees, [`serve`] the HTTP front.

/// mimalloc instead of the system allocator: a case record decodes into some sixty small
/// allocations, and with glibc's malloc they were a third of a rare-word search and a fifth of a
/// `get_case` (docs/benchmarks.md). The library leaves the choice to whoever links it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[macro_use]
mod render;

mod args;
mod commands;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use trailstore::{IndexAction, Store};

use args::{AttachmentsCmd, BundleCmd, CasesCmd, Cli, Command, ResultsCmd, RunsCmd, SectionsCmd};
use commands::{
    attachments, bundle, call, cases, fields, journal, junit, runs, search, sections, store, sync,
    Failure,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_errors = cli.json;
    match try_main(cli) {
        Ok(code) => code,
        Err(Failure { error: e, hint }) => {
            if json_errors {
                out!("{}", e.to_json());
            } else {
                eprintln!("error: {e}");
                if let Some(field) = e.field() {
                    eprintln!("       (field: {field}, code: {})", e.code().name());
                }
                if let Some(hint) = hint {
                    eprintln!("       ({hint})");
                }
            }
            ExitCode::from(match e.code().http_status() {
                400..=499 => 1,
                _ => 2,
            })
        }
    }
}

/// Opens the store and runs the one command asked for.
fn try_main(cli: Cli) -> Result<ExitCode, Failure> {
    let store = Store::open(&cli.store)?;
    if *store.index_report() != IndexAction::UpToDate {
        eprintln!("note: {}", store.index_report());
    }
    let human = !cli.json;
    match cli.command {
        Command::Init(a) => store::init(&store, a, human)?,
        Command::Import(a) => store::import(&store, a, human)?,
        Command::Status => store::status(&store, human)?,
        Command::Reindex => store::reindex(&store, human)?,
        Command::Check => store::check(store, human)?,
        Command::Call(a) => call::call(&store, a)?,
        Command::Cases(CasesCmd::List(a)) => cases::list(&store, a, human)?,
        Command::Cases(CasesCmd::Show { id }) => cases::show(&store, id, human)?,
        Command::Cases(CasesCmd::Add {
            section,
            title,
            fields,
        }) => cases::add(&store, section, title, fields, human)?,
        Command::Cases(CasesCmd::Edit { id, title, fields }) => {
            cases::edit(&store, id, title, fields, human)?
        }
        Command::Cases(CasesCmd::Delete { id }) => cases::delete(&store, id, human)?,
        Command::Sections(SectionsCmd::Tree { project, suite }) => {
            sections::tree(&store, project, suite, human)?
        }
        Command::Runs(RunsCmd::List(a)) => runs::list(&store, a, human)?,
        Command::Runs(RunsCmd::Show(a)) => runs::show(&store, a, human)?,
        Command::Runs(RunsCmd::Add(a)) => runs::add(&store, a, human)?,
        Command::Runs(RunsCmd::Close { run_id }) => runs::close(&store, run_id, human)?,
        Command::Results(ResultsCmd::Add(a)) => runs::add_result(&store, a, human)?,
        Command::Attachments(AttachmentsCmd::Add(a)) => attachments::add(&store, a, human)?,
        Command::Attachments(AttachmentsCmd::List(a)) => attachments::list(&store, a, human)?,
        Command::Attachments(AttachmentsCmd::Get(a)) => attachments::get(&store, a, human)?,
        Command::Attachments(AttachmentsCmd::Delete { id }) => {
            attachments::delete(&store, &id, human)?
        }
        Command::Fields(a) => fields::fields(&store, a, human)?,
        Command::Journal(a) => journal::journal(&store, a, human)?,
        Command::History(a) => journal::history(&store, a, human)?,
        Command::Search(a) => search::search(&store, a, human)?,
        Command::Serve(a) => commands::serve::serve(store, a)?,
        Command::Pull(a) => sync::pull(&store, a, human)?,
        Command::Push(a) => return sync::push(&store, a, human),
        Command::Junit(a) => junit::junit(&store, a, human)?,
        Command::Conflicts => sync::conflicts(&store, human)?,
        Command::Resolve(a) => sync::resolve(&store, a, human)?,
        Command::Bundle(BundleCmd::Export { file, snapshot }) => {
            bundle::export(&store, &file, snapshot, human)?
        }
        Command::Bundle(BundleCmd::Import { file }) => bundle::import(&store, &file, human)?,
    }
    Ok(ExitCode::SUCCESS)
}
