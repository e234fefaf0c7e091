"""The support console a team works in: agent accounts (hashed passwords, the CLI, the admin fallback), ticket
statuses (open / assigned / closed), internal notes, the transcript search, the trace in words, ``/console``
without the slash, and, in Chromium, an agent created with the CLI signing in, the queue updating by itself
after a new escalation, then assign / note / close.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from test_ui_support import ADMIN_PASSWORD, ADMIN_USER, PacedModel, ui_assistant, ui_settings

from assistant.conversations import ConversationStore, TicketError
from longtail.cli import cli
from ui.agents import (
    AgentError,
    AgentStore,
    add_agent,
    agents_path,
    authenticator,
    hash_password,
    verify_password,
)
from ui.console import recommendations_html, trace_words
from ui.tracelog import TraceLog

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"


# -- accounts ------------------------------------------------------------------------------------------------------
def test_passwords_are_salted_hashes_that_verify():
    a, b = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert a != b and "s3cret-pass" not in a and a.startswith("scrypt$")
    assert verify_password("s3cret-pass", a) and verify_password("s3cret-pass", b)
    assert not verify_password("s3cret-Pass", a)
    assert not verify_password("s3cret-pass", "garbage") and not verify_password("x", "scrypt$1$2$3$zz$zz")


def test_agent_store_adds_verifies_lists_and_removes(tmp_path):
    agents = AgentStore(tmp_path / "agents.sqlite")
    agents.add("ada", "correct horse")
    assert agents.verify("ada", "correct horse")
    assert not agents.verify("ada", "wrong horse") and not agents.verify("bob", "correct horse")
    with pytest.raises(AgentError, match="exists already"):
        agents.add("ada", "another password")
    with pytest.raises(AgentError, match="too short"):
        agents.add("bob", "short")
    with pytest.raises(AgentError, match="letters"):
        agents.add("<b>", "long enough password")
    assert agents.names() == ["ada"] and len(agents) == 1
    stored = sqlite3.connect(tmp_path / "agents.sqlite").execute("SELECT password FROM agents").fetchone()[0]
    assert "correct horse" not in stored
    assert agents.remove("ada") and not agents.remove("ada") and not agents.verify("ada", "correct horse")


def test_authenticator_takes_accounts_and_falls_back_to_the_admin_login():
    agents = AgentStore()
    agents.add("bea", "bea's password")
    check = authenticator(agents, ui_settings())
    assert check("bea", "bea's password") and check(ADMIN_USER, ADMIN_PASSWORD)
    assert not check("bea", ADMIN_PASSWORD) and not check(ADMIN_USER, "bea's password") and not check("", "")
    only_accounts = authenticator(agents, ui_settings(admin_user="", admin_password=""))
    assert only_accounts("bea", "bea's password") and not only_accounts("", "")


def test_longtail_agents_add_list_remove(tmp_path):
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    got = runner.invoke(cli, [*base, "agents", "add", "cy", "--password-stdin"], input="cy's long password\n")
    assert got.exit_code == 0, got.output
    again = runner.invoke(cli, [*base, "agents", "add", "cy", "--password-stdin"], input="whatever it is\n")
    assert again.exit_code != 0 and "exists already" in again.output
    prompted = runner.invoke(cli, [*base, "agents", "add", "dee"], input="dee password\ndee password\n")
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(cli, [*base, "agents", "list"])
    assert "cy" in listed.output and "dee" in listed.output and "password" not in listed.output
    assert AgentStore(tmp_path / "agents.sqlite").verify("cy", "cy's long password")
    assert runner.invoke(cli, [*base, "agents", "remove", "cy"]).exit_code == 0
    assert runner.invoke(cli, [*base, "agents", "remove", "cy"]).exit_code != 0
    assert "cy" not in runner.invoke(cli, [*base, "agents", "list", "--json"]).output


# -- tickets, notes, search ------------------------------------------------------------------------------------------
def test_ticket_transitions():
    conv = ConversationStore()
    t = conv.escalate("s1", "damaged parcel")
    assert conv.ticket(t)["status"] == "open" and not conv.is_taken("s1")
    conv.take(t, "ada")
    assert conv.ticket(t).items() >= {"status": "assigned", "agent": "ada"}.items() and conv.is_taken("s1")
    with pytest.raises(TicketError, match="held by ada"):
        conv.take(t, "bea")
    conv.take(t, "ada")  # taking one's own ticket again is fine
    conv.assign(t, "bea")  # a lead hands it on
    assert conv.ticket(t)["agent"] == "bea"
    conv.release(t)
    assert conv.ticket(t)["status"] == "open" and conv.ticket(t)["agent"] == "" and not conv.is_taken("s1")
    with pytest.raises(TicketError, match="nothing to release"):
        conv.release(t)
    conv.take(t, "bea")
    conv.close_ticket(t, "bea")
    assert conv.ticket(t)["status"] == "closed" and not conv.is_taken("s1")
    assert [x["ticket_id"] for x in conv.escalations("closed")] == [t] and conv.escalations("open") == []
    for change in (lambda: conv.close_ticket(t), lambda: conv.assign(t, "ada"), lambda: conv.take(t, "ada")):
        with pytest.raises(TicketError, match="closed"):
            change()
    conv.reopen(t)
    assert conv.ticket(t)["status"] == "open"
    with pytest.raises(KeyError):
        conv.take("T-NOPE", "ada")
    conv.take_over(t, "ada")  # the older name still works
    assert conv.escalations("taken")[0]["agent"] == "ada"


def test_tickets_from_before_the_statuses_read_as_assigned(tmp_path):
    path = tmp_path / "c.sqlite"
    conv = ConversationStore(path)
    t = conv.escalate("s1", "x")
    conv.close()
    sqlite3.connect(path).execute("UPDATE escalations SET status='taken', agent='ada'").connection.commit()
    again = ConversationStore(path)
    assert again.ticket(t)["status"] == "assigned" and again.is_taken("s1")


def test_notes_are_per_ticket_and_never_in_the_conversation():
    conv = ConversationStore()
    t1, t2 = conv.escalate("s1", "a"), conv.escalate("s2", "b")
    conv.add_note(t1, "ada", "Called the courier; <b>refund</b> tomorrow")
    conv.add_note(t1, "bea", "Refund done")
    assert [(n["agent"], n["text"]) for n in conv.notes(t1)] == [
        ("ada", "Called the courier; <b>refund</b> tomorrow"),
        ("bea", "Refund done"),
    ]
    assert conv.notes(t2) == [] and conv.messages("s1") == []
    with pytest.raises(TicketError):
        conv.add_note(t1, "ada", "   ")
    with pytest.raises(KeyError):
        conv.add_note("T-NOPE", "ada", "x")


def test_search_finds_sessions_by_substring_of_any_message():
    conv = ConversationStore()
    conv.add_message("s1", "user", "My PARCEL arrived damaged")
    conv.add_message("s1", "assistant", "Sorry about the parcel")
    conv.add_message("s2", "user", "a rain jacket")
    conv.add_message("s2", "tool", '{"parcel": 1}')  # tool results are not searched
    conv.add_agent_message("s3", "ada", "Your Größe is on its way")
    hits = conv.search("parcel")
    assert [h["session_id"] for h in hits] == ["s1"] and hits[0]["matches"] == 2
    assert "PARCEL" in hits[0]["snippet"]
    assert [h["session_id"] for h in conv.search("GRÖSSE")] == ["s3"]  # case-folded, beyond ASCII
    assert conv.search("  ") == [] and conv.search("100%") == [] and conv.search("nothing like it") == []


# -- the trace in words ----------------------------------------------------------------------------------------------
ROW = {
    "time": "12:00:00", "query": "rain jacket", "source": "chat", "item_id": "LT-00001", "title": "Shell <Jacket>",
    "explanation": "Rated 4.8 by 12 buyers & waterproof", "rank_before": 4, "rank_after": 1, "bucket": "tail",
    "exposure": 2, "dense_rank": 3, "bm25_rank": 5, "reranker": "exposure", "lam": 0.3, "boost": 0.0,
}


def test_trace_words_say_how_the_rank_moved():
    words = trace_words(ROW)
    assert words.startswith("Ranked 4th by relevance (3rd by meaning, 5th by keywords), moved up 3 places to 1st")
    assert "tail item and shoppers had been shown it only 2 times" in words and "λ=0.3" in words
    down = trace_words(ROW | {"rank_before": 1, "rank_after": 3, "bucket": "head", "exposure": 900})
    assert "moved down 2 places to 3rd" in down and "900 times" in down
    assert "kept its place" in trace_words(ROW | {"rank_before": 2, "rank_after": 2})
    assert "no shopper had been shown it yet" in trace_words(ROW | {"exposure": 0})
    assert "less-seen items were moved up past it" in trace_words(ROW | {"rank_before": 1, "rank_after": 2})
    assert "No retrieval trace" in trace_words({"title": "x"})


def test_recommendations_show_the_sentence_then_the_words_then_the_numbers_as_text():
    traces = TraceLog()
    trace = {k: ROW[k] for k in ("rank_before", "rank_after", "bucket", "exposure", "dense_rank", "bm25_rank",
                                 "reranker", "lam", "boost")}
    traces.log("s1", "<img src=x onerror=alert(1)>", [
        {"id": "LT-00001", "title": ROW["title"], "explanation": ROW["explanation"], "trace": trace}])
    out = recommendations_html(traces, "s1")
    said, why, numbers = out.index("The shopper saw"), out.index("Why:"), out.index("<details")
    assert said < why < numbers
    assert "Rated 4.8 by 12 buyers &amp; waterproof" in out and "moved up 3 places" in out
    assert "<img" not in out and "&lt;img" in out and "Shell &lt;Jacket&gt;" in out
    assert "No recommendations" in recommendations_html(traces, "other")


# -- the web app ------------------------------------------------------------------------------------------------------
def test_console_without_the_slash_redirects_and_agents_sign_in():
    from ui.api import create_server
    from ui.server import start_in_thread

    settings = ui_settings()
    add_agent(settings, "eve", "eve's own password")
    running = start_in_thread(create_server(ui_assistant(PacedModel()), settings))
    try:
        r = httpx.get(running.url + "/console", follow_redirects=False)
        assert r.status_code in (301, 302, 307, 308) and r.headers["location"].endswith("console/")
        assert httpx.get(running.url + "/console", follow_redirects=True).status_code == 200
        assert httpx.get(running.url + "/console/").status_code == 200
        bad = httpx.post(running.url + "/console/login", data={"username": "eve", "password": "guess"})
        assert bad.status_code == 400
        for user, password in (("eve", "eve's own password"), (ADMIN_USER, ADMIN_PASSWORD)):
            with httpx.Client(base_url=running.url) as client:
                ok = client.post("/console/login", data={"username": user, "password": password})
                assert ok.status_code == 200 and client.get("/console/config").status_code == 200
        outcomes = [r["outcome"] for r in running.server.config.app.state.service.traces.audit_rows("console_login")]
        assert outcomes.count("ok") == 2 and outcomes.count("failed") == 1
    finally:
        running.stop()


def test_console_is_served_with_accounts_only(tmp_path):
    from ui.api import create_server
    from ui.server import start_in_thread

    settings = ui_settings(admin_user="", admin_password="")
    assert not agents_path(settings).exists()
    add_agent(settings, "fay", "fay's own password")
    running = start_in_thread(create_server(ui_assistant(PacedModel()), settings))
    try:
        assert httpx.get(running.url + "/console/config").status_code == 401
        with httpx.Client(base_url=running.url) as client:
            assert client.post("/console/login", data={"username": "fay", "password": "fay's own password"}).status_code == 200
    finally:
        running.stop()


# -- in Chromium ------------------------------------------------------------------------------------------------------
from test_ui_support import CHROMIUM  # noqa: E402


def test_console_in_chromium_live_queue_assign_note_close(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make browser-deps)")
    from test_ui_support import ARGS

    from ui.api import create_server
    from ui.server import start_in_thread

    settings = ui_settings()
    runner = CliRunner()
    for name, password in (("grace", "grace's long password"), ("hal", "hal's long password")):
        got = runner.invoke(
            cli, ["--data-dir", str(settings.data_dir), "agents", "add", name, "--password-stdin"], input=password
        )
        assert got.exit_code == 0, got.output
    assistant = ui_assistant(PacedModel())
    conv = assistant.conversations
    conv.add_message("sess-old-1", "user", "where is my order?")
    first = conv.escalate("sess-old-1", "order status question")
    running = start_in_thread(create_server(assistant, settings))
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.set_default_timeout(20_000)
            page.goto(running.url + "/console")  # no slash: redirected
            page.fill("input[type=text]", "grace")
            page.fill("input[type=password]", "grace's long password")
            page.click("button:has-text('Login')")
            page.wait_for_selector("#lt-queue")
            page.wait_for_selector("#lt-whoami :text('grace')")
            page.wait_for_function(f"document.querySelector('#lt-queue').innerText.includes('{first}')")
            # a new escalation arrives: the queue shows it without any click
            conv.add_message("sess-new-2", "user", "My parcel came <b>damaged</b>")
            second = conv.escalate("sess-new-2", "damaged parcel")
            page.wait_for_function(
                f"document.querySelector('#lt-queue').innerText.includes('{second}')", timeout=15_000
            )
            # open it, assign it to hal, then take it, add a note, close it
            page.locator("#lt-ticket input").click()
            page.get_by_role("option", name=second).click()
            page.wait_for_function(
                "document.querySelector('#lt-ticket-transcript').innerText.includes('<b>damaged</b>')"
            )
            page.locator("#lt-assignee input").click()
            page.get_by_role("option", name="hal").click()
            page.click("#lt-assign")
            page.wait_for_selector(f"#lt-q-status :text('Assigned {second} to hal')")
            assert conv.ticket(second)["status"] == "assigned" and conv.ticket(second)["agent"] == "hal"
            page.click("#lt-take")
            page.wait_for_selector("#lt-q-status :text('held by hal')")
            page.click("#lt-release")
            page.wait_for_selector(f"#lt-q-status :text('Released {second}')")
            page.click("#lt-take")
            page.wait_for_selector(f"#lt-q-status :text('took over {second}')")
            assert conv.ticket(second)["agent"] == "grace"
            page.locator("#lt-note textarea").fill("Courier called; <i>refund</i> approved")
            page.click("#lt-add-note")
            page.wait_for_function(
                "document.querySelector('#lt-notes').innerText.includes('<i>refund</i> approved')"
            )
            assert [n["agent"] for n in conv.notes(second)] == ["grace"]
            assert all("refund" not in m["content"] for m in conv.messages("sess-new-2"))
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / "console-team.png"), full_page=True)
            page.click("#lt-close")
            page.wait_for_selector(f"#lt-q-status :text('Closed {second}')")
            assert conv.ticket(second)["status"] == "closed"
            page.wait_for_function(f"!document.querySelector('#lt-queue').innerText.includes('{second}')")
            # the search finds the conversation; it opens with its transcript
            page.get_by_role("tab", name="Transcripts").click()
            page.locator("#lt-search textarea, #lt-search input").first.fill("DAMAGED")
            page.click("#lt-search-go")
            page.wait_for_function("(document.querySelector('#lt-found') || {innerText: ''}).innerText"
                                   ".includes('sess-new-2')")
            page.locator("#lt-found :text('sess-new-2'):visible").first.click()
            page.wait_for_function(
                "document.querySelector('#lt-session-transcript').innerText.includes('<b>damaged</b>')"
            )
            page.screenshot(path=str(SHOTS / "console-search.png"), full_page=True)
            browser.close()
    finally:
        running.stop()
    shutil.copyfile(SHOTS / "console-team.png", ROOT / "docs" / "console.png")
    assert (ROOT / "docs" / "console.png").stat().st_size > 5_000
