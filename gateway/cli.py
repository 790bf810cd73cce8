"""The `lapor-gateway` command: run, check-config, db, complaints, parse, regions, smsc-sim, demo.

The asyncio reactor is installed before anything else imports Twisted's reactor:
python-telegram-bot needs asyncio, and a reactor cannot be changed once installed.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import select
import sys

from gateway.channels.registry import RegistryError
from gateway.config import DEFAULT_CONFIG, ConfigError, Settings, settings_for_command
from gateway.parsers.mapping_file import MappingError
from gateway.journal.migrate import SchemaMismatch

EX_CONFIG = 78
EX_SOFTWARE = 70
#: the status a shell shows for git or seq killed by SIGPIPE (128 + 13) when their reader
#: left early (`regions list | head`); `set -o pipefail` then treats us alike
EX_READER_GONE = 141


def install_reactor():
    from twisted.internet import asyncioreactor
    if "twisted.internet.reactor" not in sys.modules:
        asyncioreactor.install()
    from twisted.internet import reactor
    return reactor


def load_settings(args) -> Settings:
    return settings_for_command(args.config)


def cmd_run(args) -> int:
    reactor = install_reactor()
    from gateway.daemon import run_daemon
    return run_daemon(load_settings(args), reactor)


CHECK_CONFIG_OUTPUT = ("The report (JSON: the config, database, channels, where each secret comes"
                       " from) goes to stdout; warnings, problems and the closing 'FILE: OK' go to"
                       " stderr, after the report, so `2>&1` keeps them in that order and"
                       " `check-config FILE | jq` reads only JSON. Exit 78 if broken.")


def cmd_check_config(args) -> int:
    from gateway.channels.registry import channel_kinds
    from gateway.config import secret_names
    from gateway.service import check_ready_to_run
    from gateway.updates.webhook import SECRET_NAME as WEBHOOK_SECRET, where_served
    settings = load_settings(args)
    # The checks `run` makes before it opens anything, the channels built (nothing connects).
    check_ready_to_run(settings, install_reactor())
    resolver = settings.secrets_resolver()
    found = {name: resolver.get(name, required=False)
             for name in dict.fromkeys([*secret_names(), *settings.required_secrets()])}
    print(json.dumps({
        "config": settings.source,
        "state_directory": str(settings.state_directory),
        "database": settings.database.url or "sqlite (state directory)",
        "mapping": str(settings.parser.mapping_path)
                   + (" (packaged)" if settings.parser.mapping_is_packaged else ""),
        "forwarder": settings.forwarder.adapter,
        "channels": {kind.name: settings.channels[section].enabled
                     for section, kind in channel_kinds().items()},
        "secrets": {n: (s.origin if s else "not set") for n, s in found.items()},
        "case_store_events": where_served(settings.http, found.get(WEBHOOK_SECRET) is not None),
    }, indent=2))
    # stdout is block-buffered into a pipe and stderr is not: without this, `2>&1 | less`
    # shows the OK line above the report it concludes.
    sys.stdout.flush()
    for notice in settings.deprecated:
        print(f"lapor-gateway: warning: {notice}", file=sys.stderr)
    print(f"{settings.source}: OK", file=sys.stderr)
    return 0


def cmd_db_upgrade(args) -> int:
    from gateway.journal.migrate import upgrade_database
    before, after = upgrade_database(load_settings(args).database_url)
    print(f"schema: {before or 'empty'} -> {after}")
    return 0


def cmd_demo(args) -> int:
    reactor = install_reactor()
    from gateway.demo import run_demo
    return run_demo(reactor, args)


def _add_config(parser) -> None:
    parser.add_argument("-c", "--config", help=f"TOML config (default: $LAPOR_CONFIG or {DEFAULT_CONFIG}"
                                               " if present, else built-in defaults)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lapor-gateway",
                                     description="SP4N-LAPOR! intake gateway: SMS, X and Telegram"
                                                 " complaints to the central case store.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the gateway daemon")
    _add_config(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="validate the config (and region mapping); exit 78 if broken",
                       description=CHECK_CONFIG_OUTPUT)
    p.add_argument("config_file", nargs="?", help="the config to check (or --config)")
    _add_config(p)
    p.set_defaults(func=cmd_check_config)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    p = db.add_parser("upgrade", help="apply the schema migrations")
    _add_config(p)
    p.set_defaults(func=cmd_db_upgrade)

    from gateway.admin import register as register_admin
    from gateway.admin_replies import register as register_replies
    register_admin(sub, _add_config)
    register_replies(sub, _add_config)

    p = sub.add_parser("demo", help="run the gateway on its embedded defaults with sample messages")
    _add_config(p)
    p.add_argument("--state-directory", help="where to keep the demo's database (default: a temporary"
                                             " folder, removed afterwards)")
    p.set_defaults(func=cmd_demo)

    # Rooms that bring their own commands.
    for module in ("gateway.parsers.commands", "gateway.smsc_sim.command"):
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
    return parser


def find_mapping(args) -> None:
    """`parse` and `regions`: without --mapping, the mapping in force for --config (or
    $LAPOR_CONFIG, or the packaged one) — the file `run` reads."""
    needed = [name for name in ("mapping", "before") if hasattr(args, name) and getattr(args, name) is None]
    if not hasattr(args, "mapping") or not needed:
        return   # --mapping (and --before) given: no config read, none can get in the way
    parser = settings_for_command(args.config).parser
    in_force = str(parser.mapping_path)
    if hasattr(args, "before") and args.before is None:
        args.before = in_force
    if args.mapping is None:
        args.mapping, args.mapping_packaged = in_force, parser.mapping_is_packaged


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "config_file", None):
        args.config = args.config_file
    try:
        find_mapping(args)
        status = args.func(args)
        # Inside the try: what is still buffered meets a closed pipe here, not at exit.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        if not _stdout_gone():
            raise   # some other pipe or socket: a fault to see, not a reader who left
        # Python flushes stdout again at exit; give that flush somewhere to go
        # (the Python docs' "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EX_READER_GONE
    except ConfigError as e:
        print(f"lapor-gateway: {e}", file=sys.stderr)
        return EX_CONFIG
    except (MappingError, SchemaMismatch, RegistryError) as e:
        print(f"lapor-gateway: {e}", file=sys.stderr)
        return EX_CONFIG


def _stdout_gone() -> bool:
    """Whether nobody reads our stdout any more (`| head` has exited): its write end of a
    pipe or socket then polls as an error or hang-up."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))
    except (OSError, ValueError):   # stdout closed or replaced by something without a file
        return False


if __name__ == "__main__":
    sys.exit(main())
