"""`longtail serve` (the web app on the demo store) and `longtail bench ui` (simulated shoppers)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from typing import Any

import click


VERIFY_ALL_UP_TO = 20_000  # items: above this, serve checks a sample at start (about 1 ms per item)
VERIFY_SAMPLE = 5_000

def _settings() -> Any:
    return click.get_current_context().find_root().obj["settings"]


def build_web_app(
    settings: Any,
    rate_limit: int = 12,
    concurrency: int = 16,
    progress: bool = True,
    allowed_origins: tuple[str, ...] = (),
    console_origins: tuple[str, ...] = (),
):
    """The whole web app for ``settings``: store (the demo store loaded and indexed on first use), assistant,
    API, chat and console."""
    from assistant import build_assistant
    from longtail.stores import open_store

    from .api import create_server
    from .limits import RateLimiter

    store = open_store(settings, progress)
    # every item must find itself in the index (an interrupted index run can leave some unreachable): checked and
    # repaired before the searcher loads; large stores are sampled, and a failure in the sample checks them all
    report = store.verify(sample=None if len(store.db) <= VERIFY_ALL_UP_TO else VERIFY_SAMPLE)
    click.echo(report.summary(), err=True)
    try:  # build the searcher now: the first shopper does not wait for it, and a broken index fails here
        store.searcher  # noqa: B018
    except Exception as exc:
        raise RuntimeError(
            f"The store's vector index could not be read ({type(exc).__name__}: {exc}). Rebuild it with "
            f"`longtail index --rebuild` (and let only one process index a data_dir at a time)."
        ) from exc
    store.embedder.encode(["warm up"])  # the encoder's traced fast path is built now, not in a shopper's turn
    assistant = build_assistant(settings, store)
    return create_server(
        assistant,
        settings,
        limiter=RateLimiter(rate_limit, 60.0),
        concurrency=concurrency,
        allowed_origins=allowed_origins,
        console_origins=console_origins,
    )


@click.command("serve")
@click.option("--host", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 7860).")
@click.option(
    "--fake-model",
    is_flag=True,
    help="No LLM: the assistant's router and template replies (starts in seconds; for demos and tests).",
)
@click.option("--rate-limit", default=12, show_default=True, help="Messages per minute per shopper session.")
@click.option("--concurrency", default=16, show_default=True, help="Chat turns processed at the same time.")
@click.option(
    "--allow-origin",
    "origins",
    multiple=True,
    help="A site allowed to embed the chat / call the API, e.g. https://shop.example.com (repeatable). "
    "Without it only this site's own pages may (requests from any other Origin get 403).",
)
@click.option(
    "--console-origin",
    "console_origins",
    multiple=True,
    help="A site besides this one allowed to call the support console, e.g. https://support.example.com "
    "(repeatable; rarely needed: behind a proxy, pass the original Host header instead).",
)
@click.option(
    "--torch-threads",
    type=int,
    help="Threads per torch operation (default: 1 with --fake-model, where torch only embeds queries "
    "and concurrent shoppers would oversubscribe the cores; else torch's default).",
)
def serve(
    host: str | None,
    port: int | None,
    fake_model: bool,
    rate_limit: int,
    concurrency: int,
    origins: tuple[str, ...],
    console_origins: tuple[str, ...],
    torch_threads: int | None,
) -> None:
    """Open the shopper chat (/), the API (/docs) and the support console (/console) on the store."""
    settings = _settings()
    # before anything slow loads (the store, the model): a taken or impossible port fails in a second, not after
    check_port(settings.host if host is None else host, settings.port if port is None else port)
    import uvicorn

    if torch_threads or fake_model:
        import torch

        torch.set_num_threads(torch_threads or 1)
    changes: dict[str, Any] = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if fake_model:
        changes["llm_backend"] = "fake"
    settings = settings.replace(**changes)
    try:
        app = build_web_app(
            settings, rate_limit, concurrency, allowed_origins=origins, console_origins=console_origins
        )
    except (RuntimeError, OSError, ValueError) as exc:
        tip = "" if fake_model else "\nTip: `longtail serve --fake-model` starts without the LLM."
        raise click.ClickException(f"{exc}{tip}") from None
    url = f"http://{settings.host}:{settings.port}"
    from .agents import agents_path

    console = (
        f"{url}/console (agents' accounts: `longtail agents list`"
        + (f"; admin user {settings.admin_user!r}" if settings.admin_user else "")
        + ")"
        if settings.admin_user or agents_path(settings).exists()
        else "off (add an agent with `longtail agents add NAME`, or set LONGTAIL_ADMIN_USER and "
        "LONGTAIL_ADMIN_PASSWORD)"
    )
    click.echo(
        f"Longtail on store {settings.store!r} with model "
        f"{'fake (router + templates)' if settings.llm_backend == 'fake' else settings.llm_backend}\n"
        f"  chat:    {url}/\n  API:     {url}/docs\n  console: {console}\nCtrl+C stops it."
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def settings_env(settings: Any) -> dict[str, str]:
    """The settings as LONGTAIL_* environment variables (how the bench hands them to the server it starts)."""
    env = {}
    for f in dataclasses.fields(settings):
        env["LONGTAIL_" + f.name.rstrip("_").upper()] = str(getattr(settings, f.name))
    return env


def start_server_process(
    settings: Any, port: int, real_model: bool, rate_limit: int, timeout: float = 900.0
) -> subprocess.Popen:
    """`longtail serve` in a child process (so the simulated shoppers do not share its interpreter)."""
    env = {**os.environ, **settings_env(settings)}
    cmd = [
        sys.executable,
        "-m",
        "longtail.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--rate-limit",
        str(rate_limit),
    ]
    if not real_model:
        cmd.append("--fake-model")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(
                f"The app exited with status {proc.returncode} before it was ready (see the messages above)."
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise click.ClickException(f"The app did not answer within {timeout:g} s.")


@click.command("bench_ui")
@click.option("--shoppers", default=10, show_default=True, help="Simulated shoppers at the same time.")
@click.option("--turns", default=5, show_default=True, help="Messages each shopper sends, one after another.")
@click.option("--runs", default=3, show_default=True, type=click.IntRange(1, 20),
              help="Runs (each a single-shopper baseline, then the load); the goal is judged on their median.")
@click.option(
    "--via",
    type=click.Choice(["gradio", "api"]),
    default="gradio",
    show_default=True,
    help="Through the chat screen's Gradio queue (what browsers use) or the HTTP API.",
)
@click.option("--url", help="Bench an app that is already running here instead of starting one.")
@click.option(
    "--real-model", is_flag=True, help="Start the app with the configured LLM (default: --fake-model)."
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds before a turn counts as lost.")
@click.option("--impressions", default=0, show_default=True, metavar="ROWS",
              help="Then run again with ROWS synthetic rows in the store's impression log (e.g. 3000000) and print "
                   "turns/s against the run without them; the rows are removed afterwards.")
@click.option("--json", "as_json", is_flag=True)
def bench_ui(
    shoppers: int, turns: int, runs: int, via: str, url: str | None, real_model: bool, timeout: float,
    impressions: int, as_json: bool
) -> None:
    """Time until product cards appear (p50/p95) and lost/failed turns, with N shoppers at once."""
    import json

    from .bench import (fill_impressions, impression_log_comparison, median_of_runs, remove_bench_impressions,
                        report_text, run_bench)
    from .server import free_port

    settings = _settings()
    if impressions and url:
        raise click.UsageError("--impressions needs the app started by the bench (leave out --url).")
    proc = None
    if not url:
        port = free_port()
        click.echo(
            f"starting the app ({'configured LLM' if real_model else 'fake model'}) on port {port}...",
            err=True,
        )
        proc = start_server_process(settings, port, real_model, rate_limit=max(12, turns + 4))
        url = f"http://127.0.0.1:{port}"
    try:
        result = median_of_runs([run_bench(url, shoppers, turns, via, timeout) for _ in range(runs)])
        result["model"] = "configured LLM" if real_model else ("fake" if proc else "as running")
        result["cpu_cores"] = os.cpu_count()
        if impressions:
            from longtail.stores import open_store

            ids = list(open_store(settings, progress=False).db.items())
            try:
                fill_impressions(settings.catalog_db, impressions, ids, progress=not as_json)
                full = run_bench(url, shoppers, turns, via, timeout)
            finally:
                remove_bench_impressions(settings.catalog_db)
            result["with_impression_log"] = full
            result["impression_log"] = impression_log_comparison(result, full, impressions)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    text = report_text(result)
    if impressions:
        c = result["impression_log"]
        text += (f"\nwith {c['rows']:,} more impressions: {c['turns_per_s_with']} turns/s against "
                 f"{c['turns_per_s_without']} without ({c['ratio']}x; goal >= 0.9x: "
                 f"{'met' if c['goal']['met'] else 'NOT met'}); answer p95 {c['p95_with_s']} s against "
                 f"{c['p95_without_s']} s")
    click.echo(json.dumps(result, indent=2) if as_json else text)


def check_port(host: str, port: int) -> None:
    """Fail now, with the fix, when the web app could not listen on ``host:port``: a port outside 1..65535
    (:class:`click.BadParameter`), a port already in use or a host that is not an address of this machine
    (:class:`click.ClickException`). Binds a test socket the way uvicorn does (asyncio's ``create_server``: every
    address ``host`` resolves to, ``SO_REUSEADDR`` on POSIX, IPv6 sockets IPv6-only), then closes it."""
    import socket

    if not 1 <= port <= 65535:
        raise click.BadParameter(
            f"{port} is not a port: use one between 1 and 65535 (e.g. --port 7860).", param_hint="'--port'"
        )
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.ClickException(
            f"Cannot listen on host {host!r} ({exc.strerror}): use an address of this machine with --host, "
            f"e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every network)."
        ) from None
    for family, kind, proto, _, address in dict.fromkeys(addresses):
        with socket.socket(family, kind, proto) as sock:
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == getattr(socket, "AF_INET6", None) and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise click.ClickException(_port_problem(host, port, exc)) from None


def _port_problem(host: str, port: int, exc: OSError) -> str:
    """What a failed test bind of ``host:port`` means, and what to do about it."""
    import errno

    other = 8080 if port != 8080 else 8081
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is already in use (another `longtail serve`?). Stop that process or pick "
            f"another port with --port {other}."
        )
    if exc.errno == errno.EACCES:
        return (
            f"Port {port} on {host} needs privileges this user does not have (ports below 1024 usually do). "
            f"Pick another port with --port {other}."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine: use --host 127.0.0.1 (this machine only) or "
            f"--host 0.0.0.0 (every network)."
        )
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Pick another port with --port {other}."


# -- `longtail agents`: the support console's accounts ------------------------------------------------------------
@click.group("agents")
def agents() -> None:
    """Support-agent accounts for the console (/console): add, list, remove. Passwords are stored salted and
    hashed (scrypt) in DATA_DIR/agents.sqlite; the admin_user / admin_password login keeps working besides."""


@agents.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
def agents_add(name: str, password_stdin: bool) -> None:
    """Add agent NAME (prompts for the password twice, or reads it with --password-stdin)."""
    from .agents import AgentError, add_agent, agents_path

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    try:
        add_agent(settings, name, password)
    except AgentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added agent {name!r} ({agents_path(settings)}); they sign in at /console.")


@agents.command("list")
@click.option("--json", "as_json", is_flag=True)
def agents_list(as_json: bool) -> None:
    """The agents who can sign in to the console."""
    import json

    from .agents import open_agents

    store = open_agents(_settings())
    try:
        rows = [{"name": a["name"], "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(a["created"]))}
                for a in store.list()]
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("No agents yet: add one with `longtail agents add NAME`.")
    else:
        click.echo("\n".join(f"{r['name']:32} added {r['created']}" for r in rows))


@agents.command("remove")
@click.argument("name")
def agents_remove(name: str) -> None:
    """Remove agent NAME: they can no longer sign in (a console tab they have open now stays signed in until the server restarts)."""
    from .agents import open_agents

    store = open_agents(_settings())
    try:
        gone = store.remove(name)
    finally:
        store.close()
    if not gone:
        raise click.ClickException(f"No agent named {name!r}; see `longtail agents list`.")
    click.echo(f"Removed agent {name!r}.")
