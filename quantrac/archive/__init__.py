"""The raw archive: received bytes stored before parsing, hash-chained, with quarantine and
replay."""

from quantrac.archive.archive import Archive, Received, VerifyReport

__all__ = ["Archive", "Received", "VerifyReport"]
