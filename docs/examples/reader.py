"""Read a journey topic the way the data team would, with nothing from this repository.

Plain aiokafka, the CloudEvents SDK's Kafka binding (structured mode), deduplication by event id:

    python docs/examples/reader.py journey.placements --bootstrap 127.0.0.1:9092

Delivery is at least once, so the same event (same `id`) can arrive twice: skip ids already
seen (here a set; in production, the table your results go to, keyed by event id, written in the
same transaction). Ordering holds per Kafka key only: every event of one pupil has the key
`pupil_id`, so it lands on one partition and is read in the order it was written; events of
different pupils, partitions or topics interleave in no guaranteed order.
"""

import argparse
import asyncio
import json
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka


async def read(bootstrap: str, topic: str) -> AsyncIterator[BaseCloudEvent]:
    """Every distinct event on `topic` from the beginning, until caught up with its end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    seen: set[str] = set()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    message = kafka.KafkaMessage(
                        headers=dict(record.headers), key=record.key, value=record.value or b""
                    )
                    try:
                        event = kafka.from_structured_event(message)
                    except Exception as exc:  # not a CloudEvent: the platform dead-letters these
                        print(f"skipped offset {record.offset}: {type(exc).__name__}")
                        continue
                    if event.get_id() in seen:
                        continue  # at least once: a redelivered duplicate
                    seen.add(event.get_id())
                    yield event
    finally:
        await consumer.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    args = parser.parse_args()
    async for event in read(args.bootstrap, args.topic):
        print(json.dumps({"id": event.get_id(), "type": event.get_type(),
                          "pupil": event.get_subject(), "data": event.get_data()}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
