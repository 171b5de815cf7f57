//! ScrapeConfig checks (`checkScrapeConfig` of the reference), in its order:
//! the scrape-level settings, then each service discovery, whose checks are
//! beside its generator (`prometheus/scrape_config/<name>_sd.rs`).
use promop_api::v1alpha1::ScrapeConfig;

use super::{Checked, Validator};
use crate::prometheus::scrape_config;

impl Validator<'_> {
    pub fn check_scrape_config(&self, scrape_config: &ScrapeConfig) -> Checked {
        let ns = scrape_config
            .metadata
            .namespace
            .as_deref()
            .unwrap_or_default();
        let spec = &scrape_config.spec;
        self.scrape_class(spec.scrape_class.as_ref(), "spec.scrapeClass")?;
        self.relabelings(spec.relabelings.as_ref(), "spec.relabelings")?;
        self.client_auth(ns, &spec.auth, "spec")?;
        self.safe_tls(ns, spec.tls_config.as_ref(), "spec.tlsConfig")?;
        self.interval_and_timeout(
            spec.scrape_interval.as_deref(),
            spec.scrape_timeout.as_deref(),
            "spec",
        )?;
        self.proxy(ns, &spec.proxy, "spec")?;
        self.relabelings(spec.metric_relabelings.as_ref(), "spec.metricRelabelings")?;
        for (i, config) in spec.static_configs.iter().flatten().enumerate() {
            self.static_labels(
                config.labels.as_ref(),
                &format!("spec.staticConfigs[{i}].labels"),
            )?;
        }

        scrape_config::check_all(self, ns, spec)
    }
}
