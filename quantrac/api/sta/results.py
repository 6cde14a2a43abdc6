"""What an Observation's result may be, by its Datastream's observationType.

SensorThings ties the type of a result to the Datastream's observationType (OM_Measurement:
a number, OM_CountObservation: an integer, OM_TruthObservation: a boolean,
OM_CategoryObservation: a term; OM_Observation and types quantrac does not know: anything).
Numbers go to `observation.value`, where every numeric reader (QC, QCVN checks, indices,
exports) finds them; a result that is not a plain double is also kept exactly as sent
(`sta_observation_result`), so a client reads back the `true`, `"high"`, `[1, 2]` or `8` it
wrote. Pure functions, no I/O.
"""

from __future__ import annotations

import json
import math
from typing import Any

OM_PREFIX = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
MEASUREMENT = "OM_Measurement"


def type_name(observation_type: str | None) -> str:
    """`OM_Measurement` for a URI ending so (and for no type: a registry series)."""
    if not observation_type:
        return MEASUREMENT
    return observation_type.rsplit("/", 1)[-1]


def check_result(result: Any, observation_type: str | None) -> tuple[float | None, str | None]:
    """(value for `observation.value`, the result as JSON to keep, or None when the value says
    it all). Raises ValueError naming what the observationType wants."""
    kind = type_name(observation_type)
    number = _number(result)
    if result is None:
        return None, None
    if kind == MEASUREMENT:
        if number is None:
            raise ValueError(f"{result!r} is not a number (the Datastream is an {MEASUREMENT})")
        return number, None
    if kind == "OM_CountObservation" and not (isinstance(result, int) and number is not None):
        raise ValueError(f"{result!r} is not an integer (the Datastream is an {kind})")
    if kind == "OM_TruthObservation" and not isinstance(result, bool):
        raise ValueError(f"{result!r} is not true or false (the Datastream is an {kind})")
    if kind == "OM_CategoryObservation" and not isinstance(result, str):
        raise ValueError(f"{result!r} is not a category term (the Datastream is an {kind})")
    return number, json.dumps(result, ensure_ascii=False, separators=(",", ":"))


def _number(result: Any) -> float | None:
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None
    value = float(result)
    return value if math.isfinite(value) else None


def read_result(value: float | None, kept: str | None) -> Any:
    """The result to answer: as it was sent when kept, else the stored number."""
    return json.loads(kept) if kept is not None else value
