"""The `accueil` command: serve, migrate, demo, and the administration an installer needs."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from aiohttp import web
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncSession

from backend import demo
from backend.appkeys import utc_now
from backend.clients import importing
from backend.core.db import Database
from backend.core.errors import ApiError
from backend.core.migrate import alembic_config, upgrade
from backend.kiosks import service as kiosks
from backend.organisation import service as organisation
from backend.settings import Settings
from backend.staff import service as staff
from shared.enums import Role

log = logging.getLogger("accueil")
T = TypeVar("T")


def _database(settings: Settings) -> Database:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.sqlalchemy_url)


async def _migrate(settings: Settings) -> None:
    database = _database(settings)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


async def _pending_migrations(settings: Settings) -> bool:
    database = _database(settings)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        async with database.engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await database.dispose()
    return current != head


def _serve(settings: Settings, host: str, port: int) -> None:
    from backend.app import create_app

    if asyncio.run(_pending_migrations(settings)):
        sys.exit("error: the database is not up to date; run `accueil migrate` first.")
    web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None)


async def _demo(settings: Settings) -> str:
    await _migrate(settings)
    seeded = await _in_transaction(settings, lambda session: demo.seed(session, utc_now()))
    database = _database(settings)
    try:
        token = await demo.kiosk_token(database, settings.data_dir, utc_now())
    finally:
        await database.dispose()
    log.info("demo clinic %s", "seeded" if seeded else "already present")
    return token


def _print_demo(settings: Settings, host: str, port: int, with_kiosk: bool) -> None:
    base = f"http://{host}:{port}"
    if with_kiosk:
        kiosk = f"opening in a window; its staff PIN is {demo.KIOSK_PIN}"
    else:
        kiosk = (f"no display here, so not started; on a machine with a screen: "
                 f"accueil kiosk --backend {base} --token-file {settings.data_dir / demo.KIOSK_TOKEN_FILE}")
    payments = (f"local Stripe emulator at http://127.0.0.1:{settings.stripe_emulator_port} (test mode; the kiosk "
                f"taps test cards)" if settings.stripe_emulator else "Stripe test mode")
    lines = [
        "",
        "Accueil demo: Clinique médicale du Parc",
        f"  Backend       {base}   (health: {base}/readyz, API: {base}/api/openapi.json)",
        f"  Staff panel   {base}/panel/   (sign in with a login below; API tokens: POST {base}/api/auth/token)",
        f"  Kiosk         {kiosk}",
        f"  Payments      {payments}",
        f"  Demo logins   password for each: {demo.DEMO_PASSWORD}",
    ]
    for login, name, roles, departments, _listed in demo.STAFF:
        where = ", ".join(departments) or "all departments"
        lines.append(f"    {login:<13} {name:<22} {', '.join(sorted(roles))} ({where})")
    lines.append("  Stop with Ctrl+C.")
    print("\n".join(lines), flush=True)


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database, committed on success."""
    database = _database(settings)
    try:
        async with database.write() as session:
            return await work(session)
    finally:
        await database.dispose()


def _create_user(args: argparse.Namespace, password: str) -> Callable[[AsyncSession], Awaitable[int]]:
    async def work(session: AsyncSession) -> int:
        member = await staff.create_staff(
            session, login=args.username, display_name=args.name or args.username, roles=set(args.role),
            department_names=args.department or [], password=password, email=args.email,
            listed_at_kiosk=args.listed, at=utc_now())
        return member.id

    return work


async def _create_kiosk(session: AsyncSession, name: str, site_id: int | None) -> str:
    kiosk, token = await kiosks.create_kiosk(session, name, at=utc_now(), site_id=site_id)
    code = await kiosks.issue_pairing_code(session, kiosk.id, at=utc_now())
    hours = int(kiosks.PAIRING_CODE_LIFETIME.total_seconds() // 3600)
    return (f"Kiosk {name!r} registered (id {kiosk.id}). Each of these is shown once:\n"
            f"  pairing code  {code[:4]} {code[4:]}   (type it on the kiosk; single use, valid {hours} hours)\n"
            f"  token         {token}   (or give it to `accueil kiosk --token-file`)")


def _demo_with_kiosk(settings: Settings, host: str, port: int, token: str) -> None:
    """The backend in a child process, the kiosk window in this one (Kivy wants the main thread)."""
    from kiosk.launcher import launch, pair_with_token
    from kiosk.settings import KioskSettings

    backend = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--host", host, "--port", str(port)])
    try:
        base = f"http://{host}:{port}"
        if not _wait_ready(f"{base}/readyz", backend):
            sys.exit("error: the backend did not start; see its log above.")
        kiosk_settings = KioskSettings(data_dir=settings.data_dir / "kiosk", fullscreen=False)
        pair_with_token(kiosk_settings, base, token, demo.KIOSK_PIN)
        launch(kiosk_settings, base)
    finally:
        backend.terminate()
        backend.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _kiosk(args: argparse.Namespace) -> None:
    from kiosk.launcher import launch, pair_with_token
    from kiosk.settings import KioskSettings

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    if args.windowed:
        overrides["fullscreen"] = False
    settings = KioskSettings(**overrides)
    backend_url = args.backend or settings.backend_url
    if args.token_file:
        if not backend_url:
            sys.exit("error: --token-file needs --backend")
        pin = sys.stdin.readline().strip()
        if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
            sys.exit("error: the staff PIN (on standard input) must be 4 to 8 digits")
        pair_with_token(settings, backend_url, args.token_file.read_text().strip(), pin)
    launch(settings, backend_url)


IMPORT_PROBLEM_ROWS_SHOWN = 200


def _progress_bar(phase: str, done: int, total: int) -> None:
    """One line on the terminal, redrawn: `checking [#####     ] 5,000/10,000`."""
    width = 30
    filled = width * done // total if total else width
    sys.stderr.write(f"\r{phase:<8} [{'#' * filled}{' ' * (width - filled)}] {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _read_import(args: argparse.Namespace) -> tuple[importing.Sheet, dict[str, str | None]]:
    try:
        raw = args.file.read_bytes()
    except OSError as error:
        sys.exit(f"error: cannot read {args.file}: {error.strerror}")
    try:
        given = json.loads(args.mapping) if args.mapping else None
    except ValueError:
        sys.exit("error: --mapping is not JSON")
    if given is not None and not (isinstance(given, dict) and all(isinstance(v, str) or v is None
                                                                  for v in given.values())):
        sys.exit('error: --mapping must be a JSON object: column → field or null, e.g. {"Nom": "family_name"}')
    try:
        sheet = importing.read_sheet(raw)
        mapping, _ = importing.resolve_mapping(sheet.columns, given)
    except importing.SheetError as error:
        sys.exit(f"error: {error}")
    return sheet, mapping


async def _import_clients(settings: Settings, sheet: importing.Sheet, mapping: dict[str, str | None],
                          dry_run: bool) -> tuple[importing.Checked, int]:
    """Checked, and stored unless refused or a dry run, in one transaction: all rows or none."""
    database = _database(settings)
    at = utc_now()
    try:
        async with (database.read() if dry_run else database.write()) as session:
            site = await organisation.site(session, await organisation.only_site_id(session))
            checked = await importing.check(session, site, sheet, mapping, at.date(), progress=_progress_bar)
            if checked.problems or dry_run:
                return checked, 0
            return checked, await importing.store(session, site, checked, ("system", None), at,
                                                  progress=_progress_bar)
    finally:
        await database.dispose()


def _import_report(args: argparse.Namespace, settings: Settings) -> None:
    sheet, mapping = _read_import(args)
    read_as = sheet.format + (f", {sheet.encoding}, separator {sheet.separator!r}" if sheet.format == "csv" else "")
    print(f"{args.file}: {read_as}; {len(sheet.rows):,} rows, {sheet.blank_rows:,} blank rows skipped")
    print("columns: " + ", ".join(f"{column} → {target or '(ignored)'}" for column, target in mapping.items()))
    checked, created = asyncio.run(_import_clients(settings, sheet, mapping, args.dry_run))
    if checked.problems:
        by_row: dict[int, list[str]] = {}
        for problem in checked.problems:
            where = f"{problem.column}: " if problem.column else ""
            by_row.setdefault(problem.row, []).append(where + problem.detail)
        for row, details in list(by_row.items())[:IMPORT_PROBLEM_ROWS_SHOWN]:
            print(f"  row {row}: " + "; ".join(details))
        if len(by_row) > IMPORT_PROBLEM_ROWS_SHOWN:
            print(f"  … and {len(by_row) - IMPORT_PROBLEM_ROWS_SHOWN:,} more rows with problems")
        sys.exit(f"error: {len(by_row):,} of {len(sheet.rows):,} rows have problems; nothing was imported.")
    if args.dry_run:
        print(f"dry run: all {len(sheet.rows):,} rows would be imported; nothing was stored.")
    else:
        print(f"imported {created:,} clients.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accueil", description="Accueil: lobby kiosk and staff backend.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the backend")
    demo_cmd = commands.add_parser("demo", help="migrate, seed the demo clinic once, and run the backend")
    demo_cmd.add_argument("--no-kiosk", action="store_true", help="only the backend, even with a display")
    for sub in (serve, demo_cmd):
        sub.add_argument("--host", help="address to listen on (default: ACCUEIL_HOST or 127.0.0.1)")
        sub.add_argument("--port", type=int, help="port to listen on (default: ACCUEIL_PORT or 8080)")
    commands.add_parser("migrate", help="bring the database schema up to date")

    user = commands.add_parser("create-user", help="create a staff account")
    user.add_argument("username")
    user.add_argument("--role", action="append", required=True, choices=[r.value for r in Role],
                      help="repeat for several roles")
    user.add_argument("--department", action="append", help="department name (French or English); repeatable")
    user.add_argument("--name", help="full name as shown to colleagues and visitors")
    user.add_argument("--email")
    user.add_argument("--listed", action="store_true", help="visitors may ask for this person at the kiosk")
    user.add_argument("--password-stdin", action="store_true", required=True,
                      help="read the password from standard input")

    kiosk_cmd = commands.add_parser("kiosk", help="run the lobby kiosk app")
    kiosk_cmd.add_argument("--backend", help="the backend's address, e.g. http://192.168.1.10:8080 "
                                             "(kept after pairing)")
    kiosk_cmd.add_argument("--data-dir", type=Path, help="kiosk data (default: ACCUEIL_KIOSK_DATA_DIR or var/kiosk)")
    kiosk_cmd.add_argument("--windowed", action="store_true", help="a 1280×800 window instead of full screen")
    kiosk_cmd.add_argument("--token-file", type=Path,
                           help="pair with this kiosk token instead of a pairing code; the staff PIN is read "
                                "from standard input")

    token = commands.add_parser("create-token", help="create a staff API token (printed once)")
    token.add_argument("username")
    token.add_argument("--label", default="api", help="what the token is for")

    clients = commands.add_parser("import-clients", help="import client records from a CSV or XLSX file: every "
                                                         "row, or none if any row has a problem")
    clients.add_argument("file", type=Path)
    clients.add_argument("--mapping", help='JSON object, column → field or null to ignore it, e.g. '
                                           '\'{"Nom": "family_name", "Âge": null}\'; other columns keep the guess')
    clients.add_argument("--dry-run", action="store_true", help="check every row and report; store nothing")

    kiosk = commands.add_parser("create-kiosk", help="register a kiosk and print its token (printed once)")
    kiosk.add_argument("name")
    kiosk.add_argument("--site", type=int, help="site id, when there are several")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except Exception as error:  # pydantic's message names the variable and the problem
        sys.exit(f"error: invalid settings: {error}")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in {"create-user", "create-token", "create-kiosk", "import-clients"} and asyncio.run(
            _pending_migrations(settings)):
        sys.exit("error: the database is not up to date; run `accueil migrate` first.")
    host = getattr(args, "host", None) or settings.host
    port = getattr(args, "port", None) or settings.port
    # Where it really listens: receipt links and the emulator's webhooks are built from these.
    settings = settings.model_copy(update={"host": host, "port": port})
    try:
        match args.command:
            case "serve":
                _serve(settings, host, port)
            case "migrate":
                asyncio.run(_migrate(settings))
                print(f"database is up to date ({settings.database_label})")
            case "demo":
                if settings.stripe_secret_key is None:
                    # No Stripe account: payments go to the local emulator, by the very same code path.
                    settings = settings.model_copy(update={"stripe_emulator": True})
                    os.environ["ACCUEIL_STRIPE_EMULATOR"] = "true"  # for the backend's own process
                elif settings.stripe_live:
                    sys.exit("error: the demo does not run with a live Stripe key (ACCUEIL_STRIPE_SECRET_KEY); "
                             "use a test key, or none for the local Stripe emulator.")
                token = asyncio.run(_demo(settings))
                with_kiosk = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and not args.no_kiosk
                _print_demo(settings, host, port, with_kiosk)
                if with_kiosk:
                    _demo_with_kiosk(settings, host, port, token)
                else:
                    _serve(settings, host, port)
            case "create-user":
                password = sys.stdin.readline().rstrip("\r\n")
                staff_id = asyncio.run(_in_transaction(settings, _create_user(args, password)))
                print(f"created staff member {args.username} (id {staff_id})")
            case "kiosk":
                _kiosk(args)
            case "create-token":
                print(asyncio.run(_in_transaction(settings, lambda session: staff.create_token(
                    session, args.username, label=args.label, at=utc_now()))))
            case "create-kiosk":
                print(asyncio.run(_in_transaction(settings, lambda session: _create_kiosk(
                    session, args.name, args.site))))
            case "import-clients":
                _import_report(args, settings)
    except ApiError as error:
        details = "".join(f"\n  {p.field}: {p.detail}" for p in error.errors)
        sys.exit(f"error: {error.detail}{details}")


if __name__ == "__main__":
    main(sys.argv[1:])
