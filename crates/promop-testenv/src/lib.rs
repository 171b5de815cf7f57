//! promop's test bed: real processes, started per test, torn down by PID.
//!
//! * [`TestEnv`]: etcd + kube-apiserver on loopback (random ports, throwaway
//!   data dir, self-signed certificates, an admin token), a [`kube::Client`]
//!   and a kubeconfig file for other processes. Opt-in audit log
//!   ([`TestEnvOptions`], [`TestEnv::audit_events`]).
//! * Fault injection: [`TestEnv::restart_apiserver`] (stop / start on the
//!   same port), [`TestEnv::compact_etcd`] / [`TestEnv::expire_watches`]
//!   (410 Gone on old resourceVersions), and [`proxy::TcpProxy`] (latency,
//!   partition, reset) with [`TestEnv::client_via`].
//! * [`install_crds`] / [`apply_manifests`]: server-side apply of YAML.
//! * [`PrometheusProcess`], [`AlertmanagerProcess`]: the real binaries with
//!   small HTTP API helpers; [`WebhookSink`] records webhook POSTs.
//!   [`MetricsServer`] is a scrape target.
//! * [`ReferenceOperator`]: the upstream Prometheus Operator (black box).
//! * [`run_statefulset_pod`], [`run_alertmanager_pod`]: the test bed plays
//!   the kubelet for a pod of a Prometheus or an Alertmanager StatefulSet
//!   (volumes, service account, config-reloader).
//!
//! Binaries come from `${PROMOP_TESTENV:-$HOME/.cache/promop/testenv}/bin`,
//! installed by `testenv/install.sh`. Every process is started in its own
//! process group with `PR_SET_PDEATHSIG` and killed when its handle drops
//! (also when a test panics). Handles must be dropped by the test (thread)
//! that created them: the death signal follows the spawning thread.
//!
//! Loopback addresses and the apiserver: there is no kubelet, tests create
//! Pods, Endpoints and EndpointSlices themselves. The apiserver accepts
//! `127.0.0.x` as a Pod IP, and in an EndpointSlice of `addressType: FQDN`
//! (Prometheus scrapes it as is), but refuses loopback addresses in
//! `Endpoints` and in IPv4/IPv6 EndpointSlices (`ValidateEndpointIP`).

mod alertmanager;
mod apiserver;
mod audit;
pub mod bench;
mod certs;
pub mod cluster_state;
pub mod corpus;
mod crds;
mod etcd;
mod faults;
mod http;
mod kubelet;
mod manifests;
mod metrics_server;
mod paths;
pub mod poll;
mod process;
mod prometheus;
pub mod proxy;
mod reference;
mod reference_admission;
mod service_account;
mod sink;
pub mod written;

pub use alertmanager::{AlertmanagerProcess, AlertmanagerVersion};
pub use apiserver::{TestEnv, TestEnvOptions};
pub use audit::AuditEvent;
pub use crds::{install_crds, wait_crd_established};
pub use kubelet::{
    AlertmanagerApi, PodOptions, RunningAlertmanagerPod, RunningPod, RunningThanosRulerPod,
    ThanosRulerApi, VolumeSync, e2e, reload_e2e, run_alertmanager_pod, run_statefulset_pod,
    run_statefulset_pod_with, run_thanos_ruler_pod, thanos, thanos_e2e, wait_statefulset,
};
pub use manifests::{apply_manifests, parse_yaml_documents};
pub use metrics_server::MetricsServer;
pub use paths::{bin_dir, binary, installed_release, shared_dir, testenv_dir, upstream_dir};
pub use process::{ManagedProcess, ScratchDir, free_port};
pub use prometheus::{PrometheusApi, PrometheusProcess, PrometheusVersion};
pub use reference::{
    ReferenceOperator, read_generated_config, secret_config, secret_gz, wait_generated_config,
};
pub use reference_admission::ReferenceAdmissionWebhook;
pub use sink::{ReceivedRequest, WebhookSink};

/// The field manager of every server-side apply done by the test bed.
pub const FIELD_MANAGER: &str = "promop-testenv";
