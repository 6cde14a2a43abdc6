"""Where a push stands in a node's change log.

Entries are ordered by (xid, seq): on SQLite xid is 0 and seq follows commit order (writers
are serialised); on PostgreSQL xid is the writing transaction's id and a reader only takes
entries whose transaction is below the oldest one still running, so nothing can commit
later with a smaller position.

A position may stop inside one large `obs` entry: `sid`/`t` then say how far it got (every
series below `sid`, and series `sid` up to time `t` inclusive, are done); `sid == -1` means the
entry at (xid, seq) is complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quantrac.errors import ValidationError

COMPLETE = -1


@dataclass(frozen=True, slots=True)
class Position:
    xid: int = 0
    seq: int = 0
    sid: int = COMPLETE
    t: int = 0

    @property
    def complete(self) -> bool:
        return self.sid == COMPLETE

    def as_list(self) -> list[int]:
        return [self.xid, self.seq, self.sid, self.t]

    @classmethod
    def from_list(cls, value: Sequence[object]) -> Position:
        if not isinstance(value, Sequence) or len(value) != 4:
            raise ValidationError("a position is four integers", [("position", repr(value))])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValidationError("a position is four integers", [("position", repr(value))])
        return cls(*value)  # type: ignore[arg-type]

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Position:
        """From a row (mapping) with pos_xid, pos_seq, pos_sid, pos_t columns."""
        return cls(*(int(row[k]) for k in ("pos_xid", "pos_seq", "pos_sid", "pos_t")))

    def columns(self) -> dict[str, int]:
        return {"pos_xid": self.xid, "pos_seq": self.seq, "pos_sid": self.sid, "pos_t": self.t}

    def __str__(self) -> str:
        base = f"{self.xid}:{self.seq}" if self.xid else str(self.seq)
        return base if self.complete else f"{base} (series {self.sid} to {self.t})"


START = Position()
