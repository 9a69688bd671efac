//! Every redb table of a store: the on-disk schema on one screen.
//!
//! Record values are bytes written by [`crate::codec`], so a corrupt or newer record is a typed
//! error instead of a panic inside redb. Index tables have composite keys and empty values.

use redb::TableDefinition;

/// Store-wide settings and counters, keyed by name (see [`meta`]).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const PROJECTS: TableDefinition<u64, &[u8]> = TableDefinition::new("projects");
pub const SUITES: TableDefinition<u64, &[u8]> = TableDefinition::new("suites");
pub const SECTIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("sections");
pub const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");
pub const CASE_FIELDS: TableDefinition<u64, &[u8]> = TableDefinition::new("case_fields");
pub const CASE_TYPES: TableDefinition<u64, &[u8]> = TableDefinition::new("case_types");
pub const PRIORITIES: TableDefinition<u64, &[u8]> = TableDefinition::new("priorities");
pub const TEMPLATES: TableDefinition<u64, &[u8]> = TableDefinition::new("templates");
pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
pub const MILESTONES: TableDefinition<u64, &[u8]> = TableDefinition::new("milestones");
pub const STATUSES: TableDefinition<u64, &[u8]> = TableDefinition::new("statuses");
pub const RESULT_FIELDS: TableDefinition<u64, &[u8]> = TableDefinition::new("result_fields");
pub const RUNS: TableDefinition<u64, &[u8]> = TableDefinition::new("runs");
pub const RESULTS: TableDefinition<u64, &[u8]> = TableDefinition::new("results");
pub const PLANS: TableDefinition<u64, &[u8]> = TableDefinition::new("plans");
pub const CONFIG_GROUPS: TableDefinition<u64, &[u8]> = TableDefinition::new("config_groups");
pub const CONFIGS: TableDefinition<u64, &[u8]> = TableDefinition::new("configs");
pub const ATTACHMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("attachments");
/// (what it belongs to, as `AttachedTo`'s number; the owner's id; attachment id)
pub const ENTITY_ATTACHMENTS: TableDefinition<(u64, u64, u64), ()> =
    TableDefinition::new("entity_attachments");
/// SHA-256 (hex) → how many attachments name those bytes: the bytes stay while it is above 0.
pub const BLOBS: TableDefinition<&str, u64> = TableDefinition::new("blobs");
/// A 7.1+ server's UUID of an attachment → its id.
pub const ATTACHMENT_UUIDS: TableDefinition<&str, u64> = TableDefinition::new("attachment_uuids");

/// (run_id, test_id) → the test record. A run's tests are stored inside its key range, so that
/// listing them is one range read; [`TEST_RUNS`] finds a test's run by its id.
pub const RUN_TESTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("run_tests");
/// (run_id, test_id / 64) → the statuses and assignees of that block of the run's tests (see
/// [`crate::codec::TestStates`]). A test's status and assignee are read from here, never from
/// its record in [`RUN_TESTS`], whose own `status_id` and `assignedto_id` are left as they were
/// when the record was last written: a bulk add of results then rewrites a few blocks, not one
/// record page per test.
pub const TEST_STATUSES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("test_statuses");
/// test_id → run_id.
pub const TEST_RUNS: TableDefinition<u64, u64> = TableDefinition::new("test_runs");
/// (run_id, case_id) → test_id: the test of a case in a run (one per case).
pub const RUN_CASES: TableDefinition<(u64, u64), u64> = TableDefinition::new("run_cases");

/// (project_id, suite_id)
pub const PROJECT_SUITES: TableDefinition<(u64, u64), ()> = TableDefinition::new("project_suites");
/// (suite_id, section_id)
pub const SUITE_SECTIONS: TableDefinition<(u64, u64), ()> = TableDefinition::new("suite_sections");
/// (section_id, case_id)
pub const SECTION_CASES: TableDefinition<(u64, u64), ()> = TableDefinition::new("section_cases");
/// (suite_id, case_id) → the case's [`crate::codec::CaseSummary`], for filtering without decoding.
pub const SUITE_CASES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("suite_cases");
/// (project_id, milestone_id)
pub const PROJECT_MILESTONES: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("project_milestones");

/// (project_id, run_id), for every run of a project, in a plan or not.
pub const PROJECT_RUNS: TableDefinition<(u64, u64), ()> = TableDefinition::new("project_runs");
/// (suite_id, run_id): the runs of a suite, so that a case added to or removed from the suite
/// reaches its open runs.
pub const SUITE_RUNS: TableDefinition<(u64, u64), ()> = TableDefinition::new("suite_runs");
/// (run_id, result_id) → test_id. A run's results in order, each naming its test: a test's
/// results are found in its run's range. (One index per test as well would scatter a bulk add's
/// writes over a page per test, and a commit's cost grows with the pages it writes.)
pub const RUN_RESULTS: TableDefinition<(u64, u64), u64> = TableDefinition::new("run_results");
/// (project_id, plan_id)
pub const PROJECT_PLANS: TableDefinition<(u64, u64), ()> = TableDefinition::new("project_plans");
/// (project_id, config group id)
pub const PROJECT_CONFIG_GROUPS: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("project_config_groups");
/// (config group id, config id)
pub const GROUP_CONFIGS: TableDefinition<(u64, u64), ()> = TableDefinition::new("group_configs");

/// The change journal: sequence number → entry.
pub const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
/// (case_id, sequence number) for every journal entry that touched a case.
pub const CASE_HISTORY: TableDefinition<(u64, u64), ()> = TableDefinition::new("case_history");
/// (data version, case_id) for every case written or deleted, local or imported: what a derived
/// index (search) must re-read to catch up from the version it reflects.
pub const CASE_CHANGES: TableDefinition<(u64, u64), ()> = TableDefinition::new("case_changes");

/// (kind code, local id) → server id, recorded by push when the server created the entity.
pub const ID_MAP: TableDefinition<(u64, u64), u64> = TableDefinition::new("id_map");
/// (kind code, server id) → the local id it replaced, so both ids keep working.
pub const LOCAL_ALIASES: TableDefinition<(u64, u64), u64> = TableDefinition::new("local_aliases");

/// A plan entry's GUID made here → the GUID the server gave it, recorded by push (entry ids are
/// strings, so they have a map of their own beside [`ID_MAP`]).
pub const GUID_MAP: TableDefinition<&str, &str> = TableDefinition::new("guid_map");

/// Open conflicts between local changes and the server: `kind/id/field` → conflict record.
pub const CONFLICTS: TableDefinition<&str, &[u8]> = TableDefinition::new("conflicts");

/// Every table keyed by an id with a record as its value (a new one is added here once).
pub const RECORD_TABLES: &[TableDefinition<u64, &[u8]>] = &[
    PROJECTS,
    SUITES,
    SECTIONS,
    CASES,
    CASE_FIELDS,
    CASE_TYPES,
    PRIORITIES,
    TEMPLATES,
    USERS,
    MILESTONES,
    STATUSES,
    RESULT_FIELDS,
    RUNS,
    RESULTS,
    PLANS,
    CONFIG_GROUPS,
    CONFIGS,
    ATTACHMENTS,
    JOURNAL,
];

/// Every index table with a composite key and no value.
pub const LINK_TABLES: &[TableDefinition<(u64, u64), ()>] = &[
    PROJECT_SUITES,
    SUITE_SECTIONS,
    SECTION_CASES,
    PROJECT_MILESTONES,
    CASE_HISTORY,
    CASE_CHANGES,
    PROJECT_RUNS,
    SUITE_RUNS,
    PROJECT_PLANS,
    PROJECT_CONFIG_GROUPS,
    GROUP_CONFIGS,
];

/// Keys of [`META`].
pub mod meta {
    /// u32: the file format version.
    pub const FORMAT_VERSION: &str = "format_version";
    /// u64: grows with every change; one step per write call (a batch of calls takes several).
    pub const DATA_VERSION: &str = "data_version";
    /// u64: the last journal sequence number given out.
    pub const JOURNAL_SEQ: &str = "journal_seq";
    /// u64: the user id local changes are made as.
    pub const USER_ID: &str = "user_id";
    /// i64: when the store was created.
    pub const CREATED_ON: &str = "created_on";
    /// u64: the change log (`case_changes`) holds nothing at or below this data version.
    pub const CHANGES_PRUNED_TO: &str = "case_changes_pruned_to";
    /// text: `server` when the store plays a TestRail server (new ids follow the highest id);
    /// absent for a normal store (new ids are local ids).
    pub const ID_MODE: &str = "id_mode";
    pub const ID_MODE_SERVER: &str = "server";
    /// text: the URL of the server this store pulls from and pushes to.
    pub const REMOTE_URL: &str = "remote_url";
    /// i64: the newest server `updated_on` of a case seen by pull (incremental pulls start
    /// there, less an overlap).
    pub const PULL_WATERMARK: &str = "pull_watermark";
    /// i64: when the last pull finished.
    pub const LAST_PULL: &str = "last_pull";
    /// u64: 1 while the reference data (priorities, types, templates, fields, statuses, users)
    /// are a fresh TestRail's defaults from `init`; the first snapshot import or pull that
    /// brings a server's lists replaces them and clears it.
    pub const REFERENCE_DEFAULTS: &str = "reference_defaults";
    /// u64 per entity kind: the next local id, as `next_local_id.<kind>`.
    pub const NEXT_LOCAL_ID: &str = "next_local_id";
    /// u64: the id of the dictionary new records are packed with (see [`crate::codec`]); absent
    /// until a large import trains one.
    pub const RECORD_DICTIONARY: &str = "record_dictionary";
    /// bytes per dictionary the store's records may name, as `record_dictionary.<id>`: kept
    /// for as long as the store lives, since old records keep naming the one they were packed
    /// with.
    pub const RECORD_DICTIONARY_PREFIX: &str = "record_dictionary.";
}
