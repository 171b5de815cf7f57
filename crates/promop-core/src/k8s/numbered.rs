//! Numbered objects: those a workload may have any number of, named
//! `<prefix>-<n>` after its prefixed name (`prometheus-main`) — the other
//! shards' StatefulSets, the rule ConfigMaps and the TLS-asset Secrets. The
//! builders name them from here and the operator prunes by these prefixes
//! (even when no such object is desired any more), so the two agree.

/// The prefixes of a workload's numbered objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbered {
    /// `<prefixed>-shard`: StatefulSets of shards 1 and up (shard 0 is
    /// `<prefixed>` itself).
    pub shards: String,
    /// `<prefixed>-rulefiles`.
    pub rule_files: String,
    /// `<prefixed>-tls-assets`.
    pub tls_assets: String,
}

impl Numbered {
    pub fn of(prefixed: &str) -> Self {
        Self {
            shards: format!("{prefixed}-shard"),
            rule_files: format!("{prefixed}-rulefiles"),
            tls_assets: format!("{prefixed}-tls-assets"),
        }
    }
}

/// The `n`th object of `prefix`.
pub fn numbered(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_objects_are_named_after_the_workload() {
        let prefixes = Numbered::of("prom-agent-main");
        assert_eq!(prefixes.shards, "prom-agent-main-shard");
        assert_eq!(prefixes.rule_files, "prom-agent-main-rulefiles");
        assert_eq!(prefixes.tls_assets, "prom-agent-main-tls-assets");
        assert_eq!(numbered(&prefixes.shards, 2), "prom-agent-main-shard-2");
    }
}
