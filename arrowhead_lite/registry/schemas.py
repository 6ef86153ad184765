"""JSON contracts of the Service Registry: systems, definitions, interfaces, entries."""

from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_dump
from marshmallow import validate

from ..schemas import MAX_METADATA_ENTRIES
from ..schemas import MAX_METADATA_KEY_LENGTH
from ..schemas import MAX_METADATA_VALUE_LENGTH
from ..schemas import BoundedList
from ..schemas import BoundedString
from ..schemas import ContractSchema
from ..schemas import Metadata
from ..schemas import Port
from ..schemas import Version
from ..timestamps import Instant
from .models import ADDRESS_TYPES
from .models import SECURITY_TYPES
from .names import MAX_INTERFACE_LENGTH

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


class EntryRequestSchema(ContractSchema):
    """ServiceRegistryRequestDTO of register and the /mgmt entry endpoints.

    Optional fields accept an explicit ``null``; ``version`` also accepts a
    string of digits and ``endOfValidity`` an empty string.
    """

    service_definition = BoundedString(255, data_key="serviceDefinition", required=True)
    provider_system = fields.Nested(
        SystemRequestSchema, data_key="providerSystem", required=True
    )
    service_uri = BoundedString(
        255, data_key="serviceUri", allow_none=True, load_default=None
    )
    end_of_validity = Instant(
        data_key="endOfValidity", allow_none=True, load_default=None
    )
    secure = BoundedString(32, allow_none=True, load_default=None)
    metadata = Metadata(load_default=None)
    version = Version(allow_none=True, load_default=None)
    interfaces = BoundedList(
        BoundedString(MAX_INTERFACE_LENGTH), required=True, allow_none=False
    )


class EntryPatchSchema(EntryRequestSchema):
    """A partial ServiceRegistryRequestDTO: only the given fields change."""

    service_definition = BoundedString(255, data_key="serviceDefinition")
    provider_system = fields.Nested(SystemRequestSchema, data_key="providerSystem")
    service_uri = BoundedString(255, data_key="serviceUri", allow_none=True)
    end_of_validity = Instant(data_key="endOfValidity", allow_none=True)
    secure = BoundedString(32, allow_none=True)
    metadata = Metadata()
    version = Version(allow_none=True)
    interfaces = BoundedList(BoundedString(MAX_INTERFACE_LENGTH))


class SystemPatchSchema(ContractSchema):
    """A partial SystemRequestDTO for PATCH /mgmt/systems/{id}."""

    system_name = BoundedString(255, data_key="systemName")
    address = BoundedString(255)
    port = Port()
    authentication_info = BoundedString(
        MAX_AUTHENTICATION_INFO_LENGTH, data_key="authenticationInfo", allow_none=True
    )
    metadata = Metadata()


class DefinitionRequestSchema(ContractSchema):
    """ServiceDefinitionRequestDTO."""

    service_definition = BoundedString(255, data_key="serviceDefinition", required=True)


class InterfaceRequestSchema(ContractSchema):
    """ServiceInterfaceRequestDTO."""

    interface_name = BoundedString(
        MAX_INTERFACE_LENGTH, data_key="interfaceName", required=True
    )


class MetadataRequirements(fields.Dict):
    """``metadataRequirements``: a string map whose null values match anything."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        super().__init__(
            keys=BoundedString(MAX_METADATA_KEY_LENGTH),
            values=BoundedString(MAX_METADATA_VALUE_LENGTH, allow_none=True),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and len(value) > MAX_METADATA_ENTRIES:
            raise ValidationError(
                f"Metadata has more than {MAX_METADATA_ENTRIES} entries."
            )
        result = super()._deserialize(value, attr, data, **kwargs)
        trimmed = {
            key.strip(): None if item is None else item.strip()
            for key, item in result.items()
        }
        if len(trimmed) != len(result):
            raise ValidationError("Metadata keys are identical after trimming.")
        return trimmed


class QueryFormSchema(ContractSchema):
    """ServiceQueryFormDTO; the enum lists use the reference's exact names."""

    service_definition = BoundedString(
        255, data_key="serviceDefinitionRequirement", required=True
    )
    interfaces = BoundedList(
        BoundedString(MAX_INTERFACE_LENGTH),
        data_key="interfaceRequirements",
        allow_none=True,
        load_default=None,
    )
    security_types = BoundedList(
        fields.String(validate=validate.OneOf(SECURITY_TYPES)),
        data_key="securityRequirements",
        allow_none=True,
        load_default=None,
    )
    metadata = MetadataRequirements(data_key="metadataRequirements", load_default=None)
    version = Version(data_key="versionRequirement", allow_none=True, load_default=None)
    min_version = Version(
        data_key="minVersionRequirement", allow_none=True, load_default=None
    )
    max_version = Version(
        data_key="maxVersionRequirement", allow_none=True, load_default=None
    )
    address_types = BoundedList(
        fields.String(validate=validate.OneOf(ADDRESS_TYPES)),
        data_key="providerAddressTypeRequirements",
        allow_none=True,
        load_default=None,
    )
    ping_providers = fields.Boolean(
        data_key="pingProviders", allow_none=True, load_default=False
    )


class QueryFormListSchema(ContractSchema):
    """ServiceQueryFormListDTO of /query/multi."""

    forms = BoundedList(fields.Nested(QueryFormSchema), required=True)


entry_request = EntryRequestSchema()
entry_patch = EntryPatchSchema()
system_request = SystemRequestSchema()
system_patch = SystemPatchSchema()
definition_request = DefinitionRequestSchema()
interface_request = InterfaceRequestSchema()
query_form = QueryFormSchema()
query_form_list = QueryFormListSchema()
