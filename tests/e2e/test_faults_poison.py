"""Poison of every kind is parked with its reason and the partition moves on."""

import json
import uuid
from datetime import date

from ap_chassis.consumer import IdempotentConsumer
from ap_chassis.metrics import Metrics
from ap_schemas import codec, topics
from ap_schemas.events import ProviderRegisteredV1, PupilIdentityRecordedV1

from tests.e2e.support.journeys import ACTOR, referred


async def produce(bootstrap: str, topic: str, key: str, *values: bytes) -> list[tuple[int, int]]:
    """Produce in order; return each record's (partition, offset)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        out = []
        for value in values:
            meta = await producer.send_and_wait(topic, value, key=key.encode())
            out.append((meta.partition, meta.offset))
        return out
    finally:
        await producer.stop()


def identity(pupil_id: uuid.UUID, upn: str, secret: str) -> bytes:
    data = PupilIdentityRecordedV1(
        occurred_at=date(2026, 9, 7),
        pupil_id=pupil_id,
        upn=upn,
        forename=secret,
        surname="Example",
        date_of_birth=date(2012, 3, 4),
        sex="U",
        sen_provision="N",
    )
    return codec.encode(codec.build(data, source="referral", actor=ACTOR, correlation_id="t"))


async def parked(topic_reader, topic: str, at: tuple[int, int], consumer: str | None = None):
    found = []
    for record in await topic_reader(topics.DEADLETTER):
        headers = {k: v.decode() for k, v in record.headers}
        where = (headers.get("dlq_original_partition"), headers.get("dlq_original_offset"))
        same = headers.get("dlq_original_topic") == topic and where == (str(at[0]), str(at[1]))
        if same and consumer in (None, headers["dlq_consumer"]):
            found.append((headers, record))
    return found


async def test_hostile_values_are_parked_and_the_partition_moves_on(
    services, infra, helpers, topic_reader, wait
):
    pupil_id = uuid.uuid4()
    key = str(pupil_id)
    nested = b"[" * 100_000 + b"]" * 100_000
    deep = b'{"a":' * 40 + b"1" + b"}" * 40
    huge = b'{"pad": "' + b"x" * (codec.MAX_EVENT_BYTES + 10) + b'"}'
    forged = referred(uuid.uuid4(), uuid.uuid4(), helpers.random_urn()).replace(
        b'"source":"referral"', b'"source":"placement"'
    )
    offsets = await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        key,
        nested,
        deep,
        huge,
        forged,
        referred(pupil_id, uuid.uuid4(), helpers.random_urn()),
    )

    async def applied():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=helpers.token())
        return r.status_code == 200

    await wait(applied, timeout=40)
    reasons = {}
    for offset, expected in zip(
        offsets, ("RecursionError", "nested deeper", "larger than", "wrong source"), strict=False
    ):
        found = await wait(lambda o=offset: parked(topic_reader, topics.REFERRALS, o, "journey"))
        headers, _ = found[0]
        assert expected in headers["dlq_reason"], headers
        assert headers["dlq_service"] == "reporting"
        reasons[expected] = headers["dlq_reason"]
    # Every consumer of the topic parks it and names itself: placement and outcomes too.
    services_seen = await wait(
        lambda: _services_parking(topic_reader, offsets[3], {"reporting", "placement", "outcomes"})
    )
    assert services_seen


async def test_a_header_that_is_not_utf8_does_not_block_the_partition(
    services, infra, helpers, wait
):
    from aiokafka import AIOKafkaProducer

    pupil_id = uuid.uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.REFERRALS,
            referred(pupil_id, uuid.uuid4(), helpers.random_urn()),
            key=str(pupil_id).encode(),
            headers=[("content-type", b"\xff\xfe"), ("traceparent", b"\x80")],
        )
    finally:
        await producer.stop()

    async def applied():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=helpers.token())
        return r.status_code == 200

    await wait(applied)


async def _services_parking(topic_reader, offset, wanted):
    got = {h["dlq_service"] for h, _ in await parked(topic_reader, topics.REFERRALS, offset)}
    return got >= wanted


async def test_identity_data_on_a_general_topic_is_parked_withheld_and_never_served(
    services, infra, helpers, topic_reader, wait
):
    pupil_id = uuid.uuid4()
    secret = "Zebedee" + uuid.uuid4().hex[:6]
    (offset, _) = await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(pupil_id),
        identity(pupil_id, helpers.random_upn(), secret),
        referred(pupil_id, uuid.uuid4(), helpers.random_urn()),
    )
    found = await wait(lambda: _all_parked(topic_reader, topics.REFERRALS, offset, 3), timeout=30)
    for headers, record in found:
        assert headers["dlq_reason"].startswith("wrong topic")
        assert headers["dlq_value_withheld"] == "true"
        assert not record.value and secret not in str(record.headers)

    async def timeline_of_the_referral():  # parked first, the referral after it applied
        answer = await services.reporting.get(
            f"/v1/pupils/{pupil_id}/timeline", headers=helpers.token()
        )
        return answer if answer.status_code == 200 else None

    timeline = await wait(timeline_of_the_referral, timeout=30)
    assert secret not in timeline.text
    assert all(e["type"] != "journey.pupil.identity.recorded.v1" for e in timeline.json()["events"])


async def _all_parked(topic_reader, topic, offset, n):
    found = await parked(topic_reader, topic, offset)
    return found if len(found) >= n else None


async def test_a_provider_event_on_the_identity_topic_is_parked_not_looped(
    services, infra, topic_reader, wait
):
    data = json.loads(_example_data("journey.provider.registered.v1"))
    provider = ProviderRegisteredV1.model_validate({**data, "provider_id": str(uuid.uuid4())})
    raw = codec.encode(codec.build(provider, source="placement", actor=ACTOR, correlation_id="t"))
    (offset,) = await produce(
        infra.kafka_bootstrap_servers, topics.IDENTITY, str(provider.provider_id), raw
    )
    found = await wait(lambda: parked(topic_reader, topics.IDENTITY, offset, "identity"))
    headers, record = found[0]
    assert headers["dlq_reason"].startswith("wrong topic")
    assert headers["dlq_service"] == "reporting"
    assert not record.value  # identity topic: withheld


def _example_data(type_: str) -> str:
    from pathlib import Path

    path = Path(codec.__file__).parent / "examples" / f"{type_}.json"
    return json.dumps(json.loads(path.read_text())["data"])


async def test_an_unclassified_error_in_apply_is_retried_then_parked(
    services, infra, helpers, topic_reader, wait
):
    runtime = services.apps["reporting"].state.runtime
    calls = []

    async def broken(conn, envelope, data):
        calls.append(envelope.id)
        raise ZeroDivisionError("a bug")

    consumer = IdempotentConsumer(
        name=f"broken-{uuid.uuid4().hex[:6]}",
        pool=runtime.pool,
        broker=runtime.broker,
        apply=broken,
        metrics=Metrics(),
        max_attempts=3,
        backoff_seconds=0.01,
        service="reporting",
    )
    pupil_id = uuid.uuid4()
    (offset,) = await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(pupil_id),
        referred(pupil_id, uuid.uuid4(), helpers.random_urn()),
    )
    (record,) = [
        r
        for r in await topic_reader(topics.REFERRALS, key=str(pupil_id))
        if (r.partition, r.offset) == offset
    ]
    await consumer.process(record)  # returns: parked, not raised for a redelivery
    assert len(calls) == 3
    found = await wait(lambda: parked(topic_reader, topics.REFERRALS, offset, consumer.name))
    headers, _ = found[0]
    assert "unclassified error after 3 attempts (ZeroDivisionError)" in headers["dlq_reason"]
