//! The deployment bundle of deploy/: the Helm chart (CRDs identical to
//! `promop crds`, `helm lint`, `helm template`), the example stack (renders,
//! promtool/amtool accept every generated configuration, `promop lint`
//! passes), both accepted by a server-side dry run on a real kube-apiserver,
//! the Grafana dashboards' PromQL, the Argo CD objects and the deploy script.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use promop_api::v1::{Prometheus, PrometheusRule};
use promop_core::prometheus::rules::promql::{Features, parse};
use promop_core::prometheus::rules::{RuleContext, rule_file};
use promop_testenv::{
    AlertmanagerVersion, PrometheusVersion, TestEnv, install_crds, parse_yaml_documents,
};
use promql_parser::parser::Expr;
use serde_json::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn chart_dir() -> PathBuf {
    deploy_dir().join("helm/promop")
}

fn examples_dir() -> PathBuf {
    deploy_dir().join("examples")
}

/// The example stack: the manifests of deploy/examples itself and of its
/// dashboards. The other folders there (istio/, vault/, …) are integrations
/// that need their projects' CRDs; each is checked on its own.
fn example_stack_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [examples_dir(), examples_dir().join("dashboards")] {
        for entry in std::fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_file() && path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn example_stack_objects() -> Vec<Value> {
    objects_of(&example_stack_files())
}

/// `promop <leading…> -f FILE… <trailing…>`.
fn promop_on(leading: &[&str], files: &[PathBuf], trailing: &[&str]) -> Output {
    let mut args: Vec<String> = leading.iter().map(|a| a.to_string()).collect();
    args.extend(file_args(files));
    args.extend(trailing.iter().map(|a| a.to_string()));
    promop(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `promop render` of `files` into a new directory, which it returns with
/// the standard error; fails the test unless promop exits with 0.
fn render_ok(files: &[PathBuf]) -> (tempfile::TempDir, String) {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out_arg = out_dir.path().display().to_string();
    let out = promop_on(&["render"], files, &["--out-dir", &out_arg]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "promop render: {stderr}");
    (out_dir, stderr)
}

/// A test bed whose apiserver serves promop's CRDs as the chart installs
/// them: `crds/`, and the AlertmanagerConfig CRD the chart templates
/// (`files/crds/`; examples need it before a dry run of the chart could
/// create it).
async fn test_bed_with_chart_crds() -> (TestEnv, Client) {
    let env = TestEnv::start()
        .await
        .unwrap_or_else(|e| panic!("starting the test bed: {e:#}"));
    let client = env.client();
    for dir in ["crds", "files/crds"] {
        install_crds(&client, &chart_dir().join(dir))
            .await
            .expect("the chart's CRDs install");
    }
    (env, client)
}

/// Creates `namespaces` (Namespace objects): a dry run cannot create the
/// Namespaces the other objects go into.
async fn create_namespaces<'a>(client: &Client, namespaces: impl IntoIterator<Item = &'a Value>) {
    let documents: Vec<String> = (namespaces.into_iter())
        .map(|ns| format!("---\n{ns}\n"))
        .collect();
    promop_testenv::apply_manifests(client, &documents.concat())
        .await
        .expect("namespaces created");
}

/// `-f FILE` for each file, as promop's subcommands take them.
fn file_args(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| ["-f".to_owned(), f.to_string_lossy().into_owned()])
        .collect()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {:?}: {e}", cmd.get_program()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn promop(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_promop")).args(args))
}

/// `helm <args>` from the test bed; panics naming testenv/install.sh when
/// helm is not installed, and with helm's output when it fails.
fn helm(args: &[&str]) -> String {
    let helm = promop_testenv::binary("helm").unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(Command::new(helm).args(args));
    assert!(
        out.status.success(),
        "helm {args:?} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The chart rendered as the release `promop` in `promop-system`.
fn template(extra: &[&str]) -> Vec<Value> {
    let chart = chart_dir();
    let mut args = vec![
        "template",
        "promop",
        chart.to_str().expect("UTF-8 path"),
        "--namespace",
        "promop-system",
    ];
    args.extend_from_slice(extra);
    parse_yaml_documents(&helm(&args)).expect("helm template prints YAML")
}

/// Every YAML file under `dir` (sorted), recursively.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every object of the YAML files under `dir`.
fn objects_in(dir: &Path) -> Vec<Value> {
    objects_of(&yaml_files(dir))
}

fn objects_of(files: &[PathBuf]) -> Vec<Value> {
    files
        .iter()
        .flat_map(|file| {
            let body = std::fs::read_to_string(file).expect("readable manifest");
            parse_yaml_documents(&body).unwrap_or_else(|e| panic!("{}: {e:#}", file.display()))
        })
        .collect()
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> String {
    format!(
        "{} {}/{}",
        kind(object),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn of_kind<'a>(objects: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| kind(o) == wanted).collect()
}

/// The name `scripts/build-images` gives the image `image` (promop,
/// orders-service), with `args` (`--registry REG`) added.
fn built_image_name(image: &str, args: &[&str]) -> String {
    let script = deploy_dir().join("../scripts/build-images");
    let out = run(Command::new(script)
        .args(["--print-names", "--only", image])
        .args(args));
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

const KUBELET_VALUES: &[&str] = &[
    "--set",
    "kubelet.service=kube-system/kubelet",
    "--set",
    "kubelet.endpointSlice=true",
];

fn container(objects: &[Value]) -> &Value {
    let deployments = of_kind(objects, "Deployment");
    assert_eq!(deployments.len(), 1);
    &deployments[0]["spec"]["template"]["spec"]["containers"][0]
}

fn args(objects: &[Value]) -> Vec<String> {
    container(objects)["args"]
        .as_array()
        .expect("container args")
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}

/// The CRD the chart renders from files/crds/ (templates/webhook.yaml).
const TEMPLATED_CRD: &str = "monitoring.coreos.com_alertmanagerconfigs.yaml";

#[path = "../common/mod.rs"]
mod common;

mod argocd;
mod chart;
mod dashboards;
mod examples;
mod istio;
mod istio_mesh;
mod openfaas;
mod vault;
mod webhook;
