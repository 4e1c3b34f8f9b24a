#!/usr/bin/python3
"""pmimg.py - look at and damage a pmemfs image on a block device or file,
for the namespace suite (the layout is zus/fs/pmemfs/pmfs_format.h).

  pmimg.py DEV info                 superblock fields, one per line
  pmimg.py DEV nlink INO [N]        print (or set, re-checksummed) nlink
  pmimg.py DEV corrupt KIND [INO]   damage the image:
      sb-label     flip a byte of the primary superblock (checksum)
      inode INO    change the size of inode INO without its checksum
      dangling INO free inode INO that a directory still names
      nlink INO    a wrong (re-checksummed) link count for INO
      leak         mark a free block near the end as used
      orphan       point the orphan list at a free inode
  pmimg.py DEV xattr-corrupt INO    flip a byte in the xattr block of INO
                                    (its checksum no longer matches)
  pmimg.py DEV refcount INO [N]     print (or set) the refcount table entry
                                    of the block of INO's first data block
The page cache of a block device is flushed around every access
(zusd and the tools see the device through DAX, not through it).
"""
import fcntl
import os
import struct
import sys

BLKFLSBUF = 0x1261
SB_FMT = "<QIIIIII16s64sQQQQQQQQIIIIQQII"
SB_NAMES = ("magic version_major version_minor feature_compat "
            "feature_ro_compat feature_incompat block_size uuid label size "
            "nblocks ninodes journal_off ibitmap_off bbitmap_off itable_off "
            "data_off journal_slots journal_slot_size ibitmap_blocks "
            "bbitmap_blocks itable_blocks root_ino inode_size "
            "name_max").split()
INODE_SIZE = 256
INODE_CSUM_LEN = 236
SB_MAGIC = 0x53464d5053465a55
SB_REFCOUNT_OFF = 760
INODE_ROOT_OFF = 112
INODE_HEIGHT_OFF = 44


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Image:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_SYNC)
        self.blk = os.path.exists(path) and \
            os.stat(path).st_mode & 0o170000 == 0o060000
        self.flush()
        raw = self.read(0, struct.calcsize(SB_FMT))
        self.sb = dict(zip(SB_NAMES, struct.unpack(SB_FMT, raw)))
        if self.sb["magic"] != SB_MAGIC:
            sys.exit("pmimg: %s holds no pmemfs superblock" % path)

    def flush(self):
        if self.blk:
            os.fsync(self.fd)
            fcntl.ioctl(self.fd, BLKFLSBUF, 0)

    def read(self, off, n):
        return os.pread(self.fd, n, off)

    def write(self, off, data):
        os.pwrite(self.fd, data, off)
        self.flush()

    def inode_off(self, ino):
        return self.sb["itable_off"] + ino * INODE_SIZE

    def inode(self, ino):
        return bytearray(self.read(self.inode_off(ino), INODE_SIZE))

    def put_inode(self, ino, raw, reseal=True):
        if reseal:
            struct.pack_into("<I", raw, INODE_CSUM_LEN,
                             crc32c(bytes(raw[:INODE_CSUM_LEN])))
        self.write(self.inode_off(ino), bytes(raw))

    def bit(self, bitmap, n, val):
        off = self.sb[bitmap] + n // 8
        b = self.read(off, 1)[0]
        b = b | (1 << (n % 8)) if val else b & ~(1 << (n % 8))
        self.write(off, bytes([b]))

    def test_bit(self, bitmap, n):
        return self.read(self.sb[bitmap] + n // 8, 1)[0] >> (n % 8) & 1


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    im = Image(argv[1])
    cmd = argv[2]
    if cmd == "info":
        for k in SB_NAMES:
            v = im.sb[k]
            if isinstance(v, bytes):
                v = v.rstrip(b"\0").decode(errors="replace") \
                    if k == "label" else v.hex()
            print("%s %s" % (k, v))
    elif cmd == "nlink":
        ino = int(argv[3])
        raw = im.inode(ino)
        if len(argv) > 4:
            struct.pack_into("<I", raw, 16, int(argv[4]))
            im.put_inode(ino, raw)
        print(struct.unpack_from("<I", im.inode(ino), 16)[0])
    elif cmd == "corrupt":
        kind = argv[3]
        ino = int(argv[4]) if len(argv) > 4 else 0
        if kind == "sb-label":
            b = im.read(60, 1)[0] ^ 0x40
            im.write(60, bytes([b]))
        elif kind == "inode":
            raw = im.inode(ino)
            struct.pack_into("<Q", raw, 24,
                             struct.unpack_from("<Q", raw, 24)[0] ^ 0x1000)
            im.put_inode(ino, raw, reseal=False)
        elif kind == "dangling":
            im.write(im.inode_off(ino), bytes(INODE_SIZE))
            im.bit("ibitmap_off", ino, 0)
        elif kind == "nlink":
            raw = im.inode(ino)
            struct.pack_into("<I", raw, 16, 7)
            im.put_inode(ino, raw)
        elif kind == "leak":
            n = im.sb["nblocks"] - 5
            if im.test_bit("bbitmap_off", n):
                sys.exit("pmimg: block %d is in use" % n)
            im.bit("bbitmap_off", n, 1)
        elif kind == "orphan":
            im.write(4096 + 32, struct.pack("<Q", im.sb["ninodes"] - 7))
        else:
            sys.exit("pmimg: unknown corruption %s" % kind)
    elif cmd == "xattr-corrupt":
        ino = int(argv[3])
        ptr = struct.unpack_from("<Q", im.inode(ino), 128)[0]
        if not ptr:
            sys.exit("pmimg: inode %d has no xattr block" % ino)
        b = im.read(ptr + 32 + 5, 1)[0] ^ 0x40
        im.write(ptr + 32 + 5, bytes([b]))
    elif cmd == "refcount":
        ino = int(argv[3])
        raw = im.inode(ino)
        ptr = struct.unpack_from("<Q", raw, INODE_ROOT_OFF)[0]
        for _ in range(struct.unpack_from("<H", raw, INODE_HEIGHT_OFF)[0]):
            ptr = struct.unpack_from("<Q", im.read(ptr & ~0xfff, 8))[0]
        table = struct.unpack_from("<Q", im.read(SB_REFCOUNT_OFF, 8))[0]
        if not ptr or not table:
            sys.exit("pmimg: no block or no refcount table")
        off = table + (ptr & ~0xfff) // 4096 * 4
        if len(argv) > 4:
            im.write(off, struct.pack("<I", int(argv[4])))
        print(struct.unpack("<I", im.read(off, 4))[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
