//! `trailstore junit`, the built command on stores made by `init`: real-world JUnit shapes
//! (pytest, Maven Surefire with JUnit 5, go-junit-report, nested suites, properties,
//! attachments) recorded as trcli 1.15.3 would upload them, each checked by reading the store
//! back; a second report matching the cases the first created; `--run-id`, `--plan-id`,
//! `--close-run`; the name and property matchers; and reports refused with nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trailstore::{Request, Store, LOCAL_ID_MIN};

/// The fixtures; the command runs here, so that relative attachment paths resolve as they do
/// for trcli, from its working directory.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/junit");

/// The first local id of each kind: the project, its master suite, the first section and the
/// first case of a store made by `init`.
const FIRST: u64 = LOCAL_ID_MIN;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A store made by `trailstore init` with the project "Lab" (single suite) and, unless asked
/// otherwise, the String field `automation_id` a TestRail administrator adds for trcli.
struct Lab {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let lab = Lab::without_field();
        lab.call(
            "add_case_field",
            json!({
                "type": "String", "name": "automation_id", "label": "Automation ID",
                "include_all": true,
                "configs": [{"context": {"is_global": true, "project_ids": null},
                             "options": {"is_required": false, "default_value": ""}}],
            }),
        );
        lab
    }

    fn without_field() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let lab = Lab {
            path: dir.path().join("store"),
            _dir: dir,
        };
        let out = lab.cli(&["init"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let project = lab.call("add_project", json!({"name": "Lab", "suite_mode": 1}));
        assert_eq!(project["id"], FIRST);
        lab
    }

    fn cli(&self, args: &[&str]) -> Out {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailstore"))
            .arg("--store")
            .arg(&self.path)
            .args(args)
            .current_dir(DATA)
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `trailstore --json junit REPORT --project Lab ARGS…`, which must succeed: its summary.
    fn junit(&self, report: &str, args: &[&str]) -> Value {
        let mut all = vec!["--json", "junit", report, "--project", "Lab"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// `trailstore junit` that must be refused: its exit code and error text.
    fn refused(&self, args: &[&str]) -> (i32, String) {
        let mut all = vec!["junit"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert_ne!(out.code, 0, "{}", out.stdout);
        (out.code, out.stderr)
    }

    fn store(&self) -> Store {
        Store::open(&self.path).unwrap()
    }

    fn call(&self, route: &str, body: Value) -> Value {
        let body = (!body.is_null()).then_some(body);
        self.store()
            .call(route, body.as_ref())
            .unwrap_or_else(|e| panic!("{route}: {e}"))
            .into_value()
    }

    fn read(&self, route: &str) -> Value {
        self.call(route, Value::Null)
    }

    fn list(&self, route: &str) -> Vec<Value> {
        self.store()
            .list_all(&Request::parse(route, None).unwrap())
            .unwrap()
    }

    /// The journal: (route, body) of every entry after `since`.
    fn journal(&self, since: u64) -> Vec<(String, Value)> {
        self.list(&format!("x_get_journal&since={since}"))
            .into_iter()
            .map(|e| (e["route"].as_str().unwrap().to_string(), e["body"].clone()))
            .collect()
    }

    fn journal_len(&self) -> u64 {
        self.journal(0).len() as u64
    }

    fn sections(&self) -> Vec<String> {
        self.list(&format!("get_sections/{FIRST}"))
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The project's cases by title.
    fn cases(&self) -> BTreeMap<String, Value> {
        self.list(&format!("get_cases/{FIRST}"))
            .into_iter()
            .map(|c| (c["title"].as_str().unwrap().to_string(), c))
            .collect()
    }

    /// Each test of the run by title, with its results (oldest first).
    fn tests(&self, run: u64) -> BTreeMap<String, (Value, Vec<Value>)> {
        self.list(&format!("get_tests/{run}"))
            .into_iter()
            .map(|t| {
                let mut results = self.list(&format!("get_results/{}", t["id"]));
                results.reverse();
                (t["title"].as_str().unwrap().to_string(), (t, results))
            })
            .collect()
    }
}

/// A test's single result as (status, comment, elapsed).
fn outcome(tests: &BTreeMap<String, (Value, Vec<Value>)>, title: &str) -> (u64, String, Value) {
    let (test, results) = &tests[title];
    assert_eq!(results.len(), 1, "{title}: {results:?}");
    let r = &results[0];
    assert_eq!(test["status_id"], r["status_id"], "{title}");
    (
        r["status_id"].as_u64().unwrap(),
        r["comment"].as_str().unwrap_or("").to_string(),
        r["elapsed"].clone(),
    )
}

fn s(text: &str) -> String {
    text.to_string()
}

#[test]
fn a_pytest_report_becomes_cases_a_run_and_results_and_a_second_report_matches_them() {
    let lab = Lab::new();
    let before = lab.journal_len();
    let report = lab.junit("pytest.xml", &["--title", "Nightly"]);
    assert_eq!(
        (
            &report["cases_matched"],
            &report["cases_created"],
            &report["sections_created"],
            &report["results_added"],
            &report["run_created"],
        ),
        (&json!(0), &json!(6), &json!(1), &json!(6), &json!(true))
    );
    assert_eq!(lab.sections(), ["pytest"]);
    let cases = lab.cases();
    let automation: BTreeMap<&str, &str> = cases
        .iter()
        .map(|(t, c)| (t.as_str(), c["custom_automation_id"].as_str().unwrap()))
        .collect();
    // trcli's titles: the name's runs of ` \t;:>/.|` become one space.
    assert_eq!(
        automation,
        BTreeMap::from([
            ("test_add_item", "tests.test_cart.test_add_item"),
            ("test_total[2-items]", "tests.test_cart.test_total[2-items]"),
            (
                "test_total[empty cart]",
                "tests.test_cart.test_total[empty.cart]"
            ),
            ("test_discount", "tests.test_cart.test_discount"),
            ("test_pay_by_card", "tests.test_checkout.test_pay_by_card"),
            ("test_receipt", "tests.test_checkout.test_receipt"),
        ])
    );

    let run_id = report["run_id"].as_u64().unwrap();
    let run = lab.read(&format!("get_run/{run_id}"));
    assert_eq!(
        (
            &run["name"],
            &run["include_all"],
            &run["description"],
            &run["is_completed"]
        ),
        (&json!("Nightly"), &json!(false), &json!(""), &json!(false))
    );
    assert_eq!(
        (
            &run["passed_count"],
            &run["failed_count"],
            &run["retest_count"]
        ),
        (&json!(3), &json!(2), &json!(1))
    );
    let tests = lab.tests(run_id);
    assert_eq!(tests.len(), 6);
    // Elapsed: round half to even above a second (2.5 -> 2s), 1s up to one, none for 0.
    assert_eq!(outcome(&tests, "test_add_item"), (1, s(""), json!("1s")));
    assert_eq!(
        outcome(&tests, "test_total[2-items]"),
        (1, s(""), json!("2s"))
    );
    assert_eq!(
        outcome(&tests, "test_total[empty cart]"),
        (1, s(""), json!("2s"))
    );
    assert_eq!(
        outcome(&tests, "test_discount"),
        (
            5,
            s("Message: assert 90 == 85\n +  where 90 = total(cart)\nText: cart = <Cart items=2>\n\n    def test_discount(cart):\n>       assert total(cart) == 85\nE       assert 90 == 85\nE        +  where 90 = total(cart)\n\ntests/test_cart.py:31: AssertionError"),
            json!("1s")
        )
    );
    assert_eq!(
        outcome(&tests, "test_pay_by_card"),
        (
            4,
            s("Type: pytest.skip\nMessage: the payment sandbox is offline\nText: tests/test_checkout.py:12: the payment sandbox is offline"),
            Value::Null
        )
    );
    assert_eq!(
        outcome(&tests, "test_receipt"),
        (
            5,
            s("Message: failed on setup with \"ConnectionRefusedError: [Errno 111] Connection refused\"\nText: @pytest.fixture\n    def printer():\n>       return connect(\"localhost:9100\")\nE       ConnectionRefusedError: [Errno 111] Connection refused\n\ntests/conftest.py:8: ConnectionRefusedError"),
            json!("1s")
        )
    );
    // The journal holds trcli's calls, in its order.
    let writes = lab.journal(before);
    let routes: Vec<&str> = writes.iter().map(|(r, _)| r.as_str()).collect();
    let mut want = vec![format!("add_section/{FIRST}")];
    want.extend(std::iter::repeat_n(format!("add_case/{FIRST}"), 6));
    want.push(format!("add_run/{FIRST}"));
    want.push(format!("add_results_for_cases/{run_id}"));
    assert_eq!(routes, want);
    assert_eq!(writes[0].1, json!({"name": "pytest", "suite_id": FIRST}));
    assert_eq!(
        writes[1].1,
        json!({"title": "test_add_item", "custom_automation_id": "tests.test_cart.test_add_item", "is_legacy": true})
    );
    let add_run = &writes[7].1;
    assert_eq!(
        (
            &add_run["suite_id"],
            &add_run["include_all"],
            &add_run["name"]
        ),
        (&json!(FIRST), &json!(false), &json!("Nightly"))
    );
    let first_result = &writes[8].1["results"][0];
    assert_eq!(
        first_result,
        &json!({"case_id": cases["test_add_item"]["id"], "status_id": 1, "comment": "",
                "elapsed": "1s", "attachments": [], "custom_step_results": [],
                "custom_testrail_bdd_scenario_results": []})
    );

    // The same report again: every test finds the case the first made, by automation id.
    let again = lab.junit("pytest.xml", &["--title", "Nightly 2"]);
    assert_eq!(
        (
            &again["cases_matched"],
            &again["cases_created"],
            &again["sections_created"]
        ),
        (&json!(6), &json!(0), &json!(0))
    );
    assert_eq!(lab.cases().len(), 6);
    assert_eq!(lab.sections(), ["pytest"]);
    let second = lab.tests(again["run_id"].as_u64().unwrap());
    let ids = |t: &BTreeMap<String, (Value, Vec<Value>)>| -> Vec<Value> {
        t.values().map(|(t, _)| t["case_id"].clone()).collect()
    };
    assert_eq!(ids(&second), ids(&tests));
    assert_eq!(lab.tests(run_id).len(), 6, "the first run is as it was");
}

#[test]
fn a_surefire_report_with_junit5_names_properties_and_a_status_map() {
    let lab = Lab::new();
    let report = lab.junit(
        "surefire.xml",
        &[
            "--title",
            "Maven nightly",
            "--run-description",
            "Build 812",
            "--status",
            "error=2",
        ],
    );
    assert_eq!(lab.sections(), ["com.example.shop.CartServiceTest"]);
    let run_id = report["run_id"].as_u64().unwrap();
    let run = lab.read(&format!("get_run/{run_id}"));
    // The description, then a blank line, then the suite's properties.
    assert_eq!(
        run["description"],
        "Build 812\n\njava.version: 17.0.11\nos.name: Linux\nmaven.build.version: Apache Maven 3.9.6"
    );
    let tests = lab.tests(run_id);
    assert_eq!(
        tests.keys().collect::<Vec<_>>(),
        [
            "addsAnItem()",
            "appliesTheDiscount()",
            "checksOutWithAGiftCard()",
            "printsTheReceipt()"
        ]
    );
    assert_eq!(outcome(&tests, "addsAnItem()"), (1, s(""), json!("1s")));
    assert_eq!(
        outcome(&tests, "appliesTheDiscount()"),
        (
            5,
            s("Type: org.opentest4j.AssertionFailedError\nMessage: expected: <85> but was: <90>\nText: org.opentest4j.AssertionFailedError: expected: <85> but was: <90>\n\tat com.example.shop.CartServiceTest.appliesTheDiscount(CartServiceTest.java:42)"),
            json!("1s")
        )
    );
    assert_eq!(
        outcome(&tests, "checksOutWithAGiftCard()"),
        (4, s("Message: gift cards are switched off"), Value::Null)
    );
    // --status error=2: an <error> records Blocked.
    assert_eq!(
        outcome(&tests, "printsTheReceipt()"),
        (
            2,
            s("Type: java.net.ConnectException\nMessage: Connection refused\nText: java.net.ConnectException: Connection refused\n\tat com.example.shop.Printer.connect(Printer.java:17)"),
            json!("1s")
        )
    );
    assert_eq!(
        lab.cases()["appliesTheDiscount()"]["custom_automation_id"],
        "com.example.shop.CartServiceTest.appliesTheDiscount()"
    );
}

#[test]
fn a_go_junit_report_with_milliseconds_and_result_fields() {
    let lab = Lab::new();
    let report = lab.junit(
        "go.xml",
        &[
            "--title",
            "go test",
            "--allow-ms",
            "--result-fields",
            "version:1.4.0",
        ],
    );
    assert_eq!(
        lab.sections(),
        ["example.com/shop/cart", "example.com/shop/search"]
    );
    let run_id = report["run_id"].as_u64().unwrap();
    // The same property in two suites is listed once.
    assert_eq!(
        lab.read(&format!("get_run/{run_id}"))["description"],
        "go.version: go1.22.4 linux/amd64"
    );
    let tests = lab.tests(run_id);
    // With --allow-ms: round(t, 3) as Python writes it, nothing below a millisecond.
    assert_eq!(outcome(&tests, "TestAddItem"), (1, s(""), Value::Null));
    assert_eq!(
        outcome(&tests, "TestTotal two_items"),
        (
            5,
            s("Message: Failed\nText:     cart_test.go:27: total = 90, want 85"),
            json!("0.01s")
        )
    );
    assert_eq!(
        outcome(&tests, "TestCheckout"),
        (
            4,
            s("Message: Skipped\nText:     cart_test.go:40: needs the payment sandbox"),
            Value::Null
        )
    );
    assert_eq!(outcome(&tests, "TestIndex"), (1, s(""), json!("3.4s")));
    for (title, (_, results)) in &tests {
        assert_eq!(results[0]["version"], "1.4.0", "{title}");
    }
    assert_eq!(
        lab.cases()["TestTotal two_items"]["custom_automation_id"],
        "example.com/shop/cart.TestTotal/two_items"
    );
}

#[test]
fn nested_suites_record_into_their_top_level_suites_section() {
    let lab = Lab::new();
    let before = lab.journal_len();
    let report = lab.junit("nested.xml", &["--title", "Nested"]);
    // An empty suite makes no section; nested suites add to their top-level suite's.
    assert_eq!(lab.sections(), ["Checkout", "Search"]);
    let cases = lab.cases();
    let checkout = lab.list(&format!("get_sections/{FIRST}"))[0]["id"].clone();
    for title in ["address", "shipping", "card", "paypal"] {
        assert_eq!(cases[title]["section_id"], checkout, "{title}");
    }
    // junitparser's order: a suite's own testcases, then its nested suites', depth first.
    let created: Vec<Value> = lab
        .journal(before)
        .into_iter()
        .filter(|(r, _)| r.starts_with("add_case/"))
        .map(|(_, b)| b["title"].clone())
        .collect();
    assert_eq!(
        created,
        [
            json!("address"),
            json!("shipping"),
            json!("card"),
            json!("paypal"),
            json!("by_title")
        ]
    );
    let tests = lab.tests(report["run_id"].as_u64().unwrap());
    assert_eq!(
        outcome(&tests, "shipping"),
        (
            5,
            s("Message: no rates\nText: carrier answered 503"),
            json!("1s")
        )
    );
    assert_eq!(outcome(&tests, "paypal"), (1, s(""), json!("1s")));
    assert_eq!(outcome(&tests, "by_title"), (1, s(""), json!("13s")));
}

#[test]
fn properties_give_case_fields_result_fields_comments_steps_and_shared_automation_ids() {
    let lab = Lab::new();
    let report = lab.junit(
        "properties.xml",
        &[
            "--title",
            "Orders",
            "--case-fields",
            "template_id:2",
            "--result-fields",
            "version:9",
        ],
    );
    // Two tests share the automation id `orders.list`: one case for both.
    assert_eq!(
        (&report["cases_created"], &report["results_added"]),
        (&json!(3), &json!(4))
    );
    assert_eq!(lab.sections(), ["Orders", "Invoices"]);
    let cases = lab.cases();
    let cancel = &cases["test_cancel"];
    assert_eq!(
        (
            &cancel["refs"],
            &cancel["priority_id"],
            &cancel["template_id"],
            &cancel["custom_preconds"],
            &cancel["custom_automation_id"],
        ),
        (
            &json!("SHOP-12"),
            &json!(4),
            &json!(2),
            &json!("An order in state PAID\nand a refund policy of 30 days"),
            &json!("tests.test_orders.test_cancel"),
        )
    );
    assert_eq!(cases["test_list"]["custom_automation_id"], "orders.list");
    assert!(!cases.contains_key("test_list_again"));

    let run_id = report["run_id"].as_u64().unwrap();
    let run = lab.read(&format!("get_run/{run_id}"));
    assert_eq!(
        run["description"],
        "build: 2025.6.1-rc2\nbranch: main\nregion: eu-west"
    );
    let tests = lab.tests(run_id);
    assert_eq!(tests.len(), 3);
    let (_, results) = &tests["test_cancel"];
    let r = &results[0];
    assert_eq!(
        (
            &r["status_id"],
            &r["comment"],
            &r["elapsed"],
            &r["version"],
            &r["defects"],
            &r["custom_step_results"],
        ),
        (
            &json!(5),
            &json!("Ran on the staging cluster\n\nMessage: still PAID\nText: state did not change"),
            &json!("2s"),
            &json!("2025.6.1"),
            &json!("SHOP-99"),
            &json!([{"content": "open the order", "status_id": 1},
                    {"content": "cancel it", "status_id": 5}]),
        )
    );
    let (_, list_results) = &tests["test_list"];
    assert_eq!(list_results.len(), 2, "both tests of orders.list reported");
    assert_eq!(tests["test_pdf"].1[0]["version"], "9");
}

#[test]
fn attachments_go_to_their_results_and_a_missing_file_is_a_warning() {
    let lab = Lab::new();
    let out = lab.cli(&[
        "junit",
        "attachments.xml",
        "--project",
        "Lab",
        "--title",
        "With files",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 attachments"), "{}", out.stdout);
    assert!(
        out.stderr.contains("files/missing.txt"),
        "the missing file is named: {}",
        out.stderr
    );
    let run = lab.list(&format!("get_runs/{FIRST}"))[0]["id"]
        .as_u64()
        .unwrap();
    let tests = lab.tests(run);
    let (test, results) = &tests["test_discount"];
    let result_id = results[0]["id"].as_u64().unwrap();
    let attached = lab.list(&format!("get_attachments_for_test/{}", test["id"]));
    let names: Vec<&str> = attached
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"discount.png") && names.contains(&"discount.log"));
    let store = lab.store();
    for a in &attached {
        assert_eq!(a["result_id"], result_id);
        let file = store.attachment(&a["id"].to_string()).unwrap();
        let want = std::fs::read(Path::new(DATA).join("files").join(file.name())).unwrap();
        assert_eq!(file.to_vec().unwrap(), want);
    }
    drop(store);
    // The uploads come after the results, each to its result.
    let routes: Vec<String> = lab.journal(0).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        routes[routes.len() - 3..],
        [
            format!("add_results_for_cases/{run}"),
            format!("add_attachment_to_result/{result_id}"),
            format!("add_attachment_to_result/{result_id}"),
        ]
    );
}

#[test]
fn an_existing_run_a_plan_entry_and_a_closed_run() {
    let lab = Lab::new();
    lab.junit("pytest.xml", &["--title", "Cases first"]);
    let cases = lab.cases();
    let manual_section = lab.call(&format!("add_section/{FIRST}"), json!({"name": "Manual"}));
    let manual = lab.call(
        &format!("add_case/{}", manual_section["id"]),
        json!({"title": "Inspect the receipt printer"}),
    );
    let run = lab.call(
        &format!("add_run/{FIRST}"),
        json!({"name": "Release 2", "include_all": false, "case_ids": [manual["id"]]}),
    );
    let run_id = run["id"].as_u64().unwrap();

    // --run-id: the run keeps its case and gains the report's (update_run with both).
    let before = lab.journal_len();
    let report = lab.junit("pytest.xml", &["--run-id", &run_id.to_string()]);
    assert_eq!(
        (
            &report["run_id"],
            &report["run_created"],
            &report["cases_created"]
        ),
        (&json!(run_id), &json!(false), &json!(0))
    );
    let writes = lab.journal(before);
    assert_eq!(writes[0].0, format!("update_run/{run_id}"));
    let mut want: Vec<u64> = cases.values().map(|c| c["id"].as_u64().unwrap()).collect();
    want.push(manual["id"].as_u64().unwrap());
    want.sort_unstable();
    assert_eq!(writes[0].1["case_ids"], json!(want));
    assert_eq!(writes[0].1["include_all"], false);
    let tests = lab.tests(run_id);
    assert_eq!(tests.len(), 7);
    assert_eq!(tests["Inspect the receipt printer"].0["status_id"], 3);
    assert_eq!(outcome(&tests, "test_discount").0, 5);
    let after = lab.read(&format!("get_run/{run_id}"));
    assert_eq!(after["name"], "Release 2", "no --title keeps the name");

    // --plan-id: a new entry with one run of the report's cases.
    let plan = lab.call(&format!("add_plan/{FIRST}"), json!({"name": "Release 3"}));
    let plan_id = plan["id"].as_u64().unwrap();
    let report = lab.junit(
        "pytest.xml",
        &["--plan-id", &plan_id.to_string(), "--title", "Linux"],
    );
    assert_eq!(report["plan_id"], plan_id);
    let plan = lab.read(&format!("get_plan/{plan_id}"));
    let entries = plan["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry_run = &entries[0]["runs"][0];
    assert_eq!(
        (&entry_run["name"], &entry_run["id"]),
        (&json!("Linux"), &report["run_id"])
    );
    assert_eq!(plan["failed_count"], 2);

    // That plan run by id, renamed: through its entry, as trcli does for a run without
    // configurations.
    let before = lab.journal_len();
    let plan_run = report["run_id"].as_u64().unwrap();
    lab.junit(
        "pytest.xml",
        &["--run-id", &plan_run.to_string(), "--title", "Linux, rerun"],
    );
    let writes = lab.journal(before);
    assert_eq!(
        writes[0].0,
        format!(
            "update_plan_entry/{plan_id}/{}",
            entries[0]["id"].as_str().unwrap()
        )
    );
    assert_eq!(
        lab.read(&format!("get_run/{plan_run}"))["name"],
        "Linux, rerun"
    );
    assert!(lab.tests(plan_run).values().all(|(_, r)| r.len() == 2));

    // --close-run: the results, then the close with trcli's body.
    let before = lab.journal_len();
    let report = lab.junit("pytest.xml", &["--title", "Closed", "--close-run"]);
    let closed = report["run_id"].as_u64().unwrap();
    assert_eq!(report["run_closed"], true);
    let writes = lab.journal(before);
    assert_eq!(
        writes.last().unwrap(),
        &(format!("close_run/{closed}"), json!({"run_id": closed}))
    );
    let run = lab.read(&format!("get_run/{closed}"));
    assert_eq!(run["is_completed"], true);
    assert_eq!(lab.tests(closed).len(), 6);
}

#[test]
fn the_property_and_name_matchers_use_the_reports_case_ids() {
    let lab = Lab::new();
    let section = lab.call(&format!("add_section/{FIRST}"), json!({"name": "Checkout"}));
    for title in ["Pay by card", "Pay with a wallet", "Refund"] {
        lab.call(
            &format!("add_case/{}", section["id"]),
            json!({"title": title}),
        );
    }
    let ids: Vec<u64> = (0..3).map(|i| FIRST + i).collect();
    let mut made: Vec<u64> = lab
        .cases()
        .values()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    made.sort_unstable();
    assert_eq!(made, ids, "ids.xml and names.xml name these");

    // test_id "C1, C2" fans one test out to two results; an unmarked test becomes a case
    // without an automation id (trcli leaves it out for these matchers).
    let report = lab.junit(
        "ids.xml",
        &["--title", "By property", "--case-matcher", "property"],
    );
    assert_eq!(
        (
            &report["cases_matched"],
            &report["cases_created"],
            &report["results_added"]
        ),
        (&json!(3), &json!(1), &json!(4))
    );
    let tests = lab.tests(report["run_id"].as_u64().unwrap());
    let status = |title: &str| tests[title].0["status_id"].clone();
    assert_eq!(
        (
            status("Pay by card"),
            status("Pay with a wallet"),
            status("Refund"),
            status("test_unmarked")
        ),
        (json!(1), json!(5), json!(5), json!(1))
    );
    assert_eq!(tests["Pay by card"].0["case_id"], ids[0]);
    assert!(lab.cases()["test_unmarked"]["custom_automation_id"].is_null());

    // Case ids in names: `[C1, C2] x` and `x_C3()`; the title loses the id.
    let report = lab.junit(
        "names.xml",
        &["--title", "By name", "--case-matcher", "name"],
    );
    assert_eq!(
        (&report["cases_matched"], &report["cases_created"]),
        (&json!(3), &json!(1))
    );
    let tests = lab.tests(report["run_id"].as_u64().unwrap());
    assert_eq!(tests["Pay by card"].0["status_id"], 1);
    assert_eq!(tests["Pay with a wallet"].0["status_id"], 1);
    assert_eq!(tests["Refund"].0["status_id"], 5);
    assert!(tests.contains_key("prints the receipt"));

    // An id the suite does not have refuses the report, naming it.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        r#"<testsuite name="X"><testcase classname="c" name="t">
             <properties><property name="test_id" value="C999"/></properties>
           </testcase></testsuite>"#,
    )
    .unwrap();
    let before = lab.journal_len();
    let (code, err) = lab.refused(&[
        bad.to_str().unwrap(),
        "--project",
        "Lab",
        "--title",
        "Bad",
        "--case-matcher",
        "property",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("C999"), "{err}");
    assert_eq!(lab.journal_len(), before);
}

#[test]
fn malformed_reports_are_refused_with_their_line_and_nothing_is_written() {
    let lab = Lab::new();
    let before = lab.journal_len();
    let (code, err) = lab.refused(&["malformed.xml", "--project", "Lab", "--title", "X"]);
    assert_eq!(code, 1, "a refused report is the caller's mistake");
    assert!(
        err.contains("malformed.xml") && err.contains("line 7") && err.contains("</testcas>"),
        "{err}"
    );
    // A good report given with a malformed one: nothing of either is written.
    let (_, err) = lab.refused(&[
        "pytest.xml",
        "malformed.xml",
        "--project",
        "Lab",
        "--title",
        "X",
    ]);
    assert!(err.contains("line 7"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("", "line 1", "no root element"),
        ("<html><body/></html>", "line 1", "<html>"),
        (
            "<testsuites>\n  <testsuite name=\"A\">\n    <testcase name=\"t\" time=\"soon\"/>\n  </testsuite>\n</testsuites>",
            "line 3",
            "\"soon\"",
        ),
        (
            "<testsuites>\n <testsuite name=\"A\">\n  <testcase name=\"t\"/>\n",
            "line 4",
            "<testsuite> opened on line 2",
        ),
        (
            "<testsuites>\n<testsuite name=\"A\">\n<testcase name=\"t\"><failure>&nbsp;</failure></testcase>\n</testsuite></testsuites>",
            "line 3",
            "&nbsp;",
        ),
        (
            "<testsuite name=\"A\"><testcase name=\"t\"/></testsuite>\n<testsuite name=\"B\"/>",
            "line 2",
            "second root",
        ),
    ];
    for (i, (xml, line, what)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.xml"));
        std::fs::write(&path, xml).unwrap();
        let (code, err) =
            lab.refused(&[path.to_str().unwrap(), "--project", "Lab", "--title", "X"]);
        assert_eq!(code, 1, "{xml}");
        assert!(err.contains(line) && err.contains(what), "{xml}: {err}");
    }
    assert_eq!(lab.journal_len(), before, "nothing was written");
    assert!(lab.list(&format!("get_runs/{FIRST}")).is_empty());
}

#[test]
fn creating_cases_needs_the_automation_id_field_and_says_how_to_add_it() {
    let lab = Lab::without_field();
    let before = lab.journal_len();
    let (code, err) = lab.refused(&["pytest.xml", "--project", "Lab", "--title", "X"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("custom_automation_id") && err.contains("add_case_field"),
        "{err}"
    );
    assert_eq!(lab.journal_len(), before);
    assert!(lab.cases().is_empty() && lab.sections().is_empty());

    // The name matcher creates cases without it.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.xml");
    std::fs::write(
        &plain,
        r#"<testsuite name="Receipts"><testcase classname="r" name="prints the receipt"/></testsuite>"#,
    )
    .unwrap();
    let report = lab.junit(
        plain.to_str().unwrap(),
        &["--title", "Y", "--case-matcher", "name"],
    );
    assert_eq!(report["cases_created"], 1);
    assert!(lab.cases()["prints the receipt"]["custom_automation_id"].is_null());
}
