"""Orchestrator store rules: which provider a consumer gets, by priority."""

from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from ..extensions import db
from ..models import TimestampMixin
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import System


class StoreRule(TimestampMixin, db.Model):
    """A store rule; priority 1 is tried first within its consumer group.

    ``provider_system_id`` has no foreign key, as in the reference schema: deleting
    the provider leaves the rule in place, shown with provider ``unknown-<id>``.
    """

    __tablename__ = "orchestrator_store"
    __table_args__ = (
        UniqueConstraint(
            "service_id",
            "service_interface_id",
            "consumer_system_id",
            "priority",
            name="uq_orchestrator_store_priority_rule",
        ),
        UniqueConstraint(
            "service_id",
            "service_interface_id",
            "consumer_system_id",
            "provider_system_id",
            "foreign_",
            name="uq_orchestrator_store_duplication_rule",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_system_id: Mapped[int] = mapped_column(
        ForeignKey("system_.id", ondelete="CASCADE"), index=True
    )
    provider_system_id: Mapped[int] = mapped_column(Integer, index=True)
    foreign_: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service_definition.id", ondelete="CASCADE"), index=True
    )
    service_interface_id: Mapped[int] = mapped_column(
        ForeignKey("service_interface.id", ondelete="CASCADE"), index=True
    )
    priority: Mapped[int] = mapped_column(Integer)
    attribute: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    consumer: Mapped[System] = relationship(lazy="joined")
    service_definition: Mapped[ServiceDefinition] = relationship(lazy="joined")
    service_interface: Mapped[ServiceInterface] = relationship(lazy="joined")
