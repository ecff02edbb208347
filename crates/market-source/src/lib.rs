//! The market source protocol (DESIGN.md §5.4): a server that publishes a folder of
//! chart directories as a remote market source, and the client types that speak it.
//!
//! Owns: hash, info, application details and chart download of the upstream catalog.
//! Never: rendering charts per user, or knowing about market's store.
