"""Guards around the dialogue: message length and shape, off-topic or harmful requests, and data wrapping.

Item texts, policy pages and tool results reach the model only inside ``<tool_result>`` blocks with markup
neutralised (:func:`as_data`), and the assistant never acts on what they say: tools are chosen from the
shopper's own message, and products only ever come from retrieval. :func:`looks_like_injection` flags text that
tries to give instructions (used to refuse such shopper messages and to strip such sentences from item texts
shown to the model).
"""

from __future__ import annotations

import re
import unicodedata

REFUSAL = ("Sorry, I can only help with shopping at this store: finding products, orders, returns, shipping, "
           "payment and warranty questions. What can I help you find?")
HARMFUL_REFUSAL = ("Sorry, I can't help with that. I can help you find products or answer questions about "
                   "orders, returns, shipping, payment and warranties.")
INJECTION_REFUSAL = ("I can't change how I work or share internal instructions or other customers' data, but "
                     "I'm happy to help you shop or check your own order.")
EMPTY_MESSAGE = "Your message is empty. Tell me what you are looking for, or ask about an order or a policy."
MALFORMED_MESSAGE = ("I couldn't read that message (it has no words I can use). Please type your question in "
                     "plain text.")


def too_long_message(limit: int) -> str:
    return (f"Your message is longer than {limit} characters. Please shorten it to the essentials (what you are "
            f"looking for, or your order number and question) and send it again.")


INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\b.{0,40}\b(instruction|rule|prompt|previous|above|system)"
    r"|\b(system prompt|developer mode|jailbreak|you are now|act as|pretend to be|new instructions)\b"
    r"|\b(reveal|show|print|repeat)\b.{0,30}\b(system prompt|instructions|hidden prompt)\b"
    r"|<\s*/?\s*(tool_call|tool_result|system|\|im_start\|)",
    re.IGNORECASE | re.DOTALL)
OTHER_CUSTOMERS = re.compile(
    r"\b(all|every|other|another|someone else'?s?|somebody'?s?|list)\b.{0,30}\b(orders?|customers?|emails?|"
    r"addresses|accounts?)\b|\bwhose order\b|\bwho (ordered|bought)\b", re.IGNORECASE)
HARMFUL = re.compile(
    r"\b(bomb|explosive|weapon|kill|murder|suicide|poison|meth|cocaine|heroin|hack(ing)? into|steal|"
    r"credit card numbers?|malware|ransomware|counterfeit|self[- ]harm|hurt (myself|someone))\b", re.IGNORECASE)
OFF_TOPIC = re.compile(
    r"\b(weather|stock market|bitcoin|crypto|election|president|politic\w*|religio\w*|homework|essay|poem|"
    r"joke|capital of|recipe for|translate|math problem|solve|who won|football score|movie|song lyrics|"
    r"medical advice|diagnos\w*|lawyer|legal advice|meaning of life|write (me )?(a|an) (story|poem|essay|code)"
    r"|python code|program|girlfriend|boyfriend|horoscope)\b", re.IGNORECASE)
SHOPPING_HINT = re.compile(
    r"\b(buy|shop|price|cheap|product|item|order|return|refund|ship|deliver|warranty|pay|gift|looking for|"
    r"need|want|recommend|suggest|show|find|under \$?\d+|size|color|colour|brand|stock|cart)\b", re.IGNORECASE)


def check_message(message: object, limit: int) -> str | None:
    """None when the message can be handled, else the clear answer to send back (too long, empty, unreadable)."""
    if not isinstance(message, str):
        return MALFORMED_MESSAGE
    if len(message) > limit:
        return too_long_message(limit)
    text = clean(message)
    if not text:
        return EMPTY_MESSAGE
    if not any(ch.isalnum() for ch in text):
        return MALFORMED_MESSAGE
    return None


def clean(message: str) -> str:
    """Drop control and format characters (keeps newlines/tabs as spaces) and collapse whitespace."""
    chars = [" " if ch in "\n\r\t" else ch for ch in message
             if ch in "\n\r\t" or unicodedata.category(ch)[0] != "C"]
    return " ".join("".join(chars).split())


def looks_like_injection(text: str) -> bool:
    return bool(INJECTION.search(text))


def asks_for_other_customers(text: str) -> bool:
    return bool(OTHER_CUSTOMERS.search(text))


def classify(message: str) -> str:
    """'harmful', 'injection', 'off_topic' or 'ok' for a shopper message (a deterministic first line)."""
    if HARMFUL.search(message):
        return "harmful"
    if looks_like_injection(message) or asks_for_other_customers(message):
        return "injection"
    if OFF_TOPIC.search(message) and not SHOPPING_HINT.search(message):
        return "off_topic"
    return "ok"


def refusal_for(kind: str) -> str:
    return {"harmful": HARMFUL_REFUSAL, "injection": INJECTION_REFUSAL}.get(kind, REFUSAL)


def as_data(text: str) -> str:
    """Neutralise markup in a data text (item, policy, tool result) so it cannot open or close prompt blocks."""
    return (text.replace("<|", "< |").replace("|>", "| >").replace("<tool_", "< tool_")
            .replace("</tool_", "< /tool_"))


def strip_instructions(text: str) -> str:
    """Remove sentences that try to instruct the assistant (for item texts shown to the model)."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(s for s in sentences if not looks_like_injection(s))
