"""Private file storage: print-job output holds buyers' names and tax IDs, so it is never served as
public media; the print centre's download view checks permissions and streams it. The storage
itself is shared by every app (`core.storage`)."""

from core.storage import PrivateStorage, private_storage

__all__ = ["PrivateStorage", "private_storage"]
