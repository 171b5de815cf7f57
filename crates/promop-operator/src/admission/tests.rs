use super::*;

fn request(resource: &str, version: &str, object: Value) -> Value {
    json!({
        "apiVersion": REVIEW_VERSION,
        "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "resource": {"group": GROUP, "version": version, "resource": resource},
            "namespace": "ns",
            "name": "r",
            "object": object,
        },
    })
}

fn rule(expr: &str) -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "r", "namespace": "ns"},
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": expr, "labels": {"n": 3}}]}]},
    })
}

fn answer(webhook: Webhook, review_: &Value) -> Value {
    review(webhook, &Options::default(), review_).unwrap().0
}

#[test]
fn a_denial_is_an_invalid_status_with_the_uid_and_a_cause() {
    let object = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "r", "namespace": "ns"},
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "sum("}]}]}});
    let out = answer(
        Webhook::PrometheusRulesValidate,
        &request("prometheusrules", "v1", object),
    );
    let response = &out["response"];
    assert_eq!(out["kind"], "AdmissionReview");
    assert_eq!(response["uid"], "u-1");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 422);
    assert_eq!(response["status"]["reason"], "Invalid");
    assert_eq!(
        response["status"]["details"]["causes"][0]["field"],
        "spec.groups[0].rules[0].expr"
    );
}

#[test]
fn the_mutation_is_a_base64_json_patch() {
    let out = answer(
        Webhook::PrometheusRulesMutate,
        &request("prometheusrules", "v1", rule("up")),
    );
    let response = &out["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    let patch: Value = serde_json::from_slice(&patch).unwrap();
    assert_eq!(patch[0]["path"], "/spec/groups/0/rules/0/labels/n");
    assert_eq!(patch[0]["value"], "3");
}

#[test]
fn another_resource_is_denied() {
    let out = answer(
        Webhook::PrometheusRulesValidate,
        &request("alertmanagerconfigs", "v1alpha1", rule("up")),
    );
    assert_eq!(out["response"]["allowed"], false);
    let amc = json!({"apiVersion": "monitoring.coreos.com/v1beta1", "kind": "AlertmanagerConfig",
        "metadata": {"name": "c", "namespace": "ns"}, "spec": {}});
    let out = answer(
        Webhook::AlertmanagerConfigsValidate,
        &request("alertmanagerconfigs", "v1beta1", amc),
    );
    assert_eq!(out["response"]["allowed"], true);
}

#[test]
fn a_review_of_another_kind_is_a_bad_request() {
    let bad = json!({"apiVersion": "v1", "kind": "Status"});
    let err = review(Webhook::PrometheusRulesValidate, &Options::default(), &bad).unwrap_err();
    assert_eq!(err.0, StatusCode::BAD_REQUEST);
}

#[test]
fn flags_parse_like_the_reference() {
    let features = parse_promql_options("experimental-functions, binop-fill-modifiers").unwrap();
    assert!(features.experimental_functions && features.binop_fill_modifiers);
    assert_eq!(
        parse_promql_options("").unwrap(),
        promql::Features::default()
    );
    assert!(parse_promql_options("nope").is_err());
    assert_eq!(
        parse_name_validation_scheme("utf8"),
        Ok(NameValidationScheme::Utf8)
    );
    assert!(parse_name_validation_scheme("UTF8").is_err());
}
