//! Deterministic synthetic TestRail data, written as trailstore snapshots.
//!
//! Everything derives from one seed, and every case from `(seed, case id)` alone, so a 1M-case
//! set can be produced chunk by chunk (100k cases a chunk) in any order without holding it all.
//! The reference data (users, fields, projects, suites, the section tree) goes in chunk 0; later
//! chunks hold only cases, whose sections were imported with chunk 0.
//!
//! Shapes follow `tests/data/sample_snapshot.json`. Sizes: ~60-char titles, 3 steps of ~200
//! characters (content ~130 + expected ~70), ~150-character preconditions, words drawn from a
//! 5,000-word vocabulary with Zipf(s = 1) frequencies, ~100 cases per section in a three-level
//! section tree.

use std::collections::HashSet;

use serde_json::{json, Value};

/// Cases per snapshot chunk.
pub const CHUNK: u64 = 100_000;
/// Words in the vocabulary.
pub const VOCAB: usize = 5_000;
/// Average cases per section.
pub const CASES_PER_SECTION: u64 = 100;
pub const USERS: u64 = 20;
/// 2024-01-01T00:00:00Z: cases are created over the three years after it.
pub const EPOCH: i64 = 1_704_067_200;
pub const SPAN: i64 = 3 * 365 * 86_400;

/// SplitMix64: tiny, fast, and its output never changes with a dependency upgrade.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// An independent stream for `(seed, key)`.
    pub fn keyed(seed: u64, key: u64) -> Rng {
        let mut r = Rng(seed ^ key.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// The vocabulary: made-up lowercase words, most frequent first, with a Zipf CDF.
pub struct Vocab {
    pub words: Vec<String>,
    cdf: Vec<f64>,
}

impl Vocab {
    pub fn new(seed: u64) -> Vocab {
        const CONS: &[u8] = b"bcdfghjklmnprstvwz";
        const VOWELS: &[u8] = b"aeiou";
        let mut rng = Rng::keyed(seed, 0x0076_6f63_6162);
        let mut seen = HashSet::new();
        let mut words = Vec::with_capacity(VOCAB);
        // Query operators of either side, which must not be plain words.
        for w in ["and", "or", "not", "near"] {
            seen.insert(w.to_string());
        }
        while words.len() < VOCAB {
            // Frequent words are short, as in real text.
            let syllables = match words.len() {
                0..=60 => 1 + rng.below(2),
                61..=1000 => 2 + rng.below(2),
                _ => 2 + rng.below(3),
            };
            let mut w = String::new();
            for _ in 0..syllables {
                w.push(CONS[rng.below(CONS.len() as u64) as usize] as char);
                w.push(VOWELS[rng.below(VOWELS.len() as u64) as usize] as char);
                if rng.chance(0.3) {
                    w.push(CONS[rng.below(CONS.len() as u64) as usize] as char);
                }
            }
            if w.len() >= 2 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut cdf = Vec::with_capacity(VOCAB);
        let mut acc = 0.0;
        for rank in 1..=VOCAB {
            acc += 1.0 / rank as f64;
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        Vocab { words, cdf }
    }

    pub fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.unit();
        let i = self.cdf.partition_point(|c| *c < x).min(VOCAB - 1);
        &self.words[i]
    }

    /// Words until the text is about `chars` long (±20%).
    pub fn text(&self, rng: &mut Rng, chars: usize) -> String {
        let target = chars * 8 / 10 + rng.below((chars * 4 / 10) as u64 + 1) as usize;
        let mut s = String::with_capacity(target + 16);
        while s.len() < target {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(self.word(rng));
        }
        s
    }

    /// A capitalised sentence of about `chars` characters.
    pub fn sentence(&self, rng: &mut Rng, chars: usize) -> String {
        let mut s = self.text(rng, chars);
        if let Some(first) = s.get(0..1) {
            let up = first.to_ascii_uppercase();
            s.replace_range(0..1, &up);
        }
        s
    }
}

/// Which suite a share of the cases goes to: project 1 is single-suite (suite 1), project 2 is
/// multi-suite (suites 2 and 3).
pub const SUITES: &[(u64, u64, u32)] = &[(1, 1, 50), (2, 2, 25), (3, 2, 25)];

/// Every case in suite 1 (project 1): W10's big run includes a whole suite of `--size` cases.
/// Suites 2 and 3 still exist, with a section each and no cases.
pub const ONE_SUITE: &[(u64, u64, u32)] = &[(1, 1, 100)];

/// One section of the generated tree.
#[derive(Debug, Clone)]
pub struct GenSection {
    pub id: u64,
    pub suite_id: u64,
    pub parent_id: Option<u64>,
    pub depth: u64,
    pub display_order: u64,
    pub name: String,
}

/// The whole data set's shape: everything but the cases.
pub struct Dataset {
    pub seed: u64,
    pub cases: u64,
    pub vocab: Vocab,
    pub sections: Vec<GenSection>,
    /// Section ids of each suite (index = suite id).
    pub suite_sections: Vec<Vec<u64>>,
    /// How the cases spread over the suites: [`SUITES`] or [`ONE_SUITE`].
    pub suites: &'static [(u64, u64, u32)],
}

impl Dataset {
    pub fn new(seed: u64, cases: u64) -> Dataset {
        Dataset::with_suites(seed, cases, SUITES)
    }

    pub fn with_suites(seed: u64, cases: u64, suites: &'static [(u64, u64, u32)]) -> Dataset {
        let vocab = Vocab::new(seed);
        let mut rng = Rng::keyed(seed, 0x7365_6374);
        let mut sections = Vec::new();
        let mut suite_sections = vec![Vec::new(); 4];
        let total_weight: u32 = suites.iter().map(|s| s.2).sum();
        let mut next_id = 1u64;
        for (suite_id, _, _) in SUITES {
            let weight = suites
                .iter()
                .find(|s| s.0 == *suite_id)
                .map_or(&0, |s| &s.2);
            let share = cases * u64::from(*weight) / u64::from(total_weight);
            let count = share.div_ceil(CASES_PER_SECTION).max(1);
            // Three levels, `fan` wide: top-level areas, features, and their sub-features.
            let fan = ((count as f64).cbrt().ceil() as u64).max(1);
            let mut made = 0u64;
            let mut order = 0u64;
            let mut add = |parent: Option<u64>, depth: u64, rng: &mut Rng| -> u64 {
                let id = next_id;
                next_id += 1;
                order += 1;
                let name = vocab.sentence(rng, 14);
                sections.push(GenSection {
                    id,
                    suite_id: *suite_id,
                    parent_id: parent,
                    depth,
                    display_order: order,
                    name,
                });
                suite_sections[*suite_id as usize].push(id);
                id
            };
            'top: for _ in 0..fan {
                if made >= count {
                    break;
                }
                let top = add(None, 0, &mut rng);
                made += 1;
                for _ in 0..fan {
                    if made >= count {
                        break 'top;
                    }
                    let mid = add(Some(top), 1, &mut rng);
                    made += 1;
                    for _ in 0..fan.saturating_sub(1) {
                        if made >= count {
                            break 'top;
                        }
                        add(Some(mid), 2, &mut rng);
                        made += 1;
                    }
                }
            }
        }
        Dataset {
            seed,
            cases,
            vocab,
            sections,
            suite_sections,
            suites,
        }
    }

    pub fn chunks(&self) -> u64 {
        self.cases.div_ceil(CHUNK).max(1)
    }

    /// Snapshot chunk `k`: reference data (for k = 0) plus cases `k*CHUNK+1 ..= (k+1)*CHUNK`.
    pub fn chunk(&self, k: u64) -> Value {
        let first = k * CHUNK + 1;
        let last = ((k + 1) * CHUNK).min(self.cases);
        let cases: Vec<Value> = (first..=last).map(|id| self.case(id)).collect();
        let mut snap = if k == 0 {
            self.reference()
        } else {
            json!({"format": "trailstore-snapshot", "version": 1})
        };
        snap["cases"] = Value::Array(cases);
        snap
    }

    /// The suite a case belongs to.
    pub fn suite_of(&self, id: u64) -> (u64, u64) {
        let mut rng = Rng::keyed(self.seed, id);
        let w: Vec<u32> = self.suites.iter().map(|s| s.2).collect();
        let s = self.suites[rng.weighted(&w)];
        (s.0, s.1)
    }

    /// Case `id`, in get_case's shape.
    pub fn case(&self, id: u64) -> Value {
        let mut rng = Rng::keyed(self.seed, id);
        let w: Vec<u32> = self.suites.iter().map(|s| s.2).collect();
        let (suite_id, project_id, _) = self.suites[rng.weighted(&w)];
        let secs = &self.suite_sections[suite_id as usize];
        let section_id = secs[rng.below(secs.len() as u64) as usize];
        let v = &self.vocab;
        let created_on = EPOCH + rng.below(SPAN as u64) as i64;
        // Edited up to a year later, never after the end of the span.
        let room = (EPOCH + SPAN - created_on).clamp(0, 365 * 86_400) as u64;
        let updated_on = created_on + rng.below(room + 1) as i64;
        let milestones = milestone_ids(project_id);
        let milestone_id = if rng.chance(0.5) {
            json!(milestones[rng.below(milestones.len() as u64) as usize])
        } else {
            Value::Null
        };
        let refs = if rng.chance(0.4) {
            let prefix = if project_id == 1 { "WEB" } else { "MOB" };
            json!(format!("{prefix}-{}", 100 + rng.below(9_900)))
        } else {
            Value::Null
        };
        let steps: Vec<Value> = (0..3)
            .map(|_| {
                json!({
                    "content": v.sentence(&mut rng, 130),
                    "expected": v.sentence(&mut rng, 70),
                    "additional_info": "",
                    "refs": "",
                })
            })
            .collect();
        let priority_id = [1, 2, 3, 4][rng.weighted(&[15, 50, 25, 10])];
        let type_id = [6, 7, 9, 3, 1, 10][rng.weighted(&[40, 20, 15, 15, 5, 5])];
        let automation_id = if rng.chance(0.5) {
            json!(format!(
                "tests.{}.{}_{}",
                v.word(&mut rng),
                v.word(&mut rng),
                v.word(&mut rng)
            ))
        } else {
            Value::Null
        };
        let spec_url = if rng.chance(0.2) {
            json!(format!(
                "https://wiki.example.com/spec/{}",
                v.word(&mut rng)
            ))
        } else {
            Value::Null
        };
        let last_verified = if rng.chance(0.3) {
            json!(format!(
                "{:02}/{:02}/{}",
                1 + rng.below(12),
                1 + rng.below(28),
                2024 + rng.below(3)
            ))
        } else {
            Value::Null
        };
        let components = if project_id == 1 { 8 } else { 5 };
        let story_points = [1, 2, 3, 5, 8, 13][rng.below(6) as usize];
        let estimate = if rng.chance(0.2) {
            json!(format!("{}m", 5 + rng.below(55)))
        } else {
            Value::Null
        };
        let mut c = json!({
            "id": id,
            "title": v.sentence(&mut rng, 60),
            "section_id": section_id,
            "suite_id": suite_id,
            "template_id": 2,
            "type_id": type_id,
            "priority_id": priority_id,
            "milestone_id": milestone_id,
            "refs": refs,
            "created_by": 1 + rng.below(USERS),
            "created_on": created_on,
            "updated_by": 1 + rng.below(USERS),
            "updated_on": updated_on,
            "estimate": estimate,
            "estimate_forecast": null,
            "display_order": id,
            "is_deleted": 0,
            "labels": [],
            "custom_preconds": v.sentence(&mut rng, 150),
            "custom_steps_separated": steps,
            "custom_automation_type": rng.below(4),
            "custom_automation_id": automation_id,
            "custom_component": 1 + rng.below(components),
            "custom_story_points": story_points,
            "custom_spec_url": spec_url,
            "custom_is_flaky": rng.chance(0.1),
            "custom_reviewer": 1 + rng.below(USERS),
            "custom_last_verified": last_verified,
        });
        if project_id == 2 {
            let mut platforms: Vec<u64> = (1..=4).filter(|_| rng.chance(0.5)).collect();
            if platforms.is_empty() {
                platforms.push(1 + rng.below(4));
            }
            c["custom_platforms"] = json!(platforms);
        }
        c
    }

    /// Everything but the cases.
    pub fn reference(&self) -> Value {
        let mut rng = Rng::keyed(self.seed, 0x0072_6566);
        let roles = [(1, "Lead"), (2, "Designer"), (3, "Tester")];
        let users: Vec<Value> = (1..=USERS)
            .map(|id| {
                let (role_id, role) = roles[rng.below(3) as usize];
                let first = self.vocab.sentence(&mut rng, 6);
                let last = self.vocab.sentence(&mut rng, 8);
                json!({
                    "id": id,
                    "name": format!("{} {}", first.split(' ').next().unwrap_or("A"), last.split(' ').next().unwrap_or("B")),
                    "email": format!("user{id}@example.com"),
                    "is_active": id % 7 != 0,
                    "role_id": role_id,
                    "role": role,
                })
            })
            .collect();
        let case_types: Vec<Value> = [
            "Acceptance",
            "Accessibility",
            "Automated",
            "Compatibility",
            "Destructive",
            "Functional",
            "Other",
            "Performance",
            "Regression",
            "Security",
            "Smoke & Sanity",
            "Usability",
        ]
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"id": i + 1, "name": n, "is_default": i == 6}))
        .collect();
        let priorities: Vec<Value> = ["1 - Low", "2 - Medium", "3 - High", "4 - Critical"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({"id": i + 1, "name": n, "short_name": n, "is_default": i == 1, "priority": i + 1})
            })
            .collect();
        let template = |id: u64, name: &str, default: bool| json!({"id": id, "name": name, "is_default": default});
        let templates = json!({
            "1": [template(1, "Test Case (Text)", true), template(2, "Test Case (Steps)", false), template(3, "Exploratory Session", false)],
            "2": [template(1, "Test Case (Text)", true), template(2, "Test Case (Steps)", false)],
        });
        let projects = json!({
            "offset": 0, "limit": 250, "size": 2, "_links": {"next": null, "prev": null},
            "projects": [
                {"id": 1, "name": "Web Shop", "announcement": null, "show_announcement": false,
                 "is_completed": false, "completed_on": null, "suite_mode": 1},
                {"id": 2, "name": "Mobile App", "announcement": null, "show_announcement": false,
                 "is_completed": false, "completed_on": null, "suite_mode": 3},
            ]
        });
        let suites = json!([
            {"id": 1, "name": "Master", "description": null, "project_id": 1, "is_master": true,
             "is_baseline": false, "is_completed": false, "completed_on": null},
            {"id": 2, "name": "iOS", "description": "Native iOS app.", "project_id": 2, "is_master": false,
             "is_baseline": false, "is_completed": false, "completed_on": null},
            {"id": 3, "name": "Android", "description": "Native Android app.", "project_id": 2, "is_master": false,
             "is_baseline": false, "is_completed": false, "completed_on": null},
        ]);
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(|s| {
                json!({
                    "id": s.id, "suite_id": s.suite_id, "name": s.name,
                    "description": null, "parent_id": s.parent_id,
                    "display_order": s.display_order, "depth": s.depth,
                })
            })
            .collect();
        let milestones: Vec<Value> = [1u64, 2]
            .iter()
            .flat_map(|p| milestone_ids(*p).into_iter().map(move |m| (*p, m)))
            .map(|(p, m)| {
                json!({
                    "id": m, "name": format!("Release {m}"), "description": null,
                    "project_id": p, "start_on": null, "started_on": null, "is_started": false,
                    "due_on": null, "is_completed": false, "completed_on": null,
                    "parent_id": null, "refs": null,
                })
            })
            .collect();
        json!({
            "format": "trailstore-snapshot",
            "version": 1,
            "users": users,
            "case_types": case_types,
            "priorities": priorities,
            "case_fields": case_fields(),
            "projects": projects,
            "templates": templates,
            "suites": suites,
            "sections": sections,
            "milestones": milestones,
            "statuses": statuses(),
            "result_fields": result_fields(),
        })
    }
}

/// TestRail's five system statuses and one custom status, as `get_statuses` lists them.
fn statuses() -> Value {
    let status =
        |id: u64, name: &str, label: &str, colors: [u64; 3], system: bool, final_: bool| {
            json!({
                "id": id, "name": name, "label": label, "color_dark": colors[0],
                "color_medium": colors[1], "color_bright": colors[2], "is_system": system,
                "is_untested": id == 3, "is_final": final_,
            })
        };
    json!([
        status(
            1,
            "passed",
            "Passed",
            [6667107, 9820525, 12709313],
            true,
            true
        ),
        status(
            2,
            "blocked",
            "Blocked",
            [9474192, 13684944, 14737632],
            true,
            false
        ),
        status(
            3,
            "untested",
            "Untested",
            [11579568, 15395562, 15790320],
            true,
            false
        ),
        status(
            4,
            "retest",
            "Retest",
            [13026868, 15593088, 16448182],
            true,
            false
        ),
        status(
            5,
            "failed",
            "Failed",
            [14250867, 15829135, 16631751],
            true,
            true
        ),
        status(
            6,
            "custom_status1",
            "Flaky",
            [10053324, 13408716, 15261439],
            false,
            false
        ),
    ])
}

/// The result field a TestRail install has for the Steps template (`get_result_fields`).
fn result_fields() -> Value {
    json!([{
        "id": 1, "is_active": true, "type_id": 11, "name": "step_results",
        "system_name": "custom_step_results", "label": "Steps",
        "description": null, "display_order": 1, "include_all": false, "template_ids": [2],
        "configs": [{"id": "0a1b2c3d4e5f6", "context": {"is_global": true, "project_ids": null},
                     "options": {"is_required": false, "format": "markdown",
                                 "has_expected": true, "has_actual": true}}],
    }])
}

fn milestone_ids(project_id: u64) -> Vec<u64> {
    if project_id == 1 {
        (1..=6).collect()
    } else {
        (7..=10).collect()
    }
}

fn items(labels: &[&str], first: u64) -> String {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}, {l}", first + i as u64))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The case fields: one of most types TestRail has.
pub fn case_fields() -> Value {
    let global = |id: &str, options: Value| json!([{"id": id, "context": {"is_global": true, "project_ids": null}, "options": options}]);
    let field =
        |id: u64, name: &str, label: &str, type_id: u64, configs: Value, templates: &[u64]| {
            json!({
                "id": id, "name": name, "system_name": format!("custom_{name}"), "label": label,
                "description": null, "type_id": type_id, "display_order": id, "configs": configs,
                "include_all": templates.is_empty(), "template_ids": templates, "is_active": true,
            })
        };
    let text_opts =
        json!({"is_required": false, "default_value": "", "format": "markdown", "rows": "5"});
    json!([
        field(
            1,
            "preconds",
            "Preconditions",
            3,
            global("c1", text_opts.clone()),
            &[]
        ),
        field(
            2,
            "steps_separated",
            "Steps",
            10,
            global("c2", text_opts),
            &[2]
        ),
        field(
            3,
            "automation_type",
            "Automation Type",
            6,
            global(
                "c3",
                json!({
            "is_required": false, "default_value": "0",
            "items": items(&["None", "Ranorex", "Selenium", "Playwright"], 0)})
            ),
            &[]
        ),
        field(
            4,
            "automation_id",
            "Automation ID",
            1,
            global("c4", json!({"is_required": false, "default_value": ""})),
            &[]
        ),
        field(
            5,
            "component",
            "Component",
            6,
            json!([
                {"id": "c5a", "context": {"is_global": false, "project_ids": [1]}, "options": {
                    "is_required": true, "default_value": "",
                    "items": items(&["Cart", "Checkout", "Search", "Account", "Catalog", "Payments", "Shipping", "Returns"], 1)}},
                {"id": "c5b", "context": {"is_global": false, "project_ids": [2]}, "options": {
                    "is_required": false, "default_value": "",
                    "items": items(&["Onboarding", "Sync", "Notifications", "Offline", "Settings"], 1)}},
            ]),
            &[]
        ),
        field(
            6,
            "story_points",
            "Story Points",
            2,
            global("c6", json!({"is_required": false, "default_value": ""})),
            &[]
        ),
        field(
            7,
            "spec_url",
            "Specification",
            4,
            global("c7", json!({"is_required": false, "default_value": ""})),
            &[]
        ),
        field(
            8,
            "is_flaky",
            "Flaky",
            5,
            global("c8", json!({"is_required": false, "default_value": "0"})),
            &[]
        ),
        field(
            9,
            "reviewer",
            "Reviewer",
            7,
            global("c9", json!({"is_required": false, "default_value": ""})),
            &[]
        ),
        field(
            10,
            "last_verified",
            "Last Verified",
            8,
            global("c10", json!({"is_required": false})),
            &[]
        ),
        field(
            11,
            "platforms",
            "Platforms",
            12,
            json!([
                {"id": "c11", "context": {"is_global": false, "project_ids": [2]}, "options": {
                    "is_required": true, "items": items(&["iOS 17", "iOS 18", "Android 14", "Android 15"], 1)}},
            ]),
            &[]
        ),
    ])
}
