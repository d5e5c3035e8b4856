"""Real traffic matches asyncapi.json: keys, headers of events and of dead letters."""

import json
import uuid

from aiokafka import AIOKafkaProducer
from ap_schemas import topics
from ap_schemas.export import HERE
from jsonschema import Draft202012Validator

DOC = json.loads((HERE / "asyncapi.json").read_text())


def message(name: str) -> dict:
    return DOC["components"]["messages"][name]


def valid(schema: dict, value: object) -> list[str]:
    checker = Draft202012Validator.FORMAT_CHECKER
    return [
        e.message for e in Draft202012Validator(schema, format_checker=checker).iter_errors(value)
    ]


async def test_published_events_match_their_asyncapi_message(services, helpers, topic_reader, wait):
    answer = await services.referral.post(
        "/v1/referrals", json=helpers.referral_body(), headers=helpers.token()
    )
    assert answer.status_code == 201, answer.text
    pupil_id = answer.json()["pupil_id"]
    (record,) = await wait(lambda: topic_reader(topics.REFERRALS, key=pupil_id))
    headers = {k: v.decode() for k, v in record.headers}
    spec = message(headers["ce_type"])
    refs = DOC["channels"][topics.REFERRALS]["subscribe"]["message"]["oneOf"]
    assert {"$ref": f"#/components/messages/{headers['ce_type']}"} in refs
    assert valid(spec["headers"], headers) == []
    assert set(headers) <= set(spec["headers"]["properties"]), "every header is documented"
    assert valid(spec["bindings"]["kafka"]["key"], record.key.decode()) == []


async def test_dead_letters_carry_the_documented_headers(services, infra, topic_reader, wait):
    key = str(uuid.uuid4())
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topics.PLACEMENTS, b"not an event", key=key.encode())
    finally:
        await producer.stop()
    letters = await wait(lambda: topic_reader(topics.DEADLETTER, key=key))
    headers = {k: v.decode() for k, v in letters[0].headers}
    spec = message("deadletter")
    assert valid(spec["headers"], headers) == []
    assert set(headers) <= set(spec["headers"]["properties"]), "every header is documented"
    assert headers["dlq_original_topic"] == topics.PLACEMENTS
