//! The body of `getQueueJobOutput`: a job's events as Server-Sent Events.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::Frame;
use tokio::sync::mpsc;

use crate::jobs::FollowItem;

/// The SSE body: one frame per event as the job's follower delivers it; the stream ends when
/// the follower does (the job ended, or the server shuts down). A client that goes away drops
/// the body, and with it the follower.
pub(super) struct EventStreamBody {
    pub(super) events: mpsc::Receiver<FollowItem>,
    /// The first frame tells EventSource clients how soon to reconnect.
    pub(super) started: bool,
}

impl hyper::body::Body for EventStreamBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if !self.started {
            self.started = true;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"retry: 1000\n\n")))));
        }
        self.events.poll_recv(cx).map(|item| item.map(|item| Ok(Frame::data(sse_frame(&item)))))
    }
}

/// One item as Server-Sent Events text. Output lines never contain a newline and status data is
/// one line of JSON, so every event has exactly one `data:` line.
fn sse_frame(item: &FollowItem) -> Bytes {
    let text = match item {
        FollowItem::Event(event) => {
            let data = event.data.replace(['\r', '\n'], " ");
            format!("id: {}\nevent: {}\ndata: {data}\n\n", event.seq, event.kind.as_str())
        }
        FollowItem::End(state) => {
            format!("event: end\ndata: {}\n\n", serde_json::json!({"state": state.as_str()}))
        }
        FollowItem::KeepAlive => ": keep-alive\n\n".to_string(),
    };
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{EventKind, JobEvent, JobState};

    #[test]
    fn frames_are_server_sent_events() {
        let event = JobEvent {
            seq: 3,
            kind: EventKind::Stdout,
            attempt: Some(1),
            data: "-----> Building app".into(),
            at_ms: 0,
        };
        assert_eq!(
            sse_frame(&FollowItem::Event(event)),
            "id: 3\nevent: stdout\ndata: -----> Building app\n\n"
        );
        assert_eq!(
            sse_frame(&FollowItem::End(JobState::Failed)),
            "event: end\ndata: {\"state\":\"failed\"}\n\n"
        );
        assert_eq!(sse_frame(&FollowItem::KeepAlive), ": keep-alive\n\n");
    }
}
