//! `GET /events`: Server-Sent Events for the caller (task progress, app state,
//! `new_app_ready`, image updates). Replays the caller's events after
//! `Last-Event-ID` (or from the start of the store's retention), then follows
//! new ones by polling the store; each event carries its store id as `id:`,
//! so a reconnecting `EventSource` resumes where it left off.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use futures_util::stream;

use super::error::ApiError;
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::store::{Event, EventId, MarketStore};

/// How often the stream asks the store for new events.
const POLL: Duration = Duration::from_millis(500);
/// Events read from the store at once.
const BATCH: u32 = 100;
/// The keep-alive comment interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

/// The caller's live events as `text/event-stream`; send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/events", tag = "runtime", security(("bfl_user" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "`id:` the event id, `event:` its kind, `data:` its JSON"),
        (status = 400, body = openapi::ErrorBody, description = "a Last-Event-ID that is not an id"),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<EventId>().ok())
            .filter(|id| *id >= 0)
            .ok_or_else(|| ApiError::BadRequest("Last-Event-ID: not an event id".into()))?,
    };
    let stream = follow(state.store.clone(), caller.0, after, state.stopping.clone());
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

struct Cursor {
    store: Arc<dyn MarketStore>,
    user: String,
    after: EventId,
    buffer: VecDeque<Event>,
    polled_once: bool,
    stopping: CancellationToken,
}

/// The caller's events after `after`, then new ones as they are stored; ends
/// when the service stops (the client reconnects with `Last-Event-ID`).
fn follow(
    store: Arc<dyn MarketStore>,
    user: String,
    after: EventId,
    stopping: CancellationToken,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let cursor = Cursor {
        store,
        user,
        after,
        buffer: VecDeque::new(),
        polled_once: false,
        stopping,
    };
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.buffer.pop_front() {
                c.after = event.id;
                return Some((Ok(to_sse(&event)), c));
            }
            if c.stopping.is_cancelled() {
                return None;
            }
            if c.polled_once {
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = c.stopping.cancelled() => return None,
                }
            }
            c.polled_once = true;
            match c.store.events_after(&c.user, c.after, BATCH).await {
                Ok(batch) => {
                    // A full batch: read the next one at once.
                    c.polled_once = batch.len() < BATCH as usize;
                    c.buffer.extend(batch);
                }
                Err(e) => tracing::warn!(error = %e, user = %c.user, "events: store read failed"),
            }
        }
    })
}

fn to_sse(event: &Event) -> SseEvent {
    SseEvent::default()
        .id(event.id.to_string())
        .event(event.kind.as_str())
        .data(event.data.to_string())
}
