"""Delivery guarantees: outbox survives a broker outage; consumers apply once; poison is parked."""

import asyncio
import uuid
from datetime import date

from ap_chassis.infra import free_port, start_tansu
from ap_chassis.kafka import create_topics
from ap_schemas import codec, topics

from tests.e2e.support.journeys import ACTOR, accepted, produce, referred
from tests.support.platform import RUN, build, read_topic, running


async def test_referral_is_accepted_while_the_broker_is_away_and_published_when_back(
    infra, helpers, tcp_proxy, wait
):
    broker_port, proxy_port = free_port(), free_port()
    bootstrap, broker = start_tansu(broker_port, advertised_port=proxy_port)
    proxy = tcp_proxy(broker_port, proxy_port)
    await proxy.start()
    try:
        await create_topics(bootstrap)
        app = build(
            "referral",
            infra,
            kafka_bootstrap_servers=bootstrap,
            database_name=f"ap_referral_{RUN}_outage",
            kafka_request_timeout_ms=1500,
        )
        async with running(app) as client:
            await proxy.cut()
            answer = await client.post(
                "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
            )
            assert answer.status_code == 201, answer.text
            pupil_id = answer.json()["pupil_id"]
            pool = app.state.runtime.pool
            await asyncio.sleep(2)  # the relay tries and fails meanwhile
            unsent = "SELECT count(*) FROM outbox WHERE key = $1 AND sent_at IS NULL"
            assert await pool.fetchval(unsent, pupil_id) == 2

            await proxy.start()
            records = await wait(
                lambda: read_topic(bootstrap, topics.REFERRALS, key=pupil_id), timeout=40
            )
            assert len(records) == 1
            await wait(lambda: _none_unsent(pool, pupil_id), timeout=20)
    finally:
        await proxy.cut()
        broker.terminate()


async def _none_unsent(pool, pupil_id):
    return await pool.fetchval(
        "SELECT count(*) = 0 FROM outbox WHERE key = $1 AND sent_at IS NULL", pupil_id
    )


async def test_same_event_delivered_twice_changes_the_read_model_once(
    services, infra, helpers, wait
):
    pupil_id, referral_id, urn = uuid.uuid4(), uuid.uuid4(), helpers.random_urn()
    event = referred(pupil_id, referral_id, urn)
    metrics = services.apps["reporting"].state.runtime.metrics
    before = (
        metrics.registry.get_sample_value("journey_events_duplicate_total", {"consumer": "journey"})
        or 0
    )
    # Same partition (same key): the decision is applied only after both copies were handled.
    await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(pupil_id),
        event,
        event,
        accepted(pupil_id, referral_id),
    )

    async def accepted_state():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=helpers.token())
        return r.status_code == 200 and r.json()["status"] == "accepted" and r.json()

    timeline = await wait(accepted_state)
    assert [e["type"] for e in timeline["events"]] == [
        "journey.pupil.referred.v1",
        "journey.referral.decided.v1",
    ]
    assert (
        metrics.registry.get_sample_value("journey_events_duplicate_total", {"consumer": "journey"})
        or before + 1 == 0
    )
    caseload = await services.reporting.get(
        "/v1/caseload", params={"school_urn": urn}, headers=helpers.token()
    )
    assert caseload.json()["total"] == 1


async def test_poison_message_is_dead_lettered_and_the_next_one_applied(
    services, infra, helpers, topic_reader, wait
):
    pupil_id, referral_id = uuid.uuid4(), uuid.uuid4()
    key = str(pupil_id)
    poison_offset, _ = await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        key,
        b'{"specversion": "1.0", "type": "journey.pupil.referred.v1"}',
        referred(pupil_id, referral_id, helpers.random_urn()),
    )

    async def applied():
        r = await services.reporting.get(f"/v1/pupils/{pupil_id}/timeline", headers=helpers.token())
        return r.status_code == 200

    await wait(applied)

    async def parked():
        for record in await topic_reader(topics.DEADLETTER, key=key):
            headers = {k: v.decode() for k, v in record.headers}
            if headers["dlq_original_offset"] == str(poison_offset):
                return headers
        return None

    headers = await wait(parked)
    assert headers["dlq_original_topic"] == topics.REFERRALS
    assert "not a CloudEvents envelope" in headers["dlq_reason"]
    assert headers["dlq_value_withheld"] == "false"


async def test_poison_identity_event_is_parked_without_its_personal_data(
    services, infra, topic_reader, wait
):
    key = str(uuid.uuid4())
    secret_name = "Zebedee-" + key[:8]
    (offset,) = await produce(
        infra.kafka_bootstrap_servers,
        topics.IDENTITY,
        key,
        f'{{"specversion": "1.0", "forename": "{secret_name}"}}'.encode(),
    )

    async def parked():
        for record in await topic_reader(topics.DEADLETTER):
            headers = {k: v.decode() for k, v in record.headers}
            if headers.get("dlq_original_topic") == topics.IDENTITY and headers[
                "dlq_original_offset"
            ] == str(offset):
                return record
        return None

    record = await wait(parked)
    assert not record.value  # withheld: the original stays on journey.identity only
    assert secret_name not in str(record.headers)


async def test_event_breaking_a_rule_is_dead_lettered_and_the_consumer_moves_on(
    services, infra, topic_reader, wait
):
    """Outcomes cannot end a placement it never heard of: parked with the reason; next applied."""
    from ap_schemas.events import PlacementEndedV1

    pupil_id = uuid.uuid4()
    orphan = PlacementEndedV1(
        occurred_at=date(2026, 10, 1),
        pupil_id=pupil_id,
        placement_id=uuid.uuid4(),
        end_date=date(2026, 10, 1),
        reason="breakdown",
    )
    (offset,) = await produce(
        infra.kafka_bootstrap_servers,
        topics.PLACEMENTS,
        str(pupil_id),
        codec.encode(codec.build(orphan, source="placement", actor=ACTOR, correlation_id="t")),
    )

    async def parked():
        for record in await topic_reader(topics.DEADLETTER, key=str(pupil_id)):
            headers = {k: v.decode() for k, v in record.headers}
            if headers["dlq_consumer"] == "placements" and headers["dlq_original_offset"] == str(
                offset
            ):
                return headers
        return None

    headers = await wait(parked)
    assert headers["dlq_original_topic"] == topics.PLACEMENTS
    assert "end of unknown placement" in headers["dlq_reason"]
    # The consumer moved on: a later referral of another pupil still reaches outcomes.
    other, referral = uuid.uuid4(), uuid.uuid4()
    await produce(
        infra.kafka_bootstrap_servers,
        topics.REFERRALS,
        str(other),
        referred(other, referral, "222222"),
    )
    pool = services.apps["outcomes"].state.runtime.pool
    await wait(
        lambda: pool.fetchval("SELECT count(*) = 1 FROM known_pupils WHERE pupil_id = $1", other)
    )
