"""JSON contracts of the Service Registry: systems, definitions, interfaces, entries."""

from marshmallow import fields
from marshmallow import post_dump

from ..schemas import BoundedString
from ..schemas import ContractSchema
from ..schemas import Metadata
from ..schemas import Port
from ..timestamps import Instant

MAX_AUTHENTICATION_INFO_LENGTH = 8192


class SystemRequestSchema(ContractSchema):
    """SystemRequestDTO: also the provider, requester and consumer of other bodies."""

    system_name = BoundedString(255, data_key="systemName", required=True)
    address = BoundedString(255, required=True)
    port = Port(required=True)
    authentication_info = BoundedString(
        MAX_AUTHENTICATION_INFO_LENGTH,
        data_key="authenticationInfo",
        allow_none=True,
        load_default=None,
    )
    metadata = Metadata(load_default=None)


class TimestampedSchema(ContractSchema):
    created_at = Instant(data_key="createdAt")
    updated_at = Instant(data_key="updatedAt")


class SystemResponseSchema(TimestampedSchema):
    """SystemResponseDTO; ``authenticationInfo`` is always a string for old clients."""

    id = fields.Integer()
    system_name = fields.String(data_key="systemName")
    address = fields.String()
    port = fields.Integer()
    authentication_info = fields.Function(
        lambda system: system.authentication_info or "", data_key="authenticationInfo"
    )
    metadata = fields.Function(
        lambda system: dict(system.metadata_ or {}), data_key="metadata"
    )


class ServiceDefinitionResponseSchema(TimestampedSchema):
    id = fields.Integer()
    service_definition = fields.String(data_key="serviceDefinition")


class ServiceInterfaceResponseSchema(TimestampedSchema):
    id = fields.Integer()
    interface_name = fields.String(data_key="interfaceName")


class ServiceRegistryEntryResponseSchema(TimestampedSchema):
    """ServiceRegistryResponseDTO; ``endOfValidity`` is omitted when unset."""

    id = fields.Integer()
    service_definition = fields.Nested(
        ServiceDefinitionResponseSchema, data_key="serviceDefinition"
    )
    provider = fields.Nested(SystemResponseSchema)
    service_uri = fields.String(data_key="serviceUri")
    end_of_validity = Instant(data_key="endOfValidity")
    secure = fields.String()
    metadata = fields.Function(
        lambda entry: dict(entry.metadata_ or {}), data_key="metadata"
    )
    version = fields.Integer()
    interfaces = fields.List(fields.Nested(ServiceInterfaceResponseSchema))

    @post_dump
    def _omit_unset_validity(self, data, **kwargs):
        if data.get("endOfValidity") is None:
            data.pop("endOfValidity", None)
        return data


system_response = SystemResponseSchema()
definition_response = ServiceDefinitionResponseSchema()
interface_response = ServiceInterfaceResponseSchema()
entry_response = ServiceRegistryEntryResponseSchema()
entries_response = ServiceRegistryEntryResponseSchema(many=True)


def list_response(schema, items, count: int) -> dict:
    """Return the ``{"data": [...], "count": n}`` list shape."""
    return {"data": schema.dump(items, many=True), "count": count}
