//! The fault-injection utilities of the test bed, on the real apiserver:
//! apiserver restarts, etcd compaction (410 Gone), the TCP proxy (latency,
//! partition, reset) and the audit log.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{ListParams, PostParams, WatchParams};
use kube::core::WatchEvent;
use kube::{Api, Client};
use promop_testenv::proxy::TcpProxy;
use promop_testenv::{TestEnv, TestEnvOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn config_map(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "namespace": "default"},
        "data": {"k": "v"},
    }))
    .expect("valid ConfigMap")
}

async fn create_config_map(client: &Client, name: &str) -> Result<ConfigMap> {
    let api = Api::<ConfigMap>::namespaced(client.clone(), "default");
    Ok(api
        .create(&PostParams::default(), &config_map(name))
        .await?)
}

fn resource_version(cm: &ConfigMap) -> String {
    cm.metadata
        .resource_version
        .clone()
        .expect("resourceVersion")
}

/// The error code (HTTP status or first watch event) of a watch on
/// ConfigMaps from `rv`, or `None` if the watch started fine.
async fn watch_error_code(client: &Client, rv: &str) -> Result<Option<u16>> {
    let api = Api::<ConfigMap>::namespaced(client.clone(), "default");
    let stream = match api.watch(&WatchParams::default().timeout(5), rv).await {
        Err(kube::Error::Api(status)) => return Ok(Some(status.code)),
        Err(e) => return Err(e.into()),
        Ok(stream) => stream,
    };
    let mut stream = std::pin::pin!(stream);
    // An expired resourceVersion is refused at once; a valid one may have
    // no event to send.
    let Ok(first) = tokio::time::timeout(Duration::from_secs(2), stream.next()).await else {
        return Ok(None);
    };
    match first {
        Some(Ok(WatchEvent::Error(status))) => Ok(Some(status.code)),
        Some(Err(kube::Error::Api(status))) => Ok(Some(status.code)),
        Some(Err(e)) => Err(e.into()),
        Some(Ok(_)) | None => Ok(None),
    }
}

async fn list_namespaces(client: &Client) -> Result<Vec<String>> {
    let list = Api::<Namespace>::all(client.clone())
        .list(&ListParams::default())
        .await?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|ns| ns.metadata.name)
        .collect())
}

#[tokio::test]
async fn restart_apiserver_keeps_data_and_clients() -> Result<()> {
    let mut env = TestEnv::start().await?;
    let client = env.client();
    let created = create_config_map(&client, "before-restart").await?;
    let pid_before = env.pids()[0];

    let t0 = Instant::now();
    env.stop_apiserver().await?;
    let stopped = t0.elapsed();
    ensure!(!env.apiserver_running());
    let down = tokio::time::timeout(Duration::from_secs(10), list_namespaces(&client)).await;
    ensure!(
        matches!(down, Ok(Err(_))),
        "a request while stopped must fail fast: {down:?}"
    );

    let t1 = Instant::now();
    env.start_apiserver().await?;
    let started = t1.elapsed();
    ensure!(env.apiserver_running());
    ensure!(env.pids()[0] != pid_before, "a new apiserver process");
    eprintln!("apiserver stopped in {stopped:?}, started again in {started:?}");

    // The client made before the stop works again, the data is still there.
    let namespaces = list_namespaces(&client).await?;
    ensure!(namespaces.contains(&"default".to_owned()), "{namespaces:?}");
    let api = Api::<ConfigMap>::namespaced(client.clone(), "default");
    let got = api.get("before-restart").await?;
    ensure!(got.metadata.uid == created.metadata.uid);
    // One log, appended to.
    let log = env.apiserver_log();
    ensure!(log.contains("starting kube-apiserver again"));

    // restart_apiserver = stop + downtime + start.
    let t2 = Instant::now();
    env.restart_apiserver(Duration::from_millis(500)).await?;
    ensure!(t2.elapsed() >= Duration::from_millis(500));
    ensure!(api.get("before-restart").await.is_ok());
    eprintln!("restart_apiserver(500ms) took {:?}", t2.elapsed());
    Ok(())
}

#[tokio::test]
async fn compact_etcd_and_expire_watches_give_410() -> Result<()> {
    let mut env = TestEnv::start().await?;
    let client = env.client();
    let old = resource_version(&create_config_map(&client, "old").await?);
    // The watch works from that resourceVersion before.
    ensure!(watch_error_code(&client, &old).await?.is_none());

    let revision = env.compact_etcd().await?;
    ensure!(
        revision > old.parse::<i64>()?,
        "compacted to {revision}, old resourceVersion {old}"
    );
    // Compaction alone: the watch cache may still serve it from memory.
    let cached = watch_error_code(&client, &old).await?;
    eprintln!("after compact_etcd({revision}): watch from {old}: {cached:?}");
    // etcd itself has forgotten it.
    let out = std::process::Command::new(promop_testenv::binary("etcdctl")?)
        .arg(format!("--endpoints={}", env.etcd_url()))
        .args(["get", "/registry/configmaps/default/old", "--rev", &old])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        !out.status.success() && stderr.contains("required revision has been compacted"),
        "etcdctl get --rev {old}: {}: {stderr}",
        out.status
    );

    let t0 = Instant::now();
    let pre_call = resource_version(&create_config_map(&client, "pre-call").await?);
    let revision = env.expire_watches().await?;
    eprintln!("expire_watches() took {:?}", t0.elapsed());
    for rv in [&old, &pre_call] {
        let code = watch_error_code(&client, rv).await?;
        ensure!(
            code == Some(410),
            "watch from {rv} after expire_watches (compacted to {revision}): {code:?}"
        );
    }
    // A fresh resourceVersion works: clients recover by re-listing.
    let list = Api::<ConfigMap>::namespaced(client.clone(), "default")
        .list(&ListParams::default())
        .await?;
    let fresh = list.metadata.resource_version.context("list RV")?;
    ensure!(watch_error_code(&client, &fresh).await?.is_none());
    Ok(())
}

/// An echo server: writes back what it reads.
async fn echo_server() -> Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = conn.read(&mut buf).await {
                    if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok(addr)
}

async fn echo(conn: &mut TcpStream, msg: &[u8]) -> Result<Vec<u8>> {
    conn.write_all(msg).await?;
    let mut got = vec![0u8; msg.len()];
    conn.read_exact(&mut got).await?;
    Ok(got)
}

#[tokio::test]
async fn tcp_proxy_latency_cut_reset_restore() -> Result<()> {
    let proxy = TcpProxy::start(echo_server().await?).await?;
    let mut conn = TcpStream::connect(proxy.addr()).await?;
    ensure!(echo(&mut conn, b"hello").await? == b"hello");

    // Latency applies in both directions.
    proxy.set_latency(Duration::from_millis(200));
    let t0 = Instant::now();
    ensure!(echo(&mut conn, b"slow").await? == b"slow");
    let rtt = t0.elapsed();
    ensure!(rtt >= Duration::from_millis(400), "round trip {rtt:?}");
    proxy.set_latency(Duration::ZERO);

    // Partition: nothing comes back, the connection stays open; after
    // restore the held data is delivered.
    proxy.cut();
    conn.write_all(b"held").await?;
    let mut buf = [0u8; 4];
    let r = tokio::time::timeout(Duration::from_millis(500), conn.read_exact(&mut buf)).await;
    ensure!(r.is_err(), "read during cut must hang: {r:?}");
    // A new connection is accepted but hangs too.
    let mut late = TcpStream::connect(proxy.addr()).await?;
    let late_echo = tokio::spawn(async move { echo(&mut late, b"late").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    ensure!(!late_echo.is_finished());
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(5), conn.read_exact(&mut buf)).await??;
    ensure!(&buf == b"held");
    ensure!(tokio::time::timeout(Duration::from_secs(5), late_echo).await??? == b"late");

    // Reset: the open connection is reset, new ones too, until restore.
    proxy.reset();
    let r = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await?;
    ensure!(
        matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "after reset: {r:?}"
    );
    let mut refused = TcpStream::connect(proxy.addr()).await?;
    let r = tokio::time::timeout(Duration::from_secs(5), echo(&mut refused, b"x")).await?;
    ensure!(r.is_err(), "a new connection during reset must fail: {r:?}");
    proxy.restore();
    let mut again = TcpStream::connect(proxy.addr()).await?;
    ensure!(echo(&mut again, b"again").await? == b"again");
    ensure!(proxy.accepted() == 4, "accepted {}", proxy.accepted());
    Ok(())
}

#[tokio::test]
async fn client_via_proxy_sees_latency_partition_and_recovers() -> Result<()> {
    let env = TestEnv::start().await?;
    let proxy = TcpProxy::start(env.apiserver_addr()).await?;
    let client = env.client_via(proxy.addr()).await?;
    let namespaces = list_namespaces(&client).await?;
    ensure!(namespaces.contains(&"default".to_owned()), "{namespaces:?}");
    // The kubeconfig for other processes points at the proxy too.
    let kubeconfig = std::fs::read_to_string(env.kubeconfig_via(proxy.addr())?)?;
    ensure!(kubeconfig.contains(&format!("server: https://{}", proxy.addr())));

    proxy.set_latency(Duration::from_millis(500));
    let t0 = Instant::now();
    list_namespaces(&client).await?;
    let slow = t0.elapsed();
    ensure!(slow >= Duration::from_millis(500), "took {slow:?}");
    proxy.set_latency(Duration::ZERO);

    proxy.cut();
    let t0 = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(2), list_namespaces(&client)).await;
    ensure!(r.is_err(), "a request during cut must time out: {r:?}");
    // The direct client is not affected.
    list_namespaces(&env.client()).await?;
    proxy.restore();
    list_namespaces(&client).await?;
    eprintln!(
        "latency 500ms: request took {slow:?}; cut+restore round in {:?}",
        t0.elapsed()
    );

    // Reset: requests fail fast (not hang), then recover after restore.
    proxy.reset();
    let r = tokio::time::timeout(Duration::from_secs(10), list_namespaces(&client)).await;
    ensure!(
        matches!(r, Ok(Err(_))),
        "a request during reset must fail: {r:?}"
    );
    proxy.restore();
    list_namespaces(&client).await?;
    Ok(())
}

#[tokio::test]
async fn audit_log_tells_clients_apart_by_user_agent() -> Result<()> {
    let env = TestEnv::start_with(TestEnvOptions::default().audit(true)).await?;
    let proxy = TcpProxy::start(env.apiserver_addr()).await?;
    let a = env.client_with_user_agent("replica-a", None).await?;
    let b = env
        .client_with_user_agent("replica-b", Some(proxy.addr()))
        .await?;
    create_config_map(&a, "from-a").await?;
    create_config_map(&b, "from-b").await?;
    // Reads are not audited.
    Api::<ConfigMap>::namespaced(a.clone(), "default")
        .get("from-b")
        .await?;

    for (agent, name) in [("replica-a", "from-a"), ("replica-b", "from-b")] {
        let e = env
            .wait_for_audit_event(Duration::from_secs(10), |e| {
                e.verb == "create" && e.name == name
            })
            .await?;
        ensure!(e.user_agent == agent, "{e:?}");
        ensure!(
            (
                e.namespace.as_str(),
                e.resource.as_str(),
                e.code,
                e.username.as_str()
            ) == ("default", "configmaps", Some(201), "admin"),
            "{e:?}"
        );
        ensure!(e.stage == "ResponseComplete", "{e:?}");
        ensure!(e.stage_timestamp >= e.request_received, "{e:?}");
    }
    let events = env.audit_events()?;
    if let Some(e) = events.iter().find(|e| e.verb == "get" || e.verb == "list") {
        bail!("reads must not be audited: {e:?}");
    }
    Ok(())
}
