//! Configuration from flags and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the proxy authenticates upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A key, sent as `api-key` and as `Authorization: Bearer`.
    Key(String),
    /// A bearer token (Microsoft Entra ID), sent as `Authorization: Bearer` only.
    Token(String),
    /// A bearer token read from this file for every request, so that a
    /// sidecar can keep it fresh.
    TokenFile(PathBuf),
}

/// Where chat requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The deployment's base URL, e.g. `https://name.region.inference.ai.azure.com`.
    pub endpoint: String,
    pub credential: Credential,
    /// Optional `api-version` query parameter (Azure AI Foundry `/models` endpoints need one).
    pub api_version: Option<String>,
}

/// The demo endpoint's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Pause between streamed pieces.
    pub delay: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig { delay: Duration::from_millis(25) }
    }
}

/// Everything the proxy needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub static_dir: PathBuf,
    pub upstream: Option<Upstream>,
    pub demo: DemoConfig,
    pub max_body_bytes: usize,
    /// Longest wait for the upstream between two reads.
    pub upstream_read_timeout: Duration,
    /// One stderr line per API request (method, path, status, time).
    pub log_requests: bool,
    /// Origins of other sites whose pages may call the API (CORS); none by default.
    pub allow_origins: Vec<String>,
}

/// Which endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Upstream,
    Demo,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            static_dir: PathBuf::from("dist"),
            upstream: None,
            demo: DemoConfig::default(),
            max_body_bytes: 32 * 1024 * 1024,
            upstream_read_timeout: Duration::from_secs(120),
            log_requests: true,
            allow_origins: Vec::new(),
        }
    }
}

pub const USAGE: &str = "\
vision-chat-proxy: serves the vision-chat widget and forwards its requests

USAGE: vision-chat-proxy [OPTIONS]

OPTIONS:
  --listen ADDR           address to listen on (default 127.0.0.1:8080; port 0 picks a free one)
  --static-dir DIR        the built widget to serve at / (default dist)
  --demo-delay-ms MS      pause between streamed pieces of the demo endpoint (default 25)
  --max-body-bytes N      largest request body accepted (default 33554432)
  --allow-origin ORIGIN   let pages from ORIGIN (https://host[:port]) call the API; repeatable;
                          none by default
  -h, --help              this text

ENVIRONMENT:
  AZURE_INFERENCE_ENDPOINT     upstream base URL; without it the built-in demo endpoint answers
  AZURE_INFERENCE_CREDENTIAL   the upstream key (never sent to the browser, never logged)
  AZURE_INFERENCE_TOKEN        instead of a key: a bearer token (Microsoft Entra ID)
  AZURE_INFERENCE_TOKEN_FILE   instead of a key: a file holding a bearer token, read per request
  AZURE_INFERENCE_API_VERSION  optional api-version query parameter for the upstream
  VISION_CHAT_DEMO_DELAY_MS    same as --demo-delay-ms
";

/// Why the command line or environment was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} needs a value")]
    MissingValue(String),
    #[error("invalid value {value:?} for {flag}: {reason}")]
    Invalid { flag: String, value: String, reason: String },
    #[error("unknown option {0:?} (see --help)")]
    Unknown(String),
    #[error(
        "AZURE_INFERENCE_ENDPOINT is set but none of AZURE_INFERENCE_CREDENTIAL, AZURE_INFERENCE_TOKEN, AZURE_INFERENCE_TOKEN_FILE is"
    )]
    MissingCredential,
    #[error("AZURE_INFERENCE_ENDPOINT must start with https:// or http:// (got {0:?})")]
    BadEndpoint(String),
}

/// Result of parsing: run with a configuration, or print help.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Config>),
    Help,
}

impl Config {
    pub fn mode(&self) -> Mode {
        if self.upstream.is_some() {
            Mode::Upstream
        } else {
            Mode::Demo
        }
    }

    /// Parses flags, with `env` looking up environment variables.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Parsed, ConfigError> {
        let mut config = Config::default();
        if let Some(ms) = env("VISION_CHAT_DEMO_DELAY_MS").filter(|v| !v.is_empty()) {
            config.demo.delay = Duration::from_millis(number("VISION_CHAT_DEMO_DELAY_MS", &ms)?);
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(Parsed::Help);
            }
            let mut value =
                || inline.clone().or_else(|| args.next()).ok_or_else(|| ConfigError::MissingValue(flag.clone()));
            match flag.as_str() {
                "--listen" => {
                    let v = value()?;
                    config.listen = v.parse().map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                        flag: flag.clone(),
                        value: v.clone(),
                        reason: e.to_string(),
                    })?;
                }
                "--static-dir" => config.static_dir = PathBuf::from(value()?),
                "--demo-delay-ms" => config.demo.delay = Duration::from_millis(number(&flag, &value()?)?),
                "--max-body-bytes" => config.max_body_bytes = number(&flag, &value()?)? as usize,
                "--allow-origin" => {
                    let v = value()?;
                    config.allow_origins.push(origin(&flag, &v)?);
                }
                _ => return Err(ConfigError::Unknown(arg)),
            }
        }
        if let Some(endpoint) = env("AZURE_INFERENCE_ENDPOINT").filter(|v| !v.trim().is_empty()) {
            let endpoint = endpoint.trim().trim_end_matches('/').to_owned();
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                return Err(ConfigError::BadEndpoint(endpoint));
            }
            let set = |name: &str| env(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            let credential = if let Some(key) = set("AZURE_INFERENCE_CREDENTIAL") {
                Credential::Key(key)
            } else if let Some(token) = set("AZURE_INFERENCE_TOKEN") {
                Credential::Token(token)
            } else if let Some(file) = set("AZURE_INFERENCE_TOKEN_FILE") {
                Credential::TokenFile(PathBuf::from(file))
            } else {
                return Err(ConfigError::MissingCredential);
            };
            let api_version = env("AZURE_INFERENCE_API_VERSION").filter(|v| !v.trim().is_empty());
            config.upstream = Some(Upstream { endpoint, credential, api_version });
        }
        Ok(Parsed::Run(Box::new(config)))
    }
}

/// An origin as browsers send it: scheme, host and optional port, nothing else.
fn origin(flag: &str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim().trim_end_matches('/');
    let invalid = |reason: &str| ConfigError::Invalid {
        flag: flag.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| invalid("an origin starts with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '*', ' ']) {
        return Err(invalid("an origin is scheme://host[:port], without a path or wildcard"));
    }
    Ok(v.to_ascii_lowercase())
}

fn number(flag: &str, value: &str) -> Result<u64, ConfigError> {
    value.trim().parse().map_err(|e: std::num::ParseIntError| ConfigError::Invalid {
        flag: flag.to_owned(),
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Parsed, ConfigError> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::parse(args.iter().map(|s| s.to_string()), move |k| {
            env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        })
    }

    fn run(p: Result<Parsed, ConfigError>) -> Config {
        match p.unwrap() {
            Parsed::Run(c) => *c,
            Parsed::Help => panic!("help"),
        }
    }

    #[test]
    fn defaults_are_demo_on_loopback() {
        let c = run(parse(&[], &[]));
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.static_dir, PathBuf::from("dist"));
        assert_eq!(c.mode(), Mode::Demo);
    }

    #[test]
    fn flags_and_environment() {
        let c = run(parse(
            &["--listen", "127.0.0.1:0", "--static-dir=web", "--demo-delay-ms", "5"],
            &[
                ("AZURE_INFERENCE_ENDPOINT", "https://x.eastus2.inference.ai.azure.com/"),
                ("AZURE_INFERENCE_CREDENTIAL", "k"),
            ],
        ));
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.static_dir, PathBuf::from("web"));
        assert_eq!(c.demo.delay, Duration::from_millis(5));
        let up = c.upstream.unwrap();
        assert_eq!(up.endpoint, "https://x.eastus2.inference.ai.azure.com");
        assert_eq!(up.credential, Credential::Key("k".into()));
        let c =
            run(parse(&[], &[("AZURE_INFERENCE_ENDPOINT", "https://x"), ("AZURE_INFERENCE_TOKEN_FILE", "/run/token")]));
        assert_eq!(c.upstream.unwrap().credential, Credential::TokenFile("/run/token".into()));
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(parse(&["--listen"], &[]).unwrap_err(), ConfigError::MissingValue("--listen".into()));
        assert!(matches!(parse(&["--listen", "nowhere"], &[]).unwrap_err(), ConfigError::Invalid { .. }));
        assert_eq!(parse(&["--bogus"], &[]).unwrap_err(), ConfigError::Unknown("--bogus".into()));
        assert_eq!(
            parse(&[], &[("AZURE_INFERENCE_ENDPOINT", "https://x")]).unwrap_err(),
            ConfigError::MissingCredential
        );
        assert!(matches!(
            parse(&[], &[("AZURE_INFERENCE_ENDPOINT", "x.azure.com"), ("AZURE_INFERENCE_CREDENTIAL", "k")])
                .unwrap_err(),
            ConfigError::BadEndpoint(_)
        ));
        assert!(matches!(parse(&["--help"], &[]).unwrap(), Parsed::Help));
        assert!(matches!(parse(&["--allow-origin", "https://a/b"], &[]).unwrap_err(), ConfigError::Invalid { .. }));
        assert!(matches!(parse(&["--allow-origin", "*"], &[]).unwrap_err(), ConfigError::Invalid { .. }));
        let c =
            run(parse(&["--allow-origin", "https://Intranet.example/", "--allow-origin=http://localhost:3000"], &[]));
        assert_eq!(c.allow_origins, ["https://intranet.example", "http://localhost:3000"]);
        assert!(run(parse(&[], &[])).allow_origins.is_empty(), "nothing is allowed by default");
    }
}
