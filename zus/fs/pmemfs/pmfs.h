/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmfs.h - the pmemfs core library (libpmemfs-core.a).
 *
 * The core operates on one memory-mapped pmem region and knows nothing of
 * zusd: the plugin (plugin.c), mkfs.pmemfs, fsck.pmemfs and the unit tests
 * are all built on it.
 *
 * Objects:
 *   struct pmfs_sb   a mounted filesystem (one region)
 *   struct pmfs_ii   an inode in use: refcounted, carries the inode's
 *                    rwlock. Only inodes somebody holds have one, so DRAM
 *                    use follows the working set, not the filesystem size.
 *
 * Every function returns 0 or a negative errno unless said otherwise.
 * Every metadata operation is durable when it returns and atomic across a
 * crash (undo journal, see FORMAT.md). All functions are thread safe.
 */
#ifndef PMFS_H
#define PMFS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include "pmfs_format.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pmfs_sb;
struct pmfs_ii;

/* ~~~~ Format ~~~~ */
struct pmfs_mkfs_opts {
	uint64_t size;		/* bytes to use, 0 = the whole region */
	uint64_t ninodes;	/* 0 = one per 16 KiB */
	const char *label;	/* NULL = none */
	const uint8_t *uuid;	/* NULL = random */
	uint32_t journal_slots;	/* 0 = automatic */
	bool no_reflink;	/* no refcount table (INCOMPAT_REFLINK off) */
};

#define PMFS_MIN_SIZE		(4ULL << 20)

/* Write a new filesystem on [base, base + region_size). err gets a
 * one-line reason on failure.
 */
int pmfs_format(void *base, uint64_t region_size, int is_pmem,
		const struct pmfs_mkfs_opts *opts, char *err, size_t errlen);

/* Does the region hold a pmemfs superblock (magic only)? 1/0. */
int pmfs_probe(const void *base, uint64_t region_size);

/* ~~~~ Mount ~~~~ */
#define PMFS_MOUNT_RDONLY	(1U << 0)
#define PMFS_MOUNT_NORECOVERY	(1U << 1)	/* fsck: don't touch the media */

int pmfs_mount(void *base, uint64_t region_size, int is_pmem, unsigned flags,
	       struct pmfs_sb **sbp, char *err, size_t errlen);
/* Releases the DRAM state; with PMFS_MOUNT_RDONLY unset marks clean.
 * All pmfs_ii must have been put.
 */
int pmfs_unmount(struct pmfs_sb *sb);
/* rdonly 0/1 */
int pmfs_remount(struct pmfs_sb *sb, int rdonly);
const struct pmfs_super *pmfs_super(const struct pmfs_sb *sb);
/* Counters of the last mount's recovery, for logs and tests. */
struct pmfs_mount_info {
	uint32_t journal_rolled_back;	/* transactions undone */
	uint32_t orphans_released;
	int was_clean;
};
void pmfs_mount_info(const struct pmfs_sb *sb, struct pmfs_mount_info *mi);

struct pmfs_statfs {
	uint64_t blocks, bfree, bavail;
	uint64_t files, ffree;
	uint64_t fsid;
	uint32_t bsize, namelen;
};
int pmfs_statfs(struct pmfs_sb *sb, struct pmfs_statfs *st);
int pmfs_sync(struct pmfs_sb *sb);

/* The time every change made by the calling thread stamps, while t is
 * set (e.g. the kernel's clock for one operation); NULL: CLOCK_REALTIME.
 * t must stay valid until it is reset.
 */
void pmfs_set_now(const struct pmfs_time *t);

/* ~~~~ Inodes in use ~~~~ */
int pmfs_iget(struct pmfs_sb *sb, uint64_t ino, struct pmfs_ii **iip);
/* Like pmfs_iget, also for an allocated inode with link count 0 (open
 * after unlink, an unnamed tmpfile): the kernel may still hold it.
 */
int pmfs_iget_any(struct pmfs_sb *sb, uint64_t ino, struct pmfs_ii **iip);
struct pmfs_ii *pmfs_igrab(struct pmfs_ii *ii);
/* Last put of an inode with nlink 0 releases it on media. */
void pmfs_iput(struct pmfs_ii *ii);
uint64_t pmfs_ino(const struct pmfs_ii *ii);
struct pmfs_sb *pmfs_ii_sb(const struct pmfs_ii *ii);
/* A pointer the caller may hang its own object on (e.g. zus_inode_info). */
void **pmfs_ii_private(struct pmfs_ii *ii);

struct pmfs_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units */
	uint32_t generation;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t rdev;		/* new_encode_dev() */
	uint32_t flags;		/* FS_*_FL */
	struct pmfs_time atime, mtime, ctime, btime;
};
int pmfs_getattr(struct pmfs_ii *ii, struct pmfs_attr *attr);

/* setattr valid bits (same values as libzus's ZUS_ATTR_*) */
#define PMFS_ATTR_MODE	(1U << 0)
#define PMFS_ATTR_UID	(1U << 1)
#define PMFS_ATTR_GID	(1U << 2)
#define PMFS_ATTR_SIZE	(1U << 3)
#define PMFS_ATTR_ATIME	(1U << 4)
#define PMFS_ATTR_MTIME	(1U << 5)
#define PMFS_ATTR_CTIME	(1U << 6)
#define PMFS_ATTR_FLAGS	(1U << 7)
/* Without explicit CTIME, any change sets ctime to now. The file-type bits
 * of mode are ignored.
 */
int pmfs_setattr(struct pmfs_ii *ii, const struct pmfs_attr *attr,
		 uint32_t valid);

/* ~~~~ Namespace ~~~~ */
/* An extended attribute to create an inode with. */
struct pmfs_xattr_in {
	const char *name;	/* whole, NUL terminated */
	const void *value;
	size_t size;
};

struct pmfs_new {
	uint32_t mode;		/* S_IFREG/DIR/LNK/CHR/BLK/FIFO/SOCK | perms */
	uint32_t uid, gid;
	uint32_t rdev;		/* CHR/BLK */
	const char *symname;	/* LNK: target, NUL terminated */
	/* made in the same transaction as the inode: all of them, or no
	 * inode (-ENOSPC when they do not fit the xattr block; security.*
	 * ones are dropped on a filesystem without the XATTR feature, the
	 * others fail it with -EOPNOTSUPP)
	 */
	const struct pmfs_xattr_in *xattrs;
	unsigned int nr_xattrs;
};

int pmfs_lookup(struct pmfs_ii *dir, const char *name, size_t len,
		uint64_t *ino);
/* Create an inode and its entry in dir; *iip (optional) gets a reference. */
int pmfs_create(struct pmfs_ii *dir, const char *name, size_t len,
		const struct pmfs_new *n, struct pmfs_ii **iip);
/* An unnamed inode with nlink 0 on the orphan list; pmfs_link gives it a
 * name, otherwise it is released at its last put (or at the next mount).
 */
int pmfs_tmpfile(struct pmfs_ii *dir, const struct pmfs_new *n,
		 struct pmfs_ii **iip);
/* Like pmfs_tmpfile for any type (libzus's new_inode + add_dentry):
 * pmfs_link names it; a directory gets nlink 2 then.
 */
int pmfs_new_inode(struct pmfs_ii *dir, const struct pmfs_new *n,
		   struct pmfs_ii **iip);
int pmfs_link(struct pmfs_ii *ii, struct pmfs_ii *dir, const char *name,
	      size_t len);
int pmfs_unlink(struct pmfs_ii *dir, const char *name, size_t len);
int pmfs_rmdir(struct pmfs_ii *dir, const char *name, size_t len);

#define PMFS_RENAME_NOREPLACE	(1U << 0)	/* = RENAME_NOREPLACE */
#define PMFS_RENAME_EXCHANGE	(1U << 1)	/* = RENAME_EXCHANGE */
#define PMFS_RENAME_WHITEOUT	(1U << 2)	/* = RENAME_WHITEOUT */
int pmfs_rename(struct pmfs_ii *odir, const char *oname, size_t olen,
		struct pmfs_ii *ndir, const char *nname, size_t nlen,
		uint32_t flags);

/* readdir: positions are stable cookies. pos 0 starts; the callback gets
 * the position of the entry after the one it receives. Return non-zero
 * from the callback to stop. Returns 0 at the end or when stopped.
 */
typedef int (*pmfs_filldir_t)(void *ctx, const char *name, size_t len,
			      uint64_t ino, unsigned type, uint64_t next_pos);
int pmfs_readdir(struct pmfs_ii *dir, uint64_t pos, pmfs_filldir_t fill,
		 void *ctx);

/* Bytes copied (without NUL, truncated to size) or -errno. */
ssize_t pmfs_readlink(struct pmfs_ii *ii, char *buf, size_t size);

/* ~~~~ Data ~~~~ */
ssize_t pmfs_read(struct pmfs_ii *ii, void *buf, size_t len, uint64_t off);
ssize_t pmfs_write(struct pmfs_ii *ii, const void *buf, size_t len,
		   uint64_t off);
/* File block index -> byte offset of the 4 KiB block in the pmem region,
 * or 0 for a hole. With create, a hole gets a zeroed block (not past
 * PMFS_MAX_FILE_SIZE). The kernel fast path maps these directly.
 */
#define PMFS_GB_WRITE	(1U << 0)	/* = ZUFS_GB_WRITE */
#define PMFS_GB_MMAP	(1U << 1)	/* = ZUFS_GB_MMAP */
#define PMFS_GB_NEW	(1U << 0)	/* = ZUFS_GB_NEW (ret_flags) */
#define PMFS_GB_SHARED	(1U << 3)	/* ret_flags: a block is shared */
int pmfs_get_blocks(struct pmfs_ii *ii, uint64_t off, uint64_t len,
		    unsigned flags, uint64_t *offs, uint32_t max,
		    uint32_t *nr, unsigned *ret_flags);
int pmfs_get_block(struct pmfs_ii *ii, uint64_t index, int create,
		   uint64_t *pmem_off);
void *pmfs_base(const struct pmfs_sb *sb);

/* ~~~~ Space (space.c) ~~~~ */
/* fallocate(2) modes (the FALLOC_FL_* values) */
#define PMFS_FALLOC_KEEP_SIZE		0x01
#define PMFS_FALLOC_PUNCH_HOLE		0x02
#define PMFS_FALLOC_COLLAPSE_RANGE	0x08
#define PMFS_FALLOC_ZERO_RANGE		0x10
#define PMFS_FALLOC_INSERT_RANGE	0x20
/* Checks mode and range as fallocate(2) on ext4 does (EOPNOTSUPP,
 * EINVAL, EFBIG, ENOSPC before anything changes when space is short).
 */
int pmfs_fallocate(struct pmfs_ii *ii, int mode, uint64_t off, uint64_t len);
/* SEEK_DATA (data != 0) or SEEK_HOLE from off: the position or -ENXIO. */
int64_t pmfs_seek(struct pmfs_ii *ii, uint64_t off, int data);

#define PMFS_EXTENT_LAST	(1U << 0)	/* the file's last extent */
#define PMFS_EXTENT_SHARED	(1U << 1)	/* blocks shared (reflink) */
struct pmfs_extent {
	uint64_t logical;	/* bytes in the file */
	uint64_t physical;	/* byte offset in the pmem region */
	uint64_t length;	/* bytes */
	uint32_t flags;		/* PMFS_EXTENT_* */
};
/* Up to max extents overlapping [off, off + len), in file order: runs of
 * blocks contiguous in the file and in the region.
 */
int pmfs_fiemap(struct pmfs_ii *ii, uint64_t off, uint64_t len,
		struct pmfs_extent *ext, uint32_t max, uint32_t *count);
/* copy_file_range: up to len bytes of src from soff to dst at doff (not
 * overlapping if src == dst); short at src's EOF, or out of space after
 * some bytes. Holes of src stay holes in dst. Returns bytes or -errno.
 */
ssize_t pmfs_copy_range(struct pmfs_ii *src, uint64_t soff,
			struct pmfs_ii *dst, uint64_t doff, uint64_t len);
/* FICLONERANGE/FIDEDUPERANGE: share the blocks of [soff, soff + len) of
 * src at doff of dst (block aligned; len may end at src's EOF, then the
 * last block is shared whole). dedupe: only if the bytes are equal, else
 * *same = 0 and nothing changes. dst grows to doff + len. -EOPNOTSUPP
 * without INCOMPAT_REFLINK.
 */
int pmfs_remap(struct pmfs_ii *src, uint64_t soff, struct pmfs_ii *dst,
	       uint64_t doff, uint64_t len, bool dedupe, int *same);

/* ~~~~ Extended attributes (xattr.c) ~~~~
 * name: the whole name ("user.x"), 1..255 bytes, NUL terminated. Values
 * and the name list as getxattr(2)/listxattr(2): size 0 asks for the
 * length only; -ERANGE if size is too small, -ENODATA if there is none.
 * All of an inode's attributes share one block: -ENOSPC when it is full.
 * flags: 1 create (-EEXIST), 2 replace (-ENODATA), 4 remove (-ENODATA).
 * -EOPNOTSUPP on a filesystem made without the XATTR feature.
 */
ssize_t pmfs_getxattr(struct pmfs_ii *ii, const char *name, void *buf,
		      size_t size);
int pmfs_setxattr(struct pmfs_ii *ii, const char *name, const void *value,
		  size_t size, uint32_t flags);
ssize_t pmfs_listxattr(struct pmfs_ii *ii, char *buf, size_t size);

/* ~~~~ Checker (check.c) ~~~~ */
#define PMFS_CHECK_REPAIR	(1U << 0)	/* -y */
#define PMFS_CHECK_QUIET	(1U << 1)
#define PMFS_CHECK_PRIVATE	(1U << 2)	/* map is a private copy: the
						 * journal may be replayed in it */
struct pmfs_check_result {
	uint32_t errors;	/* problems found */
	uint32_t fixed;		/* of which repaired */
	uint32_t journal_replayed;
	uint64_t inodes_used, blocks_used;
};
/* Checks (and with REPAIR fixes) an unmounted filesystem. report() gets
 * one line per problem; progress(done, total) is optional. Returns 0 or a
 * negative errno for operational errors (e.g. unreadable superblock that
 * cannot be repaired: -EUCLEAN).
 */
int pmfs_check(void *base, uint64_t region_size, int is_pmem, unsigned flags,
	       void (*report)(void *ctx, const char *msg),
	       void (*progress)(void *ctx, uint64_t done, uint64_t total),
	       void *ctx, struct pmfs_check_result *res);

/* ~~~~ Test hooks ~~~~ */
/* When > 0, decremented at each crash point; reaching 0 calls
 * pmfs_crash_fn (default: _exit(99)). For crash-consistency tests only.
 */
extern long pmfs_crash_countdown;
extern void (*pmfs_crash_fn)(const char *where);
extern unsigned long pmfs_crash_points;	/* points passed, for tests */

/* ~~~~ Utilities shared with the tools ~~~~ */
uint32_t pmfs_crc32c(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PMFS_H */
