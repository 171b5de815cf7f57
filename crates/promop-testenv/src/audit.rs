//! The apiserver's audit log (opt-in, [`crate::TestEnvOptions::audit`]):
//! who wrote what, when, and with which outcome.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;

/// Logs every write at level `Metadata`, one event per request (stage
/// `ResponseComplete`, or `Panic`), and every request of a ServiceAccount,
/// reads and watches included (a watch also at `ResponseStarted`): what a
/// process running with a ServiceAccount's RBAC touched. The test bed's own
/// clients are `admin`, whose reads are not logged.
const POLICY: &str = "apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: Metadata
  userGroups: [system:serviceaccounts]
- level: None
";

/// One line of the audit log, reduced to what tests assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// `create`, `update`, `patch`, `delete` or `deletecollection`; for a
    /// ServiceAccount also `get`, `list`, `watch`.
    pub verb: String,
    /// The `User-Agent` header (kube-rs sends none unless told to: see
    /// [`crate::TestEnv::client_with_user_agent`]).
    pub user_agent: String,
    /// The authenticated user (`admin` for the test bed's clients).
    pub username: String,
    /// `ResponseComplete` (or `Panic`): the policy omits `RequestReceived`.
    pub stage: String,
    pub request_uri: String,
    /// `objectRef`: empty strings when absent.
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    /// `responseStatus.code` (e.g. 201, 200, 409, 422).
    pub code: Option<i32>,
    pub request_received: Timestamp,
    pub stage_timestamp: Timestamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    verb: String,
    #[serde(default)]
    user_agent: String,
    #[serde(default)]
    user: RawUser,
    stage: String,
    #[serde(rename = "requestURI", default)]
    request_uri: String,
    #[serde(default)]
    object_ref: RawObjectRef,
    response_status: Option<RawStatus>,
    request_received_timestamp: Timestamp,
    stage_timestamp: Timestamp,
}

#[derive(Deserialize, Default)]
struct RawUser {
    #[serde(default)]
    username: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawObjectRef {
    #[serde(default)]
    api_group: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    subresource: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawStatus {
    code: Option<i32>,
}

impl From<RawEvent> for AuditEvent {
    fn from(e: RawEvent) -> Self {
        Self {
            verb: e.verb,
            user_agent: e.user_agent,
            username: e.user.username,
            stage: e.stage,
            request_uri: e.request_uri,
            api_group: e.object_ref.api_group,
            resource: e.object_ref.resource,
            subresource: e.object_ref.subresource,
            namespace: e.object_ref.namespace,
            name: e.object_ref.name,
            code: e.response_status.and_then(|s| s.code),
            request_received: e.request_received_timestamp,
            stage_timestamp: e.stage_timestamp,
        }
    }
}

/// Writes the policy into `dir` and returns the apiserver flags using it,
/// with the log at `log`.
pub(crate) fn apiserver_args(dir: &Path, log: &Path) -> Result<Vec<String>> {
    let policy = dir.join("audit-policy.yaml");
    std::fs::write(&policy, POLICY).with_context(|| format!("writing {}", policy.display()))?;
    Ok(vec![
        format!("--audit-policy-file={}", policy.display()),
        format!("--audit-log-path={}", log.display()),
        "--audit-log-format=json".into(),
        // Unbuffered: each event is written by the request's own goroutine
        // as the request completes (not in periodic batches).
        "--audit-log-mode=blocking".into(),
    ])
}

/// `dir/audit.log`
pub(crate) fn log_path(dir: &Path) -> PathBuf {
    dir.join("audit.log")
}

/// Parses a JSON-lines audit log. A missing file is an empty log; a torn
/// last line (being written) is skipped.
pub(crate) fn read_events(path: &Path) -> Result<Vec<AuditEvent>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut events = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<RawEvent>(line) {
            Ok(e) => events.push(e.into()),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => {
                return Err(e).with_context(|| format!("{}:{}: {line}", path.display(), i + 1));
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_event_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps","verb":"create","user":{"username":"admin","groups":["system:masters"]},"sourceIPs":["127.0.0.1"],"userAgent":"replica-a","objectRef":{"resource":"configmaps","namespace":"default","name":"x","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-01-02T03:04:05.123456Z","stageTimestamp":"2026-01-02T03:04:05.234567Z"}"#;
        std::fs::write(&path, format!("{line}\n{{\"kind\":\"Ev")).unwrap();
        let events = read_events(&path).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.verb.as_str(), e.user_agent.as_str(), e.name.as_str()),
            ("create", "replica-a", "x")
        );
        assert_eq!(e.code, Some(201));
        assert_eq!(e.api_group, "");
        assert!(e.stage_timestamp > e.request_received);
        assert!(read_events(&dir.path().join("missing")).unwrap().is_empty());
    }
}
