//! The settings panel: generation parameters and extras, each validated
//! with its own message, kept across reloads, with a reset.

use leptos::prelude::*;

use super::{shown, Chat};
use crate::connection::{endpoint_base, mask};
use crate::settings::Settings;
use crate::strings::Strings;

type Getter = fn(&Settings) -> &String;
type Setter = fn(&mut Settings, String);
type Words = fn(&Strings) -> &'static str;

/// One text setting with its label, hint and validation message.
fn field(chat: Chat, key: &'static str, label: Words, hint: Words, get: Getter, set: Setter) -> impl IntoView {
    let t = chat.host.words();
    let id = chat.id(key);
    let message_id = format!("{id}-message");
    let problem = Memo::new(move |_| chat.settings.with(|s| s.problem(key, t)));
    view! {
        <div class="vc-field">
            <label for=id.clone()>{label(t)}</label>
            <input
                id=id
                type="text"
                inputmode="decimal"
                autocomplete="off"
                placeholder=hint(t)
                aria-invalid=move || problem.with(Option::is_some).to_string()
                aria-describedby=message_id.clone()
                prop:value=move || chat.settings.with(|s| get(s).clone())
                on:input:target=move |ev| chat.update_settings(|s| set(s, ev.target().value()))
            />
            <p class="vc-field-message" id=message_id role="status">{move || problem.get()}</p>
        </div>
    }
}

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let problem = move |key: &'static str| Memo::new(move |_| chat.settings.with(|s| s.problem(key, t)));
    let format_problem = problem("response_format");
    let logit_problem = problem("logit_bias");
    let id = move |name: &str| chat.id(name);
    let t = chat.host.words();
    view! {
        <form class="vc-settings" data-testid="settings" id=id("settings") aria-label=t.settings on:submit=|ev| ev.prevent_default()>
            <div class="vc-settings-grid">
                {field(chat, "temperature", |t| t.temperature, |_| "0 – 1", |s| &s.temperature, |s, v| s.temperature = v)}
                {field(chat, "top_p", |t| t.top_p, |_| "0 – 1", |s| &s.top_p, |s, v| s.top_p = v)}
                {field(chat, "max_tokens", |t| t.max_tokens, |t| t.service_default_hint, |s| &s.max_tokens, |s, v| s.max_tokens = v)}
                {field(chat, "presence_penalty", |t| t.presence_penalty, |_| "-2 – 2", |s| &s.presence_penalty, |s, v| s.presence_penalty = v)}
                {field(chat, "frequency_penalty", |t| t.frequency_penalty, |_| "-2 – 2", |s| &s.frequency_penalty, |s, v| s.frequency_penalty = v)}
                {field(chat, "n", |t| t.choices_n, |_| "1", |s| &s.n, |s, v| s.n = v)}
            </div>
            <div class="vc-field">
                <label for=id("stop")>{t.stop_sequences}</label>
                <textarea
                    id=id("stop")
                    rows="2"
                    prop:value=move || chat.settings.with(|s| s.stop.clone())
                    on:input:target=move |ev| chat.update_settings(|s| s.stop = ev.target().value())
                ></textarea>
            </div>
            <div class="vc-field">
                <label for=id("response_format")>{t.response_format}</label>
                <select
                    id=id("response_format")
                    aria-invalid=move || format_problem.with(Option::is_some).to_string()
                    aria-describedby=id("response_format-message")
                    prop:value=move || chat.settings.with(|s| s.response_format.clone())
                    on:change:target=move |ev| chat.update_settings(|s| s.response_format = ev.target().value())
                >
                    <option value="">{t.format_default}</option>
                    <option value="text">{t.format_text}</option>
                    <option value="json_object">{t.format_json}</option>
                </select>
                <p class="vc-field-message" id=id("response_format-message") role="status">{move || format_problem.get()}</p>
            </div>
            <div class="vc-field">
                <label for=id("system")>{t.system_message}</label>
                <textarea
                    id=id("system")
                    rows="2"
                    aria-describedby=id("system-note")
                    prop:value=move || chat.settings.with(|s| s.system.clone())
                    on:input:target=move |ev| chat.update_settings(|s| s.system = ev.target().value())
                ></textarea>
                <p class="vc-field-note" id=id("system-note")>{t.system_note}</p>
            </div>
            <ConnectionFields />
            <fieldset class="vc-extras">
                <legend>{t.extras}</legend>
                <div class="vc-check">
                    <input
                        id=id("logprobs")
                        type="checkbox"
                        prop:checked=move || chat.settings.with(|s| s.logprobs)
                        on:change:target=move |ev| chat.update_settings(|s| s.logprobs = ev.target().checked())
                    />
                    <label for=id("logprobs")>{t.logprobs}</label>
                </div>
                {field(chat, "top_logprobs", |t| t.top_logprobs, |_| "0 – 20", |s| &s.top_logprobs, |s, v| s.top_logprobs = v)}
                <div class="vc-field">
                    <label for=id("logit_bias")>{t.logit_bias}</label>
                    <textarea
                        id=id("logit_bias")
                        rows="2"
                        placeholder="{\"1234\": -100}"
                        aria-invalid=move || logit_problem.with(Option::is_some).to_string()
                        aria-describedby=id("logit_bias-message")
                        prop:value=move || chat.settings.with(|s| s.logit_bias.clone())
                        on:input:target=move |ev| chat.update_settings(|s| s.logit_bias = ev.target().value())
                    ></textarea>
                    <p class="vc-field-message" id=id("logit_bias-message") role="status">{move || logit_problem.get()}</p>
                </div>
            </fieldset>
            <div class="vc-settings-actions">
                <button type="button" class="vc-button" data-testid="settings-reset" on:click=move |_| chat.reset_settings()>
                    {t.reset}
                </button>
            </div>
        </form>
    }
}

/// Proxy or direct mode; in direct mode the endpoint and the key.
#[component]
fn ConnectionFields() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let id = move |name: &str| chat.id(name);
    let t = chat.host.words();
    let typed_key = RwSignal::new(String::new());
    let endpoint_problem = move || {
        chat.connection.with(|c| if c.direct { endpoint_base(&c.endpoint).err().map(t.endpoint_problem) } else { None })
    };
    let save_key = move || {
        let key = typed_key.get_untracked();
        if !key.trim().is_empty() {
            chat.update_connection(|_, k| *k = Some(key.trim().to_owned()));
            typed_key.set(String::new());
        }
    };
    view! {
        <fieldset class="vc-extras" data-testid="connection">
            <legend>{t.connection}</legend>
            <div class="vc-check">
                <input
                    id=id("mode-proxy")
                    type="radio"
                    name=id("mode")
                    prop:checked=move || !chat.direct()
                    on:change=move |_| chat.update_connection(|c, _| c.direct = false)
                />
                <label for=id("mode-proxy")>{t.via_proxy}</label>
            </div>
            <div class="vc-check">
                <input
                    id=id("mode-direct")
                    type="radio"
                    name=id("mode")
                    prop:checked=move || chat.direct()
                    on:change=move |_| chat.update_connection(|c, _| c.direct = true)
                />
                <label for=id("mode-direct")>{t.direct}</label>
            </div>
            {shown(Signal::derive(move || chat.direct()), ViewFn::from(move || view! {
                <div class="vc-field">
                    <label for=id("endpoint")>{t.endpoint_url}</label>
                    <input
                        id=id("endpoint")
                        type="url"
                        autocomplete="off"
                        placeholder="https://<deployment>.<region>.inference.ai.azure.com"
                        aria-invalid=move || endpoint_problem().is_some().to_string()
                        aria-describedby=id("endpoint-message")
                        prop:value=move || chat.connection.with(|c| c.endpoint.clone())
                        on:input:target=move |ev| chat.update_connection(|c, _| c.endpoint = ev.target().value())
                    />
                    <p class="vc-field-message" id=id("endpoint-message") role="status">{endpoint_problem}</p>
                </div>
                <div class="vc-field">
                    <label for=id("key")>{t.key}</label>
                    {move || chat.key.with(|k| k.as_deref().map(mask)).map(|masked| view! {
                        <p class="vc-field-note" data-testid="key-saved">
                            {(t.key_saved)(&masked)}
                            <button type="button" class="vc-md-action" data-testid="forget-key" on:click=move |_| chat.update_connection(|_, k| *k = None)>
                                {t.forget_key}
                            </button>
                        </p>
                    })}
                    <input
                        id=id("key")
                        type="password"
                        autocomplete="off"
                        placeholder=t.key_placeholder
                        prop:value=move || typed_key.get()
                        on:input:target=move |ev| typed_key.set(ev.target().value())
                        on:change=move |_| save_key()
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                save_key();
                            }
                        }
                    />
                </div>
                <div class="vc-check">
                    <input
                        id=id("remember")
                        type="checkbox"
                        prop:checked=move || chat.connection.with(|c| c.remember_key)
                        on:change:target=move |ev| chat.update_connection(|c, _| c.remember_key = ev.target().checked())
                    />
                    <label for=id("remember")>{t.remember_key}</label>
                </div>
            }))}
        </fieldset>
    }
}
