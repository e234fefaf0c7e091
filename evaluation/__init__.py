"""Offline evaluation (next-item recommendation, query retrieval, the demo store) and the hidden-gem score.

See docs/evaluation.md. The product-facing API is the gem model: ``train_gem_model(items, interactions)``
returns a :class:`GemModel` whose ``oof`` / ``scores(items)`` give ``{item_id: appeal}`` for
``Store.gem_scores``; ``hidden_gems`` lists the long-tail items with the highest appeal.
"""

from .gems import GemModel, hidden_gems, train_gem_model
from .metrics import TailDefinition

__all__ = ["GemModel", "TailDefinition", "hidden_gems", "train_gem_model"]
