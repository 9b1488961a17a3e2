"""What makes a new password acceptable, after NIST SP 800-63B (section 5.1.1.2).

One rule for every way a password is chosen (account page, password link, admin form,
``flask users create``, ``flask demo --password``): long enough, not absurdly long, and
not one an attacker tries first, that is, not on a list of common and breached passwords,
not built from the person's e-mail or name or the word Frontline, and not a repeated or
sequential run such as ``aaaaaaaaaa`` or ``1234567890``. There are no composition rules
(no "one digit, one symbol"): NIST advises against them.

Pure: plain strings in, plain messages out; the block-list is a file shipped in
``core/data`` (see its README), read once on first use.
"""

from __future__ import annotations

import gzip
import itertools
import re
import string
import unicodedata
from functools import cache
from importlib import resources

#: NIST asks for at least 8; Frontline has asked for 10 from the start.
MIN_LENGTH = 10
#: NIST asks that at least 64 be allowed.
MAX_LENGTH = 256
#: Words of this service that make a password guessable here.
SERVICE_WORDS = ("frontline",)
#: A password built around a context word needs this many letters of its own.
MIN_OWN_LETTERS = 4
#: Fewer distinct characters than this, however long, is a pattern.
MIN_DISTINCT = 5

TOO_SHORT = (
    "Use at least {minimum} characters (this one has {length}). "
    "A few unrelated words make a long password that is easy to remember."
)
TOO_LONG = "Use at most {maximum} characters (this one has {length})."
COMMON = (
    "This password is on a list of common and leaked passwords that attackers try "
    "first. Choose another, for example three or four unrelated words."
)
PERSONAL = (
    "This password is mostly your e-mail address, your name or the word Frontline, "
    "which attackers try first. Choose one that has nothing to do with you or this site."
)
PATTERN = (
    "This password is a repeated or sequential pattern (like aaaaaaaaaa, 1234567890 or "
    "abcdefghij), which is guessed at once. Choose one without such a pattern."
)

_LEET = str.maketrans("0134578@$", "oieastbas")
_PADDING = string.digits + string.punctuation + string.whitespace
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped block-list, lowercased (read from ``core/data`` once)."""
    data = resources.files("core").joinpath("data", "common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why ``password`` would be a poor new password for this person; empty if it is fine.

    :param email: the person's e-mail; it, its local part and its parts may not make up
        most of the password.
    :param name: the person's full name; likewise.
    :return: one plain message for each problem, each saying what to do instead.
    """
    length = len(password)
    if length < MIN_LENGTH:
        return [TOO_SHORT.format(minimum=MIN_LENGTH, length=length)]
    if length > MAX_LENGTH:
        return [TOO_LONG.format(maximum=MAX_LENGTH, length=length)]
    folded = _fold(password)
    found = []
    if _is_common(folded):
        found.append(COMMON)
    if _is_personal(folded, _context_words(email, name)):
        found.append(PERSONAL)
    if _is_pattern(folded):
        found.append(PATTERN)
    return found


def _fold(text: str) -> str:
    """Lower case without accents, so that "Chloé" and "CHLOE" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _is_common(folded: str) -> bool:
    """On the list as typed, undressed of l33t spelling, or with digits and symbols
    around a listed word (``password2024!``, ``!!monkey``)."""
    listed = common_passwords()
    key = folded.strip()
    unleet = key.translate(_LEET)
    candidates = {key, unleet, key.strip(_PADDING), unleet.strip(_PADDING)}
    return any(c and c in listed for c in candidates)


def _context_words(email: str, name: str) -> list[str]:
    """The person's e-mail, its local part and its parts, and their name and its parts."""
    email = _fold(email.strip())
    local, _, domain = email.partition("@")
    words = {email, local, *re.split(r"[._+\-\d]+", local), *domain.split(".")[:-1]}
    folded_name = _fold(name.strip())
    words |= {"".join(folded_name.split()), *re.split(r"[\s.'\-]+", folded_name)}
    words |= set(SERVICE_WORDS)
    usable = {w.translate(_LEET) for w in words if len(w) >= 3}
    return sorted(usable, key=len, reverse=True)


def _is_personal(folded: str, words: list[str]) -> bool:
    """Made of context words with fewer than :data:`MIN_OWN_LETTERS` letters besides.

    Words are looked for in the l33t-undressed password (``Fr0ntl1ne``); the letters left
    over are counted in the password as typed, so that digits added to a word
    (``frontline2024``) are not mistaken for letters of one's own.
    """
    unleet = folded.translate(_LEET)
    covered = [False] * len(folded)
    for word in words:
        for match in re.finditer(re.escape(word), unleet):
            covered[match.start() : match.end()] = [True] * len(word)
    if not any(covered):
        return False
    left = [c for c, used in zip(folded, covered, strict=True) if not used]
    own = sum(1 for c in left if c.isalpha())
    return own < MIN_OWN_LETTERS


def _steps(a: str, b: str) -> frozenset[tuple[int, int]]:
    """How ``b`` can follow ``a``: (0, 0) repeated, or (sequence, +1/-1) next in a run."""
    if a == b:
        return frozenset({(0, 0)})
    found = set()
    for n, seq in enumerate(_SEQUENCES, start=1):
        for i, c in enumerate(seq):
            if c == a and seq[i + 1 : i + 2] == b:
                found.add((n, 1))
            if c == a and i > 0 and seq[i - 1] == b:
                found.add((n, -1))
    return frozenset(found)


def _runs(text: str) -> int:
    """How many runs (repeats like ``aaaa``, sequences like ``abcd``, ``9876``,
    ``qwerty``) ``text`` splits into, taking each run as long as it goes."""
    runs, going = 1, None
    for a, b in itertools.pairwise(text):
        steps = _steps(a, b)
        going = steps if going is None else going & steps
        if not going:
            runs, going = runs + 1, None
    return runs


def _is_pattern(folded: str) -> bool:
    """Few distinct characters, runs three or more long on average, or a short unit
    repeated (``abcabcabc``, ``pass pass pass``)."""
    text = folded.strip()
    if len(set(text)) < MIN_DISTINCT:
        return True
    if len(text) >= 3 * _runs(text):
        return True
    for size in range(1, MIN_LENGTH):
        repeats, rest = divmod(len(text), size)
        if repeats > 1 and not rest and text[:size] * repeats == text:
            return True
    return False
