# The start-up code of Enact's CPython engine, run once by enact_init in
# __main__ before the interpreter's memory becomes the snapshot every run
# starts from. It imports the modules tool authors use (so a run finds them
# ready), closes what the sandbox cannot offer with errors that say so, and
# leaves __enact_run, which runs one task.
#
# Names starting with __enact are reserved; nothing here is visible to a
# task except the `enact` object.

import sys
import builtins
import _enact

# Pre-imported: part of the snapshot, free for every run.
import ast, base64, errno, binascii, bisect, calendar, collections, collections.abc, contextlib, copy, csv, dataclasses
import datetime, decimal, enum, fractions, functools, hashlib, heapq, hmac, html, io, itertools, json, linecache
import math, operator, os, random, re, statistics, string, struct, textwrap, time, traceback, types, typing
import unicodedata, urllib.parse, uuid, zlib, zoneinfo, socket, subprocess, threading, _thread, asyncio


def __enact_setup():
    """Closes what the sandbox cannot do, with errors that say so."""
    sandbox = "the Enact sandbox"

    # Modules whose native part the engine does not have, or whose purpose
    # the sandbox refuses: importing them fails with ModuleNotFoundError
    # naming the sandbox (an ImportError, so optional imports still fall
    # back as they would on any Python without them).
    refused = {
        "_ctypes": "ctypes", "ctypes": "ctypes", "_ssl": "ssl", "ssl": "ssl",
        "_posixsubprocess": "subprocesses", "_multiprocessing": "multiprocessing",
        "multiprocessing": "multiprocessing", "_sqlite3": "sqlite3", "sqlite3": "sqlite3",
        "_bz2": "bz2", "bz2": "bz2", "_lzma": "lzma", "lzma": "lzma", "readline": "readline",
        "_curses": "curses", "curses": "curses", "_tkinter": "tkinter", "tkinter": "tkinter",
        "_uuid": "the native uuid module", "_dbm": "dbm", "_gdbm": "dbm", "mmap": "mmap",
        "fcntl": "fcntl", "pwd": "pwd", "grp": "grp", "resource": "resource", "termios": "termios",
    }

    class Refuse:
        @staticmethod
        def find_spec(name, path=None, target=None):
            what = refused.get(name)
            if what is None:
                return None
            err = ModuleNotFoundError(f"No module named {name!r}: {what} is not available in {sandbox}", name=name)
            raise err

    sys.meta_path.insert(0, Refuse)

    def no_network(*args, **kwargs):
        raise PermissionError(13, f"{sandbox} has no network: actions reach the world through enact.call")

    class SandboxSocket(socket.socket):
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            no_network()

    socket.socket = SandboxSocket
    socket.SocketType = SandboxSocket
    for name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
                 "gethostbyaddr", "getfqdn", "socketpair", "fromfd"):
        if hasattr(socket, name):
            setattr(socket, name, no_network)

    def no_threads(*args, **kwargs):
        raise RuntimeError(f"threads are not available in {sandbox}")

    for mod in (threading, _thread):
        for name in ("_start_joinable_thread", "start_joinable_thread", "start_new_thread", "start_new"):
            if hasattr(mod, name):
                setattr(mod, name, no_threads)

    def no_processes(*args, **kwargs):
        raise PermissionError(13, f"{sandbox} cannot start processes")

    subprocess.Popen.__init__ = no_processes

    os.system = os.popen = no_processes
    for name in ("fork", "forkpty", "execv", "execve", "execl", "execle", "execlp",
                 "execvp", "execvpe", "spawnv", "spawnve", "posix_spawn", "posix_spawnp", "kill", "killpg"):
        if hasattr(os, name):
            setattr(os, name, no_processes)

    real_open = io.open
    stdlib = "/usr/local/"
    # What WASI answers for a path outside the one mount.
    outside = {errno.ENOTCAPABLE, errno.EPERM, errno.EACCES, errno.ENOENT}

    def sandbox_open(file, mode="r", *args, **kwargs):
        if isinstance(file, int):
            if file > 2:
                raise OSError(9, "Bad file descriptor")
            return real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+"):
            raise PermissionError(13, f"{sandbox} has no writable files", file)
        try:
            return real_open(file, mode, *args, **kwargs)
        except OSError as e:
            if e.errno in outside and not str(os.fspath(file)).startswith(stdlib):
                raise PermissionError(13, f"{sandbox} has no files", file) from None
            raise

    sandbox_open.__doc__ = real_open.__doc__
    builtins.open = sandbox_open
    io.open = sandbox_open

    def wrap_paths(name):
        real = getattr(os, name, None)
        if real is None:
            return

        def checked(path=".", *args, **kwargs):
            try:
                return real(path, *args, **kwargs)
            except OSError as e:
                if e.errno in outside and not str(os.fspath(path)).startswith(stdlib):
                    raise PermissionError(13, f"{sandbox} has no files", path) from None
                raise

        checked.__name__ = real.__name__
        checked.__doc__ = real.__doc__
        setattr(os, name, checked)

    for name in ("listdir", "scandir", "stat", "lstat", "mkdir", "makedirs", "remove", "unlink", "rmdir",
                 "rename", "replace", "chdir"):
        wrap_paths(name)


def __enact_complete():
    """Fills in what this build of the standard library lacks."""

    # asyncio's selector loop wakes itself through a socket pair, which
    # WASI has not: the sandbox has one thread and no signals, so nothing
    # ever needs to wake the loop from outside. Waiting for a timer is a
    # select() on no descriptors, which WASI serves as a sleep.
    from asyncio import selector_events

    def make_self_pipe(self):
        self._ssock = self._csock = None

    def close_self_pipe(self):
        pass

    selector_events.BaseSelectorEventLoop._make_self_pipe = make_self_pipe
    selector_events.BaseSelectorEventLoop._close_self_pipe = close_self_pipe

    # hashlib.pbkdf2_hmac comes from OpenSSL, which the engine has not;
    # this is PBKDF2 (RFC 8018) over the built-in hashes.
    if not hasattr(hashlib, "pbkdf2_hmac"):
        ipad = bytes(b ^ 0x36 for b in range(256))
        opad = bytes(b ^ 0x5C for b in range(256))

        def pbkdf2_hmac(hash_name, password, salt, iterations, dklen=None):
            """Password-based key derivation function 2, with HMAC as its pseudorandom function."""
            password = bytes(memoryview(password))
            salt = bytes(memoryview(salt))
            inner, outer = hashlib.new(hash_name), hashlib.new(hash_name)
            if iterations < 1:
                raise ValueError("iteration value must be greater than 0.")
            if dklen is None:
                dklen = inner.digest_size
            if dklen < 1:
                raise ValueError("key length must be greater than 0.")
            if len(password) > inner.block_size:
                password = hashlib.new(hash_name, password).digest()
            password = password.ljust(inner.block_size, b"\0")
            inner.update(password.translate(ipad))
            outer.update(password.translate(opad))

            def prf(message):
                i, o = inner.copy(), outer.copy()
                i.update(message)
                o.update(i.digest())
                return o.digest()

            key, block = b"", 1
            while len(key) < dklen:
                u = prf(salt + block.to_bytes(4, "big"))
                acc = int.from_bytes(u, "big")
                for _ in range(iterations - 1):
                    u = prf(u)
                    acc ^= int.from_bytes(u, "big")
                key += acc.to_bytes(inner.digest_size, "big")
                block += 1
            return key[:dklen]

        hashlib.pbkdf2_hmac = pbkdf2_hmac


__enact_setup()
__enact_complete()
del __enact_setup, __enact_complete


class _EnactActionError(Exception):
    """An action the host refused or that failed: code, message, policy_results."""

    def __init__(self, error):
        super().__init__(str(error.get("code", "")) + ": " + str(error.get("message", "")))
        self.code = error.get("code")
        self.message = error.get("message")
        self.policy_results = error.get("policy_results", [])


_EnactActionError.__name__ = "ActionError"
_EnactActionError.__qualname__ = "ActionError"
_EnactActionError.__module__ = "enact"


class _EnactNamespace:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __getattr__(self, action):
        if action.startswith("__"):
            raise AttributeError(action)
        name = self._name + "." + action
        return lambda args=None, **kw: enact.call(name, args, **kw)


class _Enact:
    """enact.call(action, args) performs an action and returns its result or
    raises enact.ActionError; enact.request returns the whole reply and
    never raises; enact.kv.put(key=..., value=...) is enact.call("kv.put", ...)."""

    ActionError = _EnactActionError

    def request(self, action, args=None, **kw):
        a = dict(args or {})
        a.update(kw)
        return json.loads(_enact.call(json.dumps({"action": action, "args": a})))

    def call(self, action, args=None, **kw):
        reply = self.request(action, args, **kw)
        if not reply.get("ok"):
            raise _EnactActionError(reply.get("error") or {})
        return reply.get("result")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _EnactNamespace(name)


enact = _Enact()


def __enact_make_runner():
    json_loads, json_dumps = json.loads, json.dumps
    from keyword import iskeyword
    module_type = types.ModuleType

    class Return(BaseException):
        """A top-level return of the task: carries its value out."""

    # Statements that hold statements, by the fields that hold them: a
    # top-level return may stand in any of these, but not in a function or
    # class body.
    blocks = {
        ast.If: ("body", "orelse"), ast.For: ("body", "orelse"), ast.AsyncFor: ("body", "orelse"),
        ast.While: ("body", "orelse"), ast.With: ("body",), ast.AsyncWith: ("body",),
        ast.Try: ("body", "orelse", "finalbody"), ast.TryStar: ("body", "orelse", "finalbody"),
    }

    def placed(node, where):
        node.lineno, node.col_offset = where.lineno, where.col_offset
        node.end_lineno, node.end_col_offset = where.end_lineno, where.end_col_offset
        return node

    def rewrite_returns(stmts):
        # Replaces each top-level `return X` by `raise __enact_return__(X)`;
        # says whether there was one.
        found = False
        for i, st in enumerate(stmts):
            kind = type(st)
            if kind is ast.Return:
                value = st.value if st.value is not None else placed(ast.Constant(None), st)
                call = placed(ast.Call(placed(ast.Name("__enact_return__", ast.Load()), st), [value], []), st)
                stmts[i] = placed(ast.Raise(call, None), st)
                found = True
            elif kind in blocks:
                for field in blocks[kind]:
                    found = rewrite_returns(getattr(st, field)) or found
                if kind is ast.Try or kind is ast.TryStar:
                    for handler in st.handlers:
                        found = rewrite_returns(handler.body) or found
            elif kind is ast.Match:
                for case in st.cases:
                    found = rewrite_returns(case.body) or found
        return found

    def compile_task(code, filename, first_line):
        # Blank lines before the code give it the document's line numbers,
        # in tracebacks and in syntax errors alike.
        src = "\n" * (first_line - 1) + code
        if "return" not in code:
            return compile(src, filename, "exec", dont_inherit=True)
        tree = ast.parse(src, filename, "exec")
        rewrite_returns(tree.body)
        return compile(tree, filename, "exec", dont_inherit=True)

    keep_frames = 40

    def task_frames(tb):
        # The traceback entries of an exception without the runner's and
        # the sandbox's own frames (file "<enact>"), relinked in place.
        kept = []
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != "<enact>":
                kept.append(tb)
            tb = tb.tb_next
        for a, b in zip(kept, kept[1:] + [None]):
            a.tb_next = b
        return kept

    keep_chained = 4

    def trace_of(e, filename):
        # The exceptions chained to e (raise from, or raised while handling
        # another): the first few are shown, as a deep chain (a recursion
        # error inside handlers) could take minutes to format.
        chained, depth = e, 0
        while chained is not None:
            frames = task_frames(chained.__traceback__)
            chained.__traceback__ = frames[0] if frames else None
            depth += 1
            following = chained.__cause__ or (None if chained.__suppress_context__ else chained.__context__)
            if depth >= keep_chained and following is not None:
                chained.__cause__ = chained.__context__ = None
                chained.__suppress_context__ = True
                following = None
            chained = following
        frames = task_frames(e.__traceback__)
        if len(frames) <= 2 * keep_frames:
            return "".join(traceback.format_exception(type(e), e, e.__traceback__))
        # A deep stack (a recursion error) is shown by its two ends:
        # formatting a thousand frames costs this interpreter a second.
        frames[keep_frames - 1].tb_next = None
        omitted = len(frames) - 2 * keep_frames
        return ("Traceback (most recent call last):\n" + "".join(traceback.format_tb(frames[0]))
                + f"  [... {omitted} more frames ...]\n" + "".join(traceback.format_tb(frames[-keep_frames]))
                + "".join(traceback.format_exception_only(type(e), e)))

    def describe(e):
        name = type(e).__name__
        if isinstance(e, SyntaxError):
            return name, e.msg or ""
        if isinstance(e, SystemExit):
            return name, str(e.code)
        if isinstance(e, OSError) and e.errno == errno.ENOTCAPABLE:
            return name, f"{e} (the Enact sandbox has no files)"
        return name, str(e)

    def call_entry(fn, name, inputs):
        # The entry point gets the inputs its parameters name (all of them
        # when it takes **kwargs); a parameter no input names gets its
        # default, or None.
        import inspect
        if not callable(fn):
            raise NameError(f"the task's entry point {name!r} is not a function its code defines")
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            return fn()
        kinds = inspect.Parameter
        if any(p.kind is kinds.VAR_KEYWORD for p in params):
            return fn(**{k: v for k, v in inputs.items() if k.isidentifier()})
        args, kwargs = [], {}
        for p in params:
            if p.kind in (kinds.VAR_POSITIONAL,):
                continue
            if p.name not in inputs and p.default is not kinds.empty:
                continue
            value = inputs.get(p.name)
            if p.kind is kinds.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        return fn(*args, **kwargs)

    def check(req):
        # Compiles the task as a run would, and runs nothing: the answer is
        # {"ok": null}, or the syntax error with its place in the code
        # (line 1 is the code's first line) and the line it stands on.
        try:
            compile_task(req["code"], req["file"], 1)
        except SyntaxError as e:
            text = e.text or ""
            return json_dumps({"error": {
                "type": type(e).__name__, "message": e.msg or "",
                "line": e.lineno or 0, "column": e.offset or 0, "text": text.rstrip("\r\n"),
            }})
        except Exception as e:
            # What else the compiler raises: a RecursionError (code nested
            # too deep), a MemoryError (the host reports the memory limit).
            return json_dumps({"error": {"type": type(e).__name__, "message": str(e), "line": 0, "column": 0, "text": ""}})
        return json_dumps({"ok": None})

    def run(request):
        req = json_loads(request)
        if req.get("check"):
            return check(req)
        filename, code, first_line = req["file"], req["code"], req["line"]
        random.seed(int(req["seed"], 16))
        inputs = json_loads(req["inputs"])
        main = module_type("__main__")
        g = main.__dict__
        g["__builtins__"] = builtins
        g["__file__"] = filename
        g["__enact_return__"] = Return
        g["enact"] = enact
        # The capability's environment variables, read-only: env with
        # their values, os.environ with their text. An input of the same
        # name wins over env.
        g["env"] = types.MappingProxyType(json_loads(req.get("env") or "{}"))
        os.environ = types.MappingProxyType(json_loads(req.get("environ") or "{}"))
        entry = req.get("entry") or ""
        for name in inputs:
            if name.isidentifier() and not iskeyword(name) and not name.startswith("__enact") and name != "inputs":
                g[name] = inputs[name]
        g["inputs"] = inputs
        sys.modules["__main__"] = main
        # Source lines for tracebacks, at the document's line numbers.
        lines = [""] * (first_line - 1) + [line + "\n" for line in code.split("\n")]
        linecache.cache[filename] = (len(code), None, lines, filename)
        value = None
        try:
            try:
                exec(compile_task(code, filename, max(first_line, 1)), g)
                if entry:
                    value = call_entry(g.get(entry), entry, inputs)
            except Return as r:
                value = r.args[0] if r.args else None
            except SystemExit as e:
                # sys.exit() and sys.exit(0) end a script successfully, with
                # nothing returned; another code or a message is a failure.
                if e.code is not None and e.code != 0:
                    raise
            try:
                out = json_dumps({"ok": value}, allow_nan=False)
            except (TypeError, ValueError, RecursionError) as e:
                return json_dumps({"error": {"type": "TypeError", "message": "the task's return value is not JSON: " + str(e), "trace": ""}})
            return out
        except BaseException as e:
            name, message = describe(e)
            try:
                # A failing sys.exit prints its message, not a traceback,
                # as CPython does.
                trace = message + "\n" if isinstance(e, SystemExit) else trace_of(e, filename)
            except BaseException as f:
                trace = f"(the traceback could not be formatted: {type(f).__name__})"
            return json_dumps({"error": {"type": name, "message": message, "trace": trace}})
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass

    return run


__enact_run = __enact_make_runner()
del __enact_make_runner

# Everything made so far lives as long as the snapshot: move it out of the
# garbage collector's sight, so that a run's collections walk only what the
# run made and never fault in the snapshot's pages to inspect them.
import gc
gc.collect()
gc.freeze()
del gc
