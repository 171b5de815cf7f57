use std::io::IsTerminal;

use clap::Parser;
use orders_service::Service;
use orders_service::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let filter = EnvFilter::try_new(&config.log_level)?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match config.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    config.validate().map_err(anyhow::Error::msg)?;
    let service = Service::bind(&config).await?;
    service.run(orders_service::shutdown_signal()).await?;
    Ok(())
}
