//! Argo CD objects and deploy/deploy-monitoring.sh.
use super::*;

// --- Argo CD ----------------------------------------------------------------

#[test]
fn argocd_objects_point_at_the_bundle_and_differ_per_environment() {
    let objects = objects_in(&deploy_dir().join("argocd"));
    let app = of_kind(&objects, "Application")[0];
    let set = of_kind(&objects, "ApplicationSet")[0];
    for o in [app, set] {
        assert_eq!(o["apiVersion"], "argoproj.io/v1alpha1");
    }
    let paths = |sources: &Value| -> Vec<String> {
        sources
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s["path"].as_str().expect("path").to_owned())
            .collect()
    };
    let repo_root = deploy_dir().join("..");
    for sources in [
        &app["spec"]["sources"],
        &set["spec"]["template"]["spec"]["sources"],
    ] {
        let paths = paths(sources);
        assert_eq!(paths, ["deploy/helm/promop", "deploy/examples"]);
        for p in paths {
            assert!(repo_root.join(&p).is_dir(), "{p}");
        }
    }
    // The Application's values render.
    let values =
        serde_json::to_string(&app["spec"]["sources"][0]["helm"]["valuesObject"]).expect("JSON");
    let values_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(values_file.path(), values).expect("values written");
    let rendered = template(&["--values", &values_file.path().to_string_lossy()]);
    assert_eq!(
        of_kind(&rendered, "ServiceMonitor")[0]["metadata"]["labels"]["stack"],
        "orders-example"
    );

    // dev and prod, with different values; each renders with its parameters.
    let elements = set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .expect("list generator");
    let envs: Vec<&str> = elements.iter().filter_map(|e| e["env"].as_str()).collect();
    assert_eq!(envs, ["dev", "prod"]);
    assert_ne!(elements[0]["replicas"], elements[1]["replicas"]);
    let parameters = set["spec"]["template"]["spec"]["sources"][0]["helm"]["parameters"]
        .as_array()
        .expect("helm parameters");
    for element in elements {
        let mut sets = Vec::new();
        for p in parameters {
            let value = p["value"].as_str().expect("value");
            // {{ .key }} of the go template, from the element.
            let value = match value
                .strip_prefix("{{ .")
                .and_then(|v| v.strip_suffix(" }}"))
            {
                Some(key) => element[key].as_str().expect("element value").to_owned(),
                None => value.to_owned(),
            };
            sets.push("--set".to_owned());
            sets.push(format!("{}={value}", p["name"].as_str().expect("name")));
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let rendered = template(&sets);
        let replicas: i64 = element["replicas"]
            .as_str()
            .expect("replicas")
            .parse()
            .expect("number");
        assert_eq!(
            of_kind(&rendered, "Deployment")[0]["spec"]["replicas"],
            replicas
        );
        assert_eq!(
            args(&rendered).contains(&"--leader-elect=true".to_owned()),
            replicas > 1,
            "{}",
            element["env"]
        );
    }
}

// --- deploy-monitoring.sh ------------------------------------------------------

/// Stub kubectl and helm that log their arguments, one call a line.
fn stub_tools(dir: &Path) -> PathBuf {
    let log = dir.join("calls.log");
    for tool in ["kubectl", "helm"] {
        let path = dir.join(tool);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"{tool} $*\" >> '{}'\ncase \"$*\" in *'version'*) echo '{{}}' ;; esac\nexit 0\n",
                log.display()
            ),
        )
        .expect("stub written");
        let mut perms = std::fs::metadata(&path).expect("stub").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod");
    }
    log
}

fn deploy_script(stubs: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        stubs.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(Command::new("bash")
        .arg(deploy_dir().join("deploy-monitoring.sh"))
        .args(args)
        .env("PATH", path))
}

#[test]
fn deploy_script_applies_crds_then_chart_then_examples() {
    let stubs = tempfile::tempdir().expect("temp dir");
    let log = stub_tools(stubs.path());
    let out = deploy_script(stubs.path(), &["--replicas", "2", "--no-wait"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).expect("calls logged");
    let position = |needle: &str| {
        calls
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no call with {needle:?} in:\n{calls}"))
    };
    let crds = position("apply --server-side --force-conflicts --field-manager=promop-deploy -f");
    let chart = position("helm upgrade --install promop");
    let examples = position("examples/dashboards");
    assert!(crds < chart && chart < examples, "{calls}");
    let chart_call = calls.lines().nth(chart).expect("helm call");
    for flag in [
        "--skip-crds",
        "--create-namespace",
        "--namespace promop-system",
        "--set replicaCount=2",
    ] {
        assert!(chart_call.contains(flag), "{flag} in {chart_call}");
    }
    assert!(!calls.contains("--dry-run"), "{calls}");
    assert!(
        !calls.contains("rollout status"),
        "--no-wait waits: {calls}"
    );
    // The steps are announced.
    let stderr = text(&out.stderr);
    for step in ["1/3 CRDs", "2/3 promop", "3/3 example stack"] {
        assert!(stderr.contains(step), "{stderr}");
    }

    // A dry run changes nothing.
    std::fs::remove_file(&log).expect("log reset");
    let out = deploy_script(stubs.path(), &["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).expect("calls logged");
    for call in calls.lines().filter(|l| l.contains(" apply ")) {
        assert!(call.contains("--dry-run=server"), "{call}");
    }
    assert!(calls.contains("helm upgrade --install promop"), "{calls}");
    assert!(
        calls
            .lines()
            .filter(|l| l.starts_with("helm upgrade"))
            .all(|l| l.contains("--dry-run="))
    );
}

#[test]
fn deploy_script_refuses_bad_arguments_and_missing_tools() {
    let stubs = tempfile::tempdir().expect("temp dir");
    stub_tools(stubs.path());
    let out = deploy_script(stubs.path(), &["--replicas", "0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--replicas must be a positive number"));

    // Only a PATH without helm: the script names it.
    let no_helm = tempfile::tempdir().expect("temp dir");
    std::fs::copy(stubs.path().join("kubectl"), no_helm.path().join("kubectl")).expect("copy");
    for tool in ["bash", "sed", "head", "dirname"] {
        let found = run(Command::new("sh").args(["-c", &format!("command -v {tool}")]));
        let found = text(&found.stdout).trim().to_owned();
        std::os::unix::fs::symlink(&found, no_helm.path().join(tool)).expect("symlink");
    }
    let out = run(Command::new(no_helm.path().join("bash"))
        .arg(deploy_dir().join("deploy-monitoring.sh"))
        .env("PATH", no_helm.path()));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("helm not found in PATH"),
        "{}",
        text(&out.stderr)
    );
}
