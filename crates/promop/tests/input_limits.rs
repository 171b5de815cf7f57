//! Input that must be refused quickly and clearly by `render`, `lint` and
//! `explain -f` (exit status 2, the file named): files over
//! `--max-file-size`, symlink loops, alias bombs, 10,000-deep nesting, text
//! that is not UTF-8, and names that would make `render --out-dir` write
//! outside its directory. Each run has a generous deadline: a hang fails
//! the test instead of stalling the suite.
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far more than any of these runs needs, even in a loaded debug build.
const DEADLINE: Duration = Duration::from_secs(300);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `promop ARGS` (with `stdin` written to it), killed and failed when it
/// outlives [`DEADLINE`].
fn promop(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promop runs");
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin");
        // promop may stop reading early (over the limit): a broken pipe is fine.
        std::thread::spawn(move || drop(pipe.write_all(&bytes)))
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("promop {} still running after {DEADLINE:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(feeder) = feeder {
        feeder.join().expect("stdin written");
    }
    Run {
        code: status.code(),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `render`, `lint` and `explain -f` on `input` each exit with 2 and say
/// so in one line naming `named` (render and explain: `promop: NAMED: …`
/// on stderr; lint: the finding `NAMED:0: error: …`) and holding every
/// part of `expected`.
fn refused_by_every_command(input: &Path, named: &Path, expected: &[&str]) {
    for command in ["render", "explain", "lint"] {
        let run = promop(&[command, "-f", path(input)], None);
        let (said, start) = if command == "lint" {
            (&run.stdout, format!("{}:0: error: ", named.display()))
        } else {
            (&run.stderr, format!("promop: {}: ", named.display()))
        };
        assert_eq!(run.code, Some(2), "{command}: {}{}", run.stdout, run.stderr);
        assert!(
            said.starts_with(&start),
            "{command}: not {start:?}:\n{said}"
        );
        for part in expected {
            assert!(said.contains(part), "{command}: no {part:?} in:\n{said}");
        }
        assert_eq!(said.lines().count(), 1, "{command}: one line:\n{said}");
    }
}

const GOOD: &str = "\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  version: v3.5.0
  serviceMonitorSelector: {}
  ruleSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: monitoring}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: web}]
";

#[test]
fn a_file_over_the_size_limit_is_refused_until_the_limit_is_raised() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("big.yaml");
    let padding = format!("# {}\n", "x".repeat(1023)).repeat(2 * 1024);
    std::fs::write(&file, format!("{GOOD}{padding}")).expect("write");
    let run = promop(
        &["render", "--max-file-size", "1MiB", "-f", path(&file)],
        None,
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "promop: {}: 2.0 MiB, over the limit of 1 MiB on input files \
             (raise it with --max-file-size)",
            file.display()
        )
    );
    let lint = promop(&["lint", "--max-file-size=1MiB", "-f", path(&file)], None);
    assert_eq!(lint.code, Some(2), "{}", lint.stdout);
    assert!(
        lint.stdout.starts_with(&format!(
            "{}:0: error: 2.0 MiB, over the limit",
            file.display()
        )),
        "{}",
        lint.stdout
    );
    let explain = promop(
        &["explain", "--max-file-size", "1048576", "-f", path(&file)],
        None,
    );
    assert_eq!(explain.code, Some(2), "{}", explain.stderr);
    assert!(
        explain.stderr.contains("--max-file-size"),
        "{}",
        explain.stderr
    );
    // Raised, or by default (16 MiB), the same file renders.
    for limit in [&["--max-file-size", "3MiB"][..], &[]] {
        let run = promop(&[&["render", "-f", path(&file)], limit].concat(), None);
        assert_eq!(run.code, Some(0), "{limit:?}: {}", run.stderr);
        assert!(
            run.stdout
                .contains("job_name: serviceMonitor/monitoring/web/0")
        );
    }
}

#[test]
fn stdin_over_the_size_limit_is_refused_without_reading_it_all() {
    // 64 MiB of an endless-looking stream; promop stops after 1 KiB.
    let run = promop(
        &["render", "--max-file-size", "1KiB", "-f", "-"],
        Some(vec![b'#'; 64 << 20]),
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "promop: stdin: more than 1 KiB, over the limit of 1 KiB on input files \
         (raise it with --max-file-size)"
    );
}

#[test]
fn a_symlink_back_to_a_directory_being_read_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(manifests.join("team")).expect("mkdir");
    std::fs::write(manifests.join("team/good.yaml"), GOOD).expect("write");
    let link = manifests.join("team/all");
    std::os::unix::fs::symlink("..", &link).expect("symlink");
    let expected = format!(
        "symlink loop: it leads back to {}, which contains it; not followed",
        manifests.display()
    );
    refused_by_every_command(&manifests, &link, &[&expected]);
}

#[test]
fn a_symlink_to_itself_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("self.yaml");
    std::os::unix::fs::symlink("self.yaml", &file).expect("symlink");
    let expected = "symlink loop: too many levels of symbolic links; not followed";
    refused_by_every_command(&file, &file, &[expected]);
}

#[test]
fn a_directory_reached_twice_through_symlinks_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (shared, manifests) = (dir.path().join("shared"), dir.path().join("manifests"));
    std::fs::create_dir_all(&shared).expect("mkdir");
    std::fs::create_dir_all(&manifests).expect("mkdir");
    std::fs::write(shared.join("good.yaml"), GOOD).expect("write");
    for name in ["a", "b"] {
        std::os::unix::fs::symlink(&shared, manifests.join(name)).expect("symlink");
    }
    let run = promop(&["lint", "-f", path(&manifests)], None);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("defined more than once"),
        "{}",
        run.stdout
    );
}

/// Ten levels of nine aliases each: 10^9 nodes once expanded.
fn billion_laughs() -> String {
    let mut text = String::from("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let aliases = vec![format!("*lol{}", level - 1); 9].join(", ");
        text.push_str(&format!("lol{level}: &lol{level} [{aliases}]\n"));
    }
    text
}

#[test]
fn an_alias_bomb_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("laughs.yaml");
    std::fs::write(&file, billion_laughs()).expect("write");
    refused_by_every_command(
        &file,
        &file,
        &[
            "not valid YAML: line ",
            "nodes once its aliases are expanded (an alias bomb?)",
        ],
    );
}

#[test]
fn an_alias_bomb_of_long_strings_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("strings.yaml");
    let aliases = vec!["*s"; 4096].join(", ");
    let text = format!("s: &s {}\nl: [{aliases}]\n", "x".repeat(1 << 20));
    std::fs::write(&file, text).expect("write");
    refused_by_every_command(
        &file,
        &file,
        &["bytes of text once its aliases are expanded (an alias bomb?)"],
    );
}

const DEPTH: usize = 10_000;

#[test]
fn nesting_10000_deep_in_flow_style_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("flow.yaml");
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\nx: {}{}\n",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    std::fs::write(&file, text).expect("write");
    refused_by_every_command(
        &file,
        &file,
        &[
            "not valid YAML: line 4 column",
            "nested deeper than 64 levels",
        ],
    );
}

#[test]
fn nesting_10000_deep_in_block_style_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("block.yaml");
    // `- - - … x`: a block sequence in each block sequence.
    std::fs::write(&file, format!("{}x\n", "- ".repeat(DEPTH))).expect("write");
    refused_by_every_command(
        &file,
        &file,
        &[
            "not valid YAML: line 1 column",
            "nested deeper than 64 levels",
        ],
    );
}

#[test]
fn text_that_is_not_utf8_is_refused_with_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("latin1.yaml");
    let text = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n";
    std::fs::write(&file, text).expect("write");
    let expected = "not UTF-8: byte 0xE9 at line 4 column 12 is not valid UTF-8";
    refused_by_every_command(&file, &file, &[expected]);
}

#[test]
fn utf16_text_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("utf16.yaml");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("kind: List\n".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&file, bytes).expect("write");
    let expected = "not UTF-8: UTF-16 text (byte order mark); convert it to UTF-8";
    refused_by_every_command(&file, &file, &[expected]);
}

/// `render --out-dir` on `manifests`: refused with 2 and `expected`, and
/// nothing written anywhere in the temp dir but the input.
fn refused_out_dir(manifests: &str, extra: &[&str], expected: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base");
    let (input, out) = (base.join("in.yaml"), base.join("out"));
    std::fs::create_dir_all(&base).expect("mkdir");
    std::fs::write(&input, manifests).expect("write");
    let args = [
        &["render", "-f", path(&input), "--out-dir", path(&out)],
        extra,
    ]
    .concat();
    let run = promop(&args, None);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let expected = expected
        .replace("IN", path(&input))
        .replace("OUT", path(&out));
    assert_eq!(run.stderr.trim(), format!("promop: {expected}"));
    let mut written = Vec::new();
    let mut stack = vec![dir.path().to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            match entry.file_type().expect("type").is_dir() {
                true => stack.push(entry.path()),
                false => written.push(entry.path()),
            }
        }
    }
    assert_eq!(written, [input], "nothing but the input");
}

#[test]
fn a_namespace_that_would_write_outside_out_dir_is_refused() {
    let manifests = GOOD.replace("namespace: monitoring", "namespace: ../../escaped");
    refused_out_dir(
        &manifests,
        &[],
        "Prometheus ../../escaped/k8s (IN, document 0): namespace \"../../escaped\" is not a \
         plain file name: it would write outside --out-dir OUT; nothing written",
    );
}

#[test]
fn a_name_that_would_write_outside_out_dir_is_refused_with_objects() {
    let manifests = GOOD.replace("name: k8s", "name: /tmp/escaped");
    refused_out_dir(
        &manifests,
        &["--objects"],
        "Secret monitoring/prometheus-/tmp/escaped: name \"secret-prometheus-/tmp/escaped.yaml\" \
         is not a plain file name: it would write outside --out-dir OUT; nothing written",
    );
}

#[test]
fn a_rule_file_that_would_write_outside_out_dir_is_refused() {
    let manifests = format!(
        "{GOOD}---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: a/../../../../escaped, namespace: monitoring}}
spec: {{groups: [{{name: g, rules: [{{record: r, expr: up}}]}}]}}
"
    );
    refused_out_dir(
        &manifests,
        &["--rules"],
        "Prometheus monitoring/k8s (IN, document 0): rule file \
         \"monitoring-a/../../../../escaped-.yaml\" is not a plain file name: it would write \
         outside --out-dir OUT; nothing written",
    );
}

/// What a `helm template --include-crds` of kube-prometheus-stack holds,
/// in one stream: the ten CRDs (4 MiB), dashboards as large JSON strings,
/// and hundreds of objects — more documents and nodes than the YAML
/// parser's defaults allow.
#[test]
fn a_large_stack_without_aliases_renders_within_the_default_limits() {
    let crds = promop(&["crds"], None);
    assert_eq!(crds.code, Some(0), "{}", crds.stderr);
    let mut stream = crds.stdout;
    let dashboard = format!(
        "{{\"panels\": [{}]}}",
        vec!["{\"type\": \"graph\", \"targets\": [{\"expr\": \"up\"}]}"; 2_000].join(", ")
    );
    for i in 0..30 {
        stream.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: dashboard-{i}, namespace: monitoring}}\ndata:\n  dashboard.json: '{dashboard}'\n"
        ));
    }
    for i in 0..1_200 {
        stream.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: monitoring, labels: {{app: web}}}}\nspec: {{ports: [{{name: web, port: 80}}]}}\n"
        ));
    }
    stream.push_str("---\n");
    stream.push_str(GOOD);
    assert!(stream.len() > 6 << 20, "{} bytes", stream.len());
    let run = promop(&["render", "-f", "-"], Some(stream.into_bytes()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("job_name: serviceMonitor/monitoring/web/0")
    );
}
