"""Every table of every context, for Alembic and for tests that build a schema."""

from __future__ import annotations


def load_all() -> None:
    import yiwang.contexts.catalog.models
    import yiwang.contexts.cityops.models
    import yiwang.contexts.exchange.models
    import yiwang.contexts.exchange.sources
    import yiwang.contexts.identity.models
    import yiwang.contexts.identity.oidc.models
    import yiwang.contexts.services.models
    import yiwang.contexts.workbench.hotline_models
    import yiwang.contexts.workbench.knowledge_models
    import yiwang.contexts.workbench.models
    import yiwang.core.audit
    import yiwang.core.events
    import yiwang.core.notify
    import yiwang.core.progress
    import yiwang.core.workflow_models  # noqa: F401
