#!/usr/bin/env python3
"""Render an Alembic project's revisions to SQL, for `vmig import alembic`.

    alembic_render.py --dialect postgresql|sqlite DIR

DIR is the folder holding alembic.ini, or an Alembic script directory (env.py,
versions/).  Every revision's upgrade() and downgrade() runs in Alembic's own
offline ("--sql") mode, in a minimal environment of this script's own: the
project's env.py is never run (it usually wants the application's settings and a
database).  Standard output gets one framed record per revision:

    vmig-alembic-render 1
    revision <id>
    field <name> <nbytes>
    <exactly nbytes bytes of UTF-8>
    ...
    end

Fields, in this order, those in brackets only when they apply:
    parents         parent ids, space-separated (empty for a root)
    message         first line of the revision's docstring
    file            the revision file, relative to DIR, with "/"
    [branch_labels] space-separated
    [depends_on]    space-separated
    [transaction]   "off": the revision uses autocommit_block()
    [up]            the upgrade's SQL (absent only after import_error)
    [up_reason]     why the upgrade did not render completely (a code)
    [up_detail]     one line: what failed, where
    [down] [down_reason] [down_detail]   the same for downgrade()

A revision that fails is a record, not a failed run: exit 0.  Exit 2: bad
arguments or DIR is no Alembic project; exit 3: alembic or sqlalchemy cannot be
imported by this interpreter.  Output is byte-identical from run to run.
"""

import os
import sys


def _ensure_stable_hashes():
    # Alembic and SQLAlchemy iterate sets (a table's indexes, ...) while
    # rendering, so the order of statements follows string hashes.  Fixed hashes
    # make two imports of the same project byte-identical.
    if os.environ.get("PYTHONHASHSEED") == "0" or not sys.executable:
        return
    env = dict(os.environ, PYTHONHASHSEED="0")
    argv = getattr(sys, "orig_argv", None) or [sys.executable] + sys.argv
    try:
        os.execve(sys.executable, argv, env)
    except OSError:
        pass  # go on with random hashes rather than not at all


_ensure_stable_hashes()

import ast  # noqa: E402  (after the re-exec on purpose: nothing to import twice)
import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

FORMAT_HEADER = "vmig-alembic-render 1"
DIALECTS = ("postgresql", "sqlite")
PROG = "alembic_render"

# Alembic's own rule for which files in a versions folder are revisions.
REVISION_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")

# Methods of a SQLAlchemy result: offline, execute() returns None, so calling
# one of these means the revision wanted rows from the database.
RESULT_METHODS = {
    "all", "fetchall", "fetchone", "fetchmany", "first", "one", "one_or_none",
    "scalar", "scalar_one", "scalar_one_or_none", "scalars", "mappings",
    "keys", "rowcount", "inserted_primary_key", "returned_defaults",
    "lastrowid", "partitions", "columns", "tuples", "unique", "yield_per",
}

DETAIL_MAX = 500


class Fatal(Exception):
    """An error of the whole run: one line on stderr and an exit code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- arguments


def parse_args(argv):
    dialect = None
    dirs = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            sys.stderr.write(__doc__)
            raise SystemExit(0)
        if arg == "--dialect":
            if not args:
                raise Fatal(2, "--dialect needs a value (postgresql or sqlite)")
            dialect = args.pop(0)
        elif arg.startswith("--dialect="):
            dialect = arg[len("--dialect="):]
        elif arg.startswith("-") and arg != "-":
            raise Fatal(2, "unknown option %s (usage: %s --dialect postgresql|sqlite DIR)" % (arg, PROG))
        else:
            dirs.append(arg)
    if dialect is None:
        raise Fatal(2, "missing --dialect postgresql|sqlite")
    if dialect not in DIALECTS:
        raise Fatal(2, "unknown dialect %r: expected postgresql or sqlite" % dialect)
    if len(dirs) != 1:
        raise Fatal(2, "expected one DIR (the folder holding alembic.ini, or the Alembic script directory)")
    return dialect, dirs[0]


def import_alembic():
    # sqlalchemy first: alembic needs it, and the message should name the
    # module that is really missing.
    for name in ("sqlalchemy", "alembic"):
        try:
            __import__(name)
        except Exception as exc:  # ImportError, or a broken installation
            raise Fatal(3, "cannot import %s in %s (%s: %s); run the import in the Python "
                           "environment where the project's migrations run, or give --python"
                        % (name, sys.executable, type(exc).__name__, one_line(exc)))


def stable_schema_sets():
    """Make the SQL's order independent of memory addresses.

    A Table keeps its indexes and constraints (a Column its constraints) in
    plain sets of objects hashed by id(), and Alembic creates a table's
    indexes in that set's order: it changes from run to run, whatever
    PYTHONHASHSEED says.  Insertion-ordered sets give the order of the source.
    """
    import sqlalchemy as sa
    from sqlalchemy.util import OrderedSet

    def ordered(name):
        key = "_vmig_ordered_" + name

        def get(self):
            try:
                return self.__dict__[key]
            except KeyError:
                raise AttributeError(name) from None

        def put(self, value):
            self.__dict__[key] = OrderedSet(value)

        return property(get, put)

    for cls, names in ((sa.Table, ("indexes", "constraints")), (sa.Column, ("constraints",))):
        for name in names:
            setattr(cls, name, ordered(name))


# ------------------------------------------------------------------ project


class Project:
    """Where things are: DIR as given, the script directory, the versions."""

    def __init__(self, base, root, config, script):
        self.base = base        # DIR, absolute: output paths are relative to it
        self.root = root        # the project folder: cwd and sys.path while rendering
        self.config = config    # alembic.config.Config
        self.script = script    # alembic.script.ScriptDirectory


def locate_project(dir_arg):
    from alembic.config import Config

    base = os.path.abspath(dir_arg)
    if not os.path.isdir(base):
        raise Fatal(2, "%s is not a directory" % dir_arg)
    ini = os.path.join(base, "alembic.ini")
    if os.path.isfile(ini):
        return project_from_ini(base, ini)
    if os.path.isfile(os.path.join(base, "env.py")) or os.path.isdir(os.path.join(base, "versions")):
        # A bare script directory: its parent is the project (where alembic.ini
        # would be), which revision modules import from.
        root = os.path.dirname(base)
        config = Config()
        config.set_main_option("script_location", base.replace("%", "%%"))
        prepend_sys_path(root, None, config)
        return Project(base, root, config, script_directory(config))
    raise Fatal(2, "%s is not an Alembic project: no alembic.ini, env.py or versions/ in it" % dir_arg)


def project_from_ini(base, ini):
    from alembic.config import Config

    config = Config(ini)
    try:
        location = config.get_main_option("script_location")
        prepend = config.get_main_option("prepend_sys_path")
    except Exception as exc:  # no [alembic] section, a broken interpolation
        raise Fatal(2, "alembic.ini in %s: %s" % (base, one_line(exc)))
    if not location:
        raise Fatal(2, "alembic.ini in %s has no script_location in its [alembic] section" % base)
    # Alembic takes relative paths from the current directory, which is the
    # ini's folder when people run it; make that explicit.
    if not re.match(r"^[\w.]+:", location):  # not "package:path"
        location = os.path.join(base, location)
        if not os.path.isdir(location):
            raise Fatal(2, "alembic.ini in %s: script_location %s is not a directory" % (base, location))
    prepend_sys_path(base, prepend, config)
    config.set_main_option("script_location", location.replace("%", "%%"))
    # Done above, with absolute paths; from_config would prepend them again.
    config.set_main_option("prepend_sys_path", "")
    return Project(base, base, config, script_directory(config))


def prepend_sys_path(root, value, config):
    """The ini's prepend_sys_path (relative to its folder), then the folder."""
    entries = []
    if value:
        sep = path_separator(config)
        parts = value.split(sep) if sep else re.split(r", *| +|:", value)
        entries = [os.path.join(root, p.strip()) for p in parts if p.strip()]
    entries.append(root)
    for entry in reversed(entries):
        entry = os.path.normpath(entry)
        if entry not in sys.path:
            sys.path.insert(0, entry)


def path_separator(config):
    # Alembic >= 1.16 names the separator; older ones split on space, comma, colon.
    try:
        name = config.get_main_option("path_separator")
    except Exception:
        name = None
    return {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}.get(name)


def script_directory(config):
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(config)
    except Exception as exc:
        raise Fatal(2, "not an Alembic project: %s" % one_line(exc))


def version_dirs(project):
    dirs = getattr(project.script, "_version_locations", None)
    if not dirs:
        dirs = [os.path.join(project.script.dir, "versions")]
    return [d for d in dirs if os.path.isdir(d)]


def revision_files(project):
    """Every revision file, once, in a fixed order."""
    recursive = (project.config.get_main_option("recursive_version_locations") or "").lower() == "true"
    seen = set()
    found = []
    for top in version_dirs(project):
        for folder, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__") if recursive else []
            for name in sorted(files):
                path = os.path.join(folder, name)
                real = os.path.realpath(path)
                if REVISION_FILE.match(name) and real not in seen:
                    seen.add(real)
                    found.append(path)
    return found


# ------------------------------------------------------------ revision files


class Revision:
    def __init__(self, path, rel):
        self.path = path
        self.rel = rel
        self.module = None
        self.id = None
        self.parents = ()
        self.branch_labels = ()
        self.depends_on = ()
        self.message = ""
        self.import_error = None
        self.transaction_off = False
        self.up = self.down = None  # Rendering


def load_revision(path, project):
    rev = Revision(path, os.path.relpath(path, project.base).replace(os.sep, "/"))
    try:
        with quiet_warnings():
            rev.module = load_module(path)
    except (Exception, SystemExit) as exc:
        rev.import_error = describe(exc, path, project.base, "import failed")
        metadata_from_source(rev)
        return rev
    mod = rev.module
    rev.id = getattr(mod, "revision", None)
    rev.parents = as_ids(getattr(mod, "down_revision", None))
    rev.branch_labels = as_ids(getattr(mod, "branch_labels", None))
    rev.depends_on = as_ids(getattr(mod, "depends_on", None))
    rev.message = first_line(mod.__doc__)
    if rev.id is None:  # Alembic's legacy rule: the file name is the id
        m = re.match(r"([a-f0-9]+)\.py$", os.path.basename(path))
        rev.id = m.group(1) if m else None
    return rev


def load_module(path):
    # As Alembic does it: a module of its own, not registered in sys.modules.
    module_id = re.sub(r"\W", "_", os.path.basename(path))
    spec = importlib.util.spec_from_file_location(module_id, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def metadata_from_source(rev):
    """id, parents, labels and message of a file that does not import."""
    try:
        with open(rev.path, encoding="utf-8", errors="replace") as f:
            source = f.read()
    except OSError:
        return
    values = {}
    try:
        tree = ast.parse(source)
        rev.message = first_line(ast.get_docstring(tree, clean=True))
        for node in tree.body:
            target, value = assignment(node)
            if target in ("revision", "down_revision", "branch_labels", "depends_on"):
                with contextlib.suppress(ValueError, TypeError, SyntaxError):
                    values[target] = ast.literal_eval(value)
    except (SyntaxError, ValueError):
        values = metadata_by_regex(source)
        m = re.match(r'\s*(?:[rRuU]?)("""|\'\'\')(.*?)\1', source, re.S)
        rev.message = first_line(m.group(2)) if m else ""
    rev.id = values.get("revision") if isinstance(values.get("revision"), str) else None
    rev.parents = as_ids(values.get("down_revision"))
    rev.branch_labels = as_ids(values.get("branch_labels"))
    rev.depends_on = as_ids(values.get("depends_on"))


def assignment(node):
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    return None, None


def metadata_by_regex(source):
    # For a file Python cannot even parse: `name[: type] = literal`.
    values = {}
    for name in ("revision", "down_revision", "branch_labels", "depends_on"):
        m = re.search(r"^%s\s*(?::[^=\n]*)?=\s*(\([^)]*\)|\[[^\]]*\]|[^\n#]*)" % name, source, re.M)
        if m:
            ids = re.findall(r"""['"]([^'"\s]+)['"]""", m.group(1))
            values[name] = ids[0] if name == "revision" and ids else tuple(ids)
    return values


def as_ids(value):
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        return (str(value),)


def first_line(doc):
    if not doc:
        return ""
    for line in doc.strip().splitlines():
        return line.strip()
    return ""


# ---------------------------------------------------------------- rendering


class Rendering:
    def __init__(self, sql, reason=None, detail=None):
        self.sql = sql
        self.reason = reason
        self.detail = detail


# op.execute("COMMIT") (and a BEGIN after it) is the old way out of Alembic's
# transaction, before autocommit_block(): it means the same, "transaction off".
TRANSACTION_CONTROL = re.compile(r"(?is)\s*(COMMIT|BEGIN|END|START\s+TRANSACTION)(\s+(WORK|TRANSACTION))?\s*;*\s*")


class StatementLog(io.StringIO):
    """Alembic's output buffer: it writes each statement with one write()."""

    def __init__(self):
        super().__init__()
        self.statements = []
        self.transaction_control = False

    def write(self, text):
        self.statements.append(text)
        return len(text)

    def sql(self):
        out = []
        for stmt in self.statements:
            lines = [line.rstrip() for line in stmt.strip().splitlines()]
            text = "\n".join(lines)
            # op.execute("...;") gets Alembic's own ";" appended again.
            while text.endswith(";;"):
                text = text[:-1]
            if TRANSACTION_CONTROL.fullmatch(text):
                self.transaction_control = True
                continue
            if text and text != ";":
                out.append(text)
        return "\n\n".join(out) + "\n" if out else ""


class Probe:
    """What the revision did that the SQL alone does not show."""

    def __init__(self, path):
        self.path = path
        self.autocommit = False
        self.offline_check = None   # where context.is_offline_mode() was asked
        self.warnings = []          # "line N: Category: message"

    def revision_line(self):
        return revision_frame(traceback.extract_stack(), self.path)


def render_all(revisions, project, dialect):
    for rev in revisions:
        if rev.module is None:
            continue
        probe_up, probe_down = Probe(rev.path), Probe(rev.path)
        rev.up = render(rev, "upgrade", project, dialect, probe_up)
        rev.down = render(rev, "downgrade", project, dialect, probe_down)
        rev.transaction_off = probe_up.autocommit or probe_down.autocommit


def render(rev, fn_name, project, dialect, probe):
    """One direction, in a fresh offline MigrationContext of its own."""
    from alembic.operations import Operations

    fn = getattr(rev.module, fn_name, None)
    if not callable(fn):
        return Rendering("", "python_error", "the revision file has no %s() function" % fn_name)
    log = StatementLog()
    ctx, env = offline_context(project, dialect, log, probe)
    failure = None
    with recorded_warnings(probe), env, Operations.context(ctx):
        try:
            fn()
        except (Exception, SystemExit) as exc:  # caught inside: the proxies must come off
            failure = exc
    sql = log.sql()
    probe.autocommit = probe.autocommit or log.transaction_control
    if failure is not None:
        reason, detail = classify(failure, rev.path, project.base)
        if probe.warnings:
            detail += "; also warned: " + "; ".join(probe.warnings)
        return Rendering(sql, reason, clip(detail))
    if probe.offline_check:
        return Rendering(sql, "reads_database", clip(
            "%s: the revision asks context.is_offline_mode() and may run other SQL online "
            "(usually reading the database)" % probe.offline_check))
    if probe.warnings:
        return Rendering(sql, "warning", clip("; ".join(probe.warnings)))
    return Rendering(sql)


def offline_context(project, dialect, log, probe):
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext

    opts = {"as_sql": True, "output_buffer": log, "literal_binds": True}
    # paramstyle "named", as Alembic's own env.py template does offline: with
    # psycopg2's "pyformat" every % in the SQL would come out doubled.
    ctx = MigrationContext.configure(dialect_name=dialect, dialect_opts={"paramstyle": "named"}, opts=opts)

    @contextlib.contextmanager
    def autocommit_block():
        # No COMMIT/BEGIN around the block: vmig runs the whole revision
        # outside a transaction instead ("transaction off").
        probe.autocommit = True
        yield

    ctx.autocommit_block = autocommit_block

    # `from alembic import context` in a revision: is_offline_mode() and
    # get_context() must work, and asking is worth knowing.
    env = EnvironmentContext(project.config, project.script, **opts)
    env._migration_context = ctx

    def is_offline_mode():
        if probe.offline_check is None:
            probe.offline_check = probe.revision_line() or "context.is_offline_mode()"
        return True

    env.is_offline_mode = is_offline_mode
    return ctx, env


@contextlib.contextmanager
def recorded_warnings(probe):
    # Every warning, each time: an argument SQLAlchemy ignored means the SQL may
    # not say what the revision says.  showwarning (rather than record=True) to
    # see, at warning time, which line of the revision file was running.
    def showwarning(message, category, filename, lineno, file=None, line=None):
        where = probe.revision_line()
        text = "%s: %s" % (category.__name__, one_line(message))
        text = "%s: %s" % (where, text) if where else text
        if text not in probe.warnings:
            probe.warnings.append(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = showwarning
        yield


@contextlib.contextmanager
def quiet_warnings():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        yield


# ----------------------------------------------------------- classification


def classify(exc, path, base):
    """(reason code, one-line detail) for a direction that raised exc."""
    frames = traceback.extract_tb(exc.__traceback__)
    detail = describe(exc, path, base)
    if reads_database(exc, frames, path):
        return "reads_database", detail
    if unnamed(exc):
        return "unnamed_constraint", detail
    if plugin_operation(exc, frames, path):
        return "plugin_operation", detail
    if raised_on_purpose(frames, path):
        return "raises", detail
    return "python_error", detail


def chain(exc):
    """exc and the exceptions it was raised from or during."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def reads_database(exc, frames, path):
    for e in chain(exc):
        text = str(e)
        if "MockConnection" in text or "requires a live database connection" in text:
            return True  # inspect(bind), dialect.has_table(bind), batch reflection
        if type(e).__name__ == "NoInspectionAvailable":
            return True
        for frame in traceback.extract_tb(e.__traceback__):
            f = frame.filename.replace(os.sep, "/")
            if "/sqlalchemy/engine/reflection.py" in f or "/sqlalchemy/engine/mock.py" in f:
                return True
    # execute() returns None offline: using its result fails on None.
    if isinstance(exc, (AttributeError, TypeError)) and "NoneType" in str(exc):
        if getattr(exc, "name", None) in RESULT_METHODS:
            return True
        line = revision_frame(frames, path, source=True) or ""
        return bool(re.search(r"\bexecute\(|get_bind\(|\bbind\b|\bconn(ection)?\b", line))
    return False


def unnamed(exc):
    # SQLAlchemy: "Can't emit DROP CONSTRAINT for constraint ...; it has no
    # name", "DROP INDEX requires that the index have a name"; Alembic batch:
    # "Constraint must have a name".
    return any(re.search(r"has no name|have a name|requires a name|must have a name", str(e), re.I)
               for e in chain(exc))


def plugin_operation(exc, frames, path):
    from alembic import op as op_module
    from alembic.operations import BatchOperations, Operations

    if isinstance(exc, AttributeError):
        obj = getattr(exc, "obj", None)
        if obj is op_module or isinstance(obj, (Operations, BatchOperations)):
            return True  # an operation that only a plugin (or env.py) registers
        if re.search(r"'alembic\.op' has no attribute|'(Batch)?Operations' object has no attribute", str(exc)):
            return True
    if isinstance(exc, ValueError) and "no dispatch function" in str(exc):
        return True  # an operation registered without an implementation
    if isinstance(exc, NotImplementedError) and frames:
        # Raised by a custom operation: neither by the revision, nor by
        # Alembic, SQLAlchemy or Python (Alembic's "SQLite cannot ALTER
        # constraints" is a python_error with that message).
        where = frames[-1].filename.replace(os.sep, "/")
        return not (same_file(where, path) or library_file(where))
    return False


def raised_on_purpose(frames, path):
    # The innermost frame is a `raise` statement in the revision file itself.
    if not frames or not same_file(frames[-1].filename, path):
        return False
    return (frames[-1].line or "").lstrip().startswith("raise")


def library_file(filename):
    if package_file(filename, "alembic") or package_file(filename, "sqlalchemy"):
        return True
    filename = os.path.realpath(filename)
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    return filename.startswith(stdlib + os.sep) and "-packages" not in filename


def package_file(filename, package):
    """Whether filename is inside the installed package (alembic, sqlalchemy)."""
    folder = os.path.realpath(os.path.dirname(sys.modules[package].__file__))
    return os.path.realpath(filename).startswith(folder + os.sep)


def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def revision_index(frames, path):
    """Index of the innermost frame in the revision file, or None."""
    for i in range(len(frames) - 1, -1, -1):
        if same_file(frames[i].filename, path):
            return i
    return None


def revision_frame(frames, path, source=False):
    """"line N `source`" of the innermost frame in the revision file."""
    i = revision_index(frames, path)
    if i is None:
        return None
    text = (frames[i].line or "").strip()
    if source:
        return text
    return "line %d `%s`" % (frames[i].lineno, text) if text else "line %d" % frames[i].lineno


def operation_name(frames, path):
    """The Alembic operation the revision was in when it failed, if any.

    op.drop_constraint(...) runs through a generated proxy function of that
    name; a batch block fails in its flush, in the implementation's method
    (drop_constraint, add_constraint...); else the first Alembic function."""
    i = revision_index(frames, path)
    inner = frames[i + 1:] if i is not None else frames
    if inner and inner[0].filename == "<string>":
        return "op." + inner[0].name
    alembic_frames = [f for f in inner if package_file(f.filename, "alembic")]
    ddl = [f.name for f in alembic_frames
           if "/ddl/" in f.filename.replace(os.sep, "/") and not f.name.startswith("_")]
    if ddl:
        return ddl[-1]
    return alembic_frames[0].name if alembic_frames else None


def describe(exc, path, base, prefix=None):
    """One line: where in the revision file, the operation, the exception."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = revision_frame(frames, path)
    if where is None and isinstance(exc, SyntaxError) and exc.lineno:
        where = "line %d" % exc.lineno
    operation = operation_name(frames, path) if where else None
    if operation:
        where += " in " + operation
    what = "%s: %s" % (type(exc).__name__, one_line(exc))
    parts = [p for p in (prefix, where, what) if p]
    return clip(scrub(": ".join(parts), base))


def one_line(value):
    return re.sub(r"\s+", " ", str(value)).strip()


def scrub(text, base):
    # No absolute paths and no memory addresses: the output must not depend
    # on where the project is or on this process.
    for root in sorted({base, os.path.realpath(base)}, key=len, reverse=True):
        text = text.replace(root + os.sep, "").replace(root, ".")
    return re.sub(r"\b0x[0-9a-fA-F]{4,}\b", "0x...", text)


def clip(text):
    return text if len(text) <= DETAIL_MAX else text[:DETAIL_MAX - 3] + "..."


# ------------------------------------------------------------------- output


def ordered(revisions):
    """Parents before children; among the ready ones, by id (then file)."""
    import heapq

    by_id = {}
    for rev in revisions:
        by_id.setdefault(rev.id, []).append(rev)
    waiting = {id(rev): sum(1 for p in set(rev.parents) if p in by_id) for rev in revisions}
    children = {}
    for rev in revisions:
        for parent in set(rev.parents):
            for p in by_id.get(parent, ()):
                children.setdefault(id(p), []).append(rev)
    number = {id(rev): n for n, rev in enumerate(revisions)}  # a tie-break that never compares revs
    ready = [(rev.id, rev.rel, number[id(rev)], rev) for rev in revisions if waiting[id(rev)] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        *_, rev = heapq.heappop(ready)
        out.append(rev)
        for child in children.get(id(rev), ()):
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                heapq.heappush(ready, (child.id, child.rel, number[id(child)], child))
    # A cycle (Alembic refuses it too): the rest by id, so nothing is lost.
    done = {id(rev) for rev in out}
    out += sorted((r for r in revisions if id(r) not in done), key=lambda r: (r.id, r.rel))
    return out


def field(name, value):
    # vmig refuses a NUL byte in a field (and libpq could not send one anyway).
    data = value.replace("\0", "\\0").encode("utf-8", "backslashreplace")
    return b"field %s %d\n%s\n" % (name.encode(), len(data), data)


def record(rev):
    out = [b"revision %s\n" % rev.id.encode("utf-8", "backslashreplace")]
    out.append(field("parents", " ".join(rev.parents)))
    out.append(field("message", rev.message))
    out.append(field("file", rev.rel))
    if rev.branch_labels:
        out.append(field("branch_labels", " ".join(rev.branch_labels)))
    if rev.depends_on:
        out.append(field("depends_on", " ".join(rev.depends_on)))
    if rev.transaction_off:
        out.append(field("transaction", "off"))
    for name, rendering in (("up", rev.up), ("down", rev.down)):
        if rev.import_error is not None:
            out.append(field(name + "_reason", "import_error"))
            out.append(field(name + "_detail", rev.import_error))
            continue
        out.append(field(name, rendering.sql))
        if rendering.reason:
            out.append(field(name + "_reason", rendering.reason))
            out.append(field(name + "_detail", rendering.detail))
    out.append(b"end\n")
    return b"".join(out)


def usable(rev):
    # The id goes on a line of its own and ids are separated by spaces.
    ok = isinstance(rev.id, str) and re.fullmatch(r"\S+", rev.id)
    ok = ok and all(re.fullmatch(r"\S+", i) for i in rev.parents + rev.branch_labels + rev.depends_on)
    if not ok:
        sys.stderr.write("%s: skipped %s: no usable revision id (or an id with spaces)\n" % (PROG, rev.rel))
    return ok


# --------------------------------------------------------------------- main


def private_stdout():
    """Our output keeps the real stdout; anything else printed goes to stderr.

    Revision modules and the project's imports may print (even from C code);
    that must not end up inside the framed output."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main(argv):
    dialect, dir_arg = parse_args(argv)
    out = private_stdout()  # before any of the project's code can print
    sys.dont_write_bytecode = True  # leave no __pycache__ in the user's project
    import_alembic()
    stable_schema_sets()
    project = locate_project(dir_arg)
    # Alembic runs where alembic.ini is; revisions may open files relative to it.
    os.chdir(project.root)
    sys.stdin = open(os.devnull)
    revisions = [load_revision(p, project) for p in revision_files(project)]
    revisions = [r for r in revisions if usable(r)]
    render_all(revisions, project, dialect)
    out.write(FORMAT_HEADER.encode() + b"\n")
    for rev in ordered(revisions):
        out.write(record(rev))
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Fatal as fatal:
        sys.stderr.write("%s: %s\n" % (PROG, fatal))
        sys.exit(fatal.code)
