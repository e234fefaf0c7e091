"""The assistant: a small local LLM that calls shopping and support tools and explains every suggestion.

    from assistant import build_assistant
    bot = build_assistant(settings)              # store, model, conversations, orders, policies from settings
    for event in bot.respond("session-1", "a blue skillet under $40"):
        ...                                      # ToolCall, Products, Policy, Queued, TextDelta, ..., Done

The events are the contract with the front ends (:mod:`assistant.events`).
"""

from .build import build_assistant
from .conversations import ConversationStore
from .dialogue import Assistant
from .events import Done, Error, Escalated, Event, Policy, Products, Queued, TextDelta, ToolCall
from .models import ChatModel, OpenAIChatModel, ScriptedChatModel, TransformersChatModel

__all__ = [
    "Assistant", "ChatModel", "ConversationStore", "Done", "Error", "Escalated", "Event", "OpenAIChatModel",
    "Policy", "Products", "Queued", "ScriptedChatModel", "TextDelta", "ToolCall", "TransformersChatModel",
    "build_assistant",
]
