"""The SQL tables behind ``SqlStore`` (SQLAlchemy Core). Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
)

metadata = MetaData()

ID = String(64)
WS = String(64)

campaigns = Table(
    "campaigns",
    metadata,
    Column("workspace_id", WS, primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("doc", JSON, nullable=False),
)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", ID, primary_key=True),
    Column("workspace_id", WS, nullable=False),
    Column("campaign", String(100), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("score", String(8)),
    Column("version", Integer, nullable=False),
    Column("dedupe_key", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("doc", JSON, nullable=False),
    UniqueConstraint("workspace_id", "dedupe_key", name="uq_leads_dedupe"),
    Index("ix_leads_ws_stage", "workspace_id", "stage"),
)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", ID, nullable=False, unique=True),
    Column("workspace_id", WS, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("doc", JSON, nullable=False),
    # the orchestrator's inbox and the relay's cursor live on the event row itself
    Column("queued", Boolean, nullable=False),
    Column("handled", Boolean, nullable=False),
    Column("dead", Boolean, nullable=False, default=False),
    Column("published", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", DateTime(timezone=True)),
    Index("ix_events_lead", "lead_id", "seq"),
)
# the inbox and the relay's outbox are the few events still pending or unpublished: partial
# indexes hold just those, so the many events written handled and published cost them nothing
PENDING = and_(events.c.queued.is_(True), events.c.handled.is_(False), events.c.dead.is_(False))
Index("ix_events_pending", events.c.seq, sqlite_where=PENDING, postgresql_where=PENDING)
UNPUBLISHED = events.c.published.is_(False)
Index("ix_events_to_publish", events.c.seq, sqlite_where=UNPUBLISHED, postgresql_where=UNPUBLISHED)

actions = Table(
    "actions",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("workspace_id", WS, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("not_before", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("doc", JSON, nullable=False),
    # sending mailbox and recipient domain of an email, for caps and rotation (migration 0002)
    Column("mailbox", String(320)),
    Column("domain", String(255)),
    Index("ix_actions_due", "status", "not_before"),
    Index("ix_actions_lead", "lead_id"),
)

SEND_TIME = func.coalesce(actions.c.not_before, actions.c.created_at)
"""When a send counts for caps: its scheduled time, or when it was queued ("at once")."""
# send caps count per mailbox and per recipient domain over SEND_TIME ranges (migration 0003)
Index("ix_actions_mailbox_at", actions.c.workspace_id, actions.c.mailbox, SEND_TIME)
Index("ix_actions_domain_at", actions.c.workspace_id, actions.c.domain, SEND_TIME)
# the drafts held for review (leadflow.drafts), listed per workspace: a partial index holds just
# those few rows (migration 0011)
HELD = actions.c.status == "held"
Index("ix_actions_held", actions.c.workspace_id, actions.c.seq, sqlite_where=HELD, postgresql_where=HELD)

timers = Table(
    "timers",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", WS, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("name", String(200), nullable=False),
    Column("fire_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("doc", JSON, nullable=False),
    Index("ix_timers_due", "status", "fire_at"),
    Index("ix_timers_lead", "lead_id", "status"),
)

traces = Table(
    "traces",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", WS, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("doc", JSON, nullable=False),
    Index("ix_traces_lead", "lead_id", "seq"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("workspace_id", WS, primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("reason", String(200), nullable=False),
)

identities = Table(
    "identities",
    metadata,
    # one person, one lead: every key a lead is known by (``identity.identity_keys``: normalised
    # e-mail, E.164 phone, source id), unique per workspace, written with the lead (migration 0007)
    Column("workspace_id", WS, primary_key=True),
    Column("key", String(400), primary_key=True),
    Column("lead_id", ID, nullable=False),
    Index("ix_identities_lead", "workspace_id", "lead_id"),
)

bookings = Table(
    "bookings",
    metadata,
    # one lead per calendar slot: a commit booking a slot another lead holds is refused, so two
    # workers deciding two leads at once cannot both book it (migration 0004)
    Column("workspace_id", WS, primary_key=True),
    Column("calendar", String(200), primary_key=True),
    Column("start", DateTime(timezone=True), primary_key=True),
    Column("lead_id", ID, nullable=False),
    Index("ix_bookings_lead", "workspace_id", "lead_id"),
)

claimed_keys = Table(
    "claimed_keys",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("key", String(500), primary_key=True),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", WS, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("consumer", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", WS, nullable=False),
    Column("source", String(100), nullable=False),
    Column("raw", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # bounded (migration 0008, see ``state.rejects``): ``raw`` is at most the first N bytes of a body of
    # ``size`` bytes whose SHA-256 is ``sha256``; ``count`` is set on a row standing for that many
    # rejects past the burst limit, whose bodies were not kept
    Column("size", Integer),
    Column("sha256", String(64)),
    Column("count", Integer),
    Index("ix_rejects_ws_source_at", "workspace_id", "source", "at"),
    Index("ix_rejects_ws_id", "workspace_id", "id"),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    # signing secrets of a workspace's webhook sources (migration 0008, ``integrations.webhooks``);
    # kept in the clear, as an HMAC needs them
    Column("secret_id", String(32), primary_key=True),
    Column("workspace_id", WS, nullable=False),
    Column("source", String(64), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("format", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_webhook_secrets_ws_source", "workspace_id", "source"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    # a workspace's API keys: the id in the clear, the secret only as its argon2 hash (migration 0006)
    Column("key_id", String(32), primary_key=True),
    Column("workspace_id", WS, nullable=False),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_keys_ws", "workspace_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    # who (key, role) did what to which workspace object, when, with what result (migration 0006)
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", WS, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(16)),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(32)),
    Column("target_id", String(200)),
    Column("result", String(32), nullable=False),
    Column("detail", Text),
    Index("ix_audit_log_ws", "workspace_id", "id"),
)

kb_documents = Table(
    "kb_documents",
    metadata,
    # each campaign's knowledge documents, one row per source (``leadflow.kb.sql``, migration 0010)
    Column("doc_id", String(32), primary_key=True),
    Column("workspace_id", WS, nullable=False),
    Column("campaign", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index("ix_kb_documents_ws_campaign", "workspace_id", "campaign"),
)

kb_chunks = Table(
    "kb_chunks",
    metadata,
    # a document's passages; searched through kb_chunks_fts (SQLite FTS5) or a GIN index (PostgreSQL)
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("doc_id", String(32), nullable=False),
    Column("workspace_id", WS, nullable=False),
    Column("campaign", String(100), nullable=False),
    Column("chunk_no", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("heading", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("suspicious", Boolean, nullable=False),
    Column("reasons", Text, nullable=False),
    Index("ix_kb_chunks_doc", "doc_id"),
    Index("ix_kb_chunks_ws_campaign", "workspace_id", "campaign"),
)
