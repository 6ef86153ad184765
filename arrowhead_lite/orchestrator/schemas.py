"""JSON contracts of the Orchestrator: orchestration forms, results and store rules."""

from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema

from ..registry.schemas import QueryFormSchema
from ..registry.schemas import ServiceDefinitionResponseSchema
from ..registry.schemas import ServiceInterfaceResponseSchema
from ..registry.schemas import SystemRequestSchema
from ..registry.schemas import SystemResponseSchema
from ..registry.schemas import TimestampedSchema
from ..schemas import BoundedList
from ..schemas import BoundedString
from ..schemas import ContractSchema
from ..schemas import Metadata
from ..schemas import StrictInteger

# Flags of OrchestrationFlags; every flag defaults to false and null means false.
FLAG_NAMES = (
    "matchmaking",
    "metadataSearch",
    "onlyPreferred",
    "pingProviders",
    "overrideStore",
    "triggerInterCloud",
    "externalServiceRequest",
    "enableInterCloud",
    "enableQoS",
    "onlyIPAddressResponse",
    "onlyIPv4AddressResponse",
    "onlyIPv6AddressResponse",
)

MAX_PREFERRED_PROVIDERS = 256
# Ids and priorities are 32-bit integer columns, as Java's Integer in the reference.
MAX_ID = 2**31 - 1
MAX_STORE_RULES_PER_REQUEST = 1000


def _not_blank(message: str):
    def check(value):
        if isinstance(value, str) and not value.strip():
            raise ValidationError(message)

    return check


class RequesterSystemSchema(SystemRequestSchema):
    """SystemRequestDTO whose name and address must not be blank."""

    @validates_schema
    def _check_blank(self, data, **kwargs):
        if not data.get("system_name", "").strip():
            raise ValidationError("System name is null or blank.", "systemName")
        if not data.get("address", "").strip():
            raise ValidationError("Address is null or blank.", "address")


class CloudRequestSchema(ContractSchema):
    """CloudRequestDTO; only ``operator`` and ``name`` are used."""

    operator = BoundedString(
        63, required=True, validate=[_not_blank("Cloud operator is null or blank.")]
    )
    name = BoundedString(
        63, required=True, validate=[_not_blank("Cloud name is null or blank.")]
    )
    secure = fields.Boolean(allow_none=True)
    neighbor = fields.Boolean(allow_none=True)
    authentication_info = fields.String(data_key="authenticationInfo", allow_none=True)


class PreferredProviderSchema(ContractSchema):
    """PreferredProviderDataDTO: a provider system and, for other clouds, its cloud."""

    provider_system = fields.Nested(
        RequesterSystemSchema, data_key="providerSystem", required=True
    )
    provider_cloud = fields.Nested(
        CloudRequestSchema, data_key="providerCloud", allow_none=True
    )


class FlagsField(fields.Dict):
    """The ``orchestrationFlags`` map: known names to booleans, null as false."""

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(),
            values=fields.Boolean(allow_none=True),
            allow_none=True,
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        return {name: bool(loaded.get(name)) for name in FLAG_NAMES}


class OrchestrationFormSchema(ContractSchema):
    """OrchestrationFormRequestDTO, loaded into a plain dict with snake_case keys."""

    requester_system = fields.Nested(
        RequesterSystemSchema, data_key="requesterSystem", required=True
    )
    requester_cloud = fields.Nested(
        CloudRequestSchema, data_key="requesterCloud", allow_none=True
    )
    requested_service = fields.Nested(
        QueryFormSchema, data_key="requestedService", allow_none=True
    )
    flags = FlagsField(data_key="orchestrationFlags")
    preferred_providers = BoundedList(
        fields.Nested(PreferredProviderSchema),
        max_length=MAX_PREFERRED_PROVIDERS,
        data_key="preferredProviders",
        allow_none=True,
    )
    commands = fields.Dict(keys=fields.String(), allow_none=True)
    qos_requirements = fields.Dict(
        keys=fields.String(), data_key="qosRequirements", allow_none=True
    )

    @post_load
    def _fill_defaults(self, data, **kwargs):
        if data.get("flags") is None:
            data["flags"] = {name: False for name in FLAG_NAMES}
        data["preferred_providers"] = data.get("preferred_providers") or []
        data["commands"] = data.get("commands") or {}
        data["qos_requirements"] = data.get("qos_requirements") or {}
        return data


class OrchestrationResultSchema(ContractSchema):
    """OrchestrationResultDTO.

    ``metadata`` and ``authorizationTokens`` are always objects, never null,
    because one real client rejects null there.
    """

    provider = fields.Nested(SystemResponseSchema, attribute="entry.provider")
    service = fields.Nested(
        ServiceDefinitionResponseSchema, attribute="entry.service_definition"
    )
    service_uri = fields.String(attribute="entry.service_uri", data_key="serviceUri")
    secure = fields.String(attribute="entry.secure")
    metadata = fields.Function(lambda result: dict(result.entry.metadata_ or {}))
    interfaces = fields.List(fields.Nested(ServiceInterfaceResponseSchema))
    version = fields.Integer(attribute="entry.version")
    authorization_tokens = fields.Function(
        lambda result: dict(result.tokens), data_key="authorizationTokens"
    )
    warnings = fields.List(fields.String())


class StoreRuleRequestSchema(ContractSchema):
    """OrchestratorStoreRequestDTO."""

    service_definition = BoundedString(
        255,
        data_key="serviceDefinitionName",
        required=True,
        validate=[_not_blank("Service definition name is null or blank.")],
    )
    consumer_system_id = StrictInteger(
        data_key="consumerSystemId",
        required=True,
        validate=validate.Range(
            min=1, max=MAX_ID, error="Consumer system id must be 1 to {max}."
        ),
    )
    provider_system = fields.Nested(
        RequesterSystemSchema, data_key="providerSystem", required=True
    )
    cloud = fields.Nested(CloudRequestSchema, allow_none=True)
    service_interface = BoundedString(
        255,
        data_key="serviceInterfaceName",
        required=True,
        validate=[_not_blank("Service interface name is null or blank.")],
    )
    priority = StrictInteger(
        required=True,
        validate=validate.Range(max=MAX_ID, error="Priority must be at most {max}."),
    )
    attribute = Metadata()


class StoreQuerySchema(ContractSchema):
    """The body of ``all_by_consumer``: a consumer, a definition, maybe an interface."""

    consumer_system_id = StrictInteger(
        data_key="consumerSystemId",
        required=True,
        validate=validate.Range(
            min=1, max=MAX_ID, error="Consumer system id must be 1 to {max}."
        ),
    )
    service_definition = BoundedString(
        255,
        data_key="serviceDefinitionName",
        required=True,
        validate=[_not_blank("Service definition name is null or blank.")],
    )
    service_interface = BoundedString(
        255, data_key="serviceInterfaceName", allow_none=True
    )


class PriorityMapSchema(ContractSchema):
    """OrchestratorStoreModifyPriorityRequestDTO: store rule id to new priority."""

    priority_map = fields.Dict(
        keys=fields.String(),
        values=StrictInteger(
            validate=validate.Range(max=MAX_ID, error="Priority must be at most {max}.")
        ),
        data_key="priorityMap",
        required=True,
    )


class StoreRuleResponseSchema(TimestampedSchema):
    """OrchestratorStoreResponseDTO; ``providerCloud`` is null for local rules."""

    id = fields.Integer()
    service_definition = fields.Nested(
        ServiceDefinitionResponseSchema, data_key="serviceDefinition"
    )
    consumer_system = fields.Nested(
        SystemResponseSchema, attribute="consumer", data_key="consumerSystem"
    )
    foreign = fields.Boolean(attribute="foreign_")
    provider_system = fields.Function(
        lambda rule: rule.provider_dump, data_key="providerSystem"
    )
    provider_cloud = fields.Function(lambda rule: None, data_key="providerCloud")
    service_interface = fields.Nested(
        ServiceInterfaceResponseSchema, data_key="serviceInterface"
    )
    priority = fields.Integer()
    attribute = fields.Function(
        lambda rule: dict(rule.attribute) if rule.attribute is not None else None
    )


orchestration_form = OrchestrationFormSchema()
result_schema = OrchestrationResultSchema()
store_rules_request = StoreRuleRequestSchema(many=True)
store_query = StoreQuerySchema()
priority_map = PriorityMapSchema()
store_rule_response = StoreRuleResponseSchema()
