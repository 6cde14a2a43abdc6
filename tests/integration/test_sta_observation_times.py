"""An Observation's times through SensorThings: resultTime and validTime are kept as sent, and
a corrected phenomenonTime moves the observation — recorded as a revision, its old id still
finding it — without ever overwriting another observation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from quantrac.store.schema import observation, observation_revision
from tests.integration.api_world import N_VALUES, STEP, T0, World

STA = "/sta/v1.1"


def call(
    world: World, method: str, path: str, body: Any = None, who: str = "hn", status: int = 200
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def oid(series_id: int, epoch: int) -> int:
    return series_id * 2**32 + epoch


def stored_times(world: World, series_id: int) -> list[int]:
    with world.store.read() as conn:
        q = select(observation.c.time).where(observation.c.series_id == series_id)
        return sorted(conn.scalars(q))


def test_result_time_and_valid_time_are_kept_filtered_and_cleared(world: World) -> None:
    sid = world.series["PUB_AIR"]
    later = T0 + N_VALUES * STEP
    body = [
        {
            "Datastream": {"@iot.id": sid},
            "components": ["phenomenonTime", "result", "resultTime", "validTime"],
            "dataArray": [
                ["2026-01-01T02:00:00Z", 10, "2026-01-02T09:00:00+07:00",
                 "2026-01-01T02:00:00Z/2026-01-01T03:00:00Z"],
                ["2026-01-01T02:05:00Z", 11, None, None],
            ],
        }
    ]  # fmt: skip
    call(world, "POST", "/CreateObservations", body, status=201)
    first = call(world, "GET", f"/Observations({oid(sid, later)})")
    assert first["resultTime"] == "2026-01-02T02:00:00.000Z"
    assert first["validTime"] == "2026-01-01T02:00:00.000Z/2026-01-01T03:00:00.000Z"
    second = call(world, "GET", f"/Observations({oid(sid, later + STEP)})")
    assert second["resultTime"] is None and "validTime" not in second
    found = call(world, "GET", f"/Datastreams({sid})/Observations?$filter=resultTime ne null")
    assert [o["@iot.id"] for o in found["value"]] == [oid(sid, later)]
    # a PATCH of the result keeps them; sending the observation again without them clears them
    call(world, "PATCH", f"/Observations({oid(sid, later)})", {"result": 12})
    assert call(world, "GET", f"/Observations({oid(sid, later)})")["resultTime"] is not None
    again = {"phenomenonTime": "2026-01-01T02:00:00Z", "result": 12}
    call(world, "POST", f"/Datastreams({sid})/Observations", again, status=201)
    assert call(world, "GET", f"/Observations({oid(sid, later)})")["resultTime"] is None


def test_bad_result_time_or_valid_time_is_refused_by_path(world: World) -> None:
    sid = world.series["PUB_AIR"]
    for field, value in (
        ("resultTime", "yesterday"),
        ("resultTime", "2026-01-01T00:00:00"),  # no offset
        ("validTime", "2026-01-01T00:00:00Z"),  # not an interval
        ("validTime", "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"),  # ends before it starts
    ):
        body = {"phenomenonTime": "2026-01-01T05:00:00Z", "result": 1, field: value}
        answer = call(world, "POST", f"/Datastreams({sid})/Observations", body, status=400)
        assert answer["problems"][0]["where"] == f"$.{field}"
    assert len(stored_times(world, sid)) == N_VALUES


def test_a_corrected_phenomenon_time_moves_the_observation(world: World) -> None:
    sid = world.series["PUB_AIR"]
    old = oid(sid, T0)
    new_time = T0 + 86_400  # a day later: a clock that was a day off
    moved = call(
        world, "PATCH", f"/Observations({old})", {"phenomenonTime": "2026-01-02T00:00:00Z"}
    )
    assert moved["@iot.id"] == oid(sid, new_time)
    assert moved["phenomenonTime"] == "2026-01-02T00:00:00.000Z"
    times = stored_times(world, sid)
    assert T0 not in times and new_time in times and len(times) == N_VALUES
    # the old id still finds it, for reading, changing and deleting
    assert call(world, "GET", f"/Observations({old})")["@iot.id"] == oid(sid, new_time)
    call(world, "PATCH", f"/Observations({old})", {"phenomenonTime": "2026-01-03T00:00:00Z"})
    moved_again = call(world, "GET", f"/Observations({old})")
    assert moved_again["phenomenonTime"] == "2026-01-03T00:00:00.000Z"
    assert call(world, "GET", f"/Observations({oid(sid, new_time)})")["@iot.id"] == oid(
        sid, T0 + 2 * 86_400
    )
    with world.store.read() as conn:
        rv = observation_revision.c
        reasons = list(conn.scalars(select(rv.reason).where(rv.source == "sta:move")))
    assert reasons == [
        "phenomenonTime corrected to 2026-01-02T00:00:00Z",
        "phenomenonTime corrected to 2026-01-03T00:00:00Z",
    ]
    # a new observation at the old time is itself again under the old id
    call(world, "POST", f"/Datastreams({sid})/Observations",
         {"phenomenonTime": "2026-01-01T00:00:00Z", "result": 5}, status=201)  # fmt: skip
    assert call(world, "GET", f"/Observations({old})")["result"] == 5
    call(world, "DELETE", f"/Observations({oid(sid, T0 + 2 * 86_400)})")
    assert len(stored_times(world, sid)) == N_VALUES


def test_moving_onto_another_observation_is_refused(world: World) -> None:
    sid = world.series["PUB_AIR"]
    answer = call(
        world,
        "PATCH",
        f"/Observations({oid(sid, T0)})",
        {"phenomenonTime": "2026-01-01T00:05:00Z", "result": 1},
        status=409,
    )
    assert f"Observations({oid(sid, T0 + STEP)})" in answer["message"]
    assert len(stored_times(world, sid)) == N_VALUES
    first = call(world, "GET", f"/Observations({oid(sid, T0)})")
    assert first["phenomenonTime"] == "2026-01-01T00:00:00.000Z"


def test_only_who_may_write_the_station_moves_its_observations(world: World) -> None:
    sid = world.series["PUB_AIR"]
    body = {"phenomenonTime": "2026-01-05T00:00:00Z"}
    call(world, "PATCH", f"/Observations({oid(sid, T0)})", body, who="ent_a", status=403)
    call(world, "PATCH", f"/Observations({oid(sid, T0)})", body, who="tq", status=403)
    assert T0 in stored_times(world, sid)
