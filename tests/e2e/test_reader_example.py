"""The README reader example runs: aiokafka + the CloudEvents SDK, deduped, ordered per pupil."""

import asyncio
import importlib.util
import json
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer
from ap_chassis.kafka import create_topics
from ap_schemas import codec, topics
from ap_schemas.envelope import Actor
from ap_schemas.events import BY_TYPE
from ap_schemas.export import HERE

READER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reader.py"
STEPS = ("journey.pupil.referred.v1", "journey.referral.decided.v1", "journey.pupil.placed.v1")


def load_reader():
    spec = importlib.util.spec_from_file_location("reader_example", READER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def journey(pupil: uuid.UUID):
    """Three events of one pupil, in the order they happened."""
    actor = Actor(system="reader-test", user_id="u")
    for step in STEPS:
        _, data = codec.decode((HERE / "examples" / f"{step}.json").read_bytes())
        data = data.model_copy(update={"pupil_id": pupil})
        owner = topics.OWNERS[BY_TYPE[step].topic]
        yield codec.build(data, source=owner, actor=actor, correlation_id="reader")


async def test_reader_example_dedupes_and_keeps_each_pupils_order(infra):
    bootstrap = infra.kafka_bootstrap_servers
    topic = f"reader-example-{secrets.token_hex(3)}"
    await create_topics(bootstrap, [topic], partitions=3)
    pupils = [uuid.uuid4() for _ in range(4)]
    events = [e for p in pupils for e in journey(p)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in [*events, events[0], events[4]]:  # two redelivered duplicates
            await producer.send_and_wait(topic, codec.encode(event), key=event.subject.encode())
        await producer.send_and_wait(topic, b"not an event", key=b"x")
    finally:
        await producer.stop()

    got = [e async for e in load_reader().read(bootstrap, topic)]
    ids = [e.get_id() for e in got]
    assert sorted(ids) == sorted(str(e.id) for e in events), "each event once"
    for pupil in pupils:
        order = [e.get_type() for e in got if e.get_subject() == str(pupil)]
        assert order == list(STEPS), "a pupil's events arrive in the order written"

    # and as a script, the way the README shows it
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(READER), topic, "--bootstrap", bootstrap],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(x) for x in run.stdout.splitlines() if x.startswith("{")]
    assert sorted(x["id"] for x in lines) == sorted(ids)
    assert "skipped offset" in run.stdout
