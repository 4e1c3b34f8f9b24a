/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmfs_int.h - internals of the pmemfs core shared by its source files.
 */
#ifndef PMFS_INT_H
#define PMFS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <errno.h>
#include <string.h>
#include <libpmem.h>
#include "pmfs.h"

#ifndef EUCLEAN
#define EUCLEAN 117
#endif

#define PMFS_BITS_PER_GROUP	(PMFS_BLOCK_SIZE * 8)	/* one bitmap block */
#define PMFS_BM_INODES		0
#define PMFS_BM_BLOCKS		1

#define ALIGN_UP(x, a)		(((x) + (a) - 1) / (a) * (a))
#define DIV_UP(x, a)		(((x) + (a) - 1) / (a))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* ~~~~ Allocator (alloc.c): pmem bitmap + DRAM copy + per-group summary ~~~~
 * The DRAM copy is what allocation searches. Allocations set both copies
 * at once; frees clear the pmem bits in the transaction but the DRAM bits
 * only when it commits, so nobody reuses a block a crash could give back.
 */
struct pmfs_bitmap {
	pthread_mutex_t lock;
	int which;			/* PMFS_BM_* */
	uint64_t nbits;			/* usable bits */
	uint64_t first;			/* lowest bit handed out */
	uint64_t *pmap;			/* on pmem */
	uint64_t *map;			/* DRAM, 1 = used */
	uint32_t *group_free;		/* free bits per group */
	uint64_t ngroups;
	uint64_t nfree;
	uint64_t hint;
};

/* ~~~~ Journal (journal.c) ~~~~ */
struct pmfs_range {
	uint64_t off;
	uint32_t len;
};

struct pmfs_run {
	uint32_t which;
	uint64_t start, count;
};

struct pmfs_tx {
	struct pmfs_sb *sb;
	uint32_t slot;
	char *sbase;			/* the slot on pmem */
	uint64_t gen;
	uint32_t used;			/* bytes of entries written */
	int error;			/* sticky: journal full */
	struct pmfs_range *logged;	/* undo-logged ranges (dedup) */
	uint32_t nlogged, clogged;
	struct pmfs_range *dirty;	/* to flush at commit */
	uint32_t ndirty, cdirty;
	struct pmfs_run *allocs;	/* to undo on abort */
	uint32_t nallocs, callocs;
	struct pmfs_run *frees;		/* applied to DRAM at commit */
	uint32_t nfrees, cfrees;
	struct pmfs_inode *inodes[8];	/* re-checksummed at commit */
	uint32_t ninodes;
	bool orphan_locked;
};

/* ~~~~ Inodes in use ~~~~ */
struct pmfs_ii {
	struct pmfs_sb *sb;
	uint64_t ino;
	struct pmfs_inode *pi;
	pthread_rwlock_t lock;
	unsigned refcount;		/* under sb->icache_lock */
	bool linkable;			/* tmpfile not linked yet */
	struct pmfs_ii *hnext;
	void *priv;
};

struct pmfs_sb {
	char *base;
	uint64_t region_size;
	int is_pmem;
	unsigned flags;			/* PMFS_MOUNT_* */
	bool rdonly;
	struct pmfs_super *ps;
	struct pmfs_sb_dyn *dyn;
	struct pmfs_inode *itable;
	uint32_t *refcnt;		/* INCOMPAT_REFLINK table, else NULL */
	uint64_t ninodes, nblocks;
	uint64_t hkey[2];

	struct pmfs_bitmap ibm, bbm;

	pthread_mutex_t jlock;
	pthread_cond_t jcond;
	uint32_t *jfree;		/* stack of free slot numbers */
	uint32_t njfree;
	uint32_t *jpos;			/* per slot: entry positions (abort) */

	pthread_mutex_t icache_lock;
	struct pmfs_ii **ihash;
	uint32_t ihash_size;
	uint64_t icount;

	pthread_mutex_t orphan_lock;
	pthread_mutex_t rename_lock;
	atomic_uint gen_counter;

	struct pmfs_mount_info mi;
};

/* ~~~~ Helpers ~~~~ */
static inline void *pmfs_ptr(const struct pmfs_sb *sb, uint64_t off)
{
	return sb->base + off;
}

static inline uint64_t pmfs_off(const struct pmfs_sb *sb, const void *p)
{
	return (uint64_t)((const char *)p - sb->base);
}

/* A block pointer is valid: aligned (flags aside) and in the data area. */
static inline bool pmfs_blk_ok(const struct pmfs_sb *sb, uint64_t ptr)
{
	uint64_t off = ptr & ~PMFS_PTR_FLAGS;

	return off >= sb->ps->data_off && off < sb->nblocks * PMFS_BLOCK_SIZE;
}

static inline struct pmfs_inode *pmfs_pi(const struct pmfs_sb *sb,
					 uint64_t ino)
{
	return &sb->itable[ino];
}

static inline bool pmfs_ino_ok(const struct pmfs_sb *sb, uint64_t ino)
{
	return ino >= PMFS_ROOT_INO && ino < sb->ninodes;
}

void pmfs_now(struct pmfs_time *t);
uint64_t pmfs_siphash(const uint64_t key[2], const void *data, size_t len);
uint32_t pmfs_inode_csum(const struct pmfs_inode *pi);
bool pmfs_inode_csum_ok(const struct pmfs_inode *pi);
uint32_t pmfs_super_csum(const struct pmfs_super *ps);
unsigned pmfs_mode_to_dt(uint32_t mode);
void pmfs_crash_point(const char *where);
int pmfs_super_validate(const struct pmfs_super *ps, uint64_t region_size,
			bool rdonly, char *err, size_t errlen);

/* journal.c */
int pmfs_journal_init(struct pmfs_sb *sb);
void pmfs_journal_fini(struct pmfs_sb *sb);
/* Roll back every live slot; returns transactions rolled back or -errno. */
int pmfs_journal_recover(char *base, const struct pmfs_super *ps,
			 bool dry_run);
int pmfs_tx_begin(struct pmfs_sb *sb, struct pmfs_tx *tx);
int pmfs_tx_add(struct pmfs_tx *tx, const void *p, size_t len);
void pmfs_tx_dirty(struct pmfs_tx *tx, const void *p, size_t len);
int pmfs_tx_add_inode(struct pmfs_tx *tx, struct pmfs_inode *pi);
int pmfs_tx_log_bits(struct pmfs_tx *tx, int type, uint32_t which,
		     uint64_t start, uint64_t count);
uint32_t pmfs_tx_space(const struct pmfs_tx *tx);
int pmfs_tx_commit(struct pmfs_tx *tx);
void pmfs_tx_abort(struct pmfs_tx *tx);
/* Finish tx: commit if err == 0 (returning the commit's result), else
 * abort and return err.
 */
int pmfs_tx_end(struct pmfs_tx *tx, int err);

/* alloc.c */
int pmfs_bitmap_init(struct pmfs_sb *sb, struct pmfs_bitmap *bm, int which,
		     uint64_t *pmap, uint64_t nbits, uint64_t first);
void pmfs_bitmap_fini(struct pmfs_bitmap *bm);
int pmfs_alloc_block(struct pmfs_tx *tx, uint64_t goal, uint64_t *off);
/*
 * A file's data: up to want free blocks in a row for the file's block
 * index, in one step: *got (1..want) blocks from *off. The first is goal
 * (the block after the file's previous one) when that is free, so a run
 * goes on where it stopped; else a block that is index modulo
 * PMFS_DATA_ALIGN with room for MIN(want, PMFS_ALIGN_NEED) blocks, so file
 * offset and device offset agree modulo 2 MiB as they would in one run
 * (whatever the writers, the runs of a file keep the one alignment); else
 * the first free block, as pmfs_alloc_block.
 */
#define PMFS_DATA_ALIGN	512	/* blocks: 2 MiB */
#define PMFS_ALIGN_NEED	64	/* blocks: 256 KiB */
#define PMFS_NO_ALIGN	UINT64_MAX
int pmfs_alloc_data(struct pmfs_tx *tx, uint64_t goal, uint64_t index,
		    uint64_t want, uint64_t *off, uint64_t *got);
/* A map node: the lowest free block, away from the runs of file data. */
int pmfs_alloc_meta(struct pmfs_tx *tx, uint64_t *off);
int pmfs_free_blocks(struct pmfs_tx *tx, uint64_t off, uint64_t count);
int pmfs_alloc_ino(struct pmfs_tx *tx, uint64_t *ino);
int pmfs_free_ino(struct pmfs_tx *tx, uint64_t ino);
/* Called by the journal. */
void pmfs_bitmap_undo_alloc(struct pmfs_sb *sb, const struct pmfs_run *r);
void pmfs_bitmap_commit_free(struct pmfs_sb *sb, const struct pmfs_run *r);
/* Raw pmem bit operations, also used by recovery and fsck. */
void pmfs_pbits_set(uint64_t *pmap, uint64_t start, uint64_t count, int val);
static inline int pmfs_test_bit(const uint64_t *map, uint64_t bit)
{
	return (map[bit / 64] >> (bit % 64)) & 1;
}

/* inode.c */
int pmfs_icache_init(struct pmfs_sb *sb);
void pmfs_icache_fini(struct pmfs_sb *sb);
struct pmfs_ii *pmfs_ii_new(struct pmfs_sb *sb, uint64_t ino);
int pmfs_inode_alloc(struct pmfs_tx *tx, uint32_t mode, uint32_t uid,
		     uint32_t gid, uint32_t rdev, uint64_t *ino);
int pmfs_orphan_add(struct pmfs_tx *tx, uint64_t ino);
int pmfs_orphan_del(struct pmfs_tx *tx, uint64_t ino);
bool pmfs_orphan_on_list(struct pmfs_sb *sb, uint64_t ino);
/* Free all blocks and the inode itself (nlink 0, on the orphan list). */
int pmfs_inode_release(struct pmfs_sb *sb, uint64_t ino);
int pmfs_orphans_process(struct pmfs_sb *sb);
void pmfs_lock2(struct pmfs_ii *a, struct pmfs_ii *b);
void pmfs_unlock2(struct pmfs_ii *a, struct pmfs_ii *b);
void pmfs_lock_many(struct pmfs_ii **v, int n);
void pmfs_unlock_many(struct pmfs_ii **v, int n);

/* data.c */
uint64_t pmfs_map_lookup(struct pmfs_sb *sb, const struct pmfs_inode *pi,
			 uint64_t index);
/* A zeroed map node (pmfs_alloc_meta), counted in the inode's blocks. */
int pmfs_map_new_node(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      uint64_t *off);
int pmfs_map_create(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t index,
		    uint64_t *ptr, bool *is_new);
/* The same taking the block of a hole from ra: runs of up to ra->want
 * blocks in a row (pmfs_alloc_data).
 */
struct pmfs_run_alloc {
	uint64_t off, left;	/* the rest of the current run */
	uint64_t want;		/* holes still to fill in this row */
};
int pmfs_map_create_run(struct pmfs_tx *tx, struct pmfs_inode *pi,
			uint64_t index, struct pmfs_run_alloc *ra,
			uint64_t *ptr, bool *is_new);
/* refcount.c: shared blocks (INCOMPAT_REFLINK) */
int pmfs_block_put(struct pmfs_tx *tx, uint64_t ptr);
int pmfs_block_share(struct pmfs_tx *tx, uint64_t ptr);
int pmfs_unshare(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t *slot,
		 bool fresh);
/* Free blocks >= keep; returns 1 done, 0 more to do (journal full), <0. */
int pmfs_map_truncate(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      uint64_t keep);
/* Truncate to size in as many transactions as it takes (inode locked). */
int pmfs_truncate(struct pmfs_sb *sb, uint64_t ino, uint64_t size);
int pmfs_data_write(struct pmfs_tx *tx, struct pmfs_inode *pi,
		    const void *buf, size_t len, uint64_t off);

/* dir.c */
struct pmfs_dfound {
	struct pmfs_dirent *de;
	struct pmfs_dirent *prev;	/* previous record in its leaf */
	struct pmfs_dleaf *leaf;
};
int pmfs_dir_find(struct pmfs_sb *sb, struct pmfs_inode *dir,
		  const char *name, size_t len, struct pmfs_dfound *f);
int pmfs_dir_add(struct pmfs_tx *tx, struct pmfs_inode *dir, uint64_t dir_ino,
		 const char *name, size_t len, uint64_t ino, unsigned type);
int pmfs_dir_del(struct pmfs_tx *tx, struct pmfs_inode *dir,
		 struct pmfs_dfound *f);
int pmfs_dir_set(struct pmfs_tx *tx, struct pmfs_dirent *de, uint64_t ino,
		 unsigned type);
/* Free the directory's blocks: 1 done, 0 more to do, <0 error. */
int pmfs_dir_free(struct pmfs_tx *tx, struct pmfs_inode *dir);
uint32_t pmfs_dirent_csum(const struct pmfs_dirent *de);
uint64_t pmfs_dir_hash(const struct pmfs_sb *sb, const char *name, size_t len);

/* xattr.c */
uint32_t pmfs_xblock_csum(const struct pmfs_xblock *xb);
/* NULL if the xattr block of ino is sound, else a one-line reason. */
const char *pmfs_xblock_check(const struct pmfs_xblock *xb, uint64_t ino);
/* Free the inode's xattr block in tx (inode release). */
int pmfs_xattr_drop(struct pmfs_tx *tx, struct pmfs_inode *pi);
/* The first attributes of the new inode ino (struct pmfs_new), in tx. */
int pmfs_xattr_init(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t ino,
		    const struct pmfs_xattr_in *x, unsigned int nr);

/* symlink.c */
int pmfs_symlink_init(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      const char *target);
ssize_t pmfs_symlink_read(struct pmfs_sb *sb, struct pmfs_inode *pi,
			  char *buf, size_t size);

#endif /* PMFS_INT_H */
