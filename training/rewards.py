"""Example GRPO reward functions; any `module:function` with this signature can be named instead.

TRL calls each with the batch's `completions` (strings, or message lists for chat prompts)
and the dataset's other columns as keyword arguments, and expects one float per completion.
"""

from __future__ import annotations

import re

TARGET_WORDS = 20
_SENTENCE_END = re.compile(r"[.!?](\s|$)")


def _text(completion) -> str:
    if isinstance(completion, list):  # chat format: the assistant message(s)
        return " ".join(m.get("content") or "" for m in completion if isinstance(m, dict))
    return completion or ""


def format_reward(completions, **kwargs) -> list[float]:
    """1 for a completion that is non-empty prose ending a sentence, 0.5 for prose, else 0."""
    scores = []
    for c in completions:
        text = _text(c).strip()
        if not text or not any(ch.isalpha() for ch in text):
            scores.append(0.0)
        else:
            scores.append(1.0 if _SENTENCE_END.search(text[-2:] + " ") else 0.5)
    return scores


def length_reward(completions, target_words: int = TARGET_WORDS, **kwargs) -> list[float]:
    """1 at `target_words` words, falling linearly to 0 at none or twice as many."""
    out = []
    for c in completions:
        n = len(_text(c).split())
        out.append(max(0.0, 1.0 - abs(n - target_words) / target_words))
    return out
