//! `yaml::to_string` against the real gopkg.in/yaml.v2 v2.4.0 `Marshal`:
//! the fixture's expected outputs were printed by testenv/yaml-oracle
//! (regenerate with testenv/yaml-oracle/regenerate.sh).
use promop_core::yaml::{self, Mapping, Node};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/yaml-emitter.json");

/// The oracle's value description: {"map":[[k,v],..]}, {"seq":[..]},
/// {"str":..}, {"int":..}, {"float":number or "inf"/"-inf"/"nan"/text},
/// {"bool":..}, {"null":true}.
fn node(desc: &Value) -> Node {
    let (kind, body) = desc
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("one-key object");
    match kind.as_str() {
        "map" => {
            let mut map = Mapping::new();
            for pair in body.as_array().expect("pairs") {
                map.insert(pair[0].as_str().expect("string key"), node(&pair[1]));
            }
            Node::Map(map)
        }
        "seq" => Node::Seq(body.as_array().expect("items").iter().map(node).collect()),
        "str" => Node::Str(body.as_str().expect("string").to_owned()),
        "int" => Node::Int(body.as_i64().expect("int64")),
        "float" => Node::Float(match body {
            Value::String(s) => match s.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                s => s.parse().expect("float text"),
            },
            n => n.as_f64().expect("float"),
        }),
        "bool" => Node::Bool(body.as_bool().expect("bool")),
        "null" => Node::Null,
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn matches_yaml_v2_on_every_fixture_case() {
    let cases: Vec<Value> = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    assert!(
        cases.len() > 1000,
        "fixture unexpectedly small: {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let expected = case["expected"].as_str().expect("expected string");
        let actual = yaml::to_string(&node(&case["input"]));
        if actual != expected {
            failures.push(format!(
                "input: {}\nexpected: {expected:?}\nactual:   {actual:?}",
                case["input"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from yaml.v2:\n\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// A YAML value as read back by serde-saphyr (its own type inference).
#[derive(Debug)]
enum Parsed {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Parsed>),
    Map(Vec<(Parsed, Parsed)>),
}

impl<'de> serde::Deserialize<'de> for Parsed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Parsed;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Parsed, E> {
                Ok(Parsed::Null)
            }
            fn visit_none<E>(self) -> Result<Parsed, E> {
                Ok(Parsed::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Parsed, E> {
                Ok(Parsed::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Parsed, E> {
                Ok(Parsed::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Parsed, E> {
                Ok(Parsed::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Parsed, E> {
                Ok(Parsed::Int(v))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Parsed, E> {
                i128::try_from(v).map(Parsed::Int).map_err(E::custom)
            }
            fn visit_f64<E>(self, v: f64) -> Result<Parsed, E> {
                Ok(Parsed::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Parsed, E> {
                Ok(Parsed::Str(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Parsed, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Parsed::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Parsed, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Parsed::Map(entries))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Whether `parsed` is `node` read back. Numbers compare by value, since
/// yaml.v2 prints an integral float without a fraction ("1"), which reads
/// back as an integer.
fn same(node: &Node, parsed: &Parsed) -> bool {
    match (node, parsed) {
        (Node::Null, Parsed::Null) => true,
        (Node::Bool(a), Parsed::Bool(b)) => a == b,
        (Node::Int(a), Parsed::Int(b)) => i128::from(*a) == *b,
        (Node::Float(a), Parsed::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
        (Node::Float(a), Parsed::Int(b)) => *a == *b as f64,
        (Node::Str(a), Parsed::Str(b)) => a == b,
        (Node::Seq(a), Parsed::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(n, p)| same(n, p))
        }
        (Node::Map(a), Parsed::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((k, v), (pk, pv))| same(&Node::Str(k.to_owned()), pk) && same(v, pv))
        }
        _ => false,
    }
}

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    /// Strings rich in what changes the scalar style: indicators, quotes,
    /// breaks, tabs, non-ASCII and long space-separated runs (folding).
    /// U+2028/U+2029 are left out: yaml.v2 (YAML 1.1) writes them raw as line
    /// breaks, which a YAML 1.2 reader such as serde-saphyr keeps as content
    /// along with the next line's indentation (the fixture covers them).
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 :#'\"\\\\!&*?|>%@,\\[\\]{}.~+_\t\n\r\u{a0}\u{e9}\u{1F600}\u{85}-]{0,30}",
            "([a-z:#'\"*-]{1,12}[ \n]{1,2}){5,25}",
            "(true|false|yes|no|null|~|[0-9]{1,4}|0x1F|1e3|\\.5|1:20|2001-12-14)",
        ]
    }

    fn tree() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            Just(Node::Null),
            any::<bool>().prop_map(Node::Bool),
            any::<i64>().prop_map(Node::Int),
            any::<f64>().prop_map(Node::Float),
            text().prop_map(Node::Str),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Seq),
                prop::collection::vec((text(), inner), 0..5).prop_map(|entries| {
                    // Distinct keys: readers reject duplicates.
                    let mut map = Mapping::new();
                    for (k, v) in entries {
                        if map.get(&k).is_none() {
                            map.insert(k, v);
                        }
                    }
                    Node::Map(map)
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn emitted_yaml_reads_back_as_the_same_value(node in tree()) {
            let yaml = yaml::to_string(&node);
            let parsed: Parsed = serde_saphyr::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert!(same(&node, &parsed), "{node:?}\nprinted as\n{yaml}\nread back as {parsed:?}");
        }
    }
}
