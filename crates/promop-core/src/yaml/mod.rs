//! The YAML documents promop writes, built as ordered values and printed
//! byte for byte like the reference operator prints them (Go's
//! `gopkg.in/yaml.v2` `Marshal` of a `yaml.MapSlice`).
//!
//! Generators build a [`Node`] tree in the reference's key order; where the
//! reference marshals a Go map (keys sorted by yaml.v2), the generator inserts
//! the keys sorted ([`Mapping::sorted`]).
mod emit;
mod resolve;

pub(crate) use emit::go_float;
pub use emit::{push_sequence, sequence_to_string, to_string};

/// A YAML parse error safe to show when the text may come from a Secret:
/// `line L column C: reason`, without the source snippet the parser adds
/// (it would quote the credentials next to the error) and with quoted
/// values elided (serde's type errors quote the value).
pub fn parse_error(error: &serde_saphyr::Error) -> String {
    use std::sync::LazyLock;
    static QUOTED: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("valid regex"));
    static AT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r" at line \d+, column \d+$").expect("valid regex"));
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default();
    let reason = QUOTED
        .replace_all(&AT.replace(first, ""), "\"…\"")
        .into_owned();
    match error.location().filter(|l| l.line() > 0) {
        Some(l) => format!("line {} column {}: {reason}", l.line(), l.column()),
        None => reason,
    }
}

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// A sequence of scalars printed in flow style (`[a, b]`), as yaml.v2
    /// prints a field tagged `flow` (Alertmanager's time intervals).
    FlowSeq(Vec<Node>),
    Map(Mapping),
}

/// A mapping that keeps its keys in insertion order (yaml.MapSlice).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping(Vec<(String, Node)>);

impl Mapping {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key: value` (keys are not deduplicated, like yaml.MapSlice).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Node>) -> &mut Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Appends `key: value` when `value` is `Some`.
    pub fn insert_opt<V: Into<Node>>(
        &mut self,
        key: impl Into<String>,
        value: Option<V>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.insert(key, value);
        }
        self
    }

    /// A mapping of a Go map, whose keys yaml.v2 prints sorted.
    pub fn sorted<K: Into<String>, V: Into<Node>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut items: Vec<(String, Node)> = entries
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Self(items)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Removes every entry of `key`, returning the first value.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        let (_, value) = self.0.remove(index);
        self.0.retain(|(k, _)| k != key);
        Some(value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Mapping> for Node {
    fn from(m: Mapping) -> Self {
        Node::Map(m)
    }
}
impl From<&str> for Node {
    fn from(s: &str) -> Self {
        Node::Str(s.to_owned())
    }
}
impl From<String> for Node {
    fn from(s: String) -> Self {
        Node::Str(s)
    }
}
impl From<&String> for Node {
    fn from(s: &String) -> Self {
        Node::Str(s.clone())
    }
}
impl From<bool> for Node {
    fn from(b: bool) -> Self {
        Node::Bool(b)
    }
}
impl From<i64> for Node {
    fn from(i: i64) -> Self {
        Node::Int(i)
    }
}
impl From<i32> for Node {
    fn from(i: i32) -> Self {
        Node::Int(i.into())
    }
}
impl From<u32> for Node {
    fn from(i: u32) -> Self {
        Node::Int(i.into())
    }
}
impl From<f64> for Node {
    fn from(f: f64) -> Self {
        Node::Float(f)
    }
}
impl<T: Into<Node>> From<Vec<T>> for Node {
    fn from(items: Vec<T>) -> Self {
        Node::Seq(items.into_iter().map(Into::into).collect())
    }
}

impl Node {
    /// The value's YAML tag as Go's yaml packages name it in errors
    /// (`!!map`; `null` for a null). Messages about user input name the
    /// tag, never the value: the input may come from a Secret.
    pub fn tag(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "!!bool",
            Node::Int(_) => "!!int",
            Node::Float(_) => "!!float",
            Node::Str(_) => "!!str",
            Node::Seq(_) | Node::FlowSeq(_) => "!!seq",
            Node::Map(_) => "!!map",
        }
    }

    /// The same value as JSON (`promop render -o json`); floats that JSON
    /// cannot hold (NaN, infinities) become null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) | Node::FlowSeq(items) => {
                Value::Array(items.iter().map(Node::to_json).collect())
            }
            Node::Map(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
}
