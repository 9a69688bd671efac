//! Pins how every enum inside a stored record is written: bincode (the store's files) writes a
//! variant as its number and JSON (bundles) writes it as its name.
//!
//! A failure here means records already on disk or in bundles would be read as something else.
//! Give the variant its old number back instead of changing the expected bytes.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{self, PLAIN};
use crate::conflicts::Conflict;
use crate::journal::{Action, Change, Effect, JournalEntry, PushState};
use crate::model::stored::Numbered;
use crate::model::{Json, Kind, Project, SuiteMode};

fn bytes<T: Serialize>(value: &T) -> Vec<u8> {
    codec::encode(value).unwrap()
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// `value` is written as `[PLAIN, payload…]` and as `text` in JSON, and both read back.
fn pinned<T>(value: &T, payload: &[u8], text: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut want = vec![PLAIN];
    want.extend_from_slice(payload);
    assert_eq!(bytes(value), want, "bincode of {value:?}");
    assert_eq!(&codec::decode::<T>(&want, "pinned").unwrap(), value);
    assert_eq!(json(value), text, "JSON of {value:?}");
    assert_eq!(&serde_json::from_str::<T>(text).unwrap(), value);
}

/// Every variant of a fieldless enum, with its number and its JSON name.
fn unit_variants<T>(all: &[T], pins: &[(T, u8, &str)])
where
    T: Numbered + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(all.len(), pins.len(), "a variant without a pin");
    for (value, number, name) in pins {
        assert!(all.contains(value));
        assert_eq!(value.number(), u32::from(*number), "{value:?}");
        assert_eq!(T::from_number(u64::from(*number)), Some(*value));
        assert_eq!(value.variant_name(), *name);
        pinned(value, &[*number], &format!("\"{name}\""));
    }
    // One past the last number names nothing (so nothing decodes as a wrong variant).
    let next = pins.iter().map(|p| p.1).max().unwrap() + 1;
    assert!(codec::decode::<T>(&[PLAIN, next], "pinned").is_err());
}

#[test]
fn kind_numbers() {
    // code() also keys the id map.
    for kind in Kind::ALL {
        assert_eq!(kind.code(), u64::from(kind.number()));
        assert_eq!(Kind::from_code(kind.code()), Some(kind));
    }
    assert_eq!(Kind::from_code(19), None);
    unit_variants(
        &Kind::ALL,
        &[
            (Kind::Project, 0, "Project"),
            (Kind::Suite, 1, "Suite"),
            (Kind::Section, 2, "Section"),
            (Kind::Case, 3, "Case"),
            (Kind::CaseField, 4, "CaseField"),
            (Kind::CaseType, 5, "CaseType"),
            (Kind::Priority, 6, "Priority"),
            (Kind::Template, 7, "Template"),
            (Kind::User, 8, "User"),
            (Kind::Milestone, 9, "Milestone"),
            (Kind::Status, 10, "Status"),
            (Kind::ResultField, 11, "ResultField"),
            (Kind::Run, 12, "Run"),
            (Kind::Test, 13, "Test"),
            (Kind::Result, 14, "Result"),
            (Kind::Plan, 15, "Plan"),
            (Kind::ConfigGroup, 16, "ConfigGroup"),
            (Kind::Config, 17, "Config"),
            (Kind::Attachment, 18, "Attachment"),
        ],
    );
}

#[test]
fn action_numbers() {
    for action in Action::ALL {
        assert_eq!(Action::from_code(action.code()), Some(action));
    }
    unit_variants(
        &Action::ALL,
        &[
            (Action::Create, 0, "Create"),
            (Action::Update, 1, "Update"),
            (Action::Move, 2, "Move"),
            (Action::Delete, 3, "Delete"),
        ],
    );
}

#[test]
fn suite_mode_numbers() {
    // The stored numbers, not TestRail's suite_mode values (1 to 3).
    unit_variants(
        &SuiteMode::ALL,
        &[
            (SuiteMode::Single, 0, "Single"),
            (SuiteMode::SingleWithBaselines, 1, "SingleWithBaselines"),
            (SuiteMode::Multiple, 2, "Multiple"),
        ],
    );
}

#[test]
fn push_state_numbers() {
    let codes = [
        (PushState::Pending, 0),
        (PushState::InFlight { since: 0 }, 1),
        (
            PushState::Done {
                server_id: None,
                server_updated_on: None,
            },
            2,
        ),
        (PushState::Rejected { message: "".into() }, 3),
        (PushState::Conflict { detail: "".into() }, 4),
        (PushState::Blocked { on_seq: 0 }, 5),
        (PushState::Held { message: "".into() }, 6),
    ];
    for (state, code) in codes {
        assert_eq!(state.code(), code, "{state:?}");
    }
    pinned(&PushState::Pending, &[0], r#""Pending""#);
    pinned(
        &PushState::InFlight { since: -3 },
        &[1, 5],
        r#"{"InFlight":{"since":-3}}"#,
    );
    pinned(
        &PushState::Done {
            server_id: Some(300),
            server_updated_on: None,
        },
        &[2, 1, 251, 44, 1, 0],
        r#"{"Done":{"server_id":300,"server_updated_on":null}}"#,
    );
    pinned(
        &PushState::Rejected {
            message: "no".into(),
        },
        &[3, 2, b'n', b'o'],
        r#"{"Rejected":{"message":"no"}}"#,
    );
    pinned(
        &PushState::Held {
            message: "c".into(),
        },
        &[6, 1, b'c'],
        r#"{"Held":{"message":"c"}}"#,
    );
    pinned(
        &PushState::Conflict { detail: "d".into() },
        &[4, 1, b'd'],
        r#"{"Conflict":{"detail":"d"}}"#,
    );
    pinned(
        &PushState::Blocked { on_seq: 7 },
        &[5, 7],
        r#"{"Blocked":{"on_seq":7}}"#,
    );
    assert!(codec::decode::<PushState>(&[PLAIN, 6], "pinned").is_err());
    // A field the JSON form leaves out is None, as serde's derive reads it.
    assert_eq!(
        serde_json::from_str::<PushState>(r#"{"Done":{}}"#).unwrap(),
        PushState::Done {
            server_id: None,
            server_updated_on: None
        }
    );
}

#[test]
fn json_numbers() {
    pinned(&Json::Null, &[0], r#""Null""#);
    pinned(&Json::Bool(true), &[1, 1], r#"{"Bool":true}"#);
    pinned(&Json::Int(-2), &[2, 3], r#"{"Int":-2}"#);
    pinned(
        &Json::Float(0.5),
        &[3, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f],
        r#"{"Float":0.5}"#,
    );
    pinned(&Json::Str("x".into()), &[4, 1, b'x'], r#"{"Str":"x"}"#);
    pinned(
        &Json::List(vec![Json::Int(1), Json::Null]),
        &[5, 2, 2, 2, 0],
        r#"{"List":[{"Int":1},"Null"]}"#,
    );
    pinned(
        &Json::Map(vec![("a".into(), Json::Bool(false))]),
        &[6, 1, 1, b'a', 1, 0],
        r#"{"Map":[["a",{"Bool":false}]]}"#,
    );
    assert!(codec::decode::<Json>(&[PLAIN, 7], "pinned").is_err());
}

#[test]
fn a_journal_entry() {
    let entry = JournalEntry {
        seq: 3,
        op_id: "ab".into(),
        route: "update_case/7".into(),
        body: Json::Map(vec![("title".into(), Json::Str("T".into()))]),
        time: 1_700_000_000,
        user_id: 1,
        effects: vec![Effect {
            kind: Kind::Case,
            id: 7,
            action: Action::Update,
            changes: vec![Change {
                field: "title".into(),
                old: Some(Json::Str("t".into())),
                new: Some(Json::Str("T".into())),
            }],
        }],
        state: PushState::Done {
            server_id: None,
            server_updated_on: Some(1_700_000_100),
        },
    };
    let mut payload = vec![3, 2, b'a', b'b', 13];
    payload.extend_from_slice(b"update_case/7");
    payload.extend_from_slice(&[6, 1, 5]); // body: a Map of one entry
    payload.extend_from_slice(b"title");
    payload.extend_from_slice(&[4, 1, b'T']);
    payload.extend_from_slice(&[252, 0, 226, 167, 202]); // time, zigzag u32
    payload.extend_from_slice(&[1, 1]); // user_id, one effect
    payload.extend_from_slice(&[3, 7, 1, 1, 5]); // Case 7, Update, one change
    payload.extend_from_slice(b"title");
    payload.extend_from_slice(&[1, 4, 1, b't', 1, 4, 1, b'T']);
    payload.extend_from_slice(&[2, 0, 1, 252, 200, 226, 167, 202]); // Done
    pinned(
        &entry,
        &payload,
        concat!(
            r#"{"seq":3,"op_id":"ab","route":"update_case/7","body":{"Map":[["title",{"Str":"T"}]]},"#,
            r#""time":1700000000,"user_id":1,"effects":[{"kind":"Case","id":7,"action":"Update","#,
            r#""changes":[{"field":"title","old":{"Str":"t"},"new":{"Str":"T"}}]}],"#,
            r#""state":{"Done":{"server_id":null,"server_updated_on":1700000100}}}"#
        ),
    );
}

#[test]
fn a_conflict() {
    let conflict = Conflict {
        kind: Kind::Section,
        id: 12,
        field: "name".into(),
        base: Some(Json::Str("a".into())),
        local: None,
        server: Some(Json::Str("c".into())),
        detected_on: 5,
        source: "pull".into(),
    };
    let mut payload = vec![2, 12, 4];
    payload.extend_from_slice(b"name");
    payload.extend_from_slice(&[1, 4, 1, b'a', 0, 1, 4, 1, b'c', 10, 4]);
    payload.extend_from_slice(b"pull");
    pinned(
        &conflict,
        &payload,
        concat!(
            r#"{"kind":"Section","id":12,"field":"name","base":{"Str":"a"},"local":null,"#,
            r#""server":{"Str":"c"},"detected_on":5,"source":"pull"}"#
        ),
    );
}

#[test]
fn a_project() {
    let project = Project {
        id: 1,
        name: "P".into(),
        announcement: None,
        show_announcement: false,
        is_completed: false,
        completed_on: None,
        suite_mode: SuiteMode::Multiple,
        url: String::new(),
        extra: vec![],
    };
    pinned(
        &project,
        &[1, 1, b'P', 0, 0, 0, 0, 2, 0, 0],
        concat!(
            r#"{"id":1,"name":"P","announcement":null,"show_announcement":false,"#,
            r#""is_completed":false,"completed_on":null,"suite_mode":"Multiple","url":"","extra":[]}"#
        ),
    );
}
