//! `$(VAR)` expansion, the Kubernetes syntax the reference's reloader
//! expands in the config (`$VAR` and `${VAR}` are left alone: Prometheus
//! configs use `$1` in relabelings). The operator runs it tolerant of
//! unset variables: they stay as written, and are counted.
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::bytes::{Captures, Regex};

/// Set by the reloader from the trailing digits of another variable
/// (--statefulset-ordinal-from-envvar, POD_NAME by default).
pub const ORDINAL_VAR: &str = "STATEFULSET_ORDINAL_NUMBER";

/// The variables a config may reference: the process environment plus
/// STATEFULSET_ORDINAL_NUMBER (kept here rather than in the process
/// environment, which cannot be changed safely once threads run).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    pub fn from_process(ordinal_from: &str) -> Self {
        Self::new(std::env::vars(), ordinal_from)
    }

    pub fn new(vars: impl IntoIterator<Item = (String, String)>, ordinal_from: &str) -> Self {
        let mut vars: HashMap<String, String> = vars.into_iter().collect();
        // An unset source gives an empty (but set) ordinal, as the reference.
        let ordinal = vars
            .get(ordinal_from)
            .map(|v| trailing_digits(v).to_owned())
            .unwrap_or_default();
        vars.insert(ORDINAL_VAR.to_owned(), ordinal);
        Self { vars }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

fn trailing_digits(text: &str) -> &str {
    let digits = text.bytes().rev().take_while(u8::is_ascii_digit).count();
    &text[text.len() - digits..]
}

/// The expanded bytes and the names of the unset variables left as written.
#[derive(Debug, PartialEq, Eq)]
pub struct Expanded {
    pub bytes: Vec<u8>,
    pub unset: Vec<String>,
}

pub fn expand(input: &[u8], env: &Environment) -> Expanded {
    static VAR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\$\(([a-zA-Z_0-9]+)\)").expect("static regex"));
    let mut unset = Vec::new();
    let bytes = VAR.replace_all(input, |c: &Captures<'_>| {
        // The pattern only matches ASCII names.
        let name = String::from_utf8_lossy(&c[1]).into_owned();
        match env.get(&name) {
            Some(value) => value.as_bytes().to_vec(),
            None => {
                unset.push(name);
                c[0].to_vec()
            }
        }
    });
    Expanded {
        bytes: bytes.into_owned(),
        unset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::new(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            "POD_NAME",
        )
    }

    #[test]
    fn expands_only_the_kubernetes_syntax() {
        let e = env(&[("POD_NAME", "prometheus-k8s-12"), ("EMPTY", "")]);
        let out = expand(
            b"replica: $(POD_NAME)\nshard: '$(STATEFULSET_ORDINAL_NUMBER)'\nx: $(EMPTY)|$POD_NAME|${POD_NAME}|$1|$(a-b)|$()",
            &e,
        );
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            "replica: prometheus-k8s-12\nshard: '12'\nx: |$POD_NAME|${POD_NAME}|$1|$(a-b)|$()"
        );
        assert!(out.unset.is_empty());
    }

    #[test]
    fn unset_variables_stay_and_are_counted() {
        let out = expand(
            b"a: $(NOPE) b: $(NOPE) c: $(SHARD)",
            &env(&[("SHARD", "1")]),
        );
        assert_eq!(out.bytes, b"a: $(NOPE) b: $(NOPE) c: 1");
        assert_eq!(out.unset, ["NOPE", "NOPE"]);
    }

    #[test]
    fn ordinal_is_empty_without_digits_or_source() {
        let out = expand(
            b"$(STATEFULSET_ORDINAL_NUMBER)",
            &env(&[("POD_NAME", "web")]),
        );
        assert_eq!(out.bytes, b"");
        let out = expand(b"$(STATEFULSET_ORDINAL_NUMBER)", &env(&[]));
        assert_eq!(out.bytes, b"");
        assert!(out.unset.is_empty());
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let out = expand(b"\xff$(X)\xfe", &env(&[("X", "y")]));
        assert_eq!(out.bytes, b"\xffy\xfe");
    }
}
