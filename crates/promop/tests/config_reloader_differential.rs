//! `promop config-reloader` against the reference's
//! `prometheus-config-reloader` v0.94.1 on the same inputs, with the
//! arguments the operator gives the sidecar: the same output bytes, a
//! reload POSTed by both at the start and after each change of the config
//! file or of a watched directory, and the same once-only init mode.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use promop_testenv::{ManagedProcess, ScratchDir, WebhookSink, binary, free_port};

mod reloader;

const INSTALL: &str = "PROMOP_SHARED=/work/shared bash testenv/install.sh";

fn reference() -> Result<PathBuf> {
    binary("prometheus-config-reloader-reference")
        .with_context(|| format!("the reference reloader is missing: install it with `{INSTALL}`"))
}

/// A config the operator could write: pod, shard and ordinal variables,
/// an unset one (left as written), and `$1`/`${X}` that are not ours.
fn config(version: u32) -> String {
    format!(
        "global:\n  external_labels:\n    prometheus: default/main\n    prometheus_replica: $(POD_NAME)\n    \
         shard: '$(SHARD)'\n    ordinal: '$(STATEFULSET_ORDINAL_NUMBER)'\n    unset: $(NOT_SET)\n    \
         version: '{version}'\nscrape_configs:\n- job_name: a\n  relabel_configs:\n  - replacement: $1${{1}}\n"
    )
}

/// Writes a Secret or ConfigMap volume as the kubelet does (atomic
/// writer): the files in a new `..<version>` directory, the `..data` link
/// swapped to it by a rename, the old directory removed; each visible name
/// is a link through `..data`.
fn write_volume(dir: &Path, version: u32, files: &[(&str, &[u8])]) -> Result<()> {
    let data = dir.join(format!("..v{version}"));
    std::fs::create_dir_all(&data)?;
    for (name, bytes) in files {
        std::fs::write(data.join(name), bytes)?;
    }
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(format!("..v{version}"), &tmp)?;
    std::fs::rename(&tmp, dir.join("..data"))?;
    for (name, _) in files {
        let link = dir.join(name);
        if link.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), link)?;
        }
    }
    if version > 1 {
        std::fs::remove_dir_all(dir.join(format!("..v{}", version - 1)))?;
    }
    Ok(())
}

struct Inputs {
    config_dir: PathBuf,
    config_file: PathBuf,
    rules: PathBuf,
}

fn inputs(root: &Path) -> Result<Inputs> {
    let config_dir = root.join("config");
    let rules = root.join("rules");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::create_dir_all(&rules)?;
    let config_file = config_dir.join("prometheus.yaml.gz");
    let gz = reloader::gzip(&config(1))?;
    write_volume(&config_dir, 1, &[("prometheus.yaml.gz", &gz)])?;
    write_volume(&rules, 1, &[("default-rules.yaml", b"groups: []\n")])?;
    Ok(Inputs {
        config_dir,
        config_file,
        rules,
    })
}

/// The operator's arguments for the sidecar, with this test's paths.
fn args(inputs: &Inputs, out: &Path, reload_url: &str, listen: u16, once: bool) -> Vec<String> {
    let mut args = vec![
        format!("--listen-address=127.0.0.1:{listen}"),
        format!("--reload-url={reload_url}"),
        format!("--config-file={}", inputs.config_file.display()),
        format!("--config-envsubst-file={}", out.display()),
        format!("--watched-dir={}", inputs.rules.display()),
        format!("--watched-dir={}", inputs.config_dir.display()),
    ];
    if once {
        args.insert(0, "--watch-interval=0".to_owned());
    }
    args
}

fn command(program: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("POD_NAME", "prometheus-main-shard-1-2")
        .env("SHARD", "1")
        .env_remove("NOT_SET");
    cmd
}

fn promop() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_promop"))
}

fn promop_args(args: Vec<String>) -> Vec<String> {
    std::iter::once("config-reloader".to_owned())
        .chain(args)
        .collect()
}

/// The paths POSTed so far, per reloader.
fn reloads(sink: &WebhookSink, path: &str) -> usize {
    sink.requests().iter().filter(|r| r.path == path).count()
}

async fn wait_reloads(sink: &WebhookSink, n: usize, what: &str) -> Result<Duration> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if reloads(sink, "/ref/-/reload") >= n && reloads(sink, "/promop/-/reload") >= n {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!(
        "{what}: expected {n} reloads of each, got reference {} and promop {}",
        reloads(sink, "/ref/-/reload"),
        reloads(sink, "/promop/-/reload")
    )
}

fn same_output(ours: &Path, theirs: &Path, version: u32) -> Result<()> {
    let ours = std::fs::read(ours).with_context(|| format!("promop's {}", ours.display()))?;
    let theirs =
        std::fs::read(theirs).with_context(|| format!("reference's {}", theirs.display()))?;
    ensure!(
        ours == theirs,
        "outputs differ:\npromop:\n{}\nreference:\n{}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
    let text = String::from_utf8(ours)?;
    for expected in [
        "prometheus_replica: prometheus-main-shard-1-2",
        "shard: '1'",
        "ordinal: '2'",
        "unset: $(NOT_SET)",
        "replacement: $1${1}",
        &format!("version: '{version}'"),
    ] {
        ensure!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    Ok(())
}

/// The `reloader_*` series of /metrics, names and labels without values
/// (the Go runtime's series are the reference's alone).
async fn reloader_metrics(port: u16) -> Result<std::collections::BTreeSet<String>> {
    let out = tokio::process::Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{port}/metrics")])
        .output()
        .await?;
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .filter(|l| l.starts_with("reloader_"))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect())
}

async fn healthz(port: u16) -> Result<String> {
    let out = tokio::process::Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{port}/healthz")])
        .output()
        .await?;
    Ok(String::from_utf8(out.stdout)?)
}

/// The inputs, the reload recorder and each reloader's output path.
struct Bed {
    reference: PathBuf,
    dir: ScratchDir,
    inputs: Inputs,
    sink: WebhookSink,
    ref_out: PathBuf,
    our_out: PathBuf,
}

impl Bed {
    async fn new() -> Result<Self> {
        let reference = reference()?;
        let dir = ScratchDir::new("reloader-diff-")?;
        let inputs = inputs(&dir.path().join("in"))?;
        Ok(Self {
            reference,
            ref_out: dir.path().join("ref.env.yaml"),
            our_out: dir.path().join("promop.env.yaml"),
            dir,
            inputs,
            sink: WebhookSink::start().await?,
        })
    }

    /// Both reloaders' commands: (reference, promop), reloading through
    /// the sink.
    fn commands(&self, ports: (u16, u16), once: bool) -> (Command, Command) {
        self.commands_to(&format!("http://{}", self.sink.addr()), ports, once)
    }

    /// Both reloaders' commands, reloading through `base`.
    fn commands_to(&self, base: &str, ports: (u16, u16), once: bool) -> (Command, Command) {
        let ref_url = format!("{base}/ref/-/reload");
        let our_url = format!("{base}/promop/-/reload");
        let ref_args = args(&self.inputs, &self.ref_out, &ref_url, ports.0, once);
        let our_args = args(&self.inputs, &self.our_out, &our_url, ports.1, once);
        (
            command(&self.reference, &ref_args),
            command(&promop(), &promop_args(our_args)),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sidecar_writes_and_reloads_like_the_reference() -> Result<()> {
    let bed = Bed::new().await?;
    let Bed {
        dir,
        inputs,
        sink,
        ref_out,
        our_out,
        ..
    } = &bed;
    let root = dir.path();
    let (ref_port, our_port) = (free_port()?, free_port()?);
    let (theirs, ours) = bed.commands((ref_port, our_port), false);
    let their_process =
        ManagedProcess::spawn("reference reloader", theirs, &root.join("reference.log"))?;
    let our_process =
        ManagedProcess::spawn("promop config-reloader", ours, &root.join("promop.log"))?;

    let took = wait_reloads(sink, 1, "start").await?;
    eprintln!("start: both reloaded within {took:?}");
    same_output(our_out, ref_out, 1)?;
    ensure!(
        healthz(our_port).await? == healthz(ref_port).await?,
        "/healthz"
    );
    let (ours, theirs) = (
        reloader_metrics(our_port).await?,
        reloader_metrics(ref_port).await?,
    );
    ensure!(
        ours == theirs,
        "reloader_* metrics: promop {ours:?}, reference {theirs:?}"
    );

    let gz = reloader::gzip(&config(2))?;
    write_volume(&inputs.config_dir, 2, &[("prometheus.yaml.gz", &gz)])?;
    let took = wait_reloads(sink, 2, "config changed").await?;
    eprintln!("config change: both reloaded within {took:?}");
    same_output(our_out, ref_out, 2)?;

    let more: &[(&str, &[u8])] = &[
        ("default-rules.yaml", b"groups: []\n"),
        ("more-rules.yaml", b"groups: [{name: g, rules: []}]\n"),
    ];
    write_volume(&inputs.rules, 2, more)?;
    let took = wait_reloads(sink, 3, "rule file added").await?;
    eprintln!("rule file added: both reloaded within {took:?}");

    // Nothing changed: no reload (the delay interval is 1 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(
        reloads(sink, "/promop/-/reload") == 3,
        "{:?}",
        sink.requests()
    );
    ensure!(reloads(sink, "/ref/-/reload") == 3, "{:?}", sink.requests());
    eprintln!(
        "peak memory: reference {}, promop {} (this build)",
        reloader::peak_memory(&their_process),
        reloader::peak_memory(&our_process)
    );
    ensure!(
        sink.requests()
            .iter()
            .all(|r| r.body == serde_json::json!("")),
        "reloads have an empty body: {:?}",
        sink.requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn init_container_writes_once_and_exits_like_the_reference() -> Result<()> {
    let bed = Bed::new().await?;
    let (theirs, ours) = bed.commands((free_port()?, free_port()?), true);
    for (name, mut cmd) in [("reference", theirs), ("promop", ours)] {
        let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
        ensure!(out.status.success(), "{name}: {out:?}");
    }
    same_output(&bed.our_out, &bed.ref_out, 1)?;
    ensure!(bed.sink.requests().is_empty(), "{:?}", bed.sink.requests());
    Ok(())
}

/// `--web-config-file` with TLS and a header, as the operator writes it for
/// a Prometheus with `spec.web`: both serve /healthz over HTTPS only.
#[tokio::test(flavor = "multi_thread")]
async fn web_config_file_serves_tls_like_the_reference() -> Result<()> {
    let bed = Bed::new().await?;
    let root = bed.dir.path();
    let key = rcgen::KeyPair::generate()?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?.self_signed(&key)?;
    let (cert_file, key_file) = (root.join("tls.crt"), root.join("tls.key"));
    std::fs::write(&cert_file, cert.pem())?;
    std::fs::write(&key_file, key.serialize_pem())?;
    let web_config = root.join("web-config.yaml");
    std::fs::write(
        &web_config,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n  min_version: TLS12\n\
             http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n",
            cert_file.display(),
            key_file.display()
        ),
    )?;
    let (ref_port, our_port) = (free_port()?, free_port()?);
    let (mut theirs, mut ours) = bed.commands((ref_port, our_port), false);
    let flag = format!("--web-config-file={}", web_config.display());
    theirs.arg(&flag);
    ours.arg(&flag);
    let _theirs = ManagedProcess::spawn("reference reloader", theirs, &root.join("reference.log"))?;
    let _ours = ManagedProcess::spawn("promop config-reloader", ours, &root.join("promop.log"))?;
    wait_reloads(&bed.sink, 1, "start").await?;
    for port in [ref_port, our_port] {
        let url = format!("https://localhost:{port}/healthz");
        let out = tokio::process::Command::new("curl")
            .args(["-s", "-i", "--cacert"])
            .arg(&cert_file)
            .arg(&url)
            .output()
            .await?;
        let text = String::from_utf8(out.stdout)?;
        ensure!(
            text.ends_with(r#"{"status":"up"}"#)
                && text
                    .to_lowercase()
                    .contains("x-content-type-options: nosniff"),
            "{url}: {text}"
        );
        let plain = tokio::process::Command::new("curl")
            .args(["-sf", &format!("http://localhost:{port}/healthz")])
            .output()
            .await?;
        ensure!(!plain.status.success(), "{port}: plain HTTP answered");
    }
    Ok(())
}

/// Answers 503 to the first `failures` reload requests of each path, then
/// 200; counts the requests per path.
struct FlakyServer {
    addr: std::net::SocketAddr,
    counts: Counts,
}

type Counts = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>;

impl FlakyServer {
    fn start(failures: usize) -> Result<Self> {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let counts = Counts::default();
        let seen = std::sync::Arc::clone(&counts);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
                let n = {
                    let mut counts = seen.lock().expect("counts");
                    let n = counts.entry(path).or_default();
                    *n += 1;
                    *n
                };
                let status = if n <= failures {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    &stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Ok(Self { addr, counts })
    }

    fn count(&self, path: &str) -> usize {
        self.counts
            .lock()
            .expect("counts")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

/// A reload answered with errors is retried every --retry-interval until
/// it succeeds, then not sent again.
#[tokio::test(flavor = "multi_thread")]
async fn failed_reloads_are_retried_like_the_reference() -> Result<()> {
    let bed = Bed::new().await?;
    let root = bed.dir.path();
    let flaky = FlakyServer::start(2)?;
    let base = format!("http://{}", flaky.addr);
    let (mut theirs, mut ours) = bed.commands_to(&base, (free_port()?, free_port()?), false);
    theirs.arg("--retry-interval=300ms");
    ours.arg("--retry-interval=300ms");
    let _theirs = ManagedProcess::spawn("reference reloader", theirs, &root.join("reference.log"))?;
    let _ours = ManagedProcess::spawn("promop config-reloader", ours, &root.join("promop.log"))?;
    let (ref_path, our_path) = ("/ref/-/reload", "/promop/-/reload");
    let start = Instant::now();
    while flaky.count(ref_path) < 3 || flaky.count(our_path) < 3 {
        ensure!(
            start.elapsed() < Duration::from_secs(20),
            "reference {} and promop {} requests",
            flaky.count(ref_path),
            flaky.count(our_path)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    ensure!(
        (flaky.count(ref_path), flaky.count(our_path)) == (3, 3),
        "two failures and a success each: reference {}, promop {}",
        flaky.count(ref_path),
        flaky.count(our_path)
    );
    same_output(&bed.our_out, &bed.ref_out, 1)
}
