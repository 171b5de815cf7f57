//! The reloader's life: set up the inputs and event sources, apply on
//! every event, reload, retry, stop on shutdown.
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use kube::Client;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::apply::{self, Applier, Input, Seen};
use crate::envsubst::Environment;
use crate::metrics::Metrics;
use crate::options::Options;
use crate::reload::{self, Trigger};
use crate::{api_watch, fs_events, web, web_config};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Apply(#[from] apply::Error),
    #[error(transparent)]
    Reload(#[from] reload::Error),
    #[error("watching files: {0}")]
    Watch(std::io::Error),
    #[error(transparent)]
    Listen(#[from] promop_operator::http::Error),
    #[error(transparent)]
    WebConfig(#[from] web_config::Error),
    #[error("watch mode (--watch-secret, --watch-configmap) needs a Kubernetes client")]
    NoClient,
}

/// Runs until `shutdown` completes, or once with --watch-interval=0.
/// `client` is used in watch mode only.
pub async fn run(
    options: Options,
    client: Option<Client>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let listener = web_config::load(&options.web_config_file)?;
    for warning in &listener.warnings {
        tracing::warn!("--web-config-file: {warning}");
    }
    for warning in options.ignored() {
        tracing::warn!("{warning}");
    }
    let metrics = Arc::new(Metrics::default());
    let trigger = Trigger::new(&options)?;
    let once = options.watch_interval.is_zero();
    let env = Environment::from_process(&options.statefulset_ordinal_from_envvar);
    let (changed_tx, mut api_rx) = mpsc::unbounded_channel();

    let input = input_of(&options);
    let mut sources = 0;
    if options.watch_mode() {
        let client = client.ok_or(Error::NoClient)?;
        sources = start_api_watches(client, &options, &input, changed_tx, &metrics);
    }
    let dirs = options.all_watched_dirs();
    // The ConfigMaps' directories are ours to fill: they may not exist yet.
    for target in &options.watch_configmaps {
        std::fs::create_dir_all(&target.dir).map_err(Error::Watch)?;
    }
    if matches!(input, Input::None) && dirs.is_empty() {
        tracing::info!("nothing to be watched");
        shutdown.await;
        return Ok(());
    }
    let has_config = !matches!(input, Input::None);
    let mut applier = Applier::new(
        input,
        options.config_envsubst_file.clone(),
        dirs.clone(),
        env,
        metrics.clone(),
    );

    if once {
        // The init container: the output once, no reload (as the reference);
        // in watch mode, once every object has been read.
        wait_synced(sources, &mut api_rx).await;
        applier.prepare()?;
        return Ok(());
    }
    if let Some(addr) = options.listen_address.0 {
        web::serve(addr, listener, metrics.clone(), trigger.method()).await?;
    }

    let fs_rx = watch_files(&options, &dirs, &metrics)?;
    tracing::info!(
        method = trigger.method(),
        cfg = ?options.config_file,
        out = ?options.config_envsubst_file,
        dirs = ?dirs,
        watch_secret = ?options.watch_secret,
        "started watching config file and directories for changes"
    );

    let mut state = State {
        applier,
        trigger,
        metrics,
        retry_interval: options.retry_interval,
        retry_at: None,
    };
    // The reference applies at once when it has a config file (and fails
    // to start when it cannot read it); with only directories, at the
    // first event or interval.
    if has_config {
        state.pass().await?;
    }
    state.watch(&options, fs_rx, api_rx, shutdown).await;
    Ok(())
}

struct State {
    applier: Applier,
    trigger: Trigger,
    metrics: Arc<Metrics>,
    retry_interval: Duration,
    retry_at: Option<Instant>,
}

impl State {
    /// Applies after file events (once they stop for --delay-interval),
    /// objects from the API server (at once), every --watch-interval, and
    /// when a failed reload is due again; until `shutdown`.
    async fn watch(
        &mut self,
        options: &Options,
        mut fs_rx: mpsc::UnboundedReceiver<usize>,
        mut api_rx: mpsc::UnboundedReceiver<usize>,
        shutdown: impl Future<Output = ()>,
    ) {
        let far = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let mut apply_at = far();
        // An object from the API server is applied at once, even if file
        // events arrive meanwhile.
        let mut api_due = false;
        let mut next_interval = Instant::now() + options.watch_interval;
        tokio::pin!(shutdown);
        loop {
            let retry_at = self.retry_at.unwrap_or_else(far);
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("Received SIGTERM, exiting gracefully...");
                    return;
                }
                Some(events) = fs_rx.recv() => {
                    Metrics::add(&self.metrics.watch_events, events as u64);
                    // Wait until the volume stops changing (the kubelet's
                    // update is several renames).
                    if !api_due {
                        apply_at = Instant::now() + options.delay_interval;
                    }
                    continue;
                }
                Some(_) = api_rx.recv() => {
                    // The API server sends whole objects: no need to wait.
                    apply_at = Instant::now();
                    api_due = true;
                    continue;
                }
                () = sleep_until(apply_at) => {}
                () = sleep_until(next_interval) => {}
                () = sleep_until(retry_at) => {}
            }
            apply_at = far();
            api_due = false;
            next_interval = Instant::now() + options.watch_interval;
            if let Err(error) = self.pass().await {
                Metrics::inc(&self.metrics.config_apply_operations_failed);
                tracing::error!(err = %error, "apply error");
            }
        }
    }

    /// Apply, and reload when something changed or the last reload
    /// failed. A failed reload is retried; a failed apply waits for the
    /// next event.
    async fn pass(&mut self) -> Result<(), apply::Error> {
        if !self.applier.ready() {
            tracing::info!("waiting for the config Secret");
            return Ok(());
        }
        let (seen, changed) = self.applier.prepare()?;
        if !changed {
            return Ok(());
        }
        self.retry_at = None;
        if let Err(error) = self.reload(seen).await {
            tracing::error!(err = %error, "Failed to trigger reload. Retrying.");
            self.retry_at = Some(Instant::now() + self.retry_interval);
        }
        Ok(())
    }

    async fn reload(&mut self, seen: Seen) -> Result<(), reload::Error> {
        let m = &self.metrics;
        Metrics::inc(&m.reloads);
        if let Err(error) = self.trigger.reload().await {
            Metrics::inc(&m.reloads_failed);
            Metrics::set(&m.last_reload_successful, 0);
            return Err(error);
        }
        self.applier.reloaded(seen);
        Metrics::set(&m.last_reload_successful, 1);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Metrics::set(&m.last_reload_success_timestamp_seconds, now);
        tracing::info!("Reload triggered");
        Ok(())
    }
}

/// inotify on the config file in file mode, and on the watched dirs in
/// both modes (a --watched-dir may be a volume of something not read from
/// the API) but for the ConfigMaps' directories, which only this process
/// writes.
fn watch_files(
    options: &Options,
    dirs: &[PathBuf],
    metrics: &Metrics,
) -> Result<mpsc::UnboundedReceiver<usize>, Error> {
    let written_by_us: Vec<&Path> = options
        .watch_configmaps
        .iter()
        .map(|c| c.dir.as_path())
        .collect();
    let mut watched: Vec<&Path> = dirs
        .iter()
        .map(|d| d.as_path())
        .filter(|d| !written_by_us.contains(d))
        .collect();
    if let (Some(file), false) = (&options.config_file, options.watch_secret.is_some()) {
        watched.push(file);
    }
    Metrics::set(&metrics.watches, watched.len() as u64);
    fs_events::watch(&watched).map_err(Error::Watch)
}

/// The config's source: the Secret (watch mode), the file, or none.
fn input_of(options: &Options) -> Input {
    if let Some((namespace, name)) = &options.watch_secret {
        Input::Latest {
            what: format!("Secret {namespace}/{name} key {}", options.watch_secret_key),
            value: Arc::new(Mutex::new(None)),
        }
    } else if let Some(file) = &options.config_file {
        Input::File(file.clone())
    } else {
        Input::None
    }
}

/// Until each of the `sources` has delivered its object at least once.
async fn wait_synced(sources: usize, api_rx: &mut mpsc::UnboundedReceiver<usize>) {
    let mut synced = vec![false; sources];
    while synced.contains(&false) {
        match api_rx.recv().await {
            Some(source) => synced[source] = true,
            None => return,
        }
    }
}

/// Starts a watch per object; returns how many (their source numbers).
fn start_api_watches(
    client: Client,
    options: &Options,
    input: &Input,
    changed: api_watch::Changed,
    metrics: &Arc<Metrics>,
) -> usize {
    let mut sources = 0;
    if let (Some(secret), Input::Latest { value, .. }) = (&options.watch_secret, input) {
        tokio::spawn(api_watch::secret(
            sources,
            client.clone(),
            secret.clone(),
            options.watch_secret_key.clone(),
            value.clone(),
            changed.clone(),
            metrics.clone(),
        ));
        sources += 1;
    }
    for target in &options.watch_configmaps {
        tokio::spawn(api_watch::configmap(
            sources,
            client.clone(),
            target.clone(),
            changed.clone(),
            metrics.clone(),
        ));
        sources += 1;
    }
    sources
}
