//! The Istio integration with a real Prometheus (deploy/examples/istio):
//! the mesh Prometheus promop writes, run by the test-bed kubelet, scrapes
//! an mTLS-only stand-in sidecar through the `istio-mtls` scrape class and a
//! stand-in Envoy through the `envoy-stats` PodMonitor, and records the
//! golden signals with the folder's rules.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::istio::*;
use super::*;

/// The PKI Istio's CA would issue: a root, the target workload's
/// certificate and the Prometheus pod's (SPIFFE identities, no DNS or IP
/// names), and the target's TLS configuration requiring a client
/// certificate from that root, as a sidecar under STRICT mTLS does.
struct MeshPki {
    root_pem: String,
    prometheus_chain_pem: String,
    prometheus_key_pem: String,
    target: Arc<rustls::ServerConfig>,
}

fn spiffe_cert(id: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = vec![rcgen::SanType::URI(
        rcgen::string::Ia5String::try_from(id).expect("SPIFFE id"),
    )];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params
}

fn mesh_pki() -> MeshPki {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let root_key = rcgen::KeyPair::generate().expect("key");
    let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    root.distinguished_name
        .push(rcgen::DnType::OrganizationName, "cluster.local");
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = rcgen::Issuer::new(root, root_key);
    let target_key = rcgen::KeyPair::generate().expect("key");
    let target_cert = spiffe_cert("spiffe://cluster.local/ns/orders-mesh/sa/orders-service")
        .signed_by(&target_key, &issuer)
        .expect("target certificate");
    let prometheus_key = rcgen::KeyPair::generate().expect("key");
    let prometheus_cert = spiffe_cert("spiffe://cluster.local/ns/monitoring/sa/prometheus-mesh")
        .signed_by(&prometheus_key, &issuer)
        .expect("Prometheus' certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root_cert.der().clone()).expect("root added");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let target = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(target_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(target_key.serialize_der())),
        )
        .expect("target TLS config");
    MeshPki {
        root_pem: root_cert.pem(),
        prometheus_chain_pem: prometheus_cert.pem(),
        prometheus_key_pem: prometheus_key.serialize_pem(),
        target: Arc::new(target),
    }
}

/// What the stand-in sidecar saw: scrapes answered to a client presenting
/// a certificate of the mesh, and refused handshakes.
#[derive(Default)]
struct Handshakes {
    served: AtomicUsize,
    refused: AtomicUsize,
}

/// orders-service's /metrics behind a TLS listener on loopback that only
/// accepts clients with a certificate of the mesh's root: what Prometheus
/// meets at an orders-service pod under STRICT mTLS. Each scrape counts
/// one more order.
async fn mtls_target(config: Arc<rustls::ServerConfig>) -> (u16, Arc<Handshakes>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = Arc::new(Handshakes::default());
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let counters = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counters = counters.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                assert!(tls.get_ref().1.peer_certificates().is_some());
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16384 {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let n = counters.served.fetch_add(1, Ordering::Relaxed) + 1;
                let body =
                    format!("# TYPE orders_total counter\norders_total{{status=\"ok\"}} {n}\n");
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// The example's mesh Prometheus, its monitors and orders-service's Service
/// as the folder has them, with what the test bed needs: the installed
/// Prometheus version, EndpointSlice discovery, 1s scrapes; and an
/// EndpointSlice of orders-service pointing at the stand-in sidecar.
fn mesh_e2e_objects(version: &str, port: u16) -> Vec<Value> {
    let mut objects: Vec<Value> = istio_objects()
        .into_iter()
        .filter(|o| {
            matches!(
                kind(o),
                "Prometheus"
                    | "ServiceMonitor"
                    | "PodMonitor"
                    | "PrometheusRule"
                    | "ServiceAccount"
                    | "ClusterRole"
                    | "ClusterRoleBinding"
            ) || (kind(o) == "Service" && o["metadata"]["name"] == "orders-service")
        })
        .collect();
    for o in &mut objects {
        if kind(o) == "Prometheus" {
            let spec = &mut o["spec"];
            spec["version"] = format!("v{version}").into();
            spec["serviceDiscoveryRole"] = "EndpointSlice".into();
            spec["scrapeInterval"] = "1s".into();
            spec["evaluationInterval"] = "1s".into();
        }
        if kind(o) == "ServiceMonitor" {
            for endpoint in o["spec"]["endpoints"].as_array_mut().into_iter().flatten() {
                endpoint["interval"] = "1s".into();
            }
        }
        if kind(o) == "PodMonitor" {
            for endpoint in o["spec"]["podMetricsEndpoints"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                endpoint["interval"] = "1s".into();
            }
        }
        if kind(o) == "PrometheusRule" {
            for group in o["spec"]["groups"].as_array_mut().into_iter().flatten() {
                group["interval"] = "1s".into();
            }
        }
    }
    // The control: the same endpoint over TLS without the class, hence
    // without a client certificate.
    let mut no_class = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "orders-service-mtls")
        .expect("the orders-service-mtls ServiceMonitor")
        .clone();
    no_class["metadata"]["name"] = "orders-service-no-class".into();
    let spec = no_class["spec"].as_object_mut().expect("spec");
    spec.remove("scrapeClass");
    no_class["spec"]["endpoints"][0]["tlsConfig"] = serde_json::json!({"insecureSkipVerify": true});
    objects.push(no_class);
    objects.push(serde_json::json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "orders-service-loopback",
            "namespace": "orders-mesh",
            "labels": {"kubernetes.io/service-name": "orders-service"},
        },
        // The apiserver refuses loopback IPs in an IPv4 slice.
        "addressType": "FQDN",
        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": true}}],
        "ports": [{"name": "http-metrics", "port": port, "protocol": "TCP"}],
    }));
    objects
}

/// What an Envoy sidecar serves on `http-envoy-prom` after `n` ticks: Istio's
/// standard metrics of orders-service (stable: 60 requests a tick, 5% 500s;
/// canary: 6, a third 500s; stable's latencies) and one of Envoy's own
/// series, which the PodMonitor's metric relabeling drops. One stand-in
/// serves both versions' series (in a cluster each pod's sidecar has its own).
fn envoy_stats(n: u64) -> String {
    let labels = |version: &str, code: &str| {
        format!(
            "reporter=\"destination\",source_workload=\"istio-ingressgateway\",\
             source_workload_namespace=\"istio-system\",\
             destination_workload=\"orders-service-{version}\",\
             destination_workload_namespace=\"orders-mesh\",\
             destination_service=\"orders-service.orders-mesh.svc.cluster.local\",\
             destination_service_name=\"orders-service\",\
             destination_service_namespace=\"orders-mesh\",destination_version=\"{version}\",\
             request_protocol=\"http\",response_code=\"{code}\",response_flags=\"-\",\
             connection_security_policy=\"mutual_tls\""
        )
    };
    let mut out = String::from("# TYPE istio_requests_total counter\n");
    for (version, code, per_tick) in [
        ("stable", "201", 57),
        ("stable", "500", 3),
        ("canary", "201", 4),
        ("canary", "500", 2),
    ] {
        out += &format!(
            "istio_requests_total{{{}}} {}\n",
            labels(version, code),
            per_tick * n
        );
    }
    out += "# TYPE istio_request_duration_milliseconds histogram\n";
    let stable = labels("stable", "201");
    for (le, per_tick) in [("250", 57), ("500", 60), ("+Inf", 60)] {
        out += &format!(
            "istio_request_duration_milliseconds_bucket{{{stable},le=\"{le}\"}} {}\n",
            per_tick * n
        );
    }
    out += &format!(
        "istio_request_duration_milliseconds_sum{{{stable}}} {}\n\
         istio_request_duration_milliseconds_count{{{stable}}} {}\n",
        6000 * n,
        60 * n
    );
    out += &format!(
        "# TYPE envoy_cluster_upstream_rq_total counter\n\
         envoy_cluster_upstream_rq_total{{envoy_cluster_name=\"inbound|8080||\"}} {}\n",
        66 * n
    );
    out
}

/// A pod of orders-service with its injected `istio-proxy` container, whose
/// port `http-envoy-prom` is the stand-in Envoy on 127.0.0.1:`port` (the
/// test sets the status a kubelet would).
async fn sidecar_pod(client: &Client, port: u16) {
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "orders-mesh");
    let name = "orders-service-canary-5b7c9d8f6-m8r2t";
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "orders-service", "version": "canary"}},
        "spec": {"containers": [
            {"name": "orders-service", "image": "ghcr.io/promop/orders-service:0.1.0",
             "ports": [{"name": "http-metrics", "containerPort": 9090}]},
            {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.28.0",
             "ports": [{"name": "http-envoy-prom", "containerPort": port}]},
        ]},
    });
    let pp = PatchParams::apply(promop_testenv::FIELD_MANAGER).force();
    pods.patch(name, &pp, &Patch::Apply(&pod))
        .await
        .expect("pod created");
    let status = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "status": {"phase": "Running", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}]},
    });
    pods.patch_status(name, &pp, &Patch::Apply(&status))
        .await
        .expect("pod status set");
}

/// The result of `promql` once it has series (within a minute).
async fn some_series(pod: &mut promop_testenv::RunningPod, promql: &str) -> Vec<(Value, f64)> {
    match pod
        .wait_for_query(promql, Duration::from_secs(60), |v| !v.is_empty())
        .await
    {
        Ok(series) => series,
        Err(e) => panic!("{promql}: {e:#}\n{}", pod.log_tail(30)),
    }
}

/// The real Prometheus of the mesh example, run by the test bed's kubelet
/// from the StatefulSet promop's controller writes, scrapes an mTLS-only
/// target with the certificates "istio-agent" (here: the test) writes into
/// the pod's `istio-certs` volume: the ServiceMonitor's scrape class
/// `istio-mtls` reads them at /etc/prom-certs/. Before the files exist the
/// job cannot even be created; once they are there (and Prometheus
/// reloads) it succeeds, and the target saw Prometheus' client certificate;
/// the same endpoint scraped without the class is refused. The same
/// Prometheus scrapes a stand-in Envoy through the PodMonitor and records
/// the golden signals; the canary alert goes pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mesh_prometheus_scrapes_envoy_and_mtls_targets_and_records_the_golden_signals() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=warn")
        .with_test_writer()
        .try_init();
    let env = TestEnv::start()
        .await
        .unwrap_or_else(|e| panic!("starting the test bed: {e:#}"));
    let client = env.client();
    let crds = promop_api::crd::all()
        .iter()
        .map(|crd| serde_json::to_string(crd).expect("CRD JSON"))
        .collect::<Vec<_>>();
    promop_testenv::apply_manifests(&client, &crds.join("\n---\n"))
        .await
        .expect("promop's CRDs");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = tokio::spawn(promop_operator::run(
        client.clone(),
        promop_operator::Options::default(),
        async {
            let _ = stopped.await;
        },
    ));

    let pki = mesh_pki();
    let (port, handshakes) = mtls_target(pki.target.clone()).await;
    // The stand-in Envoy, its counters moving 4 times a second.
    let envoy = Arc::new(
        promop_testenv::MetricsServer::start(envoy_stats(0))
            .await
            .expect("the stand-in Envoy"),
    );
    let ticking = {
        let envoy = envoy.clone();
        tokio::spawn(async move {
            for n in 1.. {
                tokio::time::sleep(Duration::from_millis(250)).await;
                envoy.set_body(envoy_stats(n));
            }
        })
    };
    let version = PrometheusVersion::V3
        .installed_version()
        .unwrap_or_else(|e| panic!("{e:#}"));
    let namespaces: Vec<String> = of_kind(&istio_objects(), "Namespace")
        .into_iter()
        .chain(of_kind(
            &objects_of(&[examples_dir().join("namespaces.yaml")]),
            "Namespace",
        ))
        .map(|ns| format!("---\n{ns}\n"))
        .collect();
    let objects: Vec<String> = mesh_e2e_objects(&version, port)
        .iter()
        .map(|o| format!("---\n{o}\n"))
        .collect();
    promop_testenv::apply_manifests(&client, &(namespaces.concat() + &objects.concat()))
        .await
        .expect("the mesh objects applied");
    sidecar_pod(&client, envoy.port()).await;

    let mut pod =
        promop_testenv::run_statefulset_pod(&client, &env, "monitoring", "prometheus-mesh", 0)
            .await
            .unwrap_or_else(|e| panic!("running prometheus-mesh-0: {e:#}"));
    let job = "serviceMonitor/orders-mesh/orders-service-mtls/0";
    let target_of = |targets: &[Value]| targets.iter().find(|t| t["scrapePool"] == job).cloned();
    // No certificates yet (istio-agent has not written them): Prometheus
    // cannot create the job's scrape pool and scrapes nothing for it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pod.logs().contains(&format!(
        "unable to read file /etc/prom-certs/root-cert.pem: open /etc/prom-certs/root-cert.pem: no such file or directory\" scrape_pool={job}"
    )) {
        assert!(
            Instant::now() < deadline,
            "no error for the missing certificates:\n{}",
            pod.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let targets = pod.active_targets().await.expect("targets");
    assert!(target_of(&targets).is_none(), "{targets:#?}");
    assert_eq!(handshakes.served.load(Ordering::Relaxed), 0);

    // "istio-agent" writes the workload's certificates (OUTPUT_CERTS) into
    // the shared in-memory volume; Prometheus (re)loads its configuration
    // with them there, as it starts with holdApplicationUntilProxyStarts.
    let certs = pod
        .volume_dir("istio-certs")
        .expect("the istio-certs volume")
        .to_owned();
    let written = Instant::now();
    for (file, pem) in [
        ("root-cert.pem", &pki.root_pem),
        ("cert-chain.pem", &pki.prometheus_chain_pem),
        ("key.pem", &pki.prometheus_key_pem),
    ] {
        std::fs::write(certs.join(file), pem).expect("certificate written");
    }
    pod.reload().await.expect("Prometheus reloaded");
    // The target's series, scraped through mTLS.
    let orders = some_series(
        &mut pod,
        "orders_total{namespace=\"orders-mesh\", service=\"orders-service\"}",
    )
    .await;
    println!(
        "mTLS scrape succeeded {:?} after the certificates were written: {:?}",
        written.elapsed(),
        orders[0].0
    );
    assert_eq!(orders[0].0["status"], "ok");
    assert!(handshakes.served.load(Ordering::Relaxed) > 0);
    let targets = pod.active_targets().await.expect("targets");
    let target = target_of(&targets).expect("the mTLS target");
    assert_eq!(
        target["scrapeUrl"],
        format!("https://127.0.0.1:{port}/metrics")
    );
    // Without the class, no client certificate: the sidecar refuses.
    let control = "serviceMonitor/orders-mesh/orders-service-no-class/0";
    let refused = targets
        .iter()
        .find(|t| t["scrapePool"] == control)
        .unwrap_or_else(|| panic!("no target of {control}: {targets:#?}"));
    assert_eq!(refused["health"], "down", "{refused:#}");
    assert!(handshakes.refused.load(Ordering::Relaxed) > 0);
    println!("without the scrape class: {}", refused["lastError"]);
    println!(
        "stand-in sidecar: {} scrapes served with a mesh client certificate, {} handshakes refused",
        handshakes.served.load(Ordering::Relaxed),
        handshakes.refused.load(Ordering::Relaxed)
    );

    // The Envoy PodMonitor and the golden-signal rules, as the folder has
    // them (rule groups evaluated every second here): the canary's error
    // ratio is recorded from the scraped Istio metrics and its alert is
    // pending (it fires after 5 minutes).
    let envoy_job = "podMonitor/monitoring/envoy-stats/0";
    let ratios = pod
        .wait_for_query(
            "service_version:istio_requests_5xx:ratio_rate5m{destination_service_name=\"orders-service\"}",
            Duration::from_secs(60),
            |v| v.len() == 2,
        )
        .await
        .unwrap_or_else(|e| panic!("no error ratio recorded: {e:#}\n{}", pod.log_tail(30)));
    for (labels, ratio) in &ratios {
        let expected = if labels["destination_version"] == "canary" {
            1.0 / 3.0
        } else {
            0.05
        };
        assert!((ratio - expected).abs() < 0.01, "{labels}: {ratio}");
    }
    let pending = some_series(
        &mut pod,
        "ALERTS{alertname=\"OrdersCanaryErrorRatioAboveStable\", alertstate=\"pending\"}",
    )
    .await;
    assert_eq!(pending[0].0["destination_version"], "canary");
    let targets = pod.active_targets().await.expect("targets");
    let envoy_target = targets
        .iter()
        .find(|t| t["scrapePool"] == envoy_job)
        .unwrap_or_else(|| panic!("no target of {envoy_job}: {targets:#?}"));
    assert_eq!(
        envoy_target["scrapeUrl"],
        format!("http://127.0.0.1:{}/stats/prometheus", envoy.port())
    );
    let dropped = pod
        .query_vector("envoy_cluster_upstream_rq_total")
        .await
        .expect("query");
    assert!(dropped.is_empty(), "Envoy's own series kept: {dropped:?}");
    println!(
        "Envoy stand-in scraped {} times; recorded 5xx ratios {:?}; canary alert pending",
        envoy.scrapes(),
        ratios
            .iter()
            .map(|(l, v)| (l["destination_version"].clone(), *v))
            .collect::<Vec<_>>()
    );

    ticking.abort();
    drop(pod);
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), controller).await;
}
