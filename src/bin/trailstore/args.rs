//! The command line: every command, flag and help text of `trailstore`, as clap types.
//!
//! Each command's arguments are one struct, so that its function in [`crate::commands`] takes
//! them whole. Help texts teach by example; `trailstore <command> --help` prints them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
  trailstore runs add --project 1 --suite 1 --name \"Nightly 2025-06-01\"
  trailstore results add --run 7 --case 12 --status failed --comment \"Timeout\" --elapsed 1m 5s
  trailstore runs show 7 --status failed,retest
  trailstore attachments add result 881 screenshot.png console.log
  trailstore journal --state pending

The store is a folder: --store, else $TRAILSTORE_PATH, else ./trailstore.";

/// An offline store for TestRail test cases: TestRail's entities, rules and API, on your disk.
#[derive(Parser)]
#[command(name = "trailstore", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The store folder.
    #[arg(
        long,
        global = true,
        env = "TRAILSTORE_PATH",
        default_value = "trailstore"
    )]
    pub store: PathBuf,
    /// Print TestRail JSON instead of tables and trees.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create an empty store (or check an existing one).
    Init(InitArgs),
    /// Load a TestRail snapshot (JSON; see README "Snapshots") as server base state.
    Import(ImportArgs),
    /// Call a TestRail API route, exactly as TestRail's HTTP API takes it.
    #[command(
        after_help = "Examples:\n  trailstore call get_case/12\n  trailstore call 'get_cases/2&suite_id=3&priority_id=3,4&limit=50&offset=100'\n  trailstore call update_case/12 --data '{\"priority_id\": 4}'\n  trailstore call add_case/5 --data @case.json"
    )]
    Call(CallArgs),
    /// What the store holds.
    Status,
    /// List, show, add, edit and delete cases.
    #[command(subcommand)]
    Cases(CasesCmd),
    /// The section tree.
    #[command(subcommand)]
    Sections(SectionsCmd),
    /// List, show, add and close test runs.
    #[command(subcommand)]
    Runs(RunsCmd),
    /// Record a test result.
    #[command(subcommand)]
    Results(ResultsCmd),
    /// Files attached to cases, results, runs and plans: add, list, get and delete them.
    #[command(subcommand)]
    Attachments(AttachmentsCmd),
    /// The custom case fields (of one project with --project).
    Fields(FieldsArgs),
    /// The change journal: every local change, in order, with its push state.
    Journal(JournalArgs),
    /// The history of a case (TestRail's get_history_for_case).
    History(HistoryArgs),
    /// Full-text search over a project's cases (or every project's), best matches first (BM25).
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
    Serve(ServeArgs),
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
    Pull(PullArgs),
    /// Send the journal's pending changes to a TestRail server, exactly once.
    #[command(
        after_help = "Credentials as for pull (flags, TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY, or the config file).

Entries go in journal order; edits of one case are sent as one update, an add then a delete sends nothing.
Each entry is marked in flight before its request, so a push that is killed or loses its connection can
simply be run again: creates that may have reached the server are looked up before anything is resent.
A field changed here and on the server becomes a conflict (trailstore conflicts) and is not overwritten."
    )]
    Push(PushArgs),
    /// Carry work across an air gap: export the pending journal (or the server data) to one
    /// file, import it on the other side.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Record a JUnit XML report offline, as `trcli parse_junit` would upload it: cases matched
    /// or created, a run, its results; `trailstore push` sends them later.
    #[command(after_help = JUNIT_HELP)]
    Junit(JunitArgs),
    /// Fields changed both locally and on the server, with both values.
    Conflicts,
    /// Settle a conflict: keep your value, take the server's, or give a new one.
    #[command(
        after_help = "Examples:\n  trailstore resolve case/250/title --local\n  trailstore resolve case/250/title --server\n  trailstore resolve case/250/priority_id --value 4"
    )]
    Resolve(ResolveArgs),
}

const JUNIT_HELP: &str = "\
Examples:
  trailstore junit report.xml --project Lab --title \"Nightly 2025-06-01\"
  trailstore junit build/test-results/*.xml --project 3 --title Nightly --close-run
  trailstore junit report.xml --project Lab --run-id 42              # add to an existing run
  trailstore junit report.xml --project Lab --plan-id 7 --title \"Linux\" # a new entry of a plan
  trailstore junit report.xml --project Lab --title Smoke --case-matcher name   # C123 in test names
  trailstore junit report.xml --project Lab --title Nightly \\
      --result-fields version:2025.6.1 --case-fields custom_component:2 --allow-ms

What it reads, as trcli 1.15.3 does:
  each <testsuite> of <testsuites> is a section (new cases go there), with its nested suites' tests;
  <skipped> records status 4 (retest), <failure> and <error> 5, a pass 1 (--status changes them);
  the failure's type, message and text become the comment; `time` the elapsed (whole seconds,
  or milliseconds with --allow-ms); testcase properties:
    test_id = C123 or \"C1, C2\"           the case(s), with --case-matcher property
    testrail_case_field = name:value      a field of a new case
    testrail_result_field = name:value    a field of the result (version, defects, custom_*)
    testrail_result_comment = text        put before the comment
    testrail_result_step = passed:text    a step result (passed, failed, skipped, untested)
    testrail_attachment = path            a file attached to the result

Cases are matched by automation id (classname.name) in the store's `custom_automation_id`
(or `custom_case_automation_id`) field; tests that match none become new cases, and a second
report matches them. The store needs that field (a String field named automation_id, as a
TestRail administrator adds it; `trailstore call add_case_field` does it offline).

Everything is written in one transaction, or nothing is (a malformed report is refused with its
line). The journal then holds the calls trcli would have made: `trailstore push` sends them.";

#[derive(Args)]
pub struct JunitArgs {
    /// JUnit XML reports, read in order as one.
    #[arg(required = true, value_name = "REPORT.xml")]
    pub reports: Vec<PathBuf>,
    /// The project, by name or id.
    #[arg(long, value_name = "NAME|ID")]
    pub project: String,
    /// The name of the new run; with --run-id, the run's new name (optional there).
    #[arg(long, required_unless_present = "run_id")]
    pub title: Option<String>,
    /// The suite (multi-suite projects; a single-suite project uses its suite).
    #[arg(long, conflicts_with = "suite_name")]
    pub suite_id: Option<u64>,
    /// The suite by name, created in a multi-suite project when missing [default: the name of
    /// <testsuites>, else the report's file name and the time].
    #[arg(long)]
    pub suite_name: Option<String>,
    /// Add the results to this run (it gains the report's cases) instead of a new run.
    #[arg(long, conflicts_with = "plan_id")]
    pub run_id: Option<u64>,
    /// Make the run a new entry of this plan.
    #[arg(long)]
    pub plan_id: Option<u64>,
    /// The run's milestone.
    #[arg(long)]
    pub milestone_id: Option<u64>,
    /// The run's description (a new run's also lists the testsuite properties).
    #[arg(long)]
    pub run_description: Option<String>,
    /// References of the run, comma-separated (added to an existing run's).
    #[arg(long)]
    pub run_refs: Option<String>,
    /// How tests find their cases: by automation id, by C123 in the name, or by the test_id
    /// property.
    #[arg(long, value_enum, default_value_t = MatcherArg::Auto)]
    pub case_matcher: MatcherArg,
    /// The section of new cases whose testsuite has no name.
    #[arg(long)]
    pub section_name: Option<String>,
    /// Close the run once the results are in.
    #[arg(long)]
    pub close_run: bool,
    /// A field of every new case, NAME:VALUE (repeatable): --case-fields type_id:1
    #[arg(long = "case-fields", value_name = "NAME:VALUE")]
    pub case_fields: Vec<String>,
    /// A field of every result, NAME:VALUE (repeatable): --result-fields version:1.2
    #[arg(long = "result-fields", value_name = "NAME:VALUE")]
    pub result_fields: Vec<String>,
    /// Elapsed times to the millisecond (0.005s) instead of whole seconds.
    #[arg(long)]
    pub allow_ms: bool,
    /// The status of an outcome, OUTCOME=ID (passed, skipped, failure, error; repeatable):
    /// --status skipped=6
    #[arg(long = "status", value_name = "OUTCOME=ID")]
    pub statuses: Vec<String>,
}

/// `--case-matcher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatcherArg {
    Auto,
    Name,
    Property,
}

#[derive(Args)]
pub struct InitArgs {
    /// The TestRail user id local changes are recorded as (created_by, updated_by); the
    /// store's own user has it [default: 1].
    #[arg(long)]
    pub user_id: Option<u64>,
    /// The name of the store's own user.
    #[arg(long, default_value = "trailstore")]
    pub user_name: String,
    /// The email of the store's own user (get_user_by_email, get_current_user).
    #[arg(long, default_value = "trailstore@localhost")]
    pub user_email: String,
    /// Leave the store empty: no priorities, case types, templates, fields, statuses or user
    /// (cases then get no template, type or priority until a snapshot or pull brings them).
    #[arg(long)]
    pub empty: bool,
    /// Hand out ids as a TestRail server does (from the highest id up) instead of local ids:
    /// for a store that stands in for a TestRail server, e.g. to try pull and push.
    #[arg(long)]
    pub server_ids: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The snapshot file, or - for standard input.
    pub file: PathBuf,
}

#[derive(Args)]
pub struct CallArgs {
    /// The route: get_cases/1&suite_id=2 (a leading /api/v2/ or index.php?/api/v2/ is fine).
    pub route: String,
    /// The JSON body, or @FILE to read it from a file (- for standard input).
    #[arg(long, short = 'd')]
    pub data: Option<String>,
}

#[derive(Args)]
pub struct FieldsArgs {
    #[arg(long)]
    pub project: Option<u64>,
}

#[derive(Args)]
pub struct JournalArgs {
    /// Only entries after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub since: u64,
    /// Only entries in this push state (pending, in_flight, done, rejected, conflict, blocked).
    #[arg(long)]
    pub state: Option<String>,
}

#[derive(Args)]
pub struct HistoryArgs {
    pub case_id: u64,
}

#[derive(Args)]
pub struct SearchArgs {
    /// The project to search; every project when left out (each hit then names its project).
    #[arg(long)]
    pub project: Option<u64>,
    /// The query (empty: every case that passes the filters).
    #[arg(default_value = "")]
    pub query: String,
    #[arg(long)]
    pub suite: Option<u64>,
    /// A section; its subsections are searched too.
    #[arg(long)]
    pub section: Option<u64>,
    /// Priority ids, comma-separated.
    #[arg(long)]
    pub priority: Option<String>,
    /// Type ids, comma-separated.
    #[arg(long = "type")]
    pub type_id: Option<String>,
    /// A Dropdown, Multi-select or Checkbox value: custom_component=2 (repeatable).
    #[arg(long = "choice", value_name = "FIELD=IDS")]
    pub choice: Vec<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: u64,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The user clients must authenticate as (HTTP Basic); no authentication without it.
    #[arg(long, requires = "key")]
    pub user: Option<String>,
    /// The password or API key clients must send.
    #[arg(long, env = "TRAILSTORE_SERVE_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// A fault plan for testing sync (also needs TRAILSTORE_ENABLE_FAULTS=yes).
    #[arg(long, value_name = "PLAN.json")]
    pub faults: Option<PathBuf>,
}

#[derive(Args)]
pub struct PullArgs {
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    /// API key or password (prefer TESTRAIL_KEY or the config file).
    #[arg(long)]
    pub key: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only this project (repeatable).
    #[arg(long = "project")]
    pub projects: Vec<u64>,
    /// Skip the id scan (faster; deletions on the server are not seen).
    #[arg(long)]
    pub no_scan: bool,
    /// Also bring the open runs' results (their tests always come).
    #[arg(long)]
    pub results: bool,
    /// Also bring the attachments of the cases pulled, metadata and bytes (one more request per
    /// case: TestRail lists attachments case by case).
    #[arg(long)]
    pub attachments: bool,
}

#[derive(Args)]
pub struct PushArgs {
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub key: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the requests a push would make, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Results for a run the server closed meanwhile (TestRail 10.1+ closes runs after 180
    /// days): keep them held (the default), or send them to a new run made like the old one.
    #[arg(long, value_enum, default_value_t = ClosedRunArg::Hold)]
    pub closed_run: ClosedRunArg,
}

/// What push does with results for a run the server closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClosedRunArg {
    /// Keep them in the journal, marked held with the reason.
    Hold,
    /// Send them to a new run named after the closed one.
    New,
}

#[derive(Args)]
pub struct ResolveArgs {
    /// The conflict's key, as `trailstore conflicts` shows it (case/250/title).
    pub key: String,
    #[arg(long, conflicts_with_all = ["server", "value"])]
    pub local: bool,
    #[arg(long, conflicts_with = "value")]
    pub server: bool,
    /// A new value (JSON when it parses, else text).
    #[arg(long)]
    pub value: Option<String>,
}

#[derive(Subcommand)]
pub enum CasesCmd {
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
pub struct FieldArgs {
    /// A field as KEY=VALUE; VALUE is read as JSON when it parses (3, true, [1,2]), else as text.
    /// Repeatable: --field priority_id=4 --field custom_component=2
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    pub field: Vec<String>,
    /// More fields as a JSON object (or @FILE).
    #[arg(long)]
    pub data: Option<String>,
}

#[derive(Args)]
pub struct ListArgs {
    /// The project (an id, as get_projects lists them).
    #[arg(long)]
    pub project: u64,
    #[arg(long)]
    pub suite: Option<u64>,
    #[arg(long)]
    pub section: Option<u64>,
    /// Title contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Priority ids, comma-separated.
    #[arg(long)]
    pub priority: Option<String>,
    /// Type ids, comma-separated.
    #[arg(long = "type")]
    pub type_id: Option<String>,
    #[arg(long, default_value_t = 250)]
    pub limit: u64,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Subcommand)]
pub enum BundleCmd {
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
pub enum SectionsCmd {
    /// Print the section tree of a suite, with case counts.
    Tree {
        /// The project (an id, as get_projects lists them).
        #[arg(long)]
        project: u64,
        #[arg(long)]
        suite: Option<u64>,
    },
}

/// How the runs and results commands take a status (a macro, so that `concat!` can put it into
/// several help texts): the names are data, the store's `get_statuses`, never a table here.
macro_rules! status_names_help {
    () => {
        "Statuses are named as get_statuses lists them (trailstore call get_statuses): by id, by
system name (passed, blocked, untested, retest, failed, custom_status1 ...) or by label
(\"Passed\", or a custom status's label such as \"Flaky\"), in any case."
    };
}

const RUNS_SHOW_HELP: &str = concat!(
    "--status keeps the tests whose current status is one of those given.\n\n",
    status_names_help!(),
    "

With --json: {\"run\": <get_run>, \"tests\": [<get_tests, every page>]}.

Examples:
  trailstore runs show 7
  trailstore runs show 7 --status failed,retest
  trailstore runs show 7 --status 5,4"
);

const RESULTS_ADD_HELP: &str = concat!(
    "A result needs a status, a comment or an assignee (--field assignedto_id=N). The test takes
the status of its latest result that has one; untested cannot be added.

",
    status_names_help!(),
    "

--elapsed is a time span: 30s, 1m 5s, 2h 30m, 1d (quotes are optional).
--field sets a result field: custom_* values of get_result_fields (JSON when it parses, else
text), e.g. --field 'custom_step_results=[{\"content\": \"Open\", \"status_id\": 1}]'.
With --json the new result is printed as add_result answers it.

Examples:
  trailstore results add --run 7 --case 12 --status passed
  trailstore results add --run 7 --case 13 --status failed --comment \"Timeout after 30 s\" \\
      --elapsed 1m 5s --version 2.1.0 --defects BUG-12,BUG-14
  trailstore results add --run 7 --test 101 --status 4 --field custom_env=staging
  trailstore results add --run 7 --case 12 --comment \"Seen again on the rig\""
);

#[derive(Subcommand)]
pub enum RunsCmd {
    /// List a project's test runs, newest first (get_runs), with their status counts.
    #[command(
        after_help = "Standalone runs only, as get_runs answers; --plan-runs adds the runs of test plans.

Examples:
  trailstore runs list --project 1
  trailstore runs list --project 1 --suite 3 --open
  trailstore --json runs list --project 1 --completed --limit 10"
    )]
    List(RunsListArgs),
    /// Show a run: its header and counts, then one line per test (get_run, get_tests).
    #[command(after_help = RUNS_SHOW_HELP)]
    Show(RunsShowArgs),
    /// Start a test run (add_run): every case of the suite, or only --cases.
    #[command(
        after_help = "Without --cases the run includes every case of the suite (include_all), and cases added to
the suite later join it while it is open; with --cases it holds exactly those.
--suite is needed in a project with several suites.

Examples:
  trailstore runs add --project 1 --name \"Nightly\"
  trailstore runs add --project 2 --suite 3 --name \"Smoke\" --cases 12,13,20 --milestone 4
  trailstore runs add --project 1 --name \"Release 2.1\" --assign qa@example.com --description \"RC1\""
    )]
    Add(RunsAddArgs),
    /// Close a run (close_run): its tests are frozen, and it takes no more results.
    #[command(
        after_help = "Closing cannot be undone. A run of a test plan is closed with its plan.

Example:
  trailstore runs close 7"
    )]
    Close { run_id: u64 },
}

#[derive(Args)]
pub struct RunsListArgs {
    /// The project (an id, as get_projects lists them).
    #[arg(long)]
    pub project: u64,
    #[arg(long)]
    pub suite: Option<u64>,
    /// Only runs still open.
    #[arg(long, conflicts_with = "completed")]
    pub open: bool,
    /// Only closed runs.
    #[arg(long)]
    pub completed: bool,
    /// Also the runs of test plans.
    #[arg(long)]
    pub plan_runs: bool,
    #[arg(long, default_value_t = 250)]
    pub limit: u64,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Args)]
pub struct RunsShowArgs {
    pub run_id: u64,
    /// Only tests with these statuses: ids or names, comma-separated (5,4 or failed,retest).
    #[arg(long, value_name = "STATUSES")]
    pub status: Option<String>,
}

#[derive(Args)]
pub struct RunsAddArgs {
    /// The project (an id, as get_projects lists them).
    #[arg(long)]
    pub project: u64,
    /// The suite (needed when the project has several).
    #[arg(long)]
    pub suite: Option<u64>,
    /// The run's name.
    #[arg(long)]
    pub name: String,
    /// Only these case ids, comma-separated (without it: every case of the suite).
    #[arg(long, value_name = "IDS")]
    pub cases: Option<String>,
    /// The milestone the run belongs to.
    #[arg(long, value_name = "MILESTONE_ID")]
    pub milestone: Option<u64>,
    /// The run's description.
    #[arg(long)]
    pub description: Option<String>,
    /// The user the run is assigned to: a user id or an email.
    #[arg(long, value_name = "USER")]
    pub assign: Option<String>,
}

#[derive(Subcommand)]
pub enum ResultsCmd {
    /// Add a result to a test of a run, by case (add_result_for_case) or by test (add_result).
    #[command(after_help = RESULTS_ADD_HELP)]
    Add(ResultsAddArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["case", "test"])))]
pub struct ResultsAddArgs {
    /// The run.
    #[arg(long)]
    pub run: u64,
    /// The case whose test gets the result.
    #[arg(long)]
    pub case: Option<u64>,
    /// The test that gets the result (it must belong to --run).
    #[arg(long)]
    pub test: Option<u64>,
    /// A status id or name: passed, failed, blocked, retest, or a custom status's name.
    #[arg(long)]
    pub status: Option<String>,
    /// A comment (TestRail shows it as Markdown).
    #[arg(long)]
    pub comment: Option<String>,
    /// Time spent, as a time span: 30s, 1m 5s.
    #[arg(long, num_args = 1.., value_name = "SPAN")]
    pub elapsed: Vec<String>,
    /// The version tested.
    #[arg(long)]
    pub version: Option<String>,
    /// Defect ids, comma-separated.
    #[arg(long)]
    pub defects: Option<String>,
    #[command(flatten)]
    pub fields: FieldArgs,
}

#[derive(Subcommand)]
pub enum AttachmentsCmd {
    /// Attach files to a case, a result, a run, a plan or a plan entry (add_attachment_to_*).
    #[command(
        after_help = "OWNER ID names what the files belong to: case 12, result 881, run 7, plan 3, or
plan_entry 3/<entry id> (the plan's id, a slash, the entry's GUID as get_plan lists it).
Each FILE is attached under its own name (its last path component), up to 256 MB each. The
files go in together or not at all: a missing file, a folder or a name that is not text refuses
the whole command before anything is read (a FILE whose name starts with - goes after --).
The uploads are journaled; push sends them later.
With --json: one {\"attachment_id\": N} per FILE, in order, as TestRail answers each upload.

Examples:
  trailstore attachments add case 12 wiring.pdf
  trailstore attachments add result 881 screenshot.png console.log
  trailstore attachments add run 7 report.html
  trailstore attachments add plan_entry 3/9f2c1a7e-0b1d-4c55-8d1e-2f9b6c3a4d10 matrix.xlsx"
    )]
    Add(AttachmentsAddArgs),
    /// List the attachments of a case, a run, a plan, a plan entry or a test (get_attachments_for_*).
    #[command(
        after_help = "OWNER ID as for add; test T lists the attachments of the test's results (a result's
attachments are listed by its test). Columns: the attachment id (give it to get and delete), its
name, its size and when it was added (UTC).
With --json: the page as TestRail answers get_attachments_for_* ({\"attachments\": [...], ...}).

Examples:
  trailstore attachments list case 12
  trailstore attachments list test 101
  trailstore attachments list plan_entry 3/9f2c1a7e-0b1d-4c55-8d1e-2f9b6c3a4d10
  trailstore --json attachments list run 7 --limit 50 --offset 50"
    )]
    List(AttachmentsListArgs),
    /// Write an attachment's bytes to a file (get_attachment).
    #[command(
        after_help = "Without -o the file is written to the current folder under the attachment's own name.
An existing file is not replaced unless --force is given. -o - writes the bytes to standard
output. With --json (and a file): {\"path\": ..., \"attachment\": <its metadata>}.

Examples:
  trailstore attachments get 14
  trailstore attachments get 14 -o /tmp/trace.log --force
  trailstore attachments get 14 -o - | less"
    )]
    Get(AttachmentsGetArgs),
    /// Delete an attachment (delete_attachment); its bytes go once nothing names them.
    #[command(
        after_help = "The delete is journaled; push deletes the attachment on the server too.

Example:
  trailstore attachments delete 14"
    )]
    Delete {
        /// The attachment id, as attachments list shows it.
        id: String,
    },
}

/// What files can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AttachTo {
    Case,
    Result,
    Run,
    Plan,
    /// A plan entry: ID is PLAN_ID/ENTRY_ID.
    #[value(name = "plan_entry", alias = "plan-entry")]
    PlanEntry,
}

/// What lists attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFor {
    Case,
    Run,
    Plan,
    /// A plan entry: ID is PLAN_ID/ENTRY_ID.
    #[value(name = "plan_entry", alias = "plan-entry")]
    PlanEntry,
    /// A test of a run: the attachments of its results.
    Test,
}

#[derive(Args)]
pub struct AttachmentsAddArgs {
    /// What the files belong to.
    #[arg(value_enum)]
    pub owner: AttachTo,
    /// Its id (for plan_entry: PLAN_ID/ENTRY_ID).
    pub id: String,
    /// The files to attach.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct AttachmentsListArgs {
    /// Whose attachments to list.
    #[arg(value_enum)]
    pub owner: ListFor,
    /// Its id (for plan_entry: PLAN_ID/ENTRY_ID).
    pub id: String,
    /// At most this many (TestRail's page size, 1 to 250).
    #[arg(long, default_value_t = 250)]
    pub limit: u64,
    /// Skip this many.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Args)]
pub struct AttachmentsGetArgs {
    /// The attachment id, as attachments list shows it.
    pub id: String,
    /// Where to write the bytes (- for standard output) [default: the attachment's name, here].
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace a file that is already there.
    #[arg(long)]
    pub force: bool,
}
