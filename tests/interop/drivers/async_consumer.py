"""Consumer driver: the library's AsyncClient orchestrates and consumes one service.

Prints one JSON line ``{"status": ..., "body": ...}`` with the provider's reply.
"""

import asyncio
import json

from arrowhead_client.client.implementations import AsyncClient
from common import client_files
from common import core_config
from common import parser


async def run(args) -> dict:
    consumer = AsyncClient.create(
        system_name=args.name,
        address=args.address,
        port=args.port,
        config=core_config(args.server_port),
        **client_files(args.certs, args.name),
    )
    async with consumer:
        await consumer.add_orchestration_rule(args.service, args.method)
        response = await consumer.consume_service(args.service)
        return {"status": response.status_code, "body": response.read_json()}


def main() -> None:
    args = parser(__doc__).parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
