#!/usr/bin/python3
"""40-xattr.py DIR [OTHER] - xattr conformance in DIR, as the calling user.

Every call goes through libc (ctypes) so buffer sizes and errnos are
exactly what a C program sees. OTHER is a file of another owner (mode
0644, with user.other = "o" and trusted.t = "t" set by root): reading its
user.* works, writing it is EACCES, and its trusted.* is neither listed nor
readable for an unprivileged caller. Prints one line per failure; exit 1
if any.
"""
import ctypes
import errno
import os
import sys
import tempfile

libc = ctypes.CDLL(None, use_errno=True)
for fn in (libc.getxattr, libc.lgetxattr):
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                   ctypes.c_size_t]
    fn.restype = ctypes.c_ssize_t
for fn in (libc.setxattr, libc.lsetxattr):
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                   ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t
libc.removexattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.removexattr.restype = ctypes.c_int

XATTR_CREATE, XATTR_REPLACE = 1, 2
fails = 0
root = os.geteuid() == 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)


def call(fn, *a):
    """(result, errno) of a libc call."""
    ctypes.set_errno(0)
    r = fn(*a)
    return r, (ctypes.get_errno() if r < 0 else 0)


def b(s):
    return s.encode() if isinstance(s, str) else s


def setx(p, n, v, flags=0, fn=None):
    v = b(v)
    buf = ctypes.create_string_buffer(v, len(v)) if v else None
    return call(fn or libc.setxattr, b(p), b(n), buf, len(v), flags)


def getx(p, n, size=65536, fn=None):
    buf = ctypes.create_string_buffer(size) if size else None
    r, e = call(fn or libc.getxattr, b(p), b(n), buf, size)
    return (buf.raw[:r] if r >= 0 and size else r), e


def listx(p, size=65536):
    buf = ctypes.create_string_buffer(size) if size else None
    r, e = call(libc.listxattr, b(p), buf, size)
    if r < 0 or not size:
        return r, e
    return sorted(x.decode() for x in buf.raw[:r].split(b"\0") if x), 0


def expect(what, got, want):
    if got != want:
        fail("%s: got %r, expected %r" % (what, got, want))


def expect_errno(what, got, en):
    if got[1] != en:
        fail("%s: got %r, expected %s" % (what, got, errno.errorcode[en]))


d = sys.argv[1]
other = sys.argv[2] if len(sys.argv) > 2 else None
f = os.path.join(d, "x-file")
sd = os.path.join(d, "x-dir")
ln = os.path.join(d, "x-link")
fifo = os.path.join(d, "x-fifo")
open(f, "w").close()
os.mkdir(sd)
os.symlink("x-file", ln)
os.mkfifo(fifo)

# nothing there yet
expect_errno("get of a missing attribute", getx(f, "user.a"), errno.ENODATA)
expect("list of a file without attributes", listx(f), ([], 0))
expect("list size of a file without attributes", listx(f, 0), (0, 0))
expect_errno("remove of a missing attribute",
             call(libc.removexattr, b(f), b"user.a"), errno.ENODATA)
expect_errno("XATTR_REPLACE of a missing attribute",
             setx(f, "user.a", "x", XATTR_REPLACE), errno.ENODATA)

# set, get, sizes
expect("set user.a", setx(f, "user.a", "hello", XATTR_CREATE), (0, 0))
expect("get user.a", getx(f, "user.a"), (b"hello", 0))
expect("size of user.a", getx(f, "user.a", 0), (5, 0))
expect("get into an exact buffer", getx(f, "user.a", 5), (b"hello", 0))
expect_errno("get into a too small buffer", getx(f, "user.a", 4),
             errno.ERANGE)
expect_errno("XATTR_CREATE of an existing attribute",
             setx(f, "user.a", "x", XATTR_CREATE), errno.EEXIST)
expect("XATTR_REPLACE", setx(f, "user.a", "bye", XATTR_REPLACE), (0, 0))
expect("get after replace", getx(f, "user.a"), (b"bye", 0))
expect("empty value", setx(f, "user.empty", ""), (0, 0))
expect("get of an empty value", getx(f, "user.empty"), (b"", 0))
binv = bytes(range(256))
expect("binary value", setx(f, "user.bin", binv), (0, 0))
expect("get of a binary value", getx(f, "user.bin"), (binv, 0))
expect("list", listx(f), (["user.a", "user.bin", "user.empty"], 0))
want = len("user.a\0user.bin\0user.empty\0")
expect("list size", listx(f, 0), (want, 0))
expect("list into an exact buffer", listx(f, want)[1], 0)
expect_errno("list into a too small buffer", listx(f, want - 1),
             errno.ERANGE)
expect("remove", call(libc.removexattr, b(f), b"user.bin"), (0, 0))
expect_errno("get after remove", getx(f, "user.bin"), errno.ENODATA)

# names: 255 bytes fit, 256 are ERANGE; an empty suffix is EINVAL
n255 = "user." + "n" * 250
expect("255-byte name", setx(f, n255, "1"), (0, 0))
expect("get of a 255-byte name", getx(f, n255), (b"1", 0))
expect("remove of a 255-byte name", call(libc.removexattr, b(f), b(n255)),
       (0, 0))
expect_errno("256-byte name", setx(f, n255 + "n", "1"), errno.ERANGE)
expect_errno("get of a 256-byte name", getx(f, n255 + "n"), errno.ERANGE)
expect_errno("unknown namespace", setx(f, "bogus.x", "1"), errno.EOPNOTSUPP)

# values: over 65536 is E2BIG; what does not fit the inode's space ENOSPC
expect_errno("65537-byte value", setx(f, "user.big", b"v" * 65537),
             errno.E2BIG)
expect_errno("65536-byte value (larger than pmemfs's xattr block)",
             setx(f, "user.big", b"v" * 65536), errno.ENOSPC)
n = 0
while True:
    r = setx(sd, "user.fill%03d" % n, b"f" * 200)
    if r[1]:
        expect_errno("filling a directory's attribute space", r,
                     errno.ENOSPC)
        break
    n += 1
    if n > 100:
        fail("100 x 200-byte attributes fit, the space is never full")
        break
if n < 10:
    fail("only %d attributes of 200 bytes fit" % n)
expect("list of the full directory", len(listx(sd)[0]), n)
expect_errno("another 200 bytes on a full directory",
             setx(sd, "user.fill999", b"g" * 200), errno.ENOSPC)
expect_errno("growing a value on a full directory",
             setx(sd, "user.fill001", b"g" * 400), errno.ENOSPC)
expect("the first attribute is intact", getx(sd, "user.fill000"),
       (b"f" * 200, 0))
expect("remove one", call(libc.removexattr, b(sd), b"user.fill000"), (0, 0))
expect("then a new one fits", setx(sd, "user.fill999", b"g" * 200), (0, 0))

# user.* only on regular files and directories
expect_errno("user.* on a symlink",
             setx(ln, "user.a", "1", fn=libc.lsetxattr), errno.EPERM)
expect_errno("user.* of a symlink",
             getx(ln, "user.a", fn=libc.lgetxattr), errno.ENODATA)
expect_errno("user.* on a fifo", setx(fifo, "user.a", "1"), errno.EPERM)

# privileged namespaces
if root:
    expect("trusted.* as root", setx(f, "trusted.t", "T"), (0, 0))
    expect("get trusted.*", getx(f, "trusted.t"), (b"T", 0))
    expect("security.* as root", setx(f, "security.s", "S"), (0, 0))
    expect("trusted.* on a symlink",
           setx(ln, "trusted.l", "L", fn=libc.lsetxattr), (0, 0))
    expect("root lists trusted.*", listx(f),
           (["security.s", "trusted.t", "user.a", "user.empty"], 0))
else:
    expect_errno("trusted.* as a user", setx(f, "trusted.t", "T"),
                 errno.EPERM)
    # security.*: the LSMs decide (EPERM without CAP_SYS_ADMIN from the
    # capability module, unless another LSM's hook answers first, as the
    # BPF LSM does on 6.1): the same answer as on the root filesystem.
    fd, ref = tempfile.mkstemp()
    os.close(fd)
    ref_err = setx(ref, "security.s", "S")[1]
    os.unlink(ref)
    if ref_err == errno.EPERM:
        expect_errno("security.* as a user", setx(f, "security.s", "S"),
                     errno.EPERM)
        want = ["user.a", "user.empty"]
    else:
        expect("security.* as a user (allowed by this kernel's LSMs)",
               setx(f, "security.s", "S"), (0, 0))
        want = ["security.s", "user.a", "user.empty"]
    expect("a user's list", listx(f), (want, 0))

# somebody else's file (mode 0644)
if other and not root:
    expect("read user.* of another's file", getx(other, "user.other"),
           (b"o", 0))
    expect_errno("write user.* of another's file",
                 setx(other, "user.other", "x"), errno.EACCES)
    expect_errno("remove user.* of another's file",
                 call(libc.removexattr, b(other), b"user.other"),
                 errno.EACCES)
    expect("another's trusted.* is not listed", listx(other),
           (["user.other"], 0))
    expect_errno("another's trusted.* is not readable",
                 getx(other, "trusted.t"), errno.ENODATA)

for p in (f, ln, fifo):
    os.unlink(p)
for x in listx(sd)[0]:
    call(libc.removexattr, b(sd), b(x))
os.rmdir(sd)
print("%d failures" % fails)
sys.exit(1 if fails else 0)
