"""Provider driver: the library's SyncClient serving one service until SIGINT.

A GET service returns ``{"msg": ..., "service": ...}``. Other methods return
their JSON body under ``echo``.
"""

import sys

from arrowhead_client.client.implementations import SyncClient
from common import client_files
from common import core_config
from common import parser


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--uri", default="hello")
    options.add_argument("--policy", default="NOT_SECURE")
    args = options.parse_args()

    provider = SyncClient.create(
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
    def serve(request):
        if args.method == "GET":
            return {"msg": "Hello, Arrowhead!", "service": args.service}
        return {"echo": request.read_json(), "service": args.service}

    provider.run_forever()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
