"""Receivers: the edges where data arrives — FTP server, folder watcher, MQTT subscriber — and
the worker that hands what they archived to the pipeline. They receive and archive; they never
parse (codecs/ and pipeline/ do)."""

from quantrac.receivers.accounts import (
    Authenticator,
    CredentialCache,
    FtpAccount,
    create_account,
    create_accounts,
    list_accounts,
    reset_password,
    set_active,
)
from quantrac.receivers.ftp import FtpReceiver
from quantrac.receivers.service import ReceiverService
from quantrac.receivers.settings import FtpSettings, IngestSettings, MqttSettings
from quantrac.receivers.watcher import FolderWatcher
from quantrac.receivers.worker import IngestWorker

__all__ = [
    "Authenticator",
    "CredentialCache",
    "FolderWatcher",
    "FtpAccount",
    "FtpReceiver",
    "FtpSettings",
    "IngestSettings",
    "IngestWorker",
    "MqttSettings",
    "ReceiverService",
    "create_account",
    "create_accounts",
    "list_accounts",
    "reset_password",
    "set_active",
]
