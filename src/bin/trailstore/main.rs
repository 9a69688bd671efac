//! `trailstore`: the command-line front of the store. Every command goes through the same
//! dispatcher as the other fronts (`Store::call`); this file only parses arguments and prints.

/// mimalloc instead of the system allocator: a case record decodes into some sixty small
/// allocations, and with glibc's malloc they were a third of a rare-word search and a fifth of a
/// `get_case` (docs/benchmarks.md). The library leaves the choice to whoever links it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod serve;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Map, Value};
use trailstore::{Error, Store};

/// Prints a line to standard output; a closed pipe (`trailstore ... | head`) ends the program
/// quietly instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

const AFTER_HELP: &str = "\
Examples:
  trailstore init
  trailstore import tests/data/sample_snapshot.json
  trailstore sections tree --project 1
  trailstore cases list --project 1 --section 5 --priority 3,4
  trailstore cases add --section 5 --title \"Refund after 30 days is rejected\" \\
      --field custom_component=2 --field custom_steps_separated='[{\"content\":\"Open order\",\"expected\":\"Shown\"}]'
  trailstore call 'get_cases/1&priority_id=3,4&limit=50'
  trailstore call add_case/5 --data '{\"title\": \"Checkout with PayPal\"}'
  trailstore journal --state pending

The store is a folder: --store, else $TRAILSTORE_PATH, else ./trailstore.";

/// An offline store for TestRail test cases: TestRail's entities, rules and API, on your disk.
#[derive(Parser)]
#[command(name = "trailstore", version, about, after_help = AFTER_HELP)]
struct Cli {
    /// The store folder.
    #[arg(
        long,
        global = true,
        env = "TRAILSTORE_PATH",
        default_value = "trailstore"
    )]
    store: PathBuf,
    /// Print TestRail JSON instead of tables and trees.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty store (or check an existing one).
    Init {
        /// The TestRail user id local changes are recorded as (created_by, updated_by).
        #[arg(long)]
        user_id: Option<u64>,
        /// Hand out ids as a TestRail server does (from the highest id up) instead of local ids:
        /// for a store that stands in for a TestRail server, e.g. to try pull and push.
        #[arg(long)]
        server_ids: bool,
    },
    /// Load a TestRail snapshot (JSON; see README "Snapshots") as server base state.
    Import {
        /// The snapshot file, or - for standard input.
        file: PathBuf,
    },
    /// Call a TestRail API route, exactly as TestRail's HTTP API takes it.
    #[command(
        after_help = "Examples:\n  trailstore call get_case/12\n  trailstore call 'get_cases/2&suite_id=3&priority_id=3,4&limit=50&offset=100'\n  trailstore call update_case/12 --data '{\"priority_id\": 4}'\n  trailstore call add_case/5 --data @case.json"
    )]
    Call {
        /// The route: get_cases/1&suite_id=2 (a leading /api/v2/ or index.php?/api/v2/ is fine).
        route: String,
        /// The JSON body, or @FILE to read it from a file (- for standard input).
        #[arg(long, short = 'd')]
        data: Option<String>,
    },
    /// What the store holds.
    Status,
    /// List, show, add, edit and delete cases.
    #[command(subcommand)]
    Cases(CasesCmd),
    /// The section tree.
    #[command(subcommand)]
    Sections(SectionsCmd),
    /// The custom case fields (of one project with --project).
    Fields {
        #[arg(long)]
        project: Option<u64>,
    },
    /// The change journal: every local change, in order, with its push state.
    Journal {
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        since: u64,
        /// Only entries in this push state (pending, in_flight, done, rejected, conflict, blocked).
        #[arg(long)]
        state: Option<String>,
    },
    /// The history of a case (TestRail's get_history_for_case).
    History { case_id: u64 },
    /// Full-text search over a project's cases, best matches first (BM25).
    #[command(after_help = "Query language:
  checkout payment            both words (AND is the default)
  checkout OR paypal          either word
  checkout NOT paypal         without the second (also: checkout -paypal)
  \"saved card\"                a phrase
  refund*                     a prefix
  title:refund steps:declined a field: title, refs, text (custom text fields), steps, options
  (card OR paypal) AND refund grouping

Examples:
  trailstore search --project 1 'saved card'
  trailstore search --project 2 --suite 3 --priority 3,4 'sync AND offline'
  trailstore search --project 1 --section 5 --choice custom_component=2 'refund*'")]
    Search(SearchArgs),
    /// Rebuild the search index from the data.
    Reindex,
    /// Verify every page checksum of the data file (reads it all), and repair what redb can.
    Check,
    /// Serve the store as a TestRail API v2 server, for TestRail clients that must work offline.
    #[command(
        after_help = "Point a TestRail client at http://HOST:PORT/ (the API is at /index.php?/api/v2/):
  trailstore serve --bind 127.0.0.1:8080 --user me@example.com --key secret
  curl -u me@example.com:secret 'http://127.0.0.1:8080/index.php?/api/v2/get_case/1'
  python: TestRailAPI('http://127.0.0.1:8080/', 'me@example.com', 'secret', warn_ignore=True)
The key may also come from $TRAILSTORE_SERVE_KEY (it then stays out of the process list)."
    )]
    Serve {
        /// Address and port (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// The user clients must authenticate as (HTTP Basic); no authentication without it.
        #[arg(long, requires = "key")]
        user: Option<String>,
        /// The password or API key clients must send.
        #[arg(long, env = "TRAILSTORE_SERVE_KEY", hide_env_values = true)]
        key: Option<String>,
        /// A fault plan for testing sync (also needs TRAILSTORE_ENABLE_FAULTS=yes).
        #[arg(long, value_name = "PLAN.json")]
        faults: Option<PathBuf>,
    },
    /// Pull a TestRail server's projects, suites, sections, cases and fields into the store.
    #[command(
        after_help = "Credentials come from the flags, then TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY, then a
config file readable only by you ($XDG_CONFIG_HOME/trailstore/config.json or ~/.config/trailstore/config.json,
or --config): {\"url\": \"https://x.testrail.io/\", \"user\": \"me@x.io\", \"key\": \"...\", \"ca_file\": \"optional.pem\"}.
They are never written to the store, the journal or any log.

The first pull takes everything; later pulls fetch cases changed since the last one and scan case ids to
find deletions and moves. Cases you changed locally are merged field by field; a field changed on both
sides becomes a conflict (trailstore conflicts) instead of being overwritten."
    )]
    Pull {
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        user: Option<String>,
        /// API key or password (prefer TESTRAIL_KEY or the config file).
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only this project (repeatable).
        #[arg(long = "project")]
        projects: Vec<u64>,
        /// Skip the id scan (faster; deletions on the server are not seen).
        #[arg(long)]
        no_scan: bool,
    },
    /// Send the journal's pending changes to a TestRail server, exactly once.
    #[command(
        after_help = "Credentials as for pull (flags, TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY, or the config file).

Entries go in journal order; edits of one case are sent as one update, an add then a delete sends nothing.
Each entry is marked in flight before its request, so a push that is killed or loses its connection can
simply be run again: creates that may have reached the server are looked up before anything is resent.
A field changed here and on the server becomes a conflict (trailstore conflicts) and is not overwritten."
    )]
    Push {
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the requests a push would make, and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Carry work across an air gap: export the pending journal (or the server data) to one
    /// file, import it on the other side.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Fields changed both locally and on the server, with both values.
    Conflicts,
    /// Settle a conflict: keep your value, take the server's, or give a new one.
    #[command(
        after_help = "Examples:\n  trailstore resolve case/250/title --local\n  trailstore resolve case/250/title --server\n  trailstore resolve case/250/priority_id --value 4"
    )]
    Resolve {
        /// The conflict's key, as `trailstore conflicts` shows it (case/250/title).
        key: String,
        #[arg(long, conflicts_with_all = ["server", "value"])]
        local: bool,
        #[arg(long, conflicts_with = "value")]
        server: bool,
        /// A new value (JSON when it parses, else text).
        #[arg(long)]
        value: Option<String>,
    },
}

#[derive(Args)]
struct SearchArgs {
    #[arg(long)]
    project: u64,
    /// The query (empty: every case that passes the filters).
    #[arg(default_value = "")]
    query: String,
    #[arg(long)]
    suite: Option<u64>,
    /// A section; its subsections are searched too.
    #[arg(long)]
    section: Option<u64>,
    /// Priority ids, comma-separated.
    #[arg(long)]
    priority: Option<String>,
    /// Type ids, comma-separated.
    #[arg(long = "type")]
    type_id: Option<String>,
    /// A Dropdown, Multi-select or Checkbox value: custom_component=2 (repeatable).
    #[arg(long = "choice", value_name = "FIELD=IDS")]
    choice: Vec<String>,
    #[arg(long, default_value_t = 20)]
    limit: u64,
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

#[derive(Subcommand)]
enum CasesCmd {
    /// List cases of a project (filters as in get_cases).
    List(ListArgs),
    /// Show one case.
    Show { id: u64 },
    /// Add a case to a section.
    Add {
        #[arg(long)]
        section: u64,
        #[arg(long)]
        title: String,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Change fields of a case (only what you give changes; --field section_id=N moves it).
    Edit {
        id: u64,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Delete a case.
    Delete { id: u64 },
}

#[derive(Args)]
struct FieldArgs {
    /// A field as KEY=VALUE; VALUE is read as JSON when it parses (3, true, [1,2]), else as text.
    /// Repeatable: --field priority_id=4 --field custom_component=2
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    field: Vec<String>,
    /// More fields as a JSON object (or @FILE).
    #[arg(long)]
    data: Option<String>,
}

#[derive(Args)]
struct ListArgs {
    #[arg(long)]
    project: u64,
    #[arg(long)]
    suite: Option<u64>,
    #[arg(long)]
    section: Option<u64>,
    /// Title contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Priority ids, comma-separated.
    #[arg(long)]
    priority: Option<String>,
    /// Type ids, comma-separated.
    #[arg(long = "type")]
    type_id: Option<String>,
    #[arg(long, default_value_t = 250)]
    limit: u64,
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

#[derive(Subcommand)]
enum BundleCmd {
    /// Write the pending journal (and what it needs) to FILE; with --snapshot, the server data.
    #[command(after_help = "The offline workflow:
  connected:  trailstore pull && trailstore bundle export --snapshot data.tsb
  offline:    trailstore bundle import data.tsb ... work ... trailstore bundle export changes.tsb
  connected:  trailstore bundle import changes.tsb && trailstore push")]
    Export {
        file: PathBuf,
        #[arg(long)]
        snapshot: bool,
    },
    /// Import a bundle: verified before anything is written; importing it again does nothing.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum SectionsCmd {
    /// Print the section tree of a suite, with case counts.
    Tree {
        #[arg(long)]
        project: u64,
        #[arg(long)]
        suite: Option<u64>,
    },
}

fn read_data(arg: &str) -> Result<String, Error> {
    let io = |e: std::io::Error| Error::Io(e);
    if arg == "@-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(io)?;
        Ok(s)
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path).map_err(io)
    } else {
        Ok(arg.to_string())
    }
}

fn body_from(fields: &FieldArgs, mut base: Map<String, Value>) -> Result<Value, Error> {
    if let Some(d) = &fields.data {
        if let Some(Value::Object(m)) = trailstore::parse_body(&read_data(d)?)? {
            base.extend(m);
        }
    }
    for f in &fields.field {
        let (k, v) = f.split_once('=').ok_or_else(|| Error::BadRequest {
            message: format!("--field takes KEY=VALUE, got \"{f}\"."),
        })?;
        let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()));
        base.insert(k.trim().to_string(), value);
    }
    Ok(Value::Object(base))
}

fn print_json(v: &Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn show_case(c: &Value) {
    let s = |k: &str| match &c[k] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    out!("C{}  {}", s("id"), s("title"));
    for k in [
        "section_id",
        "suite_id",
        "template_id",
        "type_id",
        "priority_id",
        "milestone_id",
        "refs",
        "estimate",
        "created_by",
        "created_on",
        "updated_by",
        "updated_on",
    ] {
        out!("  {k:<22} {}", s(k));
    }
    if let Some(m) = c.as_object() {
        for (k, v) in m.iter().filter(|(k, _)| k.starts_with("custom_")) {
            match v {
                Value::Null => continue,
                Value::Array(steps) if k == "custom_steps_separated" => {
                    out!("  {k}:");
                    for (i, step) in steps.iter().enumerate() {
                        out!("    {}. {}", i + 1, step["content"].as_str().unwrap_or(""));
                        if let Some(e) = step["expected"].as_str().filter(|e| !e.is_empty()) {
                            out!("       → {e}");
                        }
                    }
                }
                Value::String(t) => out!("  {k:<22} {}", t.replace('\n', "\n  ")),
                v => out!("  {k:<22} {v}"),
            }
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let store = Store::open(&cli.store)?;
    if *store.index_report() != trailstore::IndexAction::UpToDate {
        eprintln!("note: {}", store.index_report());
    }
    let human = !cli.json;
    match cli.command {
        Command::Init {
            user_id,
            server_ids,
        } => {
            if let Some(u) = user_id {
                store.set_user_id(u)?;
            }
            if server_ids {
                store.set_server_ids()?;
            }
            if human {
                out!(
                    "Store ready at {} (local changes recorded as user {}).",
                    store.path().display(),
                    store.user_id()?
                );
            } else {
                print_json(&store.stats()?);
            }
        }
        Command::Import { file } => {
            let report = if file.as_os_str() == "-" {
                let snapshot: Value =
                    serde_json::from_str(&read_data("@-")?).map_err(|e| Error::BadRequest {
                        message: format!("The standard input is not valid JSON: {e}"),
                    })?;
                store.import_snapshot(&snapshot)?
            } else {
                store.import_snapshot_file(&file)?
            };
            if human {
                let parts: Vec<String> = report
                    .counts
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                out!("Imported {}.", parts.join(", "));
            } else {
                print_json(&report.to_json());
            }
        }
        Command::Call { route, data } => {
            let body = match data {
                Some(d) => trailstore::parse_body(&read_data(&d)?)?,
                None => None,
            };
            match store.call(&route, body.as_ref())? {
                trailstore::Response::Json(v) => print_json(&v),
                trailstore::Response::Empty => {}
            }
        }
        Command::Status => {
            let stats = store.stats()?;
            if human {
                for (k, v) in stats.as_object().into_iter().flatten() {
                    out!("{k:<16} {v}");
                }
            } else {
                print_json(&stats);
            }
        }
        Command::Cases(cmd) => cases(&store, cmd, human)?,
        Command::Sections(SectionsCmd::Tree { project, suite }) => {
            let mut route = format!("get_sections/{project}");
            if let Some(s) = suite {
                route.push_str(&format!("&suite_id={s}"));
            }
            let sections = all_pages(&store, &route, "sections")?;
            if !human {
                print_json(&Value::Array(sections));
                return Ok(());
            }
            let mut case_route = format!("get_cases/{project}");
            if let Some(s) = suite {
                case_route.push_str(&format!("&suite_id={s}"));
            }
            let cases = all_pages(&store, &case_route, "cases")?;
            let mut counts = std::collections::HashMap::new();
            for c in &cases {
                *counts
                    .entry(c["section_id"].as_u64().unwrap_or(0))
                    .or_insert(0) += 1;
            }
            for s in &sections {
                let depth = s["depth"].as_u64().unwrap_or(0) as usize;
                let id = s["id"].as_u64().unwrap_or(0);
                out!(
                    "{}{} [S{}] ({} cases)",
                    "  ".repeat(depth),
                    s["name"].as_str().unwrap_or(""),
                    id,
                    counts.get(&id).unwrap_or(&0)
                );
            }
        }
        Command::Fields { project } => {
            let fields = store.call("get_case_fields", None)?.into_value();
            let list: Vec<&Value> = fields
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| {
                    project.is_none_or(|p| {
                        f["configs"].as_array().is_some_and(|cs| {
                            cs.is_empty()
                                || cs.iter().any(|c| {
                                    c["context"]["is_global"] == true
                                        || c["context"]["project_ids"]
                                            .as_array()
                                            .is_some_and(|ids| ids.iter().any(|i| i == p))
                                })
                        })
                    })
                })
                .collect();
            if !human {
                print_json(&Value::Array(list.into_iter().cloned().collect()));
                return Ok(());
            }
            const TYPES: [&str; 13] = [
                "?",
                "String",
                "Integer",
                "Text",
                "URL",
                "Checkbox",
                "Dropdown",
                "User",
                "Date",
                "Milestone",
                "Steps",
                "?",
                "Multi-select",
            ];
            for f in list {
                let t = f["type_id"].as_u64().unwrap_or(0) as usize;
                let required = f["configs"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["options"]["is_required"] == true));
                out!(
                    "{:<28} {:<13} {}{}{}",
                    f["system_name"].as_str().unwrap_or(""),
                    TYPES.get(t).copied().unwrap_or("?"),
                    f["label"].as_str().unwrap_or(""),
                    if required { "  (required)" } else { "" },
                    if f["is_active"] == false {
                        "  (inactive)"
                    } else {
                        ""
                    },
                );
            }
        }
        Command::Journal { since, state } => {
            let mut route = format!("x_get_journal&since={since}");
            if let Some(s) = state {
                route.push_str(&format!("&state={s}"));
            }
            let entries = all_pages(&store, &route, "journal")?;
            if !human {
                print_json(&Value::Array(entries));
                return Ok(());
            }
            if entries.is_empty() {
                out!(
                    "The journal has no entries{}.",
                    if since > 0 { " after that" } else { "" }
                );
            }
            for e in entries {
                let changes: Vec<String> = e["effects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|eff| {
                        let fields: Vec<&str> = eff["changes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c["field"].as_str())
                            .collect();
                        format!(
                            "{} {} {}{}",
                            eff["action"].as_str().unwrap_or(""),
                            eff["entity"].as_str().unwrap_or(""),
                            eff["id"],
                            if fields.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", cut(&fields.join(", "), 60))
                            }
                        )
                    })
                    .collect();
                out!(
                    "#{:<5} {:<10} {:<28} {}",
                    e["seq"].to_string(),
                    e["push"]["state"].as_str().unwrap_or(""),
                    cut(e["route"].as_str().unwrap_or(""), 28),
                    changes.join("; ")
                );
            }
        }
        Command::History { case_id } => {
            let history = all_pages(
                &store,
                &format!("get_history_for_case/{case_id}"),
                "history",
            )?;
            if !human {
                print_json(&Value::Array(history));
                return Ok(());
            }
            for h in history {
                out!(
                    "#{} type {} at {} by user {}",
                    h["id"],
                    h["type_id"],
                    h["created_on"],
                    h["user_id"]
                );
                for c in h["changes"].as_array().into_iter().flatten() {
                    out!(
                        "    {}: {} → {}",
                        c["field"].as_str().unwrap_or(""),
                        cut(&c["old_value"].to_string(), 50),
                        cut(&c["new_value"].to_string(), 50)
                    );
                }
            }
        }
        Command::Search(a) => search(&store, a, human)?,
        Command::Check => {
            let path = store.path().to_path_buf();
            let repaired = store.check_integrity()?;
            if human {
                out!(
                    "{}: every page checked; {}",
                    path.display(),
                    if repaired {
                        "no damage found."
                    } else {
                        "damage was found and repaired."
                    }
                );
            } else {
                print_json(&json!({"ok": repaired}));
            }
        }
        Command::Serve {
            bind,
            user,
            key,
            faults,
        } => {
            let faults = faults
                .map(|p| serve::FaultPlan::load(&p))
                .transpose()?;
            if faults.is_some() {
                eprintln!("WARNING: fault plan active: this server drops, delays and refuses requests on purpose.");
            }
            let config = serve::ServeConfig {
                bind,
                user,
                key,
                faults,
            };
            let path = store.path().display().to_string();
            serve::run(store, config, |addr| {
                out!("Serving {path} at http://{addr}/ (TestRail API v2 at /index.php?/api/v2/). Ctrl-C stops.");
            })?;
        }
        Command::Pull {
            url,
            user,
            key,
            config,
            projects,
            no_scan,
        } => {
            let remote = trailstore::Remote::resolve(url, user, key, config.as_deref())?;
            let opts = trailstore::PullOptions {
                projects,
                scan: !no_scan,
                ..Default::default()
            };
            let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} {msg} ({pos} records, {elapsed})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(std::time::Duration::from_millis(120));
                Some(b)
            } else {
                None
            };
            let report = trailstore::pull(&store, &remote, &opts, &mut |p| {
                if let Some(b) = &bar {
                    match p {
                        trailstore::PullProgress::Stage(s) => b.set_message(s),
                        trailstore::PullProgress::Page { items } => b.inc(items as u64),
                    }
                }
            });
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let report = report?;
            if human {
                out!("{report}.");
                if report.conflicts > 0 {
                    out!("See them with: trailstore conflicts");
                }
            } else {
                print_json(&report.to_json());
            }
        }
        Command::Push {
            url,
            user,
            key,
            config,
            dry_run,
        } => {
            let remote = trailstore::Remote::resolve(url, user, key, config.as_deref())?;
            let opts = trailstore::PushOptions {
                dry_run,
                ..Default::default()
            };
            let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
                let b = indicatif::ProgressBar::new(0);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} operations ({elapsed})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
            let report = trailstore::push(&store, &remote, &opts, &mut |p| {
                if let Some(b) = &bar {
                    match p {
                        trailstore::PushProgress::Planned(n) => b.set_length(n as u64),
                        trailstore::PushProgress::Done => b.inc(1),
                    }
                }
            });
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let report = report?;
            if !human {
                print_json(&report.to_json());
            } else if dry_run {
                for r in &report.dry_run {
                    out!("{r}");
                }
                out!(
                    "({} requests would be sent; nothing was.)",
                    report.dry_run.len()
                );
            } else {
                out!("{report}.");
                if report.conflicts > 0 {
                    out!("See the conflicts with: trailstore conflicts");
                }
            }
        }
        Command::Resolve {
            key,
            local,
            server,
            value,
        } => {
            let body = match (local, server, value) {
                (true, _, _) => json!({"key": key, "resolution": "local"}),
                (_, true, _) => json!({"key": key, "resolution": "server"}),
                (_, _, Some(v)) => json!({
                    "key": key, "resolution": "value",
                    "value": serde_json::from_str::<Value>(&v).unwrap_or(Value::String(v)),
                }),
                _ => {
                    return Err(Error::BadRequest {
                        message: "Say how: --local, --server or --value V.".into(),
                    })
                }
            };
            let out = store.call("x_resolve_conflict", Some(&body))?.into_value();
            if human {
                out!(
                    "Resolved {key}; {} journal entries are pending again.",
                    out["entries_reopened"]
                );
            } else {
                print_json(&out);
            }
        }
        Command::Bundle(BundleCmd::Export { file, snapshot }) => {
            let n = if snapshot {
                store.export_snapshot_bundle(&file)?
            } else {
                store.export_changes_bundle(&file)?
            };
            if human {
                out!(
                    "Wrote {} with {n} {}.",
                    file.display(),
                    if snapshot { "cases" } else { "journal entries" }
                );
            } else {
                print_json(&json!({"file": file.display().to_string(), "count": n}));
            }
        }
        Command::Bundle(BundleCmd::Import { file }) => {
            let r = store.import_bundle(&file)?;
            if !human {
                print_json(&r.to_json());
            } else if r.imported {
                out!(
                    "Imported the {} bundle {} ({} entries).",
                    r.kind,
                    r.bundle_id,
                    r.entries
                );
            } else {
                out!(
                    "The bundle {} was imported before; nothing changed.",
                    r.bundle_id
                );
            }
        }
        Command::Conflicts => {
            let list = all_pages(&store, "x_get_conflicts", "conflicts")?;
            if !human {
                print_json(&Value::Array(list));
                return Ok(());
            }
            if list.is_empty() {
                out!("No conflicts.");
            }
            for c in list {
                out!(
                    "{}: {} (was {}; server has {})",
                    c["key"].as_str().unwrap_or(""),
                    cut(&format!("local {}", c["local"]), 60),
                    cut(&c["base"].to_string(), 40),
                    cut(&c["server"].to_string(), 60)
                );
            }
        }
        Command::Reindex => {
            let action = store.reindex()?;
            if human {
                out!("{action}.");
            } else {
                print_json(&json!({"reindexed": true, "message": action.to_string()}));
            }
        }
    }
    Ok(())
}

fn search(store: &Store, a: SearchArgs, human: bool) -> Result<(), Error> {
    let enc = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut route = format!(
        "x_search_cases/{}&q={}&limit={}&offset={}&count=1",
        a.project,
        enc(&a.query),
        a.limit,
        a.offset
    );
    for (k, v) in [
        ("suite_id", a.suite.map(|s| s.to_string())),
        ("section_id", a.section.map(|s| s.to_string())),
        ("priority_id", a.priority),
        ("type_id", a.type_id),
    ] {
        if let Some(v) = v {
            route.push_str(&format!("&{k}={}", enc(&v)));
        }
    }
    for c in &a.choice {
        let (k, v) = c.split_once('=').ok_or_else(|| Error::BadRequest {
            message: format!("--choice takes FIELD=IDS, got \"{c}\"."),
        })?;
        route.push_str(&format!("&{}={}", enc(k.trim()), enc(v.trim())));
    }
    let page = store.call(&route, None)?.into_value();
    if !human {
        print_json(&page);
        return Ok(());
    }
    let results = page["results"].as_array().cloned().unwrap_or_default();
    let (on, off) = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    for r in &results {
        let c = &r["case"];
        out!(
            "{:>11}  {:>6.2}  {}",
            format!("C{}", c["id"]),
            r["score"].as_f64().unwrap_or(0.0),
            cut(c["title"].as_str().unwrap_or(""), 80)
        );
        for (field, html) in r["highlights"].as_object().into_iter().flatten() {
            if field == "title" {
                continue;
            }
            let text = html
                .as_str()
                .unwrap_or("")
                .replace("<b>", on)
                .replace("</b>", off)
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
                .replace('\n', " ");
            out!("{:>21}{field}: {}", "", text);
        }
    }
    out!(
        "({} of {} matches shown)",
        results.len(),
        page["total"].as_u64().unwrap_or(results.len() as u64)
    );
    Ok(())
}

/// Follows `_links.next` to collect every item of a paged route.
fn all_pages(store: &Store, route: &str, key: &str) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    let mut next = Some(route.to_string());
    while let Some(r) = next {
        let page = store.call(&r, None)?.into_value();
        out.extend(page[key].as_array().into_iter().flatten().cloned());
        next = page["_links"]["next"].as_str().map(str::to_string);
    }
    Ok(out)
}

fn cases(store: &Store, cmd: CasesCmd, human: bool) -> Result<(), Error> {
    match cmd {
        CasesCmd::List(a) => {
            let mut route = format!(
                "get_cases/{}&limit={}&offset={}",
                a.project, a.limit, a.offset
            );
            for (k, v) in [
                ("suite_id", a.suite.map(|s| s.to_string())),
                ("section_id", a.section.map(|s| s.to_string())),
                ("filter", a.filter),
                ("priority_id", a.priority),
                ("type_id", a.type_id),
            ] {
                if let Some(v) = v {
                    let enc = percent_encoding::utf8_percent_encode(
                        &v,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    route.push_str(&format!("&{k}={enc}"));
                }
            }
            let page = store.call(&route, None)?.into_value();
            if !human {
                print_json(&page);
                return Ok(());
            }
            out!("{:>11}  {:>3}  {:>8}  TITLE", "ID", "PRI", "SECTION");
            for c in page["cases"].as_array().into_iter().flatten() {
                out!(
                    "{:>11}  {:>3}  {:>8}  {}",
                    format!("C{}", c["id"]),
                    c["priority_id"].to_string(),
                    c["section_id"].to_string(),
                    cut(c["title"].as_str().unwrap_or(""), 70)
                );
            }
            let size = page["size"].as_u64().unwrap_or(0);
            if page["_links"]["next"].is_string() {
                out!("({size} shown; more with --offset {})", a.offset + a.limit);
            } else {
                out!("({size} cases)");
            }
        }
        CasesCmd::Show { id } => {
            let c = store.call(&format!("get_case/{id}"), None)?.into_value();
            if human {
                show_case(&c);
            } else {
                print_json(&c);
            }
        }
        CasesCmd::Add {
            section,
            title,
            fields,
        } => {
            let mut base = Map::new();
            base.insert("title".into(), json!(title));
            let body = body_from(&fields, base)?;
            let c = store
                .call(&format!("add_case/{section}"), Some(&body))?
                .into_value();
            if human {
                out!("Added C{}.", c["id"]);
                show_case(&c);
            } else {
                print_json(&c);
            }
        }
        CasesCmd::Edit { id, title, fields } => {
            let mut base = Map::new();
            if let Some(t) = title {
                base.insert("title".into(), json!(t));
            }
            let body = body_from(&fields, base)?;
            let c = store
                .call(&format!("update_case/{id}"), Some(&body))?
                .into_value();
            if human {
                out!("Updated C{}.", c["id"]);
                show_case(&c);
            } else {
                print_json(&c);
            }
        }
        CasesCmd::Delete { id } => {
            store.call(&format!("delete_case/{id}"), None)?;
            if human {
                out!("Deleted C{id}.");
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_errors = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json_errors {
                out!("{}", e.to_json());
            } else {
                eprintln!("error: {e}");
                if let Some(field) = e.field() {
                    eprintln!("       (field: {field}, code: {})", e.code().name());
                }
            }
            ExitCode::from(match e.code().http_status() {
                400..=499 => 1,
                _ => 2,
            })
        }
    }
}
