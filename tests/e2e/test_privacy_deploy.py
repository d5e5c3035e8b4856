"""The production-like stack's transport security, checked statically (Docker does not run here):
compose parses; Kafka listeners are SASL over TLS with one principal per service; the ACL table
lets each service write only its own topics and read only what its code consumes, and only
reporting read journey.identity; PostgreSQL has one role per service; the scripts are
shellcheck-clean (where shellcheck is installed)."""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from ap_chassis.kafka_security import KafkaSecuritySettings, broker_security
from ap_schemas import topics
from faststream.security import SASLScram512

ROOT = Path(__file__).resolve().parents[2]
APPS = ("referral", "placement", "outcomes", "reporting")
# Who publishes to which topic (dead letters: any service that consumes):
# docs/architecture.md#services-and-what-each-owns
OWNED = {
    "referral": {topics.REFERRALS, topics.IDENTITY},
    "placement": {topics.PROVIDERS, topics.PLACEMENTS},
    "outcomes": {topics.OUTCOMES},
    "reporting": set(),
}
SCRIPTS = ["deploy/create-topics.sh", "deploy/kafka-acls.sh", "deploy/postgres/init-roles.sh",
           "deploy/tls/make-certs.sh"]  # fmt: skip


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def acl_table() -> set[tuple[str, str, str]]:
    text = (ROOT / "deploy/kafka-acls.sh").read_text()
    block = re.search(r"TOPIC_ACLS=\((.*?)\n\)", text, re.S).group(1)
    return {tuple(line.split()) for line in re.findall(r'"([^"]+)"', block)}


def consumed(service: str) -> set[str]:
    module = __import__(f"ap_{service}.consumers", fromlist=["CONSUMERS"])
    return {spec.topic for spec in module.CONSUMERS}


def test_every_client_listener_is_sasl_over_tls_and_denies_by_default():
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert {k: v for k, v in protocols.items() if k != "CONTROLLER"} == {
        "INTERNAL": "SASL_SSL", "EXTERNAL": "SASL_SSL",
    }  # fmt: skip
    assert not any(":9093" in p for p in kafka["ports"])  # the plaintext controller stays inside
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert "StandardAuthorizer" in env["KAFKA_AUTHORIZER_CLASS_NAME"]
    for listener in ("INTERNAL", "EXTERNAL"):
        jaas = env[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert all(f'user_{app}="' in jaas for app in APPS)


def test_each_service_has_its_own_principals_and_only_the_ca():
    services = compose()["services"]
    for app in APPS:
        env = services[app]["environment"]
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KAFKA_SASL_USERNAME"] == app
        assert env["KAFKA_SASL_PASSWORD"].startswith(f"${{KAFKA_{app.upper()}_PASSWORD")
        url = urlsplit(env["DATABASE_URL"])
        assert url.username == app and "sslmode=require" in url.query
        assert services[app]["volumes"] == ["tls-ca:/etc/journey/tls:ro"]
    postgres = services["postgres"]
    assert any("init-roles.sh" in v for v in postgres["volumes"])
    assert "ssl=on" in postgres["command"]


def test_acls_write_own_topics_read_what_the_code_consumes_and_identity_is_reportings():
    table = acl_table()
    assert {(p, o, t) for p, o, t in table if t == topics.IDENTITY and o == "Read"} == {
        ("reporting", "Read", topics.IDENTITY)
    }
    for app in APPS:
        writes = {t for p, o, t in table if p == app and o == "Write"}
        reads = {t for p, o, t in table if p == app and o == "Read"}
        code_reads = consumed(app) if app != "referral" else set()
        assert writes == OWNED[app] | ({topics.DEADLETTER} if code_reads else set()), app
        assert reads == code_reads, app
    assert {o for _, o, _ in table} == {"Read", "Write"}


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_deploy_scripts_are_shellcheck_clean():
    result = subprocess.run(  # noqa: S603
        [shutil.which("shellcheck") or "shellcheck", *SCRIPTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_broker_security_follows_the_environment():
    assert broker_security(KafkaSecuritySettings()) is None
    secured = broker_security(KafkaSecuritySettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="reporting", kafka_sasl_password="s3cret",
    ))  # fmt: skip
    assert isinstance(secured, SASLScram512) and secured.use_ssl
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        KafkaSecuritySettings(kafka_security_protocol="SASL_SSL")
