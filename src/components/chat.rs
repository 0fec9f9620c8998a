//! The conversation controller shared by the views through context.

use leptos::prelude::*;
use leptos::task::spawn_local;
use vision_chat_protocol::error::{ErrorKind, Explained};
use vision_chat_protocol::json::{FromJson, ToJson};
use vision_chat_protocol::request::{build_request, RequestOptions};
use vision_chat_protocol::stream::ChoiceText;
use vision_chat_protocol::wire::{Role, Usage};
use web_sys::AbortController;

use super::{local_storage, HostConfig};
use crate::api;
use crate::attachment::{refusal_message, Attachment};
use crate::connection::{auth, direct_network_advice, endpoint_base, Auth, Connection};
use crate::conversation::{
    final_state, request_turns, retry_delay_ms, ErrorNotice, HistoryItem, Interruption, MessageState, MAX_AUTO_RETRIES,
};
use crate::host::{ErrorDetail, MessageDetail};
use crate::image_prep;
use crate::settings::Settings;

/// Where the settings form is kept between visits.
const SETTINGS_KEY: &str = "vision-chat:settings";

fn load_settings() -> Settings {
    local_storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok()?)
        .and_then(|raw| Settings::from_json_str(&raw).ok())
        .unwrap_or_default()
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

const CONNECTION_KEY: &str = "vision-chat:connection";
const KEY_KEY: &str = "vision-chat:key";

fn load_connection() -> (Connection, Option<String>) {
    let connection: Connection = local_storage()
        .and_then(|s| s.get_item(CONNECTION_KEY).ok()?)
        .and_then(|raw| Connection::from_json_str(&raw).ok())
        .unwrap_or_default();
    let key = session_storage()
        .and_then(|s| s.get_item(KEY_KEY).ok()?)
        .or_else(|| local_storage().and_then(|s| s.get_item(KEY_KEY).ok()?));
    (connection, key)
}

/// Keeps the connection choices in local storage, and the key in session
/// storage — or, only when the person opted in, in local storage.
fn store_connection(connection: &Connection, key: Option<&str>) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(CONNECTION_KEY, &connection.to_json());
    }
    for storage in [session_storage(), local_storage()].into_iter().flatten() {
        let _ = storage.remove_item(KEY_KEY);
    }
    if let Some(key) = key {
        let storage = if connection.remember_key { local_storage() } else { session_storage() };
        if let Some(storage) = storage {
            let _ = storage.set_item(KEY_KEY, key);
        }
    }
}

fn store_settings(settings: &Settings) {
    if let Some(storage) = local_storage() {
        let _ = if settings.is_default() {
            storage.remove_item(SETTINGS_KEY)
        } else {
            storage.set_item(SETTINGS_KEY, &settings.to_json())
        };
    }
}

/// A chat message, each field its own signal so that a streamed delta
/// re-renders one bubble's text and nothing else.
#[derive(Clone, Copy)]
pub struct MessageEntry {
    pub role: Role,
    pub text: RwSignal<String>,
    pub state: RwSignal<MessageState>,
    pub usage: RwSignal<Option<Usage>>,
    /// Text that is not all on screen yet: set when text arrives, cleared by
    /// the view once everything is shown (it can arrive faster than frames
    /// can show it).
    pub rendering: RwSignal<bool>,
    pub image: StoredValue<Option<Attachment>>,
    /// Every choice with its finish reason and token log probabilities, once
    /// the answer has ended (`n` > 1 or `logprobs`).
    pub choices: RwSignal<Vec<ChoiceText>>,
}

/// An error in the conversation, and what can be done about it.
#[derive(Clone, Copy)]
pub struct ErrorEntry {
    pub notice: StoredValue<ErrorNotice>,
    /// Milliseconds left before an automatic retry, while counting down.
    pub countdown_ms: RwSignal<Option<u64>>,
    /// Whether sending again may help (a Retry button is offered).
    pub retryable: bool,
}

/// One row of the conversation.
#[derive(Clone)]
pub enum EntryBody {
    Message(MessageEntry),
    Error(ErrorEntry),
}

#[derive(Clone)]
pub struct Entry {
    pub id: u64,
    pub body: EntryBody,
}

/// What the composer says about the image being attached.
#[derive(Debug, Clone, PartialEq)]
pub enum AttachNote {
    None,
    Preparing(String),
    /// A new image replaced the pending one.
    Replaced(String),
    /// Several files were offered; the first was taken.
    FirstOfMany(usize),
    Refused(String),
}

/// The conversation and the request in flight.
#[derive(Clone, Copy)]
pub struct Chat {
    /// What the host page configured (attributes, token); live.
    pub host: HostConfig,
    pub entries: RwSignal<Vec<Entry>>,
    pub draft: RwSignal<String>,
    pub pending: RwSignal<Option<Attachment>>,
    pub attach_note: RwSignal<AttachNote>,
    pub busy: RwSignal<bool>,
    /// The image shown full size, if any.
    pub viewing: RwSignal<Option<Attachment>>,
    /// Generation settings, as typed (kept in local storage).
    pub settings: RwSignal<Settings>,
    /// Proxy or direct mode, and the direct endpoint.
    pub connection: RwSignal<Connection>,
    /// The key for direct mode (never rendered in full).
    pub key: RwSignal<Option<String>>,
    pub settings_open: RwSignal<bool>,
    /// Why the last send did not go (settings to fix), if so.
    pub send_problem: RwSignal<Option<String>>,
    /// Distinguishes this instance's element ids from other instances'.
    pub uid: u32,
    /// The user message being edited in place, if any.
    pub editing: RwSignal<Option<u64>>,
    /// The widget's own reactive owner: messages' signals belong to it, not
    /// to whichever button created them (a button can go with its row).
    owner: StoredValue<Option<Owner>, LocalStorage>,
    next_id: StoredValue<u64>,
    attach_generation: StoredValue<u64>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    stopped: StoredValue<bool>,
}

impl Chat {
    pub fn new(host: HostConfig) -> Self {
        let (connection, key) = load_connection();
        let chat = Chat {
            host,
            entries: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            pending: RwSignal::new(None),
            attach_note: RwSignal::new(AttachNote::None),
            busy: RwSignal::new(false),
            viewing: RwSignal::new(None),
            settings: RwSignal::new(load_settings()),
            connection: RwSignal::new(Connection::default()),
            key: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            send_problem: RwSignal::new(None),
            uid: {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            editing: RwSignal::new(None),
            owner: StoredValue::new_local(Owner::current()),
            next_id: StoredValue::new(0),
            attach_generation: StoredValue::new(0),
            abort: StoredValue::new_local(None),
            stopped: StoredValue::new(false),
        };
        chat.connection.set(connection);
        chat.key.set(key);
        chat
    }

    /// The API base in use: the direct endpoint in direct mode (when it is
    /// valid), else the configured one (the proxy). Tracks the connection.
    pub fn endpoint(&self) -> String {
        self.connection
            .with(|c| if c.direct { endpoint_base(&c.endpoint).ok() } else { None })
            .unwrap_or_else(|| self.host.endpoint.get())
    }

    /// How requests authenticate now.
    pub fn auth(&self) -> Auth {
        let direct = self.connection.with_untracked(|c| c.direct);
        self.key.with_untracked(|k| self.host.token.with_untracked(|t| auth(direct, k.as_deref(), t.as_deref())))
    }

    pub fn direct(&self) -> bool {
        self.connection.with(|c| c.direct)
    }

    /// Changes the connection choices and stores them (and the key, as chosen).
    pub fn update_connection(&self, change: impl FnOnce(&mut Connection, &mut Option<String>)) {
        let mut connection = self.connection.get_untracked();
        let mut key = self.key.get_untracked();
        change(&mut connection, &mut key);
        key = key.filter(|k| !k.trim().is_empty());
        store_connection(&connection, key.as_deref());
        self.connection.set(connection);
        self.key.set(key);
    }

    /// The notice for a failed request, with direct mode's network advice.
    fn notice(&self, explained: &Explained) -> ErrorNotice {
        let words = self.host.words();
        let mut notice = ErrorNotice::new(explained, words);
        if explained.kind == ErrorKind::Network && self.connection.with_untracked(|c| c.direct) {
            let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
            notice.advice = direct_network_advice(&self.endpoint(), &origin, words);
        }
        notice
    }

    /// Changes the settings and keeps them for the next visit.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        self.settings.update(change);
        self.settings.with_untracked(store_settings);
        self.send_problem.set(None);
    }

    /// Back to the service's defaults.
    pub fn reset_settings(&self) {
        self.update_settings(|s| *s = Settings::default());
    }

    /// An element id unique to this widget instance.
    pub fn id(&self, name: &str) -> String {
        format!("vc{}-{name}", self.uid)
    }

    fn push(&self, body: EntryBody) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.entries.update(|e| e.push(Entry { id, body }));
        id
    }

    /// Runs `f` under the widget's owner, so what it creates lives as long as the widget.
    fn owned<T>(&self, f: impl FnOnce() -> T) -> T {
        match self.owner.with_value(Clone::clone) {
            Some(owner) => owner.with(f),
            None => f(),
        }
    }

    fn push_message(&self, role: Role, text: String, state: MessageState, image: Option<Attachment>) -> MessageEntry {
        let entry = self.owned(|| MessageEntry {
            role,
            text: RwSignal::new(text),
            state: RwSignal::new(state),
            usage: RwSignal::new(None),
            rendering: RwSignal::new(false),
            image: StoredValue::new(image),
            choices: RwSignal::new(Vec::new()),
        });
        self.push(EntryBody::Message(entry));
        entry
    }

    fn history(&self) -> Vec<HistoryItem> {
        self.entries.with_untracked(|entries| {
            entries
                .iter()
                .filter_map(|e| match &e.body {
                    EntryBody::Message(m) => Some(HistoryItem {
                        role: m.role,
                        text: m.text.get_untracked(),
                        image: m.image.with_value(|i| i.as_ref().map(|a| a.data_url.clone())),
                        state: m.state.get_untracked(),
                    }),
                    EntryBody::Error(_) => None,
                })
                .collect()
        })
    }

    /// The newest user message.
    fn last_user(&self) -> Option<MessageEntry> {
        self.entries.with_untracked(|entries| {
            entries.iter().rev().find_map(|e| match &e.body {
                EntryBody::Message(m) if m.role == Role::User => Some(*m),
                _ => None,
            })
        })
    }

    /// Error rows at the end of the conversation go when the person acts on them.
    fn drop_trailing_errors(&self) {
        self.entries.update(|entries| {
            while matches!(entries.last(), Some(Entry { body: EntryBody::Error(_), .. })) {
                entries.pop();
            }
        });
    }

    fn push_error(&self, explained: &Explained, notice: ErrorNotice, countdown_ms: Option<u64>) -> u64 {
        let entry = self.owned(|| ErrorEntry {
            notice: StoredValue::new(notice),
            countdown_ms: RwSignal::new(countdown_ms),
            retryable: explained.retryable(),
        });
        self.push(EntryBody::Error(entry))
    }

    fn remove_entry(&self, id: u64) {
        self.entries.update(|entries| entries.retain(|e| e.id != id));
    }

    /// The validated settings, or `None` after saying what to fix.
    fn request_options(&self) -> Option<RequestOptions> {
        match self.settings.with_untracked(Settings::validate) {
            Ok(options) => {
                self.send_problem.set(None);
                Some(RequestOptions { stream: true, ..options })
            }
            Err(problems) => {
                let t = self.host.words();
                let list: Vec<String> = problems.iter().map(t.setting_problem).collect();
                let message = (t.fix_settings_first)(&list.join("; "));
                self.send_problem.set(Some(message));
                self.settings_open.set(true);
                None
            }
        }
    }

    /// The id of the message whose image the model sees now: the newest
    /// image that is part of the history.
    pub fn visible_image(&self) -> Option<u64> {
        self.entries.with(|entries| {
            entries.iter().rev().find_map(|e| match &e.body {
                EntryBody::Message(m)
                    if m.image.with_value(Option::is_some) && m.state.with(MessageState::in_history) =>
                {
                    Some(e.id)
                }
                _ => None,
            })
        })
    }

    pub fn preparing(&self) -> bool {
        self.attach_note.with(|n| matches!(n, AttachNote::Preparing(_)))
    }

    /// Whether the composer's content can be sent now.
    pub fn can_send(&self) -> bool {
        !self.busy.get()
            && !self.preparing()
            && (!self.draft.with(|d| d.trim().is_empty()) || self.pending.with(Option::is_some))
    }

    /// Attaches the first of the offered files.
    pub fn attach_files(&self, files: &web_sys::FileList) {
        if let Some(file) = files.get(0) {
            self.attach(file, files.length() as usize);
        }
    }

    /// Prepares a file for the next message (`offered`: how many files came
    /// with it). A refusal leaves the draft and any pending image as they were.
    pub fn attach(&self, file: web_sys::File, offered: usize) {
        let generation = self.attach_generation.get_value() + 1;
        self.attach_generation.set_value(generation);
        let name = file.name();
        self.attach_note.set(AttachNote::Preparing(name.clone()));
        let chat = *self;
        spawn_local(async move {
            let limits = chat.host.limits.get_untracked();
            let result = image_prep::prepare(&file, &name, &limits).await;
            if chat.attach_generation.get_value() != generation {
                return; // A newer file was offered meanwhile.
            }
            match result {
                Ok(attachment) => {
                    let replaced = chat.pending.get_untracked().is_some();
                    chat.pending.set(Some(attachment));
                    chat.attach_note.set(if offered > 1 {
                        AttachNote::FirstOfMany(offered)
                    } else if replaced {
                        AttachNote::Replaced(name)
                    } else {
                        AttachNote::None
                    });
                }
                Err(why) => {
                    let message = refusal_message(&name, &why, chat.host.words());
                    chat.attach_note.set(AttachNote::Refused(message));
                }
            }
        });
    }

    pub fn remove_attachment(&self) {
        if let Some(a) = self.pending.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&a.object_url);
        }
        self.pending.set(None);
        self.attach_note.set(AttachNote::None);
    }

    /// Sends the draft (and image) and streams the answer into a new
    /// assistant message.
    pub fn send(&self) {
        let text = self.draft.get_untracked().trim().to_owned();
        let image = self.pending.get_untracked();
        if (text.is_empty() && image.is_none()) || self.busy.get_untracked() || self.preparing() {
            return;
        }
        let Some(options) = self.request_options() else { return };
        self.drop_trailing_errors();
        self.push_message(Role::User, text, MessageState::Sent, image);
        self.draft.set(String::new());
        self.pending.set(None);
        self.attach_note.set(AttachNote::None);
        self.answer(options, true);
    }

    /// Sends `text` (with the pending image, if any) in place of the draft.
    /// `false`, leaving the draft as it was, when nothing can be sent now:
    /// an answer is streaming, an image is being prepared, or there is
    /// nothing to send.
    pub fn send_text(&self, text: String) -> bool {
        let idle = !self.busy.get_untracked() && !untrack(|| self.preparing());
        if !idle || (text.trim().is_empty() && self.pending.with_untracked(Option::is_none)) {
            return false;
        }
        self.draft.set(text);
        self.send();
        self.busy.get_untracked()
    }

    /// Sends the failed message again.
    pub fn retry(&self) {
        if self.busy.get_untracked() {
            return;
        }
        let Some(options) = self.request_options() else { return };
        self.drop_trailing_errors();
        if let Some(user) = self.last_user().filter(|u| u.state.get_untracked() == MessageState::NotSent) {
            // The composer got the message back; it is being sent now instead.
            let same_text = self.draft.with_untracked(|d| d.trim() == user.text.get_untracked());
            let sent = user.image.with_value(|i| i.as_ref().map(|a| a.data_url.clone()));
            let same_image = self.pending.with_untracked(|p| p.as_ref().map(|a| &a.data_url) == sent.as_ref());
            if same_text && same_image {
                self.draft.set(String::new());
                self.pending.set(None);
            }
            user.state.set(MessageState::Sent);
        }
        self.answer(options, false);
    }

    /// Asks again for the last answer, replacing it.
    pub fn regenerate(&self) {
        if self.busy.get_untracked() {
            return;
        }
        let Some(options) = self.request_options() else { return };
        self.drop_trailing_errors();
        self.entries.update(|entries| {
            if let Some(Entry { body: EntryBody::Message(m), .. }) = entries.last() {
                if m.role == Role::Assistant {
                    entries.pop();
                }
            }
        });
        self.answer(options, false);
    }

    /// Replaces a user message's text and asks again from there; the
    /// messages after it are dropped.
    pub fn resend_edited(&self, id: u64, text: String) {
        if self.busy.get_untracked() || text.trim().is_empty() {
            return;
        }
        let Some(options) = self.request_options() else { return };
        self.entries.update(|entries| {
            if let Some(at) = entries.iter().position(|e| e.id == id) {
                entries.truncate(at + 1);
                if let EntryBody::Message(m) = &entries[at].body {
                    m.text.set(text.trim().to_owned());
                    m.state.set(MessageState::Sent);
                }
            }
        });
        self.editing.set(None);
        self.answer(options, false);
    }

    /// Empties the conversation (stopping any answer first).
    pub fn clear(&self) {
        self.stop();
        self.editing.set(None);
        self.entries.set(Vec::new());
    }

    /// Streams an answer to the conversation as it stands. After HTTP 429
    /// it waits as the service asked (with a visible countdown that Stop
    /// cancels) and tries again, a few times. `fresh`: the last user message
    /// was just sent from the composer, which gets it back if nothing comes.
    fn answer(&self, options: RequestOptions, fresh: bool) {
        let user = self.last_user();
        let request = build_request(&request_turns(&self.history()), &options);
        let answer = self.push_message(Role::Assistant, String::new(), MessageState::Streaming, None);
        let Ok(controller) = AbortController::new() else {
            answer.state.set(MessageState::Interrupted(Interruption::Unsupported));
            return;
        };
        let signal = controller.signal();
        self.abort.set_value(Some(controller));
        self.stopped.set_value(false);
        self.busy.set(true);

        let chat = *self;
        spawn_local(async move {
            let endpoint = untrack(|| chat.endpoint());
            let auth = chat.auth();
            let mut attempt = 0;
            let result = loop {
                let result = api::stream_chat(&endpoint, &auth, &request, &signal, |fresh| {
                    answer.text.update(|t| t.push_str(fresh));
                    if !answer.rendering.get_untracked() {
                        answer.rendering.set(true);
                    }
                })
                .await;
                match &result {
                    Err(e)
                        if e.kind == ErrorKind::RateLimited
                            && attempt < MAX_AUTO_RETRIES
                            && !chat.stopped.get_value() =>
                    {
                        attempt += 1;
                        let wait = retry_delay_ms(attempt, e.retry_after_ms);
                        let row = chat.push_error(e, chat.notice(e), Some(wait));
                        let started = js_sys::Date::now();
                        loop {
                            let left = wait.saturating_sub((js_sys::Date::now() - started) as u64);
                            if left == 0 || chat.stopped.get_value() {
                                break;
                            }
                            chat.countdown(row, Some(left));
                            api::sleep_ms(left.min(200) as u32).await;
                        }
                        chat.remove_entry(row);
                        if chat.stopped.get_value() {
                            break result;
                        }
                    }
                    _ => break result,
                }
            };
            let stopped = chat.stopped.get_value();
            let mut event = None;
            match result {
                Ok(streamed) => {
                    let reason = streamed.answer.choice(0).and_then(|c| c.finish_reason.as_ref());
                    let state = final_state(&streamed.ending, stopped, reason);
                    let detail = MessageDetail::new(answer.text.get_untracked(), &state, streamed.answer.usage);
                    event = Some(("vision-chat:message", detail.to_json()));
                    answer.state.set(state);
                    answer.usage.set(streamed.answer.usage);
                    let more = streamed.answer.choices.len() > 1
                        || streamed.answer.choices.iter().any(|c| !c.tokens.is_empty());
                    if more {
                        answer.choices.set(streamed.answer.choices);
                    }
                }
                Err(explained) => {
                    // No answer at all.
                    chat.remove_last_if_empty_answer();
                    if let Some(user) = user {
                        user.state.set(MessageState::NotSent);
                        if fresh {
                            // The text and image go back to the composer.
                            if chat.draft.with_untracked(|d| d.trim().is_empty()) {
                                chat.draft.set(user.text.get_untracked());
                            }
                            if chat.pending.with_untracked(Option::is_none) {
                                chat.pending.set(user.image.get_value());
                            }
                        }
                    }
                    // Stopping is no error, but a cancelled retry still says why it waited.
                    if !stopped || attempt > 0 {
                        let notice = chat.notice(&explained);
                        let detail = ErrorDetail::new(&explained, &notice);
                        chat.push_error(&explained, notice, None);
                        event = Some(("vision-chat:error", detail.to_json()));
                    }
                }
            }
            chat.abort.set_value(None);
            chat.busy.set(false);
            // Last, so that a host reacting to the event can send again.
            if let Some((name, detail)) = event {
                chat.host.emit(name, &detail);
            }
        });
    }

    fn countdown(&self, row: u64, left: Option<u64>) {
        self.entries.with_untracked(|entries| {
            if let Some(Entry { body: EntryBody::Error(e), .. }) = entries.iter().find(|e| e.id == row) {
                e.countdown_ms.set(left);
            }
        });
    }

    fn remove_last_if_empty_answer(&self) {
        self.entries.update(|entries| {
            if let Some(Entry { body: EntryBody::Message(m), .. }) = entries.last() {
                if m.role == Role::Assistant && m.text.with_untracked(String::is_empty) {
                    entries.pop();
                }
            }
        });
    }

    /// The text of a message, for copying.
    pub fn copy_message(&self, entry: MessageEntry) {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&entry.text.get_untracked());
        }
    }

    /// Stops the answer being streamed, keeping what has arrived.
    pub fn stop(&self) {
        self.stopped.set_value(true);
        self.abort.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }
}
