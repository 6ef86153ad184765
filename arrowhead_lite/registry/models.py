"""Systems, service definitions, interfaces and service registry entries."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from ..extensions import UTCDateTime
from ..extensions import db
from ..models import TimestampMixin

SECURITY_TYPES = ("NOT_SECURE", "CERTIFICATE", "TOKEN")
ADDRESS_TYPES = ("HOSTNAME", "IPV4", "IPV6")

entry_interface = Table(
    "service_registry_interface_connection",
    db.metadata,
    Column(
        "service_registry_id",
        ForeignKey("service_registry.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "interface_id",
        ForeignKey("service_interface.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class System(TimestampMixin, db.Model):
    """A system: a provider or consumer, identified by name, address and port."""

    __tablename__ = "system_"
    __table_args__ = (UniqueConstraint("system_name", "address", "port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_name: Mapped[str] = mapped_column(String(63), index=True)
    address: Mapped[str] = mapped_column(String(255))
    address_type: Mapped[str | None] = mapped_column(String(16))
    port: Mapped[int] = mapped_column(Integer)
    authentication_info: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, str] | None] = mapped_column("metadata", JSON)

    def __repr__(self) -> str:
        return f"<System {self.id} {self.system_name}@{self.address}:{self.port}>"


class ServiceDefinition(TimestampMixin, db.Model):
    """A service definition name such as ``temperature-reading``."""

    __tablename__ = "service_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_definition: Mapped[str] = mapped_column(String(255), unique=True)


class ServiceInterface(TimestampMixin, db.Model):
    """An interface name in the form ``PROTOCOL-SECURE|INSECURE-FORMAT``."""

    __tablename__ = "service_interface"

    id: Mapped[int] = mapped_column(primary_key=True)
    interface_name: Mapped[str] = mapped_column(String(255), unique=True)


class ServiceRegistryEntry(TimestampMixin, db.Model):
    """A service a provider offers, unique on definition, provider and URI."""

    __tablename__ = "service_registry"
    __table_args__ = (UniqueConstraint("service_id", "system_id", "service_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service_definition.id", ondelete="CASCADE"), index=True
    )
    system_id: Mapped[int] = mapped_column(
        ForeignKey("system_.id", ondelete="CASCADE"), index=True
    )
    service_uri: Mapped[str] = mapped_column(String(255), default="", server_default="")
    end_of_validity: Mapped[datetime | None] = mapped_column(UTCDateTime)
    secure: Mapped[str] = mapped_column(
        String(16), default="NOT_SECURE", server_default="NOT_SECURE"
    )
    metadata_: Mapped[dict[str, str] | None] = mapped_column("metadata", JSON)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    service_definition: Mapped[ServiceDefinition] = relationship(lazy="joined")
    provider: Mapped[System] = relationship(lazy="joined")
    interfaces: Mapped[list[ServiceInterface]] = relationship(
        secondary=entry_interface,
        lazy="selectin",
        order_by=ServiceInterface.id,
        passive_deletes=True,
    )

    def metadata_dict(self) -> dict[str, Any]:
        return dict(self.metadata_ or {})
