"""Decodes every message of the given topics with confluent-kafka's AvroDeserializer through the
schema registry's Confluent-compatible API, as any Kafka user's tool would.

usage: python decodeTopics.py <bootstrap servers> <registry url> <topic> [<topic> ...]
Prints one JSON object: per topic, the messages read up to the end offsets at start (count,
tombstones, the keys, the record fields of the first value, the headers of the first message).
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def read_topic(bootstrap, deserializer, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"decode-{topic}-{time.time()}", "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(topic, timeout=30)
        partitions = list(meta.topics[topic].partitions.keys())
        ends = {}
        assign = []
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            if high > low:
                ends[p] = high
                assign.append(TopicPartition(topic, p, low))
        out = {"count": 0, "tombstones": 0, "keys": [], "fields": None, "headers": None}
        if not assign:
            return out
        consumer.assign(assign)
        deadline = time.time() + 60
        while ends and time.time() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise RuntimeError(str(msg.error()))
            p, offset = msg.partition(), msg.offset()
            if p in ends and offset < ends[p]:
                out["count"] += 1
                out["keys"].append(msg.key().decode("utf-8") if msg.key() is not None else None)
                if msg.value() is None:
                    out["tombstones"] += 1
                else:
                    value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
                    if out["fields"] is None:
                        out["fields"] = sorted(value.keys())
                        out["headers"] = {k: v.decode("utf-8", "replace") for k, v in (msg.headers() or [])}
            if p in ends and offset + 1 >= ends[p]:
                del ends[p]
        if ends:
            raise RuntimeError(f"{topic}: did not reach the end offsets {ends}")
        return out
    finally:
        consumer.close()


def main():
    bootstrap, registry, topics = sys.argv[1], sys.argv[2], sys.argv[3:]
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry}))
    print(json.dumps({t: read_topic(bootstrap, deserializer, t) for t in topics}))


if __name__ == "__main__":
    main()
