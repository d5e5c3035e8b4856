"""Token buckets of the rate limits, on a fixed clock. Pure."""

from ap_chassis.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_asks_to_wait_until_a_token_is_back():
    clock = Clock()
    bucket = TokenBucket(per_minute=6, burst=3, clock=clock)  # one token every 10 s
    assert [bucket.spend("a") for _ in range(3)] == [None, None, None]
    assert bucket.spend("a") == 10
    assert bucket.retry_after("a") == 10
    assert bucket.spend("b") is None  # another key has its own bucket
    clock.now += 4
    assert bucket.spend("a") == 6
    clock.now += 6
    assert bucket.spend("a") is None
    assert bucket.spend("a") == 10


def test_a_bucket_refills_up_to_its_burst_only():
    clock = Clock()
    bucket = TokenBucket(per_minute=60, burst=2, clock=clock)
    clock.now += 3600
    assert [bucket.spend("a") for _ in range(3)] == [None, None, 1]


def test_a_zero_limit_is_off():
    bucket = TokenBucket(per_minute=0, burst=0)
    assert all(bucket.spend("a") is None for _ in range(1000))
    assert bucket.retry_after("a") is None
