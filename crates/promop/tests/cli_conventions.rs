//! The CLI's conventions: shell completions, the man pages, the exit codes
//! each `--help` documents (each one triggered), and colour only on a
//! terminal unless `--no-color` or `NO_COLOR` (terminals made with
//! util-linux's `script`).
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SUBCOMMANDS: [&str; 8] = [
    "crds",
    "render",
    "explain",
    "lint",
    "run",
    "config-reloader",
    "completions",
    "manpage",
];

/// The explain tests' fixture: Prometheus monitoring/main selects
/// ServiceMonitor shop/orders, not shop/unlabelled; shop/bad-regex and
/// shop/schema are invalid.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explain/prometheus.yaml")
}

/// Lint warns (an empty selector) and finds no error.
const WARNS: &str = "
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: orders, namespace: shop}
spec:
  selector: {}
  endpoints: [{port: web}]
";

const NOT_YAML: &str = "a: [";

/// promop, colour variables cleared, no stdin.
fn promop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("promop runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = promop(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn completion_scripts_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {script}");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
        // Flags of a subcommand too.
        assert!(script.contains("strict"), "{shell}: no lint --strict");
    }
}

#[test]
fn bash_completes_subcommands_and_flags_once_sourced() {
    let script = stdout_of(&["completions", "bash"]);
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), script).expect("write script");
    // The completion function bash would call, for `promop li<TAB>` and
    // `promop lint --st<TAB>`.
    let probe = r#"
        source "$1" || exit 1
        complete -p promop || exit 1
        fn=$(complete -p promop | sed -n 's/.*-F \([^ ]*\).*/\1/p')
        COMP_WORDS=(promop li); COMP_CWORD=1
        "$fn" promop li promop; echo "words: ${COMPREPLY[*]}"
        COMP_WORDS=(promop lint --st); COMP_CWORD=2
        "$fn" promop --st lint; echo "flags: ${COMPREPLY[*]}"
    "#;
    let out = Command::new("bash")
        .args(["-c", probe, "probe"])
        .arg(file.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("complete ")
            && lines[0].contains(" -F ")
            && lines[0].ends_with(" promop"),
        "{stdout}"
    );
    assert_eq!(lines[1], "words: lint", "{stdout}{stderr}");
    assert_eq!(lines[2], "flags: --strict", "{stdout}{stderr}");
}

/// The lines of a page after the preamble that defines `\*(Aq`.
fn roff_body(page: &str) -> Vec<&str> {
    page.lines()
        .skip_while(|l| l.starts_with(".ie ") || l.starts_with(".el "))
        .collect()
}

#[test]
fn man_page_on_stdout_is_promop_1_naming_every_subcommand() {
    let page = stdout_of(&["manpage"]);
    let body = roff_body(&page);
    assert!(body[0].starts_with(".TH promop 1 "), "{page}");
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("promop\\-{}(1)", sub.replace('-', "\\-"))),
            "no promop-{sub}(1) in:\n{page}"
        );
    }
    assert!(page.contains("\\-\\-no\\-color"), "the global flag");
    // EXIT STATUS, from the same table as --help, before VERSION.
    let exit = page.find(".SH \"EXIT STATUS\"").expect("EXIT STATUS");
    assert!(exit < page.find(".SH VERSION").expect("VERSION"));
    assert!(
        page[exit..].contains(".TP\n\\fB2\\fR\na usage error"),
        "{page}"
    );
    assert!(!page.contains("EXTRA"), "no clap_mangen EXTRA section");
}

#[test]
fn man_page_dir_holds_one_page_per_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("man1");
    let out = promop(&["manpage", "--dir", target.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .expect("dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|s| format!("promop-{s}.1"))
        .chain(["promop.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let lint = std::fs::read_to_string(target.join("promop-lint.1")).expect("lint page");
    assert!(
        roff_body(&lint)[0].starts_with(".TH promop-lint 1 "),
        "{lint}"
    );
    assert!(lint.contains("\\-\\-strict"), "{lint}");
    let exit = &lint[lint.find(".SH \"EXIT STATUS\"").expect("EXIT STATUS")..];
    assert!(
        exit.contains("with \\-\\-strict"),
        "lint's own codes: {exit}"
    );
    let run = std::fs::read_to_string(target.join("promop-run.1")).expect("run page");
    assert!(run.contains("\\-\\-leader\\-elect"), "every flag of run");
    assert!(run.contains("the Lease was lost"), "run's own codes");
}

/// `--help` of each command ends with its "Exit status:" section, whose
/// codes are 0, 1 and 2 in order.
#[test]
fn every_help_documents_its_exit_status() {
    let mut helps = vec![(String::from("promop"), stdout_of(&["--help"]))];
    for sub in SUBCOMMANDS {
        helps.push((sub.to_owned(), stdout_of(&[sub, "--help"])));
    }
    for (name, help) in &helps {
        let section = &help[help.find("\nExit status:\n").unwrap_or_else(|| {
            panic!("{name}: no Exit status in:\n{help}");
        })..];
        let codes: Vec<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.split_once("  ").map(|(c, _)| c))
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(codes, ["0", "1", "2"], "{name}:\n{section}");
    }
    let lint = &helps.iter().find(|(n, _)| n == "lint").unwrap().1;
    assert!(lint.contains("  1  errors were found (or warnings, with --strict)"));
    let explain = &helps.iter().find(|(n, _)| n == "explain").unwrap().1;
    assert!(explain.contains("  1  with OBJECT: no workload uses it"));
    // The short help stays short.
    assert!(!stdout_of(&["lint", "-h"]).contains("Exit status:"));
}

/// Every code the help texts document that is cheap to reach offline.
#[test]
fn documented_exit_codes_are_the_ones_returned() {
    let fixture = fixture();
    let fixture = fixture.to_str().unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write manifest");
        path.to_str().expect("UTF-8 path").to_owned()
    };
    let (warns, not_yaml) = (file("warns.yaml", WARNS), file("not-yaml.yaml", NOT_YAML));
    let (warns, not_yaml) = (warns.as_str(), not_yaml.as_str());
    let envsubst_out = dir.path().join("out.yaml");
    let envsubst_out = envsubst_out.to_str().expect("UTF-8 path");
    let cases: &[(&[&str], i32)] = &[
        // Usage errors (clap).
        (&["--no-such-flag"], 2),
        (&["lint"], 2),
        (&["completions", "tcsh"], 2),
        (&["run", "--leader-elect=maybe"], 2),
        (&["config-reloader", "--reload-method=bogus"], 2),
        (
            &["config-reloader", "--web-config-file=/nonexistent/web.yaml"],
            2,
        ),
        // lint
        (&["lint", "-f", warns], 0),
        (&["lint", "--strict", "-f", warns], 1),
        (&["lint", "-f", fixture], 1),
        (&["lint", "-f", not_yaml], 2),
        // render
        (&["render", "-f", fixture], 0),
        (
            &["render", "-f", fixture, "--prometheus", "monitoring/absent"],
            1,
        ),
        (&["render", "-f", not_yaml], 2),
        // explain
        (&["explain", "-f", fixture, "smon/shop/orders"], 0),
        (&["explain", "-f", fixture, "smon/shop/unlabelled"], 1),
        (&["explain", "-f", not_yaml], 2),
        // crds (0: crds_cli.rs), run (0 needs a cluster: run_cli.rs)
        (&["crds", "--out-dir", "/dev/null/crds"], 1),
        (
            &[
                "run",
                "--web.listen-address=127.0.0.1:0",
                "--kubeconfig",
                "/nonexistent/kubeconfig",
            ],
            1,
        ),
        // config-reloader: the init container's once-only run, an
        // unreadable config file.
        (
            &[
                "config-reloader",
                "--watch-interval=0",
                "--config-file",
                warns,
                "--config-envsubst-file",
                envsubst_out,
            ],
            0,
        ),
        (
            &[
                "config-reloader",
                "--config-file=/nonexistent/prometheus.yaml.gz",
                "--listen-address=127.0.0.1:0",
            ],
            1,
        ),
    ];
    // Each run takes seconds in a debug build: all at once.
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(args, _)| scope.spawn(move || promop(args)))
            .collect();
        runs.into_iter().map(|r| r.join().expect("run")).collect()
    });
    for ((args, code), out) in cases.iter().zip(outputs) {
        assert_eq!(
            out.status.code(),
            Some(*code),
            "promop {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const ESC: &str = "\x1b[";

/// `promop ARGS` on a terminal (util-linux `script`), with `env` set:
/// what the terminal shows.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let command = std::iter::once(env!("CARGO_BIN_EXE_promop"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lint_colours_severities_on_a_terminal_only_without_refusal() {
    let fixture = fixture();
    let args = ["lint", "-f", fixture.to_str().unwrap()];
    let coloured = on_terminal(&args, &[]);
    assert!(
        coloured.contains("\x1b[1;31merror\x1b[0m: ServiceMonitor shop/bad-regex"),
        "{coloured:?}"
    );
    for (what, text) in [
        ("NO_COLOR=1", on_terminal(&args, &[("NO_COLOR", "1")])),
        ("TERM=dumb", on_terminal(&args, &[("TERM", "dumb")])),
        (
            "--no-color",
            on_terminal(&["--no-color", args[0], args[1], args[2]], &[]),
        ),
        (
            "--no-color after the command",
            on_terminal(&[args[0], args[1], args[2], "--no-color"], &[]),
        ),
    ] {
        assert!(
            text.contains(": error: ServiceMonitor shop/bad-regex"),
            "{what}: {text:?}"
        );
        assert!(!text.contains(ESC), "{what}: {text:?}");
    }
    // NO_COLOR set but empty does not refuse.
    assert!(on_terminal(&args, &[("NO_COLOR", "")]).contains(ESC));
    // Not a terminal: no colour.
    let piped = promop(&args);
    assert!(!String::from_utf8_lossy(&piped.stdout).contains(ESC));
}

#[test]
fn help_and_usage_errors_follow_the_same_rule() {
    assert!(
        on_terminal(&["--help"], &[]).contains(ESC),
        "clap colours help"
    );
    for (what, text) in [
        ("--no-color", on_terminal(&["--no-color", "--help"], &[])),
        (
            "NO_COLOR",
            on_terminal(&["lint", "--help"], &[("NO_COLOR", "1")]),
        ),
        (
            "usage error, --no-color",
            on_terminal(&["--no-color", "lint", "--no-such-flag"], &[]),
        ),
    ] {
        assert!(
            text.contains("Usage:") || text.contains("usage:"),
            "{what}: {text:?}"
        );
        assert!(!text.contains(ESC), "{what}: {text:?}");
    }
    assert!(on_terminal(&["lint", "--no-such-flag"], &[]).contains(ESC));
}

#[test]
fn crds_as_json_are_the_yaml_ones() {
    let names = |crds: &[serde_json::Value]| -> Vec<String> {
        crds.iter()
            .map(|c| {
                c["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let yaml: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&stdout_of(&["crds"])).expect("YAML stream");
    let list: serde_json::Value =
        serde_json::from_str(&stdout_of(&["crds", "-o", "json"])).expect("JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    assert_eq!(names(items), names(&yaml));
    assert_eq!(items.len(), 10);
    assert_eq!(items, &yaml, "the same objects");

    let dir = tempfile::tempdir().expect("temp dir");
    let out = promop(&[
        "crds",
        "-o",
        "json",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    for crd in &yaml {
        let plural = crd["spec"]["names"]["plural"].as_str().expect("plural");
        let file = dir
            .path()
            .join(format!("monitoring.coreos.com_{plural}.json"));
        let text = std::fs::read_to_string(&file).expect("one file per CRD");
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(&parsed, crd, "{}", file.display());
    }
}

#[test]
fn a_reader_that_goes_away_ends_promop_like_a_unix_filter() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_promop"))
        .arg("crds")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promop runs");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe's read end is closed: the next write gets SIGPIPE.
    let out = child.wait_with_output().expect("promop ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}
