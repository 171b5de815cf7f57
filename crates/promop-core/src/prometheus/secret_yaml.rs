//! YAML lists kept in Secrets by the user (additional scrape configs, alert
//! relabel configs, Alertmanager configs), inserted into the configuration
//! as parsed YAML with their key order kept.
use std::fmt;

use k8s_openapi::api::core::v1::SecretKeySelector;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Context, RejectedObject};
use crate::yaml::{Mapping, Node};

/// Reads the referenced key of a Secret of the workload's namespace; a
/// missing Secret or key is an error unless the reference is optional.
pub(crate) fn load(
    ctx: &Context<'_>,
    field: &str,
    selector: Option<&SecretKeySelector>,
) -> Result<Option<String>, RejectedObject> {
    let Some(selector) = selector else {
        return Ok(None);
    };
    let namespace = ctx.workload.namespace();
    match ctx
        .snapshot
        .secret_value(namespace, &selector.name, &selector.key)
    {
        Some(bytes) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
        None if selector.optional == Some(true) => Ok(None),
        None => Err(RejectedObject::invalid(
            &ctx.workload,
            field,
            format!(
                "key {} could not be found in secret {}",
                selector.key, selector.name
            ),
        )),
    }
}

/// Parses a YAML list of mappings; an empty document is an empty list.
pub(crate) fn parse_list(
    ctx: &Context<'_>,
    field: &str,
    text: Option<&str>,
) -> Result<Vec<Mapping>, RejectedObject> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = |m: String| RejectedObject::invalid(&ctx.workload, field, m);
    let parsed: Parsed =
        serde_saphyr::from_str(text).map_err(|e| invalid(crate::yaml::parse_error(&e)))?;
    match parsed.0 {
        Node::Null => Ok(Vec::new()),
        Node::Seq(items) => items
            .into_iter()
            .map(|item| match item {
                Node::Map(m) => Ok(m),
                Node::Null => Ok(Mapping::new()),
                other => Err(invalid(format!("expected a mapping, got {}", other.tag()))),
            })
            .collect(),
        other => Err(invalid(format!("expected a list, got {}", other.tag()))),
    }
}

/// Any YAML value as a [`Node`], mappings in document order.
pub(crate) struct Parsed(pub(crate) Node);

impl<'de> Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(Parsed)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(Parsed(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut m = Mapping::new();
        while let Some((key, Parsed(value))) = map.next_entry::<Parsed, Parsed>()? {
            m.insert(key_text(key.0), value);
        }
        Ok(Node::Map(m))
    }
}

/// Mapping keys are printed as their scalar text.
fn key_text(key: Node) -> String {
    match key {
        Node::Str(s) => s,
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => f.to_string(),
        Node::Null => "null".to_owned(),
        other => format!("{other:?}"),
    }
}
