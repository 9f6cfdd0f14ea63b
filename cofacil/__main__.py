"""The `cofacil` command: the app, the demo, exports. Errors are one line on stderr, and every
line written there goes through `_say`, so what it quotes cannot steer the terminal."""

from __future__ import annotations

from cofacil import collector

# The program starts here: the collector waits until its first frame (see collector).
collector.pause_for_start()

import argparse
import json
import sys
import termios
from pathlib import Path
from typing import NoReturn

from cofacil import __version__, record
from cofacil.clock import Clock
from cofacil.display import visible
from cofacil.models import (
    EventBase,
    Group,
    Paused,
    Reopened,
    Resumed,
    Session,
    SessionEnded,
    SessionStarted,
)
from cofacil.storage import (
    NotFound,
    Store,
    StoreError,
    check_folder,
    default_data_dir,
    enable_encryption,
    is_encrypted,
    open_vault,
)
from cofacil.storage.vault import MIN_PASSPHRASE, PLAIN, Codec

# The formats of cofacil.export, which is loaded only when something is exported.
EXPORT_FORMATS = ("json", "csv", "md", "html")


def _say(line: str, end: str = "\n") -> None:
    """One line on stderr. It may quote an id or path that was typed, or text from a damaged
    file: its control characters are shown (an escape as ␛), never sent to the terminal."""
    print(visible(line), end=end, file=sys.stderr, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse quotes the arguments it could not take, raw: shown like every other line.
        _say(f"{self.prog}: {message} (see {self.prog} --help)")
        self.exit(2)


def _formats(text: str) -> list[str]:
    """`md` or `md,csv,json`: each one known, none twice."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in EXPORT_FORMATS]
    if not wanted or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)} (json, csv, md or html)"
        )
    return list(dict.fromkeys(wanted))


def _folder(text: str) -> Path:
    """`--data-dir`: an empty one is refused, not taken as the current folder (it is most often
    a shell variable that was never set)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty folder name; give the data folder's path")
    return Path(text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=_folder,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="data folder (default: $COFACIL_DATA_DIR, else the user data folder)",
    )
    common.add_argument(
        "--encrypt",
        action="store_true",
        default=argparse.SUPPRESS,
        help="encrypt the data folder from now on (asks for a new passphrase; see README)",
    )
    parser = _Parser(
        prog="cofacil",
        description="Track an in-person therapy group live, review it afterwards.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"cofacil {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.add_parser(
        "demo", parents=[common], help="open a live session of the demo group (made-up people)"
    )
    rv = commands.add_parser(
        "review", parents=[common], help="review a session (read-only; follows one in progress)"
    )
    rv.add_argument(
        "--session",
        default="latest",
        metavar="ID|N|latest",
        help="session id or number (default: the one being recorded now, followed; "
        "else the newest that has ended)",
    )
    ex = commands.add_parser("export", parents=[common], help="export a session")
    ex.add_argument(
        "--session",
        default="latest",
        metavar="ID|N|latest",
        help="session id or number (default: latest, the newest that has ended)",
    )
    ex.add_argument(
        "--format",
        type=_formats,
        metavar="FMT[,FMT…]",
        help="json, csv, md or html; with --all several at once (md,csv,json,html)",
    )
    ex.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE|DIR",
        help="file (default: stdout); a folder with --all",
    )
    ex.add_argument("--group", metavar="NAME|ID", help="with --all: every session of this group")
    ex.add_argument("--all", action="store_true", help="every session of --group, into -o DIR")
    ex.add_argument(
        "--per-member",
        action="store_true",
        help="one md note per member who came, into -o DIR, other members by initials "
        "(for pasting into each member's chart)",
    )
    ex.add_argument(
        "--seal",
        action="store_true",
        help="with --format json -o FILE: sealed with a passphrase of its own (asked), for "
        "carrying to another machine; cofacil import opens it",
    )
    ex.add_argument(
        "--include-private",
        action="store_true",
        help="keep the notes tagged #private (left out of every export otherwise)",
    )
    ex.add_argument(
        "--redact",
        action="store_true",
        help="pseudonyms for every name, #private notes left out (supervision, research)",
    )
    im = commands.add_parser(
        "import", parents=[common], help="take a session's json export into this data folder"
    )
    im.add_argument("file", type=Path, metavar="FILE", help="a json export (cofacil export)")
    commands.add_parser("groups", parents=[common], help="list the groups: ids and names")
    ls = commands.add_parser(
        "sessions", parents=[common], help="list the sessions: ids, numbers, dates and state"
    )
    ls.add_argument("--group", metavar="NAME|ID", help="only this group's")
    vf = commands.add_parser(
        "verify",
        parents=[common],
        help="check signed-off sessions against their digests (a data folder, or an exported "
        "json file)",
    )
    vf.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="an exported json file (default: every signed-off session of the data folder)",
    )
    return parser


def make_app(
    data_dir: Path,
    clock: Clock | None = None,
    *,
    demo: bool = False,
    review: str | None = None,
    codec: Codec = PLAIN,
    create: bool = True,
):
    """The app on a data folder; tests reuse this with a fake clock. Without `create` (review),
    a folder that is missing or not cofacil's is a one-line error and is left as it is."""
    # Making the app is part of the start: the collector waits until the first frame (it
    # already does when this module was the first thing imported; see collector).
    collector.pause_for_start()
    from cofacil.app import CofacilApp  # Textual loads only when an app is wanted
    from cofacil.demo import start_demo_session
    from cofacil.live import LiveSession, SessionView

    store = Store(data_dir, clock=clock, codec=codec, create=create)
    # Opened before the app runs, so a session held by another cofacil is a one-line error.
    live = LiveSession(store, start_demo_session(store).id) if demo else None
    if review == "latest" and (recorded := session_being_recorded(store)) is not None:
        review = recorded.id  # the group in the room now: followed, read-only
    elif review is not None:  # "latest" or an id; an unknown one is a one-line error here
        review = pick_session(store, review).id
    # Read before the app runs too: a log that cannot be read is a one-line error.
    view = SessionView(store, review) if review is not None else None
    return CofacilApp(store, live=live, review=view)


def pick_session(store: Store, wanted: str) -> Session:
    """`latest` (the newest one held), a session's id, or its number (as the app shows it) when
    only one group has a session with that number."""
    if wanted == "latest":
        return latest_held_session(store)
    if wanted.isascii() and wanted.isdigit():
        found = [s for s in store.sessions() if s.number == int(wanted)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NotFound(
                f"{len(found)} groups have a session {wanted}: give its id "
                "(cofacil export --format json shows ids)"
            )
    return store.session(wanted)


def pick_group(store: Store, wanted: str) -> Group:
    """A group by its id, or by its name as the screens show it (any case)."""
    groups = store.groups(include_archived=True)
    by_id = [g for g in groups if g.id == wanted]
    by_name = [g for g in groups if g.name.casefold() == wanted.strip().casefold()]
    found = by_id or by_name
    if len(found) == 1:
        return found[0]
    if found:
        raise NotFound(
            f"{len(found)} groups are called {visible(wanted)!r}: give its id (cofacil groups)"
        )
    raise NotFound(f"no group called or with id {visible(wanted)!r} (cofacil groups lists them)")


def session_state(store: Store, session: Session, events: list[EventBase]) -> str:
    """live (recorded now), signed off, ended, or not ended (left open)."""
    if store.being_recorded(session.id):
        return "live"
    if record.signed_off(events) is not None:
        return "signed off"
    return "ended" if _ended(events) else "not ended"


def _list_groups(store: Store) -> None:
    for group in store.groups(include_archived=True):
        count = len(store.sessions(group.id))
        archived = " (archived)" if group.archived else ""
        print(
            f"{group.id}  {visible(group.name)}{archived}  {len(group.members)} members, "
            f"{count} session{'' if count == 1 else 's'}"
        )


def _list_sessions(store: Store, group_name: str | None) -> None:
    groups = [pick_group(store, group_name)] if group_name else store.groups(include_archived=True)
    for group in groups:
        for session in store.sessions(group.id):
            state = session_state(store, session, store.read_events(session.id))
            print(
                f"{session.id}  {visible(group.name)}  #{session.number}  {session.date}  {state}"
            )


def session_being_recorded(store: Store) -> Session | None:
    """The newest session another cofacil is recording now, if any."""
    newest_first = sorted(store.sessions(), key=lambda s: s.created_at, reverse=True)
    return next((s for s in newest_first if store.being_recorded(s.id)), None)


# Events every session has, whether or not anything was recorded in it.
BOOKKEEPING = (SessionStarted, Reopened, Paused, Resumed, SessionEnded)


def _ended(events: list[EventBase]) -> bool:
    return any(isinstance(e, SessionEnded) for e in events)


def _held(events: list[EventBase]) -> bool:
    """Something was recorded in it: a turn, a note, a code …"""
    return any(not isinstance(e, BOOKKEEPING) for e in events)


def latest_held_session(store: Store) -> Session:
    """The newest session that has ended, else the newest with something recorded in it,
    else the newest: a session opened (or the demo) and left at once, or one still going,
    must not hide the one that was just held and is to be reviewed."""
    newest_first = sorted(store.sessions(), key=lambda s: s.created_at, reverse=True)
    held = None
    for session in newest_first:
        events = store.read_events(session.id)
        if _ended(events):
            return session
        if held is None and _held(events):
            held = session
    return held or store.latest_session()


def _tell_if_newer_still_open(store: Store, chosen: Session) -> None:
    """`latest` takes the newest session that has ended; one held after it but never ended
    (left with q, or a crash) is said on stderr, so it is not passed over unnoticed."""
    for session in store.sessions(chosen.group_id):
        if session.created_at <= chosen.created_at:
            continue
        events = store.read_events(session.id)
        if _held(events) and not _ended(events):
            _say(
                f"cofacil: session {session.number} has not been ended; this is session "
                f"{chosen.number} (--session {session.number} for the other)"
            )


def _read_passphrase(prompt: str) -> str:
    """A line from the terminal, not echoed; from stdin when that is not a terminal (scripts)."""
    try:
        passphrase = _read_line(prompt)
        # Bytes that are not UTF-8 fail to decode (strict stdin) or come back as lone
        # surrogates (surrogateescape) that fail here, before they reach the key derivation.
        passphrase.encode("utf-8")
    except UnicodeError:
        raise StoreError(
            "the passphrase is not valid UTF-8 text (check the terminal's encoding); "
            "nothing was changed"
        ) from None
    return passphrase


def _new_passphrase(prompt: str) -> str:
    """A passphrase being chosen: long enough, and typed twice at a terminal."""
    passphrase = _read_passphrase(prompt)
    if len(passphrase) < MIN_PASSPHRASE:
        raise StoreError(f"the passphrase needs at least {MIN_PASSPHRASE} characters")
    if sys.stdin.isatty() and _read_passphrase("The same passphrase again: ") != passphrase:
        raise StoreError("the two passphrases differ; nothing was changed")
    return passphrase


def _read_line(prompt: str) -> str:
    stdin = sys.stdin
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    fd = stdin.fileno()
    before = termios.tcgetattr(fd)
    quiet = [*before[:3], before[3] & ~termios.ECHO, *before[4:]]
    _say(prompt, end="")
    try:
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        return stdin.readline().rstrip("\r\n")
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, before)
        _say("")


def _unlock(data_dir: Path, encrypt: bool) -> Codec:
    """The folder's key, asked for when the folder is encrypted (or is to be from now on)."""
    if is_encrypted(data_dir):
        if encrypt:
            _say(f"cofacil: {data_dir} is encrypted already")
        passphrase = _read_passphrase(f"Passphrase for {data_dir}: ")
        if not passphrase:
            raise StoreError("no passphrase given; nothing was opened")
        return open_vault(data_dir, passphrase)
    if not encrypt:
        return PLAIN
    passphrase = _new_passphrase(f"New passphrase for {data_dir}: ")
    vault = enable_encryption(data_dir, passphrase)
    _say(
        f"cofacil: {data_dir} is encrypted from now on; without the passphrase "
        "nobody can read it, and nobody can recover it if it is lost"
    )
    return vault


def _open_store(data_dir: Path, codec: Codec) -> Store:
    """The folder for reading (export): one that is missing or not cofacil's is refused."""
    store = Store(data_dir, codec=codec, create=False)
    _tell_notices(store)
    return store


def _tell_notices(store: Store) -> None:
    """What the store found and mended (or found while reading) since it was last asked."""
    for notice in store.notices:
        _say(f"cofacil: recovered: {notice}")
    store.notices.clear()


def _render(store: Store, session_id: str, fmt: str, args: argparse.Namespace) -> str:
    from cofacil.live import SessionView

    # As filed: as the review shows it, and as signed once the session is signed off.
    view = SessionView(store, session_id)
    if args.redact and (suspects := view.redaction_suspects()):
        # Said before anything is written: names the roster does not know stay in the text.
        _say(
            f"cofacil: check session {view.session.number} before sharing it, these look like "
            f"names: {', '.join(visible(w) for w in suspects)}"
        )
    return view.rendered(fmt, redacted=args.redact, include_private=args.include_private)


def _export_all(args: argparse.Namespace, store: Store) -> None:
    from cofacil.export import file_stem

    if not args.group or args.output is None:
        raise StoreError("--all needs --group NAME|ID and -o DIR (the folder for the files)")
    group = pick_group(store, args.group)
    sessions = store.sessions(group.id)
    store.make_export_dir(args.output)
    for done, session in enumerate(sessions, start=1):
        for fmt in args.format:
            name = f"{file_stem(session)}.{fmt}"
            store.write_export(args.output / name, _render(store, session.id, fmt, args))
            _tell_notices(store)
            _say(f"[{done}/{len(sessions)}] {name}")


def _export_per_member(args: argparse.Namespace, store: Store, session: Session) -> None:
    from cofacil import export
    from cofacil.live import SessionView

    if args.output is None or args.redact or args.all:
        raise StoreError(
            "--per-member needs -o DIR, for one session, and names each member (not --redact)"
        )
    view = SessionView(store, session.id)  # as filed: as signed, once signed off
    files, unwritten = export.member_files(
        view.group, view.session, view.events, view.filed.notes, until=view.left_open_at()
    )
    _tell_notices(store)
    store.make_export_dir(args.output)
    for name, text in files.items():
        store.write_export(args.output / f"{name}.md", text)
        _say(f"wrote {args.output / name}.md")
    for member in unwritten:
        _say(f"cofacil: no note written for {visible(member)} yet: no file")
    if not files and not unwritten:
        _say(f"cofacil: nobody came to session {session.number}: no file")


def _export_sealed(args: argparse.Namespace, store: Store, text: str) -> None:
    from cofacil.transfer import seal

    if args.output is None or args.format != ["json"]:
        raise StoreError("--seal writes a json export to a file: --format json -o FILE")
    passphrase = _new_passphrase(f"Passphrase for {args.output}: ")
    store.write_export(args.output, seal(text, passphrase))
    _say(f"wrote {args.output}, sealed: give the passphrase to the reader another way")


def _export(args: argparse.Namespace, data_dir: Path, codec: Codec) -> None:
    if args.all and (args.per_member or args.seal):
        raise StoreError("--all writes every session as it is: not with --per-member or --seal")
    store = _open_store(data_dir, codec)
    if args.all:
        _export_all(args, store)
        return
    session = pick_session(store, args.session)
    if args.session == "latest":
        _tell_if_newer_still_open(store, session)
    if args.per_member:
        _export_per_member(args, store, session)
        return
    if len(args.format) > 1:
        raise StoreError("one format at a time for one session (several with --all)")
    text = _render(store, session.id, args.format[0], args)
    _tell_notices(store)  # a line of the journal that did not read is said, not skipped
    if args.seal:
        _export_sealed(args, store, text)
        return
    if args.output is None:
        sys.stdout.write(text)
    else:
        store.write_export(args.output, text)
        _say(f"wrote {args.output}")


# A session's export is a few megabytes even for a long, busy group: a file past this is not
# one (a device, a disk image), and is refused before it fills the memory.
EXPORT_MAX_BYTES = 64 * 1024 * 1024


def _read_export(path: Path) -> bytes:
    with open(path, "rb") as file:
        raw = file.read(EXPORT_MAX_BYTES + 1)
    if len(raw) > EXPORT_MAX_BYTES:
        raise StoreError(
            f"{path}: not a cofacil session export (larger than "
            f"{EXPORT_MAX_BYTES // (1024 * 1024)} MB)"
        )
    return raw


def _import(args: argparse.Namespace, data_dir: Path, codec: Codec) -> None:
    from cofacil.transfer import import_session, is_sealed, unseal

    raw = _read_export(args.file)  # before the folder is touched: a missing file changes nothing
    store = Store(data_dir, codec=codec)
    _tell_notices(store)
    if is_sealed(raw):
        text = unseal(raw, _read_passphrase(f"Passphrase for {args.file}: "), str(args.file))
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(f"{args.file}: not a cofacil session export (not UTF-8)") from None
    done = import_session(store, text, str(args.file))
    what = (
        f"session {done.session.number} of {visible(done.group.name)} "
        f"({done.session.date}, {done.events} events)"
    )
    if done.already_here:
        print(f"{what} is here already, identical: nothing to do")
    else:
        print(f"imported {what} into {data_dir}")


def _verdict_line(where: str, verdict: record.Verdict) -> str:
    signed = verdict.signed
    assert signed is not None
    by = f"signed off by {visible(signed.name)} {signed.at.isoformat(timespec='minutes')}"
    if verdict.redacted:
        return f"{where}, {by}: a redacted copy, which cannot be checked against its digest"
    if not verdict.checked:
        return f"{where}, {by}: signed before digests were kept, nothing to check"
    if verdict.holds:
        return f"{where}, {by}: as signed (SHA-256 {verdict.expected})"
    if verdict.not_addenda:
        return (
            f"{where}, {by}: DIFFERS, changed after sign-off: {verdict.not_addenda} event(s) "
            "after it that are not addenda"
        )
    return (
        f"{where}, {by}: DIFFERS from its digest, changed after sign-off "
        f"(signed {verdict.expected}, now {verdict.found})"
    )


def _verify(args: argparse.Namespace, data_dir: Path, codec: Codec) -> int:
    """One line per signed-off session; 0 if every one is as signed, 1 if any differs."""
    lines: list[tuple[str, record.Verdict]] = []
    if args.file is not None:
        from cofacil import export

        try:
            text = _read_export(args.file).decode("utf-8")
            group, session, events = export.from_json(text)
        except ValueError as error:  # UnicodeDecodeError too
            reason = str(error).splitlines()[0]
            raise StoreError(f"{args.file}: not a cofacil session export ({reason})") from None
        verdict = record.verify(events)
        if verdict.signed is None:
            _say(f"cofacil: {args.file}: session {session.number} is not signed off")
            return 1
        if json.loads(text).get("private_left_out"):
            _say(
                f"cofacil: {args.file}: its #private notes were left out, so it cannot be "
                "checked against the digest (export it with --include-private)"
            )
            return 1
        lines.append((f"{args.file}: session {session.number} of {visible(group.name)}", verdict))
    else:
        store = _open_store(data_dir, codec)
        for group in store.groups(include_archived=True):
            for session in store.sessions(group.id):
                verdict = record.verify(store.read_events(session.id))
                if verdict.signed is not None:
                    where = f"{visible(group.name)}, session {session.number} ({session.date})"
                    lines.append((where, verdict))
        _tell_notices(store)
        if not lines:
            _say(f"cofacil: no signed-off session in {data_dir}")
            return 0
    for where, verdict in lines:
        print(_verdict_line(where, verdict))
    if any(v.redacted for _, v in lines):
        return 1  # nothing was confirmed
    return 0 if all(v.holds or not v.checked for _, v in lines) else 1


def _on_a_terminal() -> bool:
    """Keys come from standard input; Textual draws on standard error (its driver's choice,
    so that standard output stays free for a program's result)."""
    return all(stream is not None and stream.isatty() for stream in (sys.__stdin__, sys.__stderr__))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "export" and args.format is None and not args.per_member:
        parser.error("export: say which format: --format json, csv, md or html (or --per-member)")
    data_dir = getattr(args, "data_dir", None) or default_data_dir()
    # Reading commands never make a data folder; demo and the home screen may.
    create = args.command not in ("export", "review", "verify", "groups", "sessions")
    if args.command not in (None, "demo", "review"):
        collector.end_start()  # no screen to draw: the command's own work runs as usual
    try:
        if args.command == "verify" and args.file is not None:
            return _verify(args, data_dir, PLAIN)  # a file: no data folder is opened
        # A folder that is not cofacil's (a file, someone else's files, a shared folder) is
        # refused before a passphrase is asked for or anything is written, `--encrypt` included.
        check_folder(data_dir, create)
        codec = _unlock(data_dir, getattr(args, "encrypt", False))
        if args.command == "export":
            _export(args, data_dir, codec)
            return 0
        if args.command == "verify":
            return _verify(args, data_dir, codec)
        if args.command == "import":
            _import(args, data_dir, codec)
            return 0
        if args.command in ("groups", "sessions"):
            store = _open_store(data_dir, codec)
            if args.command == "groups":
                _list_groups(store)
            else:
                _list_sessions(store, args.group)
            return 0
        if not _on_a_terminal():
            # Without one the screen has no keys to read, and would wait for them at the cost
            # of a whole core, unseen, for as long as it is left running. Said before anything
            # is opened: a session opened and let go would record a gap that never was.
            name = f"cofacil {args.command}" if args.command else "cofacil"
            _say(f"{name}: needs a terminal (its input or its screen is not one)")
            return 2
        review = args.session if args.command == "review" else None
        app = make_app(
            data_dir, demo=args.command == "demo", review=review, codec=codec, create=create
        )
        app.run()
        return app.return_code or 0
    except NotFound as error:
        _say(f"cofacil: {error}")
        return 3
    except StoreError as error:
        _say(f"cofacil: {error}")
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        _say(f"cofacil: {error.strerror or error}{where}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
