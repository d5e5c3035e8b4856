"""How a service authenticates to Kafka: nothing locally; SASL over TLS in compose and production.

Read from the environment (deploy/README.md): `KAFKA_SECURITY_PROTOCOL` (`PLAINTEXT`, the
default, for the embedded broker and tests; `SASL_SSL`; `SSL`), `KAFKA_SASL_MECHANISM`
(`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`), `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`
(one principal per service), `KAFKA_SSL_CAFILE` (the CA that signed the brokers' certificates;
the system store when empty). The broker's ACLs decide what each principal may do.
"""

import ssl
from typing import Literal

from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSecuritySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = Field(default=SecretStr(""))
    kafka_ssl_cafile: str = ""

    @model_validator(mode="after")
    def _credentials_for_sasl(self) -> "KafkaSecuritySettings":
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError("SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        return self


def broker_security(settings: KafkaSecuritySettings | None = None) -> BaseSecurity | None:
    """The FastStream security object for the configured protocol (None for PLAINTEXT)."""
    s = settings or KafkaSecuritySettings()
    if s.kafka_security_protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=s.kafka_ssl_cafile or None)
    if s.kafka_security_protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512}[s.kafka_sasl_mechanism]  # fmt: skip
    return sasl(
        username=s.kafka_sasl_username,
        password=s.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
    )
