"""Where a command's output goes: stdout or the ``-o`` file, written so that nothing is lost.

- An ``-o`` file that is a regular file (or does not exist yet) is written to a
  temporary file beside it, which replaces it only when the whole output is written:
  a run that fails or is interrupted midway leaves the old file as it was. Other
  targets (``/dev/stdout``, a FIFO, a device) are written directly.
- The output is refused when it is the same file as the input (compared by device
  and inode, as ``cat`` does): reading a file while writing it loses it.
- Text is written as it was made, byte for byte, to stdout and to a file alike
  (``click.echo`` would strip escape sequences from stdout when it is not a terminal).
  A file is UTF-8; on a stream whose encoding cannot spell a character, JSON is
  written with ``\\u`` escapes (the same data), SVG and HTML with character
  references, and everything else with ASCII spellings (``x`` for ×, ``->`` for →).
- A write that fails is a one-line error (exit 2); a pipe closed by its reader ends
  the run quietly (exit 141, as a program ended by SIGPIPE).

Nothing here imports Rich: the machine formats stay light.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, NoReturn

import click

from ..model.records import Record, init
from .errors import CheckFailed

__all__ = [
    "SPELLING_ERRORS",
    "Gates",
    "Output",
    "OutputError",
    "PipeClosed",
    "fitted",
    "input_of",
    "opened",
    "say",
]

SPELLING_ERRORS = "convcalc-ascii"
"""The name of the codec error handler that writes what an encoding cannot spell in
ASCII: ``x`` for ×, ``->`` for →, and ``\\x1b``-style escapes for anything else."""

SPELLINGS = {
    "×": "x",
    "→": "->",
    "←": "<-",
    "−": "-",
    "–": "-",
    "—": "--",
    "·": "*",
    "≈": "~",
    "≠": "!=",
    "≤": "<=",
    "≥": ">=",
    "²": "^2",
    "³": "^3",
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "…": "...",
    "█": "#",
    "▉": "#",
    "▊": "#",
    "▋": "#",
    "▌": "#",
    "▍": "",
    "▎": "",
    "▏": "",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    # Box drawing, should a table be drawn with it for an encoding that lacks it.
    **dict.fromkeys("─━═╌┄", "-"),
    **dict.fromkeys("│┃║╎┆", "|"),
    **dict.fromkeys("┌┐└┘├┤┬┴┼╭╮╯╰╞╡╤╧╪┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬", "+"),
}


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    from ..views.text import escape_char

    bad = error.object[error.start : error.end]
    return "".join(SPELLINGS.get(c, escape_char(c)) for c in bad), error.end


codecs.register_error(SPELLING_ERRORS, _spell)

_NOT_ASCII = r"[^\x00-\x7f]"
_UNSAFE_IN_JSON = r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def fitted(text: str, encoding: str, kind: str = "text") -> str:
    """``text`` made writable in ``encoding``, changed only where it cannot be.

    JSON keeps its data exactly (``\\u`` escapes); ``markup`` (SVG, HTML) uses
    character references; other text gets ASCII spellings.

    >>> fitted("3×3 → 1", "ascii"), fitted('{"k": "3×3"}', "ascii", "json")
    ('3x3 -> 1', '{"k": "3\\\\u00d73"}')
    """
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        pass
    else:
        return text
    if kind == "json":
        return re.sub(_NOT_ASCII, _json_escape, text)
    errors = "xmlcharrefreplace" if kind == "markup" else SPELLING_ERRORS
    return text.encode(encoding, errors).decode(encoding)


def json_safe(text: str) -> str:
    """JSON text with the characters a terminal may act on (C1 controls, DEL, bidi
    overrides, lone surrogates) written as ``\\u`` escapes: the same data.

    >>> json_safe('"a\\x9b2Jb"')
    '"a\\\\u009b2Jb"'
    """
    try:
        latin = text.encode("latin-1")
    except UnicodeEncodeError:
        pass
    else:
        # The common case, in two passes of C (a batch writes one such text a line):
        # within Latin-1 only DEL and the C1 controls are unsafe. isprintable() looks
        # each character up, four times slower.
        if len(latin.translate(None, _DEL_AND_C1)) == len(latin):
            return text
    if text.replace("\n", "").isprintable():
        return text  # without compiling a pattern at start-up
    return re.sub(_UNSAFE_IN_JSON, _json_escape, text)


_DEL_AND_C1 = bytes(range(0x7F, 0xA0))


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class OutputError(click.UsageError):
    """The output cannot be written: one line on stderr, exit 2."""


class PipeClosed(Exception):
    """The reader of stdout has gone (``| head``): the run ends quietly, exit 141."""


PIPE_CLOSED_STATUS = 128 + 13
"""What a shell reports for a program ended by SIGPIPE."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def say(message: str) -> None:
    """One line on stderr, spelled for its encoding; nothing if stderr is gone."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(fitted(message + "\n", getattr(stream, "encoding", None) or "utf-8"))
        stream.flush()
    except (OSError, ValueError):
        pass


def silence_stdout() -> None:
    """Point the process's stdout at /dev/null, so that what is still buffered does
    not fail again (with a second message) when the interpreter exits: the
    recipe of Python's documentation for SIGPIPE."""
    stream = sys.__stdout__
    if stream is None or real_stdout() is not stream:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _identity(handle: Any) -> tuple[int, int, int] | None:
    """(device, inode, mode) of an open file or a path, or None if there is none."""
    try:
        if isinstance(handle, str):
            info = os.stat(handle)
        else:
            info = os.fstat(handle.fileno())
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return info.st_dev, info.st_ino, info.st_mode


def _same_file(source: Any, target: Any) -> bool:
    """Whether writing to ``target`` would write into the regular file ``source`` reads."""
    if source is None:
        return False
    read, written = _identity(source), _identity(target)
    return (
        read is not None
        and written is not None
        and read[:2] == written[:2]
        and stat.S_ISREG(read[2])
    )


def _refuse_same_file(source: Any, target: Any) -> None:
    if _same_file(source, target):
        name = "standard output" if not isinstance(target, str) else repr(target)
        raise OutputError(f"{name}: input file is output file: write the output to another file")


Write = Callable[[str], None]


@contextmanager
def opened(
    path: str | None, kind: str = "text", *, source: Any = None, option: str = "'-o' / '--output'"
) -> Iterator[Write]:
    """A function that writes text to ``path``, or to stdout if it is None or ``-``.

    ``kind`` says how to write what the stream's encoding cannot (``json``,
    ``markup`` or ``text``); ``source`` is the input (an open file or a path),
    which the output must not be; ``option`` is the option a failure names. A file
    replaces the old one only when the block ends without an error.
    """
    if path is None or path == "-":
        with _stdout(kind, source) as write:
            yield write
    else:
        with _file(path, kind, source, option) as write:
            yield write


def _encoded(text: str, encoding: str, kind: str) -> bytes:
    if os.linesep != "\n":
        text = text.replace("\n", os.linesep)  # as a text stream would write it
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return fitted(text, encoding, kind).encode(encoding, SPELLING_ERRORS)


def _write_all(binary: Any, data: bytes) -> None:
    """Write every byte, or raise. A buffered writer may take only part of a large
    write (when a pipe's reader goes, the kernel returns a short count and Python
    drops the rest without an error): write the rest, so the error comes."""
    view: bytes | memoryview = data  # a view only for what is left after a short write
    while True:
        try:
            written = binary.write(view) or 0
        except BlockingIOError as error:  # a non-blocking stdout left so by a parent
            written = error.characters_written
            _wait_writable(binary)
        if written >= len(view):
            return
        if not written:  # a raw non-blocking stream says None where it would block
            _wait_writable(binary)
        view = memoryview(view)[written:]


def _wait_writable(binary: Any) -> None:
    import select

    try:
        select.select([], [binary.fileno()], [])
    except (OSError, ValueError):
        pass


@contextmanager
def _stdout(kind: str, source: Any) -> Iterator[Write]:
    stream = real_stdout()
    if stream is None:
        raise OutputError(
            "cannot write the output: standard output is closed (give a file with -o)"
        )
    _refuse_same_file(source, stream)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    binary = getattr(stream, "buffer", None)
    safe = json_safe if kind == "json" else (lambda text: text)
    try:
        stream.flush()  # what Click wrote before, if anything, goes first
    except Exception as error:
        _stdout_failed(error)

    def write(text: str) -> None:
        text = safe(text)
        try:
            if binary is None:  # a text stream of the caller's (tests, StringIO)
                stream.write(text if _is_utf8(encoding) else fitted(text, encoding, kind))
            else:
                _write_all(binary, _encoded(text, encoding, kind))
        except Exception as error:
            _stdout_failed(error)

    yield write
    try:
        (binary or stream).flush()
    except Exception as error:
        _stdout_failed(error)


def _stdout_failed(error: Exception) -> NoReturn:
    if isinstance(error, BrokenPipeError):
        silence_stdout()
        raise PipeClosed from None
    if isinstance(error, OSError):
        silence_stdout()
        raise OutputError(f"cannot write to standard output: {_reason(error)}") from None
    if isinstance(error, ValueError):  # the stream was closed
        raise OutputError(
            "cannot write the output: standard output is closed (give a file with -o)"
        ) from None
    raise error


@contextmanager
def _file(path: str, kind: str, source: Any, option: str) -> Iterator[Write]:
    def failed(error: OSError) -> OutputError:
        return OutputError(f"cannot write {path!r} ({option}): {_reason(error)}")

    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise failed(error) from None
    _refuse_same_file(source, path)
    if existing is not None and not os.access(path, os.W_OK):
        raise failed(PermissionError(13, os.strerror(13)))
    safe = json_safe if kind == "json" else (lambda text: text)
    fd = -1
    temporary = target = ""
    if _replaceable(path, existing):
        target = os.path.realpath(path)
        try:
            fd, temporary = _temporary_beside(target, existing)
        except OSError as error:
            # A directory we cannot write in, holding a file we can: write it directly.
            if existing is None:
                raise failed(error) from None
    handle: IO[bytes] | None = None
    try:
        try:
            # Opened only now: the input is known to be another file.
            handle = open(fd if temporary else path, "wb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise failed(error) from None

        def write(text: str) -> None:
            assert handle is not None
            try:
                _write_all(handle, _encoded(safe(text), "utf-8", kind))
            except BrokenPipeError:
                raise PipeClosed from None
            except OSError as error:
                raise failed(error) from None

        yield write
        try:
            handle.close()
            if temporary:
                os.replace(temporary, target)
                temporary = ""
        except BrokenPipeError:
            raise PipeClosed from None
        except OSError as error:
            raise failed(error) from None
    finally:
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass
        elif temporary:
            os.close(fd)
        if temporary:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _replaceable(path: str, existing: os.stat_result | None) -> bool:
    """Whether ``path`` is written through a temporary file that replaces it at the end:
    a regular file or a new one, but not a device or a process's file (``/dev/stdout``,
    ``/proc/self/fd/1``), whose name stands for something already open."""
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        return False
    absolute = os.path.abspath(path)
    return not absolute.startswith(("/dev/", "/proc/"))


def _temporary_beside(target: str, existing: os.stat_result | None) -> tuple[int, str]:
    """A new file in the target's directory, with the target's mode (or the umask's)."""
    directory = os.path.dirname(target) or "."
    mode = 0o666 if existing is None else stat.S_IMODE(existing.st_mode)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(directory, f".convcalc-{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(name, flags, mode)
        except FileExistsError:
            continue
        if existing is not None:
            try:
                os.chmod(name, mode)  # exactly the old mode, whatever the umask
            except OSError:
                pass
        return fd, name
    raise FileExistsError(f"no free temporary name in {directory}")


class GuardedStdout:
    """stdout as Click sees it while a command runs, for what Click writes itself
    (help, version, completions): spelled for the stream's encoding, a failed write
    is an :class:`OutputError` or :class:`PipeClosed`, and a closed stdout is an
    error rather than output silently lost.

    It hides the binary ``buffer``, so that Click writes text through it instead of
    writing bytes past it.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes) and not text:
            # How Click tells a binary stream from a text one: be a text stream.
            raise TypeError("write text")
        if not text:
            return 0
        if self.stream is None:
            _stdout_failed(ValueError("closed"))
        try:
            binary = getattr(self.stream, "buffer", None)
            encoding = getattr(self.stream, "encoding", None) or "utf-8"
            if binary is None:  # a text stream of the caller's (tests, StringIO)
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                self.stream.write(fitted(text, encoding))
            else:
                self.stream.flush()
                # Click's completions come as bytes, the rest as text.
                _write_all(
                    binary, text if isinstance(text, bytes) else _encoded(text, encoding, "text")
                )
        except Exception as error:
            _stdout_failed(error)
        return len(text)

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except Exception as error:
            _stdout_failed(error)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer" or self.stream is None:
            raise AttributeError(name)
        return getattr(self.stream, name)


def real_stdout() -> Any:
    """The stream under :class:`GuardedStdout`, or stdout itself."""
    stream = sys.stdout
    return stream.stream if isinstance(stream, GuardedStdout) else stream


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """Put a :class:`GuardedStdout` in place of ``sys.stdout`` for the block, and flush
    it at the end, so that a failure to write is reported while it can be."""
    original = sys.stdout
    if isinstance(original, GuardedStdout):
        yield
        return
    guard = GuardedStdout(original)
    sys.stdout = guard
    try:
        yield
        guard.flush()
    finally:
        if sys.stdout is guard:
            sys.stdout = original


# --- what a command writes, and the checks it makes -------------------------------

Views = Callable[[], list[Any]]
"""Builds a command's tables (or charts) when a format needs them."""


class Output(Record):
    """Where and how a command writes its result: ``--format``, ``-o`` and ``-q``,
    and the file it reads (a spec), which its output must not be."""

    __slots__ = ("format", "path", "quiet", "source", "wide", "units")
    format: str
    path: str | None
    quiet: bool
    source: Any
    wide: bool
    units: str

    def __init__(
        self,
        *,
        format: str = "table",
        path: str | None = None,
        quiet: bool = False,
        source: Any = None,
        wide: bool = False,
        units: str = "auto",
    ) -> None:
        init(self, format=format, path=path, quiet=quiet, source=source, wide=wide, units=units)

    def reading(self, source: Any) -> Output:
        """This output for a command that reads ``source``: refused at once if it is
        the same file, before anything is computed (a failed check must not hide it)."""
        target = self.path if self.path not in (None, "-") else sys.stdout
        _refuse_same_file(source, target)
        return self.replace(source=source)

    def write(self, text: str, kind: str = "text") -> None:
        """Write ``text`` to ``-o`` or stdout: every command's output goes through here,
        ``-q``'s too."""
        with opened(self.path, kind, source=self.source) as write:
            write(text)

    def emit(
        self, tables: Views, data: Callable[[], dict[str, Any]], csv: Views | None = None
    ) -> None:
        """Write a result in the format asked for: each view is built only if that
        format needs it, and Rich is imported only for the human views. ``csv`` gives
        the tables CSV writes, when they are fewer than the human ones."""
        kind = "text"
        if self.format == "json":
            import json

            text = json.dumps(data(), indent=2, ensure_ascii=False) + "\n"
            kind = "json"
        elif self.format == "csv":
            from ..views.tables import to_csv

            text = to_csv((csv or tables)())
        elif self.format == "markdown":
            from ..views.tables import to_markdown

            text = to_markdown(tables())
        elif self.format in ("svg", "html"):
            from ..views.terminal import export

            context = click.get_current_context(silent=True)
            title = context.command_path if context is not None else "convcalc"
            text = export(tables(), self.format, wide=self.wide, units=self.units, title=title)
            kind = "markup"
        else:
            from ..views.terminal import draw

            text = draw(
                tables(), to_stdout=self.path in (None, "-"), wide=self.wide, units=self.units
            )
        self.write(text, kind)


def input_of(spec: str | None) -> Any:
    """The file a command reads (``-`` is stdin), for :attr:`Output.source`; None if
    there is no such file."""
    if spec == "-":
        return sys.stdin
    if isinstance(spec, str) and "\0" not in spec and os.path.exists(spec):
        return spec
    return None


class Gates(Record):
    """The CI gates: ``--expect``, ``--max-params`` and ``--max-macs``."""

    __slots__ = ("expect", "max_params", "max_macs")
    expect: int | None
    max_params: int | None
    max_macs: int | None

    def __init__(
        self,
        *,
        expect: int | None = None,
        max_params: int | None = None,
        max_macs: int | None = None,
    ) -> None:
        init(self, expect=expect, max_params=max_params, max_macs=max_macs)

    def check(self, params: int, macs: int | None) -> None:
        """Raise CheckFailed (exit 1) if a figure is not as asked."""
        if self.expect is not None and params != self.expect:
            raise CheckFailed(f"expected {_fmt(self.expect)} parameters, got {_fmt(params)}")
        if self.max_params is not None and params > self.max_params:
            raise CheckFailed(
                f"{_fmt(params)} parameters is over the budget of {_fmt(self.max_params)}"
            )
        if self.max_macs is not None and macs is not None and macs > self.max_macs:
            raise CheckFailed(f"{_fmt(macs)} MACs is over the budget of {_fmt(self.max_macs)}")


def _fmt(n: int) -> str:
    # Imported only to say what failed: -q does not load the views.
    from ..views.text import fmt

    return fmt(n)
