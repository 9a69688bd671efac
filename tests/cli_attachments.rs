//! The command line's attachments commands (`attachments add/list/get/delete`), run as a user
//! runs them: the built binary on a store made by `init`, its case, run, result and plan made
//! with `call`. Bytes round-trip through files and standard output, lists as tables and as
//! TestRail's page, odd names, the same bytes stored once and removed with their last owner,
//! deletes, and the refusals: a missing file (nothing attached), a name that is not text, a file
//! over 256 MB, unknown ids and owners, ids that are not ids, and a file that is already there.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::serve::{Serve, ServeOptions};
use serde_json::{json, Value};

/// The built CLI on `store`, in folder `cwd` (where `attachments get` writes by default).
fn raw(store: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailstore"))
        .arg("--store")
        .arg(store)
        .args(args)
        .current_dir(cwd)
        .env_remove("TRAILSTORE_PATH")
        .output()
        .unwrap()
}

/// What one run of the CLI gave, as text.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Lab {
    dir: tempfile::TempDir,
    store: PathBuf,
    case: String,
    run: String,
    test: String,
    result: String,
    plan: String,
    entry: String,
}

impl Lab {
    fn cli(&self, args: &[&str]) -> Run {
        let out = raw(&self.store, self.dir.path(), args);
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; its standard output.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let r = self.cli(args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    /// Runs a command with `--json` that must succeed; its JSON.
    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
    }

    /// Runs a command that must fail with exit status `code`; its standard error.
    #[track_caller]
    fn fails(&self, code: i32, args: &[&str]) -> String {
        let r = self.cli(args);
        assert_eq!(
            r.code, code,
            "{args:?} should fail with {code}: {}{}",
            r.stdout, r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
        r.stderr
    }

    /// A file in the lab's folder with these bytes; its path as text.
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The ids of an owner's attachments (`--case 12`), every one, in TestRail's order.
    fn listed(&self, owner: &[&str]) -> Vec<u64> {
        let mut args = vec!["attachments", "list"];
        args.extend_from_slice(owner);
        let page = self.json(&args);
        page["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_u64().unwrap())
            .collect()
    }
}

fn id(v: &Value) -> String {
    v["id"].as_u64().unwrap().to_string()
}

/// A store made by `init` with a single-suite project, a case, a run of it with a result, and a
/// plan with one entry.
fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut lab = Lab {
        store,
        case: String::new(),
        run: String::new(),
        test: String::new(),
        result: String::new(),
        plan: String::new(),
        entry: String::new(),
        dir,
    };
    lab.ok(&["init"]);
    let call = |route: &str, body: Value| lab.json(&["call", route, "--data", &body.to_string()]);
    let project = id(&call(
        "add_project",
        json!({"name": "Lab", "suite_mode": 1}),
    ));
    let section = id(&call(
        &format!("add_section/{project}"),
        json!({"name": "Rig"}),
    ));
    let case = id(&call(
        &format!("add_case/{section}"),
        json!({"title": "Calibrate"}),
    ));
    let run = id(&call(
        &format!("add_run/{project}"),
        json!({"name": "Nightly"}),
    ));
    let result = id(&call(
        &format!("add_result_for_case/{run}/{case}"),
        json!({"status_id": 5, "comment": "Timeout"}),
    ));
    let tests = lab.json(&["call", &format!("get_tests/{run}")]);
    let test = id(&tests["tests"][0]);
    let suite = lab.json(&["call", &format!("get_suites/{project}")])[0]["id"].clone();
    let plan = call(
        &format!("add_plan/{project}"),
        json!({"name": "Release", "entries": [{"suite_id": suite, "include_all": true}]}),
    );
    let entry = plan["entries"][0]["id"].as_str().unwrap().to_string();
    let plan = id(&plan);
    lab.case = case;
    lab.run = run;
    lab.test = test;
    lab.result = result;
    lab.plan = plan;
    lab.entry = entry;
    lab
}

/// Bytes that differ from any other test's: a pattern from a seed.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The id in a human `attachments add` line: `Added attachment 14 to case C12: a.txt (1 B).`
fn added_ids(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            l.strip_prefix("Added attachment ")
                .and_then(|l| l.split(' ').next())
                .unwrap_or_else(|| panic!("no attachment id in {l:?}"))
                .to_string()
        })
        .collect()
}

#[test]
fn bytes_round_trip_through_add_list_and_get() {
    let lab = lab();
    let big = pattern(5 * 1024 * 1024, 3);
    let empty = lab.file("empty.txt", b"");
    let one = lab.file("one byte.bin", b"*");
    let trace = lab.file("trace.log", &big);

    // Several files in one command, each under its own name.
    let out = lab.ok(&[
        "attachments",
        "add",
        "case",
        &lab.case,
        &empty,
        &one,
        &trace,
    ]);
    let ids = added_ids(&out);
    assert_eq!(ids.len(), 3, "{out}");
    assert!(
        out.contains(&format!("to case C{}: empty.txt (0 B).", lab.case)),
        "{out}"
    );
    assert!(out.contains("one byte.bin (1 B)."), "{out}");
    assert!(out.contains("trace.log (5.0 MB)."), "{out}");

    // The table: id, name, size, when.
    let table = lab.ok(&["attachments", "list", "case", &lab.case]);
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("ID") && header.contains("NAME") && header.contains("SIZE"),
        "{table}"
    );
    assert!(header.contains("CREATED"), "{table}");
    for (id, name, size) in [
        (&ids[0], "empty.txt", "0 B"),
        (&ids[1], "one byte.bin", "1 B"),
        (&ids[2], "trace.log", "5.0 MB"),
    ] {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {table}"));
        assert!(line.contains(name) && line.contains(size), "{line}");
        assert!(line.contains(" 20"), "a UTC date in {line}");
    }
    assert!(table.ends_with("(3 attachments)\n"), "{table}");
    // --json is TestRail's page.
    let page = lab.json(&["attachments", "list", "case", &lab.case]);
    assert_eq!(page["size"], 3);
    assert_eq!(page["offset"], 0);
    let items = page["attachments"].as_array().unwrap();
    assert_eq!(items[2]["name"], "trace.log");
    assert_eq!(items[2]["size"], big.len());
    assert_eq!(items[2]["entity_type"], "case");

    // get: the attachment's own name in the current folder, byte for byte.
    for (id, name, bytes) in [
        (&ids[0], "empty.txt", &b""[..]),
        (&ids[1], "one byte.bin", &b"*"[..]),
        (&ids[2], "trace.log", &big[..]),
    ] {
        std::fs::remove_file(lab.path(name)).unwrap();
        let out = lab.ok(&["attachments", "get", id]);
        assert!(out.contains(&format!("to {name}.")), "{out}");
        assert_eq!(std::fs::read(lab.path(name)).unwrap(), bytes, "{name}");
    }
    // Never over a file that is there without --force; --out elsewhere; - to standard output.
    lab.file("trace.log", b"mine");
    let err = lab.fails(1, &["attachments", "get", &ids[2]]);
    assert!(
        err.contains("already there") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(lab.path("trace.log")).unwrap(), b"mine");
    lab.ok(&["attachments", "get", &ids[2], "--force"]);
    assert_eq!(std::fs::read(lab.path("trace.log")).unwrap(), big);
    let copy = lab.path("copy.bin");
    let saved = lab.json(&[
        "attachments",
        "get",
        &ids[1],
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(saved["path"], copy.to_str().unwrap());
    assert_eq!(saved["attachment"]["name"], "one byte.bin");
    assert_eq!(std::fs::read(&copy).unwrap(), b"*");
    let piped = raw(
        &lab.store,
        lab.dir.path(),
        &["attachments", "get", &ids[2], "--out", "-"],
    );
    assert!(piped.status.success());
    assert_eq!(
        piped.stdout, big,
        "--out - writes the bytes and nothing else"
    );
}

#[test]
fn every_owner_takes_and_lists_its_attachments() {
    let lab = lab();
    let f = lab.file("note.txt", b"note");
    let added = |flags: &[&str]| -> u64 {
        let mut args = vec!["attachments", "add"];
        args.extend_from_slice(flags);
        args.push(&f);
        let answers = lab.json(&args);
        assert_eq!(answers.as_array().unwrap().len(), 1, "{answers}");
        answers[0]["attachment_id"].as_u64().unwrap()
    };
    let entry = format!("{}/{}", lab.plan, lab.entry);
    let on_result = added(&["result", &lab.result]);
    let on_run = added(&["run", &lab.run]);
    let on_plan = added(&["plan", &lab.plan]);
    let on_entry = added(&["plan_entry", &entry]);

    // A test lists its results' attachments; the others their own.
    assert_eq!(lab.listed(&["test", &lab.test]), [on_result]);
    assert_eq!(lab.listed(&["run", &lab.run]), [on_run]);
    assert_eq!(lab.listed(&["plan_entry", &entry]), [on_entry]);
    assert!(lab.listed(&["plan", &lab.plan]).contains(&on_plan));
    assert!(lab.listed(&["case", &lab.case]).is_empty());
    let out = lab.ok(&["attachments", "list", "case", &lab.case]);
    assert_eq!(out, format!("(no attachments on case C{})\n", lab.case));
    let meta = lab.json(&["call", &format!("get_attachment/{on_entry}")]);
    assert_eq!(meta["entity_type"], "plan_entry");
    assert_eq!(meta["entity_id"], lab.entry);

    // Paging: one at a time, with the way to the next page.
    lab.ok(&["attachments", "add", "run", &lab.run, &f]);
    let out = lab.ok(&["attachments", "list", "run", &lab.run, "--limit", "1"]);
    assert!(out.contains("(1 shown; more with --offset 1)"), "{out}");
}

#[test]
fn odd_names_round_trip_and_the_same_bytes_are_stored_once_until_their_run_goes() {
    let lab = lab();
    let bytes = pattern(70_000, 5);
    // Spaces, quotes, non-ASCII letters, a leading dash (after `--`), shell characters.
    let names = [
        "with space.txt",
        "quote\"d 'x'.log",
        "Prüfbericht – 日本語 😀.png",
        "-dash.bin",
        "100% & done?.txt",
    ];
    let mut args = vec!["attachments", "add", "result", &lab.result, "--"];
    let paths: Vec<String> = names.iter().map(|n| lab.file(n, &bytes)).collect();
    args.extend(paths.iter().map(String::as_str));
    let answers = lab.json(&args);
    let ids: Vec<String> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attachment_id"].to_string())
        .collect();
    assert_eq!(ids.len(), names.len(), "{answers}");
    let page = lab.json(&["attachments", "list", "test", &lab.test]);
    let mut listed: Vec<&str> = page["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut want = names.to_vec();
    want.sort_unstable();
    assert_eq!(listed, want);
    for (id, name) in ids.iter().zip(names) {
        std::fs::remove_file(lab.path(name)).unwrap();
        lab.ok(&["attachments", "get", id]);
        assert_eq!(std::fs::read(lab.path(name)).unwrap(), bytes, "{name}");
    }
    // Five attachments of the same bytes, and the same bytes on the case: one file.
    let copy = lab.file("copy.bin", &bytes);
    lab.ok(&["attachments", "add", "case", &lab.case, &copy]);
    let blobs = lab.store.join("attachments");
    assert_eq!(walk(&blobs).len(), 1, "{:?}", walk(&blobs));
    let other = lab.file("other.bin", b"other bytes");
    lab.ok(&["attachments", "add", "run", &lab.run, &other]);
    assert_eq!(walk(&blobs).len(), 2);

    // Deleting the run deletes its result and the files of both; the case's copy keeps the
    // shared bytes.
    lab.ok(&["call", &format!("delete_run/{}", lab.run)]);
    for id in &ids {
        let err = lab.fails(1, &["attachments", "get", id, "-o", "gone.bin"]);
        assert!(err.contains("Field :attachment_id"), "{err}");
    }
    assert!(!lab.path("gone.bin").exists());
    assert_eq!(walk(&blobs).len(), 1, "{:?}", walk(&blobs));
    assert_eq!(lab.listed(&["case", &lab.case]).len(), 1);
    lab.ok(&["call", &format!("delete_case/{}", lab.case)]);
    assert!(walk(&blobs).is_empty(), "{:?}", walk(&blobs));
}

#[test]
fn delete_removes_an_attachment() {
    let lab = lab();
    let a = lab.file("a.txt", b"a");
    let b = lab.file("b.txt", b"b");
    let ids = added_ids(&lab.ok(&["attachments", "add", "case", &lab.case, &a, &b]));
    let out = lab.ok(&["attachments", "delete", &ids[0]]);
    assert_eq!(out, format!("Deleted attachment {}.\n", ids[0]));
    let left = lab.listed(&["case", &lab.case]);
    assert_eq!(left, [ids[1].parse::<u64>().unwrap()]);
    let err = lab.fails(1, &["attachments", "get", &ids[0], "--out", "x.bin"]);
    assert!(err.contains("attachment"), "{err}");
    assert!(!lab.path("x.bin").exists());
    // The journal has the upload and the delete, ready to push.
    let journal = lab.json(&["journal"]);
    let routes: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["route"].as_str())
        .filter(|r| r.contains("attachment"))
        .collect();
    assert_eq!(routes.len(), 3, "{routes:?}");
    assert!(routes[2].starts_with("delete_attachment/"), "{routes:?}");
}

#[test]
fn a_missing_file_refuses_the_whole_command() {
    let lab = lab();
    let present = lab.file("present.txt", b"here");
    let missing = lab.path("missing.txt");
    let err = lab.fails(
        2,
        &[
            "attachments",
            "add",
            "case",
            &lab.case,
            &present,
            missing.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("missing.txt") && err.contains("No such file"),
        "{err}"
    );
    assert!(
        lab.listed(&["case", &lab.case]).is_empty(),
        "nothing attached"
    );
    // A folder is no file either.
    let folder = lab.dir.path().to_str().unwrap().to_string();
    let err = lab.fails(
        1,
        &["attachments", "add", "case", &lab.case, &present, &folder],
    );
    assert!(err.contains("is a folder"), "{err}");
    assert!(
        lab.listed(&["case", &lab.case]).is_empty(),
        "nothing attached"
    );
    // A name that is not text.
    use std::os::unix::ffi::OsStrExt;
    let odd = lab
        .dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&odd, b"x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trailstore"))
        .arg("--store")
        .arg(&lab.store)
        .args(["attachments", "add", "case", &lab.case])
        .arg(&odd)
        .env_remove("TRAILSTORE_PATH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not text") && err.contains("field: attachment"),
        "{err}"
    );
    assert!(
        lab.listed(&["case", &lab.case]).is_empty(),
        "nothing attached"
    );
}

#[test]
fn a_file_over_256_mb_is_refused() {
    let lab = lab();
    let huge = lab.path("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    let small = lab.file("small.txt", b"s");
    let err = lab.fails(
        1,
        &[
            "attachments",
            "add",
            "run",
            &lab.run,
            &small,
            huge.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("huge.bin is 300.0 MB, more than 256 MB"),
        "{err}"
    );
    assert!(
        lab.listed(&["run", &lab.run]).is_empty(),
        "nothing attached"
    );
    assert!(
        !lab.store.join("attachments").exists() || walk(&lab.store.join("attachments")).is_empty(),
        "no bytes kept"
    );
}

/// Every file under a folder.
fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn unknown_ids_and_owners_are_refused_with_testrails_words() {
    let lab = lab();
    let f = lab.file("f.txt", b"f");
    let err = lab.fails(1, &["attachments", "get", "999999"]);
    assert!(err.contains("Field :attachment_id"), "{err}");
    let err = lab.fails(1, &["attachments", "delete", "999999"]);
    assert!(err.contains("Field :attachment_id"), "{err}");
    let err = lab.fails(1, &["attachments", "add", "case", "999999", &f]);
    assert!(
        err.contains("Field :case_id is not a valid test case."),
        "{err}"
    );
    let err = lab.fails(1, &["attachments", "list", "run", "999999"]);
    assert!(err.contains("Field :run_id"), "{err}");
    let unknown_entry = format!("{}/0000-no-such-entry", lab.plan);
    let err = lab.fails(1, &["attachments", "add", "plan_entry", &unknown_entry, &f]);
    assert!(
        err.contains("Field :entry_id is not a valid test plan entry."),
        "{err}"
    );
    // JSON errors with --json.
    let r = lab.cli(&["--json", "attachments", "get", "999999"]);
    assert_eq!(r.code, 1);
    let e: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("attachment_id"),
        "{e}"
    );
    // IDs that are not ids are refused before they reach a route: `14&soft=1` would make the
    // delete a dry run, `12/3` another route.
    let a = lab.file("a.txt", b"a");
    let kept = added_ids(&lab.ok(&["attachments", "add", "case", &lab.case, &a]));
    let soft = format!("{}&soft=1", kept[0]);
    let err = lab.fails(1, &["attachments", "delete", &soft]);
    assert!(err.contains("An attachment id is a number"), "{err}");
    assert_eq!(lab.listed(&["case", &lab.case]).len(), 1, "nothing deleted");
    let err = lab.fails(1, &["attachments", "get", "12/3", "-o", "x.bin"]);
    assert!(err.contains("An attachment id is a number"), "{err}");
    for (owner, id) in [("case", "abc"), ("run", "7&limit=1"), ("test", "T1x")] {
        let err = lab.fails(1, &["attachments", "list", owner, id]);
        assert!(
            err.contains(&format!("The id of a {owner} is a number")),
            "{err}"
        );
    }
    let err = lab.fails(1, &["attachments", "add", "plan_entry", &lab.plan, &f]);
    assert!(err.contains("PLAN_ID/ENTRY_ID"), "{err}");
    // TestRail's letters are taken, as its pages show ids.
    let with_letter = format!("C{}", lab.case);
    assert_eq!(lab.listed(&["case", &with_letter]).len(), 1);
    // No owner, an owner that takes no files, no file: the command line says so.
    let r = lab.cli(&["attachments", "add", &f]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("possible values: case, result, run, plan, plan_entry"),
        "{}",
        r.stderr
    );
    let r = lab.cli(&["attachments", "add", "test", &lab.test, &f]);
    assert_eq!(r.code, 2, "a test's files go to its results");
    let r = lab.cli(&["attachments", "list", "result", &lab.result]);
    assert_eq!(r.code, 2, "a result's files are listed by its test");
    let r = lab.cli(&["attachments", "add", "case", &lab.case]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("<FILE>"), "{}", r.stderr);
}

#[test]
fn every_attachments_command_teaches_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for verb in ["add", "list", "get", "delete"] {
        let out = raw(&store, dir.path(), &["attachments", verb, "--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{verb}: {text}");
        assert!(text.contains("Example"), "{verb}: {text}");
        assert!(
            text.contains(&format!("trailstore attachments {verb}")),
            "{verb}: {text}"
        );
    }
    let out = raw(&store, dir.path(), &["--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("attachments"));
}

#[test]
fn pull_with_attachments_brings_a_servers_files_and_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (server_store, local) = (dir.path().join("server"), dir.path().join("local"));
    let bytes = pattern(90_000, 11);
    std::fs::write(dir.path().join("wiring.pdf"), &bytes).unwrap();
    let cli = |store: &Path, args: &[&str]| {
        let out = raw(store, dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&server_store, &["init", "--server-ids"]);
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sample_snapshot.json"
    );
    cli(&server_store, &["import", sample]);
    cli(
        &server_store,
        &["attachments", "add", "case", "1", "wiring.pdf"],
    );
    let (user, key) = ("puller@example.com", "SENTINEL-CLI-ATTACH-KEY-7d1");
    let server = Serve::start(ServeOptions {
        store: &server_store,
        bind: "127.0.0.1:0".into(),
        user,
        key,
        faults: None,
        capture_stderr: false,
    });
    let url = server.url();
    let pull = |store: &Path, extra: &[&str]| {
        let mut args = vec!["pull", "--url", &url, "--user", user, "--key", key];
        args.extend_from_slice(extra);
        cli(store, &args)
    };
    // Without --attachments, none; with it, the metadata and the bytes.
    let plain = dir.path().join("plain");
    pull(&plain, &[]);
    assert!(cli(&plain, &["attachments", "list", "case", "1"]).starts_with("(no attachments"));
    pull(&local, &["--attachments"]);
    let page: Value = serde_json::from_str(&cli(
        &local,
        &["--json", "attachments", "list", "case", "1"],
    ))
    .unwrap();
    let items = page["attachments"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["name"], "wiring.pdf");
    let id = items[0]["id"].to_string();
    let got = dir.path().join("got.pdf");
    cli(
        &local,
        &["attachments", "get", &id, "-o", got.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&got).unwrap(), bytes);
}
