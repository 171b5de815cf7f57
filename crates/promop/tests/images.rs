//! The promop container image: `scripts/build-images` builds it with buildah
//! (a static musl binary FROM scratch) and writes an OCI archive; the image
//! runs `promop --version` and `promop crds` under `buildah run --isolation
//! chroot` with the host binary's output, as a non-root user, with its OCI
//! labels and entrypoint, and `promop explain` from the image reads the
//! test bed's API server like the host binary.
//!
//! Uses the test bed's buildah and musl C compiler (`testenv/install.sh`) and
//! the cheap cargo profile `image-test`; the image-test binaries are cached
//! in `<target>/tmp/images` between runs.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const IMAGE: &str = concat!("ghcr.io/promop/promop:", env!("CARGO_PKG_VERSION"));

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd`, panicking with its output unless it succeeds.
fn check(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {:?}: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} {:?} failed ({}):\n{}{}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>(),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// The test bed's buildah with a private storage; removes its containers and
/// storage when dropped.
struct Buildah {
    binary: PathBuf,
    storage: tempfile::TempDir,
    containers: Vec<String>,
}

impl Buildah {
    fn new() -> Self {
        let binary = promop_testenv::binary("buildah").unwrap_or_else(|e| panic!("{e:#}"));
        let storage = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            storage.path().join("policy.json"),
            r#"{"default": [{"type": "insecureAcceptAnything"}]}"#,
        )
        .expect("policy.json written");
        Buildah {
            binary,
            storage,
            containers: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        let dir = self.storage.path();
        cmd.arg("--storage-driver=vfs")
            .arg("--root")
            .arg(dir.join("root"))
            .arg("--runroot")
            .arg(dir.join("run"))
            .args(args);
        cmd
    }

    /// `buildah from` the archive: the working container's name.
    fn container_of(&mut self, archive: &Path) -> String {
        let policy = self.storage.path().join("policy.json");
        let source = format!("oci-archive:{}", archive.display());
        // As root, buildah raises these to 1048576 unless told otherwise,
        // which an unprivileged CI container refuses.
        let nofile = ulimit("nofile", "Max open files");
        let nproc = ulimit("nproc", "Max processes");
        let out = check(&mut self.command(&[
            "from",
            "--quiet",
            "--ulimit",
            &nofile,
            "--ulimit",
            &nproc,
            "--signature-policy",
            policy.to_str().expect("UTF-8 path"),
            &source,
        ]));
        let container = text(&out.stdout).trim().to_owned();
        assert!(!container.is_empty(), "buildah from printed no container");
        self.containers.push(container.clone());
        container
    }

    /// `buildah run --isolation chroot [FLAGS] CONTAINER -- ARGS`.
    fn run(&self, flags: &[&str], container: &str, args: &[&str]) -> Output {
        let mut all = vec!["run", "--isolation", "chroot"];
        all.extend_from_slice(flags);
        all.extend_from_slice(&[container, "--"]);
        all.extend_from_slice(args);
        let mut cmd = self.command(&all);
        cmd.output()
            .unwrap_or_else(|e| panic!("running {:?}: {e}", cmd.get_program()))
    }
}

impl Drop for Buildah {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = self.command(&["rm", container]).output();
        }
    }
}

/// `NAME=SOFT:HARD`: this process's limit `row` of /proc/self/limits
/// (`Max open files`), as `buildah from --ulimit` takes it.
fn ulimit(name: &str, row: &str) -> String {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix(row))
        .unwrap_or_else(|| panic!("no {row:?} in /proc/self/limits:\n{limits}"));
    let value = |v: Option<&str>| match v {
        Some("unlimited") => "-1".to_owned(),
        Some(v) => v.to_owned(),
        None => panic!("{row}: {line:?}"),
    };
    let mut values = line.split_whitespace();
    let soft = value(values.next());
    let hard = value(values.next());
    format!("{name}={soft}:{hard}")
}

/// Builds the promop image into `out` with `scripts/build-images`; returns
/// the archive.
fn build_image(out: &Path) -> PathBuf {
    let buildah = promop_testenv::binary("buildah").unwrap_or_else(|e| panic!("{e:#}"));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("images");
    check(
        Command::new(repo().join("scripts/build-images"))
            .args(["--only", "promop", "--profile", "image-test"])
            .arg("--out-dir")
            .arg(out)
            .arg("--target-dir")
            .arg(&target)
            .env("BUILDAH", &buildah)
            .env_remove("CARGO_TARGET_DIR"),
    );
    let archive = out.join("promop.oci.tar");
    assert!(archive.is_file(), "{} not written", archive.display());
    archive
}

/// The `org.opencontainers.image.ref.name` of the archive's only image.
fn archive_ref_name(archive: &Path) -> String {
    let out = check(
        Command::new("tar")
            .arg("-xOf")
            .arg(archive)
            .arg("index.json"),
    );
    let index: Value = serde_json::from_slice(&out.stdout).expect("index.json is JSON");
    let manifests = index["manifests"].as_array().expect("manifests");
    assert_eq!(manifests.len(), 1, "{index}");
    manifests[0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn host_promop(args: &[&str]) -> Vec<u8> {
    check(Command::new(env!("CARGO_BIN_EXE_promop")).args(args)).stdout
}

#[test]
fn the_image_runs_promop_as_non_root_with_its_labels() {
    let out = tempfile::tempdir().expect("temp dir");
    let archive = build_image(out.path());
    assert_eq!(archive_ref_name(&archive), IMAGE);

    let mut buildah = Buildah::new();
    let container = buildah.container_of(&archive);

    // The image's configuration.
    let inspect = check(&mut buildah.command(&["inspect", "--type", "container", &container]));
    let inspect: Value = serde_json::from_slice(&inspect.stdout).expect("inspect prints JSON");
    let config = &inspect["OCIv1"]["config"];
    assert_eq!(config["User"], "65534:65534", "{config}");
    assert_eq!(config["Entrypoint"], serde_json::json!(["/promop"]));
    assert_eq!(config["Cmd"], serde_json::json!(["run"]));
    let labels: BTreeMap<String, String> =
        serde_json::from_value(config["Labels"].clone()).expect("labels");
    let label = |key: &str| {
        labels
            .get(&format!("org.opencontainers.image.{key}"))
            .map(String::as_str)
            .unwrap_or_default()
    };
    assert_eq!(label("title"), "promop");
    assert_eq!(label("version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(label("licenses"), "Apache-2.0");
    assert_eq!(label("source"), "https://github.com/promop/promop");
    assert!(!label("description").is_empty(), "{labels:?}");
    let revision = label("revision");
    assert!(
        revision == "unknown"
            || revision
                .trim_end_matches("-dirty")
                .chars()
                .all(|c| c.is_ascii_hexdigit()),
        "revision {revision:?}"
    );
    // Nothing but the binary: no shell, no libc to load a dynamic executable.
    let rootfs = inspect["OCIv1"]["rootfs"]["diff_ids"]
        .as_array()
        .expect("rootfs layers");
    assert_eq!(rootfs.len(), 1, "one layer: {rootfs:?}");

    // It runs, FROM scratch, and says what the host binary says.
    let ok = |out: Output| {
        assert!(
            out.status.success(),
            "buildah run failed ({}):\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        out.stdout
    };
    let version = ok(buildah.run(&[], &container, &["/promop", "--version"]));
    assert_eq!(text(&version), text(&host_promop(&["--version"])));
    assert!(
        text(&version).contains(env!("CARGO_PKG_VERSION")),
        "{}",
        text(&version)
    );
    let crds = ok(buildah.run(&[], &container, &["/promop", "crds"]));
    assert!(
        crds == host_promop(&["crds"]),
        "`promop crds` in the image differs from the host's"
    );

    // As user 65534 it may not write to the image's root directory (owned by
    // root); as root it may: the user is what makes the difference.
    let write_root = ["/promop", "crds", "--out-dir", "/crds"];
    let refused = buildah.run(&[], &container, &write_root);
    assert!(
        !refused.status.success() && text(&refused.stderr).contains("Permission denied"),
        "promop ran as root in the image? {}\n{}",
        refused.status,
        text(&refused.stderr)
    );
    ok(buildah.run(&["--user", "0:0"], &container, &write_root));

    // The static binary talks to an API server (rustls, ring, DNS-free
    // loopback): `explain` from the image answers what the host's does.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let env = runtime
        .block_on(cluster())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let kube = tempfile::tempdir().expect("temp dir");
    std::fs::copy(env.kubeconfig_path(), kube.path().join("config")).expect("kubeconfig copied");
    // Readable by the image's user 65534.
    for (path, mode) in [
        (kube.path().to_owned(), 0o755),
        (kube.path().join("config"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
            .expect("permissions");
    }
    let mount = format!("{}:/kube:ro", kube.path().display());
    let explain = [
        "explain",
        "--kubeconfig",
        "/kube/config",
        "smon/shop/orders",
    ];
    let in_image = [&["/promop"][..], &explain].concat();
    let answer = ok(buildah.run(
        &["--user", "65534:65534", "-v", &mount],
        &container,
        &in_image,
    ));
    let on_host = ["explain", "--kubeconfig"]
        .iter()
        .map(|a| a.to_string())
        .chain([
            env.kubeconfig_path().display().to_string(),
            "smon/shop/orders".into(),
        ])
        .collect::<Vec<_>>();
    let on_host: Vec<&str> = on_host.iter().map(String::as_str).collect();
    assert_eq!(text(&answer), text(&host_promop(&on_host)));
    assert!(
        text(&answer).contains("ServiceMonitor shop/orders: used"),
        "{}",
        text(&answer)
    );
    drop(runtime);
}

/// The test bed with the reference's CRDs, a Prometheus and the monitor it
/// selects.
async fn cluster() -> anyhow::Result<promop_testenv::TestEnv> {
    let env = promop_testenv::TestEnv::start().await?;
    let crds = promop_testenv::upstream_dir().join("example/prometheus-operator-crd");
    promop_testenv::install_crds(&env.client(), &crds).await?;
    promop_testenv::apply_manifests(
        &env.client(),
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: shop}
spec:
  serviceMonitorSelector: {matchLabels: {team: shop}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: orders, namespace: shop, labels: {team: shop}}
spec:
  selector: {matchLabels: {app: orders}}
  endpoints: [{port: web}]
"#,
    )
    .await?;
    Ok(env)
}
