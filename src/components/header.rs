//! The header: which model answers, or why that is unknown.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{shown, Chat, ClosePanel};
use crate::api;
use crate::host::Mode;

#[component]
pub fn Header() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let host = chat.host;
    let close = expect_context::<ClosePanel>().0;
    let t = host.words();
    // What `/info` said for the current endpoint and credentials: asked
    // again when they change, and only the newest answer is kept.
    let info = RwSignal::new(None);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let endpoint = chat.endpoint();
        chat.key.track();
        host.token.track();
        let auth = chat.auth();
        let ask = asked.get_value() + 1;
        asked.set_value(ask);
        info.set(None);
        spawn_local(async move {
            let answer = api::fetch_info(&endpoint, &auth).await;
            // The header may be gone (a language change rebuilds it).
            if asked.try_get_value() == Some(ask) {
                info.try_set(Some(answer));
            }
        });
    });
    let model = move || match info.get() {
        None => view! { <span class="vc-muted">{t.connecting}</span> }.into_any(),
        Some(Ok(info)) => {
            let demo = info.model_provider_name.to_ascii_lowercase().contains("demo");
            view! {
                <span data-testid="model-name" class="vc-model">{info.model_name.clone()}</span>
                <span class="vc-provider" data-testid="model-details">
                    {format!("{} · {}", info.model_type, info.model_provider_name)}
                </span>
                {demo.then(|| view! { <span class="vc-badge" title=t.demo_badge_note>{t.demo_badge}</span> })}
            }
            .into_any()
        }
        Some(Err(e)) => view! {
            <span data-testid="model-name" class="vc-model vc-unknown">{t.model_unavailable}</span>
            <span class="vc-provider" role="status">{e.headline()}</span>
        }
        .into_any(),
    };
    view! {
        <header class="vc-header" part="header">
            <h2 class="vc-title" part="title" data-testid="title">
                {move || host.title.get().unwrap_or_else(|| t.title.to_owned())}
            </h2>
            <div class="vc-model-line">{model}</div>
            <button
                type="button"
                class="vc-button vc-header-button"
                data-testid="clear"
                disabled=move || chat.entries.with(Vec::is_empty)
                on:click=move |_| chat.clear()
            >
                {t.clear}
            </button>
            <button
                type="button"
                class="vc-button vc-header-button vc-settings-toggle"
                data-testid="settings-toggle"
                aria-expanded=move || chat.settings_open.get().to_string()
                aria-controls=chat.id("settings")
                on:click=move |_| chat.settings_open.update(|o| *o = !*o)
            >
                {move || if chat.settings.with(|s| s.is_default()) { t.settings } else { t.settings_changed }}
            </button>
            {shown(Signal::derive(move || host.mode.get() == Mode::Launcher), ViewFn::from(move || view! {
                <button
                    type="button"
                    class="vc-button vc-header-button"
                    data-testid="close"
                    aria-label=t.close_chat
                    on:click=move |_| close.run(())
                >
                    <span aria-hidden="true">"×"</span>
                </button>
            }))}
        </header>
    }
}
