//! The protocol core of vision-chat: everything that can be decided without a
//! browser or a network.
//!
//! * [`wire`] owns the JSON shapes of the Azure AI Model Inference API.
//! * [`json`] reads and writes JSON text (no serde: see the module).
//! * [`sse`] is an incremental server-sent-events parser.
//! * [`stream`] turns SSE events into a growing answer ([`stream::Answer`]).
//! * [`request`] builds request bodies from a conversation, enforcing the
//!   one-image rule of Phi-3.5-vision.
//! * [`image`] identifies image bytes and reads their dimensions from headers.
//! * [`logprobs`] reads token log probabilities of answers.
//! * [`tokens`] estimates token costs (the Phi-3.5-vision image formula).
//! * [`number`] prints and reads the few numbers people see or type.
//! * [`error`] classifies failed responses into messages a person understands.

pub mod error;
pub mod image;
pub mod json;
pub mod logprobs;
pub mod number;
pub mod request;
pub mod sse;
pub mod stream;
pub mod tokens;
pub mod wire;
