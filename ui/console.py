"""The support-agent console (Gradio Blocks, served behind Gradio's login at ``/console``).

Tabs: the queue of escalated conversations (take one over, read the full transcript, reply as a human), all
transcripts with the retrieval trace of every recommendation (score components before and after the
long-tail re-ranking, popularity bucket, exposure, hidden-gem score), and the exposure dashboard.
Credentials come from ``settings.admin_user`` / ``admin_password``; without them the console is not served.

Everything a shopper (or the assistant quoting one) wrote is shown as plain text: the transcripts are
HTML-escaped and rendered without Markdown (:func:`plain`), so ``<img src=...>`` loads nothing, a
``position:fixed`` block covers nothing and ``![](url)`` / ``[link](url)`` stay characters. The tables
(queue, sessions, traces) hold plain strings.
"""

from __future__ import annotations

import html
import logging
import time
from typing import TYPE_CHECKING, Any

import gradio as gr

from .dashboard import figures, store_report
from .tracelog import TRACE_COLUMNS, TraceLog

if TYPE_CHECKING:  # the UI is typed against the assistant, imported only for type checkers
    from assistant import Assistant

log = logging.getLogger(__name__)

QUEUE_COLUMNS = ["ticket_id", "status", "agent", "created", "session_id", "summary"]
SESSION_COLUMNS = ["session_id", "status", "messages", "updated"]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def plain(text: Any) -> str:
    """``text`` as the console's chat bubbles must show it: HTML-escaped (the bubbles render without
    Markdown, see :func:`transcript_box`), so no tag, style or link in it ever takes effect."""
    return html.escape(str(text), quote=True)


def transcript(conversations: Any, session_id: str) -> list[dict[str, Any]]:
    """A session's full transcript as chat bubbles: shopper, assistant, human agent, tool results (folded).
    Every text is :func:`plain`: the shopper wrote it, or the assistant may quote it."""
    out: list[dict[str, Any]] = []
    for m in conversations.messages(session_id) if session_id else []:
        role, content = m["role"], str(m.get("content", ""))
        if role == "user":
            out.append({"role": "user", "content": plain(content)})
        elif role == "assistant":
            out.append({"role": "assistant", "content": plain(content)})
        elif role == "agent":
            name = m.get("agent") or "Support"
            out.append({"role": "assistant", "content": plain(f"{name} (support agent): {content}")})
        elif content:
            out.append(
                {
                    "role": "assistant",
                    "content": plain(content[:4000]),
                    "metadata": {"title": f"🔧 {plain(role)}", "status": "done"},
                }
            )
    return out


def transcript_box(**options: Any) -> gr.Chatbot:
    """A chat transcript for agents: no Markdown, no HTML (the texts come :func:`plain`), no LaTeX."""
    return gr.Chatbot(
        render_markdown=False,
        sanitize_html=True,
        allow_tags=False,
        latex_delimiters=[],
        feedback_options=None,
        group_consecutive_messages=False,
        **options,
    )


def queue_rows(conversations: Any) -> list[list[Any]]:
    tickets = conversations.escalations(None)
    tickets = [t for t in tickets if t["status"] != "closed"]
    return [
        [t["ticket_id"], t["status"], t.get("agent", ""), _when(t["created"]), t["session_id"], t["summary"]]
        for t in tickets
    ]


def session_rows(conversations: Any) -> list[list[Any]]:
    return [
        [s["session_id"], s.get("status", ""), s.get("messages", 0), _when(s["updated"])]
        for s in conversations.sessions()
    ]


def trace_rows(traces: TraceLog, session_id: str) -> list[list[Any]]:
    return [[row.get(c) for c in TRACE_COLUMNS] for row in traces.rows(session_id)] if session_id else []


def build_console(assistant: Assistant, settings: Any, traces: TraceLog) -> gr.Blocks:
    conversations, store = assistant.conversations, assistant.store

    with gr.Blocks(title="Longtail support console", analytics_enabled=False) as console:
        gr.Markdown("## 🎧 Support console")
        with gr.Tab("Queue", elem_id="lt-queue-tab"):
            queue = gr.Dataframe(
                headers=QUEUE_COLUMNS,
                value=lambda: queue_rows(conversations),
                interactive=False,
                wrap=True,
                elem_id="lt-queue",
                label="Escalated conversations (click a row to open it)",
            )
            with gr.Row():
                ticket = gr.Dropdown(
                    [], label="Ticket", allow_custom_value=False, elem_id="lt-ticket", min_width=200
                )
                refresh = gr.Button("Refresh", size="sm", elem_id="lt-refresh")
                take = gr.Button("Take over", variant="primary", size="sm", elem_id="lt-take")
            q_status = gr.Markdown("")
            q_transcript = transcript_box(label="Transcript", height=360, elem_id="lt-ticket-transcript")
            with gr.Row(equal_height=True):
                reply = gr.Textbox(
                    show_label=False,
                    placeholder="Reply to the shopper as a human agent",
                    scale=8,
                    elem_id="lt-reply",
                )
                send = gr.Button("Send reply", variant="primary", scale=1, elem_id="lt-send-reply")
        with gr.Tab("Transcripts", elem_id="lt-transcripts-tab"):
            sessions = gr.Dataframe(
                headers=SESSION_COLUMNS,
                interactive=False,
                elem_id="lt-sessions",
                label="Sessions (click a row to open it)",
            )
            with gr.Row():
                session = gr.Dropdown([], label="Session", elem_id="lt-session", min_width=240)
                load = gr.Button("Refresh", size="sm")
            s_transcript = transcript_box(label="Transcript", height=360, elem_id="lt-session-transcript")
            traces_table = gr.Dataframe(
                headers=list(TRACE_COLUMNS),
                interactive=False,
                wrap=False,
                label="Recommendations and their retrieval traces "
                "(rank_before = by relevance only; rank_after = after re-ranking)",
                elem_id="lt-traces",
            )
        with gr.Tab("Exposure", elem_id="lt-exposure-tab"):
            summary = gr.Markdown("")
            with gr.Row():
                over_time = gr.Plot(label="Share of impressions by popularity bucket", show_label=False)
                curve = gr.Plot(label="Lorenz curve of exposure", show_label=False)
            never = gr.Dataframe(
                headers=["item_id", "title", "bucket"],
                interactive=False,
                label="Items never shown (first 200)",
            )
            dash = gr.Button("Refresh dashboard", size="sm")

        def ticket_of(ticket_id: str) -> dict[str, Any] | None:
            return next((t for t in conversations.escalations(None) if t["ticket_id"] == ticket_id), None)

        def on_refresh(current: str):
            rows = queue_rows(conversations)
            ids = [r[0] for r in rows]
            pick = current if current in ids else (ids[0] if ids else None)
            t = ticket_of(pick) if pick else None
            return (
                rows,
                gr.Dropdown(choices=ids, value=pick),
                transcript(conversations, t["session_id"] if t else ""),
            )

        def on_take(ticket_id: str, request: gr.Request):
            t = ticket_of(ticket_id or "")
            if t is None:
                return "Pick a ticket first.", gr.skip(), gr.skip()
            agent = getattr(request, "username", None) or settings.admin_user
            conversations.take_over(ticket_id, agent)
            return (
                f"You ({agent}) took over **{ticket_id}**: the assistant is now silent in this chat.",
                queue_rows(conversations),
                transcript(conversations, t["session_id"]),
            )

        def on_reply(ticket_id: str, text: str, request: gr.Request):
            t = ticket_of(ticket_id or "")
            if t is None or not (text or "").strip():
                return "Pick a ticket and type a reply.", gr.skip(), text
            agent = getattr(request, "username", None) or settings.admin_user
            if t["status"] != "taken":
                conversations.take_over(ticket_id, agent)
            conversations.add_agent_message(t["session_id"], agent, text.strip())
            return f"Sent to the shopper in {ticket_id}.", transcript(conversations, t["session_id"]), ""

        def on_sessions(current: str):
            rows = session_rows(conversations)
            ids = [r[0] for r in rows]
            pick = current if current in ids else (ids[0] if ids else None)
            return (
                rows,
                gr.Dropdown(choices=ids, value=pick),
                transcript(conversations, pick or ""),
                trace_rows(traces, pick or ""),
            )

        def on_session(pick: str):
            return transcript(conversations, pick or ""), trace_rows(traces, pick or "")

        def on_dashboard():
            report = store_report(store)
            fig_time, fig_curve = figures(report)
            items = store.db.items()
            bucket = store.searcher.popularity.bucket
            rows = [[i, items[i].title, bucket.get(i, "tail")] for i in report.never_shown[:200]]
            return report.markdown(), fig_time, fig_curve, rows

        def row_value(rows: Any, evt: gr.SelectData, column: int) -> str | None:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            values = rows.values.tolist() if hasattr(rows, "values") else rows
            return str(values[row][column]) if values and 0 <= row < len(values) else None

        def on_queue_row(rows: Any, evt: gr.SelectData):
            pick = row_value(rows, evt, 0)
            return (
                (
                    gr.Dropdown(value=pick),
                    transcript(conversations, (ticket_of(pick) or {}).get("session_id", "")),
                )
                if pick
                else (gr.skip(), gr.skip())
            )

        def on_session_row(rows: Any, evt: gr.SelectData):
            pick = row_value(rows, evt, 0)
            return (gr.Dropdown(value=pick), *on_session(pick)) if pick else (gr.skip(), gr.skip(), gr.skip())

        queue.select(on_queue_row, queue, [ticket, q_transcript])
        sessions.select(on_session_row, sessions, [session, s_transcript, traces_table])
        refresh.click(on_refresh, ticket, [queue, ticket, q_transcript])
        ticket.change(
            lambda tid: transcript(conversations, (ticket_of(tid or "") or {}).get("session_id", "")),
            ticket,
            q_transcript,
        )
        take.click(on_take, ticket, [q_status, queue, q_transcript])
        send.click(on_reply, [ticket, reply], [q_status, q_transcript, reply])
        reply.submit(on_reply, [ticket, reply], [q_status, q_transcript, reply])
        load.click(on_sessions, session, [sessions, session, s_transcript, traces_table])
        session.change(on_session, session, [s_transcript, traces_table])
        dash.click(on_dashboard, None, [summary, over_time, curve, never])
        console.load(on_refresh, ticket, [queue, ticket, q_transcript])
        console.load(on_sessions, session, [sessions, session, s_transcript, traces_table])
        console.load(on_dashboard, None, [summary, over_time, curve, never])
    console.queue(default_concurrency_limit=4)
    return console
