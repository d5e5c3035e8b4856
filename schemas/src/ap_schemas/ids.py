"""Time-ordered UUIDs (version 7) for event ids.

Events of one pupil that share a business date are ordered by `event_id`; a time-ordered id
makes that order the order they were recorded in
(docs/architecture.md#ordering-and-order-independent-projections).
"""

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def new_event_id() -> uuid.UUID:
    """A UUIDv7: 48-bit millisecond time, then randomness; strictly increasing in this process."""
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        # 12 bits of sub-millisecond sequence keep ids from one process strictly increasing.
        candidate = ms << 12
        _last = max(candidate, _last + 1)
        stamp = _last
    ms, seq = stamp >> 12, stamp & 0xFFF
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand
    return uuid.UUID(int=value)
