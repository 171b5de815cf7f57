//! `additionalScrapeConfigs`: jobs written by the user in a Secret, appended
//! as they are; with several shards, their targets are sharded too unless
//! their own rules already hash them.
use super::super::{Context, RejectedObject, secret_yaml, sharding};
use crate::yaml::{Mapping, Node};

const FIELD: &str = "spec.additionalScrapeConfigs";

pub(crate) fn jobs(ctx: &Context<'_>) -> Result<Vec<Node>, RejectedObject> {
    let text = secret_yaml::load(
        ctx,
        FIELD,
        ctx.workload.common().additional_scrape_configs.as_ref(),
    )?;
    let jobs = secret_yaml::parse_list(ctx, FIELD, text.as_deref())?;
    if ctx.workload.is_daemon_set() || ctx.shards == 1 {
        return Ok(jobs.into_iter().map(Node::Map).collect());
    }
    jobs.into_iter().map(|job| sharded(ctx, job)).collect()
}

/// The job with `relabel_configs` moved last and the sharding rules added.
fn sharded(ctx: &Context<'_>, job: Mapping) -> Result<Node, RejectedObject> {
    let mut out = Mapping::new();
    let mut relabelings = Vec::new();
    for (key, value) in job.iter() {
        if key != "relabel_configs" {
            out.insert(key, value.clone());
            continue;
        }
        match value {
            Node::Seq(rules) if rules.iter().all(|r| matches!(r, Node::Map(_))) => {
                relabelings.extend(rules.iter().cloned());
            }
            _ => {
                return Err(RejectedObject::invalid(
                    &ctx.workload,
                    FIELD,
                    "error parsing relabel configs",
                ));
            }
        }
    }
    if !sharding::has_hashmod(&relabelings) {
        sharding::append(&mut relabelings, ctx, "__address__");
    }
    out.insert("relabel_configs", relabelings);
    Ok(Node::Map(out))
}
