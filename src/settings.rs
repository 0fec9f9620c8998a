//! Generation settings as the person edits them, validated into request
//! options. Pure: the panel ([`crate::components`]) shows these values and
//! messages; local storage keeps the raw form so nothing typed is lost.
//!
//! Ranges are the API's own (azure-ai-inference): temperature and top_p in
//! [0, 1], penalties in [-2, 2]; extras as the reference lists them:
//! `top_logprobs` 0–20 (needs `logprobs`), `logit_bias` an object of token
//! id to -100..100, `n` choices.

use vision_chat_protocol::json::{self, Number, Value};
use vision_chat_protocol::request::RequestOptions;

use crate::strings::Strings;

/// The form, as typed. Empty means "leave it to the service".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub temperature: String,
    pub top_p: String,
    pub max_tokens: String,
    /// One stop sequence per line.
    pub stop: String,
    pub presence_penalty: String,
    pub frequency_penalty: String,
    /// `""` (service default), `"text"` or `"json_object"`.
    pub response_format: String,
    pub system: String,
    pub logprobs: bool,
    pub top_logprobs: String,
    pub logit_bias: String,
    pub n: String,
}

/// A field and what is wrong with it ([`Strings::setting_problem`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub mistake: Mistake,
}

/// What can be wrong with a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mistake {
    /// Not a number in `min..=max`.
    NumberRange { min: i64, max: i64 },
    /// Not a whole number of at least this.
    WholeAtLeast(u32),
    /// Not a whole number in `min..=max`.
    WholeRange { min: u32, max: u32 },
    /// `response_format` is not one the widget knows (as typed).
    UnknownFormat(String),
    /// `json_object` output, which Phi-3 models do not support.
    JsonOutput,
    /// `top_logprobs` without `logprobs`.
    NeedsLogprobs,
    /// `logit_bias` is not JSON (the reader's reason).
    BiasNotJson(String),
    /// `logit_bias` is JSON but not an object.
    BiasNotObject,
    /// A `logit_bias` key that is not a token id (as typed).
    BiasKey(String),
    /// The bias for this token is not a number in -100..=100.
    BiasRange(String),
}

/// Largest number of choices the widget asks for.
pub const MAX_CHOICES: u32 = 8;

impl Settings {
    /// The request options, or every problem found.
    pub fn validate(&self) -> Result<RequestOptions, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut options = RequestOptions { stream: true, ..Default::default() };
        options.temperature = number(&mut problems, "temperature", &self.temperature, 0.0, 1.0);
        options.top_p = number(&mut problems, "top_p", &self.top_p, 0.0, 1.0);
        options.presence_penalty = number(&mut problems, "presence_penalty", &self.presence_penalty, -2.0, 2.0);
        options.frequency_penalty = number(&mut problems, "frequency_penalty", &self.frequency_penalty, -2.0, 2.0);
        options.max_tokens = integer(&mut problems, "max_tokens", &self.max_tokens, 1, u32::MAX);
        options.stop = self.stop.lines().map(str::to_owned).filter(|s| !s.is_empty()).collect();
        options.response_format = match self.response_format.as_str() {
            "" => None,
            "text" => Some("text".to_owned()),
            "json_object" => {
                problems.push(Problem { field: "response_format", mistake: Mistake::JsonOutput });
                None
            }
            other => {
                problems.push(Problem { field: "response_format", mistake: Mistake::UnknownFormat(other.to_owned()) });
                None
            }
        };
        let system = self.system.trim();
        options.system = (!system.is_empty()).then(|| system.to_owned());

        if self.logprobs {
            options.extra.insert("logprobs", Value::Bool(true));
        }
        if let Some(k) = integer(&mut problems, "top_logprobs", &self.top_logprobs, 0, 20) {
            if self.logprobs {
                options.extra.insert("top_logprobs", Value::from(u64::from(k)));
            } else {
                problems.push(Problem { field: "top_logprobs", mistake: Mistake::NeedsLogprobs });
            }
        }
        if let Some(n) = integer(&mut problems, "n", &self.n, 1, MAX_CHOICES) {
            if n > 1 {
                options.extra.insert("n", Value::from(u64::from(n)));
            }
        }
        match logit_bias(&self.logit_bias) {
            Ok(Some(bias)) => {
                options.extra.insert("logit_bias", bias);
            }
            Ok(None) => {}
            Err(mistake) => problems.push(Problem { field: "logit_bias", mistake }),
        }
        if problems.is_empty() {
            Ok(options)
        } else {
            Err(problems)
        }
    }

    /// The message for one field, if it has a problem, in `words`.
    pub fn problem(&self, field: &str, words: &Strings) -> Option<String> {
        self.validate().err()?.into_iter().find(|p| p.field == field).map(|p| (words.setting_problem)(&p))
    }

    /// Whether anything differs from the defaults.
    pub fn is_default(&self) -> bool {
        *self == Settings::default()
    }
}

/// A number in `min..=max`, sent as typed (in JSON's spelling).
fn number(problems: &mut Vec<Problem>, field: &'static str, raw: &str, min: f64, max: f64) -> Option<Number> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match vision_chat_protocol::number::decimal(raw) {
        Some(v) if (min..=max).contains(&v) => Number::from_decimal(raw),
        _ => {
            // The ranges are whole numbers (0 – 1, -2 – 2).
            let (min, max) = (min as i64, max as i64);
            problems.push(Problem { field, mistake: Mistake::NumberRange { min, max } });
            None
        }
    }
}

fn integer(problems: &mut Vec<Problem>, field: &'static str, raw: &str, min: u32, max: u32) -> Option<u32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ if max == u32::MAX => {
            problems.push(Problem { field, mistake: Mistake::WholeAtLeast(min) });
            None
        }
        _ => {
            problems.push(Problem { field, mistake: Mistake::WholeRange { min, max } });
            None
        }
    }
}

/// `{"token id": bias}` with integer-like ids and biases in -100..=100.
fn logit_bias(raw: &str) -> Result<Option<Value>, Mistake> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let value = json::parse(raw).map_err(|e| Mistake::BiasNotJson(e.to_string()))?;
    let map = value.as_object().ok_or(Mistake::BiasNotObject)?;
    for (token, bias) in map.iter() {
        if token.parse::<u64>().is_err() {
            return Err(Mistake::BiasKey(token.to_owned()));
        }
        match bias.as_f64() {
            Some(b) if (-100.0..=100.0).contains(&b) => {}
            _ => return Err(Mistake::BiasRange(token.to_owned())),
        }
    }
    Ok(Some(value))
}

/// How a form of text fields and flags is kept in local storage: a JSON
/// object with each field under its own name. Read leniently: a field
/// missing or of another type (an older or newer version) takes its
/// default, unknown ones are ignored. Every field must be listed (the
/// struct is built from the list).
macro_rules! stored_form {
    ($form:ident { texts: [$($text:ident),*], flags: [$($flag:ident),*] }) => {
        impl vision_chat_protocol::json::ToJson for $form {
            fn write_json(&self, out: &mut String) {
                let mut o = vision_chat_protocol::json::ObjectWriter::new(out);
                $(o.field(stringify!($text), &self.$text);)*
                $(o.field(stringify!($flag), &self.$flag);)*
                o.end();
            }
        }

        impl vision_chat_protocol::json::FromJson for $form {
            fn from_json(value: &vision_chat_protocol::json::Value) -> Result<Self, String> {
                let text = |name| value.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                let flag = |name| value.get(name).and_then(|v| v.as_bool()).unwrap_or_default();
                Ok($form { $($text: text(stringify!($text)),)* $($flag: flag(stringify!($flag)),)* })
            }
        }
    };
}
pub(crate) use stored_form;

stored_form!(Settings {
    texts: [
        temperature,
        top_p,
        max_tokens,
        stop,
        presence_penalty,
        frequency_penalty,
        response_format,
        system,
        top_logprobs,
        logit_bias,
        n
    ],
    flags: [logprobs]
});

#[cfg(test)]
mod tests {
    use super::*;

    use crate::strings::EN;
    use serde_json::json;
    use vision_chat_protocol::json::{FromJson, ToJson};

    #[test]
    fn empty_form_leaves_everything_to_the_service() {
        let o = Settings::default().validate().unwrap();
        assert_eq!(o, RequestOptions { stream: true, ..Default::default() });
    }

    #[test]
    fn valid_values_become_options_and_extras() {
        let s = Settings {
            temperature: "0".into(),
            top_p: " 1 ".into(),
            max_tokens: "2048".into(),
            stop: "<|endoftext|>\n\nEND".into(),
            presence_penalty: "0.1".into(),
            frequency_penalty: "-2".into(),
            response_format: "text".into(),
            system: "  Be brief.  ".into(),
            logprobs: true,
            top_logprobs: "5".into(),
            logit_bias: r#"{"1234": -100, "42": 2.5}"#.into(),
            n: "2".into(),
        };
        let o = s.validate().unwrap();
        let text = |n: &Option<Number>| n.as_ref().map(|n| n.as_str().to_owned());
        assert_eq!(
            (text(&o.temperature), text(&o.top_p), o.max_tokens),
            (Some("0".into()), Some("1".into()), Some(2048))
        );
        assert_eq!(o.stop, vec!["<|endoftext|>", "END"]);
        assert_eq!((text(&o.presence_penalty), text(&o.frequency_penalty)), (Some("0.1".into()), Some("-2".into())));
        assert_eq!(o.response_format.as_deref(), Some("text"));
        assert_eq!(o.system.as_deref(), Some("Be brief."));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&o.extra.to_json()).unwrap(),
            json!({"logprobs": true, "top_logprobs": 5, "n": 2, "logit_bias": {"1234": -100, "42": 2.5}})
        );
    }

    #[test]
    fn every_mistake_is_named() {
        let s = Settings {
            temperature: "1.5".into(),
            top_p: "abc".into(),
            max_tokens: "0".into(),
            presence_penalty: "3".into(),
            frequency_penalty: "NaN".into(),
            response_format: "json_object".into(),
            top_logprobs: "21".into(),
            logit_bias: r#"{"x": 1}"#.into(),
            n: "9".into(),
            ..Default::default()
        };
        let problems = s.validate().unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.field, (EN.setting_problem)(p))).collect();
        assert_eq!(
            text,
            [
                "temperature: temperature must be a number from 0 to 1",
                "top_p: top_p must be a number from 0 to 1",
                "presence_penalty: presence_penalty must be a number from -2 to 2",
                "frequency_penalty: frequency_penalty must be a number from -2 to 2",
                "max_tokens: max_tokens must be a whole number of at least 1",
                "response_format: Phi-3 family models don't support JSON output formatting (response_format json_object). Ask for JSON in your message instead; the output is then not guaranteed to be valid JSON.",
                "top_logprobs: top_logprobs must be a whole number from 0 to 20",
                "n: n must be a whole number from 1 to 8",
                "logit_bias: logit_bias keys are token ids (whole numbers); \"x\" is not one",
            ]
        );
        assert_eq!(s.problem("n", &EN).unwrap(), "n must be a whole number from 1 to 8");
        assert_eq!(s.problem("system", &EN), None);
        let odd = Settings { response_format: "yaml\"".into(), ..Default::default() };
        assert_eq!(odd.problem("response_format", &EN).unwrap(), "unknown response format \"yaml\\\"\"");
    }

    #[test]
    fn extras_rules() {
        let needs = Settings { top_logprobs: "3".into(), ..Default::default() };
        assert_eq!(needs.problem("top_logprobs", &EN).unwrap(), "top_logprobs needs logprobs turned on");
        for (raw, message) in [
            ("[1]", "logit_bias must be a JSON object of token id to bias"),
            ("{\"5\": 101}", "the bias for token 5 must be a number from -100 to 100"),
            ("{\"5\": \"x\"}", "the bias for token 5 must be a number from -100 to 100"),
        ] {
            let s = Settings { logit_bias: raw.into(), ..Default::default() };
            assert_eq!(s.problem("logit_bias", &EN).unwrap(), message);
        }
        assert!(Settings { logit_bias: "{".into(), ..Default::default() }
            .problem("logit_bias", &EN)
            .unwrap()
            .starts_with("logit_bias is not valid JSON: EOF while parsing an object at line 1 column 2"));
        let one = Settings { n: "1".into(), ..Default::default() }.validate().unwrap();
        assert!(one.extra.is_empty(), "n = 1 is the default: no extra, no header");
    }

    #[test]
    fn stored_form_round_trips_and_tolerates_old_versions() {
        let s = Settings { temperature: "0.3".into(), logprobs: true, ..Default::default() };
        let stored = s.to_json();
        assert_eq!(Settings::from_json_str(&stored).unwrap(), s);
        let every = Settings {
            temperature: "1".into(),
            top_p: "2".into(),
            max_tokens: "3".into(),
            stop: "4\n\"five\"".into(),
            presence_penalty: "6".into(),
            frequency_penalty: "7".into(),
            response_format: "text".into(),
            system: "Be brief.".into(),
            logprobs: true,
            top_logprobs: "8".into(),
            logit_bias: r#"{"9": 10}"#.into(),
            n: "11".into(),
        };
        assert_eq!(Settings::from_json_str(&every.to_json()).unwrap(), every);
        // What the serde-derived form of earlier versions stored reads the same.
        let earlier = r#"{"temperature":"0.3","top_p":"","max_tokens":"","stop":"","presence_penalty":"","frequency_penalty":"","response_format":"","system":"","logprobs":true,"top_logprobs":"","logit_bias":"","n":""}"#;
        assert_eq!(Settings::from_json_str(earlier).unwrap(), s);
        let old = Settings::from_json_str(r#"{"temperature":"0.5","removed_field":1,"top_p":7}"#).unwrap();
        assert_eq!((old.temperature.as_str(), old.top_p.as_str()), ("0.5", ""));
        assert!(Settings::default().is_default());
    }
}
