//! Leader election on the real test bed: electors in this process share one
//! Lease on a local kube-apiserver. Exactly one leads; a leader that stops
//! gracefully hands over at once; a leader that dies is replaced once its
//! Lease expired (not before); a leader that finds another holder stops.
//!
//! Durations are shorter than client-go's defaults to keep the tests short,
//! with the same ratios (lease > renew deadline > retry period).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};
use promop_operator::leader::{self, Config};
use promop_testenv::TestEnv;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

const NAMESPACE: &str = "default";
const LEASE: &str = "promop-test";
const LEASE_DURATION: Duration = Duration::from_secs(8);
const RENEW_DEADLINE: Duration = Duration::from_secs(6);
const RETRY_PERIOD: Duration = Duration::from_secs(1);
/// Scheduling and apiserver latency on a loaded machine.
const SLACK: Duration = Duration::from_secs(5);

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("promop_operator=debug")
        .with_test_writer()
        .try_init();
}

/// One replica: its task, whether its work runs, and its stop signal.
struct Elector {
    identity: String,
    /// Open while the elector's work may write.
    gate: leader::WriteGate,
    task: JoinHandle<Result<(), leader::Error>>,
    leading: watch::Receiver<bool>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Elector {
    /// `active` counts electors whose work runs at the same time.
    fn start(client: &Client, identity: &str, active: &Arc<AtomicUsize>) -> Self {
        let config = Config {
            identity: identity.to_owned(),
            lease_duration: LEASE_DURATION,
            renew_deadline: RENEW_DEADLINE,
            retry_period: RETRY_PERIOD,
            ..Config::new(NAMESPACE, LEASE)
        };
        let gate = config.gate.clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let (leading_tx, leading) = watch::channel(false);
        let client = client.clone();
        let active = active.clone();
        let task = tokio::spawn(async move {
            leader::run_when_leader(
                client,
                &config,
                async {
                    stopped.await.ok();
                },
                |stop| async move {
                    active.fetch_add(1, Ordering::SeqCst);
                    leading_tx.send_replace(true);
                    stop.await;
                    active.fetch_sub(1, Ordering::SeqCst);
                    leading_tx.send_replace(false);
                },
            )
            .await
        });
        Self {
            identity: identity.to_owned(),
            gate,
            task,
            leading,
            shutdown: Some(shutdown),
        }
    }

    fn is_leading(&self) -> bool {
        *self.leading.borrow()
    }

    /// Waits until this elector's work runs; returns how long it took.
    async fn wait_leading(&mut self, within: Duration) -> Result<Duration> {
        let start = Instant::now();
        tokio::time::timeout(within, self.leading.wait_for(|leading| *leading))
            .await
            .with_context(|| format!("{} did not lead within {within:?}", self.identity))??;
        Ok(start.elapsed())
    }

    /// A graceful stop (SIGTERM in `promop run`).
    async fn stop(mut self) -> Result<(), leader::Error> {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        self.task.await.expect("elector task panicked")
    }
}

async fn lease(client: &Client) -> Result<Lease> {
    Ok(Api::<Lease>::namespaced(client.clone(), NAMESPACE)
        .get(LEASE)
        .await?)
}

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref()?.holder_identity.clone()
}

/// Starts two electors and waits until one of them leads; returns
/// (leader, follower).
async fn two_electors(client: &Client, active: &Arc<AtomicUsize>) -> Result<(Elector, Elector)> {
    let mut a = Elector::start(client, "replica-a", active);
    let mut b = Elector::start(client, "replica-b", active);
    let deadline = Instant::now() + RETRY_PERIOD + SLACK;
    while !a.is_leading() && !b.is_leading() {
        if Instant::now() > deadline {
            bail!("no elector leads after {:?}", RETRY_PERIOD + SLACK);
        }
        tokio::select! {
            _ = a.leading.changed() => {}
            _ = b.leading.changed() => {}
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    Ok(if a.is_leading() { (a, b) } else { (b, a) })
}

/// For `period`, exactly one elector's work runs at any time.
async fn assert_single_leader(active: &AtomicUsize, period: Duration) -> Result<()> {
    let end = Instant::now() + period;
    while Instant::now() < end {
        let n = active.load(Ordering::SeqCst);
        ensure!(n == 1, "{n} electors lead at once");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test]
async fn one_leader_and_a_prompt_handover_on_graceful_stop() -> Result<()> {
    init_logs();
    let env = TestEnv::start().await?;
    let client = env.client();
    let active = Arc::new(AtomicUsize::new(0));
    let (leader, mut follower) = two_electors(&client, &active).await?;

    // Several renewals and acquisition attempts: still exactly one leader,
    // and the Lease names it.
    assert_single_leader(&active, 3 * RETRY_PERIOD).await?;
    ensure!(holder(&lease(&client).await?).as_deref() == Some(leader.identity.as_str()));

    // A graceful stop clears the holder: the follower takes over at its
    // next retry, well before the lease would have expired.
    let stopped = Instant::now();
    let leader_identity = leader.identity.clone();
    leader.stop().await.context("the leader's graceful stop")?;
    let released = lease(&client).await?;
    ensure!(
        holder(&released).as_deref() != Some(leader_identity.as_str()),
        "the stopped leader still holds the Lease: {:?}",
        released.spec
    );
    follower.wait_leading(RETRY_PERIOD + SLACK).await?;
    let handover = stopped.elapsed();
    ensure!(
        handover < LEASE_DURATION,
        "handover took {handover:?}, not faster than the lease duration"
    );
    ensure!(holder(&lease(&client).await?).as_deref() == Some(follower.identity.as_str()));
    assert_single_leader(&active, RETRY_PERIOD).await?;
    follower.stop().await?;
    ensure!(active.load(Ordering::SeqCst) == 0);
    Ok(())
}

#[tokio::test]
async fn a_dead_leader_is_replaced_once_its_lease_expired() -> Result<()> {
    init_logs();
    let env = TestEnv::start().await?;
    let client = env.client();
    let active = Arc::new(AtomicUsize::new(0));
    let (leader, mut follower) = two_electors(&client, &active).await?;

    // The leader dies without releasing (its task is dropped mid-flight).
    leader.task.abort();
    let killed = Instant::now();
    // Its last renewal, as written to the Lease (a request in flight at the
    // abort may still land: read after it would have).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let last = lease(&client).await?;
    let last_spec = last.spec.clone().context("Lease without spec")?;
    ensure!(last_spec.holder_identity.as_deref() == Some(leader.identity.as_str()));
    let last_renew = last_spec.renew_time.context("no renewTime")?.0;

    follower
        .wait_leading(LEASE_DURATION + RETRY_PERIOD + SLACK)
        .await
        .context("the follower did not take over within the lease duration")?;
    let took = killed.elapsed();
    let taken = lease(&client).await?;
    let taken_spec = taken.spec.context("Lease without spec")?;
    ensure!(taken_spec.holder_identity.as_deref() == Some(follower.identity.as_str()));
    // Not before the dead leader's Lease expired: the new acquireTime is at
    // least one lease duration after the last renewal (both written by this
    // machine's clock).
    let acquired = taken_spec.acquire_time.clone().context("no acquireTime")?.0;
    let expiry = last_renew + jiff_duration(LEASE_DURATION)?;
    ensure!(
        acquired >= expiry,
        "taken over at {acquired}, before the lease expired at {expiry}"
    );
    ensure!(
        taken_spec.lease_transitions.unwrap_or(0) >= 1,
        "leaseTransitions not counted: {taken_spec:?}"
    );
    eprintln!("takeover {took:?} after the kill (lease {LEASE_DURATION:?})");
    follower.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_leader_that_finds_another_holder_stops_leading() -> Result<()> {
    init_logs();
    let env = TestEnv::start().await?;
    let client = env.client();
    let active = Arc::new(AtomicUsize::new(0));
    let mut leader = Elector::start(&client, "replica-a", &active);
    leader.wait_leading(RETRY_PERIOD + SLACK).await?;

    // Another party takes the Lease (as a replica would after an expiry the
    // leader missed, e.g. while partitioned from the apiserver).
    let api = Api::<Lease>::namespaced(client.clone(), NAMESPACE);
    let mut taken = lease(&client).await?;
    if let Some(spec) = taken.spec.as_mut() {
        spec.holder_identity = Some("intruder".into());
        spec.renew_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
            Timestamp::now(),
        ));
    }
    api.replace(LEASE, &PostParams::default(), &taken).await?;

    // The leader's work is told to stop at its next renewal, and the
    // election ends with an error (`promop run` exits non-zero).
    let result = tokio::time::timeout(2 * RETRY_PERIOD + SLACK, leader.task)
        .await
        .context("the leader kept running after losing the Lease")??;
    ensure!(
        matches!(result, Err(leader::Error::Lost(_))),
        "expected a lost leadership, got {result:?}"
    );
    ensure!(!*leader.leading.borrow(), "the work still runs");
    ensure!(holder(&lease(&client).await?).as_deref() == Some("intruder"));
    Ok(())
}

/// A leader cut off from the API server stops writing (its write gate
/// closes, at the start of its last renewal plus the renew deadline) before
/// the other replica may take the Lease over.
#[tokio::test]
async fn a_partitioned_leader_stops_writing_before_another_can_lead() -> Result<()> {
    init_logs();
    let env = TestEnv::start().await?;
    let proxy = promop_testenv::proxy::TcpProxy::start(env.apiserver_addr()).await?;
    let mut config = env.client_config(Some(proxy.addr())).await?;
    // Requests into the partition fail instead of hanging forever.
    config.read_timeout = Some(RETRY_PERIOD);
    let partitioned = Client::try_from(config)?;
    let active = Arc::new(AtomicUsize::new(0));
    let mut leader = Elector::start(&partitioned, "replica-a", &active);
    leader.wait_leading(RETRY_PERIOD + SLACK).await?;
    ensure!(leader.gate.is_open(), "the leader may not write");
    let follower = Elector::start(&env.client(), "replica-b", &active);
    tokio::time::sleep(2 * RETRY_PERIOD).await;

    proxy.cut();
    let cut = Instant::now();
    let mut closed = None;
    while !follower.is_leading() {
        if closed.is_none() && !leader.gate.is_open() {
            closed = Some(cut.elapsed());
        }
        ensure!(
            cut.elapsed() < LEASE_DURATION + RENEW_DEADLINE + SLACK,
            "the follower never took over"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acquired = cut.elapsed();
    let closed = closed.context("the follower leads while the old leader may still write")?;
    ensure!(
        closed <= RENEW_DEADLINE,
        "the gate closed {closed:?} after the cut, later than the renew deadline"
    );
    eprintln!(
        "cut-off leader stopped writing {closed:?} after the cut; the follower led {acquired:?} after it"
    );
    follower.stop().await?;
    Ok(())
}

fn jiff_duration(d: Duration) -> Result<k8s_openapi::jiff::SignedDuration> {
    Ok(k8s_openapi::jiff::SignedDuration::try_from(d)?)
}
