//! The conversation controller shared by the views through context.

use leptos::prelude::*;
use leptos::task::spawn_local;
use vision_chat_protocol::image::Limits;
use vision_chat_protocol::request::{build_request, RequestOptions};
use vision_chat_protocol::wire::{Role, Usage};
use web_sys::AbortController;

use crate::api;
use crate::attachment::{refusal_message, Attachment};
use crate::conversation::{final_state, request_turns, ErrorNotice, HistoryItem, MessageState};
use crate::image_prep;
use crate::settings::Settings;

/// Where the settings form is kept between visits.
const SETTINGS_KEY: &str = "vision-chat:settings";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load_settings() -> Settings {
    local_storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok()?)
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default()
}

fn store_settings(settings: &Settings) {
    if let (Some(storage), Ok(raw)) = (local_storage(), serde_json::to_string(settings)) {
        let _ = if settings.is_default() {
            storage.remove_item(SETTINGS_KEY)
        } else {
            storage.set_item(SETTINGS_KEY, &raw)
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
    pub image: StoredValue<Option<Attachment>>,
}

/// One row of the conversation.
#[derive(Clone)]
pub enum EntryBody {
    Message(MessageEntry),
    Error(ErrorNotice),
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
    endpoint: StoredValue<String>,
    limits: StoredValue<Limits>,
    pub entries: RwSignal<Vec<Entry>>,
    pub draft: RwSignal<String>,
    pub pending: RwSignal<Option<Attachment>>,
    pub attach_note: RwSignal<AttachNote>,
    pub busy: RwSignal<bool>,
    /// The image shown full size, if any.
    pub viewing: RwSignal<Option<Attachment>>,
    /// Generation settings, as typed (kept in local storage).
    pub settings: RwSignal<Settings>,
    pub settings_open: RwSignal<bool>,
    /// Why the last send did not go (settings to fix), if so.
    pub send_problem: RwSignal<Option<String>>,
    /// Distinguishes this instance's element ids from other instances'.
    pub uid: u32,
    next_id: StoredValue<u64>,
    attach_generation: StoredValue<u64>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    stopped: StoredValue<bool>,
}

impl Chat {
    pub fn new(endpoint: String, limits: Limits) -> Self {
        Chat {
            endpoint: StoredValue::new(endpoint.trim_end_matches('/').to_owned()),
            limits: StoredValue::new(limits),
            entries: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            pending: RwSignal::new(None),
            attach_note: RwSignal::new(AttachNote::None),
            busy: RwSignal::new(false),
            viewing: RwSignal::new(None),
            settings: RwSignal::new(load_settings()),
            settings_open: RwSignal::new(false),
            send_problem: RwSignal::new(None),
            uid: {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            next_id: StoredValue::new(0),
            attach_generation: StoredValue::new(0),
            abort: StoredValue::new_local(None),
            stopped: StoredValue::new(false),
        }
    }

    pub fn endpoint(&self) -> String {
        self.endpoint.get_value()
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

    fn push_message(&self, role: Role, text: String, state: MessageState, image: Option<Attachment>) -> MessageEntry {
        let entry = MessageEntry {
            role,
            text: RwSignal::new(text),
            state: RwSignal::new(state),
            usage: RwSignal::new(None),
            image: StoredValue::new(image),
        };
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
            let limits = chat.limits.get_value();
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
                Err(why) => chat.attach_note.set(AttachNote::Refused(refusal_message(&name, &why))),
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
        let options = match self.settings.with_untracked(Settings::validate) {
            Ok(options) => options,
            Err(problems) => {
                let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
                self.send_problem.set(Some(format!("Not sent — fix the settings first: {}.", list.join("; "))));
                self.settings_open.set(true);
                return;
            }
        };
        self.send_problem.set(None);
        let user = self.push_message(Role::User, text.clone(), MessageState::Sent, image.clone());
        let request = build_request(&request_turns(&self.history()), &RequestOptions { stream: true, ..options });
        let answer = self.push_message(Role::Assistant, String::new(), MessageState::Streaming, None);
        self.draft.set(String::new());
        self.pending.set(None);
        self.attach_note.set(AttachNote::None);

        let Ok(controller) = AbortController::new() else {
            answer.state.set(MessageState::Interrupted("This browser cannot run requests.".into()));
            return;
        };
        let signal = controller.signal();
        self.abort.set_value(Some(controller));
        self.stopped.set_value(false);
        self.busy.set(true);

        let chat = *self;
        spawn_local(async move {
            let endpoint = chat.endpoint();
            let result = api::stream_chat(&endpoint, &request, &signal, |fresh| {
                answer.text.update(|t| t.push_str(fresh));
            })
            .await;
            let stopped = chat.stopped.get_value();
            match result {
                Ok(streamed) => {
                    let reason = streamed.answer.choice(0).and_then(|c| c.finish_reason.as_ref());
                    answer.state.set(final_state(&streamed.ending, stopped, reason));
                    answer.usage.set(streamed.answer.usage);
                }
                Err(explained) => {
                    // No answer at all: the text and image go back to the composer.
                    chat.remove_last_if_empty_answer();
                    user.state.set(MessageState::NotSent);
                    if chat.draft.with_untracked(|d| d.trim().is_empty()) {
                        chat.draft.set(text);
                    }
                    if chat.pending.with_untracked(Option::is_none) {
                        chat.pending.set(image);
                    }
                    if !stopped {
                        chat.push(EntryBody::Error(ErrorNotice::from(&explained)));
                    }
                }
            }
            chat.abort.set_value(None);
            chat.busy.set(false);
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
