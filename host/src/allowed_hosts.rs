//! A component's outbound allow-list (`allowed_outbound_hosts`), parsed once at start-up
//! and checked on every outbound request.
//!
//! Entries follow Spin: `scheme://host[:port]`, where the scheme may be `*`, the host may
//! be `*` or start with `*.`, and the port may be `*`; without a port only the scheme's
//! default port is allowed.

/// One parsed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Suffix(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Default,
    Exact(u16),
}

/// The allow-list of one component.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

impl AllowedHosts {
    /// Parses already-expanded entries; an invalid entry is an error naming it.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let entries = entries
            .iter()
            .map(|e| parse_entry(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// Whether a request to `scheme://host:port` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        let default_port = default_port(scheme);
        let port = port.or(default_port);
        self.entries.iter().any(|entry| {
            let scheme_ok = entry.scheme.as_deref().is_none_or(|s| s == scheme);
            let host_ok = match &entry.host {
                HostPattern::Any => true,
                HostPattern::Exact(h) => *h == host,
                HostPattern::Suffix(suffix) => {
                    host.len() > suffix.len() + 1
                        && host.ends_with(suffix.as_str())
                        && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
                }
            };
            let port_ok = match entry.port {
                PortPattern::Any => true,
                PortPattern::Exact(p) => port == Some(p),
                PortPattern::Default => port.is_some() && port == default_port,
            };
            scheme_ok && host_ok && port_ok
        })
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn parse_entry(entry: &str) -> Result<AllowedHost, String> {
    let invalid = |why: &str| format!("allowed_outbound_hosts entry '{entry}' is invalid: {why}");
    let (scheme, rest) = entry
        .split_once("://")
        .ok_or_else(|| invalid("expected scheme://host[:port]"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(invalid("paths are not allowed, only scheme, host and port"));
    }
    let scheme = match scheme {
        "*" => None,
        s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') => {
            Some(s.to_ascii_lowercase())
        }
        _ => return Err(invalid("bad scheme")),
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, "*")) => (host, PortPattern::Any),
        Some((host, port)) => (
            host,
            PortPattern::Exact(port.parse().map_err(|_| invalid("bad port"))?),
        ),
        None => (rest, PortPattern::Default),
    };
    let host = host.to_ascii_lowercase();
    let host = if host == "*" {
        HostPattern::Any
    } else if let Some(suffix) = host.strip_prefix("*.") {
        HostPattern::Suffix(suffix.to_owned())
    } else if host.is_empty() || host.contains('*') {
        return Err(invalid("bad host"));
    } else {
        HostPattern::Exact(host)
    };
    Ok(AllowedHost { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_default_port() {
        let a = AllowedHosts::parse(&["https://api.github.com"]).unwrap();
        assert!(a.allows("https", "api.github.com", None));
        assert!(a.allows("https", "API.github.com", Some(443)));
        assert!(!a.allows("https", "api.github.com", Some(8443)));
        assert!(!a.allows("http", "api.github.com", None));
        assert!(!a.allows("https", "evil.com", None));
    }

    #[test]
    fn wildcards_and_ports() {
        let a = AllowedHosts::parse(&["http://*.spin.internal", "http://127.0.0.1:9000"]).unwrap();
        assert!(a.allows("http", "provider-github.spin.internal", None));
        assert!(!a.allows("http", "spin.internal", None));
        assert!(!a.allows("http", "xspin.internal", None));
        assert!(a.allows("http", "127.0.0.1", Some(9000)));
        assert!(!a.allows("http", "127.0.0.1", Some(9001)));
        let any = AllowedHosts::parse(&["*://*:*"]).unwrap();
        assert!(any.allows("https", "x.y", Some(1)));
    }

    #[test]
    fn invalid_entries_are_named() {
        let err = AllowedHosts::parse(&["api.github.com"]).unwrap_err();
        assert!(err.contains("'api.github.com'"), "{err}");
        assert!(AllowedHosts::parse(&["https://a.com/path"]).is_err());
        assert!(AllowedHosts::parse(&["https://a.com:x"]).is_err());
    }
}
