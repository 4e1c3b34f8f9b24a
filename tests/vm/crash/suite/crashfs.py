#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""crashfs.py - model, workload and verifier of the ZUFS crash test.

One file, used on both sides:

  guest:  crashfs.py workload --root MNT --dir cN --seed S --mode meta|data
                              [--res /dev/ttyS1] [--max-ops N] [--max-secs S]
          crashfs.py dump --root MNT --cycle N [--full c3,c1] --out /dev/vda
  host:   crashfs.py verify --model M.json --ops BOOT.result --dump SLOW.img
                            --boot N --out NEW.json [--ignore-root NAME]
          crashfs.py pmemfs-offset PMEM-BACKING-FILE
          crashfs.py delay SEED CYCLE MIN MAX

The workload runs metadata operations (and, with --mode data, writes made
durable with fsync or O_SYNC) inside one fresh directory. Every operation is
a single system call whose result is decided by the model below before it is
run. On the result channel it writes, with tcdrain() after each write so a
line is on the host before the next system call starts:

    TRY <seq> <op> <args>       before operation <seq> starts
    OP <seq> <rc> <op> <args>   after it returned (rc = OK or an errno name)

so after a kill at most one operation (the last TRY without an OP) was in
flight. The verifier replays the completed operations on the model (the
state the previous cycles left, saved as JSON) and accepts the dumped tree
only if it equals the model after the completed operations, or after the
completed operations plus the one in flight (applied entirely: a rename
leaves exactly one of the names, etc.). A write in flight may leave every
byte of its range old or new and the size old or new (pmemfs does not
journal file data, see FORMAT.md); nothing else may differ.
"""
import errno
import hashlib
import os
import stat
import sys
import time

# json, base64, random, copy and re are imported where needed: Python
# starts twice per boot under TCG, every module costs

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
AT_FDCWD = -100
MAX_FILE = 20480        # files stay small: the dump carries their bytes
DUMP_MAGIC = b"ZCRASHDUMP"


def pattern(seed, n):
    """n deterministic bytes for a write (same on host and guest)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


# ~~~~ the model ~~~~
class Model:
    """The filesystem tree as it must be. Nodes: id -> dict with t (d, f,
    l), m (permission bits), for f: data (bytes), for l: tgt, for d: e
    (name -> id). Node 0 is the mount root."""

    def __init__(self):
        self.nodes = {0: {"t": "d", "m": 0o755, "e": {}}}
        self.next = 1

    # -- persistence
    def to_json(self):
        import base64
        nodes = {}
        for i, n in self.nodes.items():
            o = dict(n)
            if "data" in o:
                o["data"] = base64.b64encode(o["data"]).decode()
            nodes[str(i)] = o
        return {"next": self.next, "nodes": nodes}

    @classmethod
    def from_json(cls, j):
        import base64
        m = cls()
        m.next = j["next"]
        m.nodes = {}
        for i, o in j["nodes"].items():
            if "data" in o:
                o["data"] = base64.b64decode(o["data"])
            m.nodes[int(i)] = o
        return m

    def clone(self):
        import copy
        m = Model()
        m.next = self.next
        m.nodes = copy.deepcopy(self.nodes)
        return m

    # -- lookup
    def walk(self, path):
        """(parent id, name, id or None); parent None if a component on
        the way is missing or not a directory."""
        parts = path.split("/")
        cur = 0
        for p in parts[:-1]:
            n = self.nodes[cur]
            if n["t"] != "d" or p not in n["e"]:
                return None, parts[-1], None
            cur = n["e"][p]
        if self.nodes[cur]["t"] != "d":
            return None, parts[-1], None
        return cur, parts[-1], self.nodes[cur]["e"].get(parts[-1])

    def get(self, path):
        return self.walk(path)[2]

    def nlink(self, i):
        n = self.nodes[i]
        if n["t"] == "d":
            return 2 + sum(1 for c in n["e"].values()
                           if self.nodes[c]["t"] == "d")
        return n.get("links", 1)

    def new(self, **kw):
        i = self.next
        self.next += 1
        self.nodes[i] = kw
        return i

    def is_ancestor(self, a, b):
        """Is directory a equal to or an ancestor of node b?"""
        if a == b:
            return True
        for c in self.nodes[a].get("e", {}).values():
            if c == b or (self.nodes[c]["t"] == "d" and
                          self.is_ancestor(c, b)):
                return True
        return False

    def drop_link(self, i):
        n = self.nodes[i]
        if n["t"] == "d":
            self._free(i)
            return
        n["links"] = n.get("links", 1) - 1
        if n["links"] <= 0:
            self._free(i)

    def _free(self, i):
        del self.nodes[i]

    # -- operations: return "OK" (applied) or the errno name(s) expected,
    # as a set of acceptable names
    def apply(self, op):
        k = op[0]
        f = getattr(self, "op_" + k)
        return f(*op[1:])

    def op_mkdir(self, p, mode):
        par, name, cur = self.walk(p)
        if par is None:
            return {"ENOENT"}
        if cur is not None:
            return {"EEXIST"}
        self.nodes[par]["e"][name] = self.new(t="d", m=int(mode, 8), e={})
        return "OK"

    def op_creat(self, p, mode):
        par, name, cur = self.walk(p)
        if par is None:
            return {"ENOENT"}
        if cur is not None:
            return {"EEXIST"}
        self.nodes[par]["e"][name] = self.new(t="f", m=int(mode, 8),
                                              data=b"", links=1)
        return "OK"

    def op_symlink(self, tgt, p):
        par, name, cur = self.walk(p)
        if par is None:
            return {"ENOENT"}
        if cur is not None:
            return {"EEXIST"}
        self.nodes[par]["e"][name] = self.new(t="l", m=0o777, tgt=tgt,
                                              links=1)
        return "OK"

    def op_link(self, a, b):
        _, _, src = self.walk(a)
        par, name, cur = self.walk(b)
        if src is None or par is None:
            return {"ENOENT"}
        if cur is not None:
            return {"EEXIST"}
        if self.nodes[src]["t"] == "d":
            return {"EPERM"}
        self.nodes[par]["e"][name] = src
        self.nodes[src]["links"] = self.nodes[src].get("links", 1) + 1
        return "OK"

    def op_unlink(self, p):
        par, name, cur = self.walk(p)
        if cur is None:
            return {"ENOENT"}
        if self.nodes[cur]["t"] == "d":
            return {"EISDIR"}
        del self.nodes[par]["e"][name]
        self.drop_link(cur)
        return "OK"

    def op_rmdir(self, p):
        par, name, cur = self.walk(p)
        if cur is None:
            return {"ENOENT"}
        if self.nodes[cur]["t"] != "d":
            return {"ENOTDIR"}
        if self.nodes[cur]["e"]:
            return {"ENOTEMPTY", "EEXIST"}
        del self.nodes[par]["e"][name]
        self.drop_link(cur)
        return "OK"

    def op_rename(self, a, b, flags):
        pa, na, src = self.walk(a)
        pb, nb, dst = self.walk(b)
        if src is None or pb is None:
            return {"ENOENT"}
        sd = self.nodes[src]["t"] == "d"
        if flags == "exchange":
            if dst is None:
                return {"ENOENT"}
            if src == dst:
                return "OK"
            dd = self.nodes[dst]["t"] == "d"
            if (sd and self.is_ancestor(src, pb)) or \
               (dd and self.is_ancestor(dst, pa)):
                return {"EINVAL"}
            self.nodes[pa]["e"][na] = dst
            self.nodes[pb]["e"][nb] = src
            return "OK"
        if dst is not None and flags == "noreplace":
            return {"EEXIST"}
        if sd and self.is_ancestor(src, pb):
            return {"EINVAL"}
        if dst is not None:
            if src == dst:
                return "OK"     # two links of one inode: nothing happens
            dd = self.nodes[dst]["t"] == "d"
            if sd and not dd:
                return {"ENOTDIR"}
            if dd and not sd:
                return {"EISDIR"}
            if dd and self.nodes[dst]["e"]:
                return {"ENOTEMPTY", "EEXIST"}
            self.drop_link(dst)
        del self.nodes[pa]["e"][na]
        self.nodes[pb]["e"][nb] = src
        return "OK"

    def op_truncate(self, p, size):
        cur = self.get(p)
        if cur is None:
            return {"ENOENT"}
        n = self.nodes[cur]
        if n["t"] == "d":
            return {"EISDIR"}
        size = int(size)
        d = n["data"]
        n["data"] = d[:size] + bytes(max(0, size - len(d)))
        return "OK"

    def op_chmod(self, p, mode):
        cur = self.get(p)
        if cur is None:
            return {"ENOENT"}
        self.nodes[cur]["m"] = int(mode, 8)
        return "OK"

    def op_write(self, p, off, ln, seed, how):
        cur = self.get(p)
        if cur is None:
            return {"ENOENT"}
        n = self.nodes[cur]
        if n["t"] == "d":
            return {"EISDIR"}
        off, ln = int(off), int(ln)
        d = n["data"]
        if len(d) < off:
            d = d + bytes(off - len(d))
        n["data"] = d[:off] + pattern(int(seed), ln) + d[off + ln:]
        return "OK"

    # -- listing in the dump's format (without inode numbers)
    def listing(self, top):
        """{path: (entry dict, node id)} for the subtree at path top."""
        out = {}
        i = self.get(top)
        if i is None:
            return out

        def rec(path, i):
            n = self.nodes[i]
            e = {"t": n["t"], "n": self.nlink(i)}
            if n["t"] != "l":
                e["m"] = n["m"]
            if n["t"] == "f":
                e["s"] = len(n["data"])
            if n["t"] == "l":
                e["l"] = n["tgt"]
                e["s"] = len(n["tgt"].encode())
            out[path] = (e, i)
            if n["t"] == "d":
                for name, c in n["e"].items():
                    rec(path + "/" + name, c)
        rec(top, i)
        return out


# ~~~~ the workload generator ~~~~
class Gen:
    FILE_MODES = ["644", "600", "755", "640", "444", "000", "777", "400"]
    DIR_MODES = ["755", "700", "775", "750", "777", "1777", "711"]

    def __init__(self, model, top, seed, data):
        import random
        self.m = model
        self.top = top
        self.r = random.Random(seed)
        self.data = data
        self.cnt = 0
        self.started = False
        w = {"mkdir": 10, "creat": 18, "symlink": 7, "link": 8,
             "rename": 14, "unlink": 12, "rmdir": 5, "truncate": 5,
             "chmod": 7, "error": 4}
        if data:
            w.update(write=30, truncate=8)
        self.weights = w

    def name(self, kind, long_ok=True):
        self.cnt += 1
        # long names fill directory leaves (not for directories: their
        # names would make every path below them long)
        if kind != "d" and long_ok and self.r.random() < 0.08:
            return "%s%d_%s" % (kind, self.cnt,
                                "x" * self.r.randint(100, 240))
        return "%s%d" % (kind, self.cnt)

    def entries(self):
        """[(path, id, depth)] below the cycle directory."""
        out = []
        top = self.m.get(self.top)
        if top is None:
            return out

        def rec(path, i, depth):
            for name, c in self.m.nodes[i]["e"].items():
                p = path + "/" + name
                out.append((p, c, depth))
                if self.m.nodes[c]["t"] == "d":
                    rec(p, c, depth + 1)
        rec(self.top, top, 1)
        return out

    def next(self):
        if not self.started:
            self.started = True
            return ["mkdir", self.top, "755"]
        ents = self.entries()
        dirs = [self.top] + [p for p, i, d in ents
                             if self.m.nodes[i]["t"] == "d" and d < 4]
        files = [(p, i) for p, i, _ in ents if self.m.nodes[i]["t"] == "f"]
        nondirs = [(p, i) for p, i, _ in ents if self.m.nodes[i]["t"] != "d"]
        alldirs = [(p, i) for p, i, _ in ents if self.m.nodes[i]["t"] == "d"]
        r = self.r

        def newpath(kind):
            # half of the new names go to the cycle directory itself, so
            # it grows big (leaf splits, trie nodes)
            d = self.top if r.random() < 0.5 else r.choice(dirs)
            return d + "/" + self.name(kind)

        w = dict(self.weights)
        if len(ents) > 300:             # keep the tree bounded
            w.update(mkdir=1, creat=2, symlink=1, link=1, unlink=30,
                     rmdir=15)
        for _ in range(50):
            k = r.choices(list(w), list(w.values()))[0]
            if k == "mkdir":
                return ["mkdir", newpath("d"), r.choice(self.DIR_MODES)]
            if k == "creat":
                return ["creat", newpath("f"), r.choice(self.FILE_MODES)]
            if k == "symlink":
                ln = r.choice([8, 40, 84, 85, 200, 1000])
                tgt = "t/" + "".join(r.choice("abcdefgh/") for _ in range(ln))
                return ["symlink", tgt[:ln], newpath("s")]
            if k == "link" and nondirs:
                return ["link", r.choice(nondirs)[0], newpath("h")]
            if k == "rename" and ents:
                return self.rename(ents, dirs, newpath)
            if k == "unlink" and nondirs:
                return ["unlink", r.choice(nondirs)[0]]
            if k == "rmdir":
                empty = [p for p, i in alldirs if not self.m.nodes[i]["e"]]
                if empty:
                    return ["rmdir", r.choice(empty)]
            if k == "truncate" and files:
                sz = 0 if r.random() < 0.3 else r.randint(1, MAX_FILE)
                return ["truncate", r.choice(files)[0], str(sz)]
            if k == "chmod":
                cand = [(p, i) for p, i, _ in ents
                        if self.m.nodes[i]["t"] != "l"]
                if cand:
                    p, i = r.choice(cand)
                    modes = self.DIR_MODES if self.m.nodes[i]["t"] == "d" \
                        else self.FILE_MODES
                    return ["chmod", p, r.choice(modes)]
            if k == "write" and files:
                off = r.choice([0, r.randint(0, 16384),
                                r.randint(0, 4) * 4096])
                ln = r.choice([r.randint(1, 64), r.randint(1, 4200)])
                return ["write", r.choice(files)[0], str(off), str(ln),
                        str(r.randint(1, 1 << 30)),
                        r.choice(["fsync", "osync"])]
            if k == "error" and ents:
                return self.error(ents, alldirs)
        return ["mkdir", newpath("d"), "755"]

    def rename(self, ents, dirs, newpath):
        r = self.r
        p, i, _ = r.choice(ents)
        isdir = self.m.nodes[i]["t"] == "d"

        def related(q, j):
            # q inside p's subtree or p inside q's (paths tell)
            return (isdir and q.startswith(p + "/")) or \
                (self.m.nodes[j]["t"] == "d" and p.startswith(q + "/"))

        def short(q):
            return len(q.rsplit("/", 1)[-1]) <= 32

        def swappable(q, j):
            # a directory never takes a long name (paths stay short)
            if isdir or self.m.nodes[j]["t"] == "d":
                return short(p) and short(q) and not related(q, j)
            return True
        flags = r.choices(["0", "noreplace", "exchange"], [6, 2, 2])[0]
        if flags == "exchange":
            cand = [q for q, j, _ in ents if swappable(q, j)]
            if cand:
                return ["rename", p, r.choice(cand), "exchange"]
            flags = "0"
        if flags == "0" and r.random() < 0.4:
            # over an existing entry of a compatible type
            if isdir:
                cand = [q for q, j, _ in ents
                        if self.m.nodes[j]["t"] == "d" and j != i and
                        not self.m.nodes[j]["e"] and swappable(q, j)]
            else:
                cand = [q for q, j, _ in ents
                        if self.m.nodes[j]["t"] != "d"]
            if cand:
                return ["rename", p, r.choice(cand), "0"]
        # to a new name, in a directory outside its own subtree
        ok = [d for d in dirs if not (isdir and (d == p or
                                                 d.startswith(p + "/")))]
        return ["rename", p, r.choice(ok) + "/" +
                self.name("r", long_ok=not isdir), flags]

    def error(self, ents, alldirs):
        """An operation that must fail and change nothing."""
        r = self.r
        p, i, _ = r.choice(ents)
        full = [q for q, j in alldirs if self.m.nodes[j]["e"]]
        c = r.randint(0, 5)
        if c == 0:
            return ["mkdir", p, "755"]
        if c == 1:
            return ["creat", p, "644"]
        if c == 2 and full:
            return ["rmdir", r.choice(full)]
        if c == 3:
            return ["unlink", self.top + "/nonexistent%d" % self.cnt]
        if c == 4 and len(ents) > 1:
            q = r.choice(ents)[0]
            return ["rename", q, p, "noreplace"] if q != p else \
                ["mkdir", p, "755"]
        nd = [q for q, j, _ in ents if self.m.nodes[j]["t"] != "d"]
        if nd:
            return ["link", r.choice(nd), p]
        return ["mkdir", p, "755"]


# ~~~~ guest: run the workload ~~~~
def errname(e):
    return errno.errorcode.get(e.errno, "E%d" % e.errno)


class Runner:
    def __init__(self, syncfs=False):
        import ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        # syncfs() after every operation: for stand-ins (ext4) whose
        # operations are not all durable at return, even mounted -o sync
        self.syncfd = os.open(".", os.O_RDONLY) if syncfs else -1
        self.libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_uint]
        self.ctypes = ctypes

    def run(self, op):
        k = op[0]
        try:
            if k == "mkdir":
                os.mkdir(op[1], int(op[2], 8))
            elif k == "creat":
                os.close(os.open(op[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY,
                                 int(op[2], 8)))
            elif k == "symlink":
                os.symlink(op[1], op[2])
            elif k == "link":
                os.link(op[1], op[2], follow_symlinks=False)
            elif k == "unlink":
                os.unlink(op[1])
            elif k == "rmdir":
                os.rmdir(op[1])
            elif k == "rename":
                fl = {"0": 0, "noreplace": RENAME_NOREPLACE,
                      "exchange": RENAME_EXCHANGE}[op[3]]
                if self.libc.renameat2(AT_FDCWD, op[1].encode(), AT_FDCWD,
                                       op[2].encode(), fl) != 0:
                    e = self.ctypes.get_errno()
                    raise OSError(e, os.strerror(e))
            elif k == "truncate":
                os.truncate(op[1], int(op[2]))
            elif k == "chmod":
                os.chmod(op[1], int(op[2], 8))
            elif k == "write":
                fl = os.O_WRONLY | (os.O_SYNC if op[5] == "osync" else 0)
                fd = os.open(op[1], fl)
                try:
                    data = pattern(int(op[4]), int(op[3]))
                    n = os.pwrite(fd, data, int(op[2]))
                    if n != len(data):
                        return "SHORT%d" % n
                    if op[5] == "fsync":
                        os.fsync(fd)
                finally:
                    os.close(fd)
            else:
                return "BADOP"
        except OSError as e:
            return errname(e)
        finally:
            if self.syncfd >= 0:
                self.libc.syncfs(self.syncfd)
        return "OK"


class Channel:
    """Lines to the host, each on the wire before write() returns."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_APPEND |
                          (0 if path.startswith("/dev/") else os.O_CREAT),
                          0o644) if path else 1
        self.tty = os.isatty(self.fd)

    def put(self, text):
        b = text.encode()
        while b:
            n = os.write(self.fd, b)
            b = b[n:]
        if self.tty:
            import termios
            termios.tcdrain(self.fd)


def worker(a, w, ch):
    """One worker: operations in its own directory <dir>w<w>, recorded as
    "TRY w:seq ..." / "OP w:seq rc ..." lines."""
    m = Model()
    # the model only knows the worker's directory (it must not exist yet)
    top = "%sw%d" % (a.dir, w)
    gen = Gen(m, top, a.seed * 16 + w, a.mode == "data")
    run = Runner(a.syncfs)
    t0 = time.time()
    seq = 1
    op = gen.next()
    ch.put("TRY %d:%d %s\n" % (w, seq, " ".join(op)))
    while True:
        rc = run.run(op)
        want = m.apply(op)
        if rc != want and not (isinstance(want, set) and rc in want):
            ch.put("OP %d:%d %s %s\nCR WL-BAD %d:%d %s returned %s, "
                   "expected %s\n" % (w, seq, rc, " ".join(op), w, seq, op[0],
                                      rc, want if want == "OK" else
                                      "|".join(sorted(want))))
            print("crashfs: op %d:%d %s: got %s, expected %s" %
                  (w, seq, " ".join(op), rc, want), file=sys.stderr)
            return 1
        if seq >= a.max_ops or time.time() - t0 > a.max_secs:
            ch.put("OP %d:%d %s %s\nCR WL-END %d:%d ops %.1fs\n" %
                   (w, seq, rc, " ".join(op), w, seq, time.time() - t0))
            return 0
        nop = gen.next()
        ch.put("OP %d:%d %s %s\nTRY %d:%d %s\n" %
               (w, seq, rc, " ".join(op), w, seq + 1, " ".join(nop)))
        seq += 1
        op = nop


def rmtree(path):
    for n in os.listdir(path):
        p = path + "/" + n
        if stat.S_ISDIR(os.lstat(p).st_mode):
            rmtree(p)
        else:
            os.unlink(p)
    os.rmdir(path)


def churn(a, ch):
    """Unrecorded load in <dir>x: big writes (several transactions each),
    truncates of big files (orphan list), unlinks of open files (orphans),
    renames over files, links, and the removal of the previous cycles'
    churn directories. It runs nearly all the time inside system calls,
    so kills land inside transactions; only fsck and the recovery mount
    judge what it leaves. Errors are unexpected: CR CHURN-ERR."""
    import random
    r = random.Random(a.seed * 16 + 15)
    top = a.dir + "x"
    buf = bytes(range(256)) * 4096             # 1 MiB
    files, held, n = {}, [], 0
    t0 = time.time()
    try:
        os.mkdir(top)
        for old in sorted(os.listdir(".")):
            if old != top and is_churn(old):
                rmtree(old)
        while time.time() - t0 < a.max_secs:
            n += 1
            k = r.choices(["write", "trunc", "rename", "link", "unlink",
                           "hold", "close"], [30, 12, 10, 6, 10, 5, 5])[0]
            name = top + "/f%d" % r.randint(0, 23)
            if k == "write" or name not in files:
                off = r.choice([0, r.randint(0, 2 << 20)])
                ln = r.choice([4096, r.randint(1, 64 << 10),
                               r.randint(1, 1 << 20)])
                fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
                os.pwrite(fd, buf[:ln], off)
                os.close(fd)
                files[name] = max(files.get(name, 0), off + ln)
            elif k == "trunc":
                sz = r.choice([0, r.randint(0, files[name])])
                os.truncate(name, sz)
                files[name] = sz
            elif k == "rename":
                dst = top + "/f%d" % r.randint(0, 23)
                os.rename(name, dst)
                if dst != name:
                    files[dst] = files.pop(name)
            elif k == "link":
                dst = top + "/l%d" % n
                os.link(name, dst)
                os.unlink(dst)
            elif k == "unlink":
                os.unlink(name)
                del files[name]
            elif k == "hold" and len(held) < 4:
                fd = os.open(name, os.O_RDWR)
                os.unlink(name)
                del files[name]
                os.pwrite(fd, buf[:r.randint(1, 1 << 20)], 0)
                held.append(fd)
            elif k == "close" and held:
                os.close(held.pop(0))
        return 0
    except OSError as e:
        ch.put("CR CHURN-ERR after %d ops: %s\n" % (n, e))
        return 1


def is_churn(name):
    return name.startswith("c") and name.endswith("x") and \
        name[1:-1].isdigit()


# --acl 1: the root's default ACL (kernel xattr format: version 2, then
# tag, perm, id per entry), so every file and directory the workload makes
# inherits an access ACL and every directory the default ACL too, in the
# same step as its name (the dump and the verifier check they are there).
# It grants everything (and a named user, so the ACL is never folded into
# the mode): the modes stay what the operations ask for.
ACL_ACCESS = "system.posix_acl_access"
ACL_DEFAULT = "system.posix_acl_default"


def _acl(*entries):
    import struct
    return struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", tag, perm, ident) for tag, perm, ident in entries)


ROOT_DEFAULT_ACL = _acl((0x01, 7, 0xffffffff),   # user::rwx
                        (0x02, 7, 4242),         # user:4242:rwx
                        (0x04, 7, 0xffffffff),   # group::rwx
                        (0x10, 7, 0xffffffff),   # mask::rwx
                        (0x20, 7, 0xffffffff))   # other::rwx


def cmd_workload(a):
    """--workers processes side by side (concurrent transactions: journal
    slots, allocator bitmaps shared by both), each in its own directory,
    so their models are independent; with --churn 1 one more process
    loads the filesystem without recording anything (see churn())."""
    if a.res:
        a.res = os.path.abspath(a.res)
    os.umask(0)
    os.chdir(a.root)
    if a.acl:
        os.setxattr(".", ACL_DEFAULT, ROOT_DEFAULT_ACL)
    pids = []
    for w in range(a.workers):
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                rc = worker(a, w, Channel(a.res))
            finally:
                os._exit(rc)
        pids.append(pid)
    if a.churn:
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                rc = churn(a, Channel(a.res))
            finally:
                os._exit(rc)
        pids.append(pid)
    rc = 0
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        rc = max(rc, os.waitstatus_to_exitcode(st) & 0xff)
    return rc


# ~~~~ guest: dump the tree ~~~~
def dump_tree(root, full, acl=False):
    """Lines of JSON: the root's entries (names and types only) and every
    entry below the directories in full, with lstat data and contents
    (acl: and the names of their ACL xattrs)."""
    import base64
    out = []

    def ent(path):
        try:
            st = os.lstat(path)
        except OSError as e:
            return {"p": path, "err": errname(e)}
        t = "d" if stat.S_ISDIR(st.st_mode) else "f" if \
            stat.S_ISREG(st.st_mode) else "l" if \
            stat.S_ISLNK(st.st_mode) else "o"
        e = {"p": path, "t": t, "i": st.st_ino, "n": st.st_nlink,
             "s": st.st_size}
        if t != "l":
            e["m"] = stat.S_IMODE(st.st_mode)
        try:
            if acl and t != "l":
                e["x"] = sorted(n for n in os.listxattr(path)
                                if n in (ACL_ACCESS, ACL_DEFAULT))
            if t == "l":
                e["l"] = os.readlink(path)
            elif t == "f":
                with open(path, "rb") as f:
                    e["d"] = base64.b64encode(f.read()).decode()
        except OSError as x:
            e["err"] = errname(x)
        return e

    def rec(path):
        e = ent(path)
        out.append(e)
        if e.get("t") == "d" and "err" not in e:
            try:
                names = sorted(os.listdir(path))
            except OSError as x:
                out.append({"p": path, "err": "listdir " + errname(x)})
                return
            for n in names:
                rec(path + "/" + n)

    os.chdir(root)
    try:
        top = sorted(os.listdir("."))
    except OSError as x:
        return [{"p": ".", "err": "listdir " + errname(x)}]
    for n in top:
        try:
            st = os.lstat(n)
            out.append({"p": n, "root": 1,
                        "t": "d" if stat.S_ISDIR(st.st_mode) else "x"})
        except OSError as x:
            out.append({"p": n, "root": 1, "err": errname(x)})
    for n in top:
        if in_cycles(n, full):
            rec(n)
    return out


def in_cycles(name, cycles):
    """Is a root entry the directory of one of the cycles (cN or cNwK)?"""
    for c in cycles:
        if name == c or (name.startswith(c + "w") and
                         name[len(c) + 1:].isdigit()):
            return True
    return False


def cmd_dump(a):
    import json
    full = [d for d in (a.full or "").split(",") if d]
    fd = os.open(a.out, os.O_WRONLY | os.O_CREAT, 0o644)
    t0 = time.time()
    lines = dump_tree(a.root, full, a.acl)
    t1 = time.time()
    body = "".join(json.dumps(x, sort_keys=True) + "\n" for x in lines)
    body = body.encode()
    hdr = b"%s %d %d %s\n" % (DUMP_MAGIC, a.cycle, len(body),
                              hashlib.sha256(body).hexdigest().encode())
    try:
        buf = hdr + body
        os.pwrite(fd, buf, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    print("CR DUMP %d entries %d bytes %s (walk %.1fs, write %.1fs)" %
          (len(lines), len(body), ",".join(full) or "-", t1 - t0,
           time.time() - t1))
    return 0


# ~~~~ host: verify ~~~~
def read_dump(path, boot):
    import json
    with open(path, "rb") as f:
        hdr = f.readline(200)
        p = hdr.split()
        if len(p) != 4 or p[0] != DUMP_MAGIC:
            raise ValueError("no dump on the disk")
        if int(p[1]) != boot:
            raise ValueError("the dump is from boot %s, not %d" %
                             (p[1].decode(), boot))
        body = f.read(int(p[2]))
        if hashlib.sha256(body).hexdigest().encode() != p[3]:
            raise ValueError("dump checksum mismatch (truncated?)")
    return [json.loads(x) for x in body.decode().splitlines()]


def read_ops(path):
    """{worker: (completed [(seq, rc, op)], op in flight or None)} and
    notes (WL-BAD/WL-END lines)."""
    tries, done, notes = {}, {}, []
    with open(path, "rb") as f:
        text = f.read().decode(errors="replace")
    # a line the kill cut short (no newline yet) was not recorded
    for raw in text.split("\n")[:-1]:
        ln = raw.strip("\r").split(" ")
        if ln[0] in ("TRY", "OP") and len(ln) > 2 and ":" in ln[1]:
            w, seq = (int(x) for x in ln[1].split(":"))
            if ln[0] == "TRY":
                tries.setdefault(w, {})[seq] = ln[2:]
            elif len(ln) > 3:
                done.setdefault(w, []).append((seq, ln[2], ln[3:]))
        elif ln[0] == "CR" and len(ln) > 1 and ln[1] in ("WL-BAD", "WL-END",
                                                         "CHURN-ERR"):
            notes.append(" ".join(ln[1:]))
    out = {}
    for w in sorted(set(tries) | set(done)):
        d = done.get(w, [])
        for n, (seq, _, _) in enumerate(d):
            if seq != n + 1:
                raise ValueError("result channel: OP %d:%d where %d:%d "
                                 "expected" % (w, seq, w, n + 1))
        out[w] = (d, tries.get(w, {}).get(len(d) + 1))
    return out, notes


def compare(model, dump, roots, full, fuzzy=None):
    """Differences (list of strings) between the dumped tree and the
    model: the root entries named in roots (presence and type), the
    subtrees in full (everything). fuzzy = (node id, old bytes, new
    bytes): that file may hold any old/new mix of a write in flight."""
    import base64
    diffs = []
    root = model.nodes[0]["e"]
    want_root = {n: ("d" if model.nodes[i]["t"] == "d" else "x")
                 for n, i in root.items() if n in roots}
    got_root = {e["p"]: e.get("t", "?") for e in dump
                if e.get("root") and e["p"] in roots}
    for e in dump:
        if e.get("root") and "err" in e and e["p"] in roots:
            diffs.append("/%s: %s" % (e["p"], e["err"]))
    for n in sorted(set(want_root) | set(got_root)):
        if n not in got_root:
            diffs.append("/%s missing" % n)
        elif n not in want_root:
            diffs.append("/%s unexpected" % n)
        elif want_root[n] != got_root[n]:
            diffs.append("/%s: type %s, expected %s" % (n, got_root[n],
                                                        want_root[n]))
    got = {e["p"]: e for e in dump if not e.get("root") and
           e["p"].split("/")[0] in full}
    want = {}
    for d in full:
        want.update(model.listing(d))
    ino_of = {}     # model id -> ino
    id_of = {}      # ino -> model id
    for p in sorted(set(want) | set(got)):
        if p not in got:
            diffs.append("%s missing (%s)" % (p, want[p][0]["t"]))
            continue
        g = got[p]
        if "err" in g:
            diffs.append("%s: %s" % (p, g["err"]))
            continue
        if p not in want:
            diffs.append("%s unexpected (%s)" % (p, g["t"]))
            continue
        w, i = want[p]
        if g["t"] != w["t"]:
            diffs.append("%s: type %s, expected %s" % (p, g["t"], w["t"]))
            continue
        for k, what in (("n", "nlink"), ("m", "mode"), ("l", "target")):
            if k in w and g.get(k) != w[k]:
                gv, wv = g.get(k), w[k]
                if k == "m":
                    gv, wv = oct(gv or 0), oct(wv)
                elif k == "l":
                    gv, wv = repr(gv)[:60], repr(wv)[:60]
                diffs.append("%s: %s %s, expected %s" % (p, what, gv, wv))
        if "x" in g and w["t"] != "l":
            wx = [ACL_ACCESS] + ([ACL_DEFAULT] if w["t"] == "d" else [])
            if g["x"] != wx:
                diffs.append("%s: ACL xattrs %s, expected %s (inherited "
                             "with the name)" % (p, g["x"], wx))
        if w["t"] == "l" and g["s"] != w["s"]:
            diffs.append("%s: symlink size %d, expected %d" %
                         (p, g["s"], w["s"]))
        if w["t"] == "f":
            data = base64.b64decode(g.get("d", ""))
            if len(data) != g["s"]:
                diffs.append("%s: read %d bytes, size %d" %
                             (p, len(data), g["s"]))
            if fuzzy and fuzzy[0] == i:
                diffs += fuzzy_diff(p, data, fuzzy)
            else:
                want_data = model.nodes[i]["data"]
                if g["s"] != len(want_data):
                    diffs.append("%s: size %d, expected %d" %
                                 (p, g["s"], len(want_data)))
                elif data != want_data:
                    at = next(k for k in range(len(data))
                              if data[k] != want_data[k])
                    diffs.append("%s: contents differ from byte %d" %
                                 (p, at))
        if ino_of.setdefault(i, g["i"]) != g["i"]:
            diffs.append("%s: inode %d, but its other links have %d" %
                         (p, g["i"], ino_of[i]))
        if id_of.setdefault(g["i"], i) != i:
            diffs.append("%s: inode %d is also another file's" %
                         (p, g["i"]))
    return diffs


def shorten(text):
    """Long generated names (f12_xxxx...) abbreviated for messages."""
    import re
    return re.sub(r"x{12,}", lambda m: "x{%d}" % len(m.group(0)), text)


def fuzzy_diff(p, data, fz):
    _, old, new = fz
    if len(data) not in (len(old), len(new)):
        return ["%s: size %d, expected %d or %d (write in flight)" %
                (p, len(data), len(old), len(new))]
    for k in range(len(data)):
        o = old[k] if k < len(old) else 0
        if data[k] != o and data[k] != new[k]:
            return ["%s: byte %d is neither old nor new (write in flight)"
                    % (p, k)]
    return []


def candidates(model, inflight):
    """[(what, model, fuzzy)] the states a worker's subtree may be in: its
    completed operations, plus the one in flight done entirely."""
    cands = [("completed ops", model, None)]
    if not inflight:
        return cands
    plus = model.clone()
    i = model.get(inflight[1]) if inflight[0] == "write" else None
    old = model.nodes[i]["data"] if i is not None and \
        model.nodes[i]["t"] == "f" else None
    if plus.apply(inflight) != "OK":
        return cands            # it fails (as expected) and changes nothing
    if old is not None:
        # any mix of old and new bytes, old or new size
        return [("write in flight", model, (i, old, plus.nodes[i]["data"]))]
    cands.append(("in-flight op done", plus, None))
    return cands


def cmd_verify(a):
    import base64
    import json
    model = Model.from_json(json.load(open(a.model))) if a.model and \
        os.path.exists(a.model) else Model()
    try:
        workers, notes = read_ops(a.ops)
        dump = read_dump(a.dump, a.boot)
    except (OSError, ValueError) as e:
        print("FAIL: %s" % e)
        return 1
    cycles = [c for c in a.full.split(",") if c]
    names = set(model.nodes[0]["e"]) | {e["p"] for e in dump if e.get("root")}
    names -= set(a.ignore_root)
    names = {n for n in names if not is_churn(n)}   # judged by fsck only
    full = {n for n in names if in_cycles(n, cycles)}
    # the completed operations of every worker (disjoint subtrees: the
    # order between workers does not matter)
    info, tops = [], {}
    for w, (done, inflight) in workers.items():
        for s, rc, op in done:
            try:
                want = model.apply(op)
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                print("FAIL: op %d:%d %s: the model cannot apply it (%r)" %
                      (w, s, shorten(" ".join(op)), e))
                return 1
            if rc != want and not (isinstance(want, set) and rc in want):
                print("FAIL: op %d:%d %s returned %s, expected %s" %
                      (w, s, shorten(" ".join(op)), rc, want))
                return 1
        first = done[0][2] if done else inflight
        if first:
            tops[w] = first[1].split("/")[0]
        t = "worker %d: %d ops" % (w, len(done))
        t += ", in flight: %s" % shorten(" ".join(inflight))[:70] if \
            inflight else ", nothing in flight"
        info.append(t)
    info = "; ".join(info + notes) or "no operations recorded"
    # everything outside the workers' directories: exactly the model
    rest = names - set(tops.values())
    bad = [("", compare(model, dump, rest, full - set(tops.values())))]
    # each worker's directory: one of its candidate states
    chosen = []
    for w, top in sorted(tops.items()):
        roots = {top}
        sub = {top} & full
        res = []
        for what, m, fz in candidates(model, workers[w][1]):
            d = compare(m, dump, roots, sub, fz)
            res.append((what, d))
            if not d:
                chosen.append((w, what, fz))
                break
        else:
            bad += [("worker %d, model after %s" % (w, what), d)
                    for what, d in res]
    if any(d for _, d in bad):
        print("FAIL: %s" % info)
        for what, d in bad:
            if d:
                print("  %s%d difference(s)" % (what + ": " if what else
                                               "older directories: ", len(d)))
                for x in d[:12]:
                    print("    " + shorten(x))
        return 1
    # the resolved state: completed ops + the in-flight ops the disk shows
    got = {e["p"]: e for e in dump}
    for w, what, fz in chosen:
        if what == "in-flight op done":
            model.apply(workers[w][1])
        elif fz:
            p = workers[w][1][1]
            model.nodes[fz[0]]["data"] = base64.b64decode(
                got[p].get("d", "")) if p in got else fz[1]
    print("OK: %s; matches %s; checked %s" %
          (info, ", ".join("%d: %s" % (w, what) for w, what, _ in chosen) or
           "-", ",".join(sorted(full)) or "-"))
    with open(a.out, "w") as f:
        json.dump(model.to_json(), f)
    return 0


# ~~~~ host: helpers ~~~~
def cmd_pmemfs_offset(a):
    """Byte offset of the pmemfs primary superblock in an NVDIMM backing
    file (the fsdax namespace puts the data after its info block and
    page map): block-aligned magic, with the backup two blocks later."""
    import mmap
    import struct
    magic = struct.pack("<Q", 0x53464d5053465a55)      # PMFS_SB_MAGIC
    with open(a.file, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        limit = min(len(mm), 256 << 20)
        off = 0
        while off < limit:
            off = mm.find(magic, off, limit)
            if off < 0:
                break
            if off % 4096 == 0 and \
                    mm[off + 2 * 4096:off + 2 * 4096 + 8] == magic:
                print(off)
                return 0
            off += 1
    print("no pmemfs superblock found in %s" % a.file, file=sys.stderr)
    return 1


def cmd_delay(a):
    import random
    r = random.Random("%s-%s" % (a.seed, a.cycle))
    print("%.2f" % r.uniform(a.min, a.max))
    return 0


def cmd_prune(a):
    """Drop the directories of the cycles in --dirs from the model (the
    guest removed them)."""
    import json
    m = Model.from_json(json.load(open(a.model)))
    cycles = [c for c in a.dirs.split(",") if c]
    root = m.nodes[0]["e"]
    for name in [n for n in root if in_cycles(n, cycles)]:
        todo = [root.pop(name)]
        while todo:
            i = todo.pop()
            n = m.nodes.pop(i, None)
            if n and n["t"] == "d":
                todo += list(n["e"].values())
            elif n and n.get("links", 1) > 1:
                # other links live in the same (removed) directory
                m.nodes[i] = n
                n["links"] -= 1
    with open(a.model + ".tmp", "w") as f:
        json.dump(m.to_json(), f)
    os.rename(a.model + ".tmp", a.model)
    return 0


def cmd_selftest(a):
    """The model and the verifier on the host, without a VM: a workload in
    a temporary directory must verify, the tree with one change more (an
    unrecorded directory, a lost file, a changed byte) must not."""
    import io
    import shutil
    import tempfile
    from contextlib import redirect_stdout
    from types import SimpleNamespace as NS
    tmp = tempfile.mkdtemp(prefix="crashfs-selftest.")
    here = os.getcwd()
    try:
        root, res = tmp + "/mnt", tmp + "/res"
        os.mkdir(root)

        def run(cmd, **kw):
            out = io.StringIO()
            with redirect_stdout(out):
                rc = cmd(NS(**kw))
            os.chdir(here)
            return rc, out.getvalue()

        def verify(boot, model=""):
            return run(cmd_verify, model=model, ops=res, dump=tmp + "/dump",
                       boot=boot, full="c1", out=tmp + "/m.json",
                       ignore_root=[])

        # the inherited-ACL check too, where this filesystem has ACLs
        try:
            os.setxattr(root, ACL_DEFAULT, ROOT_DEFAULT_ACL)
            os.removexattr(root, ACL_DEFAULT)
            acl = 1
        except OSError:
            acl = 0
            print("selftest: no POSIX ACLs in %s, ACL check not tested" % tmp)
        for mode in ("meta", "data"):
            shutil.rmtree(root)
            os.mkdir(root)
            if os.path.exists(res):
                os.unlink(res)
            rc, _ = run(cmd_workload, root=root, dir="c1", seed=a.seed,
                        mode=mode, res=res, workers=2, churn=0, syncfs=0,
                        acl=acl, max_ops=a.ops, max_secs=60.0)
            if rc:
                print("selftest: the %s workload failed" % mode)
                return 1
            bad = []
            for what, change in (
                    ("nothing", None),
                    ("a lost inherited ACL",
                     lambda: os.removexattr(root + "/c1w1", ACL_ACCESS)),
                    ("an unrecorded directory",
                     lambda: os.mkdir(root + "/c1w0/unrecorded")),
                    ("a lost entry", lambda: lost(root + "/c1w1")),
                    ("a changed mode", lambda: os.chmod(root + "/c1w0", 0o700))):
                if change:
                    if not acl and "ACL" in what:
                        continue
                    change()
                run(cmd_dump, root=root, cycle=2, full="c1", acl=acl,
                    out=tmp + "/dump")
                rc, out = verify(2)
                if (rc == 0) != (change is None):
                    bad.append("%s: %s" % (what, out.strip()[:300]))
            if bad:
                print("selftest (%s): the verifier was wrong with %s" %
                      (mode, "; ".join(bad)))
                return 1
        print("selftest: ok")
        return 0
    finally:
        os.chdir(here)
        shutil.rmtree(tmp, ignore_errors=True)


def lost(d):
    """Remove one non-directory entry somewhere below d."""
    for top, dirs, files in os.walk(d):
        if files:
            os.unlink(os.path.join(top, sorted(files)[0]))
            return
    raise RuntimeError("no file to remove below " + d)


USAGE = """usage:
  crashfs.py workload --root MNT --dir NAME --seed N [--mode meta|data]
                      [--res DEV] [--workers N] [--churn 0|1] [--syncfs 0|1]
                      [--acl 0|1] [--max-ops N] [--max-secs S]
  crashfs.py dump --root MNT --cycle N [--full c1,c2] [--acl 0|1] --out DEV
  crashfs.py verify [--model JSON] --ops RESULT --dump FILE --boot N
                    [--full c1,c2] --out JSON [--ignore-root NAME]...
  crashfs.py pmemfs-offset FILE
  crashfs.py delay SEED CYCLE MIN MAX
  crashfs.py prune --model JSON --dirs c1,c2
  crashfs.py selftest [--seed N] [--ops N]"""

# command -> {option: (type, default)}; REQ = required; lists repeat
REQ = object()
COMMANDS = {
    "workload": {"root": (str, REQ), "dir": (str, REQ), "seed": (int, REQ),
                 "mode": (str, "meta"), "res": (str, ""), "workers": (int, 2),
                 "churn": (int, 1), "syncfs": (int, 0), "acl": (int, 0),
                 "max_ops": (int, 100000), "max_secs": (float, 120.0)},
    "dump": {"root": (str, REQ), "cycle": (int, REQ), "full": (str, ""),
             "acl": (int, 0), "out": (str, REQ)},
    "verify": {"model": (str, ""), "ops": (str, REQ), "dump": (str, REQ),
               "boot": (int, REQ), "full": (str, ""), "out": (str, REQ),
               "ignore_root": (list, [])},
    "pmemfs-offset": {"file": (str, REQ)},
    "selftest": {"seed": (int, 1), "ops": (int, 400)},
    "prune": {"model": (str, REQ), "dirs": (str, REQ)},
    "delay": {"seed": (str, REQ), "cycle": (str, REQ), "min": (float, REQ),
              "max": (float, REQ)},
}
POSITIONAL = {"pmemfs-offset": ["file"],
              "delay": ["seed", "cycle", "min", "max"]}


def parse_args(argv):
    """A small argparse (which costs a second to import under TCG)."""
    from types import SimpleNamespace
    if not argv or argv[0] not in COMMANDS:
        sys.exit(USAGE)
    cmd, spec, vals, pos = argv[0], COMMANDS[argv[0]], {}, []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            k = a[2:].replace("-", "_")
            if k not in spec or i + 1 >= len(argv):
                sys.exit("crashfs.py %s: bad option %s\n%s" % (cmd, a, USAGE))
            if spec[k][0] is list:
                vals.setdefault(k, []).append(argv[i + 1])
            else:
                vals[k] = argv[i + 1]
            i += 2
        else:
            pos.append(a)
            i += 1
    names = POSITIONAL.get(cmd, [])
    if len(pos) != len(names):
        sys.exit("crashfs.py %s: wrong arguments\n%s" % (cmd, USAGE))
    vals.update(zip(names, pos))
    ns = SimpleNamespace(cmd=cmd)
    for k, (typ, dflt) in spec.items():
        if k not in vals:
            if dflt is REQ:
                sys.exit("crashfs.py %s: --%s is required\n%s" %
                         (cmd, k.replace("_", "-"), USAGE))
            v = list(dflt) if typ is list else dflt
        else:
            try:
                v = vals[k] if typ is list else typ(vals[k])
            except ValueError:
                sys.exit("crashfs.py %s: bad value for %s" % (cmd, k))
        setattr(ns, k, v)
    return ns


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.cmd == "workload" and a.mode not in ("meta", "data"):
        sys.exit("crashfs.py workload: --mode meta|data")
    return {"workload": cmd_workload, "dump": cmd_dump, "verify": cmd_verify,
            "pmemfs-offset": cmd_pmemfs_offset, "delay": cmd_delay,
            "selftest": cmd_selftest, "prune": cmd_prune}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
