"""Create the initial schema and seed the two standard interfaces.

Revision ID: 0001
Revises:
Create Date: 2026-12-04 15:37:36.281313

"""

from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_definition", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_definition")),
        sa.UniqueConstraint(
            "service_definition", name=op.f("uq_service_definition_service_definition")
        ),
    )
    op.create_table(
        "service_interface",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interface_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_interface")),
        sa.UniqueConstraint(
            "interface_name", name=op.f("uq_service_interface_interface_name")
        ),
    )
    op.create_table(
        "system_",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_name", sa.String(length=63), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("address_type", sa.String(length=16), nullable=True),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("authentication_info", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_")),
        sa.UniqueConstraint(
            "system_name",
            "address",
            "port",
            name=op.f("uq_system__system_name_address_port"),
        ),
    )
    with op.batch_alter_table("system_", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system__system_name"), ["system_name"], unique=False
        )

    op.create_table(
        "authorization_intra_cloud",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_system_id", sa.Integer(), nullable=False),
        sa.Column("provider_system_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_system_id"],
            ["system_.id"],
            name=op.f("fk_authorization_intra_cloud_consumer_system_id_system_"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_system_id"],
            ["system_.id"],
            name=op.f("fk_authorization_intra_cloud_provider_system_id_system_"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service_definition.id"],
            name=op.f("fk_authorization_intra_cloud_service_id_service_definition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_intra_cloud")),
        sa.UniqueConstraint(
            "consumer_system_id",
            "provider_system_id",
            "service_id",
            name=op.f(
                "uq_authorization_intra_cloud_consumer_system_id_provider_system_id_service_id"
            ),
        ),
    )
    with op.batch_alter_table("authorization_intra_cloud", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_intra_cloud_consumer_system_id"),
            ["consumer_system_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_authorization_intra_cloud_provider_system_id"),
            ["provider_system_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_authorization_intra_cloud_service_id"),
            ["service_id"],
            unique=False,
        )

    op.create_table(
        "orchestrator_store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_system_id", sa.Integer(), nullable=False),
        sa.Column("provider_system_id", sa.Integer(), nullable=False),
        sa.Column(
            "foreign_", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_interface_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_system_id"],
            ["system_.id"],
            name=op.f("fk_orchestrator_store_consumer_system_id_system_"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service_definition.id"],
            name=op.f("fk_orchestrator_store_service_id_service_definition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_interface_id"],
            ["service_interface.id"],
            name=op.f("fk_orchestrator_store_service_interface_id_service_interface"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orchestrator_store")),
        sa.UniqueConstraint(
            "service_id",
            "service_interface_id",
            "consumer_system_id",
            "priority",
            name="uq_orchestrator_store_priority_rule",
        ),
        sa.UniqueConstraint(
            "service_id",
            "service_interface_id",
            "consumer_system_id",
            "provider_system_id",
            "foreign_",
            name="uq_orchestrator_store_duplication_rule",
        ),
    )
    with op.batch_alter_table("orchestrator_store", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orchestrator_store_consumer_system_id"),
            ["consumer_system_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_orchestrator_store_provider_system_id"),
            ["provider_system_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_orchestrator_store_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_orchestrator_store_service_interface_id"),
            ["service_interface_id"],
            unique=False,
        )

    op.create_table(
        "service_registry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column(
            "service_uri", sa.String(length=255), server_default="", nullable=False
        ),
        sa.Column("end_of_validity", sa.DateTime(), nullable=True),
        sa.Column(
            "secure", sa.String(length=16), server_default="NOT_SECURE", nullable=False
        ),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service_definition.id"],
            name=op.f("fk_service_registry_service_id_service_definition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system_.id"],
            name=op.f("fk_service_registry_system_id_system_"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_registry")),
        sa.UniqueConstraint(
            "service_id",
            "system_id",
            "service_uri",
            name=op.f("uq_service_registry_service_id_system_id_service_uri"),
        ),
    )
    with op.batch_alter_table("service_registry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_registry_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_registry_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "authorization_intra_cloud_interface_connection",
        sa.Column("authorization_intra_cloud_id", sa.Integer(), nullable=False),
        sa.Column("interface_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_intra_cloud_id"],
            ["authorization_intra_cloud.id"],
            name=op.f(
                "fk_authorization_intra_cloud_interface_connection_authorization_intra_cloud_id_authorization_intra_cloud"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["service_interface.id"],
            name=op.f(
                "fk_authorization_intra_cloud_interface_connection_interface_id_service_interface"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "authorization_intra_cloud_id",
            "interface_id",
            name=op.f("pk_authorization_intra_cloud_interface_connection"),
        ),
    )
    with op.batch_alter_table(
        "authorization_intra_cloud_interface_connection", schema=None
    ) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_authorization_intra_cloud_interface_connection_interface_id"
            ),
            ["interface_id"],
            unique=False,
        )

    op.create_table(
        "service_registry_interface_connection",
        sa.Column("service_registry_id", sa.Integer(), nullable=False),
        sa.Column("interface_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["service_interface.id"],
            name=op.f(
                "fk_service_registry_interface_connection_interface_id_service_interface"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_registry_id"],
            ["service_registry.id"],
            name=op.f(
                "fk_service_registry_interface_connection_service_registry_id_service_registry"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "service_registry_id",
            "interface_id",
            name=op.f("pk_service_registry_interface_connection"),
        ),
    )
    with op.batch_alter_table(
        "service_registry_interface_connection", schema=None
    ) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_registry_interface_connection_interface_id"),
            ["interface_id"],
            unique=False,
        )

    # Clients such as the official quickstart assume HTTP-SECURE-JSON has id 1.
    interface = sa.table(
        "service_interface",
        sa.column("id", sa.Integer),
        sa.column("interface_name", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    op.bulk_insert(
        interface,
        [
            {
                "interface_name": "HTTP-SECURE-JSON",
                "created_at": now,
                "updated_at": now,
            },
            {
                "interface_name": "HTTP-INSECURE-JSON",
                "created_at": now,
                "updated_at": now,
            },
        ],
    )


def downgrade():
    with op.batch_alter_table(
        "service_registry_interface_connection", schema=None
    ) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_service_registry_interface_connection_interface_id")
        )

    op.drop_table("service_registry_interface_connection")
    with op.batch_alter_table(
        "authorization_intra_cloud_interface_connection", schema=None
    ) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_authorization_intra_cloud_interface_connection_interface_id")
        )

    op.drop_table("authorization_intra_cloud_interface_connection")
    with op.batch_alter_table("service_registry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_registry_system_id"))
        batch_op.drop_index(batch_op.f("ix_service_registry_service_id"))

    op.drop_table("service_registry")
    with op.batch_alter_table("orchestrator_store", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orchestrator_store_service_interface_id"))
        batch_op.drop_index(batch_op.f("ix_orchestrator_store_service_id"))
        batch_op.drop_index(batch_op.f("ix_orchestrator_store_provider_system_id"))
        batch_op.drop_index(batch_op.f("ix_orchestrator_store_consumer_system_id"))

    op.drop_table("orchestrator_store")
    with op.batch_alter_table("authorization_intra_cloud", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_intra_cloud_service_id"))
        batch_op.drop_index(
            batch_op.f("ix_authorization_intra_cloud_provider_system_id")
        )
        batch_op.drop_index(
            batch_op.f("ix_authorization_intra_cloud_consumer_system_id")
        )

    op.drop_table("authorization_intra_cloud")
    with op.batch_alter_table("system_", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system__system_name"))

    op.drop_table("system_")
    op.drop_table("service_interface")
    op.drop_table("service_definition")
