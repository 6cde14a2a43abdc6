"""Observations through SensorThings: archived first, checked whole, then the ingest pipeline.

Any credential with `write` over the station may create, change (a revision: who, when, old,
new) and delete (recorded as a revision) its observations. A request with any defect writes
nothing and lists every defect by JSON path (a peer server answered 201 with the errors hidden
in the body). An Observation's FeatureOfInterest is its station's point unless the request
names one (`FeatureOfInterest`, or a `FeatureOfInterest/id` column of a dataArray): a stored
one by id, or a new one inline. A station without a point gives no feature to derive, so an
Observation there must name one (400, as the specification says).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, func, insert, literal, select, tuple_, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.core import (
    STORED_BASE,
    current_time,
    observation_id,
    split_observation_id,
    stored_row,
)
from quantrac.api.sta.results import read_result
from quantrac.api.sta.write_base import WriterBase, invalid
from quantrac.api.timeparse import iso, parse_instant
from quantrac.auth.scope import live_series
from quantrac.errors import ConflictError
from quantrac.pipeline.ingest import ingest_readings
from quantrac.store.db import now_s
from quantrac.store.schema import observation, observation_revision, series
from quantrac.store.schema_sta import (
    sta_observation_foi,
    sta_observation_moved,
    sta_observation_result,
    sta_observation_time,
)
from quantrac.sync.changes import record_observations

#: Keys per DELETE … WHERE (series_id, time) IN (…).
_KEYS_PER_STATEMENT = 1_000


class ObservationWriter(WriterBase):
    def create_observation(self, doc: Mapping[str, Any]) -> int:
        keys = self.create_observations_body(json.dumps(doc).encode())
        return observation_id(*keys[0])

    def create_observations_body(
        self, data: bytes, *, need_feature: bool = True
    ) -> list[tuple[int, int]]:
        """Archive the body, check everything, then ingest all of it or nothing."""
        self._require_write()
        archive = self.ctx.archive
        digest = hashlib.sha256(data).hexdigest()[:24]
        received = archive.receive(data, f"sta_{digest}{ingest.SUFFIX}", "sta", sender=self.p.actor)
        with self.ctx.store.read() as conn:
            parsed = ingest.parse(conn, data)
            for sid, t in sorted(parsed.targets.items()):
                if self.p.has_full_access(t.admin_unit_key, t.owner_id):
                    continue
                archive.mark(received.raw_file_id, "quarantined", "not allowed", None, "station")
                if t.visibility != "public":  # invisible to this caller: as if it did not exist
                    raise ApiError(404, f"no Datastream {sid}", [("Datastream", str(sid))])
                raise ApiError(403, f"this credential may not write to station {t.station_code}")
            plan = self._features(conn, parsed, need_feature)
        if parsed.problems:
            archive.mark(
                received.raw_file_id,
                "quarantined",
                "; ".join(f"{w}: {m}" for w, m in parsed.problems[:20]),
            )
            ingest.refuse(parsed)
        outcome = ingest_readings(
            self.ctx.store,
            parsed.readings,
            source=f"sta:{received.raw_file_id}",
            raw_file_id=received.raw_file_id,
            changed_by=self.p.actor,
            partial=False,
        )
        with self.ctx.store.write() as conn:
            self._link_features(conn, parsed, plan)
            self._keep_as_sent(conn, parsed)
            archive.mark(received.raw_file_id, "parsed", conn=conn)
            self._audit(
                conn,
                "sta.observations",
                f"raw_file:{received.raw_file_id}",
                {
                    "received": len(parsed.readings),
                    "stored": outcome.result.inserted + outcome.result.revised,
                },
            )
        self.ctx.bump()
        return parsed.keys

    def check_observations(self, conn: Connection, data: bytes) -> None:
        """Refuse (400) a body of observations that would be refused later, inside a deep
        insert's transaction — so a Thing or Datastream is not kept without its data."""
        parsed = ingest.parse(conn, data)
        self._features(conn, parsed, True)
        ingest.refuse(parsed)

    # --- FeaturesOfInterest of new observations ---------------------------------------------------
    def _features(self, conn: Connection, parsed: ingest.Parsed, need: bool) -> list[Any]:
        """Per reading: None (its station's point), a stored feature's row id, or a new
        feature (its JSON, created after ingest). Defects go to `parsed.problems`."""
        plan: list[Any] = []
        station_of = {t.series_id: t for t in parsed.targets.values()}
        for (sid, _), (where, sent) in zip(parsed.keys, parsed.features, strict=True):
            target = station_of[sid]
            here = f"{where}.FeatureOfInterest"
            ref = ingest.link_id(sent)
            if sent is None:
                if need and not target.located:
                    why = "missing: the Thing has no Location to derive it from; give a "
                    parsed.problems.append(
                        (here, why + "FeatureOfInterest, or the Thing a Location")
                    )
                plan.append(None)
            elif ref is None:
                if not isinstance(sent, Mapping):
                    parsed.problems.append((here, 'a link {"@iot.id": …} or a new feature'))
                    plan.append(None)
                    continue
                try:
                    self._feature_values(sent, partial=False)
                except ApiError as e:
                    parsed.problems += [(f"{here}.{w}", m) for w, m in e.problems]
                plan.append(json.dumps(sent, sort_keys=True))
            elif stored_row(ref) is None:
                if ref != target.station_id or not target.located:
                    parsed.problems.append(
                        (here, f"FeaturesOfInterest({ref!r}) is not the point of this station")
                    )
                plan.append(None)
            elif self.visible(conn, "FeaturesOfInterest", ref) is None:
                parsed.problems.append((here, f"no FeatureOfInterest {ref!r}"))
                plan.append(None)
            else:
                plan.append(stored_row(ref))
        return plan

    def _link_features(self, conn: Connection, parsed: ingest.Parsed, plan: list[Any]) -> None:
        """Link each observation to the feature the request named; an observation sent
        without one is its station's again."""
        created: dict[str, int] = {}
        links: list[dict[str, int]] = []
        for (sid, t), want in zip(parsed.keys, plan, strict=True):
            row = want
            if isinstance(want, str):
                if want not in created:
                    ident = self.create_feature(json.loads(want), conn, inline=True)
                    created[want] = int(stored_row(ident) or 0)
                row = created[want]
            if row is not None:
                links.append({"series_id": sid, "time": t, "foi_id": row})
        _replace_rows(conn, sta_observation_foi, parsed.keys, links)

    def _keep_as_sent(self, conn: Connection, parsed: ingest.Parsed) -> None:
        """Keep each observation's resultTime and validTime as sent this time (none sent:
        none kept), like its feature — and its result, where the value cannot say it."""
        times = [
            {"series_id": sid, "time": t, "result_time": rt, "valid_from": vf, "valid_to": vt}
            for (sid, t), (rt, vf, vt) in zip(parsed.keys, parsed.times, strict=True)
            if rt is not None or vf is not None
        ]
        _replace_rows(conn, sta_observation_time, parsed.keys, times)
        results = [
            {"series_id": sid, "time": t, "result_json": kept}
            for (sid, t), kept in zip(parsed.keys, parsed.results, strict=True)
            if kept is not None
        ]
        _replace_rows(conn, sta_observation_result, parsed.keys, results)

    # --- change and delete ----------------------------------------------------------------------
    def _stored_observation(
        self, conn: Connection, ident: Any
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """(observation row, its series) by id — an id from before a time correction too;
        404 when unknown or of a deleted series (its observations are kept as they are,
        never changed)."""
        if not isinstance(ident, int) or isinstance(ident, bool) or ident < 0:
            raise ApiError(404, f"no Observation {ident!r}")
        sid, t = split_observation_id(ident)
        o = observation.c
        q = select(observation).where(o.series_id == sid, o.time == current_time(sid, t))
        row = conn.execute(q).mappings()
        d = conn.execute(select(series).where(series.c.id == sid, live_series())).mappings()
        found, of = row.first(), d.first()
        if found is None or of is None:
            raise ApiError(404, f"no Observation {ident}")
        return found, of

    def update_observation(self, ident: Any, doc: Mapping[str, Any]) -> None:
        """A revision through the ingest pipeline; a new phenomenonTime moves the observation
        (its old id keeps finding it)."""
        tm = sta_observation_time.c
        with self.ctx.store.read() as conn:
            row, d = self._stored_observation(conn, ident)
            sid, t = d["id"], row["time"]
            self._station(conn, d["station_id"], staff=False)
            linked = conn.scalar(
                select(sta_observation_foi.c.foi_id).where(
                    sta_observation_foi.c.series_id == sid, sta_observation_foi.c.time == t
                )
            )
            kept = conn.execute(
                select(tm.result_time, tm.valid_from, tm.valid_to).where(
                    tm.series_id == sid, tm.time == t
                )
            ).first()
            kept_result = conn.scalar(
                select(sta_observation_result.c.result_json).where(
                    sta_observation_result.c.series_id == sid, sta_observation_result.c.time == t
                )
            )
            new_t = t
            if "phenomenonTime" in doc:
                new_t = parse_instant(doc["phenomenonTime"], "phenomenonTime")
                taken = select(observation.c.time).where(
                    observation.c.series_id == sid, observation.c.time == new_t
                )
                if new_t != t and conn.execute(taken).first() is not None:
                    raise ConflictError(
                        f"Datastream {sid} already holds an observation at "
                        f"{iso(new_t)}: Observations({observation_id(sid, new_t)})"
                    )
        for nav in ("Datastream", "MultiDatastream"):
            if nav in doc and ingest.link_id(doc[nav]) != sid:
                raise invalid(nav, "an Observation stays in its Datastream")
        new: dict[str, Any] = {
            "Datastream": {"@iot.id": sid},
            "phenomenonTime": iso(new_t),
            "result": doc["result"] if "result" in doc else read_result(row["value"], kept_result),
        }
        if "FeatureOfInterest" in doc:
            if ingest.link_id(doc["FeatureOfInterest"]) is None:
                raise invalid("FeatureOfInterest", "link a FeatureOfInterest by id in a PATCH")
            new["FeatureOfInterest"] = doc["FeatureOfInterest"]
        elif linked is not None:
            new["FeatureOfInterest"] = {"@iot.id": STORED_BASE + int(linked)}
        result_time = iso(kept.result_time) if kept is not None else None
        valid_time = (
            f"{iso(kept.valid_from)}/{iso(kept.valid_to)}"
            if kept is not None and kept.valid_from is not None
            else None
        )
        for key, before in (("resultTime", result_time), ("validTime", valid_time)):
            value = doc.get(key, before)
            if value is not None:
                new[key] = value
        status = row["device_status"]
        params = doc.get("parameters")
        if isinstance(params, Mapping) and "device_status" in params:
            status = params["device_status"]
        if status is not None:
            new["parameters"] = {"device_status": status}
        self.create_observations_body(json.dumps(new).encode(), need_feature=False)
        if new_t != t:
            with self.ctx.store.write() as conn:
                self._remove(conn, row, sid, f"phenomenonTime corrected to {iso(new_t)}", "move")
                self._moved(conn, sid, t, new_t)

    def _moved(self, conn: Connection, sid: int, old: int, new: int) -> None:
        """The ids that named the old time (its own and older aliases) now name the new one."""
        mv = sta_observation_moved.c
        conn.execute(
            update(sta_observation_moved)
            .where(mv.series_id == sid, mv.new_time == old)
            .values(new_time=new)
        )
        conn.execute(
            delete(sta_observation_moved).where(mv.series_id == sid, mv.old_time.in_([old, new]))
        )
        conn.execute(
            insert(sta_observation_moved).values(series_id=sid, old_time=old, new_time=new)
        )

    def delete_observation(self, conn: Connection, ident: Any) -> None:
        row, d = self._stored_observation(conn, ident)
        self._station(conn, d["station_id"], staff=False)
        self._remove(conn, row, d["id"], "deleted through SensorThings", "delete")

    def delete_observations_of(self, conn: Connection, pairs: Any, reason: str) -> int:
        """Delete every observation `pairs` selects (series_id, time) — the specification's
        cascade when their FeatureOfInterest goes — each recorded as a revision (old value,
        who, why), as DELETE of each one would be; set-based, however many there are."""
        o = observation.c
        chosen = tuple_(o.series_id, o.time).in_(pairs)
        spans = conn.execute(
            select(o.series_id, func.min(o.time), func.max(o.time), func.count())
            .where(chosen)
            .group_by(o.series_id)
        ).all()
        if not spans:
            return 0
        r = observation_revision.c
        conn.execute(
            insert(observation_revision).from_select(
                [r.series_id, r.time, r.old_value, r.old_status, r.old_flag, r.source,
                 r.changed_by, r.reason, r.changed_at],
                select(o.series_id, o.time, o.value, o.device_status, o.qc_flag,
                       literal("sta:delete"), literal(self.p.actor), literal(reason),
                       literal(now_s())).where(chosen),
            )
        )  # fmt: skip
        for table in (sta_observation_time, sta_observation_result):
            c = table.c
            conn.execute(delete(table).where(tuple_(c.series_id, c.time).in_(pairs)))
        conn.execute(delete(observation).where(chosen))
        for sid, t_min, t_max, n in spans:
            record_observations(conn, [sid], t_min, t_max, n)
        return sum(int(n) for *_, n in spans)

    def _remove(
        self, conn: Connection, row: Mapping[str, Any], sid: int, reason: str, what: str
    ) -> None:
        """Take one observation out, recorded as a revision (old value, who, why)."""
        t = row["time"]
        conn.execute(
            insert(observation_revision).values(
                series_id=sid,
                time=t,
                old_value=row["value"],
                new_value=None,
                old_status=row["device_status"],
                new_status=None,
                old_flag=row["qc_flag"],
                new_flag=None,
                source=f"sta:{what}",
                changed_by=self.p.actor,
                reason=reason,
                changed_at=now_s(),
            )
        )
        for table in (sta_observation_foi, sta_observation_time, sta_observation_result):
            conn.execute(delete(table).where(table.c.series_id == sid, table.c.time == t))
        conn.execute(
            delete(observation).where(observation.c.series_id == sid, observation.c.time == t)
        )
        record_observations(conn, [sid], t, t, 1)

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def create_feature(
            self, doc: Mapping[str, Any], conn: Connection | None = None, *, inline: bool = False
        ) -> int: ...

        def _feature_values(self, doc: Mapping[str, Any], *, partial: bool) -> dict[str, Any]: ...


def _replace_rows(
    conn: Connection, table: Table, keys: list[tuple[int, int]], rows: list[dict[str, Any]]
) -> None:
    """What the request said about each observation replaces what was kept for it (said
    nothing: nothing kept). Rows keyed (series_id, time), few: a series with none at all is
    skipped with one probe — the usual case of a bulk write."""
    c = table.c
    series_ids = sorted({sid for sid, _ in keys})
    anything = select(c.series_id).where(c.series_id.in_(series_ids)).limit(1)
    if not rows and conn.scalar(anything) is None:
        return
    for i in range(0, len(keys), _KEYS_PER_STATEMENT):
        chunk = keys[i : i + _KEYS_PER_STATEMENT]
        conn.execute(delete(table).where(tuple_(c.series_id, c.time).in_(chunk)))
    if rows:
        conn.execute(insert(table), rows)
