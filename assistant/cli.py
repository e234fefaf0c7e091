"""Commands: ``longtail chat`` (terminal chat), ``longtail bench assistant`` and ``longtail eval assistant``."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from typing import Any

import click

from retrieval.catalog import format_price

from .events import Done, Error, Escalated, Policy, Products, Queued, TextDelta, ToolCall


def _settings(**overrides: Any):
    settings = click.get_current_context().find_root().obj["settings"]
    overrides = {k: v for k, v in overrides.items() if v not in (None, "")}
    return settings.replace(**overrides) if overrides else settings


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _open_store(settings, progress: bool = True):
    from longtail.stores import open_store

    return open_store(settings, progress)


# ------------------------------------------------------------------------------------------------ chat
def render_event(event: Any, verbose: bool = False) -> str | None:
    if isinstance(event, Products):
        lines = []
        for n, hit in enumerate(event.hits, 1):
            item = hit.item
            price = format_price(item.price, item.currency)
            tag = " [long tail]" if hit.trace.long_tail else ""
            lines.append(f"  {n}. {item.title} ({item.id}) {price}{tag}\n     {event.explanations.get(item.id, '')}")
        return "\n".join(lines) if lines else None
    if isinstance(event, Policy):
        return "  sources: " + "; ".join(f"{p['source']} > {p['section']}" for p in event.passages)
    if isinstance(event, Escalated):
        return f"  [handed to support: ticket {event.ticket_id}]"
    if isinstance(event, Queued):
        return f"  {event.text}"
    if isinstance(event, Error):
        return f"  [error] {event.message}"
    if isinstance(event, ToolCall) and verbose:
        state = "error: " + event.error if event.error else ("fallback" if event.fallback else "ok")
        return f"  [tool] {event.name}({json.dumps(event.arguments)}) {state}"
    return None


@click.command("chat")
@click.option("--session", help="Session id to resume (default: a new one).")
@click.option("--backend", type=click.Choice(["local", "llamacpp", "openai", "fake"]),
              help="LLM backend (default: config).")
@click.option("--quantization", type=click.Choice(["auto", "none", "bf16", "8bit", "4bit"]))
@click.option("--model", "llm_model", help="Hugging Face model id or path.")
@click.option("--threads", type=int, help="torch CPU threads.")
@click.option("--verbose", is_flag=True, help="Show tool calls.")
def chat(session: str | None, backend: str | None, quantization: str | None, llm_model: str | None,
         threads: int | None, verbose: bool) -> None:
    """Chat with the assistant in the terminal (the same assistant as the web app). Ctrl-D to quit."""
    from .build import build_assistant

    _set_threads(threads)
    settings = _settings(llm_backend=backend, llm_quantization=quantization, llm_model=llm_model)
    click.echo("Loading the store and the model ...", err=True)
    bot = build_assistant(settings)
    session = session or uuid.uuid4().hex[:12]
    for m in bot.conversations.messages(session):
        who = {"user": "you", "assistant": "bot"}.get(m["role"], m["role"])
        click.echo(f"{who}> {m['content']}")
    click.echo(f"session {session} (resume with --session {session}); model {getattr(bot.model, 'name', '?')}",
               err=True)
    while True:
        try:
            message = input("you> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not message.strip():
            continue
        started = False
        for event in bot.respond(session, message):
            if isinstance(event, TextDelta):
                if not started:
                    sys.stdout.write("bot> ")
                    started = True
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Done):
                sys.stdout.write("\n")
            else:
                line = render_event(event, verbose)
                if line:
                    click.echo(line)


# ------------------------------------------------------------------------------------------------ bench
BENCH_MESSAGES = ["I need a two person tent under $200", "cheaper", "a stainless steel water bottle",
                  "wireless earbuds with long battery life", "a gift for a gardener under $40",
                  "a warm winter jacket", "show me a yoga mat", "a cast iron skillet"]


def _median(xs: list[float]) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    return round(xs[len(xs) // 2], 4) if xs else None


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _decode_once(model: Any, messages: list[dict[str, str]], tokens: int) -> tuple[float | None, float | None]:
    """(seconds to the first chunk, decode tokens/s after it) for one ``model.stream`` call."""
    t0 = time.perf_counter()
    first = None
    text = ""
    for chunk in model.stream(messages, max_new_tokens=tokens):
        if first is None:
            first = time.perf_counter() - t0
        text += chunk
    total = time.perf_counter() - t0
    n = len(model.tokenizer(text, add_special_tokens=False).input_ids)
    speed = (n - 1) / (total - first) if first is not None and n > 1 and total > first else None
    return first, speed


class LlamaCpp:
    """The same GGUF under llama.cpp (llama-cpp-python), for the ratio."""

    def __init__(self, threads: int):
        from .llamacpp import open_llama
        from .loading import default_gguf

        self.llm = open_llama(default_gguf(), n_ctx=2048, n_threads=threads, verbose=False)

    def once(self, messages: list[dict[str, str]], tokens: int) -> tuple[float | None, float | None]:
        t0 = time.perf_counter()
        first, n = None, 0
        for part in self.llm.create_chat_completion(messages=messages, max_tokens=tokens, temperature=0,
                                                    stream=True):
            if part["choices"][0]["delta"].get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        return first, ((n - 1) / (total - first) if first is not None and n > 1 else None)


REFERENCE_TURN = [
    {"role": "user", "content": "I need a two person tent under $200"},
    {"role": "assistant", "content": '<tool_call>{"name": "search_products", "arguments": {"query": '
                                     '"two person tent", "max_price": 200}}</tool_call>'},
    {"role": "tool", "content": '<tool_result>{"name":"search_products","content":[{"id":"LT-00001",'
                                '"title":"Ridgeline Outfitters Backpacking Tent, Olive, 2-person",'
                                '"price":149.0,"rating":4.6}]}</tool_result>'}]


@click.command("bench_assistant")
@click.option("--modes", default="none,bf16,8bit,4bit", show_default=True,
              help="Quantization modes to compare (none = fp32; gguf-q8_0, gguf-q4_k_m, gguf-f16: the llamacpp "
                   "backend with that GGUF type).")
@click.option("--turns", default=6, show_default=True, help="Dialogue turns per mode.")
@click.option("--tokens", default=48, show_default=True, help="Reply tokens per decode run.")
@click.option("--runs", default=5, show_default=True, help="Decode runs per mode (and for llama.cpp).")
@click.option("--threads", type=int, help="torch / llama.cpp CPU threads (default: torch's choice).")
@click.option("--no-llama-cpp", is_flag=True, help="Skip the llama.cpp comparison.")
@click.option("--shoppers", default="", show_default=True,
              help="Concurrency runs, e.g. 1,4,10: that many shoppers ask at once, per mode (time to the first "
                   "text and to the complete reply, p50 / p95). Empty: none.")
@click.option("--slots", type=int, help="llama.cpp contexts for the gguf-* modes (llm_slots).")
@click.option("--json", "as_json", is_flag=True)
def bench_assistant(modes: str, turns: int, tokens: int, runs: int, threads: int | None, no_llama_cpp: bool,
                    shoppers: str, slots: int | None, as_json: bool) -> None:
    """Speed per quantization mode: results latency, first shown text, the model's first token, decode tokens/s,
    memory; and the same GGUF under llama.cpp as a ratio. All modes are loaded first and measured interleaved
    (turn 1 of every mode, then turn 2 ...), so load from other processes hits them alike. Medians."""
    import torch

    from .build import build_assistant
    from .loading import load_chat_model, load_llamacpp_model

    _set_threads(threads)
    settings = _settings(llm_backend="local")
    store = _open_store(settings, progress=not as_json)
    names = [m.strip() for m in modes.split(",") if m.strip()]
    bots, rows = {}, {}
    for mode in names:
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        if mode.startswith("gguf-"):  # the llamacpp backend, GGUF type after the dash
            gguf = settings.replace(llm_backend="llamacpp", llm_gguf_type=mode[5:],
                                    **({"llm_slots": slots} if slots else {}))
            model = load_llamacpp_model(gguf, progress=not as_json, threads=threads)
        else:
            model = load_chat_model(settings, quantization=mode, progress=not as_json)
        load_s = time.perf_counter() - t0
        bots[mode] = build_assistant(settings, store=store, model=model)
        loaded = model.loaded
        weights = model.path.stat().st_size if hasattr(model, "path") else loaded.model.get_memory_footprint()
        rows[mode] = {"quantization_used": loaded.quantization, "note": loaded.note, "load_s": round(load_s, 2),
                      "prefix_cache_s": round(time.perf_counter() - t0 - load_s, 2),
                      "weights_mb": round(weights / 1e6, 1), "rss_delta_mb": round(_rss_mb() - rss0, 1)}
    llama = None
    llama_row: dict[str, Any] = {"available": False, "note": "skipped"}
    if not no_llama_cpp:
        try:
            llama = LlamaCpp(threads or torch.get_num_threads())
            llama_row = {"available": True}
        except ImportError:
            llama_row = {"available": False, "note": "llama-cpp-python is not installed"}
    samples: dict[str, dict[str, list]] = {m: {"results": [], "first_text": [], "turn": [], "first_token": [],
                                               "tok_s": []} for m in [*names, "llama.cpp"]}
    session = uuid.uuid4().hex[:6]
    for n in range(turns):
        message = BENCH_MESSAGES[n % len(BENCH_MESSAGES)]
        for mode in names:
            t = time.perf_counter()
            r = f = None
            for event in bots[mode].respond(f"bench-{mode}-{session}", message):
                if isinstance(event, Products) and r is None:
                    r = time.perf_counter() - t
                if isinstance(event, TextDelta) and f is None:
                    f = time.perf_counter() - t
            samples[mode]["results"].append(r)
            samples[mode]["first_text"].append(f)
            samples[mode]["turn"].append(time.perf_counter() - t)
    for _ in range(runs):
        for mode in names:
            bot = bots[mode]
            first, speed = _decode_once(bot.model, [{"role": "system", "content": bot.system}, *REFERENCE_TURN],
                                        tokens)
            samples[mode]["first_token"].append(first)
            samples[mode]["tok_s"].append(speed)
        if llama is not None:
            first, speed = llama.once([{"role": "system", "content": bots[names[0]].system}, *REFERENCE_TURN]
                                      if names else REFERENCE_TURN, tokens)
            samples["llama.cpp"]["first_token"].append(first)
            samples["llama.cpp"]["tok_s"].append(speed)
    for mode in names:
        got = samples[mode]
        rows[mode].update(results_s_p50=_median(got["results"]), first_text_s_p50=_median(got["first_text"]),
                          turn_s_p50=_median(got["turn"]), first_token_s_p50=_median(got["first_token"]),
                          decode_tok_s=_median(got["tok_s"]))
    if llama is not None:
        llama_row.update(first_token_s_p50=_median(samples["llama.cpp"]["first_token"]),
                         decode_tok_s=_median(samples["llama.cpp"]["tok_s"]))
        for row in rows.values():
            if row.get("decode_tok_s") and llama_row.get("decode_tok_s"):
                row["decode_vs_llama_cpp"] = round(row["decode_tok_s"] / llama_row["decode_tok_s"], 3)
    crowd = [int(x) for x in shoppers.split(",") if x.strip()]
    concurrency = {mode: {n: _concurrent_turns(bots[mode], n, session) for n in crowd} for mode in names}
    out = {"threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "load_avg": os.getloadavg(),
           "turns": turns, "runs": runs, "reply_tokens": tokens, "modes": rows, "llama_cpp": llama_row,
           "concurrency": concurrency}
    header = (f"{'mode':11} {'used':11} {'weights MB':>10} {'load s':>7} {'results s':>9} {'1st text s':>10} "
              f"{'1st tok s':>9} {'tok/s':>7} {'vs llama.cpp':>12}")
    lines = [f"assistant bench: {turns} turns + {runs} decode runs per mode (interleaved), {tokens} tokens, torch "
             f"threads {out['threads']}, load average {out['load_avg'][0]:.1f} on {os.cpu_count()} CPUs (medians)",
             header]
    for mode, r in rows.items():
        tok = r["decode_tok_s"] and round(r["decode_tok_s"], 1)
        lines.append(f"{mode:11} {r['quantization_used']:11} {r['weights_mb']:>10} {r['load_s']:>7} "
                     f"{r['results_s_p50']!s:>9} {r['first_text_s_p50']!s:>10} {r['first_token_s_p50']!s:>9} "
                     f"{tok!s:>7} {r.get('decode_vs_llama_cpp', '-')!s:>12}" + (f"  ({r['note']})" if r["note"] else ""))
    if llama_row.get("available"):
        lines.append(f"llama.cpp (same GGUF, {out['threads']} threads): first token {llama_row['first_token_s_p50']} s, "
                     f"{llama_row['decode_tok_s'] and round(llama_row['decode_tok_s'], 1)} tok/s")
    else:
        lines.append(f"llama.cpp: {llama_row.get('note')}")
    for mode, by_n in concurrency.items():
        for n, c in by_n.items():
            lines.append(f"{mode:11} {n:>3} shoppers at once: first text p50 {c['first_text_s_p50']} s p95 "
                         f"{c['first_text_s_p95']} s | complete reply p50 {c['turn_s_p50']} s p95 {c['turn_s_p95']} s"
                         f" | {c['failed']} failed")
    _emit(out, as_json, "\n".join(lines))


def _concurrent_turns(bot: Any, shoppers: int, session: str) -> dict[str, Any]:
    """``shoppers`` sessions send a product question at the same moment (a thread each); seconds to the first
    text and to the complete reply, p50 and p95 over the shoppers."""
    import threading

    start = threading.Barrier(shoppers)
    first: list[float] = []
    done: list[float] = []
    failed: list[str] = []

    def shopper(k: int) -> None:
        message = BENCH_MESSAGES[k % len(BENCH_MESSAGES)]
        start.wait()
        t = time.perf_counter()
        f = None
        try:
            for event in bot.respond(f"crowd-{shoppers}-{k}-{session}", message):
                if isinstance(event, TextDelta) and f is None:
                    f = time.perf_counter() - t
        except Exception as exc:  # a failed turn is counted, the others go on
            failed.append(f"{type(exc).__name__}: {exc}")
            return
        first.append(f if f is not None else time.perf_counter() - t)
        done.append(time.perf_counter() - t)

    threads = [threading.Thread(target=shopper, args=(k,)) for k in range(shoppers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def pct(xs: list[float], q: float) -> float | None:
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 3) if xs else None

    return {"shoppers": shoppers, "first_text_s_p50": pct(first, 0.5), "first_text_s_p95": pct(first, 0.95),
            "turn_s_p50": pct(done, 0.5), "turn_s_p95": pct(done, 0.95), "failed": len(failed),
            "errors": sorted(set(failed))[:3]}
