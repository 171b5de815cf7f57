//! [`TcpProxy`]: a loopback TCP proxy that injects network faults (latency,
//! partitions, connection resets) between a client and a server, usually a
//! kube client and the apiserver ([`crate::TestEnv::client_via`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forward (after the configured latency).
    Open,
    /// Partition: connections stay open, nothing is forwarded; data is held
    /// and delivered after [`TcpProxy::restore`] (like TCP retransmission
    /// after a partition heals). New connections are accepted and hang.
    Cut,
    /// New connections are accepted and reset at once.
    Reset,
}

/// Chunks in flight per direction before the proxy stops reading (bounds
/// the memory held during a partition).
const QUEUE: usize = 64;
const CHUNK: usize = 16 * 1024;

/// A TCP proxy on `127.0.0.1:<random>` forwarding to one target. Faults
/// apply to current and new connections alike. Dropping it closes every
/// connection.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    latency_micros: Arc<AtomicU64>,
    accepted: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
    mode: watch::Sender<Mode>,
    /// Bumped by [`TcpProxy::reset`]: every connection closes.
    resets: watch::Sender<u64>,
    accept_loop: JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `target`
    /// (connecting to it when the client connects).
    pub async fn start(target: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy on 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let latency_micros = Arc::new(AtomicU64::new(0));
        let accepted = Arc::new(AtomicU64::new(0));
        let served = Arc::new(AtomicU64::new(0));
        let (mode, _) = watch::channel(Mode::Open);
        let (resets, _) = watch::channel(0u64);
        let link = Link {
            target,
            latency_micros: latency_micros.clone(),
            served: served.clone(),
            mode: mode.subscribe(),
            resets: resets.subscribe(),
        };
        let accept_loop = tokio::spawn(accept_loop(listener, link, accepted.clone()));
        Ok(Self {
            addr,
            target,
            latency_micros,
            accepted,
            served,
            mode,
            resets,
            accept_loop,
        })
    }

    /// Where clients connect: `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Connections accepted so far (to see a client reconnect).
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Bytes forwarded from the target to clients so far (what a client
    /// downloaded, TLS records included).
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Delays every chunk, in each direction, by `latency` from when the
    /// proxy read it (a round trip gains twice `latency`). Chunks already
    /// read keep the latency they were read with.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// A network partition: connections stay open but nothing is
    /// forwarded, and new connections are accepted but hang, so clients
    /// see timeouts rather than errors. [`Self::restore`] delivers what was
    /// held, as TCP would after the partition heals (if the peers are still
    /// there).
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    /// Closes every current connection with a TCP reset, and resets new ones
    /// as soon as they are accepted, until [`Self::restore`]: clients see
    /// immediate connection errors (like a restarting server or load
    /// balancer).
    pub fn reset(&self) {
        self.mode.send_replace(Mode::Reset);
        self.resets.send_modify(|n| *n += 1);
    }

    /// Back to forwarding (after the latency, which is kept).
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Open);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        // Connections end when the senders drop (their receivers error).
        self.accept_loop.abort();
    }
}

/// What a connection needs to know of its proxy.
#[derive(Clone)]
struct Link {
    target: SocketAddr,
    latency_micros: Arc<AtomicU64>,
    /// Bytes from the target to clients.
    served: Arc<AtomicU64>,
    mode: watch::Receiver<Mode>,
    resets: watch::Receiver<u64>,
}

impl Link {
    fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }
}

async fn accept_loop(listener: TcpListener, link: Link, accepted: Arc<AtomicU64>) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                // EMFILE and the like: try again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        accepted.fetch_add(1, Ordering::Relaxed);
        if *link.mode.borrow() == Mode::Reset {
            let _ = client.set_zero_linger();
            continue;
        }
        let mut link = link.clone();
        // Only resets from now on count for this connection.
        link.resets.mark_unchanged();
        tokio::spawn(connection(client, link));
    }
}

/// Forwards one connection until both sides are done, an error, a reset or
/// the proxy's drop.
async fn connection(mut client: TcpStream, link: Link) {
    let _ = client.set_nodelay(true);
    let mut resets = link.resets.clone();
    let mut server: Option<TcpStream> = None;
    let reset = tokio::select! {
        _ = forward(&mut client, &mut server, &link) => false,
        _ = resets.changed() => true,
    };
    if reset {
        // RST instead of FIN: the peers see "connection reset".
        let _ = client.set_zero_linger();
        if let Some(server) = &server {
            let _ = server.set_zero_linger();
        }
    }
}

async fn forward(
    client: &mut TcpStream,
    server: &mut Option<TcpStream>,
    link: &Link,
) -> std::io::Result<()> {
    // During a partition a new connection hangs before reaching the target.
    wait_open(&mut link.mode.clone()).await?;
    let server = server.insert(TcpStream::connect(link.target).await?);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.split();
    let (server_read, server_write) = server.split();
    tokio::try_join!(
        pipe(client_read, server_write, link, None),
        pipe(server_read, client_write, link, Some(&link.served)),
    )?;
    Ok(())
}

async fn wait_open(mode: &mut watch::Receiver<Mode>) -> std::io::Result<()> {
    mode.wait_for(|m| *m == Mode::Open)
        .await
        .map(|_| ())
        .map_err(|_| std::io::Error::other("proxy dropped"))
}

/// One direction: a reader stamping each chunk with its due time, and a
/// writer delivering it then (so latency does not limit throughput), and
/// only while the proxy is open. EOF is forwarded as a write shutdown.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    link: &Link,
    counted: Option<&AtomicU64>,
) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::channel::<(Instant, Option<Bytes>)>(QUEUE);
    let reading = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buf).await?;
            let due = Instant::now() + link.latency();
            let chunk = (n > 0).then(|| Bytes::copy_from_slice(&buf[..n]));
            if tx.send((due, chunk)).await.is_err() || n == 0 {
                return Ok::<_, std::io::Error>(());
            }
        }
    };
    let writing = async move {
        let mut mode = link.mode.clone();
        while let Some((due, chunk)) = rx.recv().await {
            loop {
                wait_open(&mut mode).await?;
                tokio::time::sleep_until(due).await;
                if *mode.borrow() == Mode::Open {
                    break;
                }
            }
            match chunk {
                Some(bytes) => {
                    to.write_all(&bytes).await?;
                    if let Some(counted) = counted {
                        counted.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    }
                }
                None => {
                    to.shutdown().await?;
                    break;
                }
            }
        }
        Ok(())
    };
    tokio::try_join!(reading, writing)?;
    Ok(())
}
