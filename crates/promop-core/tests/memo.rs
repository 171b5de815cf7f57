//! Incremental generation is generation from scratch: after any sequence of
//! changes (a monitor edited, added or deleted, a Secret rotated, deleted or
//! restored, a PrometheusRule edited or made invalid, the workload's spec
//! changed), the configuration, the rule ConfigMaps and every object built
//! with the operator's memo equal those built without it,
//! byte for byte. Objects carry uids and resourceVersions like objects read
//! from the API, bumped on every change as the API server does.
mod fuzz;

use fuzz::{CERT, KEY};
use promop_core::desired::{OperatorOptions, prometheus_state, prometheus_state_with};
use promop_core::manifests::Loaded;
use promop_core::prometheus::Workload;
use promop_core::prometheus::memo::Memo;
use promop_core::select::ScrapeScope;
use proptest::prelude::*;

const NAMESPACES: [&str; 3] = ["team-a", "team-b", "team-c"];

/// How a monitor's second endpoint authenticates.
#[derive(Clone, Copy, Debug)]
enum Auth {
    None,
    Basic,
    Tls,
}

#[derive(Clone, Debug)]
struct Monitor {
    pod: bool,
    namespace: usize,
    name: String,
    replacement: String,
    auth: Auth,
    version: u64,
}

#[derive(Clone, Debug)]
struct Secrets {
    present: bool,
    password: String,
    /// Whether the TLS Secret holds a CA.
    ca: bool,
    version: u64,
}

/// A PrometheusRule per namespace: `up > threshold` (0: an invalid
/// expression, rejected).
#[derive(Clone, Debug)]
struct Rule {
    threshold: u8,
    version: u64,
}

#[derive(Clone, Debug)]
struct Cluster {
    monitors: Vec<Monitor>,
    rules: Vec<Rule>,
    secrets: Vec<Secrets>,
    interval: &'static str,
    shards: u32,
    enforced_label: bool,
    workload_version: u64,
    next_version: u64,
}

#[derive(Clone, Debug)]
enum Change {
    Edit(usize, String),
    Reauth(usize, Auth),
    Add(Monitor),
    Delete(usize),
    Rotate(usize, String),
    ToggleCa(usize),
    RemoveSecrets(usize),
    RestoreSecrets(usize),
    Interval(&'static str),
    Shards(u32),
    EnforcedLabel,
    EditRule(usize, u8),
    Nothing,
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![Just(Auth::None), Just(Auth::Basic), Just(Auth::Tls)]
}

fn monitor() -> impl Strategy<Value = Monitor> {
    (
        any::<bool>(),
        0..NAMESPACES.len(),
        0..4u8,
        "[a-z]{1,6}",
        auth(),
    )
        .prop_map(|(pod, namespace, n, replacement, auth)| Monitor {
            pod,
            namespace,
            name: format!("m{n}"),
            replacement,
            auth,
            version: 1,
        })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => (0..8usize, "[a-z]{1,6}").prop_map(|(i, r)| Change::Edit(i, r)),
        2 => (0..8usize, auth()).prop_map(|(i, a)| Change::Reauth(i, a)),
        2 => monitor().prop_map(Change::Add),
        2 => (0..8usize).prop_map(Change::Delete),
        3 => (0..NAMESPACES.len(), "[a-z0-9]{1,8}").prop_map(|(n, p)| Change::Rotate(n, p)),
        1 => (0..NAMESPACES.len()).prop_map(Change::ToggleCa),
        1 => (0..NAMESPACES.len()).prop_map(Change::RemoveSecrets),
        1 => (0..NAMESPACES.len()).prop_map(Change::RestoreSecrets),
        1 => prop_oneof![Just("30s"), Just("1m")].prop_map(Change::Interval),
        1 => (1..3u32).prop_map(Change::Shards),
        1 => Just(Change::EnforcedLabel),
        3 => (0..NAMESPACES.len(), 0..4u8).prop_map(|(n, t)| Change::EditRule(n, t)),
        2 => Just(Change::Nothing),
    ]
}

impl Cluster {
    fn new(monitors: Vec<Monitor>) -> Self {
        let secrets = NAMESPACES
            .iter()
            .map(|_| Secrets {
                present: true,
                password: "pw".into(),
                ca: true,
                version: 1,
            })
            .collect();
        let rules = NAMESPACES
            .iter()
            .map(|_| Rule {
                threshold: 1,
                version: 1,
            })
            .collect();
        let mut cluster = Self {
            monitors: Vec::new(),
            rules,
            secrets,
            interval: "30s",
            shards: 1,
            enforced_label: false,
            workload_version: 1,
            next_version: 2,
        };
        monitors.into_iter().for_each(|m| cluster.add(m));
        cluster
    }

    fn version(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// Adds a monitor, unless one of that kind and name exists.
    fn add(&mut self, mut monitor: Monitor) {
        let exists = self.monitors.iter().any(|m| {
            (m.pod, m.namespace, &m.name) == (monitor.pod, monitor.namespace, &monitor.name)
        });
        if !exists {
            monitor.version = self.version();
            self.monitors.push(monitor);
        }
    }

    fn apply(&mut self, change: Change) {
        let count = self.monitors.len().max(1);
        let version = self.version();
        match change {
            Change::Edit(i, replacement) => {
                if let Some(m) = self.monitors.get_mut(i % count) {
                    m.replacement = replacement;
                    m.version = version;
                }
            }
            Change::Reauth(i, auth) => {
                if let Some(m) = self.monitors.get_mut(i % count) {
                    m.auth = auth;
                    m.version = version;
                }
            }
            Change::Add(monitor) => self.add(monitor),
            Change::Delete(i) => {
                if !self.monitors.is_empty() {
                    self.monitors.remove(i % count);
                }
            }
            Change::Rotate(n, password) => {
                self.secrets[n].password = password;
                self.secrets[n].version = version;
            }
            Change::ToggleCa(n) => {
                self.secrets[n].ca = !self.secrets[n].ca;
                self.secrets[n].version = version;
            }
            Change::RemoveSecrets(n) => self.secrets[n].present = false,
            Change::RestoreSecrets(n) => {
                self.secrets[n].present = true;
                self.secrets[n].version = version;
            }
            Change::Interval(interval) => {
                self.interval = interval;
                self.workload_version = version;
            }
            Change::Shards(shards) => {
                self.shards = shards;
                self.workload_version = version;
            }
            Change::EnforcedLabel => {
                self.enforced_label = !self.enforced_label;
                self.workload_version = version;
            }
            Change::EditRule(n, threshold) => {
                self.rules[n].threshold = threshold;
                self.rules[n].version = version;
            }
            Change::Nothing => {}
        }
    }

    fn manifests(&self) -> String {
        let mut docs = vec![format!(
            "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {{name: main, namespace: monitoring, uid: u-main, resourceVersion: '{}'}}\n\
             spec: {{version: v3.5.0, scrapeInterval: {}, shards: {}, {}\
             serviceMonitorSelector: {{}}, serviceMonitorNamespaceSelector: {{}}, \
             podMonitorSelector: {{}}, podMonitorNamespaceSelector: {{}}, \
             ruleSelector: {{}}, ruleNamespaceSelector: {{}}}}\n",
            self.workload_version,
            self.interval,
            self.shards,
            if self.enforced_label {
                "enforcedNamespaceLabel: namespace, "
            } else {
                ""
            }
        )];
        docs.push("apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring}\n".into());
        for (ns, secrets) in NAMESPACES.iter().zip(&self.secrets) {
            docs.push(format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"
            ));
            if !secrets.present {
                continue;
            }
            let meta = |name: &str| {
                format!(
                    "metadata: {{name: {name}, namespace: {ns}, uid: u-{ns}-{name}, \
                     resourceVersion: '{}'}}",
                    secrets.version
                )
            };
            docs.push(format!(
                "apiVersion: v1\nkind: Secret\n{}\nstringData: {{username: u, password: {:?}}}\n",
                meta("creds"),
                secrets.password
            ));
            let ca = if secrets.ca {
                format!("  ca.crt: {:?}\n", CERT)
            } else {
                String::new()
            };
            docs.push(format!(
                "apiVersion: v1\nkind: Secret\n{}\nstringData:\n{ca}  tls.crt: {:?}\n  tls.key: {:?}\n",
                meta("tls"),
                CERT,
                KEY
            ));
        }
        for m in &self.monitors {
            docs.push(monitor_manifest(m));
        }
        for (ns, rule) in NAMESPACES.iter().zip(&self.rules) {
            let expr = match rule.threshold {
                0 => "up >".to_owned(),
                t => format!("up > {t}"),
            };
            docs.push(format!(
                "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n\
                 metadata: {{name: rules, namespace: {ns}, uid: u-rule-{ns}, resourceVersion: '{}'}}\n\
                 spec: {{groups: [{{name: g, rules: [{{alert: Up, expr: {expr:?}}}]}}]}}\n",
                rule.version
            ));
        }
        docs.join("---\n")
    }
}

fn monitor_manifest(m: &Monitor) -> String {
    let ns = NAMESPACES[m.namespace];
    let (kind, endpoints) = match m.pod {
        true => ("PodMonitor", "podMetricsEndpoints"),
        false => ("ServiceMonitor", "endpoints"),
    };
    let auth = match m.auth {
        Auth::None => String::new(),
        Auth::Basic => "basicAuth: {username: {name: creds, key: username}, \
                        password: {name: creds, key: password}}, "
            .into(),
        Auth::Tls => "scheme: https, tlsConfig: {ca: {secret: {name: tls, key: ca.crt}}, \
                      cert: {secret: {name: tls, key: tls.crt}}, \
                      keySecret: {name: tls, key: tls.key}}, "
            .into(),
    };
    format!(
        "apiVersion: monitoring.coreos.com/v1\nkind: {kind}\n\
         metadata: {{name: {}, namespace: {ns}, uid: u-{kind}-{ns}-{}, resourceVersion: '{}'}}\n\
         spec:\n  selector: {{matchLabels: {{app: {}}}}}\n  {endpoints}:\n\
         \x20 - {{port: web, relabelings: [{{targetLabel: changed, replacement: {:?}}}]}}\n\
         \x20 - {{port: admin, {auth}path: /admin}}\n",
        m.name, m.name, m.version, m.name, m.replacement
    )
}

/// Generates the cluster with the memo and from scratch; both must agree.
fn same_with_memo(cluster: &Cluster, memo: &Memo) -> Result<(), TestCaseError> {
    let loaded = Loaded::objects("cluster.yaml", &cluster.manifests())
        .map_err(|e| TestCaseError::fail(format!("manifests: {e:?}")))?;
    let snapshot = &loaded.snapshot;
    let workload = Workload::Prometheus(&snapshot.prometheuses[0]);
    let scope = ScrapeScope::default();
    let options = OperatorOptions::default();
    let scratch = prometheus_state(snapshot, workload, &scope, &options);
    let memoized = prometheus_state_with(snapshot, workload, &scope, &options, Some(memo));
    match (scratch, memoized) {
        (Ok(scratch), Ok(memoized)) => {
            prop_assert_eq!(scratch.output.config.text(), memoized.output.config.text());
            prop_assert_eq!(&scratch.output.rules, &memoized.output.rules);
            prop_assert_eq!(scratch.rejected(), memoized.rejected());
            prop_assert_eq!(scratch.objects, memoized.objects);
        }
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        (a, b) => prop_assert!(
            false,
            "one failed: scratch {:?}, memo {:?}",
            a.err(),
            b.err()
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_after_changes_is_from_scratch(
        monitors in prop::collection::vec(monitor(), 1..6),
        changes in prop::collection::vec(change(), 1..12),
    ) {
        let mut cluster = Cluster::new(monitors);
        let memo = Memo::default();
        same_with_memo(&cluster, &memo)?;
        for change in changes {
            cluster.apply(change);
            same_with_memo(&cluster, &memo)?;
        }
    }
}

/// The memo is used: a second generation with nothing changed reuses every
/// monitor's jobs, and a deleted monitor's jobs are forgotten.
#[test]
fn unchanged_monitors_are_reused_and_deleted_ones_forgotten() {
    let monitor = |namespace, name: &str, auth| Monitor {
        pod: false,
        namespace,
        name: name.into(),
        replacement: "r".into(),
        auth,
        version: 1,
    };
    let mut cluster = Cluster::new(vec![
        monitor(0, "a", Auth::Basic),
        monitor(1, "b", Auth::Tls),
        monitor(2, "c", Auth::None),
    ]);
    let memo = Memo::default();
    // Counts are of monitors, and of PrometheusRules (three, one per
    // namespace) checked by the selection, then written to their file.
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!((memo.len(), memo.counts()), (3, (3, 6)));
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!(memo.counts(), (12, 6), "nothing changed: all reused");
    // a reads team-a's basic auth Secret: rotated, only a is built again
    // (b's TLS files are named by path, their content goes to the assets).
    cluster.apply(Change::Rotate(0, "new".into()));
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!(memo.counts(), (20, 7));
    cluster.apply(Change::Edit(2, "edited".into()));
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!(memo.counts(), (28, 8));
    cluster.apply(Change::EditRule(1, 3));
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!(memo.counts(), (36, 9));
    cluster.apply(Change::Delete(0));
    same_with_memo(&cluster, &memo).unwrap();
    assert_eq!((memo.len(), memo.counts()), (2, (44, 9)));
}
