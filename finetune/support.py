"""Support rows from a Bitext-format CSV, rewritten for this store.

A Bitext row is (instruction, intent, category, response with ``{{Placeholders}}``). Placeholders are filled
with the store's own values (``policies/store.json``: name, support email and phone, return window, ...) and
with plain words for the generic UI labels, so the model learns this store's answers. Responses are cut to their
opening paragraph (the generic click-by-click steps describe some other website) and closed with the store's
real contact line. :func:`support_plan` decides what the assistant should do with each row (the tool, or a
direct reply); the dialogue builder in :mod:`finetune.dialogues` runs the tool for real.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from assistant.replies import ask_for_order, order_number

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
HOURS = "Monday to Friday, 8 a.m. to 8 p.m. Eastern"

# intents whose answer is in the store policies
POLICY_INTENTS = frozenset({"check_refund_policy", "check_cancellation_fee", "delivery_options", "delivery_period",
                            "check_payment_methods", "payment_issue"})
# intents about one order: need the order number and the email (a look-up when both are given)
ORDER_INTENTS = frozenset({"cancel_order", "change_order", "change_shipping_address", "track_order", "track_refund",
                           "get_refund"})
# intents that want a person
ESCALATE_INTENTS = frozenset({"complaint", "contact_human_agent"})


@dataclass(frozen=True)
class SupportRow:
    instruction: str
    intent: str
    category: str
    response: str
    entity_type: str = ""
    entity_value: str = ""
    start: int = -1
    end: int = -1

    @property
    def template_id(self) -> str:
        """Rows that differ only in their entity value (an order number, a name) share a template."""
        text = self.instruction
        if 0 <= self.start < self.end <= len(text):
            text = text[:self.start] + "{" + self.entity_type + "}" + text[self.end:]
        key = " ".join(re.findall(r"[a-z0-9{}_]+", text.lower()))
        return f"bitext:{self.intent}:{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def read_bitext(path: str | Path, limit: int = 0) -> list[SupportRow]:
    """Rows of a Bitext-format CSV (RFC-4180, multi-line responses); raises with a fix when columns are missing."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        need = {"instruction", "intent", "response"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path} lacks column(s) {', '.join(sorted(missing))}: a Bitext-format CSV has "
                             f"instruction, intent, category and response (with {{{{placeholders}}}}).")
        rows = []
        for rec in reader:
            if not rec["instruction"].strip() or not rec["response"].strip():
                continue
            try:
                start, end = int(rec.get("start_offset") or -1), int(rec.get("end_offset") or -1)
            except ValueError:
                start, end = -1, -1
            rows.append(SupportRow(" ".join(rec["instruction"].split()), rec["intent"].strip(),
                                   (rec.get("category") or "").strip(), rec["response"].strip(),
                                   (rec.get("entity_type") or "").strip(), (rec.get("entity_value") or "").strip(),
                                   start, end))
    if limit and len(rows) > limit:  # an even spread over the file (it is sorted by intent)
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    return rows


def store_values(facts: Mapping[str, Any]) -> dict[str, str]:
    """Placeholder values (lower-cased keys) from the store's ``store.json`` facts."""
    name = str(facts.get("store_name", "our store"))
    email = str(facts.get("support_email", "our support email"))
    phone = str(facts.get("support_phone", "our support line"))
    days = str(facts.get("return_window_days", 30))
    example = str(facts.get("order_id_example", ""))  # how the store's order numbers look (made-up digits)
    values = {
        "website name": name, "company name": name, "website": name, "website or app": name,
        "website/app name": name, "mobile app name": name, "website url": name, "company website": name,
        "service website": name, "website name anonymized": name,
        "customer support phone number": phone, "support phone number": phone, "customer service phone number": phone,
        "phone number": phone, "phone": phone, "customer support phone number anonymized": phone,
        "complaint phone number": phone, "customer assistance phone number": phone,
        "customer support email": email, "customer support email address": email, "support email": email,
        "customer service email": email, "customer service email address": email, "support email address": email,
        "email": email, "email address": email, "feedback email address": email, "complaint email address": email,
        "customer support email or phone number": f"{email} or {phone}",
        "live chat": "this chat", "chat": "this chat", "live chat anonymized": "this chat",
        "customer support availability": HOURS, "customer support hours": HOURS, "customer service hours": HOURS,
        "operating hours": HOURS, "support team availability": HOURS, "customer assistance hours": HOURS,
        "customer support availability anonymized": HOURS,
        "number of days": days, "refund period": f"{days} days",
        "order number": order_number(example).removeprefix("your "), "order id example": example,
    }
    return values


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{{Placeholders}}``: store values where known, else the label itself as plain words."""
    def sub(m: re.Match) -> str:
        key = m.group(1).strip()
        low = key.lower()
        if low in values:
            return values[low]
        if "anonymized" in low or key.replace(" ", "").isdigit() or re.fullmatch(r"[0-9A-F]{16,}", key):
            return "your " + re.sub(r"\s*anonymized", "", low).strip() if "anonymized" in low else "it"
        return key
    return PLACEHOLDER.sub(sub, text)


def short_response(row: SupportRow, values: Mapping[str, str], max_chars: int = 320) -> str:
    """The row's opening paragraph, filled, at most ``max_chars``, closed with the store's contact line."""
    text = fill(row.response, values)
    first = re.split(r"\n\s*\n|\n\s*1[.)]\s|\s1\.\s", text, maxsplit=1)[0]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(first.split()))
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > max_chars:
            break
        out = f"{out} {sentence}".strip()
    if not out:
        out = sentences[0][:max_chars].rstrip(",; ") + "."
    out = out.rstrip(":").rstrip()
    if not out.endswith((".", "!", "?")):
        out += "."
    email, phone = values.get("customer support email", ""), values.get("customer support phone number", "")
    return f"{out} If you need more help, email {email} or call {phone} ({HOURS})."


@dataclass(frozen=True)
class SupportPlan:
    tool: str  # "" = reply directly
    arguments: dict[str, Any]
    reply: str  # the direct reply (when tool == "")


def support_plan(row: SupportRow, values: Mapping[str, str], order: Mapping[str, str] | None = None
                 ) -> tuple[str, SupportPlan]:
    """(instruction, plan). ``order`` ({"order_id", "email"}) turns an order row into a real look-up by putting
    the order number (and the email) into the instruction in place of Bitext's own entity."""
    text = row.instruction
    if row.intent in POLICY_INTENTS:
        return text, SupportPlan("policy_lookup", {"question": text}, "")
    if row.intent in ESCALATE_INTENTS:
        return text, SupportPlan("escalate_to_human", {"summary": text[:300]}, "")
    if row.intent in ORDER_INTENTS:
        if order is not None:
            if row.entity_type == "order_id" and 0 <= row.start < row.end <= len(text):
                text = text[:row.start] + order["order_id"] + text[row.end:]
            else:
                text = f"{text.rstrip('?.! ')} (order {order['order_id']})"
            text = f"{text.rstrip()} my email is {order['email']}"
            return text, SupportPlan("order_status", {"order_id": order["order_id"], "email": order["email"]}, "")
        return text, SupportPlan("", {}, ask_for_order(False, False, str(values.get("order id example", ""))))
    return text, SupportPlan("", {}, short_response(row, values))
