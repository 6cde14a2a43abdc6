"""Simulated automatic stations: realistic Circular 10/2021 files sent through real clients
(ftplib to the FTP server, paho to the broker), for the demo, load tests and benchmarks."""

from quantrac.simulator.model import (
    PROFILES,
    Delivery,
    SimStation,
    cycle_times,
    make_stations,
    plan,
    readings,
    tt10_file,
)
from quantrac.simulator.provision import ensure_accounts, ensure_stations
from quantrac.simulator.send import FtpSender, MqttSender, SendReport, send_deliveries

__all__ = [
    "PROFILES",
    "Delivery",
    "FtpSender",
    "MqttSender",
    "SendReport",
    "SimStation",
    "cycle_times",
    "ensure_accounts",
    "ensure_stations",
    "make_stations",
    "plan",
    "readings",
    "send_deliveries",
    "tt10_file",
]
