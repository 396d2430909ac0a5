"""Words for lexical search: lower-case terms with possessives and common words dropped.

One rule for scenes and questions alike, so a question's ``"Edward's"`` meets a scene's
``"EDWARD"``. Curly quotes count as straight ones.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_POSSESSIVE = re.compile(r"'s?$")

# Function words and the words every question about a script uses: they match everywhere and
# would only blur the ranking.
_STOPWORD_TEXT = """
    a about after again all also am an and any are as at be been before being both but by can
    could did do does doing done for from had has have having he her here hers him his how i if
    in into is it its just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yours

    scene scenes script screenplay story film movie page pages tell show find happen happens
    happened say says said character characters
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def words(text: str) -> list[str]:
    """Every word of ``text``, lower case, possessive ``'s`` removed (stopwords kept)."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return [_POSSESSIVE.sub("", word) for word in _WORD.findall(lowered)]


def terms(text: str) -> list[str]:
    """The search terms of ``text``: :func:`words` without :data:`STOPWORDS`."""
    return [word for word in words(text) if word and word not in STOPWORDS]
