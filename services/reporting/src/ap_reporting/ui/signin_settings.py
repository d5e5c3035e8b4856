"""The dashboard's sign-in settings: the authority's OpenID provider and the session limits."""

from ap_chassis.settings import ServiceSettings
from pydantic import Field, model_validator


class SignInSettings(ServiceSettings):
    """OpenID Connect sign-in (docs/sign-in.md). Without an issuer the dashboard has no OIDC
    sign-in; token paste is offered in local runs and tests only, so production needs one."""

    oidc_issuer: str | None = Field(
        default=None, validation_alias="JOURNEY_OIDC_ISSUER",
        description="the IdP's issuer URL; its discovery document is read from it",
    )  # fmt: skip
    oidc_client_id: str | None = Field(default=None, validation_alias="JOURNEY_OIDC_CLIENT_ID")
    oidc_client_secret: str | None = Field(
        default=None, validation_alias="JOURNEY_OIDC_CLIENT_SECRET"
    )
    oidc_scopes: str = Field(default="openid", validation_alias="JOURNEY_OIDC_SCOPES")
    oidc_redirect_base: str | None = Field(
        default=None, pattern=r"^https?://[^/]+$", validation_alias="JOURNEY_OIDC_REDIRECT_BASE",
        description="the dashboard's public origin; the callback is <base>/ui/auth/callback",
    )  # fmt: skip
    oidc_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    ui_session_idle_seconds: float = Field(
        default=30 * 60, ge=1, validation_alias="JOURNEY_UI_SESSION_IDLE_SECONDS"
    )
    ui_session_absolute_seconds: float = Field(
        default=8 * 3600, ge=1, validation_alias="JOURNEY_UI_SESSION_ABSOLUTE_SECONDS"
    )

    @model_validator(mode="after")
    def _oidc_complete(self) -> "SignInSettings":
        if not self.oidc_issuer:
            return self
        missing = [
            name
            for name, value in (
                ("JOURNEY_OIDC_CLIENT_ID", self.oidc_client_id),
                ("JOURNEY_OIDC_CLIENT_SECRET", self.oidc_client_secret),
                ("JOURNEY_OIDC_REDIRECT_BASE", self.oidc_redirect_base),
                ("JOURNEY_CLAIM_MAPPING", self.claim_mapping_file),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"JOURNEY_OIDC_ISSUER is set, so {', '.join(missing)} must be too")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("JOURNEY_OIDC_SCOPES must include openid")
        return self
