//! What the pods' ServiceAccount may read in watch mode
//! ([`ReloaderMode::PromopWatch`](super::reloader::ReloaderMode)): a Role
//! allowing `get`, `list` and `watch` on exactly the config Secret and the
//! rule ConfigMaps its reloader watches (`resourceNames`; the reloader
//! watches each object by name, which these verbs then allow), bound to
//! that ServiceAccount. Both are controlled by the workload, so the garbage
//! collector removes them with it.
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::metadata::{Labels, Owner, controlled};
use super::reloader::Watched;

/// The pods' ServiceAccount when the workload names none.
const DEFAULT_SERVICE_ACCOUNT: &str = "default";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The Role and its RoleBinding, both `<prefixed>-config-reloader`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReloaderRbac {
    pub role: Role,
    pub role_binding: RoleBinding,
}

/// The suffix of both objects' names (after the workload's prefixed name).
pub const NAME_SUFFIX: &str = "-config-reloader";

/// The objects the owner's workload `prefixed` needs for `watched`, for
/// pods running as `service_account` (empty: the namespace's `default`).
pub fn reloader_rbac(
    prefixed: &str,
    watched: &Watched,
    service_account: Option<&str>,
    owner: &Owner,
    labels: &Labels,
    annotations: &Labels,
) -> ReloaderRbac {
    let name = format!("{prefixed}{NAME_SUFFIX}");
    let namespace = &watched.namespace;
    let metadata = controlled(&name, namespace, owner, labels, annotations);
    let rule = |resource: &str, names: Vec<String>| PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec![resource.to_owned()]),
        resource_names: Some(names),
        verbs: ["get", "list", "watch"].map(str::to_owned).to_vec(),
        ..PolicyRule::default()
    };
    let mut rules = vec![rule("secrets", vec![watched.secret.clone()])];
    // An empty `resourceNames` would allow every ConfigMap.
    let config_maps: Vec<String> = watched.config_maps.iter().map(|(n, _)| n.clone()).collect();
    if !config_maps.is_empty() {
        rules.push(rule("configmaps", config_maps));
    }
    let role = Role {
        metadata: metadata.clone(),
        rules: Some(rules),
    };
    let account = service_account
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SERVICE_ACCOUNT);
    let role_binding = RoleBinding {
        metadata,
        role_ref: RoleRef {
            api_group: Some(RBAC_GROUP.to_owned()),
            kind: "Role".to_owned(),
            name,
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_owned(),
            name: account.to_owned(),
            namespace: Some(namespace.clone()),
            ..Subject::default()
        }]),
    };
    ReloaderRbac { role, role_binding }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "Prometheus".into(),
            name: "main".into(),
            uid: "u1".into(),
        }
    }

    fn watched(config_maps: &[&str]) -> Watched {
        Watched {
            namespace: "monitoring".into(),
            secret: "prometheus-main".into(),
            key: "prometheus.yaml.gz".into(),
            config_maps: config_maps
                .iter()
                .map(|n| ((*n).to_owned(), format!("/etc/prometheus/rules/{n}")))
                .collect(),
        }
    }

    #[test]
    fn the_role_names_exactly_the_watched_objects() {
        let rbac = reloader_rbac(
            "prometheus-main",
            &watched(&["prometheus-main-rulefiles-0", "prometheus-main-rulefiles-1"]),
            Some("prometheus"),
            &owner(),
            &Labels::new(),
            &Labels::new(),
        );
        let yaml = serde_json::to_value(&rbac.role).unwrap();
        assert_eq!(
            yaml["rules"],
            serde_json::json!([
                {"apiGroups": [""], "resources": ["secrets"],
                 "resourceNames": ["prometheus-main"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["configmaps"],
                 "resourceNames": ["prometheus-main-rulefiles-0", "prometheus-main-rulefiles-1"],
                 "verbs": ["get", "list", "watch"]}
            ])
        );
        let meta = &rbac.role.metadata;
        assert_eq!(
            meta.name.as_deref(),
            Some("prometheus-main-config-reloader")
        );
        assert_eq!(meta.owner_references, Some(vec![owner().controller_ref()]));
        let binding = &rbac.role_binding;
        assert_eq!(binding.role_ref.name, "prometheus-main-config-reloader");
        let subject = &binding.subjects.as_ref().unwrap()[0];
        assert_eq!(
            (subject.kind.as_str(), subject.name.as_str()),
            ("ServiceAccount", "prometheus")
        );
        assert_eq!(subject.namespace.as_deref(), Some("monitoring"));
    }

    #[test]
    fn without_rule_config_maps_no_config_map_is_readable() {
        let rbac = reloader_rbac(
            "prom-agent-a",
            &watched(&[]),
            None,
            &owner(),
            &Labels::new(),
            &Labels::new(),
        );
        let rules = rbac.role.rules.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].resources, Some(vec!["secrets".to_owned()]));
        assert_eq!(rbac.role_binding.subjects.unwrap()[0].name, "default");
    }
}
