"""JSON contracts of the Authorization: rules, rule checks and token requests."""

from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

from ..registry.names import normalize_interface_name
from ..registry.schemas import ServiceDefinitionResponseSchema
from ..registry.schemas import ServiceInterfaceResponseSchema
from ..registry.schemas import SystemRequestSchema
from ..registry.schemas import SystemResponseSchema
from ..registry.schemas import TimestampedSchema
from ..schemas import BoundedList
from ..schemas import BoundedString
from ..schemas import ContractSchema
from ..schemas import StrictInteger

SORTABLE_FIELDS = ("id", "createdAt", "updatedAt")

# A token request may name this many providers; the Orchestrator sends one entry
# per authorised provider.
MAX_TOKEN_PROVIDERS = 1000


class RuleRequestSchema(ContractSchema):
    """AuthorizationIntraCloudRequestDTO: ids of registry rows.

    Non-positive ids inside the lists are dropped, as the reference does; the
    service then rejects lists that are left empty.
    """

    consumer_id = StrictInteger(data_key="consumerId", allow_none=True)
    provider_ids = BoundedList(StrictInteger(), data_key="providerIds", allow_none=True)
    service_definition_ids = BoundedList(
        StrictInteger(), data_key="serviceDefinitionIds", allow_none=True
    )
    interface_ids = BoundedList(
        StrictInteger(), data_key="interfaceIds", allow_none=True
    )


class RuleResponseSchema(TimestampedSchema):
    """AuthorizationIntraCloudResponseDTO."""

    id = fields.Integer()
    consumer = fields.Nested(SystemResponseSchema, data_key="consumerSystem")
    provider = fields.Nested(SystemResponseSchema, data_key="providerSystem")
    service_definition = fields.Nested(
        ServiceDefinitionResponseSchema, data_key="serviceDefinition"
    )
    interfaces = fields.List(fields.Nested(ServiceInterfaceResponseSchema))


class IdIdListSchema(ContractSchema):
    """IdIdListDTO: a provider id with interface ids."""

    id = StrictInteger(required=True, allow_none=True)
    id_list = BoundedList(
        StrictInteger(), data_key="idList", load_default=list, allow_none=True
    )


class CheckRequestSchema(ContractSchema):
    """AuthorizationIntraCloudCheckRequestDTO."""

    consumer = fields.Nested(SystemRequestSchema, allow_none=True, load_default=None)
    service_definition_id = StrictInteger(
        data_key="serviceDefinitionId", allow_none=True, load_default=None
    )
    providers = BoundedList(
        fields.Nested(IdIdListSchema),
        max_length=1000,
        data_key="providerIdsWithInterfaceIds",
        allow_none=True,
        load_default=None,
    )

    @validates_schema
    def _require_fields(self, data, **kwargs):
        consumer = data.get("consumer")
        if consumer is None:
            raise ValidationError("Consumer is null.", "consumer")
        if not consumer["system_name"].strip():
            raise ValidationError("Consumer systemName is blank.", "consumer")
        if not consumer["address"].strip():
            raise ValidationError("Consumer address is blank.", "consumer")

        definition_id = data.get("service_definition_id")
        if definition_id is None or definition_id < 1:
            raise ValidationError(
                "serviceDefinitionId must be a positive integer.",
                "serviceDefinitionId",
            )

        providers = data.get("providers")
        if not providers:
            raise ValidationError(
                "providerIdsWithInterfaceIds is null or empty.",
                "providerIdsWithInterfaceIds",
            )
        if any(item["id"] is None or item["id"] < 1 for item in providers):
            raise ValidationError(
                "Every provider id must be a positive integer.",
                "providerIdsWithInterfaceIds",
            )


class CloudSchema(ContractSchema):
    """The ``consumerCloud`` of a token request: operator and name."""

    operator = BoundedString(63, required=True, validate=[validate.Length(min=1)])
    name = BoundedString(63, required=True, validate=[validate.Length(min=1)])


class InterfaceName(fields.String):
    """An interface name, validated as the registry does but kept as given."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            normalize_interface_name(text)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        return text


class TokenProviderSchema(ContractSchema):
    """TokenGenerationProviderDTO: a provider, its interfaces and token lifetime."""

    provider = fields.Nested(SystemRequestSchema, required=True)
    service_interfaces = BoundedList(
        InterfaceName(),
        data_key="serviceInterfaces",
        required=True,
        validate=validate.Length(min=1, error="serviceInterfaces is empty."),
    )
    token_duration = StrictInteger(
        data_key="tokenDuration", allow_none=True, load_default=None
    )

    @validates_schema
    def _require_provider_fields(self, data, **kwargs):
        provider = data.get("provider") or {}
        if not provider.get("system_name", "").strip():
            raise ValidationError("Provider systemName is blank.", "provider")
        if not provider.get("address", "").strip():
            raise ValidationError("Provider address is blank.", "provider")
        if not (provider.get("authentication_info") or "").strip():
            raise ValidationError(
                "Provider authenticationInfo is missing; it must be the Base64 DER "
                "public key of the provider.",
                "provider",
            )


class TokenRequestSchema(ContractSchema):
    """TokenGenerationRequestDTO."""

    consumer = fields.Nested(SystemRequestSchema, required=True)
    consumer_cloud = fields.Nested(
        CloudSchema, data_key="consumerCloud", allow_none=True, load_default=None
    )
    providers = BoundedList(
        fields.Nested(TokenProviderSchema),
        max_length=MAX_TOKEN_PROVIDERS,
        required=True,
        validate=validate.Length(min=1, error="providers is empty."),
    )
    service = BoundedString(255, required=True)

    @validates_schema
    def _require_names(self, data, **kwargs):
        if not data.get("service", "").strip():
            raise ValidationError("Service is blank.", "service")
        consumer = data.get("consumer") or {}
        if not consumer.get("system_name", "").strip():
            raise ValidationError("Consumer systemName is blank.", "consumer")
        if not consumer.get("address", "").strip():
            raise ValidationError("Consumer address is blank.", "consumer")


rule_request = RuleRequestSchema()
rule_response = RuleResponseSchema()
check_request = CheckRequestSchema()
token_request = TokenRequestSchema()
token_requests = TokenRequestSchema(many=True)
