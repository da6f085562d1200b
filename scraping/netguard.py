"""The SSRF guard lives in :mod:`sentimatrix.netguard`, where accounts and analysis reach it
too; the error keeps this import path for the collector tests that name it from here."""

from sentimatrix.netguard import BlockedAddressError

__all__ = ["BlockedAddressError"]
