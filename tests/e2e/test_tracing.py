"""One request is one trace: HTTP -> database -> outbox relay -> Kafka -> every consumer."""

import secrets

from tests.support.platform import referral_body, token


async def test_one_trace_from_http_through_kafka_to_every_consumer(services, wait):
    trace_id = secrets.token_hex(16)
    headers = {**token(), "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    body = referral_body()
    answer = await services.referral.post("/v1/referrals", json=body, headers=headers)
    assert answer.status_code == 201

    def spans():
        return [
            s
            for s in services.spans.get_finished_spans()
            if format(s.context.trace_id, "032x") == trace_id
        ]

    def reached_consumers():
        by_service = {(s.resource.attributes["service.name"], s.kind.name) for s in spans()}
        wanted = {
            ("referral", "SERVER"),
            ("referral", "PRODUCER"),
            ("reporting", "CONSUMER"),
            ("placement", "CONSUMER"),
            ("outcomes", "CONSUMER"),
        }
        return wanted <= by_service

    async def probe():
        return reached_consumers()

    await wait(probe, timeout=20)
    names = {s.name for s in spans()}
    assert any("journey.referrals" in n for n in names)
    assert any(s.attributes.get("db.system") == "postgresql" for s in spans())
    # The command's transaction is one span in its trace; its statements make none of their own.
    referral = [s for s in spans() if s.resource.attributes["service.name"] == "referral"]
    transactions = [s for s in referral if s.name == "db.transaction"]
    assert [s.attributes["db.outcome"] for s in transactions] == ["committed"]
    statements = [s.name for s in referral if s.attributes.get("db.system") == "postgresql"]
    assert not {"INSERT", "WITH", "BEGIN;", "COMMIT;"} & set(statements), statements
    # Spans carry ids, never the pupil's personal data.
    for span in spans():
        text = str(dict(span.attributes or {})) + span.name
        for personal in (body["upn"], body["surname"], body["forename"], body["date_of_birth"]):
            assert personal not in text
