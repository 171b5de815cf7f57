//! The shape of the configuration the reference writes: its own Go structs
//! (pkg/alertmanager/types.go) marshalled by yaml.v2. Each struct is a table
//! of fields in declaration order with its `omitempty` rule; [`shape`] puts
//! any tree (parsed from a user's Secret or built from AlertmanagerConfigs)
//! in that order, drops what yaml.v2 would omit and refuses unknown fields,
//! like `yaml.UnmarshalStrict` followed by `yaml.Marshal`.
use super::duration;
use crate::select::reasons::RejectionKind;
use crate::yaml::{Mapping, Node};

/// How a field is typed in the reference's struct.
#[derive(Debug)]
pub enum Ty {
    Str,
    Bool,
    Int,
    /// `model.Duration`: parsed, printed in its canonical form.
    Duration,
    /// `config.HostPort`: `host:port`.
    HostPort,
    /// `any` / `map[string]any`: kept, maps printed with sorted keys.
    Any,
    /// `map[string]string` (sorted keys).
    StrMap,
    /// `map[string][]string` (sorted keys).
    StrSeqMap,
    Seq(&'static Ty),
    /// A sequence tagged `flow`.
    FlowSeq(&'static Ty),
    Struct(&'static Struct),
    /// A sequence of structs.
    Structs(&'static Struct),
}

#[derive(Debug)]
pub struct Struct {
    /// The Go type name, for errors.
    pub name: &'static str,
    pub fields: &'static [Field],
}

/// When yaml.v2 leaves a field out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Omit {
    /// `omitempty` on a value: zero values ("", 0, false, empty) go.
    Empty,
    /// `omitempty` on a pointer: only an unset field goes.
    Nil,
    /// No `omitempty` on a value: an unset field prints its zero value.
    Never,
    /// No `omitempty` on a pointer: an unset field prints `null`.
    NeverNull,
}

#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub ty: Ty,
    pub omit: Omit,
}

const fn f(key: &'static str, ty: Ty, omit: Omit) -> Field {
    Field { key, ty, omit }
}

use Omit::{Empty, Never, NeverNull, Nil};
use Ty::{Any, Bool, Duration, HostPort, Int, Seq, Str, StrMap, StrSeqMap};

mod receivers;
pub use receivers::*;

const fn s(key: &'static str) -> Field {
    f(key, Str, Empty)
}
const fn st(key: &'static str, def: &'static Struct, omit: Omit) -> Field {
    f(key, Ty::Struct(def), omit)
}
const fn seq(key: &'static str, def: &'static Struct) -> Field {
    f(key, Ty::Structs(def), Empty)
}
const fn send_resolved() -> Field {
    f("send_resolved", Bool, Nil)
}
const fn http_config() -> Field {
    st("http_config", &HTTP_CLIENT_CONFIG, Nil)
}

pub static CONFIG: Struct = Struct {
    name: "alertmanagerConfig",
    fields: &[
        st("global", &GLOBAL, Nil),
        st("route", &ROUTE, Nil),
        seq("inhibit_rules", &INHIBIT_RULE),
        seq("receivers", &RECEIVER),
        seq("mute_time_intervals", &TIME_INTERVAL),
        seq("time_intervals", &TIME_INTERVAL),
        f("templates", Seq(&Str), Never),
    ],
};

pub static GLOBAL: Struct = Struct {
    name: "globalConfig",
    fields: &[
        f("resolve_timeout", Duration, Nil),
        http_config(),
        s("smtp_from"),
        s("smtp_hello"),
        f("smtp_smarthost", HostPort, Empty),
        s("smtp_auth_username"),
        s("smtp_auth_password"),
        s("smtp_auth_password_file"),
        s("smtp_auth_secret"),
        s("smtp_auth_secret_file"),
        s("smtp_auth_identity"),
        f("smtp_require_tls", Bool, Nil),
        st("smtp_tls_config", &TLS_CONFIG, Nil),
        f("smtp_force_implicit_tls", Bool, Nil),
        f("slack_api_url", Str, Nil),
        s("slack_api_url_file"),
        f("pagerduty_url", Str, Nil),
        f("hipchat_api_url", Str, Nil),
        s("hipchat_auth_token"),
        f("opsgenie_api_url", Str, Nil),
        s("opsgenie_api_key"),
        s("opsgenie_api_key_file"),
        f("wechat_api_url", Str, Nil),
        s("wechat_api_secret"),
        s("wechat_api_corp_id"),
        f("victorops_api_url", Str, Nil),
        s("victorops_api_key"),
        s("victorops_api_key_file"),
        f("telegram_api_url", Str, Nil),
        s("telegram_bot_token"),
        s("telegram_bot_token_file"),
        f("webex_api_url", Str, Nil),
        f("jira_api_url", Str, Nil),
        f("rocketchat_api_url", Str, Nil),
        s("rocketchat_token"),
        s("rocketchat_token_file"),
        s("rocketchat_token_id"),
        s("rocketchat_token_id_file"),
        s("slack_app_token"),
        s("slack_app_token_file"),
        f("slack_app_url", Str, Nil),
        s("wechat_api_secret_file"),
        f("mattermost_webhook_url", Str, Nil),
        s("mattermost_webhook_url_file"),
    ],
};

pub static ROUTE: Struct = Struct {
    name: "route",
    fields: &[
        s("receiver"),
        f("group_by", Seq(&Str), Empty),
        f("match", StrMap, Empty),
        f("match_re", StrMap, Empty),
        f("matchers", Seq(&Str), Empty),
        f("continue", Bool, Empty),
        seq("routes", &ROUTE),
        s("group_wait"),
        s("group_interval"),
        s("repeat_interval"),
        f("mute_time_intervals", Seq(&Str), Empty),
        f("active_time_intervals", Seq(&Str), Empty),
    ],
};

pub static INHIBIT_RULE: Struct = Struct {
    name: "inhibitRule",
    fields: &[
        f("target_match", StrMap, Empty),
        f("target_match_re", StrMap, Empty),
        f("target_matchers", Seq(&Str), Empty),
        f("source_match", StrMap, Empty),
        f("source_match_re", StrMap, Empty),
        f("source_matchers", Seq(&Str), Empty),
        f("equal", Seq(&Str), Empty),
    ],
};

pub static TIME_INTERVAL: Struct = Struct {
    name: "timeInterval",
    fields: &[
        f("name", Str, Never),
        f("time_intervals", Ty::Structs(&TIME_INTERVAL_SPEC), Never),
    ],
};

/// `timeinterval.TimeInterval`.
pub static TIME_INTERVAL_SPEC: Struct = Struct {
    name: "TimeInterval",
    fields: &[
        seq("times", &TIME_RANGE),
        f("weekdays", Ty::FlowSeq(&Str), Empty),
        f("days_of_month", Ty::FlowSeq(&Str), Empty),
        f("months", Ty::FlowSeq(&Str), Empty),
        f("years", Ty::FlowSeq(&Str), Empty),
        f("location", Str, Nil),
    ],
};

pub static TIME_RANGE: Struct = Struct {
    name: "TimeRange",
    fields: &[f("start_time", Str, Never), f("end_time", Str, Never)],
};

pub static RECEIVER: Struct = Struct {
    name: "receiver",
    fields: &[
        f("name", Str, Never),
        seq("opsgenie_configs", &OPSGENIE),
        seq("pagerduty_configs", &PAGERDUTY),
        seq("slack_configs", &SLACK),
        seq("webhook_configs", &WEBHOOK),
        seq("wechat_configs", &WECHAT),
        seq("email_configs", &EMAIL),
        seq("pushover_configs", &PUSHOVER),
        seq("victorops_configs", &VICTOROPS),
        seq("sns_configs", &SNS),
        seq("telegram_configs", &TELEGRAM),
        seq("discord_configs", &DISCORD),
        seq("webex_configs", &WEBEX),
        seq("msteams_configs", &MSTEAMS),
        seq("msteamsv2_configs", &MSTEAMSV2),
        seq("jira_configs", &JIRA),
        seq("rocketchat_configs", &ROCKETCHAT),
        seq("mattermost_configs", &MATTERMOST),
        seq("incidentio_configs", &INCIDENTIO),
    ],
};

pub static HTTP_CLIENT_CONFIG: Struct = Struct {
    name: "httpClientConfig",
    fields: &[
        st("authorization", &AUTHORIZATION, Nil),
        st("basic_auth", &BASIC_AUTH, Nil),
        st("oauth2", &OAUTH2, Nil),
        s("bearer_token"),
        s("bearer_token_file"),
        st("tls_config", &TLS_CONFIG, Nil),
        f("follow_redirects", Bool, Nil),
        f("enable_http2", Bool, Nil),
        f("http_headers", Any, Nil),
        s("proxy_url"),
        s("no_proxy"),
        f("proxy_from_environment", Bool, Empty),
        f("proxy_connect_header", StrSeqMap, Empty),
    ],
};

pub static TLS_CONFIG: Struct = Struct {
    name: "tlsConfig",
    fields: &[
        s("ca_file"),
        s("cert_file"),
        s("key_file"),
        s("server_name"),
        f("insecure_skip_verify", Bool, Never),
        s("min_version"),
        s("max_version"),
    ],
};

pub static AUTHORIZATION: Struct = Struct {
    name: "authorization",
    fields: &[s("type"), s("credentials"), s("credentials_file")],
};

pub static BASIC_AUTH: Struct = Struct {
    name: "basicAuth",
    fields: &[s("username"), s("password"), s("password_file")],
};

pub static OAUTH2: Struct = Struct {
    name: "oauth2",
    fields: &[
        f("client_id", Str, Never),
        f("client_secret", Str, Never),
        s("client_secret_file"),
        f("scopes", Seq(&Str), Empty),
        f("token_url", Str, Never),
        f("endpoint_params", StrMap, Empty),
        s("proxy_url"),
        s("no_proxy"),
        f("proxy_from_environment", Bool, Empty),
        f("proxy_connect_header", StrSeqMap, Empty),
        st("tls_config", &TLS_CONFIG, Nil),
    ],
};

/// Why a tree does not fit the reference's types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

impl ShapeError {
    /// A value the type refuses, in the parser's words without the value:
    /// the configuration holds values read from Secrets.
    fn refused(kind: RejectionKind, value: &str) -> Self {
        let text = kind.to_string();
        Self(match text.strip_prefix(&format!("address {value}: ")) {
            Some(reason) => format!("address …: {reason}"),
            None => text.replace(&format!("{value:?}"), "\"…\""),
        })
    }
}

/// `node` as the struct `def` prints it.
pub fn shape(node: &Node, def: &Struct) -> Result<Node, ShapeError> {
    shape_struct(node, def).map(|m| Node::Map(m.unwrap_or_default()))
}

/// A struct's mapping, `None` when the input is null.
fn shape_struct(node: &Node, def: &Struct) -> Result<Option<Mapping>, ShapeError> {
    let input = match node {
        Node::Null => return Ok(None),
        Node::Map(m) => m,
        other => {
            return Err(ShapeError(format!(
                "cannot unmarshal {} into {}",
                other.tag(),
                def.name
            )));
        }
    };
    for (key, _) in input.iter() {
        if !def.fields.iter().any(|f| f.key == key) {
            return Err(ShapeError(format!(
                "field {key} not found in type alertmanager.{}",
                def.name
            )));
        }
    }
    let mut out = Mapping::new();
    for field in def.fields {
        let value = match input.get(field.key) {
            None | Some(Node::Null) => None,
            Some(v) => shape_value(v, &field.ty)
                .map_err(|e| ShapeError(format!("{}: {}", field.key, e.0)))?,
        };
        let value = match (value, field.omit) {
            (Some(v), Omit::Empty) if is_zero(&v) => None,
            (None, Omit::Never) => Some(zero(&field.ty)),
            (None, Omit::NeverNull) => Some(Node::Null),
            (v, _) => v,
        };
        if let Some(v) = value {
            out.insert(field.key, v);
        }
    }
    Ok(Some(out))
}

fn shape_value(node: &Node, ty: &Ty) -> Result<Option<Node>, ShapeError> {
    Ok(Some(match ty {
        Ty::Str => Node::Str(scalar_text(node)?),
        Ty::Bool => match node {
            Node::Bool(b) => Node::Bool(*b),
            other => return Err(unmarshal(other, "bool")),
        },
        Ty::Int => match node {
            Node::Int(i) => Node::Int(*i),
            other => return Err(unmarshal(other, "int")),
        },
        Ty::Duration => {
            let text = scalar_text(node)?;
            let parsed = duration::parse(&text).map_err(|e| ShapeError::refused(e, &text))?;
            Node::Str(duration::format(parsed))
        }
        Ty::HostPort => {
            let text = scalar_text(node)?;
            if text.is_empty() {
                Node::Str(String::new())
            } else {
                let (host, port) =
                    split_host_port(&text).map_err(|e| ShapeError::refused(e, &text))?;
                Node::Str(join_host_port(&host, &port))
            }
        }
        Ty::Any => sorted_any(node),
        Ty::StrMap => match node {
            Node::Map(m) => {
                let mut entries = Vec::new();
                for (k, v) in m.iter() {
                    entries.push((k.to_owned(), Node::Str(scalar_text(v)?)));
                }
                Node::Map(Mapping::sorted(entries))
            }
            other => return Err(unmarshal(other, "map[string]string")),
        },
        Ty::StrSeqMap => match node {
            Node::Map(m) => {
                let mut entries = Vec::new();
                for (k, v) in m.iter() {
                    let items = match shape_value(v, &Ty::Seq(&Ty::Str))? {
                        Some(items) => items,
                        None => Node::Seq(Vec::new()),
                    };
                    entries.push((k.to_owned(), items));
                }
                Node::Map(Mapping::sorted(entries))
            }
            other => return Err(unmarshal(other, "map[string][]string")),
        },
        Ty::Seq(item) | Ty::FlowSeq(item) => {
            let (Node::Seq(items) | Node::FlowSeq(items)) = node else {
                return Err(unmarshal(node, "slice"));
            };
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(shape_value(i, item)?.unwrap_or(Node::Null));
            }
            if matches!(ty, Ty::FlowSeq(_)) {
                Node::FlowSeq(out)
            } else {
                Node::Seq(out)
            }
        }
        Ty::Structs(def) => {
            let (Node::Seq(items) | Node::FlowSeq(items)) = node else {
                return Err(unmarshal(node, "slice"));
            };
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(shape_struct(i, def)?.map_or(Node::Null, Node::Map));
            }
            Node::Seq(out)
        }
        Ty::Struct(def) => match shape_struct(node, def)? {
            Some(m) => Node::Map(m),
            None => return Ok(None),
        },
    }))
}

/// The text of a scalar, as a Go string field receives it.
fn scalar_text(node: &Node) -> Result<String, ShapeError> {
    match node {
        Node::Str(s) => Ok(s.clone()),
        Node::Int(i) => Ok(i.to_string()),
        Node::Float(x) => Ok(x.to_string()),
        Node::Bool(b) => Ok(b.to_string()),
        Node::Null => Ok(String::new()),
        other => Err(unmarshal(other, "string")),
    }
}

fn unmarshal(node: &Node, into: &str) -> ShapeError {
    ShapeError(format!("cannot unmarshal {} into {into}", node.tag()))
}

/// yaml.v2 prints decoded maps (`map[interface{}]interface{}`) sorted.
fn sorted_any(node: &Node) -> Node {
    match node {
        Node::Map(m) => Node::Map(Mapping::sorted(
            m.iter().map(|(k, v)| (k.to_owned(), sorted_any(v))),
        )),
        Node::Seq(items) => Node::Seq(items.iter().map(sorted_any).collect()),
        other => other.clone(),
    }
}

fn is_zero(node: &Node) -> bool {
    match node {
        Node::Null => true,
        Node::Bool(b) => !b,
        Node::Int(i) => *i == 0,
        Node::Float(x) => *x == 0.0,
        Node::Str(s) => s.is_empty(),
        Node::Seq(items) | Node::FlowSeq(items) => items.is_empty(),
        Node::Map(m) => m.is_empty(),
    }
}

fn zero(ty: &Ty) -> Node {
    match ty {
        Ty::Bool => Node::Bool(false),
        Ty::Int => Node::Int(0),
        Ty::Seq(_) | Ty::Structs(_) => Node::Seq(Vec::new()),
        Ty::FlowSeq(_) => Node::FlowSeq(Vec::new()),
        Ty::StrMap | Ty::StrSeqMap | Ty::Struct(_) => Node::Map(Mapping::new()),
        Ty::Any => Node::Null,
        Ty::Str | Ty::Duration | Ty::HostPort => Node::Str(String::new()),
    }
}

/// Go's `net.SplitHostPort`, with the port required as `config.HostPort`
/// requires it.
pub fn split_host_port(text: &str) -> Result<(String, String), RejectionKind> {
    let missing = || RejectionKind::from(format!("address {text}: missing port in address"));
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("address {text}: missing ']' in address"))?;
        let port = after.strip_prefix(':').ok_or_else(missing)?;
        (host, port)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or_else(missing)?;
        if host.contains(':') {
            return Err(format!("address {text}: too many colons in address").into());
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(format!("address {text}: port cannot be empty").into());
    }
    Ok((host.to_owned(), port.to_owned()))
}

/// Go's `net.JoinHostPort`.
pub fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
