"""The contract between the assistant and its front ends (web UI, terminal chat, HTTP API, benchmarks).

``Assistant.respond(session_id, message) -> Iterator[Event]`` yields, in order: zero or more
:class:`ToolCall` events (each with its result), a :class:`Products` event the moment retrieval returns
(cards can be drawn before any text), :class:`Policy` passages when a support answer rests on them,
:class:`TextDelta` chunks as the reply streams, and one final :class:`Done`. While the local model is busy
with other shoppers, :class:`Queued` events say the shopper's place in its line (each time it changes).
Failures arrive as :class:`Error` events with a message fit to show a shopper, never as exceptions.

The tool-calling format used in prompts, in parsing and in the fine-tuning data (one format everywhere):

    <tool_call>{"name": "search_products", "arguments": {"query": "blue skillet", "max_price": 40}}</tool_call>

and the result goes back to the model as a ``tool`` message whose content is compact JSON:

    <tool_result>{"name": "search_products", "content": [...]}</tool_result>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

TOOL_CALL_OPEN, TOOL_CALL_CLOSE = "<tool_call>", "</tool_call>"
TOOL_RESULT_OPEN, TOOL_RESULT_CLOSE = "<tool_result>", "</tool_result>"


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    result: Any = None
    error: str | None = None
    fallback: bool = False  # True when the call was replaced by the deterministic fallback


@dataclass
class Products:
    hits: list[Any]  # list[retrieval.SearchHit], each with .item and .trace
    explanations: dict[str, str] = field(default_factory=dict)  # item id -> one or two sentences
    replaced: dict[str, bool] = field(default_factory=dict)  # item id -> explanation was replaced by template
    query: str = ""


@dataclass
class Policy:
    passages: list[dict[str, str]]  # {"source": "returns.md", "section": "...", "text": "..."}


@dataclass
class Queued:
    place: int  # 1 = next to be answered
    text: str  # what the shopper is told meanwhile


@dataclass
class TextDelta:
    text: str


@dataclass
class Escalated:
    ticket_id: str
    summary: str


@dataclass
class Error:
    message: str


@dataclass
class Done:
    text: str  # the whole reply
    message_id: str = ""


Event = Union[ToolCall, Products, Policy, Queued, TextDelta, Escalated, Error, Done]
