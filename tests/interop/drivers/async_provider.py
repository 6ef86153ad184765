"""Provider driver: the library's AsyncClient (FastAPI) serving one service."""

from arrowhead_client.client.implementations import AsyncClient
from common import client_files
from common import core_config
from common import parser


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--uri", default="hello")
    options.add_argument("--policy", default="NOT_SECURE")
    args = options.parse_args()

    provider = AsyncClient.create(
        system_name=args.name,
        address=args.address,
        port=args.port,
        config=core_config(args.server_port),
        **client_files(args.certs, args.name),
    )

    @provider.provided_service(
        service_definition=args.service,
        service_uri=args.uri,
        protocol="HTTP",
        method=args.method,
        payload_format="JSON",
        access_policy=args.policy,
    )
    async def serve():
        return {"msg": "Hello, Arrowhead!", "service": args.service}

    provider.run_forever()


if __name__ == "__main__":
    main()
