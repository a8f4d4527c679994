//! Protocol tests of the providers and the chain against real HTTP servers on 127.0.0.1
//! that speak the Ollama and OpenAI wire formats, plus configuration, offline mode and
//! redaction.

mod chain;
mod config;
mod offline;
mod ollama;
mod openai;
mod redaction;
mod support;
