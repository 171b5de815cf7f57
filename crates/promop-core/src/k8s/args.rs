//! Command-line flags of generated containers, and the user's
//! `additionalArgs` appended after them.
use promop_api::v1::workload::Argument;

/// A flag with a value (`--name=value`).
pub fn flag(name: &str, value: impl Into<String>) -> Argument {
    Argument {
        name: name.to_owned(),
        value: Some(value.into()),
    }
}

/// A flag without value (`--name`).
pub fn switch(name: &str) -> Argument {
    Argument {
        name: name.to_owned(),
        value: None,
    }
}

/// Why additional arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("can't set arguments which are already managed by the operator: {}", .0.join(","))]
pub struct ManagedArguments(pub Vec<String>);

/// The generated flags followed by the additional ones, as container
/// arguments. An additional flag may not repeat a generated one, nor negate
/// it (`no-x` against `x` and the other way round).
pub fn build(
    generated: &[Argument],
    additional: &[Argument],
) -> Result<Vec<String>, ManagedArguments> {
    let managed = |name: &str| generated.iter().any(|a| a.name == name);
    let clashes: Vec<String> = additional
        .iter()
        .filter_map(|a| {
            if managed(&a.name) {
                return Some(a.name.clone());
            }
            let negated = match a.name.strip_prefix("no-") {
                Some(positive) => positive.to_owned(),
                None => format!("no-{}", a.name),
            };
            managed(&negated).then_some(negated)
        })
        .collect();
    if !clashes.is_empty() {
        return Err(ManagedArguments(clashes));
    }
    Ok(generated
        .iter()
        .chain(additional)
        .map(|a| match a.value.as_deref().filter(|v| !v.is_empty()) {
            Some(value) => format!("--{}={value}", a.name),
            None => format!("--{}", a.name),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additional_flags_follow_and_may_not_override_or_negate() {
        let generated = [flag("config.file", "/c"), switch("web.enable-lifecycle")];
        assert_eq!(
            build(&generated, &[flag("query.timeout", "1m"), switch("x")]).unwrap(),
            [
                "--config.file=/c",
                "--web.enable-lifecycle",
                "--query.timeout=1m",
                "--x"
            ]
        );
        assert_eq!(
            build(
                &generated,
                &[flag("config.file", "/d"), switch("no-web.enable-lifecycle")]
            ),
            Err(ManagedArguments(vec![
                "config.file".into(),
                "web.enable-lifecycle".into()
            ]))
        );
    }
}
