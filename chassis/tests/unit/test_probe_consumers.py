"""The relay's and health monitor's probe consumers connect the way the service's broker does."""

import ssl

from ap_chassis.kafka import probe_consumers
from faststream.kafka import KafkaBroker
from faststream.security import SASLPlaintext


async def test_probe_consumers_inherit_the_brokers_security_and_join_no_group():
    security = SASLPlaintext(
        username="svc", password="secret", ssl_context=ssl.create_default_context()
    )
    broker = KafkaBroker("127.0.0.1:9", security=security, client_id="referral")
    consumer = probe_consumers(broker, request_timeout_ms=1234)()
    client = consumer._client
    assert client._security_protocol == "SASL_SSL"
    assert client._sasl_plain_username == "svc"
    assert client._request_timeout_ms == 1234
    assert consumer._group_id is None
