# Model checker of the space tests (30-*): not a test itself (not executable).
# run PATH STEPS SEED: random writes, truncates and every fallocate mode
# against an in-memory model (bytes, size, allocated blocks), checking
# contents, st_blocks, SEEK_DATA/SEEK_HOLE and FIEMAP; verify PATH: the
# file still equals the model saved by run.
import ctypes, errno, fcntl, os, random, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
KEEP, PUNCH, COLLAPSE, ZERO, INSERT = 0x01, 0x02, 0x08, 0x10, 0x20
BS = 4096
MAXM = 4 << 20
MBLK = MAXM // BS
FS_IOC_FIEMAP = 0xC020660B
FIEMAP_EXTENT_LAST = 1


def falloc(fd, mode, off, ln):
    if libc.fallocate(fd, mode, off, ln) != 0:
        return ctypes.get_errno()
    return 0


def fiemap(fd, start=0, length=(1 << 64) - 1, count=64):
    out = []
    while True:
        hdr = struct.pack("QQIIII", start, length, 0, 0, count, 0)
        buf = bytearray(hdr + b"\0" * (56 * count))
        fcntl.ioctl(fd, FS_IOC_FIEMAP, buf)
        n = struct.unpack_from("QQIIII", buf)[3]
        for i in range(n):
            lo, ph, ln, _, _, fl = struct.unpack_from("QQQQQI", buf, 32 + 56 * i)
            out.append((lo, ph, ln, fl))
        if n < count or out[-1][3] & FIEMAP_EXTENT_LAST:
            return out
        nxt = out[-1][0] + out[-1][2]
        length -= nxt - start
        start = nxt


class Model:
    def __init__(self):
        self.d = bytearray(MAXM)
        self.alloc = [False] * MBLK
        self.size = 0

    def mark(self, off, end):
        for b in range(off // BS, min((end + BS - 1) // BS, MBLK)):
            self.alloc[b] = True

    def trunc(self, size):
        if size < self.size:
            self.d[size:self.size] = bytes(self.size - size)
        for b in range((size + BS - 1) // BS, MBLK):
            self.alloc[b] = False
        self.size = size


def check(fd, m, step):
    st = os.fstat(fd)
    assert st.st_size == m.size, f"step {step}: size {st.st_size} != {m.size}"
    data = os.pread(fd, MAXM + BS, 0)
    if data != bytes(m.d[:m.size]):
        bad = next(i for i in range(min(len(data), m.size)) if data[i] != m.d[i]) if len(data) == m.size else -1
        raise AssertionError(f"step {step}: contents differ at byte {bad} (read {len(data)})")
    na = sum(m.alloc)
    assert na * 8 <= st.st_blocks <= (na + 3) * 8, f"step {step}: st_blocks {st.st_blocks} for {na} blocks"
    # SEEK_DATA / SEEK_HOLE at every block start
    for b in range(0, (m.size + BS - 1) // BS):
        want = b
        while want < MBLK and not m.alloc[want]:
            want += 1
        hole = b
        while hole < MBLK and m.alloc[hole]:
            hole += 1
        try:
            r = os.lseek(fd, b * BS, os.SEEK_DATA)
        except OSError as e:
            r = -e.errno
        exp = want * BS if want * BS < m.size else -errno.ENXIO
        assert r == exp, f"step {step}: SEEK_DATA from block {b}: {r}, expected {exp}"
        r = os.lseek(fd, b * BS, os.SEEK_HOLE)
        exp = min(hole * BS, m.size)
        assert r == exp, f"step {step}: SEEK_HOLE from block {b}: {r}, expected {exp}"
    for wh in (os.SEEK_DATA, os.SEEK_HOLE):
        try:
            os.lseek(fd, m.size, wh)
            raise AssertionError(f"step {step}: seek {wh} at EOF did not fail")
        except OSError as e:
            assert e.errno == errno.ENXIO, f"step {step}: seek at EOF: {e}"
    # FIEMAP covers exactly the allocated blocks; LAST on the last one
    got = [False] * MBLK
    ext = fiemap(fd)
    for i, (lo, ph, ln, fl) in enumerate(ext):
        assert lo % BS == 0 and ln % BS == 0 and ln > 0 and ph % BS == 0, f"step {step}: extent {ext[i]}"
        for b in range(lo // BS, (lo + ln) // BS):
            assert b < MBLK and not got[b], f"step {step}: block {b} twice or out of the model"
            got[b] = True
        assert bool(fl & FIEMAP_EXTENT_LAST) == (i == len(ext) - 1), f"step {step}: LAST flags {ext}"
    assert got == m.alloc, f"step {step}: FIEMAP blocks differ from the model"


def run(path, steps, seed):
    rnd = random.Random(seed)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    m = Model()
    count = {}
    # argument checks (ext4 semantics)
    assert falloc(fd, PUNCH, 0, BS) == errno.EOPNOTSUPP
    assert falloc(fd, 0, 0, 0) == errno.EINVAL
    assert falloc(fd, COLLAPSE, 0, BS) == errno.EINVAL
    assert falloc(fd, INSERT, 0, BS) == errno.EINVAL
    for step in range(steps):
        op = rnd.randrange(9)
        off = rnd.randrange(MAXM // 2)
        ln = 1 + rnd.randrange(MAXM // 8)
        if rnd.randrange(3) == 0:
            off &= ~(BS - 1)
            ln = (ln + BS - 1) & ~(BS - 1)
        end = off + ln
        name = ["write", "truncate", "alloc", "keep", "punch", "zero", "zero-keep", "collapse", "insert"][op]
        if op == 0:
            buf = bytes(rnd.randrange(1, 256) for _ in range(min(ln, 64))) * (ln // 64 + 1)
            buf = buf[:ln]
            assert os.pwrite(fd, buf, off) == ln
            m.d[off:end] = buf
            m.mark(off, end)
            m.size = max(m.size, end)
        elif op == 1:
            end = rnd.randrange(MAXM // 2)
            os.ftruncate(fd, end)
            m.trunc(end)
        elif op in (2, 3):
            assert falloc(fd, KEEP if op == 3 else 0, off, ln) == 0
            m.mark(off, end)
            if op == 2:
                m.size = max(m.size, end)
        elif op == 4:
            assert falloc(fd, PUNCH | KEEP, off, ln) == 0
            m.d[off:end] = bytes(ln)
            for b in range((off + BS - 1) // BS, end // BS):
                m.alloc[b] = False
        elif op in (5, 6):
            assert falloc(fd, ZERO | (KEEP if op == 6 else 0), off, ln) == 0
            m.d[off:end] = bytes(ln)
            m.mark(off, end)
            if op == 5:
                m.size = max(m.size, end)
        elif op == 7:
            if rnd.randrange(4) == 0 and off % BS == 0:
                r = falloc(fd, COLLAPSE, off + 1, BS)
                assert r == errno.EINVAL, f"unaligned collapse: {r}"
            off &= ~(BS - 1)
            ln = (ln + BS - 1) & ~(BS - 1)
            end = off + ln
            r = falloc(fd, COLLAPSE, off, ln)
            if end >= m.size:
                assert r == errno.EINVAL, f"step {step}: collapse to EOF: {r}"
                name = "collapse-einval"
            else:
                assert r == 0, f"step {step}: collapse {r}"
                nb = ln // BS
                m.d[off:] = m.d[end:] + bytes(ln)
                m.alloc[off // BS:] = m.alloc[end // BS:] + [False] * nb
                m.trunc(m.size - ln)
        else:
            off &= ~(BS - 1)
            ln = (ln + BS - 1) & ~(BS - 1)
            nb = ln // BS
            if off >= m.size:
                assert falloc(fd, INSERT, off, ln) == errno.EINVAL
                name = "insert-einval"
            elif m.size + ln > MAXM - BS or any(m.alloc[MBLK - nb - 1:]):
                name = "insert-skip"
            else:
                assert falloc(fd, INSERT, off, ln) == 0, f"step {step}: insert"
                m.d[off:] = bytes(ln) + m.d[off:MAXM - ln]
                m.alloc[off // BS:] = [False] * nb + m.alloc[off // BS:MBLK - nb]
                m.size += ln
        count[name] = count.get(name, 0) + 1
        if step % 25 == 0 or step == steps - 1:
            try:
                check(fd, m, step)
            except AssertionError:
                print(f"after op {name} off {off} len {ln}", file=sys.stderr)
                raise
    os.close(fd)
    with open(path + ".model", "wb") as f:
        f.write(bytes(m.d[:m.size]))
    print(" ".join(f"{k}={v}" for k, v in sorted(count.items())))


def verify(path):
    """After a remount: the file still equals the saved model."""
    with open(path + ".model", "rb") as f:
        want = f.read()
    fd = os.open(path, os.O_RDONLY)
    got = os.pread(fd, len(want) + BS, 0)
    os.close(fd)
    assert got == want, "contents changed across umount/mount"


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        verify(sys.argv[2])
