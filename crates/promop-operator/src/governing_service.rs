//! A custom governing Service (`spec.serviceName`): the user's Service must
//! exist in the workload's namespace and select its pods, else the
//! reconcile fails, as in the reference (the StatefulSet's pods would get
//! no DNS names). The Service is read when the workload is reconciled; it
//! is not cached (few workloads name one).
use k8s_openapi::api::core::v1::Service;
use kube::{Api, Client};
use promop_core::k8s::metadata::Labels;

use crate::error::Error;

/// Checks the Service `namespace/name` against the pods' `selector` labels.
pub(crate) async fn verify(
    client: &Client,
    namespace: &str,
    name: &str,
    selector: &Labels,
) -> Result<(), Error> {
    let api: Api<Service> = Api::namespaced(client.clone(), namespace);
    let service = match api.get_opt(name).await {
        Ok(service) => service,
        Err(e) => {
            return Err(Error::GoverningService(format!(
                "failed to get custom governing service {namespace}/{name}: {e}"
            )));
        }
    };
    check(namespace, name, service.as_ref(), selector).map_err(Error::GoverningService)
}

/// Why the Service does not govern pods labelled `selector`, in the
/// reference's words.
fn check(
    namespace: &str,
    name: &str,
    service: Option<&Service>,
    selector: &Labels,
) -> Result<(), String> {
    let Some(service) = service else {
        return Err(format!(
            "failed to get custom governing service {namespace}/{name}: services \"{name}\" not found"
        ));
    };
    let wanted = service
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    // An empty selector selects every pod.
    if wanted.iter().all(|(k, v)| selector.get(k) == Some(v)) {
        return Ok(());
    }
    let text = |labels: &Labels| {
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    Err(format!(
        "custom governing service {namespace}/{name} with selector {:?} does not select pods with labels {:?}",
        text(&wanted),
        text(selector)
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::ServiceSpec;

    use super::*;

    fn service(selector: &[(&str, &str)]) -> Service {
        Service {
            spec: Some(ServiceSpec {
                selector: Some(
                    selector
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                ),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }

    #[test]
    fn the_service_must_exist_and_select_the_pods() {
        let pods: Labels = BTreeMap::from([
            (
                "app.kubernetes.io/name".to_owned(),
                "thanos-ruler".to_owned(),
            ),
            ("thanos-ruler".to_owned(), "bad".to_owned()),
        ]);
        let good = service(&[("thanos-ruler", "bad")]);
        assert_eq!(check("ns", "svc", Some(&good), &pods), Ok(()));
        assert_eq!(check("ns", "svc", Some(&service(&[])), &pods), Ok(()));
        // The reference's message (tr-svc/custom-service-name in the corpus).
        assert_eq!(
            check("ns", "svc", Some(&service(&[("app", "other")])), &pods),
            Err(
                "custom governing service ns/svc with selector \"app=other\" does not select \
                 pods with labels \"app.kubernetes.io/name=thanos-ruler,thanos-ruler=bad\""
                    .to_owned()
            )
        );
        let missing = check("ns", "svc", None, &pods).unwrap_err();
        assert!(
            missing.starts_with("failed to get custom governing service ns/svc"),
            "{missing}"
        );
    }
}
