"""The shop's default cache: Django's file cache, with ``add`` and ``incr`` made atomic.

Django's file cache writes each entry atomically, but its ``add`` (check, then write) and
``incr`` (read, then write) are two steps, so two workers counting at once can both read 5
and both write 6. The counters that limit requests (``bungu.privacy.views.throttle``) and the
once-only flags need them atomic, as they are on Redis and in memory. Here both run under
one exclusive lock on a file beside the entries, shared by every process on the machine;
``incr`` also keeps the entry's expiry, as Redis does, where Django's would reset it.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks
from django.core.files.move import file_move_safe

# Not ending in the entries' suffix, so clear() and culling leave it alone.
_LOCK_NAME = "atomic.lock"


class FileCache(FileBasedCache):
    if TYPE_CHECKING:  # the parts of Django's file cache used here, which the stubs omit
        _dir: str

        def _createdir(self) -> None: ...
        def _key_to_file(self, key: Any, version: int | None = None) -> str: ...
        def _delete(self, fname: str) -> bool: ...

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        self._createdir()
        with (Path(self._dir) / _LOCK_NAME).open("ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        with self._exclusive():
            entry = Path(self._key_to_file(key, version))
            try:
                with entry.open("rb") as handle:
                    expiry = pickle.load(handle)  # noqa: S301 - the cache's own file  # nosec
                    value = pickle.loads(zlib.decompress(handle.read()))  # noqa: S301  # nosec
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            if expiry is not None and expiry < time.time():
                self._delete(str(entry))
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            self._replace(entry, expiry, new_value)
            return new_value

    def _replace(self, entry: Path, expiry: float | None, value: Any) -> None:
        """Write the entry with the expiry it had, in one rename, as ``set`` does."""
        fd, tmp_name = tempfile.mkstemp(dir=self._dir)
        renamed = False
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pickle.dumps(expiry, self.pickle_protocol))
                handle.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
            file_move_safe(tmp_name, str(entry), allow_overwrite=True)
            renamed = True
        finally:
            if not renamed:
                Path(tmp_name).unlink()
