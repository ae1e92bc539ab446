//! Resource limits and reservations from `resource:report --format json` and the full
//! `resource:limit|reserve <app>` listing.

use std::fmt;

use super::parse_error::{ParseError, ParseErrorKind};
use super::report::{parse_json_object, parse_report_rows};

/// The process type Dokku uses for app-wide defaults.
pub const DEFAULT_PROCESS_TYPE: &str = "_default_";

/// A limit (`resource:limit`) or a reservation (`resource:reserve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Limit,
    Reserve,
}

impl ResourceKind {
    /// The word in Dokku's property names.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Limit => "limit",
            ResourceKind::Reserve => "reserve",
        }
    }

    fn from_dokku(s: &str) -> Option<ResourceKind> {
        match s {
            "limit" => Some(ResourceKind::Limit),
            "reserve" => Some(ResourceKind::Reserve),
            _ => None,
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource name, spelled as Dokku spells it (hyphens: `memory-swap`, not `memory_swap`).
///
/// Names outside the seven that Dokku 0.38 knows are **kept** as [`ResourceName::Other`], never
/// rejected: Dokku reports every stored property, so a newer host (or a hand-written property)
/// would otherwise make the whole listing fail. Callers that serve the API's closed enum filter
/// them out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceName {
    Cpu,
    Memory,
    MemorySwap,
    Network,
    NetworkIngress,
    NetworkEgress,
    NvidiaGpu,
    Other(String),
}

impl ResourceName {
    /// The seven names Dokku 0.38 knows, in its flag order.
    pub const KNOWN: [ResourceName; 7] = [
        ResourceName::Cpu,
        ResourceName::Memory,
        ResourceName::MemorySwap,
        ResourceName::Network,
        ResourceName::NetworkIngress,
        ResourceName::NetworkEgress,
        ResourceName::NvidiaGpu,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
            ResourceName::MemorySwap => "memory-swap",
            ResourceName::Network => "network",
            ResourceName::NetworkIngress => "network-ingress",
            ResourceName::NetworkEgress => "network-egress",
            ResourceName::NvidiaGpu => "nvidia-gpu",
            ResourceName::Other(name) => name,
        }
    }

    /// Never fails: unknown names become [`ResourceName::Other`].
    pub fn from_dokku(name: &str) -> ResourceName {
        ResourceName::KNOWN
            .into_iter()
            .find(|known| known.as_str() == name)
            .unwrap_or_else(|| ResourceName::Other(name.to_string()))
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, ResourceName::Other(_))
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One set value: `<process_type>.<kind>.<name> = value`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceSetting {
    /// A Procfile type, [`DEFAULT_PROCESS_TYPE`] for app-wide values, or `build` (0.38.0+).
    pub process_type: String,
    pub kind: ResourceKind,
    pub name: ResourceName,
    /// As stored, not validated by Dokku (`512`, `512MB`, `0.5`, ...).
    pub value: String,
}

const REPORT_JSON: &str = "resource:report --format json";
const LEGACY_PREFIX: &str = "resource-";

/// Parses `resource:report <app> --format json` into the set values, sorted by
/// (process type, kind, name).
///
/// The object is sparse: only set values appear, so `{}` is "nothing set". Keys are
/// `<proc>.<limit|reserve>.<resource>`; from 0.38.8 each also appears with a legacy `resource-`
/// prefix. When every unprefixed key has such a twin, the output is read as twinned and exactly
/// the keys whose `resource-` twin is present are kept (which stays right for a process type
/// that itself starts with `resource-`); otherwise (≤ 0.38.7) every key is read as-is.
/// (On a ≤ 0.38.7 host, a type `resource-X` set alongside the same value key of type `X` looks
/// exactly like a twin and is read as one; Procfile types named `resource-…` are not expected.)
/// Empty values (a cleared property) are skipped. A key of any other shape, an unknown kind, or
/// a non-string value is an error; unknown resource names are kept (see [`ResourceName`]).
pub fn parse_resource_report_json(stdout: &str) -> Result<Vec<ResourceSetting>, ParseError> {
    let object = parse_json_object(REPORT_JSON, stdout)?;
    let mut values = Vec::with_capacity(object.len());
    for (key, value) in &object {
        let Some(value) = value.as_str() else {
            return Err(ParseError::invalid_value(REPORT_JSON, key, "a string"));
        };
        values.push((key.as_str(), value));
    }

    let has_twin = |key: &str| object.contains_key(&format!("{LEGACY_PREFIX}{key}"));
    let twinned = values.iter().any(|(key, _)| has_twin(key))
        && values.iter().all(|(key, _)| key.starts_with(LEGACY_PREFIX) || has_twin(key));

    let mut settings = Vec::new();
    for (key, value) in values {
        if twinned && !has_twin(key) {
            continue;
        }
        if value.trim().is_empty() {
            continue;
        }
        let (process_type, kind, name) = split_property(key)
            .ok_or_else(|| ParseError::invalid_value(REPORT_JSON, key, "a resource value key"))?;
        settings.push(ResourceSetting {
            process_type: process_type.to_string(),
            kind,
            name: ResourceName::from_dokku(name),
            value: value.trim().to_string(),
        });
    }
    settings.sort();
    Ok(settings)
}

/// `<proc>.<limit|reserve>.<resource>`, split from the right (process types are DNS labels and
/// `_default_`, without dots; resource names have none either).
fn split_property(key: &str) -> Option<(&str, ResourceKind, &str)> {
    let mut parts = key.rsplitn(3, '.');
    let name = parts.next()?;
    let kind = ResourceKind::from_dokku(parts.next()?)?;
    let process_type = parts.next()?;
    if process_type.is_empty() || name.is_empty() || process_type.contains('.') {
        return None;
    }
    Some((process_type, kind, name))
}

/// Parses the full listing printed by `resource:limit [--process-type p] <app>` (or
/// `resource:reserve …`) without resource flags: a `=====> resource limits <app> information`
/// header, then one `name: value` row per resource, empty when unset. Returns every row in
/// output order with `None` for unset values; unknown names are kept.
pub fn parse_resource_listing(
    stdout: &str,
) -> Result<Vec<(ResourceName, Option<String>)>, ParseError> {
    let what = "resource:limit";
    let rows = parse_report_rows(what, stdout)?;
    if rows.is_empty() {
        return Err(ParseError::new(what, ParseErrorKind::Empty));
    }
    Ok(rows
        .iter()
        .map(|(name, value)| {
            let value = if value.is_empty() { None } else { Some(value.to_string()) };
            (ResourceName::from_dokku(name), value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(
        process_type: &str,
        kind: ResourceKind,
        name: ResourceName,
        value: &str,
    ) -> ResourceSetting {
        ResourceSetting { process_type: process_type.into(), kind, name, value: value.into() }
    }

    #[test]
    fn sparse_unprefixed_keys_up_to_0_38_7() {
        let json = r#"{"_default_.limit.memory":"512MB","web.reserve.cpu":"0.5"}"#;
        assert_eq!(
            parse_resource_report_json(json).unwrap(),
            [
                setting("_default_", ResourceKind::Limit, ResourceName::Memory, "512MB"),
                setting("web", ResourceKind::Reserve, ResourceName::Cpu, "0.5"),
            ]
        );
    }

    #[test]
    fn legacy_twins_from_0_38_8_are_read_once() {
        let json = r#"{"_default_.limit.memory":"512MB","resource-_default_.limit.memory":"512MB","web.limit.memory-swap":"1g","resource-web.limit.memory-swap":"1g","worker.reserve.nvidia-gpu":"1","resource-worker.reserve.nvidia-gpu":"1"}"#;
        assert_eq!(
            parse_resource_report_json(json).unwrap(),
            [
                setting("_default_", ResourceKind::Limit, ResourceName::Memory, "512MB"),
                setting("web", ResourceKind::Limit, ResourceName::MemorySwap, "1g"),
                setting("worker", ResourceKind::Reserve, ResourceName::NvidiaGpu, "1"),
            ]
        );
    }

    #[test]
    fn twinned_output_with_a_process_type_named_resource_dash() {
        let json = r#"{"web.limit.cpu":"1","resource-web.limit.cpu":"1","resource-resource-web.limit.cpu":"1"}"#;
        let parsed = parse_resource_report_json(json).unwrap();
        assert_eq!(
            parsed,
            [
                setting("resource-web", ResourceKind::Limit, ResourceName::Cpu, "1"),
                setting("web", ResourceKind::Limit, ResourceName::Cpu, "1"),
            ]
        );
    }

    #[test]
    fn every_resource_name_and_the_build_type() {
        let json = r#"{"build.limit.cpu":"1","web.limit.memory":"1","web.limit.memory-swap":"1","web.limit.network":"1","web.limit.network-ingress":"1","web.limit.network-egress":"1","web.limit.nvidia-gpu":"1"}"#;
        let parsed = parse_resource_report_json(json).unwrap();
        assert_eq!(parsed.len(), 7);
        assert_eq!(parsed[0].process_type, "build");
        assert!(parsed.iter().all(|s| s.name.is_known()));
    }

    #[test]
    fn unknown_resource_names_are_kept() {
        let json = r#"{"web.limit.pids":"100"}"#;
        let parsed = parse_resource_report_json(json).unwrap();
        assert_eq!(parsed[0].name, ResourceName::Other("pids".into()));
        assert_eq!(parsed[0].name.as_str(), "pids");
        assert!(!parsed[0].name.is_known());
    }

    #[test]
    fn empty_report_and_empty_values() {
        assert!(parse_resource_report_json("{}\n").unwrap().is_empty());
        let json = r#"{"web.limit.cpu":"","resource-web.limit.cpu":""}"#;
        assert!(parse_resource_report_json(json).unwrap().is_empty());
    }

    #[test]
    fn malformed() {
        let cases = [
            "",
            "[]",
            "null",
            r#"{"web.limit.cpu":1}"#,
            r#"{"web.maximum.cpu":"1"}"#,
            r#"{"cpu":"1"}"#,
            r#"{"limit.cpu":"1"}"#,
            r#"{".limit.cpu":"1"}"#,
            r#"{"web.limit.":"1"}"#,
            r#"{"a.b.limit.cpu":"1"}"#,
        ];
        for bad in cases {
            assert!(parse_resource_report_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in ResourceName::KNOWN {
            assert_eq!(ResourceName::from_dokku(name.as_str()), name);
        }
        assert_eq!(ResourceKind::Reserve.to_string(), "reserve");
        assert_eq!(ResourceName::MemorySwap.to_string(), "memory-swap");
    }

    #[test]
    fn full_listing_docs_sample() {
        let out = "=====> resource limits node-js-app information [defaults]
       cpu:
       memory:
       memory-swap: 100
       network: 100
       network-ingress:
       network-egress:
       nvidia-gpu:
";
        let listing = parse_resource_listing(out).unwrap();
        assert_eq!(listing.len(), 7);
        assert_eq!(listing[0], (ResourceName::Cpu, None));
        assert_eq!(listing[2], (ResourceName::MemorySwap, Some("100".into())));
        assert_eq!(listing[6], (ResourceName::NvidiaGpu, None));
        assert!(parse_resource_listing("").is_err());
        assert!(parse_resource_listing("       cpu 1\n").is_err());
    }
}
