//! Without the installed binaries the test bed fails with a message naming
//! the installer (tests must fail, not skip). A separate test binary: it
//! changes the process environment.

use anyhow::Result;
use promop_testenv::{PrometheusProcess, PrometheusVersion, TestEnv};

#[tokio::test]
async fn missing_binaries_name_the_installer() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // SAFETY: the only test in this binary; nothing else reads the
    // environment concurrently.
    unsafe { std::env::set_var("PROMOP_TESTENV", dir.path()) };
    let bin = dir.path().join("bin");

    let err = TestEnv::start().await.err().expect("must fail").to_string();
    assert_eq!(
        err,
        format!(
            "etcd not found in {}: run testenv/install.sh",
            bin.display()
        )
    );

    let err = PrometheusProcess::start(PrometheusVersion::V3, "", &[])
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert_eq!(
        err,
        format!(
            "prometheus-v3 not found in {}: run testenv/install.sh",
            bin.display()
        )
    );
    Ok(())
}
