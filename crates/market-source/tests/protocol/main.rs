//! The market source server against a client that syncs as the Olares market does, over
//! the real fixture catalog and edited copies of it, on a real loopback listener.

#![allow(clippy::unwrap_used)]

mod client;
mod harness;

mod errors;
mod folder;
mod sync;
