//! The inputs of a scenario and what an operator wrote for it.

use super::*;

// ---------------------------------------------------------------------------
// Objects: the inputs of a scenario and what an operator wrote for it.

pub(crate) type ObjectKey = (String, String, String);

/// Secrets and ConfigMaps by `(kind, namespace, name)`, normalized
/// (`promop_testenv::written::normalize`: Secret data decoded to text), and
/// the StatefulSets and Secrets written for the workloads.
#[derive(Default)]
pub(crate) struct Objects {
    pub(crate) by_key: BTreeMap<ObjectKey, Value>,
}

impl Objects {
    /// The scenario's own Secrets and ConfigMaps (`stringData` merged into
    /// `data`, as the API server does).
    pub(crate) fn inputs(scenario: &Scenario) -> Result<Self> {
        let mut out = Self::default();
        for doc in &scenario.docs {
            let kind = doc["kind"].as_str().unwrap_or_default();
            if kind != "Secret" && kind != "ConfigMap" {
                continue;
            }
            let mut object = normalize(doc.clone())?;
            if let Some(Value::Object(strings)) = doc.get("stringData") {
                let data = object
                    .as_object_mut()
                    .context("object")?
                    .entry("data")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(data) = data {
                    data.extend(strings.clone());
                }
            }
            out.insert(object);
        }
        Ok(out)
    }

    pub(crate) fn insert(&mut self, object: Value) {
        let field = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let key = (
            field("/kind"),
            field("/metadata/namespace"),
            field("/metadata/name"),
        );
        self.by_key.insert(key, object);
    }

    pub(crate) fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.by_key
            .get(&(kind.to_owned(), namespace.to_owned(), name.to_owned()))
    }

    /// The objects of `kind` that `workload` controls.
    pub(crate) fn owned_by<'a>(
        &'a self,
        kind: &'a str,
        workload: &'a Workload,
    ) -> impl Iterator<Item = &'a Value> {
        self.by_key
            .iter()
            .filter(move |((k, ns, _), _)| k == kind && *ns == workload.namespace)
            .map(|(_, v)| v)
            .filter(move |v| {
                v.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|o| o["kind"] == *workload.kind && o["name"] == *workload.name)
            })
    }
}

/// The file names of a Secret or ConfigMap (its data keys).
pub(crate) fn keys(object: &Value) -> BTreeSet<String> {
    ["data", "binaryData"]
        .iter()
        .filter_map(|f| object.get(*f).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// Every string the user wrote in the scenario, also inside YAML documents
/// held by Secrets and ConfigMaps (additional scrape configurations, the
/// Alertmanager configuration Secret, …).
pub(crate) fn user_strings(scenario: &Scenario, inputs: &Objects) -> BTreeSet<String> {
    fn strings(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for doc in &scenario.docs {
        strings(doc, &mut out);
    }
    for object in inputs.by_key.values() {
        for text in object
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(Value::as_str)
        {
            if let Ok(doc) = serde_saphyr::from_str::<Value>(text) {
                strings(&doc, &mut out);
            }
        }
    }
    out
}
