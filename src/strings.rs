//! The interface's words, in one place. English is built in; a language is
//! added by writing another [`Strings`] and naming it in [`LANGUAGES`].
//! (English reuses the protocol crate's own wording of why an image is
//! refused; another language words [`Refusal`] itself.)

use vision_chat_protocol::error::ErrorKind;
use vision_chat_protocol::image::Refusal;
use vision_chat_protocol::json::quoted;

use crate::attachment::Refused;
use crate::connection::EndpointProblem;
use crate::settings::{Mistake, Problem};

/// Every label, placeholder and note the components show.
#[derive(Debug)]
pub struct Strings {
    pub title: &'static str,
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub drop_here: &'static str,
    pub placeholder: &'static str,
    pub connecting: &'static str,
    pub model_unavailable: &'static str,
    pub demo_badge: &'static str,
    pub demo_badge_note: &'static str,
    pub clear: &'static str,
    pub settings: &'static str,
    pub settings_changed: &'static str,
    pub attach: &'static str,
    pub attach_note: &'static str,
    pub message: &'static str,
    pub send: &'static str,
    pub stop: &'static str,
    pub remove: &'static str,
    pub image_to_send: fn(&str) -> String,
    pub preparing: fn(&str) -> String,
    pub replaced: fn(&str) -> String,
    pub first_of_many: fn(usize) -> String,
    pub fix_settings_first: fn(&str) -> String,
    pub conversation: &'static str,
    pub empty: &'static str,
    pub on_its_way: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub edit: &'static str,
    pub regenerate: &'static str,
    pub retry: &'static str,
    pub edit_message: &'static str,
    pub send_from_here: &'static str,
    pub cancel: &'static str,
    pub edit_note: &'static str,
    pub choices: &'static str,
    pub choice_tab: fn(u32, &str) -> String,
    pub unfinished: &'static str,
    pub show_answer: &'static str,
    pub show_tokens: &'static str,
    pub view_full_size: &'static str,
    pub attached_image: fn(&str) -> String,
    pub in_context: &'static str,
    pub out_of_context: &'static str,
    pub usage: fn(&str, &str, &str) -> String,
    pub retrying_in: fn(&str) -> String,
    pub cancel_retry: &'static str,
    pub close: &'static str,
    pub full_size: fn(&str) -> String,
    pub temperature: &'static str,
    pub top_p: &'static str,
    pub max_tokens: &'static str,
    pub service_default_hint: &'static str,
    pub presence_penalty: &'static str,
    pub frequency_penalty: &'static str,
    pub choices_n: &'static str,
    pub stop_sequences: &'static str,
    pub response_format: &'static str,
    pub format_default: &'static str,
    pub format_text: &'static str,
    pub format_json: &'static str,
    pub system_message: &'static str,
    pub system_note: &'static str,
    pub extras: &'static str,
    pub logprobs: &'static str,
    pub top_logprobs: &'static str,
    pub logit_bias: &'static str,
    pub reset: &'static str,
    pub connection: &'static str,
    pub via_proxy: &'static str,
    pub direct: &'static str,
    pub endpoint_url: &'static str,
    pub key: &'static str,
    pub key_saved: fn(&str) -> String,
    pub forget_key: &'static str,
    pub key_placeholder: &'static str,
    pub remember_key: &'static str,
    pub copy_code_note: &'static str,
    pub copy_csv: &'static str,
    pub copy_csv_note: &'static str,
    pub download_csv: &'static str,
    pub download_csv_note: &'static str,
    pub image: &'static str,
    pub load_image_note: fn(&str) -> String,
    pub image_not_loaded: fn(&str, &str) -> String,
    pub image_not_loadable: fn(&str) -> String,
    pub code_copied: &'static str,
    pub table_copied: &'static str,
    pub csv_downloaded: &'static str,
    pub image_loaded: &'static str,
    pub advice: fn(ErrorKind) -> &'static str,
    pub asked_to_wait: fn(&str) -> String,
    pub cors_advice: fn(&str, &str) -> String,
    pub not_attached: fn(&str, &str) -> String,
    /// Why a file was not attached (the reason part of [`Strings::not_attached`]).
    pub refused: fn(&Refused) -> String,
    /// What is wrong with a setting.
    pub setting_problem: fn(&Problem) -> String,
    /// What is wrong with a typed endpoint.
    pub endpoint_problem: fn(EndpointProblem) -> String,
    pub note_not_sent: &'static str,
    pub note_length: &'static str,
    pub note_filtered: &'static str,
    pub note_finished: fn(&str) -> String,
    pub note_stopped: &'static str,
    pub note_interrupted: fn(&str) -> String,
    pub interruption_cut: &'static str,
    pub interruption_failed: fn(&str) -> String,
    pub interruption_unsupported: &'static str,
}

/// English, the default.
pub static EN: Strings = Strings {
    title: "Vision chat",
    open_chat: "Ask about a chart",
    close_chat: "Close the chat",
    drop_here: "Drop the image to attach it",
    placeholder: "Ask about a chart… (drop, paste or attach an image)",
    connecting: "Connecting…",
    model_unavailable: "Model unavailable",
    demo_badge: "demo",
    demo_badge_note: "No model endpoint is configured on the proxy",
    clear: "Clear",
    settings: "Settings",
    settings_changed: "Settings •",
    attach: "Attach an image",
    attach_note: "Attach an image (or drop or paste one)",
    message: "Message",
    send: "Send",
    stop: "Stop",
    remove: "Remove",
    image_to_send: |name| format!("Image to send: {name}"),
    preparing: |name| format!("Preparing “{name}”…"),
    replaced: |name| format!("“{name}” replaced the previous image: one image per message."),
    first_of_many: |n| format!("{n} files were offered; the first was attached: one image per message."),
    fix_settings_first: |problems| format!("Not sent — fix the settings first: {problems}."),
    conversation: "Conversation",
    empty: "Ask about a chart. Enter sends, Shift+Enter starts a new line.",
    on_its_way: "The answer is on its way",
    copy: "Copy",
    copied: "Copied",
    edit: "Edit",
    regenerate: "Regenerate",
    retry: "Retry",
    edit_message: "Edit your message",
    send_from_here: "Send from here",
    cancel: "Cancel",
    edit_note: "Sending drops the messages after this one.",
    choices: "Choices",
    choice_tab: |number, finish| format!("Choice {number} · {finish}"),
    unfinished: "unfinished",
    show_answer: "Show the answer",
    show_tokens: "Show token probabilities",
    view_full_size: "View full size",
    attached_image: |name| format!("Attached image {name}"),
    in_context: "the model sees this image",
    out_of_context: "no longer in context: only the latest image is sent",
    usage: |prompt, completion, total| format!("{prompt} prompt + {completion} completion = {total} tokens"),
    retrying_in: |time| format!("Retrying in {time}…"),
    cancel_retry: "Cancel retry",
    close: "Close",
    full_size: |name| format!("{name} at full size"),
    temperature: "Temperature",
    top_p: "Top p",
    max_tokens: "Max tokens",
    service_default_hint: "service default",
    presence_penalty: "Presence penalty",
    frequency_penalty: "Frequency penalty",
    choices_n: "Choices (n)",
    stop_sequences: "Stop sequences (one per line)",
    response_format: "Response format",
    format_default: "Service default",
    format_text: "Text",
    format_json: "JSON object",
    system_message: "System message",
    system_note: "Phi-3.5-vision has no system role: the service sends this to the model as a user message, so check that it is followed.",
    extras: "Extra parameters (sent with extra-parameters: pass-through)",
    logprobs: "Log probabilities (logprobs)",
    top_logprobs: "Top logprobs",
    logit_bias: "Logit bias (JSON: token id → -100 … 100)",
    reset: "Reset to defaults",
    connection: "Connection",
    via_proxy: "Through this site's proxy (the key stays on the server)",
    direct: "Directly to an endpoint, with my key",
    endpoint_url: "Endpoint URL",
    key: "Key",
    key_saved: |masked| format!("Key saved: {masked} "),
    forget_key: "Forget the key",
    key_placeholder: "paste the key, then Enter",
    remember_key: "Remember the key on this device (otherwise it is forgotten when the tab closes)",
    copy_code_note: "Copy the code",
    copy_csv: "Copy as CSV",
    copy_csv_note: "Copy the table as CSV",
    download_csv: "Download CSV",
    download_csv_note: "Download the table as a CSV file",
    image: "image",
    load_image_note: |src| format!("Load {src} (it is fetched from that site)"),
    image_not_loaded: |alt, host| format!("Image “{alt}” from {host} — not loaded; click to load"),
    image_not_loadable: |alt| format!("[image “{alt}”: source not loadable]"),
    code_copied: "Code copied",
    table_copied: "Table copied as CSV",
    csv_downloaded: "CSV downloaded",
    image_loaded: "Image loaded",
    advice: en_advice,
    asked_to_wait: |time| format!("The service asked to wait {time}."),
    cors_advice: |endpoint, origin| format!("The browser could not reach {endpoint}, or the endpoint refused this page: direct mode needs the endpoint to allow requests from {origin} (CORS). Check the URL, or use the proxy, which has no such limit."),
    not_attached: |name, why| if name.is_empty() { format!("The file was not attached: {why}.") } else { format!("“{name}” was not attached: {why}.") },
    refused: en_refused,
    setting_problem: en_setting_problem,
    endpoint_problem: |problem| match problem {
        EndpointProblem::Missing => "enter the endpoint URL, e.g. https://<deployment>.<region>.inference.ai.azure.com",
        EndpointProblem::NotHttps => "the endpoint must start with https:// (http:// only for localhost)",
        EndpointProblem::Spaces => "the endpoint URL cannot contain spaces",
    }
    .to_owned(),
    note_not_sent: "Not sent — the text is back in the composer.",
    note_length: "Stopped at the max_tokens limit.",
    note_filtered: "The service's content filter stopped this answer; the text above is what arrived before it.",
    note_finished: |reason| format!("Finished: {reason}."),
    note_stopped: "Stopped — the partial answer is kept.",
    note_interrupted: |why| format!("Interrupted — the partial answer is kept. {why}"),
    interruption_cut: "The stream ended before the answer was complete.",
    interruption_failed: |message| format!("The service reported: {message}"),
    interruption_unsupported: "This browser cannot run requests.",
};

/// What the person can do about a failure, in English.
fn en_refused(why: &Refused) -> String {
    match why {
        Refused::Judged(refusal) => Refusal::to_string(refusal),
        Refused::Unreadable => "the file could not be read".to_owned(),
        Refused::Corrupt(format) => format!("the {format} image is truncated or corrupt"),
        Refused::CannotEncode => "this browser could not encode the image".to_owned(),
        Refused::CannotPreview => "the image could not be previewed".to_owned(),
    }
}

fn en_setting_problem(problem: &Problem) -> String {
    let field = problem.field;
    match &problem.mistake {
        Mistake::NumberRange { min, max } => format!("{field} must be a number from {min} to {max}"),
        Mistake::WholeAtLeast(min) => format!("{field} must be a whole number of at least {min}"),
        Mistake::WholeRange { min, max } => format!("{field} must be a whole number from {min} to {max}"),
        Mistake::UnknownFormat(format) => format!("unknown response format {}", quoted(format)),
        Mistake::JsonOutput => "Phi-3 family models don't support JSON output formatting (response_format json_object). Ask for JSON in your message instead; the output is then not guaranteed to be valid JSON.".to_owned(),
        Mistake::NeedsLogprobs => "top_logprobs needs logprobs turned on".to_owned(),
        Mistake::BiasNotJson(why) => format!("logit_bias is not valid JSON: {why}"),
        Mistake::BiasNotObject => "logit_bias must be a JSON object of token id to bias".to_owned(),
        Mistake::BiasKey(token) => format!("logit_bias keys are token ids (whole numbers); {} is not one", quoted(token)),
        Mistake::BiasRange(token) => format!("the bias for token {token} must be a number from -100 to 100"),
    }
}

fn en_advice(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ContentFilter => {
            "The service's content filter blocked this prompt. Rephrase it and send again; your text and image are still in the composer."
        }
        ErrorKind::BadRequest => "The service did not accept the request. Check the settings and the message, then send again.",
        ErrorKind::Auth => {
            "The endpoint refused the credentials. Check AZURE_INFERENCE_CREDENTIAL on the proxy (or the key in direct mode)."
        }
        ErrorKind::NotFound => "The endpoint was not found. Check the endpoint URL: it should end at the deployment, without /chat/completions.",
        ErrorKind::TooLarge => "The request is too large for the service. Attach a smaller image or shorten the conversation.",
        ErrorKind::RateLimited => "The deployment's rate limit was reached. Wait a moment and send again.",
        ErrorKind::Server => "The service had a problem. Send again in a moment.",
        ErrorKind::Network => "The service could not be reached. Check the connection and that the proxy is running, then send again.",
        ErrorKind::Other => "The request failed. Send again, or check the endpoint settings.",
    }
}

/// The languages built in, by primary language subtag.
pub static LANGUAGES: &[(&str, &Strings)] = &[("en", &EN)];

/// The strings for a BCP 47 language tag (`en`, `en-GB`…), English when the
/// language has none of its own.
pub fn strings(lang: &str) -> &'static Strings {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    LANGUAGES.iter().find(|(tag, _)| tag.eq_ignore_ascii_case(primary)).map_or(&EN, |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_languages_fall_back_to_english() {
        assert!(std::ptr::eq(strings("en-GB"), &EN));
        assert!(std::ptr::eq(strings("EN"), &EN));
        assert!(std::ptr::eq(strings("xx"), &EN));
        assert!(std::ptr::eq(strings(""), &EN));
    }

    #[test]
    fn formatted_strings_put_their_values_in() {
        assert_eq!((EN.usage)("2,380", "12", "2,392"), "2,380 prompt + 12 completion = 2,392 tokens");
        assert_eq!((EN.choice_tab)(2, "length"), "Choice 2 · length");
        assert_eq!((EN.first_of_many)(3), "3 files were offered; the first was attached: one image per message.");
    }
}
