"""Offline evaluation: next-item recommendation, query retrieval, the demo store. See docs/evaluation.md.

The hidden-gem model it evaluates lives in :mod:`retrieval.gems` (the search uses it; evaluation only scores it).
"""

from .metrics import TailDefinition

__all__ = ["TailDefinition"]
