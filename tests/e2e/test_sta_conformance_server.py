"""`quantrac sta-conformance`: the throwaway server a SensorThings conformance suite (the OGC
ETS, which sends no credentials) is pointed at — a real process on loopback, a new database,
and the suite's first step (empty every collection) through to its first creates."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantrac.api.conformance import check_loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port, folder = free_port(), tmp_path / "conformance"
    env = {**os.environ, "QUANTRAC_DATA_DIR": str(tmp_path / "real")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "quantrac", "sta-conformance", "--port", str(port),
         "--data-dir", str(folder)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/sta/v1.1"
    try:
        for _ in range(150):
            try:
                if request("GET", base)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail(f"the server did not start: {proc.communicate()[0]}")
        yield base, folder
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_suite_without_credentials_writes_to_a_new_database(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = server
    for entity_set in ("Things", "Datastreams", "ObservedProperties", "FeaturesOfInterest"):
        assert request("GET", f"{base}/{entity_set}") == (200, {"value": []})
    status, _ = request("POST", f"{base}/Things", {
        "name": "Office Building", "description": "d",
        "Locations": [{"name": "West Roof", "description": "d",
                       "encodingType": "application/vnd.geo+json",
                       "location": {"type": "Point", "coordinates": [-117.05, 51.05]}}],
        "Datastreams": [{"name": "Light exposure.", "description": "d",
                         "unitOfMeasurement": {"name": "Lumen", "symbol": "lm", "definition": "x"},
                         "observationType": "http://www.opengis.net/def/observationType/OGC-OM/"
                                            "2.0/OM_Measurement",
                         "ObservedProperty": {"name": "Luminous Flux", "definition": "x",
                                              "description": "d"},
                         "Sensor": {"name": "Acme Fluxomatic 1000", "description": "d",
                                    "encodingType": "application/pdf", "metadata": "m"}}],
    })  # fmt: skip
    assert status == 201
    (ds,) = request("GET", f"{base}/Datastreams")[1]["value"]
    assert ds["unitOfMeasurement"]["symbol"] == "lm"
    assert request("DELETE", f"{base}/Things(1)")[0] == 200
    # everything it wrote is in its own folder; the configured data folder is untouched
    assert (folder / "quantrac.db").exists()
    assert not (tmp_path / "real").exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_open_writes_are_served_on_loopback_only(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        check_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    check_loopback(host)


def test_the_command_refuses_a_public_address_and_a_used_folder(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "quantrac.db").write_text("")
    for args in (["--host", "0.0.0.0"], ["--data-dir", str(tmp_path / "used")]):
        proc = subprocess.run(
            [sys.executable, "-m", "quantrac", "sta-conformance", *args],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        assert proc.returncode == 2, proc.stdout + proc.stderr
