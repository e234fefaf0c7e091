"""Tool calls as the model writes them: formatting, parsing, and grounding their arguments in the shopper's words.

:func:`parse_tool_call` reads a ``<tool_call>`` block (and says how to fix a broken one); :func:`ground` takes
out what a small model invents (price limits nobody wrote, arguments the tool does not take, miscopied ids and
emails) and fills in required values the shopper did write, from the router's reading of the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .events import TOOL_CALL_CLOSE, TOOL_CALL_OPEN
from .router import Plan
from .tools import SPECS, ToolError


def format_tool_call(name: str, arguments: dict[str, Any]) -> str:
    return f"{TOOL_CALL_OPEN}{json.dumps({'name': name, 'arguments': arguments}, ensure_ascii=False)}{TOOL_CALL_CLOSE}"


# required arguments the assistant may fill in from the shopper's message when a model's call leaves them out
FILLABLE = ("order_id", "email", "item_id", "reason")
# token budget for one tool call: decoding stops at </tool_call>, so only long calls use it. A start_return call
# with an email and a reason is ~57 SmolLM2 tokens (a cap of 48 cut it mid-string: invalid JSON).
CALL_TOKENS = 128


def parse_tool_call(text: str) -> tuple[str, Any] | None:
    """(name, arguments) from a ``<tool_call>`` block; None when the text has no tool call at all.

    Raises :class:`ToolError` when there is a block but it is not valid JSON of the right shape."""
    start = text.find(TOOL_CALL_OPEN)
    if start < 0:
        return None
    body = text[start + len(TOOL_CALL_OPEN):]
    end = body.find(TOOL_CALL_CLOSE)
    body = (body[:end] if end >= 0 else body).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ToolError(f"The tool call is not valid JSON ({exc.msg} at char {exc.pos}). Write "
                        f"{TOOL_CALL_OPEN}{{\"name\": \"search_products\", \"arguments\": {{\"query\": \"...\"}}}}"
                        f"{TOOL_CALL_CLOSE}") from None
    if not isinstance(data, dict) or "name" not in data:
        raise ToolError("A tool call needs {\"name\": ..., \"arguments\": {...}}.")
    return data["name"], data.get("arguments", {})


def ground(name: str, args: Any, text: str, history: list[dict[str, str]], plan: Plan) -> tuple[Any, int]:
    """The model's arguments with invented values taken out: a price or rating filter whose number the shopper
    never wrote is dropped (the router's computed value is kept, e.g. for "cheaper"), an order id / email not
    written in the message is replaced by the one the router read from it, and item ids the shopper did not
    type are the ones the router resolved from what was shown ("the first and the third"). Counted as
    the number of changes (the caller counts them)."""
    if not isinstance(args, dict):
        return args, 0
    changed = 0
    words = " ".join([text] + [m["content"] for m in history if m["role"] == "user"]).lower()
    numbers = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", words)}
    same_tool = plan.kind == "tool" and plan.tool == name
    out = dict(args)
    if name in SPECS:  # arguments the tool does not take (a small model copies start_return's into order_status)
        for key in [k for k in out if k not in SPECS[name].model.model_fields]:
            del out[key]
            changed += 1
        # required ids / emails the model left out but the shopper wrote, and the return reason (the router reads
        # all from the message; a reason it cannot find is "not specified"); a search query, policy question or
        # summary is the model's own to write
        for key in SPECS[name].required:
            value = plan.arguments.get(key) if same_tool else None
            if key not in out and key in FILLABLE and isinstance(value, str) and value and (
                    key == "reason" or written(value, text)):
                out[key] = value
                changed += 1
    for key in ("min_price", "max_price", "min_rating"):
        value = out.get(key)
        if value is None or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if float(value) in numbers or (same_tool and plan.arguments.get(key) == value):
            continue
        if same_tool and key in plan.arguments:
            out[key] = plan.arguments[key]
        else:
            del out[key]
        changed += 1
    for key in ("order_id", "email"):
        value = out.get(key)
        if isinstance(value, str) and value and not written(value, text) and same_tool \
                and isinstance(plan.arguments.get(key), str) and written(plan.arguments[key], text):
            out[key] = plan.arguments[key]
            changed += 1
    for key in ("item_id", "item_ids"):  # ids the shopper did not type come from "the first / the third one"
        value = out.get(key)
        ids = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if ids and same_tool and plan.arguments.get(key) and plan.arguments[key] != value \
                and not all(isinstance(i, str) and written(i, text) for i in ids):
            out[key] = plan.arguments[key]
            changed += 1
    return out, changed


def written(value: str, text: str) -> bool:
    """``value`` appears in ``text`` as a whole token ("iro@x.com" is not written in "hiro@x.com")."""
    return re.search(r"(?<![\w.@-])" + re.escape(value) + r"(?![\w@-])", text, re.IGNORECASE) is not None


def best_effort(raw: str) -> tuple[str, dict[str, Any]]:
    """The name/arguments of a broken call, as far as they can be read (for the ToolCall event)."""
    m = re.search(r'"name"\s*:\s*"([^"]*)"', raw)
    return (m.group(1) if m else "?"), {}
