"""Text rules for question texts and answer labels, in pure Python.

- :func:`clean_label` is the models' matching rule (macro ``clean_label`` in
  ``macros/votes/labels.sql``), character for character: a seed row maps to a workflow
  version's task when the two texts clean alike.
- :func:`strip_markdown` is the text as volunteers read it (markdown rendered as plain text),
  the form ``gz-warehouse schema init`` writes into the seeds.
- :func:`slug` makes machine names of questions and answers.
"""

from __future__ import annotations

import re

from slugify import slugify

# The macro's patterns: an image `![alt](url)`, a link's target `](url)`, markdown marks.
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_MARKS = re.compile(r"[*_~#`\[\]]")
# DuckDB's regular expressions (RE2) read `\s` as ASCII white space without the vertical tab.
_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
# DuckDB's trim() removes the Unicode space separators (category Zs), and only those.
_SPACE_SEPARATORS = (
    " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+|$)", re.MULTILINE)
_STRONG = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_EMPHASIS = (
    re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.DOTALL),
    re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])", re.DOTALL),
)


def clean_label(text: str | None) -> str | None:
    """A label as the models match it: images, link targets and markdown marks removed,
    lower case, white space folded.

    ``"![x.png](https://...) **Features** or  Disk"`` -> ``"features or disk"``; empty ->
    None. (DuckDB lower-cases a few letters differently, e.g. dotted capital I.)
    """
    if text is None:
        return None
    unmarked = _MARKS.sub("", _LINK_TARGET.sub("", _IMAGE.sub("", text)))
    folded = _WHITESPACE.sub(" ", unmarked.lower())
    return folded.strip(_SPACE_SEPARATORS) or None


def fold_whitespace(text: str) -> str:
    """White space folded to single spaces and trimmed, as :func:`clean_label` folds it."""
    return _WHITESPACE.sub(" ", text).strip(_SPACE_SEPARATORS + "\t\n\f\r")


def strip_markdown(text: str | None) -> str:
    """The text as volunteers read it: markdown shown as plain text, on one line.

    Images ``![alt](url)`` are removed (as :func:`clean_label` removes them), links
    ``[text](url)`` become their text, heading marks and bold, italic and strike-through markers
    go, and white space folds to single spaces.
    """
    if not text:
        return ""
    plain = _LINK.sub(r"\1", _IMAGE.sub("", text))
    plain = _HEADING.sub("", plain)
    while True:  # nested markers, e.g. ***bold italic***
        stripped = _STRONG.sub(r"\2", plain)
        for emphasis in _EMPHASIS:
            stripped = emphasis.sub(r"\1", stripped)
        if stripped == plain:
            break
        plain = stripped
    return fold_whitespace(plain)


def slug(text: str | None, max_length: int) -> str:
    """Lower case, transliterated to ASCII, runs of anything else than letters and digits
    made one ``-``, trimmed; cut at a word boundary to at most ``max_length`` characters.

    Empty when nothing is left (the caller names it otherwise).
    """
    return slugify(text or "", max_length=max_length, word_boundary=True, save_order=True)
