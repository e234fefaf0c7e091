"""The support-agent console (Gradio Blocks, served behind Gradio's login at ``/console``).

Tabs: the live queue of escalated conversations (it refreshes itself every :data:`LIVE_SECONDS`; take, release,
assign, close or reopen a ticket, read the full transcript, reply as a human, keep internal notes), all
transcripts with a search over them and, for every recommendation, the sentence the shopper saw, the
retrieval trace in words (:func:`trace_words`) and the numbers behind a toggle; and the exposure dashboard.
Agents sign in with their own accounts (:mod:`ui.agents`, ``longtail agents add``) or the settings'
``admin_user`` / ``admin_password``; with neither the console is not served.

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

from assistant.conversations import TicketError

from .agents import AgentStore
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


def queue_rows(conversations: Any, show_closed: bool = False) -> list[list[Any]]:
    tickets = conversations.escalations(None)
    tickets = [t for t in tickets if show_closed or t["status"] != "closed"]
    return [
        [t["ticket_id"], t["status"], t.get("agent", ""), _when(t["created"]), t["session_id"], t["summary"]]
        for t in tickets
    ]


def note_rows(conversations: Any, ticket_id: str) -> list[list[Any]]:
    return [[_when(n["ts"]), n["agent"], n["text"]] for n in conversations.notes(ticket_id)] if ticket_id else []


def search_rows(conversations: Any, text: str) -> list[list[Any]]:
    return [
        [r["session_id"], r["matches"], _when(r["updated"]), r["snippet"]] for r in conversations.search(text)
    ]


def session_rows(conversations: Any) -> list[list[Any]]:
    return [
        [s["session_id"], s.get("status", ""), s.get("messages", 0), _when(s["updated"])]
        for s in conversations.sessions()
    ]


def trace_rows(traces: TraceLog, session_id: str) -> list[list[Any]]:
    return [[row.get(c) for c in TRACE_COLUMNS] for row in traces.rows(session_id)] if session_id else []


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _times(n: int) -> str:
    return "never" if n == 0 else "once" if n == 1 else f"{n:,} times"


def trace_words(row: dict[str, Any]) -> str:
    """One recommendation's retrieval trace as a sentence an agent reads, e.g. "Ranked 4th by relevance, moved
    up 3 places to 1st because it is a tail item and shoppers had been shown it only twice (exposure re-ranking,
    λ=0.3)." ``row`` is a :meth:`TraceLog.rows` row."""
    before, after = row.get("rank_before"), row.get("rank_after")
    if before is None or after is None:
        return "No retrieval trace was stored for this recommendation."
    matched = []
    if row.get("dense_rank") is not None:
        matched.append(f"{ordinal(row['dense_rank'])} by meaning")
    if row.get("bm25_rank") is not None:
        matched.append(f"{ordinal(row['bm25_rank'])} by keywords")
    out = f"Ranked {ordinal(before)} by relevance" + (f" ({', '.join(matched)})" if matched else "")
    bucket, exposure = row.get("bucket") or "tail", int(row.get("exposure") or 0)
    if exposure == 0:
        seen = "no shopper had been shown it yet"
    elif exposure < 20:
        seen = f"shoppers had been shown it only {_times(exposure)}"
    else:
        seen = f"shoppers had been shown it {_times(exposure)}"
    moved = int(before) - int(after)
    if moved > 0:
        out += f", moved up {moved} place{'s' if moved > 1 else ''} to {ordinal(after)} because it is a {bucket} item"
        out += f" and {seen}"
        if row.get("boost"):
            out += f", with a hidden-gem score of {float(row.get('gem_score') or 0):.2f}"
    elif moved < 0:
        why = f"{seen}" if bucket == "head" else "less-seen items were moved up past it"
        out += f", moved down {-moved} place{'s' if moved < -1 else ''} to {ordinal(after)} because {why}"
    else:
        out += f", and kept its place ({bucket} item; {seen})"
    reranker, lam = row.get("reranker") or "none", row.get("lam")
    if reranker != "none" and lam:
        out += f" ({reranker} re-ranking, λ={float(lam):g})"
    elif moved == 0:
        out += " (no re-ranking)"
    return out + "."


NUMBER_FIELDS = tuple(c for c in TRACE_COLUMNS if c not in ("time", "query", "source", "title", "item_id"))


def recommendations_html(traces: TraceLog, session_id: str) -> str:
    """Every recommendation in the session, newest query last: the title, the sentence the shopper saw (the
    explanation stored with the card), the trace in words, then the numbers behind a toggle (``<details>``).
    Everything is HTML-escaped: titles, queries and explanations may come from a catalog or a shopper."""
    rows = traces.rows(session_id) if session_id else []
    if not rows:
        return '<p class="lt-recs-empty">No recommendations in this conversation yet.</p>'
    parts, last_query = ['<div class="lt-recs">'], None
    for row in rows:
        key = (row.get("time"), row.get("query"))
        if key != last_query:
            parts.append(
                f'<h4 class="lt-rec-query">{plain(row.get("time"))} · “{plain(row.get("query"))}” '
                f'({plain(row.get("source"))})</h4>'
            )
            last_query = key
        said = str(row.get("explanation") or "").strip()
        numbers = "".join(
            f"<tr><th>{plain(k)}</th><td>{plain('' if row.get(k) is None else row.get(k))}</td></tr>"
            for k in NUMBER_FIELDS
        )
        parts.append(
            '<div class="lt-rec">'
            f'<div class="lt-rec-title">{plain(ordinal(row.get("rank_after") or 0))}: {plain(row.get("title"))} '
            f'<span class="lt-rec-id">{plain(row.get("item_id"))}</span></div>'
            f'<div class="lt-rec-said"><b>The shopper saw:</b> '
            f'{plain(said) if said else "<i>(no explanation was shown)</i>"}</div>'
            f'<div class="lt-rec-why"><b>Why:</b> {plain(trace_words(row))}</div>'
            f'<details class="lt-rec-numbers"><summary>Numbers</summary><table>{numbers}</table></details>'
            "</div>"
        )
    parts.append("</div>")
    return "".join(parts)


CONSOLE_CSS = """
.lt-recs { display: flex; flex-direction: column; gap: 10px; }
.lt-rec { border: 1px solid #d1d5db; border-radius: 8px; padding: 8px 12px; }
.lt-rec-title { font-weight: 600; }
.lt-rec-id { color: #4b5563; font-weight: 400; font-size: 0.85em; }
.lt-rec-said, .lt-rec-why { margin-top: 4px; }
.lt-rec-numbers summary { cursor: pointer; color: #1d4ed8; margin-top: 4px; }
.lt-rec-numbers table { font-size: 0.85em; border-collapse: collapse; }
.lt-rec-numbers th { text-align: left; padding-right: 12px; font-weight: 500; color: #374151; }
.lt-rec-query { margin: 12px 0 2px; }
"""

LIVE_SECONDS = 3.0  # the queue refreshes itself this often


def build_console(
    assistant: Assistant, settings: Any, traces: TraceLog, agents: AgentStore | None = None
) -> gr.Blocks:
    conversations, store = assistant.conversations, assistant.store

    def agent_names() -> list[str]:
        names = agents.names() if agents is not None else []
        if settings.admin_user and settings.admin_user not in names:
            names.append(settings.admin_user)
        return names

    def me(request: gr.Request | None) -> str:
        return getattr(request, "username", None) or settings.admin_user or "agent"

    with gr.Blocks(title="Longtail support console", analytics_enabled=False) as console:
        with gr.Row():
            gr.Markdown("## 🎧 Support console")
            whoami = gr.Markdown("", elem_id="lt-whoami")
        with gr.Tab("Queue", elem_id="lt-queue-tab"):
            queue = gr.Dataframe(
                headers=QUEUE_COLUMNS,
                value=lambda: queue_rows(conversations),
                interactive=False,
                wrap=True,
                elem_id="lt-queue",
                label=f"Escalated conversations (updates every {LIVE_SECONDS:g} s; click a row to open it)",
            )
            with gr.Row():
                ticket = gr.Dropdown(
                    [], label="Ticket", allow_custom_value=False, elem_id="lt-ticket", min_width=200
                )
                show_closed = gr.Checkbox(False, label="Show closed", elem_id="lt-show-closed")
                refresh = gr.Button("Refresh", size="sm", elem_id="lt-refresh")
            with gr.Row():
                take = gr.Button("Take", variant="primary", size="sm", elem_id="lt-take")
                release = gr.Button("Release", size="sm", elem_id="lt-release")
                close = gr.Button("Close", size="sm", elem_id="lt-close")
                reopen = gr.Button("Reopen", size="sm", elem_id="lt-reopen")
                assignee = gr.Dropdown(
                    agent_names(), label="Assign to", elem_id="lt-assignee", min_width=160, scale=2
                )
                assign = gr.Button("Assign", size="sm", elem_id="lt-assign")
            q_status = gr.Markdown("", elem_id="lt-q-status")
            with gr.Row():
                with gr.Column(scale=3):
                    q_transcript = transcript_box(label="Transcript", height=360, elem_id="lt-ticket-transcript")
                    with gr.Row(equal_height=True):
                        reply = gr.Textbox(
                            show_label=False,
                            placeholder="Reply to the shopper as a human agent",
                            scale=8,
                            elem_id="lt-reply",
                        )
                        send = gr.Button("Send reply", variant="primary", scale=1, elem_id="lt-send-reply")
                with gr.Column(scale=2):
                    notes = gr.Dataframe(
                        headers=["time", "agent", "note"],
                        interactive=False,
                        wrap=True,
                        elem_id="lt-notes",
                        label="Internal notes (agents only; the shopper never sees them)",
                    )
                    note = gr.Textbox(
                        show_label=False, placeholder="Add an internal note", lines=2, elem_id="lt-note"
                    )
                    add_note = gr.Button("Add note", size="sm", elem_id="lt-add-note")
        with gr.Tab("Transcripts", elem_id="lt-transcripts-tab"):
            with gr.Row(equal_height=True):
                query = gr.Textbox(
                    show_label=False,
                    placeholder="Search all transcripts (any words a shopper, the assistant or an agent wrote)",
                    scale=6,
                    elem_id="lt-search",
                )
                find = gr.Button("Search", size="sm", scale=1, elem_id="lt-search-go")
            found = gr.Dataframe(
                headers=["session_id", "matches", "updated", "snippet"],
                interactive=False,
                wrap=True,
                elem_id="lt-found",
                label="Search results (click a row to open the session)",
            )
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
            gr.Markdown("### Why each recommendation was made")
            recs = gr.HTML("", elem_id="lt-recs")
            with gr.Accordion("All the numbers, as one table", open=False, elem_id="lt-traces-toggle"):
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
        live = gr.Timer(LIVE_SECONDS)
        seen = gr.State("")  # what the live queue last showed (skip identical updates)

        def ticket_of(ticket_id: str) -> dict[str, Any] | None:
            return conversations.ticket(ticket_id) if ticket_id else None

        def ticket_view(ticket_id: str):
            t = ticket_of(ticket_id or "")
            return transcript(conversations, t["session_id"] if t else ""), note_rows(conversations, ticket_id or "")

        def signature(rows: list, ticket_id: str) -> str:
            t = ticket_of(ticket_id or "")
            size = len(conversations.messages(t["session_id"])) if t else 0
            return repr((rows, ticket_id, size, len(conversations.notes(ticket_id)) if t else 0))

        def on_refresh(current: str, closed: bool):
            rows = queue_rows(conversations, closed)
            ids = [r[0] for r in rows]
            pick = current if current in ids else (ids[0] if ids else None)
            return (rows, gr.Dropdown(choices=ids, value=pick), *ticket_view(pick or ""), signature(rows, pick))

        def on_tick(current: str, closed: bool, last: str):
            """The live queue: new escalations, status changes and new messages show up without a click."""
            rows = queue_rows(conversations, closed)
            ids = [r[0] for r in rows]
            pick = current if current in ids else (ids[0] if ids else None)
            now = signature(rows, pick)
            if now == last:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return (rows, gr.Dropdown(choices=ids, value=pick), *ticket_view(pick or ""), now)

        def act(verb: str):
            def handler(ticket_id: str, closed: bool, who: str | None, request: gr.Request):
                agent = me(request)
                t = ticket_of(ticket_id or "")
                if t is None:
                    return "Pick a ticket first.", gr.skip(), gr.skip(), gr.skip()
                try:
                    if verb == "take":
                        conversations.take(ticket_id, agent)
                        done = f"You ({agent}) took over **{ticket_id}**: the assistant is now silent in this chat."
                    elif verb == "release":
                        conversations.release(ticket_id)
                        done = f"Released **{ticket_id}**: back in the queue, and the assistant answers again."
                    elif verb == "close":
                        conversations.close_ticket(ticket_id, agent)
                        done = f"Closed **{ticket_id}**."
                    elif verb == "reopen":
                        conversations.reopen(ticket_id)
                        done = f"Reopened **{ticket_id}**."
                    else:
                        if not who:
                            return "Pick an agent to assign it to.", gr.skip(), gr.skip(), gr.skip()
                        conversations.assign(ticket_id, who)
                        done = f"Assigned **{ticket_id}** to {who}."
                except (TicketError, KeyError) as exc:
                    return f"⚠️ {exc}".replace("'", ""), gr.skip(), gr.skip(), gr.skip()
                rows = queue_rows(conversations, closed)
                ids = [r[0] for r in rows]
                keep = ticket_id if ticket_id in ids else None
                return done, rows, gr.Dropdown(choices=ids, value=keep), transcript(conversations, t["session_id"])

            return handler

        def on_reply(ticket_id: str, text: str, request: gr.Request):
            t = ticket_of(ticket_id or "")
            if t is None or not (text or "").strip():
                return "Pick a ticket and type a reply.", gr.skip(), text
            agent = me(request)
            if t["status"] == "closed":
                return f"{ticket_id} is closed; reopen it to reply.", gr.skip(), text
            if t["status"] != "assigned" or t["agent"] != agent:
                try:
                    conversations.take(ticket_id, agent)
                except TicketError as exc:
                    return f"⚠️ {exc}", gr.skip(), text
            conversations.add_agent_message(t["session_id"], agent, text.strip())
            return f"Sent to the shopper in {ticket_id}.", transcript(conversations, t["session_id"]), ""

        def on_note(ticket_id: str, text: str, request: gr.Request):
            if not ticket_of(ticket_id or ""):
                return "Pick a ticket first.", gr.skip(), text
            try:
                conversations.add_note(ticket_id, me(request), text)
            except TicketError as exc:
                return f"⚠️ {exc}", gr.skip(), text
            return f"Note added to {ticket_id}.", note_rows(conversations, ticket_id), ""

        def on_sessions(current: str):
            rows = session_rows(conversations)
            ids = [r[0] for r in rows]
            pick = current if current in ids else (ids[0] if ids else None)
            return (rows, gr.Dropdown(choices=ids, value=pick), *on_session(pick))

        def on_session(pick: str | None):
            pick = pick or ""
            return transcript(conversations, pick), recommendations_html(traces, pick), trace_rows(traces, pick)

        def on_search(text: str):
            if not (text or "").strip():
                return gr.Dataframe(value=[], label="Search results (click a row to open the session)")
            rows = search_rows(conversations, text)
            label = f"{len(rows)} session{'s' if len(rows) != 1 else ''} contain it (click a row to open it)"
            return gr.Dataframe(value=rows, label=label)

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
            return (gr.Dropdown(value=pick), *ticket_view(pick)) if pick else (gr.skip(), gr.skip(), gr.skip())

        def on_session_row(rows: Any, evt: gr.SelectData):
            pick = row_value(rows, evt, 0)
            if not pick:
                return (gr.skip(),) * 4
            ids = [s["session_id"] for s in conversations.sessions()]
            return (gr.Dropdown(choices=ids, value=pick), *on_session(pick))

        def on_whoami(request: gr.Request):
            return f"Signed in as **{plain(me(request))}**"

        session_views = [s_transcript, recs, traces_table]
        queue_views = [queue, ticket, q_transcript, notes, seen]
        queue.select(on_queue_row, queue, [ticket, q_transcript, notes])
        sessions.select(on_session_row, sessions, [session, *session_views])
        found.select(on_session_row, found, [session, *session_views])
        refresh.click(on_refresh, [ticket, show_closed], queue_views)
        show_closed.change(on_refresh, [ticket, show_closed], queue_views)
        live.tick(on_tick, [ticket, show_closed, seen], queue_views, show_progress="hidden")
        ticket.change(ticket_view, ticket, [q_transcript, notes], show_progress="hidden")
        changed = [q_status, queue, ticket, q_transcript]
        for button, verb in ((take, "take"), (release, "release"), (close, "close"), (reopen, "reopen"),
                             (assign, "assign")):
            button.click(act(verb), [ticket, show_closed, assignee], changed)
        send.click(on_reply, [ticket, reply], [q_status, q_transcript, reply])
        reply.submit(on_reply, [ticket, reply], [q_status, q_transcript, reply])
        add_note.click(on_note, [ticket, note], [q_status, notes, note])
        find.click(on_search, query, found)
        query.submit(on_search, query, found)
        load.click(on_sessions, session, [sessions, session, *session_views])
        session.change(on_session, session, session_views)
        dash.click(on_dashboard, None, [summary, over_time, curve, never])
        console.load(on_whoami, None, whoami)
        console.load(on_refresh, [ticket, show_closed], queue_views)
        console.load(lambda: gr.Dropdown(choices=agent_names()), None, assignee)
        console.load(on_sessions, session, [sessions, session, *session_views])
        console.load(on_dashboard, None, [summary, over_time, curve, never])
    console.queue(default_concurrency_limit=4)
    return console
