//! `otlp`: how the OTLP receiver translates metric and resource attribute
//! names.
use promop_api::common::NameValidationScheme;
use promop_api::v1::prometheus::{OtlpConfig, TranslationStrategyOption};

use super::version::{Feature, needs};
use super::{Context, RejectedObject};
use crate::yaml::Mapping;

/// Appends `otlp` when the workload configures the receiver; settings the
/// version ignores are skipped, combinations it rejects are errors.
pub(crate) fn append(cfg: &mut Mapping, ctx: &Context<'_>) -> Result<(), RejectedObject> {
    let common = ctx.workload.common();
    let Some(otlp) = &common.otlp else {
        return Ok(());
    };
    validate(ctx, otlp, common.name_validation_scheme)?;
    let version = &ctx.version;
    let non_empty = |list: &Option<Vec<String>>| list.clone().filter(|l| !l.is_empty());

    let mut m = Mapping::new();
    m.insert_opt(
        "promote_resource_attributes",
        non_empty(&otlp.promote_resource_attributes),
    );
    let settings = [
        (
            Feature::OtlpTranslationStrategy,
            "translation_strategy",
            otlp.translation_strategy
                .map(|s| crate::yaml::Node::from(strategy_name(s))),
        ),
        (
            Feature::OtlpKeepIdentifyingResourceAttributes,
            "keep_identifying_resource_attributes",
            otlp.keep_identifying_resource_attributes.map(Into::into),
        ),
        (
            Feature::OtlpConvertHistogramsToNhcb,
            "convert_histograms_to_nhcb",
            otlp.convert_histograms_to_nhcb.map(Into::into),
        ),
        (
            Feature::OtlpPromoteAllResourceAttributes,
            "promote_all_resource_attributes",
            otlp.promote_all_resource_attributes.map(Into::into),
        ),
        (
            Feature::OtlpPromoteAllResourceAttributes,
            "ignore_resource_attributes",
            non_empty(&otlp.ignore_resource_attributes).map(Into::into),
        ),
        (
            Feature::OtlpPromoteScopeMetadata,
            "promote_scope_metadata",
            otlp.promote_scope_metadata.map(Into::into),
        ),
        (
            Feature::OtlpLabelNameSanitization,
            "label_name_underscore_sanitization",
            otlp.label_name_underscore_sanitization.map(Into::into),
        ),
        (
            Feature::OtlpLabelNameSanitization,
            "label_name_preserve_multiple_underscores",
            otlp.label_name_preserve_multiple_underscores
                .map(Into::into),
        ),
    ];
    for (feature, key, value) in settings {
        if version.supports(feature) {
            m.insert_opt(key, value);
        }
    }
    if !m.is_empty() {
        cfg.insert("otlp", m);
    }
    Ok(())
}

fn validate(
    ctx: &Context<'_>,
    otlp: &OtlpConfig,
    scheme: Option<NameValidationScheme>,
) -> Result<(), RejectedObject> {
    let version = &ctx.version;
    let invalid = |m: String| Err(RejectedObject::invalid(&ctx.workload, "spec.otlp", m));
    let too_old = |kind| RejectedObject::invalid(&ctx.workload, "spec.otlp", kind);
    needs(version, Feature::Otlp, |min| {
        format!("OTLP configuration is only supported from Prometheus {min}")
    })
    .map_err(too_old)?;
    let strategy = otlp.translation_strategy;
    if strategy == Some(TranslationStrategyOption::NoUtf8EscapingWithSuffixes)
        && scheme == Some(NameValidationScheme::Legacy)
    {
        return invalid(
            "nameValidationScheme \"Legacy\" is not compatible with translation strategy \"NoUTF8EscapingWithSuffixes\"".into(),
        );
    }
    for (option, feature) in [
        (
            TranslationStrategyOption::NoTranslation,
            Feature::OtlpNoTranslation,
        ),
        (
            TranslationStrategyOption::UnderscoreEscapingWithoutSuffixes,
            Feature::OtlpUnderscoreEscapingWithoutSuffixes,
        ),
    ] {
        if strategy == Some(option) {
            needs(version, feature, |min| {
                format!(
                    "translation strategy {:?} is only supported from Prometheus {min}",
                    strategy_name(option)
                )
            })
            .map_err(too_old)?;
        }
    }
    // The reference checks the attribute options only from 3.5.
    if version.supports(Feature::OtlpPromoteAllResourceAttributes) {
        let promote_all = otlp.promote_all_resource_attributes == Some(true);
        let has = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| !l.is_empty());
        if promote_all && has(&otlp.promote_resource_attributes) {
            return invalid(
                "'promoteAllResourceAttributes' cannot be set to 'true' simultaneously with 'promoteResourceAttributes'".into(),
            );
        }
        if !promote_all && has(&otlp.ignore_resource_attributes) {
            return invalid(
                "'ignoreResourceAttributes' can only be set when 'promoteAllResourceAttributes' is true".into(),
            );
        }
    }
    Ok(())
}

fn strategy_name(s: TranslationStrategyOption) -> &'static str {
    match s {
        TranslationStrategyOption::NoUtf8EscapingWithSuffixes => "NoUTF8EscapingWithSuffixes",
        TranslationStrategyOption::UnderscoreEscapingWithSuffixes => {
            "UnderscoreEscapingWithSuffixes"
        }
        TranslationStrategyOption::NoTranslation => "NoTranslation",
        TranslationStrategyOption::UnderscoreEscapingWithoutSuffixes => {
            "UnderscoreEscapingWithoutSuffixes"
        }
    }
}
