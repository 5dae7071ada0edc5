"""Configuration from the environment (prefix YIWANG_), with safe defaults for a laptop."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - the refusal below is the point


class Settings(BaseSettings):
    """Every setting, its default and what it is for; `yiwang settings` prints them."""

    model_config = SettingsConfigDict(env_prefix="YIWANG_", env_file=".env", extra="ignore")

    env: str = Field("development", description="development | test | production")
    database_url: str = Field(
        "sqlite:///var/yiwang.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    db_pool_size: int = Field(
        20,
        description="connections kept per process (PostgreSQL); as many again open under peaks, closed after",
    )
    secret_key: str = Field(DEFAULT_SECRET, description="signs sessions and derives data keys")
    data_key: str = Field(
        "",
        description="base64 32-byte key for AES-GCM personal data; derived from secret_key if empty",
    )
    audit_signing_key: str = Field(
        "", description="base64 Ed25519 private key for audit checkpoints; derived if empty"
    )
    audit_trusted_keys: str = Field(
        "",
        description="comma-separated base64 Ed25519 public keys also trusted for checkpoints (rotated keys)",
    )
    audit_enabled: bool = Field(True, description="write audit records (only benchmarks turn it off)")
    storage_dir: str = Field(
        "var/uploads", description="where uploaded application materials are kept (local disk)"
    )
    upload_max_bytes: int = Field(
        10 * 1024 * 1024, description="largest upload accepted for an application material"
    )
    audit_checkpoint_every: int = Field(1000, description="sign a checkpoint every N sealed records")
    audit_seal_interval: float = Field(0.5, description="seconds between background chain sealing")
    cache_seconds: float = Field(
        10.0,
        description="per-process cache of bearer tokens, catalog entries and grants (0 = off); "
        "changes made in other processes show after at most this long, revocations are checked at commit",
    )
    session_hours: int = Field(8, description="staff and citizen session lifetime")
    cookie_secure: bool = Field(False, description="mark cookies Secure (behind HTTPS)")
    login_max_failures: int = Field(5, description="failed logins before an account is locked")
    login_lock_minutes: int = Field(15, description="how long a locked account stays locked")
    token_minutes: int = Field(60, description="API bearer token lifetime")
    max_body_bytes: int = Field(
        1_048_576, ge=1, description="largest request body in bytes (413 above; uploads raise it per route)"
    )
    client_rate_per_minute: int = Field(600, description="default API requests per client and minute")
    oidc_issuer: str = Field("", description="OpenID Connect issuer URL (empty: the request's own base URL)")
    oidc_signing_alg: str = Field("RS256", description="ID token signature: RS256 or EdDSA (new keys)")
    oidc_retired_key_days: int = Field(7, description="days a rotated-out signing key stays in the JWKS")
    oidc_access_minutes: int = Field(60, description="OIDC access token (and ID token) lifetime")
    oidc_refresh_days: int = Field(30, description="OIDC refresh token lifetime")
    log_level: str = Field("INFO", description="root log level")
    log_json: bool = Field(True, description="structured JSON logs")
    bench_endpoints: bool = Field(False, description="mount /api/v1/_bench baselines (benchmarks only)")
    host: str = Field("127.0.0.1", description="bind address for `yiwang serve`")
    port: int = Field(8000, description="bind port for `yiwang serve`")
    # Webhooks leave the city's network from the server itself. Without an allow-list a
    # subscriber could name an internal address (database, metadata service, admin consoles)
    # as its callback and make the server call it for them (SSRF). Only listed hosts are
    # called; redirects are not followed and proxies from the environment are ignored.
    webhook_allowed_hosts: str = Field(
        "127.0.0.1,localhost",
        description="comma-separated callback hosts subscriptions may use (SSRF guard; set it in production)",
    )
    webhook_max_attempts: int = Field(8, description="delivery attempts before a webhook goes dead")
    webhook_timeout: float = Field(10.0, description="seconds a webhook receiver may take to answer")
    webhook_lease_seconds: float = Field(
        60.0, description="how long a claimed delivery stays with its worker before others may retry it"
    )
    webhook_backoff_cap: float = Field(3600.0, description="longest wait between delivery attempts (s)")
    office_hours: str = Field(
        "09:00-12:00,13:30-17:30",
        description="office hours of a working day (Beijing time), for deadlines in working hours",
    )
    nats_url: str = Field(
        "",
        description="NATS server(s) for JetStream, e.g. nats://127.0.0.1:4222 (empty: events stay in-process)",
    )
    nats_stream: str = Field(
        "YIWANG", description="JetStream stream of the events (subjects yiwang.>), created if missing"
    )
    nats_duplicate_window: float = Field(
        120.0,
        description="seconds JetStream remembers a Nats-Msg-Id: a re-publish within it is dropped "
        "(set on the stream when the relay creates it)",
    )
    nats_max_age_days: float = Field(
        30.0,
        gt=0,
        description="days JetStream keeps an event when it creates the stream (the outbox keeps them all)",
    )
    nats_batch: int = Field(500, ge=1, description="events the relay claims and has in flight at once")
    nats_ack_timeout: float = Field(
        5.0,
        description="seconds the relay waits for JetStream's acks of a batch; a claimed batch is "
        "another relay's to take after 3x this",
    )
    nats_poll_interval: float = Field(
        0.5, description="seconds between the relay's looks for events committed by other processes"
    )
    nats_reconnect_wait: float = Field(2.0, description="seconds between attempts to reach NATS")
    nats_retry_cap: float = Field(
        60.0, description="longest wait before an event whose publish failed is tried again (s)"
    )
    events_sweep_interval: float = Field(
        2.0, description="seconds between sweeps that deliver events a crash left undelivered"
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="the site's address as people reach it (links in emails)"
    )
    # Notifications (docs/notifications.md): email over SMTP, SMS through a gateway adapter.
    smtp_host: str = Field(
        "", description="SMTP server for notification emails (empty: email not configured)"
    )
    smtp_port: int = Field(587, description="SMTP port: 587 with STARTTLS, 465 with SSL, 25 plain")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls | ssl (implicit TLS) | none (plain, only inside a trusted network)"
    )
    smtp_user: str = Field("", description="SMTP login user (empty: no login)")
    smtp_password: str = Field("", description="SMTP login password")
    smtp_from: str = Field(
        "一网政务服务平台 <noreply@yiwang.example>",
        description="sender of notification emails: Name <address>",
    )
    smtp_timeout: float = Field(10.0, description="seconds an SMTP server may take to answer")
    sms_gateway: str = Field(
        "yiwang.core.notify_sms:RecordingSmsGateway",
        description="SMS adapter as module:Class (default: records and logs, sends nothing)",
    )
    sms_signature: str = Field("一网政务", description="signature the SMS texts start with, as 【签名】")
    notify_max_attempts: int = Field(6, description="email/SMS attempts before a notification delivery fails")
    notify_lease_seconds: float = Field(
        60.0, description="how long a claimed email/SMS delivery stays with its worker before others retry it"
    )
    notify_deliver_interval: float = Field(
        2.0, description="seconds between runs of the email/SMS delivery job"
    )

    @model_validator(mode="after")
    def _nats_window_outlasts_a_claim(self) -> Settings:
        # A batch whose relay died after the acks is published again once its claim (3x the ack
        # timeout) has run out: JetStream must still remember its ids then, with room to spare.
        if self.nats_duplicate_window < 2 * 3 * self.nats_ack_timeout:
            raise ValueError("YIWANG_NATS_DUPLICATE_WINDOW must be at least 6x YIWANG_NATS_ACK_TIMEOUT")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("YIWANG_SECRET_KEY must be set in production (refusing the default)")
        if self.env == "production" and self.bench_endpoints:
            raise ValueError("YIWANG_BENCH_ENDPOINTS must not be enabled in production")
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("YIWANG_SECRET_KEY must be at least 32 characters in production")
        if self.env == "production":
            # Keys of their own, so rotating the session secret never makes stored data unreadable.
            missing = [n for n in ("data_key", "audit_signing_key") if not getattr(self, n)]
            if missing:
                raise ValueError(
                    "production needs explicit " + ", ".join(f"YIWANG_{m.upper()}" for m in missing)
                )
            if not self.cookie_secure:
                raise ValueError("YIWANG_COOKIE_SECURE must be true in production (cookies only over HTTPS)")
            if self.smtp_user and self.smtp_security == "none":
                raise ValueError("YIWANG_SMTP_SECURITY=none would send the SMTP password in clear")
            if self.webhook_allowed_hosts == "127.0.0.1,localhost":
                raise ValueError(
                    "YIWANG_WEBHOOK_ALLOWED_HOSTS must name the subscribers' hosts in production"
                )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
