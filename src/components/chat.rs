//! The conversation controller shared by the views through context.

use leptos::prelude::*;
use leptos::task::spawn_local;
use vision_chat_protocol::request::{build_request, RequestOptions};
use vision_chat_protocol::wire::{Role, Usage};
use web_sys::AbortController;

use crate::api;
use crate::conversation::{final_state, request_turns, ErrorNotice, HistoryItem, MessageState};

/// A chat message, each field its own signal so that a streamed delta
/// re-renders one bubble's text and nothing else.
#[derive(Clone, Copy)]
pub struct MessageEntry {
    pub role: Role,
    pub text: RwSignal<String>,
    pub state: RwSignal<MessageState>,
    pub usage: RwSignal<Option<Usage>>,
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

/// The conversation and the request in flight.
#[derive(Clone, Copy)]
pub struct Chat {
    endpoint: StoredValue<String>,
    pub entries: RwSignal<Vec<Entry>>,
    pub draft: RwSignal<String>,
    pub busy: RwSignal<bool>,
    next_id: StoredValue<u64>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    stopped: StoredValue<bool>,
}

impl Chat {
    pub fn new(endpoint: String) -> Self {
        Chat {
            endpoint: StoredValue::new(endpoint.trim_end_matches('/').to_owned()),
            entries: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
            next_id: StoredValue::new(0),
            abort: StoredValue::new_local(None),
            stopped: StoredValue::new(false),
        }
    }

    pub fn endpoint(&self) -> String {
        self.endpoint.get_value()
    }

    fn push(&self, body: EntryBody) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.entries.update(|e| e.push(Entry { id, body }));
    }

    fn push_message(&self, role: Role, text: String, state: MessageState) -> MessageEntry {
        let entry =
            MessageEntry { role, text: RwSignal::new(text), state: RwSignal::new(state), usage: RwSignal::new(None) };
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
                        image: None,
                        state: m.state.get_untracked(),
                    }),
                    EntryBody::Error(_) => None,
                })
                .collect()
        })
    }

    /// Whether the composer's text can be sent now.
    pub fn can_send(&self) -> bool {
        !self.busy.get() && !self.draft.with(|d| d.trim().is_empty())
    }

    /// Sends the draft and streams the answer into a new assistant message.
    pub fn send(&self) {
        let text = self.draft.get_untracked().trim().to_owned();
        if text.is_empty() || self.busy.get_untracked() {
            return;
        }
        let user = self.push_message(Role::User, text.clone(), MessageState::Sent);
        let request =
            build_request(&request_turns(&self.history()), &RequestOptions { stream: true, ..Default::default() });
        let answer = self.push_message(Role::Assistant, String::new(), MessageState::Streaming);
        self.draft.set(String::new());

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
                    // No answer at all: the user's text goes back to the composer.
                    chat.remove_last_if_empty_answer();
                    user.state.set(MessageState::NotSent);
                    if chat.draft.with_untracked(|d| d.trim().is_empty()) {
                        chat.draft.set(text);
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
