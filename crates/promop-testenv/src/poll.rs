//! Waiting for what an operator writes: tests poll the API server until an
//! object looks as expected.
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// How often [`until`] asks again.
const INTERVAL: Duration = Duration::from_millis(200);

/// Polls `check` until it returns `Some`, failing with `what` after
/// `timeout`; an error of `check` ends the wait at once.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if start.elapsed() > timeout {
            bail!("after {timeout:?}: {what}");
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
