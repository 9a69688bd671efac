//! Custom case field (`get_case_fields`) and its per-project configs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_str_value, put_extra, Json, Obj};
use crate::error::{Error, Result};

macro_rules! field_types {
    ($( $variant:ident = $id:literal, $name:literal; )*) => {
        /// The custom field types of TestRail (`type_id`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FieldType {
            $( $variant, )*
            /// A type this build has no rule for (BDD scenarios, newer types): any JSON value is
            /// kept.
            Other(i64),
        }

        impl FieldType {
            /// Every type this build knows, in `type_id` order.
            pub const ALL: &'static [FieldType] = &[ $( FieldType::$variant, )* ];

            pub fn from_type_id(id: i64) -> FieldType {
                match id { $( $id => FieldType::$variant, )* other => FieldType::Other(other) }
            }

            pub fn type_id(self) -> i64 {
                match self { $( FieldType::$variant => $id, )* FieldType::Other(n) => n }
            }

            /// TestRail's display name of the type ("Multi-select"); `?` for an unknown one.
            pub fn name(self) -> &'static str {
                match self { $( FieldType::$variant => $name, )* FieldType::Other(_) => "?" }
            }
        }
    };
}

// The type table, written once: variant, TestRail's `type_id`, TestRail's display name.
field_types! {
    String = 1, "String";
    Integer = 2, "Integer";
    Text = 3, "Text";
    Url = 4, "URL";
    Checkbox = 5, "Checkbox";
    Dropdown = 6, "Dropdown";
    User = 7, "User";
    Date = 8, "Date";
    Milestone = 9, "Milestone";
    Steps = 10, "Steps";
    StepResults = 11, "Step Results";
    MultiSelect = 12, "Multi-select";
}

impl FieldType {
    /// Parses the `type` of `add_case_field`: a word ("Dropdown", "multiselect") or a number sent
    /// as a string ("6"). A bare JSON number is refused, as TestRail does.
    pub fn from_add_param(v: &Value) -> Option<FieldType> {
        let s = v.as_str()?.trim().to_ascii_lowercase();
        if let Ok(n) = s.parse::<i64>() {
            let t = FieldType::from_type_id(n);
            // Step Results is a type of result fields only.
            return (!matches!(t, FieldType::Other(_) | FieldType::StepResults)).then_some(t);
        }
        Some(match s.replace(['-', ' ', '_'], "").as_str() {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "text" => FieldType::Text,
            "url" => FieldType::Url,
            "checkbox" => FieldType::Checkbox,
            "dropdown" => FieldType::Dropdown,
            "user" => FieldType::User,
            "date" => FieldType::Date,
            "milestone" => FieldType::Milestone,
            "steps" => FieldType::Steps,
            "multiselect" => FieldType::MultiSelect,
            _ => return None,
        })
    }

    /// The `type_id` of a change in `get_history_for_case`.
    pub fn history_change_type(self) -> i64 {
        match self {
            FieldType::String | FieldType::Url => 1,
            FieldType::Integer
            | FieldType::Dropdown
            | FieldType::User
            | FieldType::Milestone
            | FieldType::MultiSelect => 2,
            FieldType::Checkbox => 3,
            FieldType::Date => 4,
            FieldType::Text | FieldType::Other(_) => 6,
            FieldType::Steps | FieldType::StepResults => 8,
        }
    }
}

/// One config of a field: where it applies (context) and its options there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConfig {
    pub id: String,
    pub is_global: bool,
    /// `None` renders as `null` (how TestRail shows a global context).
    pub project_ids: Option<Vec<u64>>,
    pub options: Vec<(String, Json)>,
}

impl FieldConfig {
    pub fn from_json(v: &Value) -> Result<FieldConfig> {
        let o = Obj::new(v, "case field config")?;
        let ctx = o.get("context").unwrap_or(&Value::Null);
        let is_global = ctx
            .get("is_global")
            .map(|g| g.as_bool().unwrap_or(g.as_i64() == Some(1)))
            .unwrap_or(false);
        // project_ids comes as null, [], "" (in add_case_field's echo) or a list of ints.
        let project_ids = match ctx.get("project_ids") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::Array(ids)) => Some(
                ids.iter()
                    .map(|id| {
                        id.as_u64()
                            .or_else(|| id.as_str().and_then(|s| s.trim().parse().ok()))
                            .ok_or_else(|| {
                                Error::validation(
                                    "configs",
                                    "Field :configs contains an invalid project ID.",
                                )
                            })
                    })
                    .collect::<Result<Vec<u64>>>()?,
            ),
            Some(_) => {
                return Err(Error::validation(
                    "configs",
                    "Field :configs contains an invalid project_ids value.",
                ))
            }
        };
        let options = match o.get("options") {
            None => Vec::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), Json::from(v))).collect(),
            Some(_) => {
                return Err(Error::validation(
                    "configs",
                    "Field :configs options must be an object.",
                ))
            }
        };
        Ok(FieldConfig {
            id: o.opt_string("id")?.unwrap_or_default(),
            is_global,
            project_ids,
            options,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut ctx = Map::new();
        ctx.insert("is_global".into(), self.is_global.into());
        ctx.insert(
            "project_ids".into(),
            self.project_ids
                .as_ref()
                .map_or(Value::Null, |ids| ids.clone().into()),
        );
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("context".into(), Value::Object(ctx));
        m.insert(
            "options".into(),
            Value::Object(
                self.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        );
        Value::Object(m)
    }

    pub fn applies_to(&self, project_id: u64) -> bool {
        self.is_global
            || self
                .project_ids
                .as_ref()
                .is_some_and(|ids| ids.contains(&project_id))
    }

    pub fn option(&self, key: &str) -> Option<&Json> {
        self.options.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_required(&self) -> bool {
        match self.option("is_required") {
            Some(Json::Bool(b)) => *b,
            Some(Json::Int(i)) => *i == 1,
            Some(Json::Str(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// The items of a Dropdown or Multi-select: `"1, Low\n2, High"` as `[(1, "Low"), (2, "High")]`.
    pub fn items(&self) -> Vec<(i64, String)> {
        parse_items(self.option("items").and_then(Json::as_str).unwrap_or(""))
    }
}

/// Parses TestRail's `items` option: one `<id>, <label>` per line.
pub fn parse_items(items: &str) -> Vec<(i64, String)> {
    items
        .lines()
        .filter_map(|line| {
            let (id, label) = line.split_once(',')?;
            Some((id.trim().parse().ok()?, label.trim().to_string()))
        })
        .collect()
}

/// A custom case field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseField {
    pub id: u64,
    pub name: String,
    pub system_name: String,
    pub label: String,
    pub description: Option<String>,
    pub type_id: i64,
    pub display_order: i64,
    pub configs: Vec<FieldConfig>,
    pub include_all: bool,
    pub template_ids: Vec<u64>,
    pub is_active: bool,
    pub extra: Vec<(String, Json)>,
}

const KNOWN: &[&str] = &[
    "id",
    "name",
    "system_name",
    "label",
    "description",
    "type_id",
    "display_order",
    "configs",
    "include_all",
    "template_ids",
    "is_active",
];

impl CaseField {
    pub fn from_json(v: &Value) -> Result<CaseField> {
        let o = Obj::new(v, "case field")?;
        let name = o.string("name")?;
        let configs = match o.get("configs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(FieldConfig::from_json)
                .collect::<Result<_>>()?,
            // add_case_field echoes configs as a JSON-encoded string.
            Some(Value::String(s)) => {
                let parsed: Value = serde_json::from_str(s).map_err(|_| {
                    Error::validation("configs", "Field :configs is not valid JSON.")
                })?;
                match parsed {
                    Value::Array(items) => items
                        .iter()
                        .map(FieldConfig::from_json)
                        .collect::<Result<_>>()?,
                    _ => Vec::new(),
                }
            }
            Some(_) => {
                return Err(Error::validation(
                    "configs",
                    "Field :configs is not a valid array.",
                ))
            }
        };
        let template_ids = match o.get("template_ids") {
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_u64).collect(),
            _ => Vec::new(),
        };
        Ok(CaseField {
            id: o.id("id")?,
            system_name: o
                .opt_string("system_name")?
                .unwrap_or_else(|| format!("custom_{name}")),
            name,
            label: o.opt_string("label")?.unwrap_or_default(),
            description: o.opt_string("description")?,
            type_id: o.int("type_id", 0)?,
            display_order: o.int("display_order", 0)?,
            configs,
            // A server that omits include_all is an old one, where every field is on every template.
            include_all: o.get("include_all").is_none() || o.flag("include_all")?,
            template_ids,
            is_active: o.get("is_active").is_none() || o.flag("is_active")?,
            extra: o.extra(KNOWN),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("is_active".into(), self.is_active.into());
        m.insert("type_id".into(), self.type_id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("system_name".into(), self.system_name.clone().into());
        m.insert("label".into(), self.label.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert(
            "configs".into(),
            Value::Array(self.configs.iter().map(FieldConfig::to_json).collect()),
        );
        m.insert("display_order".into(), self.display_order.into());
        m.insert("include_all".into(), self.include_all.into());
        m.insert("template_ids".into(), self.template_ids.clone().into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }

    /// The body `add_case_field` answers with: configs as a JSON string and 0/1 flags.
    pub fn to_add_response(&self) -> Value {
        let configs = Value::Array(self.configs.iter().map(FieldConfig::to_json).collect());
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("system_name".into(), self.system_name.clone().into());
        m.insert("entity_id".into(), 1.into());
        m.insert("label".into(), self.label.clone().into());
        m.insert(
            "description".into(),
            self.description.clone().unwrap_or_default().into(),
        );
        m.insert("type_id".into(), self.type_id.into());
        m.insert("location_id".into(), 2.into());
        m.insert("display_order".into(), self.display_order.into());
        m.insert("configs".into(), configs.to_string().into());
        m.insert(
            "is_multi".into(),
            i64::from(self.field_type() == FieldType::MultiSelect).into(),
        );
        m.insert("is_active".into(), i64::from(self.is_active).into());
        m.insert("status_id".into(), 1.into());
        m.insert("is_system".into(), 0.into());
        m.insert("include_all".into(), i64::from(self.include_all).into());
        m.insert("template_ids".into(), self.template_ids.clone().into());
        Value::Object(m)
    }

    pub fn field_type(&self) -> FieldType {
        FieldType::from_type_id(self.type_id)
    }

    /// The config in force for a project, if the field applies there. A field with no configs at
    /// all counts as available everywhere (as trcli treats it), with no options.
    pub fn config_for(&self, project_id: u64) -> Option<Option<&FieldConfig>> {
        if self.configs.is_empty() {
            return Some(None);
        }
        self.configs
            .iter()
            .find(|c| c.applies_to(project_id))
            .map(Some)
    }

    /// Whether the field applies to a project (see [`CaseField::config_for`]).
    pub fn applies_to(&self, project_id: u64) -> bool {
        self.config_for(project_id).is_some()
    }

    /// Whether any of the field's configs makes it required.
    pub fn is_required_anywhere(&self) -> bool {
        self.configs.iter().any(FieldConfig::is_required)
    }

    /// Whether the field is on a template.
    pub fn on_template(&self, template_id: u64) -> bool {
        self.include_all || self.template_ids.contains(&template_id)
    }
}
