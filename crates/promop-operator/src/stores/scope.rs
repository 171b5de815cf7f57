//! Where each kind is watched. An allow list of namespaces (`--namespaces`,
//! `--prometheus-instance-namespaces`, …) opens one watch per namespace, so
//! that Roles in those namespaces are all the RBAC promop needs; no list (or
//! a deny list, filtered after caching) watches the whole cluster.
use std::collections::BTreeSet;

use promop_core::select::namespaces::WatchedNamespaces;

use crate::options::Namespaces;

/// The namespaces a kind is watched in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One cluster-wide watch.
    Cluster,
    /// One watch per namespace (never empty).
    Namespaces(BTreeSet<String>),
}

impl Scope {
    fn of(watched: &WatchedNamespaces) -> Self {
        if watched.allow.is_empty() {
            Self::Cluster
        } else {
            Self::Namespaces(watched.allow.clone())
        }
    }

    /// Where all of `watched` are: cluster-wide if any of them is.
    fn union<'a>(watched: impl IntoIterator<Item = &'a WatchedNamespaces>) -> Self {
        let mut all = BTreeSet::new();
        for watched in watched {
            match Self::of(watched) {
                Self::Cluster => return Self::Cluster,
                Self::Namespaces(namespaces) => all.extend(namespaces),
            }
        }
        Self::Namespaces(all)
    }
}

/// The scope of every cached kind, from the namespace options.
#[derive(Clone, Debug)]
pub struct Scopes {
    /// Prometheus and PrometheusAgent.
    pub prometheuses: Scope,
    pub alertmanagers: Scope,
    pub thanos_rulers: Scope,
    /// ServiceMonitors, PodMonitors, Probes, ScrapeConfigs, PrometheusRules.
    pub configs: Scope,
    pub alertmanager_configs: Scope,
    /// What promop writes: in the workloads' namespaces.
    pub written: Scope,
    /// Referenced Secrets and ConfigMaps (metadata): wherever a workload or
    /// a configuration object may reference them, since promop reads their
    /// content only if its metadata cache holds them.
    pub referenced: Scope,
    /// Namespace objects (their labels, for namespace selectors): where
    /// configuration objects are selected from.
    pub namespaces: Scope,
}

impl Scopes {
    pub fn new(options: &Namespaces) -> Self {
        let prometheuses = options.prometheus_instances();
        let alertmanagers = options.alertmanager_instances();
        let thanos_rulers = options.thanos_ruler_instances();
        let configs = options.watched();
        let alertmanager_configs = options.alertmanager_configs();
        Self {
            prometheuses: Scope::of(&prometheuses),
            alertmanagers: Scope::of(&alertmanagers),
            thanos_rulers: Scope::of(&thanos_rulers),
            configs: Scope::of(&configs),
            alertmanager_configs: Scope::of(&alertmanager_configs),
            written: Scope::union([&prometheuses, &alertmanagers, &thanos_rulers]),
            referenced: Scope::union([
                &prometheuses,
                &alertmanagers,
                &thanos_rulers,
                &configs,
                &alertmanager_configs,
            ]),
            namespaces: Scope::union([&configs, &alertmanager_configs]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        namespaces: Namespaces,
    }

    fn scopes(args: &[&str]) -> Scopes {
        let cli = Cli::try_parse_from(std::iter::once("promop").chain(args.iter().copied()))
            .expect("valid flags");
        Scopes::new(&cli.namespaces)
    }

    fn only(namespaces: &[&str]) -> Scope {
        Scope::Namespaces(namespaces.iter().map(|ns| ns.to_string()).collect())
    }

    #[test]
    fn no_allow_list_watches_the_cluster() {
        let scopes = scopes(&["--deny-namespaces=kube-system"]);
        assert_eq!(scopes.configs, Scope::Cluster);
        assert_eq!(scopes.referenced, Scope::Cluster);
        assert_eq!(scopes.namespaces, Scope::Cluster);
    }

    #[test]
    fn each_kind_follows_its_flag() {
        let scopes = scopes(&[
            "--namespaces=team-a,team-b",
            "--prometheus-instance-namespaces=monitoring",
            "--alertmanager-config-namespaces=alerts",
            "--thanos-ruler-instance-namespaces=rulers",
        ]);
        assert_eq!(scopes.prometheuses, only(&["monitoring"]));
        assert_eq!(scopes.alertmanagers, only(&["team-a", "team-b"]));
        assert_eq!(scopes.configs, only(&["team-a", "team-b"]));
        assert_eq!(scopes.alertmanager_configs, only(&["alerts"]));
        assert_eq!(scopes.thanos_rulers, only(&["rulers"]));
        assert_eq!(
            scopes.written,
            only(&["monitoring", "rulers", "team-a", "team-b"])
        );
        assert_eq!(
            scopes.referenced,
            only(&["alerts", "monitoring", "rulers", "team-a", "team-b"])
        );
        assert_eq!(scopes.namespaces, only(&["alerts", "team-a", "team-b"]));
    }

    /// Instances restricted but configuration objects from everywhere: the
    /// Secrets they reference may be anywhere.
    #[test]
    fn one_cluster_wide_kind_widens_the_union() {
        let scopes = scopes(&["--prometheus-instance-namespaces=monitoring"]);
        assert_eq!(scopes.prometheuses, only(&["monitoring"]));
        assert_eq!(scopes.configs, Scope::Cluster);
        assert_eq!(scopes.referenced, Scope::Cluster);
    }
}
