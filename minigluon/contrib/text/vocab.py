"""``contrib.text.vocab.Vocabulary``: token <-> index, as MXNet 1.9.1 builds it."""

from __future__ import annotations

import collections
from typing import Any

__all__ = ["Vocabulary", "UNKNOWN_IDX"]

#: the index of the unknown token
UNKNOWN_IDX = 0


class Vocabulary:
    """Index the tokens of a ``collections.Counter``.

    Index 0 is ``unknown_token``, then come ``reserved_tokens`` in the given order, then
    the counter's tokens by decreasing count, ties in lexicographic order, keeping those
    counted at least ``min_freq`` times and at most ``most_freq_count`` of them (MXNet's
    cap counts the unknown and reserved tokens too: a reserved token met in the counter
    uses up a place).

    Parameters
    ----------
    counter : collections.Counter, optional
    most_freq_count : int, optional
    min_freq : int, default 1
    unknown_token : str, default '<unk>'
    reserved_tokens : list of str, optional

    Examples
    --------
    >>> import collections
    >>> from minigluon.contrib import text
    >>> v = text.vocab.Vocabulary(collections.Counter('b a c a b d'.split()), min_freq=2)
    >>> v.idx_to_token
    ['<unk>', 'a', 'b']
    >>> v.to_indices(['b', 'zzz'])
    [2, 0]
    """

    def __init__(self, counter: collections.Counter | None = None,
                 most_freq_count: int | None = None, min_freq: int = 1,
                 unknown_token: str = "<unk>", reserved_tokens: list[str] | None = None
                 ) -> None:
        if not min_freq > 0:
            raise AssertionError("`min_freq` must be set to a positive value.")
        if reserved_tokens is not None:
            if unknown_token in set(reserved_tokens):
                raise AssertionError("`reserved_token` cannot contain `unknown_token`.")
            if len(set(reserved_tokens)) != len(reserved_tokens):
                raise AssertionError("`reserved_tokens` cannot contain duplicate reserved "
                                     "tokens.")
        self._unknown_token = unknown_token
        self._reserved_tokens = None if reserved_tokens is None else list(reserved_tokens)
        self._idx_to_token: list[str] = [unknown_token, *(reserved_tokens or [])]
        self._token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self._idx_to_token)}
        if counter is not None:
            self._index_counter(counter, most_freq_count, min_freq)

    def _index_counter(self, counter: collections.Counter, most_freq_count: int | None,
                       min_freq: int) -> None:
        if not isinstance(counter, collections.Counter):
            raise AssertionError("`counter` must be an instance of collections.Counter.")
        special = set(self._reserved_tokens or ()) | {self._unknown_token}
        cap = len(special) + (len(counter) if most_freq_count is None else most_freq_count)
        # by count, ties broken by the token itself
        ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        for token, freq in ordered:
            if freq < min_freq or len(self._idx_to_token) == cap:
                break
            if token not in special:
                self._token_to_idx[token] = len(self._idx_to_token)
                self._idx_to_token.append(token)

    def __len__(self) -> int:
        return len(self._idx_to_token)

    @property
    def token_to_idx(self) -> dict[str, int]:
        """Each token's index."""
        return self._token_to_idx

    @property
    def idx_to_token(self) -> list[str]:
        """The tokens, by index."""
        return self._idx_to_token

    @property
    def unknown_token(self) -> str:
        return self._unknown_token

    @property
    def reserved_tokens(self) -> list[str] | None:
        return self._reserved_tokens

    def to_indices(self, tokens: str | list[str]) -> int | list[int]:
        """Index of a token, or list of indices of a list of tokens (unknown: 0)."""
        single = not isinstance(tokens, list)
        toks = [tokens] if single else tokens
        idx = [self._token_to_idx.get(t, UNKNOWN_IDX) for t in toks]  # type: ignore[arg-type]
        return idx[0] if single else idx

    def to_tokens(self, indices: int | list[int]) -> str | list[str]:
        """Token of an index, or list of tokens of a list of indices.

        Raises
        ------
        ValueError
            For an index that is not an int or is past the last token.
        """
        single = not isinstance(indices, list)
        ids: list[Any] = [indices] if single else indices  # type: ignore[list-item]
        last = len(self._idx_to_token) - 1
        out = []
        for i in ids:
            if not isinstance(i, int) or i > last:
                raise ValueError(f"Token index {i} in the provided `indices` is invalid.")
            out.append(self._idx_to_token[i])
        return out[0] if single else out
