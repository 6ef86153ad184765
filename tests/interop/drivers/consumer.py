"""Consumer driver: the library's SyncClient orchestrates and consumes one service.

Prints one JSON line ``{"status": ..., "body": ...}`` with the provider's reply.
Without an orchestration result the library raises NoAvailableServicesError and
the script exits with a traceback.
"""

import json

from arrowhead_client.client.implementations import SyncClient
from common import client_files
from common import core_config
from common import parser


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--payload", default=None, help="JSON body to send")
    args = options.parse_args()

    consumer = SyncClient.create(
        system_name=args.name,
        address=args.address,
        port=args.port,
        config=core_config(args.server_port),
        **client_files(args.certs, args.name),
    )
    consumer.setup()
    consumer.add_orchestration_rule(args.service, args.method)

    extra = {} if args.payload is None else {"json": json.loads(args.payload)}
    response = consumer.consume_service(args.service, **extra)
    print(json.dumps({"status": response.status_code, "body": response.read_json()}))


if __name__ == "__main__":
    main()
