//! The file system of a container, as the kubelet builds it from a StatefulSet.

use super::*;

// ---------------------------------------------------------------------------
// The file system of a container.

/// What a path is in a container.
pub(crate) enum Lookup {
    /// A file, and what provides it (the volume's source).
    File(String),
    /// A directory, and what provides it.
    Dir(String),
    Missing(String),
}

pub(crate) struct Container<'a> {
    pub(crate) name: String,
    pub(crate) namespace: &'a str,
    pub(crate) mounts: Vec<&'a Value>,
    pub(crate) volumes: BTreeMap<&'a str, &'a Value>,
    pub(crate) service_account: bool,
    pub(crate) objects: &'a Objects,
}

/// The containers (init containers too) of a StatefulSet's pod.
pub(crate) fn containers<'a>(sts: &'a Value, objects: &'a Objects) -> Vec<Container<'a>> {
    let pod = &sts["spec"]["template"]["spec"];
    let namespace = sts
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let volumes: BTreeMap<&str, &Value> = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["name"].as_str()?, v)))
        .collect();
    let service_account = pod["automountServiceAccountToken"] != false;
    ["containers", "initContainers"]
        .iter()
        .flat_map(|f| pod[*f].as_array().into_iter().flatten())
        .map(|c| Container {
            name: c["name"].as_str().unwrap_or_default().to_owned(),
            namespace,
            mounts: c["volumeMounts"].as_array().into_iter().flatten().collect(),
            volumes: volumes.clone(),
            service_account,
            objects,
        })
        .collect()
}

/// The path of `path` relative to `dir`, if it is `dir` or under it.
pub(crate) fn under<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    let dir = dir.trim_end_matches('/');
    let rest = path.strip_prefix(dir)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

impl Container<'_> {
    pub(crate) fn lookup(&self, path: &str) -> Lookup {
        let mount = self
            .mounts
            .iter()
            .filter_map(|m| {
                let at = m["mountPath"].as_str()?;
                Some((at, under(path, at)?, *m))
            })
            .max_by_key(|(at, _, _)| at.len());
        let Some((_, rest, mount)) = mount else {
            if let Some(file) = under(path, SERVICE_ACCOUNT_DIR).filter(|_| self.service_account) {
                let what = "service account".to_owned();
                return match file {
                    "" => Lookup::Dir(what),
                    f if SERVICE_ACCOUNT_FILES.contains(&f) => Lookup::File(what),
                    _ => Lookup::Missing(format!("{what} has no file {file}")),
                };
            }
            return Lookup::Missing(format!(
                "no volume is mounted there in container {}",
                self.name
            ));
        };
        let volume_name = mount["name"].as_str().unwrap_or_default();
        let Some(volume) = self.volumes.get(volume_name) else {
            return Lookup::Missing(format!("mount of an undeclared volume {volume_name}"));
        };
        let sub_path = mount["subPath"].as_str().unwrap_or_default();
        let rel = match (sub_path, rest) {
            ("", r) => r.to_owned(),
            (s, "") => s.to_owned(),
            (s, r) => format!("{s}/{r}"),
        };
        let (source, files) = match self.files(volume) {
            Ok(found) => found,
            Err(source) => {
                // Content made at run time (emptyDir, claims, host paths, …).
                return if rest.is_empty() {
                    Lookup::Dir(source)
                } else {
                    Lookup::Missing(format!("{source}: nothing writes this file"))
                };
            }
        };
        if rel.is_empty() {
            Lookup::Dir(source)
        } else if files.contains(&rel) {
            Lookup::File(source)
        } else if files.iter().any(|f| under(f, &rel).is_some()) {
            Lookup::Dir(source)
        } else {
            Lookup::Missing(format!("{source} has no file {rel}"))
        }
    }

    /// What a volume holds: `(description, file paths)`, or `Err(what)`
    /// when its content is made at run time.
    pub(crate) fn files(&self, volume: &Value) -> Result<(String, BTreeSet<String>), String> {
        let name = volume["name"].as_str().unwrap_or_default();
        let mut sources = Vec::new();
        let mut files = BTreeSet::new();
        let mut tokens = Vec::new();
        let mut add = |kind: &str, object: &Value, items: &Value| {
            let object = object.as_str().unwrap_or_default();
            let (what, found) = self.source(kind, object, items);
            sources.push(what);
            files.extend(found);
        };
        if let Some(secret) = volume.get("secret") {
            add("Secret", &secret["secretName"], &secret["items"]);
        } else if let Some(map) = volume.get("configMap") {
            add("ConfigMap", &map["name"], &map["items"]);
        } else if let Some(projected) = volume.get("projected") {
            for source in projected["sources"].as_array().into_iter().flatten() {
                for (field, kind) in [("secret", "Secret"), ("configMap", "ConfigMap")] {
                    if let Some(s) = source.get(field) {
                        add(kind, &s["name"], &s["items"]);
                    }
                }
                if let Some(path) = source.pointer("/serviceAccountToken/path") {
                    tokens.extend(path.as_str().map(str::to_owned));
                }
            }
        } else {
            return Err(format!("volume {name}"));
        }
        files.extend(tokens);
        Ok((format!("volume {name} ({})", sources.join(", ")), files))
    }

    /// The files of one Secret or ConfigMap (`items` select and rename).
    pub(crate) fn source(
        &self,
        kind: &str,
        object: &str,
        items: &Value,
    ) -> (String, BTreeSet<String>) {
        let what = format!("{kind} {object}");
        let Some(found) = self.objects.get(kind, self.namespace, object) else {
            return (format!("{what}, which does not exist"), BTreeSet::new());
        };
        let keys = keys(found);
        let files = match items.as_array() {
            Some(items) => items
                .iter()
                .filter(|i| i["key"].as_str().is_some_and(|k| keys.contains(k)))
                .filter_map(|i| i["path"].as_str().map(str::to_owned))
                .collect(),
            None => keys,
        };
        (what, files)
    }
}
