"""Name matching: the forms in which real files write the same parameter, unit or station.

Loggers and labs write "PM2,5", "PM2.5", "pm 2.5"; "Nhiệt độ" and "Nhiet do"; "N-NH4+" and
"NH4". A match key folds case, Vietnamese diacritics (including đ → d) and punctuation, so
one alias entry covers all of them.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

_DROP = str.maketrans("", "", " \t._-,+/()[]'\"*:;")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse white space: 'Nhiệt  Độ' → 'nhiet do'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def match_key(text: str) -> str:
    """The key two spellings of one name share: folded, without spaces and punctuation."""
    return fold(text).translate(_DROP)


def nearest(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The known names closest to `name`, for 'did you mean' messages."""
    pool = list(dict.fromkeys(candidates))
    by_key: dict[str, str] = {}
    for c in pool:
        by_key.setdefault(match_key(c) or c, c)
    keys = difflib.get_close_matches(match_key(name) or name, list(by_key), n=n, cutoff=0.5)
    found = [by_key[k] for k in keys]
    if len(found) < n:
        extra = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
        found += [c for c in extra if c not in found]
    return found[:n]
