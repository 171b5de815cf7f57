//! A generated configuration: its sections in the reference's order, with
//! the scrape jobs kept per config object, either built in this generation
//! or reused from a [`Memo`](super::memo::Memo) already emitted.
use std::borrow::Cow;
use std::sync::Arc;

use super::memo::EmittedJobs;
use crate::yaml::{self, Mapping, Node};

/// The jobs of one config object (or of the additional scrape configs).
#[derive(Debug)]
pub(crate) enum ObjectJobs {
    Built(Vec<Node>),
    Emitted(Arc<EmittedJobs>),
}

/// A part of the configuration's text: text, or jobs still to emit.
enum Part<'a> {
    Text(Cow<'a, str>),
    Built(&'a [Node]),
}

/// The configuration of a Prometheus or PrometheusAgent.
#[derive(Debug)]
pub struct GeneratedConfig {
    /// The sections before `scrape_configs` (`global` first), a mapping.
    head: Node,
    jobs: Vec<ObjectJobs>,
    /// The sections after `scrape_configs`, a mapping.
    tail: Node,
}

impl GeneratedConfig {
    pub(crate) fn new(head: Mapping, jobs: Vec<ObjectJobs>, tail: Mapping) -> Self {
        Self {
            head: Node::Map(head),
            jobs,
            tail: Node::Map(tail),
        }
    }

    /// `prometheus.yaml`, as `yaml::to_string` prints the whole tree.
    pub fn text(&self) -> String {
        let emitted: usize = (self.jobs.iter())
            .map(|jobs| match jobs {
                ObjectJobs::Emitted(emitted) => emitted.text.len(),
                ObjectJobs::Built(_) => 0,
            })
            .sum();
        // Tens of MB at scale: sized for the kept jobs at least, and built
        // jobs (`render` has only those) emitted straight into it.
        let mut out = String::with_capacity(emitted + 4096);
        self.each_part(|part| match part {
            Part::Text(text) => out.push_str(&text),
            Part::Built(nodes) => yaml::push_sequence(&mut out, nodes),
        });
        out
    }

    /// [`GeneratedConfig::text`] in parts, the kept jobs' texts borrowed
    /// (the operator compresses them without joining them).
    pub fn text_parts(&self) -> Vec<Cow<'_, str>> {
        let mut parts = Vec::new();
        self.each_part(|part| {
            parts.push(match part {
                Part::Text(text) => text,
                Part::Built(nodes) => {
                    let mut text = String::new();
                    yaml::push_sequence(&mut text, nodes);
                    Cow::Owned(text)
                }
            })
        });
        parts
    }

    /// The text's parts in order, to `f`.
    fn each_part<'a>(&'a self, mut f: impl FnMut(Part<'a>)) {
        f(Part::Text(Cow::Owned(section_text(&self.head))));
        if self.jobs.iter().all(ObjectJobs::is_empty) {
            f(Part::Text(Cow::Borrowed("scrape_configs: []\n")));
        } else {
            f(Part::Text(Cow::Borrowed("scrape_configs:\n")));
            for jobs in &self.jobs {
                f(match jobs {
                    ObjectJobs::Built(nodes) => Part::Built(nodes),
                    ObjectJobs::Emitted(emitted) => Part::Text(Cow::Borrowed(&emitted.text)),
                });
            }
        }
        f(Part::Text(Cow::Owned(section_text(&self.tail))));
    }

    /// The whole configuration as one tree; `None` when jobs were reused
    /// from a memo (only the operator keeps one, and it needs the text).
    pub fn tree(&self) -> Option<Node> {
        let mut jobs = Vec::new();
        for object in &self.jobs {
            match object {
                ObjectJobs::Built(nodes) => jobs.extend(nodes.iter().cloned()),
                ObjectJobs::Emitted(_) => return None,
            }
        }
        let mut cfg = Mapping::new();
        let sections = |node: &Node| match node {
            Node::Map(map) => map.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect(),
            _ => Vec::new(),
        };
        for (key, value) in sections(&self.head) {
            cfg.insert(key, value);
        }
        cfg.insert("scrape_configs", jobs);
        for (key, value) in sections(&self.tail) {
            cfg.insert(key, value);
        }
        Some(Node::Map(cfg))
    }

    /// What the TLS assets scan reads, in parts: the sections and the jobs
    /// (of reused ones, the entries that name TLS assets).
    pub fn asset_parts(&self) -> Vec<&Node> {
        let mut parts = vec![&self.head, &self.tail];
        for jobs in &self.jobs {
            match jobs {
                ObjectJobs::Built(nodes) => parts.extend(nodes),
                ObjectJobs::Emitted(emitted) => parts.push(&emitted.assets),
            }
        }
        parts
    }
}

impl ObjectJobs {
    fn is_empty(&self) -> bool {
        match self {
            ObjectJobs::Built(nodes) => nodes.is_empty(),
            ObjectJobs::Emitted(emitted) => emitted.text.is_empty(),
        }
    }
}

/// Top-level sections as `yaml::to_string` prints them within the whole
/// document (nothing for none).
fn section_text(sections: &Node) -> String {
    match sections {
        Node::Map(map) if map.is_empty() => String::new(),
        other => yaml::to_string(other),
    }
}
