"""Which passwords are accepted: NIST SP 800-63B (section 3.1.1.2), no composition rules.

A password must be at least :data:`PASSWORD_MIN` characters long (any characters, spaces
included; nothing is required to be a digit or a capital) and is refused when it is

* one of the 30,000 most common passwords (``resources/passwords/common-passwords.txt``: the
  list zxcvbn ships, from Mark Burnett's public-domain "10 million passwords" data; see the
  LICENSE beside it), compared without regard to case, to spaces and to digits or punctuation
  stuck on at either end (``Password 1234!`` is ``password``);
* one character repeated, a short pattern repeated, or a run such as ``1234…`` or ``abcd…``;
* or contains the person's own user name or name (or a part of it of four or more letters), or
  the name of this application.

Nothing here touches a database: the rules are plain functions of the text, checked before a
password is hashed.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

from supportline.resources import resource_path

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
#: The shipped list, relative to ``resources/``.
COMMON_PASSWORDS = ("passwords", "common-passwords.txt")
#: Words of this service a password must not contain (NIST: "context-specific words").
SERVICE_WORDS = ("supportline",)
#: Parts of a person's name at least this long must not be in their password.
NAME_PART_MIN = 4

_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once)."""
    text = resource_path(*COMMON_PASSWORDS).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _variants(folded: str) -> set[str]:
    """The forms of a password looked up in the list."""
    squeezed = _SPACES.sub("", folded)
    cores = {_EDGES.sub("", folded), _EDGES.sub("", squeezed)}
    return {folded, squeezed, *(c for c in cores if c)}


def _repeated_unit(text: str) -> str | None:
    """The shortest unit that ``text`` is made of, repeated at least twice; None if it is not."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def _is_run(text: str) -> bool:
    """Consecutive characters up or down: ``123456789012``, ``abcdefghijkl``, ``987654…``."""
    if len(text) < 3:
        return False
    if text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(text)}
        return steps in ({1}, {9})
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def _name_words(username: str, display_name: str) -> set[str]:
    words = {_fold(username).strip(), _fold(display_name).strip()}
    words |= {_NOT_ALNUM.sub("", w) for w in set(words)}
    words |= {part for part in _NOT_ALNUM.split(_fold(display_name)) if len(part) >= NAME_PART_MIN}
    words |= {part for part in _NOT_ALNUM.split(_fold(username)) if len(part) >= NAME_PART_MIN}
    return {w for w in words if len(w) >= 3}


def password_problem(password: str, *, username: str = "", display_name: str = "") -> str | None:
    """What is wrong with ``password`` for this person (written to follow "password: "), or None."""
    if len(password) < PASSWORD_MIN:
        return f"must be at least {PASSWORD_MIN} characters (a few words make a good one)"
    if len(password) > PASSWORD_MAX:
        return f"must be at most {PASSWORD_MAX} characters"
    if "\x00" in password:
        return "must not contain a NUL character"
    folded = _fold(password)
    if not folded.strip():
        return "must not be only spaces"
    squeezed = _SPACES.sub("", folded)
    unit = _repeated_unit(folded) or _repeated_unit(squeezed)
    if unit is not None and (len(unit.strip()) <= 1 or len(unit) <= 4 or unit in common_passwords()):
        return "is a character or a short pattern repeated; choose something harder to guess"
    if _is_run(squeezed):
        return "is a run of consecutive characters (such as 1234… or abcd…); choose something harder to guess"
    if _variants(folded) & common_passwords():
        return "is one of the most common passwords, the first ones anyone guessing tries; choose another"
    letters = _NOT_ALNUM.sub("", folded)
    for word in _name_words(username, display_name):
        if word in folded or word in squeezed or word in letters:
            return "must not contain your user name or your name"
    for word in SERVICE_WORDS:
        if word in letters:
            return f"must not contain the name of the application ({word!r})"
    return None
