"""Cached pages kept in each app process, served while a shared content generation says
they are current.

Pages are kept in the process that rendered or fetched them (``LocalPages``, bounded in bytes
by ``NEWSROOM_LOCAL_PAGES_MB``): a hit is a dictionary lookup, with no round trip and nothing
to unpickle. What every process must share is the content generation, and how depends on the
cache:

- **Without Redis** (the default, one host), ``FileGeneration`` keeps the number in a small
  file (``NEWSROOM_GENERATION_FILE``) that every app process of the host reads on each
  request (a ``pread`` under a shared lock) and a publish-relevant save raises under an
  exclusive one. So a publish handled by one gunicorn worker is seen by the next request to
  any other, at once, which a generation in local memory (one per process) could not do.
- **With Redis** (several app servers), ``SharedGeneration`` raises the number in Redis and
  announces the new value on a pub/sub channel in one step (a Lua script, so no bump goes
  unannounced), and likewise when a lost number is set afresh. ``GenerationWatch`` keeps one
  subscribed connection per process; every request first reads whatever has arrived on it
  without waiting, so a publish on any app server is seen by the next request that starts
  after the publish returned. On every new subscription, once Redis confirms it, the number
  is read directly, so nothing published before is missed. The watch vouches for its number
  only while it has heard from Redis on that connection in the last ``TRUST_SECONDS`` (it
  sends a PING every ``PING_SECONDS`` while requests come); otherwise (Redis down or
  restarted, the connection lost, a new or forked process, a quiet spell) it returns
  ``None`` and the middleware reads the number from Redis: slower, never stale. Pages also
  go to Redis, so another server fetches a page once instead of rendering it.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import struct
import threading
import time
from collections import OrderedDict
from pathlib import Path

logger = logging.getLogger(__name__)

PING_SECONDS = 1.0
TRUST_SECONDS = 3.0
RECONNECT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 0.5

# Raise the generation and announce it. GET returns the number as Redis keeps it (a string):
# a Lua number is a double and would round a nanosecond timestamp.
BUMP_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('INCR', KEYS[1])
else
    redis.call('SET', KEYS[1], ARGV[1])
end
local generation = redis.call('GET', KEYS[1])
redis.call('PUBLISH', ARGV[2], generation)
return generation
"""
# Set a lost generation afresh (announcing it) or return the one there.
ENSURE_SCRIPT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
    redis.call('PUBLISH', ARGV[2], ARGV[1])
end
return redis.call('GET', KEYS[1])
"""


def is_redis(backend) -> bool:
    from django.core.cache.backends.redis import RedisCache

    return isinstance(backend, RedisCache)


class SharedGeneration:
    """The content generation in Redis, changed and announced in one step."""

    def __init__(self, backend, key: str):
        self.key = backend.make_and_validate_key(key)
        # Django's Redis backend gives no public handle on its client; the write client is
        # the primary, where a publish must go.
        client_factory = backend._cache
        self.client = client_factory.get_client(self.key, write=True)
        self.url = client_factory._servers[0]
        self.pool_options = dict(client_factory._pool_options)
        # Pub/sub channels are not per database: the database number keeps two sites that
        # share a server (and a key prefix) apart.
        database = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{database}:{self.key}"
        self._bump = self.client.register_script(BUMP_SCRIPT)
        self._ensure = self.client.register_script(ENSURE_SCRIPT)

    def bump(self, fresh: int) -> int:
        return int(self._bump(keys=[self.key], args=[fresh, self.channel]))

    def ensure(self, fresh: int) -> int:
        return int(self._ensure(keys=[self.key], args=[fresh, self.channel]))

    def read(self) -> int | None:
        value = self.client.get(self.key)
        return None if value is None else int(value)


class FileGeneration:
    """The content generation of one host's app processes: eight bytes in a file."""

    FORMAT = struct.Struct("<q")

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._opened: tuple[int, int] | None = None  # (pid, inode)

    def read(self) -> int:
        with self._lock:
            fd = self._current()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                return self._value(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def bump(self, fresh: int) -> int:
        """One more than the number in the file (``fresh`` is Redis' need: a file that is
        lost starts again at the clock's nanoseconds when it is made anew)."""
        with self._lock:
            fd = self._current()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                generation = self._value(fd) + 1
                os.pwrite(fd, self.FORMAT.pack(generation), 0)
                return generation
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def ensure(self, fresh: int) -> int:
        return self.read()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._opened and self._opened[0] == os.getpid():
                os.close(self._fd)
            self._fd = self._opened = None

    def _value(self, fd: int) -> int:
        return self.FORMAT.unpack(os.pread(fd, self.FORMAT.size, 0))[0]

    def _current(self) -> int:
        """The open file, opened again in a forked process (a lock is per open file, and
        the parent's would not exclude the child) or when the file was removed or replaced
        (a new one starts at the clock's nanoseconds: above every number used before)."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = None
        if self._fd is None or self._opened != (os.getpid(), inode):
            self._open()
        return self._fd

    def _open(self) -> None:
        if self._fd is not None and self._opened and self._opened[0] == os.getpid():
            os.close(self._fd)
        self._fd = self._opened = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Readable and writable by whoever the umask allows: gunicorn and manage.py alike.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size < self.FORMAT.size:
                os.pwrite(fd, self.FORMAT.pack(time.time_ns()), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._fd, self._opened = fd, (os.getpid(), os.fstat(fd).st_ino)


class GenerationWatch:
    """One process's subscription to the generation's channel."""

    def __init__(self, shared: SharedGeneration):
        self.shared = shared
        self._lock = threading.Lock()
        self._connection = None
        self._pid = None
        self._generation: int | None = None
        self._heard = -math.inf
        self._pinged = -math.inf
        self._retry_at = -math.inf

    def generation(self) -> int | None:
        """The current generation, or ``None`` when this process cannot vouch for it."""
        import redis

        with self._lock:
            try:
                return self._poll(time.monotonic())
            except (redis.RedisError, OSError, ValueError):
                logger.warning(
                    "Generation watch lost; reading the generation directly.", exc_info=True
                )
                self._drop()
                return None

    def saw(self, generation: int) -> None:
        """This process raised the number itself: no need to wait for the announcement."""
        with self._lock:
            if self._generation is not None:
                self._generation = max(self._generation, generation)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _poll(self, now: float) -> int | None:
        if self._connection is None or self._pid != os.getpid():
            # A forked worker must not read its parent's socket: it subscribes on its own.
            self._connection = None
            if now >= self._retry_at:
                self._subscribe(now)
            return None
        connection = self._connection
        while connection.can_read(timeout=0):
            # push_request: under RESP3 a message is a push, returned rather than skipped.
            self._take(connection.read_response(push_request=True), now)
        if now - self._pinged >= PING_SECONDS:
            connection.send_command("PING")
            self._pinged = now
        if self._generation is None or now - self._heard > TRUST_SECONDS:
            return None
        return self._generation

    def _subscribe(self, now: float) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._retry_at = now + RECONNECT_SECONDS
        self._generation, self._heard, self._pinged = None, -math.inf, now
        pool = redis.ConnectionPool.from_url(
            self.shared.url,
            **{
                **self.shared.pool_options,
                "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": CONNECT_TIMEOUT_SECONDS,
                # Named, so an operator can tell these apart in CLIENT LIST.
                "client_name": f"newsroom-watch-{os.getpid()}",
                # Fail at once, never sleep through retries inside a request.
                "retry": Retry(NoBackoff(), 0),
            },
        )
        connection = pool.make_connection()
        connection.connect()
        connection.send_command("SUBSCRIBE", self.shared.channel)
        self._connection, self._pid = connection, os.getpid()

    def _take(self, reply, now: float) -> None:
        # A message, a (un)subscribe confirmation, or a PING's answer (any of them tells
        # that the connection is alive). RESP2 answers PING with a list, RESP3 with PONG.
        kind = reply[0] if isinstance(reply, list) else b"pong"
        if kind == b"subscribe":
            # From here on every change arrives as a message; read what was there before.
            current = self.shared.read()
            if current is None:
                current = self.shared.ensure(time.time_ns())
            self._generation = max(self._generation or 0, current)
        elif kind == b"message" and self._generation is not None:
            self._generation = max(self._generation, int(reply[2]))
        self._heard = now

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._generation, self._heard = None, -math.inf
        if connection is not None:
            try:
                connection.disconnect()
            except Exception:
                logger.debug("Closing the generation watch failed.", exc_info=True)


class LocalPages:
    """Frozen responses kept in this process, least recently used dropped past a byte bound."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[dict, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, generation: int) -> dict | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            entry = found[0]
            if entry["generation"] != generation or entry["expires"] <= time.time():
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        if "expires" not in entry:
            return
        size = len(entry["content"]) + sum(len(n) + len(v) for n, v in entry["headers"]) + 200
        if size > self.max_bytes:
            return
        with self._lock:
            self._remove(key)
            self._entries[key] = (entry, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._remove(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _remove(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= found[1]


class NearCache:
    """What one process keeps: how the generation is shared, and its own copies of pages."""

    def __init__(self, backend, key: str, max_bytes: int, generation_file: str | os.PathLike):
        if is_redis(backend):
            self.shared = SharedGeneration(backend, key)
            self.watch = GenerationWatch(self.shared) if max_bytes > 0 else None
        else:
            self.shared = FileGeneration(generation_file)
            self.watch = None
        self.pages = LocalPages(max_bytes) if max_bytes > 0 else None
        # Pages go to the cache too when other servers can use them (Redis), or when this
        # process keeps none itself.
        self.pages_in_cache = self.watch is not None or self.pages is None

    def generation(self) -> int | None:
        """The current generation without a round trip, or ``None`` (read it from Redis)."""
        if isinstance(self.shared, FileGeneration):
            return self.shared.read()
        return self.watch.generation() if self.watch is not None else None

    def close(self) -> None:
        if self.watch is not None:
            self.watch.close()
        if isinstance(self.shared, FileGeneration):
            self.shared.close()
