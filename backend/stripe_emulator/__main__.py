"""`python -m backend.stripe_emulator --port 12111 --webhook-url URL --webhook-secret whsec_…`: run it standalone."""
from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

from backend.stripe_emulator import StripeEmulator

logger = logging.getLogger("backend.stripe_emulator")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", default=None, help="where events are POSTed (none: events are only kept)")
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_emulator"))
    parser.add_argument("--secret-key", default="sk_test_emulator", help="the API key clients must send")
    parser.add_argument("--public-url", default=None,
                        help="base URL a phone uses to open the pay pages (default: http://HOST:PORT)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    emulator = StripeEmulator(args.webhook_url, args.webhook_secret, secret_key=args.secret_key,
                              public_url=args.public_url)
    emulator.base_url = f"http://{args.host}:{args.port}"
    logger.info("Stripe emulator on %s (pay pages on %s), webhooks to %s", emulator.base_url, emulator.public_url,
                args.webhook_url or "nowhere")
    web.run_app(emulator.app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
