//! The widget in a real browser (headless Chromium through
//! wasm-bindgen-test): real DOM events, real `fetch`, real ReadableStreams.
//!
//! The network is a scripted `window.fetch` that answers with byte streams
//! cut at awkward places (inside JSON, inside multi-byte characters), so the
//! streaming read path runs exactly as it does against the proxy.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use leptos::prelude::*;
use vision_chat::api::stream_chat;
use vision_chat::components::{App, Chat, HostConfig};
use vision_chat::connection::Auth;
use vision_chat_protocol::request::{build_request, RequestOptions, Turn};
use vision_chat_protocol::stream::Ending;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function script_fetch(status, contentType, body, cuts, hang, delayMs) {
  const bytes = new TextEncoder().encode(body);
  const points = [0, ...cuts.filter(c => c > 0 && c < bytes.length), bytes.length];
  const pieces = [];
  for (let i = 1; i < points.length; i++) pieces.push(bytes.slice(points[i - 1], points[i]));
  const log = (window.__vcRequests = []);
  // As the real fetch: `fetch(request)` or `fetch(url, init)`.
  window.fetch = async (input, init) => {
    const request = new Request(input, init);
    log.push({ url: request.url, headers: Object.fromEntries(request.headers), body: await request.clone().text() });
    const signal = request.signal;
    const stream = new ReadableStream({
      async start(controller) {
        signal.addEventListener('abort', () => {
          try { controller.error(new DOMException('The user aborted a request.', 'AbortError')); } catch (_) {}
        });
        for (const piece of pieces) {
          if (signal.aborted) return;
          controller.enqueue(piece);
          await new Promise(r => setTimeout(r, delayMs));
        }
        if (!hang) controller.close();
      },
    });
    return new Response(stream, { status, headers: { 'content-type': contentType } });
  };
}
export function requests() { return JSON.stringify(window.__vcRequests || []); }
export function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
"#)]
extern "C" {
    fn script_fetch(status: u16, content_type: &str, body: &str, cuts: Vec<u32>, hang: bool, delay_ms: u32);
    fn requests() -> String;
    async fn sleep(ms: u32);
}

const SSE: &str = concat!(
    ": keep-alive\r\n\r\n",
    "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"Phi-3.5-vision-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\r\n\r\n",
    "data: {\"id\":\"1\",\"object\":\"\",\"created\":0,\"model\":\"\",\"choices\":[]}\n\n",
    "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"Phi-3.5-vision-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Umsatz wächst \"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"Phi-3.5-vision-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"📈 in Europe.\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"Phi-3.5-vision-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2380,\"completion_tokens\":126,\"total_tokens\":2506}}\n\n",
    "data: [DONE]\n\n",
);

/// Byte positions that cut inside `ä` and inside `📈`, and inside JSON.
fn awkward_cuts() -> Vec<u32> {
    let a = SSE.find('ä').unwrap() as u32 + 1;
    let chart = SSE.find('📈').unwrap() as u32 + 2;
    vec![7, 40, 200, a, chart, chart + 30, SSE.len() as u32 - 3]
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn mount_widget() -> HtmlElement {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let el = host.clone();
    leptos::mount::mount_to(el, || view! { <App chat=Chat::new(HostConfig::new("/test-api")) /> }).forget();
    host
}

fn find(host: &HtmlElement, testid: &str) -> Option<HtmlElement> {
    host.query_selector(&format!("[data-testid=\"{testid}\"]")).unwrap().map(|e| e.unchecked_into())
}

fn find_all(host: &HtmlElement, selector: &str) -> Vec<HtmlElement> {
    let list = host.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)).map(|n| n.unchecked_into()).collect()
}

async fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let mut waited = 0;
    while !cond() {
        let widgets: Vec<String> = find_all(&document().body().unwrap(), "[data-testid=message-content]")
            .iter()
            .filter_map(|w| w.text_content())
            .collect();
        assert!(waited < timeout.as_millis() as u32, "timed out waiting for {what}; the widgets say: {widgets:?}");
        sleep(10).await;
        waited += 10;
    }
}

fn type_into(input: &HtmlTextAreaElement, text: &str) {
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

fn press_enter(input: &HtmlTextAreaElement, shift: bool) -> bool {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input.dispatch_event(&ev).unwrap();
    ev.default_prevented()
}

fn composer(host: &HtmlElement) -> HtmlTextAreaElement {
    find(host, "composer-input").unwrap().unchecked_into()
}

#[wasm_bindgen_test]
async fn streaming_read_survives_awkward_network_splits() {
    script_fetch(200, "text/event-stream", SSE, awkward_cuts(), false, 0);
    let request = build_request(&[Turn::user("Trend?", None)], &RequestOptions { stream: true, ..Default::default() });
    let controller = web_sys::AbortController::new().unwrap();
    let mut seen = Vec::new();
    let streamed = stream_chat("/test-api", &Auth::None, &request, &controller.signal(), |t| seen.push(t.to_owned()))
        .await
        .unwrap();
    assert_eq!(streamed.answer.text(), "Umsatz wächst 📈 in Europe.");
    assert_eq!(seen.concat(), "Umsatz wächst 📈 in Europe.");
    assert!(seen.len() >= 2, "text arrives in several reads: {seen:?}");
    assert_eq!(streamed.ending, Ending::Finished);
    assert_eq!(streamed.answer.usage.unwrap().total_tokens, 2506);

    let log = requests();
    assert!(log.contains("/test-api/chat/completions"), "{log}");
    assert!(log.contains("\\\"stream\\\":true"), "{log}");
    assert!(!log.contains("extra-parameters"), "no extras, no header: {log}");
}

#[wasm_bindgen_test]
async fn enter_sends_and_the_answer_streams_into_one_bubble_with_usage() {
    script_fetch(200, "text/event-stream", SSE, awkward_cuts(), false, 15);
    let host = mount_widget();
    let input = composer(&host);

    type_into(&input, "First line");
    assert!(!press_enter(&input, true), "Shift+Enter is a newline, not a send");
    assert_eq!(find_all(&host, "[data-testid=message]").len(), 0);

    type_into(&input, "What does the chart show?");
    assert!(press_enter(&input, false));
    wait_for("the usage line", Duration::from_secs(10), || find(&host, "usage").is_some()).await;

    let messages = find_all(&host, "[data-testid=message]");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].get_attribute("data-role").as_deref(), Some("user"));
    assert_eq!(messages[1].get_attribute("data-role").as_deref(), Some("assistant"));
    assert_eq!(messages[1].get_attribute("data-state").as_deref(), Some("complete"));
    let contents = find_all(&host, "[data-testid=message-content]");
    assert_eq!(contents[0].text_content().unwrap(), "What does the chart show?");
    assert_eq!(contents[1].text_content().unwrap(), "Umsatz wächst 📈 in Europe.");
    let usage = find(&host, "usage").unwrap();
    assert_eq!(usage.get_attribute("data-total-tokens").as_deref(), Some("2506"));
    assert_eq!(usage.text_content().unwrap(), "2,380 prompt + 126 completion = 2,506 tokens");
    assert_eq!(input.value(), "", "the draft was sent");
    host.remove();
}

#[wasm_bindgen_test]
async fn a_refused_prompt_shows_the_service_error_and_keeps_the_draft() {
    let body = r#"{"error":{"message":"The response was filtered due to the prompt triggering Microsoft's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400}}"#;
    script_fetch(400, "application/json", body, vec![], false, 0);
    let host = mount_widget();
    let input = composer(&host);
    type_into(&input, "Chopping tomatoes");
    press_enter(&input, false);
    wait_for("the error", Duration::from_secs(10), || find(&host, "error").is_some()).await;
    let error = find(&host, "error").unwrap().text_content().unwrap();
    assert!(error.contains("HTTP 400 content_filter: The response was filtered"), "{error}");
    assert!(error.contains("content filter blocked this prompt"), "{error}");
    wait_for("the draft to come back", Duration::from_secs(5), || input.value() == "Chopping tomatoes").await;
    let messages = find_all(&host, "[data-testid=message]");
    assert_eq!(messages.len(), 1, "no empty assistant bubble is left behind");
    assert_eq!(messages[0].get_attribute("data-state").as_deref(), Some("not-sent"));
    host.remove();
}

#[wasm_bindgen_test]
async fn stop_keeps_the_partial_answer() {
    // The stream delivers part of the answer, then never ends by itself.
    let cut = SSE.find("data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"Phi-3.5-vision-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"📈").unwrap();
    script_fetch(200, "text/event-stream", &SSE[..cut], vec![], true, 0);
    let host = mount_widget();
    let input = composer(&host);
    type_into(&input, "Trend?");
    press_enter(&input, false);
    wait_for("partial text", Duration::from_secs(10), || {
        find_all(&host, "[data-testid=message-content]").get(1).and_then(|c| c.text_content()).as_deref()
            == Some("Umsatz wächst")
    })
    .await;
    let stop = find(&host, "stop").expect("a Stop button while streaming");
    stop.click();
    wait_for("the stopped state", Duration::from_secs(5), || {
        find_all(&host, "[data-testid=message]").get(1).and_then(|m| m.get_attribute("data-state")).as_deref()
            == Some("stopped")
    })
    .await;
    assert_eq!(find_all(&host, "[data-testid=message-content]")[1].text_content().unwrap(), "Umsatz wächst");
    assert!(find(&host, "stop").is_none());
    assert!(find(&host, "send").is_some());
    assert!(find(&host, "usage").is_none(), "no usage arrived");
    assert!(find(&host, "error").is_none(), "stopping is not an error");
    host.remove();
}

#[wasm_bindgen_test]
async fn unreachable_model_info_is_stated() {
    script_fetch(
        502,
        "application/json",
        r#"{"error":{"message":"The proxy could not reach the model endpoint","code":"upstream_unreachable","status":502}}"#,
        vec![],
        false,
        0,
    );
    let host = mount_widget();
    wait_for("the model state", Duration::from_secs(10), || {
        find(&host, "model-name").and_then(|m| m.text_content()).as_deref() == Some("Model unavailable")
    })
    .await;
    assert!(host.text_content().unwrap().contains("HTTP 502 upstream_unreachable"));
    host.remove();
}
