"""Files in the user's cache folder that a later run may trust: a fixed prefix (what made the file),
a digest of the body, the body; written whole and renamed into place, so a reader sees the old file
or the new one, never half of one. A damaged or foreign file reads as absent, as does any I/O error:
callers then do the work again (a cache is never needed to answer)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_DIGEST_SIZE = 32


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest()


def read_sealed(path: Path, prefix: bytes) -> bytes | None:
    """The body of a file written by `write_sealed` with the same prefix, or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = data[len(prefix) : len(prefix) + _DIGEST_SIZE]
    body = data[len(prefix) + _DIGEST_SIZE :]
    if not data.startswith(prefix) or _digest(body) != digest:
        return None
    return body


def write_sealed(path: Path, prefix: bytes, body: bytes) -> bool:
    """Write prefix, digest and body atomically; False when the folder cannot be written (a read-only
    home, a full disk)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(prefix + _digest(body) + body)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True
