"""No repeated n-grams: a logits processor that bans the token completing an n-gram the
sequence has already generated (the idea of Hugging Face's ``no_repeat_ngram_size``).

Only the *generated* tokens count: an n-gram of the prompt may be written again (citations,
names and lines quoted from the script must stay possible). The processor learns where the
prompt ends from its first call: mlx-lm (``generate_step``) and ``batch_decode`` both pass every
token fed so far, the prompt (or, in the engine, its last token) first and then one more
generated token per step. So one instance serves exactly one sequence (``build_sampler`` makes
one per sequence).

Cheap by construction: a dict from each generated (n-1)-gram to the tokens that followed it,
updated with one entry per step; a step looks up the last n-1 tokens once. Reading the newest
token is a host sync (``tolist``) that the decode loops make anyway a moment later.
"""

from __future__ import annotations

from typing import Any


class NoRepeatNGram:
    """``processor(tokens, logits) -> logits`` with -inf for every token that would complete
    an n-gram (``size`` tokens) already present in this sequence's generated tokens."""

    def __init__(self, size: int) -> None:
        if size < 2:
            raise ValueError("a no-repeat n-gram needs n >= 2")
        self.size = size
        self.prompt_tokens: int | None = None  # tokens of the first call: not generated
        self.generated: list[int] = []
        self._followers: dict[tuple[int, ...], set[int]] = {}

    def take(self, token: int) -> None:
        """Record one generated token (the n-gram it ends becomes banned)."""
        self.generated.append(token)
        n = self.size
        if len(self.generated) >= n:
            key = tuple(self.generated[-n:-1])
            self._followers.setdefault(key, set()).add(token)

    def banned(self) -> set[int]:
        """Tokens that may not come next."""
        context = self.size - 1
        if len(self.generated) < context:
            return set()
        return self._followers.get(tuple(self.generated[-context:]), set())

    def __call__(self, tokens: Any, logits: Any) -> Any:
        seen = int(tokens.size)
        if self.prompt_tokens is None:
            self.prompt_tokens = seen
        else:
            start = self.prompt_tokens + len(self.generated)
            if seen < start:
                raise RuntimeError("NoRepeatNGram serves one sequence: its tokens went back")
            for token in tokens.reshape(-1)[start:].tolist():
                self.take(int(token))
        banned = self.banned()
        if not banned:
            return logits
        import mlx.core as mx  # lazy: MLX

        logits[..., mx.array(sorted(banned))] = -mx.inf
        return logits
