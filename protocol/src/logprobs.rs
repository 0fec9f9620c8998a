//! Token log probabilities (`logprobs` extra parameter), as streamed in
//! `choices[i].logprobs.content[]`: each token with its log probability and
//! its most likely alternatives.

use crate::json::{quoted, Value};

/// One generated token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f64,
    /// The most likely tokens at this position, most likely first.
    pub top: Vec<(String, f64)>,
}

/// How sure the model was of a token, for tinting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// p ≥ 0.9
    High,
    /// 0.5 ≤ p < 0.9
    Medium,
    /// p < 0.5
    Low,
}

impl TokenLogprob {
    pub fn probability(&self) -> f64 {
        self.logprob.exp()
    }

    pub fn confidence(&self) -> Confidence {
        match self.probability() {
            p if p >= 0.9 => Confidence::High,
            p if p >= 0.5 => Confidence::Medium,
            _ => Confidence::Low,
        }
    }

    /// "Tuesday 93.1% · Monday 4.2% · …" — the alternatives, for a tooltip.
    pub fn alternatives(&self) -> String {
        let list: Vec<String> = if self.top.is_empty() {
            vec![format!("{} {}", quoted(&self.token), percent(self.logprob))]
        } else {
            self.top.iter().map(|(t, lp)| format!("{} {}", quoted(t), percent(*lp))).collect()
        };
        list.join(" · ")
    }
}

fn percent(logprob: f64) -> String {
    crate::number::percent(logprob.exp())
}

/// The tokens of one choice's `logprobs` object; anything unexpected is skipped.
pub fn parse(logprobs: &Value) -> Vec<TokenLogprob> {
    let Some(content) = logprobs.get("content").and_then(Value::as_array) else { return Vec::new() };
    content
        .iter()
        .filter_map(|item| {
            let token = item.get("token")?.as_str()?.to_owned();
            let logprob = item.get("logprob")?.as_f64()?;
            let top = item
                .get("top_logprobs")
                .and_then(Value::as_array)
                .map(|alts| {
                    alts.iter()
                        .filter_map(|a| Some((a.get("token")?.as_str()?.to_owned(), a.get("logprob")?.as_f64()?)))
                        .collect()
                })
                .unwrap_or_default();
            Some(TokenLogprob { token, logprob, top })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(value: serde_json::Value) -> Value {
        crate::json::parse(&value.to_string()).unwrap()
    }

    #[test]
    fn parses_the_openai_shape_and_skips_junk() {
        let v = ours(json!({"content": [
            {"token": "Tues", "logprob": -0.05, "top_logprobs": [{"token": "Tues", "logprob": -0.05}, {"token": "Mon", "logprob": -3.2}]},
            {"token": "day", "logprob": -0.6},
            {"token": 5},
            {"token": "!", "logprob": -2.0}
        ]}));
        let tokens = parse(&v);
        assert_eq!(tokens.len(), 3);
        assert_eq!(tokens[0].confidence(), Confidence::High);
        assert_eq!(tokens[1].confidence(), Confidence::Medium);
        assert_eq!(tokens[2].confidence(), Confidence::Low);
        assert_eq!(tokens[0].alternatives(), "\"Tues\" 95.1% · \"Mon\" 4.1%");
        assert_eq!(tokens[1].alternatives(), "\"day\" 54.9%");
        assert!(parse(&Value::Null).is_empty());
        assert!(parse(&ours(json!({"content": "x"}))).is_empty());
    }
}
