"""`make export`: the journey topics, validated and pseudonymised, as Parquet; re-runs append."""

import asyncio
import json
import uuid
from collections import Counter
from datetime import UTC, datetime

import pyarrow.dataset as ds
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from ap_export import MANIFEST, Manifest, export
from ap_export.rows import NEVER_READ, exported_topics
from ap_schemas import codec, topics
from ap_schemas.envelope import CONTENT_TYPE, Actor
from ap_schemas.events import BY_TYPE, SPECS, ProviderEventData
from ap_schemas.export import HERE

ACTOR = Actor(system="export-test", user_id="officer@example.org")


def fresh(event_type: str):
    """A new event of the type of a golden example, about a new pupil (or provider)."""
    _, data = codec.decode((HERE / "examples" / f"{event_type}.json").read_bytes())
    field = "provider_id" if isinstance(data, ProviderEventData) else "pupil_id"
    data = data.model_copy(update={field: uuid.uuid4()})
    owner = topics.OWNERS[BY_TYPE[event_type].topic]  # the services refuse any other source
    return codec.build(data, source=owner, actor=ACTOR, correlation_id="export-test")


async def publish(bootstrap: str, events) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                BY_TYPE[event.type].topic,
                codec.encode(event),
                key=event.subject.encode(),
                headers=[("ce_type", event.type.encode()), ("content-type", CONTENT_TYPE.encode())],
            )
    finally:
        await producer.stop()


def table(out):
    return ds.dataset(out, format="parquet", partitioning="hive").to_table()


async def on_topics(bootstrap: str, before: dict, upto: dict) -> dict:
    """Every record of the exported topics between two manifests' offsets, read with a plain
    consumer partition by partition up to the offset the manifest says it reached:
    where -> CloudEvents type (None when not even JSON with a type)."""
    found: dict = {}
    ranges = {
        TopicPartition(topic, int(part)): (before.get(topic, {}).get(part, 0), end)
        for topic in exported_topics()
        for part, end in upto[topic].items()
    }
    ranges = {tp: r for tp, r in ranges.items() if r[0] < r[1]}
    if not ranges:
        return found
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        while [tp for tp, (_, end) in ranges.items() if await consumer.position(tp) < end]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    if r.offset < ranges[tp][1]:
                        try:
                            found[(tp.topic, r.partition, r.offset)] = json.loads(r.value)["type"]
                        except (TypeError, ValueError, KeyError, RecursionError):
                            found[(tp.topic, r.partition, r.offset)] = None
    finally:
        await consumer.stop()
    return found


async def test_export_reads_back_counts_match_topics_and_rerun_appends_only_new(infra, tmp_path):
    bootstrap = infra.kafka_bootstrap_servers
    cohort = [fresh(s.type) for s in SPECS for _ in range(2)]
    await publish(bootstrap, cohort)
    out = tmp_path / "export"

    first = await export(bootstrap, out, pseudonym_key=b"k", progress=False)
    rows = table(out)
    assert set(first.offsets) == set(exported_topics())
    assert not NEVER_READ & set(first.offsets), "identity is never read"

    # read back with pyarrow and count against the topics, type by type
    on_topic = await on_topics(bootstrap, {}, first.offsets)
    rejected = {(r["topic"], r["partition"], r["offset"]) for r in first.rejected}
    assert rows.num_rows + len(rejected) == len(on_topic) == first.total + len(rejected)
    assert rejected <= set(on_topic) and all(r["reason"] for r in first.rejected)
    valid = Counter(t for where, t in on_topic.items() if where not in rejected)
    assert Counter(rows.column("type").to_pylist()) == valid
    ids = Counter(rows.column("event_id").to_pylist())
    for event in cohort:
        expected = 0 if event.type.startswith("journey.pupil.identity") else 1
        assert ids[str(event.id)] == expected, event.type
    assert "officer@example.org" not in json.dumps(rows.to_pylist(), default=str)
    for key, part in first.partitions.items():
        assert part["count"] == sum(
            1 for t, m in zip(
                rows.column("type").to_pylist(), rows.column("time").to_pylist(), strict=True
            ) if (t, f"{m:%Y-%m}") == (part["type"], part["month"])
        ), key  # fmt: skip
        assert all(o["first"] <= o["last"] for o in part["offsets"].values())
    assert first.schema_versions["journey.pupil.placed.v1"].endswith("pupil.placed.v1.json")

    # a re-run appends exactly what reached the topics since, nothing twice
    second = await export(bootstrap, out, progress=False)
    new_on_topic = await on_topics(bootstrap, first.offsets, second.offsets)
    added = second.total - first.total + len(second.rejected) - len(first.rejected)
    assert added == len(new_on_topic)
    rows = table(out)
    columns = (rows.column(c).to_pylist() for c in ("topic", "partition", "offset"))
    where = list(zip(*columns, strict=True))
    assert len(where) == len(set(where)), "no message exported twice"

    # a new event after that: appended once; and --since starts a fresh export at a time
    since = datetime.now(UTC)
    await asyncio.sleep(0.01)
    late = fresh("journey.placement.ended.v1")
    await publish(bootstrap, [late])
    await export(bootstrap, out, progress=False)
    assert Counter(table(out).column("event_id").to_pylist())[str(late.id)] == 1
    assert json.loads((out / MANIFEST).read_text())["runs"][-1]["exported"] >= 1

    recent = tmp_path / "since"
    third = await export(bootstrap, recent, since=since, progress=False)
    got = set(table(recent).column("event_id").to_pylist())
    assert str(late.id) in got
    assert not {str(e.id) for e in cohort} & got
    assert Manifest.load(recent).total == third.total


async def test_files_of_a_run_that_never_finished_are_replaced(infra, tmp_path):
    out = tmp_path / "crashed"
    (out / "event_type=x" / "month=2026-01").mkdir(parents=True)
    orphan = out / "event_type=x" / "month=2026-01" / "part-old.parquet"
    orphan.write_bytes(b"half written")
    manifest = await export(infra.kafka_bootstrap_servers, out, progress=False)
    assert not orphan.exists()
    assert topics.IDENTITY not in manifest.offsets


def test_the_command_line_entry_point_exports(infra, tmp_path, capsys):
    from ap_export.__main__ import main

    event = fresh("journey.pupil.referred.v1")
    asyncio.run(publish(infra.kafka_bootstrap_servers, [event]))
    out = tmp_path / "cli"
    assert main(["--out", str(out), "--bootstrap", infra.kafka_bootstrap_servers]) == 0
    manifest = Manifest.load(out)
    assert f"({manifest.total} in all)" in capsys.readouterr().out
    assert manifest.total == table(out).num_rows > 0
    assert str(event.id) in table(out).column("event_id").to_pylist()
