"""Intra-cloud authorization rules: consumer, provider, service and interfaces."""

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from ..extensions import db
from ..models import TimestampMixin
from ..registry.models import ServiceDefinition
from ..registry.models import ServiceInterface
from ..registry.models import System

rule_interface = Table(
    "authorization_intra_cloud_interface_connection",
    db.metadata,
    Column(
        "authorization_intra_cloud_id",
        ForeignKey("authorization_intra_cloud.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "interface_id",
        ForeignKey("service_interface.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class AuthorizationRule(TimestampMixin, db.Model):
    """Consumer may use provider's service over the listed interfaces."""

    __tablename__ = "authorization_intra_cloud"
    __table_args__ = (
        UniqueConstraint("consumer_system_id", "provider_system_id", "service_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_system_id: Mapped[int] = mapped_column(
        ForeignKey("system_.id", ondelete="CASCADE"), index=True
    )
    provider_system_id: Mapped[int] = mapped_column(
        ForeignKey("system_.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service_definition.id", ondelete="CASCADE"), index=True
    )

    consumer: Mapped[System] = relationship(
        foreign_keys=[consumer_system_id], lazy="joined"
    )
    provider: Mapped[System] = relationship(
        foreign_keys=[provider_system_id], lazy="joined"
    )
    service_definition: Mapped[ServiceDefinition] = relationship(lazy="joined")
    interfaces: Mapped[list[ServiceInterface]] = relationship(
        secondary=rule_interface,
        lazy="selectin",
        order_by=ServiceInterface.id,
        passive_deletes=True,
    )
