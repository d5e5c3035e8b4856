"""Load the journey's history for the data team: Kafka topics -> pseudonymised Parquet.

    from ap_export import export
    manifest = asyncio.run(export("127.0.0.1:9092", Path("export")))

or `make export OUT=export [SINCE=2026-09-01]` / `python -m ap_export --out export`.

Reads every journey topic except `journey.identity` (never read) from offset 0, or from a date on
the first run, validates each message with the contract's decoder (`ap_schemas.codec`), and writes
`<out>/event_type=<type>/month=<YYYY-MM>/part-<run>.parquet` with a manifest (`_manifest.json`:
counts, first and last offsets per partition, schema versions, the next offset of every Kafka
partition, rejected messages). A re-run starts at the manifest's offsets, so it appends only what
is new; files a crashed run left behind, never recorded in the manifest, are removed first.
"""

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from aiokafka import AIOKafkaConsumer, TopicPartition
from tqdm import tqdm

from .rows import COLUMNS, NEVER_READ, Rejected, Row, exported_topics, to_row, version_of

__all__ = ["Manifest", "export"]

TAIL_POLLS = 3
MANIFEST = "_manifest.json"  # "_": readers of the Parquet dataset skip it


@dataclass
class Manifest:
    """What has been exported so far; the offsets make a re-run append only what is new."""

    offsets: dict[str, dict[str, int]] = field(default_factory=dict)  # topic -> partition -> next
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<type>/<month>" -> ...
    schema_versions: dict[str, str] = field(default_factory=dict)  # type -> dataschema
    rejected: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, out: Path) -> "Manifest":
        path = out / MANIFEST
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})

    def save(self, out: Path) -> None:
        tmp = out / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, out / MANIFEST)  # atomic: the files and the offsets move together

    def files(self) -> set[str]:
        return {f for p in self.partitions.values() for f in p["files"]}

    @property
    def total(self) -> int:
        return sum(p["count"] for p in self.partitions.values())


def _prepare(out: Path) -> Manifest:
    """The manifest so far; Parquet files it does not list (a run that died) are removed."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(out)
    for orphan in {str(p.relative_to(out)) for p in out.rglob("*.parquet")} - manifest.files():
        (out / orphan).unlink()  # its offsets were never recorded: the run re-reads them
    return manifest


def _start(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


async def _start_offsets(
    consumer: AIOKafkaConsumer,
    parts: list[TopicPartition],
    manifest: Manifest,
    since: datetime | None,
    fresh: list[TopicPartition],
) -> dict[TopicPartition, int]:
    starts: dict[TopicPartition, int] = dict(await consumer.beginning_offsets(parts))
    if since is not None and fresh:
        ends = await consumer.end_offsets(fresh)
        at = await consumer.offsets_for_times({p: int(since.timestamp() * 1000) for p in fresh})
        for p in fresh:
            starts[p] = at[p].offset if at[p] is not None else ends[p]
    for p in parts:
        known = manifest.offsets.get(p.topic, {}).get(str(p.partition))
        if known is not None:
            starts[p] = max(known, starts[p])
    return starts


async def export(
    bootstrap_servers: str,
    out: Path,
    *,
    since: date | datetime | None = None,
    pseudonym_key: bytes | None = None,
    progress: bool = True,
) -> Manifest:
    """Append every new, valid event of the journey topics to Parquet under `out`."""
    manifest = _prepare(out)
    topic_names = exported_topics()
    assert not NEVER_READ & set(topic_names)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    rows: dict[tuple[str, str], list[Row]] = defaultdict(list)
    rejected: list[Rejected] = []
    since_at = _start(since)
    try:
        parts: list[TopicPartition] = []
        for topic in topic_names:
            ids = consumer.partitions_for_topic(topic)
            if not ids:
                await consumer._client.force_metadata_update()
                ids = consumer.partitions_for_topic(topic) or set()
            parts.extend(TopicPartition(topic, i) for i in sorted(ids))
        consumer.assign(parts)
        fresh = [p for p in parts if str(p.partition) not in manifest.offsets.get(p.topic, {})]
        starts = await _start_offsets(consumer, parts, manifest, since_at, fresh)
        # a broker's time index may point a little early: records before `since` are skipped
        not_before = {p: int(since_at.timestamp() * 1000) for p in fresh} if since_at else {}
        ends = await consumer.end_offsets(parts)
        for p in parts:
            consumer.seek(p, starts[p])
        bar = tqdm(
            total=sum(max(0, ends[p] - starts[p]) for p in parts),
            unit="msg",
            desc="export",
            disable=not progress,
        )
        # Read past the end offsets taken now until a partition is quiet: a broker's reported
        # end can lag the last batch it stored (embedded Tansu does), and stopping there would
        # leave the tail for a later run. Past the end, a busy partition gets TAIL_POLLS polls.
        nexts = dict(starts)
        tail = dict.fromkeys(parts, 0)
        todo = set(parts)
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    bar.update(1)
                    nexts[tp] = record.offset + 1
                    if record.timestamp < not_before.get(tp, 0):
                        continue
                    got = to_row(
                        tp.topic,
                        tp.partition,
                        record.offset,
                        record.key,
                        record.value,
                        pseudonym_key=pseudonym_key,
                    )
                    if isinstance(got, Rejected):
                        rejected.append(got)
                    else:
                        rows[got.partition_key].append(got)
            for tp in list(todo):
                nexts[tp] = max(nexts[tp], await consumer.position(tp))
                if nexts[tp] >= ends[tp]:
                    tail[tp] += 1
                    if tp not in batch or tail[tp] > TAIL_POLLS:
                        todo.discard(tp)
        bar.close()
    finally:
        await consumer.stop()
    _write(out, run, rows, manifest)
    for p in parts:
        known = manifest.offsets.get(p.topic, {}).get(str(p.partition), 0)
        manifest.offsets.setdefault(p.topic, {})[str(p.partition)] = max(nexts.get(p, 0), known)
    manifest.rejected.extend(r.__dict__ for r in rejected)
    manifest.runs.append(
        {
            "run": run,
            "since": since_at.isoformat() if since_at else None,
            "exported": sum(len(v) for v in rows.values()),
            "rejected": len(rejected),
        }
    )
    manifest.save(out)
    return manifest


def _write(out: Path, run: str, rows: dict[tuple[str, str], list[Row]], manifest: Manifest) -> None:
    for (event_type, month), batch in sorted(rows.items()):
        folder = Path(f"event_type={event_type}") / f"month={month}"
        (out / folder).mkdir(parents=True, exist_ok=True)
        name = str(folder / f"part-{run}.parquet")
        table = pa.Table.from_pylist([r.values for r in batch], schema=COLUMNS)
        pq.write_table(table, out / name)
        entry = manifest.partitions.setdefault(
            f"{event_type}/{month}",
            {
                "type": event_type,
                "month": month,
                "schema_version": version_of(event_type),
                "count": 0,
                "files": [],
                "offsets": {},
            },
        )
        entry["count"] += len(batch)
        entry["files"].append(name)
        for r in batch:
            tp = f"{r.values['topic']}:{r.values['partition']}"
            seen = entry["offsets"].setdefault(tp, {"first": r.values["offset"], "last": -1})
            seen["first"] = min(seen["first"], r.values["offset"])
            seen["last"] = max(seen["last"], r.values["offset"])
            manifest.schema_versions[event_type] = r.values["dataschema"]
