//! Where the widget sends requests and how it authenticates. Pure.
//!
//! * Proxy mode (default): the page's own `/api`; no secret in the browser.
//! * Direct mode: an endpoint URL and a key typed by the person; the key
//!   goes as `api-key`, is kept in session storage unless they opt in to
//!   remember it, and is never shown in full again.
//! * Bearer: a host page can hand over a token (Microsoft Entra ID); in
//!   direct mode it is sent as `Authorization: Bearer` instead of a key.

use crate::strings::Strings;

/// The person's connection choices (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connection {
    pub direct: bool,
    pub endpoint: String,
    pub remember_key: bool,
}

crate::settings::stored_form!(Connection { texts: [endpoint], flags: [direct, remember_key] });

/// What authenticates a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Proxy mode: the proxy adds the credentials.
    None,
    ApiKey(String),
    Bearer(String),
}

impl Auth {
    /// The header to send, if any.
    pub fn header(&self) -> Option<(&'static str, String)> {
        match self {
            Auth::None => None,
            Auth::ApiKey(key) => Some(("api-key", key.clone())),
            Auth::Bearer(token) => Some(("authorization", format!("Bearer {token}"))),
        }
    }
}

/// Decides the authentication: a host-provided token wins over a typed key;
/// proxy mode sends neither.
pub fn auth(direct: bool, key: Option<&str>, token: Option<&str>) -> Auth {
    if !direct {
        return Auth::None;
    }
    match (token.filter(|t| !t.trim().is_empty()), key.filter(|k| !k.trim().is_empty())) {
        (Some(token), _) => Auth::Bearer(token.trim().to_owned()),
        (None, Some(key)) => Auth::ApiKey(key.trim().to_owned()),
        (None, None) => Auth::None,
    }
}

/// A key as it may be shown again: its last four characters only.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.trim().chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

/// What is wrong with a typed endpoint ([`Strings::endpoint_problem`] words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointProblem {
    Missing,
    /// Neither https:// nor http:// to this machine.
    NotHttps,
    Spaces,
}

/// Checks a typed endpoint and returns the API base to use.
pub fn endpoint_base(raw: &str) -> Result<String, EndpointProblem> {
    let url = raw.trim().trim_end_matches('/');
    let url = url.strip_suffix("/chat/completions").unwrap_or(url).trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"].iter().any(|p| lower.starts_with(p));
    if url.is_empty() {
        Err(EndpointProblem::Missing)
    } else if !(lower.starts_with("https://") || local) {
        Err(EndpointProblem::NotHttps)
    } else if url.contains(char::is_whitespace) {
        Err(EndpointProblem::Spaces)
    } else {
        Ok(url.to_owned())
    }
}

/// Why a direct request may fail without any HTTP response.
pub fn direct_network_advice(endpoint: &str, origin: &str, words: &Strings) -> String {
    (words.cors_advice)(endpoint, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_rules() {
        assert_eq!(auth(false, Some("k"), Some("t")), Auth::None, "proxy mode sends no secret");
        assert_eq!(auth(true, Some(" k "), None), Auth::ApiKey("k".into()));
        assert_eq!(auth(true, Some("k"), Some("t")), Auth::Bearer("t".into()));
        assert_eq!(auth(true, Some(""), Some(" ")), Auth::None);
        assert_eq!(Auth::ApiKey("k".into()).header(), Some(("api-key", "k".into())));
        assert_eq!(Auth::Bearer("t".into()).header(), Some(("authorization", "Bearer t".into())));
        assert_eq!(Auth::None.header(), None);
    }

    #[test]
    fn masking_and_endpoints() {
        assert_eq!(mask("0123456789abcdef0123456789abcdef"), "••••cdef");
        assert_eq!(mask("ab"), "••••ab");
        assert_eq!(
            endpoint_base(" https://x.eastus2.inference.ai.azure.com/ ").unwrap(),
            "https://x.eastus2.inference.ai.azure.com"
        );
        assert_eq!(endpoint_base("https://x.ai/chat/completions").unwrap(), "https://x.ai");
        assert_eq!(endpoint_base("http://127.0.0.1:9000").unwrap(), "http://127.0.0.1:9000");
        assert_eq!(endpoint_base("http://example.com"), Err(EndpointProblem::NotHttps));
        assert_eq!(endpoint_base(" / "), Err(EndpointProblem::Missing));
        assert_eq!(endpoint_base("https://x .ai"), Err(EndpointProblem::Spaces));
        let words = |p| (crate::strings::EN.endpoint_problem)(p);
        assert!(words(EndpointProblem::NotHttps).contains("https://"));
        assert!(words(EndpointProblem::Missing).starts_with("enter the endpoint"));
        assert!(direct_network_advice("https://x", "https://intranet", &crate::strings::EN)
            .contains("allow requests from https://intranet (CORS)"));
    }
}
