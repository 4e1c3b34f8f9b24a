/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmfs_format.h - the on-media format of pmemfs (see FORMAT.md).
 *
 * Everything here is little-endian, fixed width and explicitly padded.
 * Pointers on media are byte offsets from the start of device 0 (t1 pmem);
 * block pointers are 4 KiB aligned and use their low 12 bits as flags.
 */
#ifndef PMFS_FORMAT_H
#define PMFS_FORMAT_H

#include <stdint.h>
#include <stddef.h>

#define PMFS_BLOCK_SHIFT	12
#define PMFS_BLOCK_SIZE		(1U << PMFS_BLOCK_SHIFT)

/* statfs f_type and the fs type's magic registered with zuf. */
#define PMFS_FS_MAGIC		0x504d4653U		/* "PMFS" */
/* Superblock magic: "ZUFSPMFS" read as a little-endian u64. */
#define PMFS_SB_MAGIC		0x53464d5053465a55ULL

#define PMFS_VERSION_MAJOR	1
#define PMFS_VERSION_MINOR	0

/* Feature flags. An unknown incompat bit refuses the mount; an unknown
 * ro_compat bit allows read-only mounts only; compat bits are advisory.
 */
#define PMFS_FEATURE_COMPAT_DIR_INDEX	(1U << 0)	/* hashed dirs (always) */
#define PMFS_FEATURE_RO_COMPAT_XATTR	(1U << 0)	/* xattr blocks */
#define PMFS_FEATURE_INCOMPAT_REFLINK	(1U << 0)	/* shared blocks, refcounts */
#define PMFS_FEATURE_INCOMPAT_T2	(1U << 1)	/* t2 block device in use */

#define PMFS_FEATURE_COMPAT_SUPP	PMFS_FEATURE_COMPAT_DIR_INDEX
#define PMFS_FEATURE_RO_COMPAT_SUPP	PMFS_FEATURE_RO_COMPAT_XATTR
#define PMFS_FEATURE_INCOMPAT_SUPP	PMFS_FEATURE_INCOMPAT_REFLINK

/* Fixed block numbers. */
#define PMFS_SB_BLOCK		0	/* primary superblock */
#define PMFS_DYN_BLOCK		1	/* dynamic state */
#define PMFS_SB_BACKUP_BLOCK	2	/* backup superblock (mkfs, fsck) */
#define PMFS_JOURNAL_BLOCK	3	/* first journal block */

#define PMFS_MAX_DEVS		8
#define PMFS_DEV_T1		1	/* byte addressable pmem (DAX) */
#define PMFS_DEV_T2		2	/* block device (reserved, part 2) */

#define PMFS_LABEL_LEN		64

struct pmfs_dev_entry {
	uint8_t  uuid[16];
	uint64_t size;			/* bytes */
	uint32_t type;			/* PMFS_DEV_T1 / PMFS_DEV_T2 */
	uint32_t flags;
	uint64_t reserved[4];
};

/* Blocks 0 and 2. Static after mkfs; crc32c over bytes [0, csum). */
struct pmfs_super {
	uint64_t magic;			/* PMFS_SB_MAGIC */
	uint32_t version_major;
	uint32_t version_minor;
	uint32_t feature_compat;
	uint32_t feature_ro_compat;
	uint32_t feature_incompat;
	uint32_t block_size;		/* 4096 */
	uint8_t  uuid[16];
	char     label[PMFS_LABEL_LEN];	/* NUL padded */
	uint64_t size;			/* bytes of the filesystem on device 0 */
	uint64_t nblocks;		/* size / block_size */
	uint64_t ninodes;		/* inode table entries, incl. 0 */
	uint64_t journal_off;		/* byte offsets ... */
	uint64_t ibitmap_off;
	uint64_t bbitmap_off;
	uint64_t itable_off;
	uint64_t data_off;		/* first block the allocator hands out */
	uint32_t journal_slots;
	uint32_t journal_slot_size;	/* bytes */
	uint32_t ibitmap_blocks;
	uint32_t bbitmap_blocks;
	uint64_t itable_blocks;
	uint64_t root_ino;
	uint32_t inode_size;		/* 256 */
	uint32_t name_max;		/* 255 */
	uint64_t hash_seed[2];		/* SipHash key of directory names */
	int64_t  mkfs_time;		/* seconds */
	uint32_t ndevs;			/* entries used in devs[] */
	uint32_t reserved0;
	struct pmfs_dev_entry devs[PMFS_MAX_DEVS];
	/* INCOMPAT_REFLINK: the refcount table, one uint32_t per block of
	 * the filesystem, between the inode table and data_off; else 0.
	 */
	uint64_t refcount_off;
	uint64_t refcount_blocks;
	uint8_t  reserved[244];
	uint32_t csum;			/* crc32c of the bytes before it */
};

/* Block 1: state written with single 8-byte stores, no checksum. */
#define PMFS_STATE_CLEAN	1	/* cleanly unmounted (or never mounted) */
#define PMFS_STATE_MOUNTED	2	/* mounted read-write */

struct pmfs_sb_dyn {
	uint64_t state;
	uint64_t mount_count;
	int64_t  mount_time;
	int64_t  write_time;
	uint64_t orphan_head;		/* ino of the first orphan, 0 = none */
	uint64_t reserved[59];
};

/* ~~~~ Journal: an array of undo-log slots ~~~~ */
#define PMFS_JSLOT_MAGIC	0x544f4c534c4e524aULL	/* "JRNLSLOT" */
#define PMFS_JSLOT_SIZE		(64U * 1024U)

struct pmfs_jslot {
	uint64_t magic;
	uint64_t gen;			/* entries of this gen are live */
	uint64_t reserved[6];
};

/* jentry.type */
#define PMFS_JE_BYTES		1	/* data = old bytes of [off, off+len) */
#define PMFS_JE_BITS_CLEAR	2	/* undo an allocation: clear bits */
#define PMFS_JE_BITS_SET	3	/* undo a free: set bits */

/* BITS entries: off = bitmap (0 inodes, 1 blocks), data = {start, count}. */
struct pmfs_jentry {
	uint64_t gen;
	uint64_t off;
	uint32_t len;			/* bytes of data after the header */
	uint16_t type;
	uint16_t flags;
	uint32_t csum;			/* crc32c of header (csum = 0) + data */
	uint32_t reserved;
};

/* ~~~~ Inodes ~~~~ */
#define PMFS_INODE_SIZE		256
#define PMFS_INODE_CSUM_LEN	236	/* crc32c over [0, 236) */
#define PMFS_INODE_CORE		240	/* logged with the inode */
#define PMFS_ROOT_INO		1
#define PMFS_LINK_MAX		65000
#define PMFS_NAME_MAX		255
#define PMFS_INLINE_SIZE	84	/* inline symlink target bytes */
#define PMFS_SYMLINK_MAX	4095
#define PMFS_MAX_HEIGHT		4	/* block map: 512^4 blocks */
#define PMFS_MAX_FILE_SIZE	(1ULL << 48)

struct pmfs_time {
	int64_t  sec;
	uint32_t nsec;
	uint32_t reserved;
};

/* pmfs_inode.iflags */
#define PMFS_IF_INLINE		(1U << 0)	/* symlink target inline */

struct pmfs_inode {
	uint32_t mode;			/* 0 = free */
	uint32_t flags;			/* FS_*_FL */
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;
	uint32_t rdev;			/* new_encode_dev() */
	uint64_t size;
	uint64_t blocks;		/* 4 KiB blocks, map nodes included */
	uint32_t generation;
	uint16_t height;		/* block map height */
	uint8_t  iflags;		/* PMFS_IF_* */
	uint8_t  reserved0;
	struct pmfs_time atime;
	struct pmfs_time mtime;
	struct pmfs_time ctime;
	struct pmfs_time btime;
	uint64_t root;			/* block map root / directory root */
	uint64_t parent;		/* directories: ino of ".." */
	uint64_t xattr;			/* xattr block (RO_COMPAT_XATTR), 0 = none */
	uint64_t dir_count;		/* directories: entries */
	uint64_t version;		/* change counter */
	uint8_t  inline_data[PMFS_INLINE_SIZE];
	uint32_t csum;			/* crc32c of [0, PMFS_INODE_CSUM_LEN) */
	/* not covered by csum, changed under the orphan lock only */
	uint64_t orphan_next;
	uint64_t orphan_prev;
};

/* Block pointer flags (block maps). */
#define PMFS_PTR_FLAGS		0xfffULL
#define PMFS_PTR_SHARED		(1ULL << 0)	/* reflink (INCOMPAT_REFLINK):
						 * the block may be shared, see
						 * the refcount table */
#define PMFS_PTR_UNWRITTEN	(1ULL << 1)	/* reserved: fallocate */
#define PMFS_PTR_NODE		(1ULL << 0)	/* directory trie: node */
#define PMFS_PTRS_PER_BLOCK	512
#define PMFS_MAP_SHIFT		9

/* ~~~~ Directories: a hash trie of 4 KiB nodes and leaves ~~~~ */
#define PMFS_DLEAF_MAGIC	0x46414c44U	/* "DLAF" */
#define PMFS_DIR_MAX_PBITS	54		/* 6 node levels of 9 bits */
#define PMFS_DIR_MINOR_BITS	7
#define PMFS_DIR_HASH_SHIFT	10		/* trie key = hash >> 10 */
#define PMFS_DIR_COOKIE_BASE	3		/* 0 start, 1 ".", 2 ".." */

struct pmfs_dleaf {
	uint32_t magic;
	uint16_t pbits;			/* hash-key bits fixed by the trie */
	uint16_t reserved0;
	uint64_t prefix;		/* key >> (54 - pbits) */
	uint64_t dir_ino;
	uint64_t reserved1;
};

struct pmfs_dirent {
	uint64_t hash;			/* SipHash-2-4 of the name */
	uint64_t ino;			/* 0 = free record */
	uint32_t csum;			/* crc32c of hash, ino, name_len..name */
	uint16_t rec_len;		/* bytes to the next record */
	uint8_t  name_len;
	uint8_t  type;			/* DT_* */
	uint8_t  minor;			/* cookie disambiguator */
	uint8_t  reserved[7];
	char     name[];
};

#define PMFS_DIRENT_HDR		32
#define PMFS_DLEAF_HDR		32

/* ~~~~ Extended attributes: one 4 KiB block per inode ~~~~
 * Header, then `used` bytes of entries; each entry is struct pmfs_xentry,
 * the whole name (name_len bytes, no NUL), the value (value_len bytes),
 * padded to 4 bytes. csum: crc32c of the header (csum = 0) and the
 * entries. Blocks are never changed in place: a change writes a new block
 * and swaps inode.xattr in one transaction.
 */
#define PMFS_XBLOCK_MAGIC	0x52544158U	/* "XATR" */
#define PMFS_XBLOCK_HDR		32
#define PMFS_XENTRY_HDR		4
#define PMFS_XATTR_SPACE	(PMFS_BLOCK_SIZE - PMFS_XBLOCK_HDR)

struct pmfs_xblock {
	uint32_t magic;
	uint32_t csum;
	uint64_t ino;			/* the owner */
	uint32_t used;			/* bytes of entries after the header */
	uint16_t count;			/* entries */
	uint16_t reserved0;
	uint64_t reserved1;
};

struct pmfs_xentry {
	uint8_t  name_len;		/* 1..255 */
	uint8_t  reserved;
	uint16_t value_len;
	char     data[];		/* name, then value */
};

_Static_assert(sizeof(struct pmfs_dev_entry) == 64, "dev entry");
_Static_assert(sizeof(struct pmfs_super) == 1024, "super");
_Static_assert(offsetof(struct pmfs_super, csum) == 1020, "super csum");
_Static_assert(sizeof(struct pmfs_sb_dyn) == 512, "sb_dyn");
_Static_assert(sizeof(struct pmfs_jslot) == 64, "jslot");
_Static_assert(sizeof(struct pmfs_jentry) == 32, "jentry");
_Static_assert(sizeof(struct pmfs_inode) == PMFS_INODE_SIZE, "inode");
_Static_assert(offsetof(struct pmfs_inode, csum) == PMFS_INODE_CSUM_LEN,
	       "inode csum");
_Static_assert(offsetof(struct pmfs_inode, orphan_next) == PMFS_INODE_CORE,
	       "inode core");
_Static_assert(sizeof(struct pmfs_dleaf) == PMFS_DLEAF_HDR, "dleaf");
_Static_assert(sizeof(struct pmfs_dirent) == PMFS_DIRENT_HDR, "dirent");
_Static_assert(sizeof(struct pmfs_xblock) == PMFS_XBLOCK_HDR, "xblock");
_Static_assert(sizeof(struct pmfs_xentry) == PMFS_XENTRY_HDR, "xentry");

#endif /* PMFS_FORMAT_H */
