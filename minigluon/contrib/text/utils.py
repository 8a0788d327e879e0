"""``contrib.text.utils``: counting tokens in a string."""

from __future__ import annotations

import collections
import re

__all__ = ["count_tokens_from_str"]


def count_tokens_from_str(source_str: str, token_delim: str = " ", seq_delim: str = "\n",
                          to_lower: bool = False,
                          counter_to_update: collections.Counter | None = None
                          ) -> collections.Counter:
    """Count the tokens of ``source_str``, split at ``token_delim`` and ``seq_delim``
    (both regular expressions, as in MXNet); empty tokens are not counted.

    Returns ``counter_to_update`` updated in place, or a new Counter.

    Examples
    --------
    >>> from minigluon.contrib.text.utils import count_tokens_from_str
    >>> sorted(count_tokens_from_str(' Life is great ! \\n life is good . \\n').items())
    [('!', 1), ('.', 1), ('Life', 1), ('good', 1), ('great', 1), ('is', 2), ('life', 1)]
    """
    tokens = [t for t in re.split(token_delim + "|" + seq_delim, source_str) if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
