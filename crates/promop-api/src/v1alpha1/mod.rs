//! `monitoring.coreos.com/v1alpha1`.
pub mod alertmanager_config;
pub mod prometheus_agent;
pub mod scrape_config;

pub use alertmanager_config::{AlertmanagerConfig, AlertmanagerConfigSpec};
pub use prometheus_agent::{PrometheusAgent, PrometheusAgentSpec};
pub use scrape_config::{ScrapeConfig, ScrapeConfigSpec};
