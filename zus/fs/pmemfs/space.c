// SPDX-License-Identifier: BSD-3-Clause
/*
 * space.c - the space of regular files: fallocate (allocate, punch hole,
 * zero range, collapse and insert range), SEEK_DATA/SEEK_HOLE and the
 * extent list of FIEMAP, all over the block map of data.c.
 *
 * Preallocation writes zeros: a block fallocate allocates is zeroed on
 * pmem (non-temporal stores, drained by the commit) before its pointer
 * is committed, so it reads as zeros through every path (READ, the
 * kernel's fast path, DAX mmap) without a flag to check; the UNWRITTEN
 * pointer flag stays reserved. Such a block is data for SEEK_DATA and
 * FIEMAP, like a written block of zeros.
 *
 * Every step is an undo-journal transaction. Long operations take several
 * (as a long truncate does); each leaves a consistent file: allocation
 * and punching commit per chunk (a crash leaves part of the range done),
 * collapse and insert move block pointers one chunk at a time and change
 * the size last (a crash in between leaves part of the blocks moved).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "pmfs_int.h"

#define NONE		UINT64_MAX
#define TX_RESERVE	2048U		/* journal bytes kept for the end */
#define STEP_COST	(3 * sizeof(struct pmfs_jentry) + 64)
#define CHUNK_BLOCKS	128U

static uint64_t cap(unsigned h)
{
	return 1ULL << (PMFS_MAP_SHIFT * h);
}

static uint64_t *node_of(struct pmfs_sb *sb, uint64_t ptr)
{
	return pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS);
}

static unsigned slot_ix(uint64_t index, unsigned level)
{
	return (unsigned)(index >> (PMFS_MAP_SHIFT * (level - 1))) &
	       (PMFS_PTRS_PER_BLOCK - 1);
}

/* ~~~~ walking the map ~~~~ */

/* First index >= from in the subtree of ptr (covering [base, base +
 * cap(level))) that is data (want) or a hole (!want); NONE if none.
 */
static uint64_t next_rec(struct pmfs_sb *sb, uint64_t ptr, unsigned level,
			 uint64_t base, uint64_t from, bool want)
{
	uint64_t span, *node;

	if (!ptr || !pmfs_blk_ok(sb, ptr))
		return want ? NONE : MAX(base, from);
	if (level == 0)
		return want ? MAX(base, from) : NONE;
	span = cap(level - 1);
	node = node_of(sb, ptr);
	for (uint64_t i = from > base ? (from - base) / span : 0;
	     i < PMFS_PTRS_PER_BLOCK; i++) {
		uint64_t r = next_rec(sb, node[i], level - 1, base + i * span,
				      from, want);

		if (r != NONE)
			return r;
	}
	return NONE;
}

/* The first data block (want) or hole (!want) at or after index from:
 * NONE when there is no data from there on; a hole always exists.
 */
static uint64_t map_next(struct pmfs_sb *sb, const struct pmfs_inode *pi,
			 uint64_t from, bool want)
{
	uint64_t r;

	if (pi->height > PMFS_MAX_HEIGHT || from >= cap(pi->height))
		return want ? NONE : from;
	r = next_rec(sb, pi->root, pi->height, 0, from, want);
	if (r == NONE && !want)
		r = cap(pi->height);
	return r;
}

/* Holes in [first, last) (for the ENOSPC check before allocating). */
static uint64_t count_holes(struct pmfs_sb *sb, const struct pmfs_inode *pi,
			    uint64_t first, uint64_t last)
{
	uint64_t n = 0, i = first;

	while (i < last) {
		uint64_t d = map_next(sb, pi, i, true);

		if (d == NONE || d >= last)
			return n + (last - i);
		n += d - i;
		i = map_next(sb, pi, d, false);
	}
	return n;
}

/* ~~~~ slots ~~~~ */

/* The slot of file block index. create: build the path (taller tree, new
 * nodes); else NULL when the path does not exist. The inode is logged.
 */
static int map_slot(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t index,
		    bool create, uint64_t **slotp)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t *slot, off;
	int err;

	*slotp = NULL;
	if (index >= cap(PMFS_MAX_HEIGHT))
		return create ? -EFBIG : 0;
	if (pi->height > PMFS_MAX_HEIGHT)
		return -EUCLEAN;
	if (index >= cap(pi->height)) {
		if (!create)
			return 0;
		while (index >= cap(pi->height)) {
			if (!pi->root) {
				while (index >= cap(pi->height))
					pi->height++;
				break;
			}
			err = pmfs_map_new_node(tx, pi, &off);
			if (err)
				return err;
			node_of(sb, off)[0] = pi->root;
			pmfs_tx_dirty(tx, node_of(sb, off), 8);
			pi->root = off;
			pi->height++;
		}
	}
	slot = &pi->root;
	for (unsigned level = pi->height; level > 0; level--) {
		if (!*slot) {
			if (!create)
				return 0;
			err = pmfs_map_new_node(tx, pi, &off);
			if (!err)
				err = pmfs_tx_add(tx, slot, 8);
			if (err)
				return err;
			*slot = off;
			pmfs_tx_dirty(tx, slot, 8);
		} else if (!pmfs_blk_ok(sb, *slot)) {
			return -EUCLEAN;
		}
		slot = &node_of(sb, *slot)[slot_ix(index, level)];
	}
	if (*slot && !pmfs_blk_ok(sb, *slot))
		return -EUCLEAN;
	*slotp = slot;
	return 0;
}

static int set_slot(struct pmfs_tx *tx, uint64_t *slot, uint64_t val)
{
	int err = pmfs_tx_add(tx, slot, 8);

	if (err)
		return err;
	*slot = val;
	pmfs_tx_dirty(tx, slot, 8);
	return 0;
}

static void stamp(struct pmfs_inode *pi)
{
	pmfs_now(&pi->mtime);
	pi->ctime = pi->mtime;
	pi->version++;
}

static bool tx_low(const struct pmfs_tx *tx)
{
	return pmfs_tx_space(tx) < TX_RESERVE + 4 * STEP_COST;
}

/* Zero [in, in + n) of file block index if it is allocated (data); a
 * shared block is copied first.
 */
static int zero_in_block(struct pmfs_sb *sb, struct pmfs_inode *pi,
			 uint64_t index, uint32_t in, uint32_t n)
{
	uint64_t ptr = pmfs_map_lookup(sb, pi, index);

	if (ptr & PMFS_PTR_SHARED) {
		struct pmfs_tx tx;
		bool is_new;
		int err = pmfs_tx_begin(sb, &tx);

		if (err)
			return err;
		err = pmfs_map_create(&tx, pi, index, &ptr, &is_new);
		err = pmfs_tx_end(&tx, err);
		if (err)
			return err;
	}
	if (ptr)
		pmem_memset_persist((char *)pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS) +
				    in, 0, n);
	return 0;
}

/* ~~~~ allocate (default, KEEP_SIZE, ZERO_RANGE) ~~~~ */

/* Blocks for [off, end), zeroed when new; zero: also zero the bytes of
 * the range in blocks that exist. The size grows with the allocated
 * blocks unless keep.
 */
static int alloc_range(struct pmfs_sb *sb, struct pmfs_inode *pi,
		       uint64_t off, uint64_t end, bool keep, bool zero)
{
	uint64_t first = off / PMFS_BLOCK_SIZE, last = DIV_UP(end, PMFS_BLOCK_SIZE);
	uint64_t need, nfree, i = first, goal = 0;
	int err = 0;

	need = count_holes(sb, pi, first, last);
	pthread_mutex_lock(&sb->bbm.lock);
	nfree = sb->bbm.nfree;
	pthread_mutex_unlock(&sb->bbm.lock);
	/* the data blocks and at worst a map node per 512 of them */
	if (need && need + need / (PMFS_PTRS_PER_BLOCK - 1) + PMFS_MAX_HEIGHT >
	    nfree)
		return -ENOSPC;
	while (i < last) {
		struct pmfs_tx tx;
		unsigned n = 0;

		err = pmfs_tx_begin(sb, &tx);
		if (err)
			return err;
		err = pmfs_tx_add_inode(&tx, pi);
		while (!err && i < last && n < CHUNK_BLOCKS && !tx_low(&tx)) {
			uint64_t *slot, b;

			err = map_slot(&tx, pi, i, true, &slot);
			if (err)
				break;
			if (!*slot) {
				uint64_t one;

				if (!goal && i)
					goal = pmfs_map_lookup(sb, pi, i - 1) &
					       ~PMFS_PTR_FLAGS;
				if (goal)
					goal += PMFS_BLOCK_SIZE;
				err = pmfs_alloc_data(&tx, goal, i, 1, &b, &one);
				if (err)
					break;
				pmem_memset_nodrain(pmfs_ptr(sb, b), 0,
						    PMFS_BLOCK_SIZE);
				err = set_slot(&tx, slot, b);
				if (err)
					break;
				goal = b;
				pi->blocks++;
				n++;
			} else if (zero) {
				uint64_t bs = i * PMFS_BLOCK_SIZE;

				if (*slot & PMFS_PTR_SHARED) {
					err = pmfs_unshare(&tx, pi, slot,
							   false);
					if (err)
						break;
				}
				uint64_t s = MAX(bs, off);
				uint64_t e = MIN(bs + PMFS_BLOCK_SIZE, end);

				pmem_memset_nodrain((char *)pmfs_ptr(sb, *slot &
						    ~PMFS_PTR_FLAGS) + (s - bs),
						    0, e - s);
			}
			i++;
		}
		if (!err) {
			if (!keep && MIN(i * PMFS_BLOCK_SIZE, end) > pi->size)
				pi->size = MIN(i * PMFS_BLOCK_SIZE, end);
			stamp(pi);
		}
		err = pmfs_tx_end(&tx, err);
		if (err)
			return err;
		pmfs_crash_point("fallocate: between transactions");
	}
	return 0;
}

static int set_size(struct pmfs_sb *sb, struct pmfs_inode *pi,
		    uint64_t size);

/* ~~~~ punch ~~~~ */

/* Free the blocks of [s, e) (block indexes) under *slot, which covers
 * [base, base + cap(level)). 1 done, 0 journal low (call again), <0.
 */
static int punch_rec(struct pmfs_tx *tx, struct pmfs_inode *pi,
		     uint64_t *slot, unsigned level, uint64_t base,
		     uint64_t s, uint64_t e)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t span = cap(level), ptr = *slot;
	int err;

	if (!ptr || base >= e || base + span <= s)
		return 1;
	if (!pmfs_blk_ok(sb, ptr))
		return -EUCLEAN;
	if (tx_low(tx))
		return 0;
	if (level > 0) {
		uint64_t cspan = cap(level - 1), *node = node_of(sb, ptr);
		uint64_t i = s > base ? (s - base) / cspan : 0;

		for (; i < PMFS_PTRS_PER_BLOCK && base + i * cspan < e; i++) {
			int r = punch_rec(tx, pi, &node[i], level - 1,
					  base + i * cspan, s, e);

			if (r <= 0)
				return r;
		}
		if (base < s || base + span > e)
			return 1;	/* the node stays */
	}
	err = level ? pmfs_free_blocks(tx, ptr & ~PMFS_PTR_FLAGS, 1) :
		      pmfs_block_put(tx, ptr);
	if (!err)
		err = set_slot(tx, slot, 0);
	if (err)
		return err;
	if (pi->blocks)
		pi->blocks--;
	return 1;
}

/* Free the blocks [first, last) in as many transactions as it takes. */
static int punch_blocks(struct pmfs_sb *sb, struct pmfs_inode *pi,
			uint64_t first, uint64_t last)
{
	int r = 0;

	if (pi->height > PMFS_MAX_HEIGHT)
		return -EUCLEAN;
	while (r == 0 && first < last) {
		struct pmfs_tx tx;
		int err = pmfs_tx_begin(sb, &tx);

		if (err)
			return err;
		err = pmfs_tx_add_inode(&tx, pi);
		if (!err) {
			r = punch_rec(&tx, pi, &pi->root, pi->height, 0, first,
				      last);
			if (r < 0)
				err = r;
		}
		if (!err) {
			if (!pi->root)
				pi->height = 0;
			stamp(pi);
		}
		err = pmfs_tx_end(&tx, err);
		if (err)
			return err;
		pmfs_crash_point("punch: between transactions");
	}
	return 0;
}

static int punch_range(struct pmfs_sb *sb, struct pmfs_inode *pi,
		       uint64_t off, uint64_t end)
{
	uint64_t first = DIV_UP(off, PMFS_BLOCK_SIZE);
	uint64_t last = end / PMFS_BLOCK_SIZE;
	int err = 0;

	/* the partial blocks at both ends: their bytes in the range */
	if (off / PMFS_BLOCK_SIZE == (end - 1) / PMFS_BLOCK_SIZE &&
	    (off % PMFS_BLOCK_SIZE || end % PMFS_BLOCK_SIZE)) {
		err = zero_in_block(sb, pi, off / PMFS_BLOCK_SIZE,
				    off % PMFS_BLOCK_SIZE,
				    (uint32_t)(end - off));
		return err ? err : set_size(sb, pi, pi->size); /* the times */
	}
	if (off % PMFS_BLOCK_SIZE)
		err = zero_in_block(sb, pi, off / PMFS_BLOCK_SIZE,
				    off % PMFS_BLOCK_SIZE,
				    PMFS_BLOCK_SIZE - off % PMFS_BLOCK_SIZE);
	if (!err && end % PMFS_BLOCK_SIZE)
		err = zero_in_block(sb, pi, last, 0, end % PMFS_BLOCK_SIZE);
	if (err)
		return err;
	if (first >= last)
		return set_size(sb, pi, pi->size);
	return punch_blocks(sb, pi, first, last);
}

/* ~~~~ collapse and insert: move block pointers ~~~~ */

/* Move the pointer of block from to block to (a hole). */
static int move_block(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      uint64_t from, uint64_t to)
{
	uint64_t *src, *dst, ptr;
	/* the destination first: building its path may grow the tree,
	 * which moves the slot of a height-0 root
	 */
	int err = map_slot(tx, pi, to, true, &dst);

	if (err)
		return err;
	if (*dst)
		return -EUCLEAN;	/* the caller freed or moved it */
	err = map_slot(tx, pi, from, false, &src);
	if (err || !src || !*src)
		return err;
	ptr = *src;
	err = set_slot(tx, dst, ptr);
	if (!err)
		err = set_slot(tx, src, 0);
	return err;
}

/* The data block indexes >= from, ascending. */
static int list_data(struct pmfs_sb *sb, const struct pmfs_inode *pi,
		     uint64_t from, uint64_t **v, uint64_t *n)
{
	uint64_t c = 0, i = from;

	*v = NULL;
	*n = 0;
	while ((i = map_next(sb, pi, i, true)) != NONE) {
		if (*n == c) {
			uint64_t *p;

			c = c ? 2 * c : 1024;
			p = realloc(*v, c * sizeof(**v));
			if (!p) {
				free(*v);
				*v = NULL;
				return -ENOMEM;
			}
			*v = p;
		}
		(*v)[(*n)++] = i++;
	}
	return 0;
}

/* Move blocks v[0..n) by delta blocks (down if down), in file order for
 * down, reverse order for up, chunk by chunk.
 */
static int shift_blocks(struct pmfs_sb *sb, struct pmfs_inode *pi,
			const uint64_t *v, uint64_t n, uint64_t delta,
			bool down)
{
	uint64_t k = 0;

	while (k < n) {
		struct pmfs_tx tx;
		int err = pmfs_tx_begin(sb, &tx);

		if (err)
			return err;
		err = pmfs_tx_add_inode(&tx, pi);
		while (!err && k < n && !tx_low(&tx)) {
			uint64_t b = down ? v[k] : v[n - 1 - k];

			err = move_block(&tx, pi, b, down ? b - delta :
							    b + delta);
			k++;
		}
		if (!err)
			stamp(pi);
		err = pmfs_tx_end(&tx, err);
		if (err)
			return err;
		pmfs_crash_point("shift: between transactions");
	}
	return 0;
}

static int set_size(struct pmfs_sb *sb, struct pmfs_inode *pi, uint64_t size)
{
	struct pmfs_tx tx;
	int err = pmfs_tx_begin(sb, &tx);

	if (err)
		return err;
	err = pmfs_tx_add_inode(&tx, pi);
	if (!err) {
		pi->size = size;
		stamp(pi);
	}
	return pmfs_tx_end(&tx, err);
}

static int collapse_range(struct pmfs_ii *ii, uint64_t off, uint64_t len)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	uint64_t first = off / PMFS_BLOCK_SIZE, nb = len / PMFS_BLOCK_SIZE;
	uint64_t *v, n, size = pi->size;
	int err;

	if (off + len >= size)
		return -EINVAL;
	err = punch_blocks(sb, pi, first, first + nb);
	if (!err)
		err = list_data(sb, pi, first + nb, &v, &n);
	if (err)
		return err;
	err = shift_blocks(sb, pi, v, n, nb, true);
	free(v);
	if (err)
		return err;
	/* frees what moved out of the new size (map nodes included) */
	return pmfs_truncate(sb, ii->ino, size - len);
}

static int insert_range(struct pmfs_ii *ii, uint64_t off, uint64_t len)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	uint64_t first = off / PMFS_BLOCK_SIZE, nb = len / PMFS_BLOCK_SIZE;
	uint64_t *v, n, need, nfree;
	int err;

	if (off >= pi->size)
		return -EINVAL;
	if (len > PMFS_MAX_FILE_SIZE - pi->size)
		return -EFBIG;
	err = list_data(sb, pi, first, &v, &n);
	if (err)
		return err;
	if (n && v[n - 1] + nb >= cap(PMFS_MAX_HEIGHT)) {
		free(v);
		return -EFBIG;
	}
	/* new map nodes: at worst one per 512 moved blocks and a path */
	need = n / (PMFS_PTRS_PER_BLOCK - 1) + 2 * PMFS_MAX_HEIGHT;
	pthread_mutex_lock(&sb->bbm.lock);
	nfree = sb->bbm.nfree;
	pthread_mutex_unlock(&sb->bbm.lock);
	if (need > nfree) {
		free(v);
		return -ENOSPC;
	}
	err = shift_blocks(sb, pi, v, n, nb, false);
	free(v);
	if (err)
		return err;
	return set_size(sb, pi, pi->size + len);
}

/* ~~~~ public API ~~~~ */

int pmfs_fallocate(struct pmfs_ii *ii, int mode, uint64_t off, uint64_t len)
{
	const int known = PMFS_FALLOC_KEEP_SIZE | PMFS_FALLOC_PUNCH_HOLE |
			  PMFS_FALLOC_ZERO_RANGE | PMFS_FALLOC_COLLAPSE_RANGE |
			  PMFS_FALLOC_INSERT_RANGE;
	const int shift = PMFS_FALLOC_COLLAPSE_RANGE | PMFS_FALLOC_INSERT_RANGE;
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	bool keep = mode & PMFS_FALLOC_KEEP_SIZE;
	int err;

	if (S_ISDIR(pi->mode))
		return -EISDIR;
	if (!S_ISREG(pi->mode))
		return -ENODEV;
	if (mode & ~known)
		return -EOPNOTSUPP;
	if (!len || off >= PMFS_MAX_FILE_SIZE ||
	    len > PMFS_MAX_FILE_SIZE - off)
		return len ? -EFBIG : -EINVAL;
	if ((mode & PMFS_FALLOC_PUNCH_HOLE) &&
	    (!keep || (mode & (PMFS_FALLOC_ZERO_RANGE | shift))))
		return -EOPNOTSUPP;
	if ((mode & shift) && ((mode & ~shift) || (mode & shift) == shift))
		return -EINVAL;
	if ((mode & shift) && ((off | len) % PMFS_BLOCK_SIZE))
		return -EINVAL;
	if (sb->rdonly)
		return -EROFS;

	pthread_rwlock_wrlock(&ii->lock);
	if (mode & PMFS_FALLOC_PUNCH_HOLE)
		err = punch_range(sb, pi, off, off + len);
	else if (mode & PMFS_FALLOC_COLLAPSE_RANGE)
		err = collapse_range(ii, off, len);
	else if (mode & PMFS_FALLOC_INSERT_RANGE)
		err = insert_range(ii, off, len);
	else
		err = alloc_range(sb, pi, off, off + len, keep,
				  mode & PMFS_FALLOC_ZERO_RANGE);
	pthread_rwlock_unlock(&ii->lock);
	return err;
}

int64_t pmfs_seek(struct pmfs_ii *ii, uint64_t off, int data)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	int64_t r;

	if (!S_ISREG(pi->mode))
		return -EINVAL;
	pthread_rwlock_rdlock(&ii->lock);
	if (off >= pi->size) {
		r = -ENXIO;
	} else {
		uint64_t b = map_next(sb, pi, off / PMFS_BLOCK_SIZE, data);
		uint64_t pos;

		if (b == NONE || b >= DIV_UP(pi->size, PMFS_BLOCK_SIZE))
			pos = pi->size;
		else
			pos = MAX(off, b * PMFS_BLOCK_SIZE);
		r = data && pos >= pi->size ? -ENXIO : (int64_t)pos;
	}
	pthread_rwlock_unlock(&ii->lock);
	return r;
}

/* Does the data pointer ptr point at a block others share? */
static bool is_shared(struct pmfs_sb *sb, uint64_t ptr)
{
	return (ptr & PMFS_PTR_SHARED) && sb->refcnt &&
	       sb->refcnt[(ptr & ~PMFS_PTR_FLAGS) / PMFS_BLOCK_SIZE];
}

int pmfs_fiemap(struct pmfs_ii *ii, uint64_t off, uint64_t len,
		struct pmfs_extent *ext, uint32_t max, uint32_t *count)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	uint64_t first = off / PMFS_BLOCK_SIZE, last, i;
	uint32_t n = 0;

	if (!S_ISREG(pi->mode))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	last = len - 1 > UINT64_MAX - off ? UINT64_MAX / PMFS_BLOCK_SIZE :
					    (off + len - 1) / PMFS_BLOCK_SIZE + 1;
	pthread_rwlock_rdlock(&ii->lock);
	i = map_next(sb, pi, first, true);
	while (n < max && i != NONE && i < last) {
		uint64_t raw = pmfs_map_lookup(sb, pi, i), j = i + 1;
		uint64_t ptr = raw & ~PMFS_PTR_FLAGS;
		bool shared = is_shared(sb, raw);

		while ((pmfs_map_lookup(sb, pi, j) & ~PMFS_PTR_FLAGS) ==
		       ptr + (j - i) * PMFS_BLOCK_SIZE &&
		       is_shared(sb, pmfs_map_lookup(sb, pi, j)) == shared)
			j++;
		ext[n].logical = i * PMFS_BLOCK_SIZE;
		ext[n].physical = ptr;
		ext[n].length = (j - i) * PMFS_BLOCK_SIZE;
		ext[n].flags = shared ? PMFS_EXTENT_SHARED : 0;
		i = map_next(sb, pi, j, true);
		if (i == NONE)
			ext[n].flags |= PMFS_EXTENT_LAST;
		n++;
	}
	pthread_rwlock_unlock(&ii->lock);
	*count = n;
	return 0;
}

/* ~~~~ copy_file_range ~~~~ */

/* From index b on: the run of blocks that are all holes (*ptr = 0) or
 * all data contiguous on the device (*ptr = the first), at most max.
 */
static uint64_t run_at(struct pmfs_sb *sb, const struct pmfs_inode *pi,
		       uint64_t b, uint64_t max, uint64_t *ptr)
{
	uint64_t p = pmfs_map_lookup(sb, pi, b) & ~PMFS_PTR_FLAGS, n = 1;

	if (!p) {
		uint64_t d = map_next(sb, pi, b, true);

		*ptr = 0;
		return d == NONE || d - b > max ? max : d - b;
	}
	while (n < max && (pmfs_map_lookup(sb, pi, b + n) & ~PMFS_PTR_FLAGS) ==
			  p + n * PMFS_BLOCK_SIZE)
		n++;
	*ptr = p;
	return n;
}

ssize_t pmfs_copy_range(struct pmfs_ii *src, uint64_t soff,
			struct pmfs_ii *dst, uint64_t doff, uint64_t len)
{
	struct pmfs_sb *sb = dst->sb;
	uint64_t done = 0, ssize, dsize;
	int err = 0;

	if (S_ISDIR(src->pi->mode) || S_ISDIR(dst->pi->mode))
		return -EISDIR;
	if (!S_ISREG(src->pi->mode) || !S_ISREG(dst->pi->mode) ||
	    src->sb != sb)
		return -EINVAL;
	if (sb->rdonly)
		return -EROFS;
	if (doff >= PMFS_MAX_FILE_SIZE || len > PMFS_MAX_FILE_SIZE - doff)
		return -EFBIG;
	if (src == dst && soff < doff + len && doff < soff + len)
		return -EINVAL;
	pthread_rwlock_rdlock(&src->lock);
	ssize = src->pi->size;
	pthread_rwlock_unlock(&src->lock);
	if (soff >= ssize)
		return 0;
	len = MIN(len, ssize - soff);
	while (done < len) {
		uint64_t s = soff + done, d = doff + done, ptr, nb;
		uint32_t in = s % PMFS_BLOCK_SIZE;
		size_t n;

		/* the source's map does not change under us: the kernel
		 * holds both inodes locked, and src != dst's range
		 */
		pthread_rwlock_rdlock(&src->lock);
		nb = run_at(sb, src->pi, s / PMFS_BLOCK_SIZE, CHUNK_BLOCKS, &ptr);
		pthread_rwlock_unlock(&src->lock);
		n = (size_t)MIN(len - done, nb * PMFS_BLOCK_SIZE - in);
		if (ptr) {
			ssize_t w = pmfs_write(dst, (char *)pmfs_ptr(sb, ptr) + in,
					       n, d);

			if (w < 0) {
				err = (int)w;
				break;
			}
			done += (uint64_t)w;
			if ((size_t)w < n)
				break;	/* out of space */
			continue;
		}
		/* a hole: punch where the destination has its bytes */
		pthread_rwlock_rdlock(&dst->lock);
		dsize = dst->pi->size;
		pthread_rwlock_unlock(&dst->lock);
		if (d < dsize) {
			err = pmfs_fallocate(dst, PMFS_FALLOC_PUNCH_HOLE |
					     PMFS_FALLOC_KEEP_SIZE, d,
					     MIN(n, dsize - d));
			if (err)
				break;
		}
		done += n;
	}
	if (done) {
		/* a hole at the end of the copy still makes the size */
		pthread_rwlock_wrlock(&dst->lock);
		if (doff + done > dst->pi->size)
			err = pmfs_truncate(sb, dst->ino, doff + done);
		else
			err = set_size(sb, dst->pi, dst->pi->size); /* times */
		pthread_rwlock_unlock(&dst->lock);
		return err ? err : (ssize_t)done;
	}
	return err;
}

/* ~~~~ reflink: FICLONERANGE, FIDEDUPERANGE ~~~~ */

/* Are the n bytes at file block index of a and of b equal? */
static bool same_bytes(struct pmfs_sb *sb, const struct pmfs_inode *a,
		       uint64_t ia, const struct pmfs_inode *b, uint64_t ib,
		       uint32_t n)
{
	static const char zero[PMFS_BLOCK_SIZE];
	uint64_t pa = pmfs_map_lookup(sb, a, ia) & ~PMFS_PTR_FLAGS;
	uint64_t pb = pmfs_map_lookup(sb, b, ib) & ~PMFS_PTR_FLAGS;

	if (pa == pb)
		return true;
	return !memcmp(pa ? pmfs_ptr(sb, pa) : zero,
		       pb ? pmfs_ptr(sb, pb) : zero, n);
}

/* Share file block si of src at block di of dst (a hole: punch it). */
static int remap_block(struct pmfs_tx *tx, struct pmfs_inode *spi,
		       uint64_t si, struct pmfs_inode *dpi, uint64_t di)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t *dslot, *sslot, sptr, old;
	int err;

	sptr = pmfs_map_lookup(sb, spi, si);
	if (!sptr) {
		err = map_slot(tx, dpi, di, false, &dslot);
		if (err || !dslot || !*dslot)
			return err;
		old = *dslot;
		err = set_slot(tx, dslot, 0);
		if (!err)
			err = pmfs_block_put(tx, old);
		if (!err && dpi->blocks)
			dpi->blocks--;
		return err;
	}
	/* the destination first: growing its tree may move src's root */
	err = map_slot(tx, dpi, di, true, &dslot);
	if (err)
		return err;
	err = map_slot(tx, spi, si, false, &sslot);
	if (err)
		return err;
	if (!sslot || !*sslot)
		return -EUCLEAN;
	sptr = *sslot;
	old = *dslot;
	if ((old & ~PMFS_PTR_FLAGS) == (sptr & ~PMFS_PTR_FLAGS))
		return 0;	/* already the same block */
	err = pmfs_block_share(tx, sptr);
	if (!err && !(sptr & PMFS_PTR_SHARED))
		err = set_slot(tx, sslot, sptr | PMFS_PTR_SHARED);
	if (!err)
		err = set_slot(tx, dslot, (sptr & ~PMFS_PTR_FLAGS) |
				   PMFS_PTR_SHARED);
	if (!err && old)
		err = pmfs_block_put(tx, old);
	if (!err && !old)
		dpi->blocks++;
	return err;
}

int pmfs_remap(struct pmfs_ii *src, uint64_t soff, struct pmfs_ii *dst,
	       uint64_t doff, uint64_t len, bool dedupe, int *same)
{
	struct pmfs_sb *sb = dst->sb;
	struct pmfs_inode *spi = src->pi, *dpi = dst->pi;
	uint64_t si = soff / PMFS_BLOCK_SIZE, di = doff / PMFS_BLOCK_SIZE;
	uint64_t nb = DIV_UP(len, PMFS_BLOCK_SIZE), i = 0;
	int err = 0;

	*same = 1;
	if (S_ISDIR(spi->mode) || S_ISDIR(dpi->mode))
		return -EISDIR;
	if (!S_ISREG(spi->mode) || !S_ISREG(dpi->mode) || src->sb != sb ||
	    (soff | doff) % PMFS_BLOCK_SIZE)
		return -EINVAL;
	if (!sb->refcnt)
		return -EOPNOTSUPP;
	if (sb->rdonly)
		return -EROFS;
	if (doff >= PMFS_MAX_FILE_SIZE || len > PMFS_MAX_FILE_SIZE - doff ||
	    soff >= PMFS_MAX_FILE_SIZE || len > PMFS_MAX_FILE_SIZE - soff)
		return -EFBIG;
	if (src == dst && si < di + nb && di < si + nb)
		return -EINVAL;
	if (!len)
		return 0;
	pmfs_lock2(src, dst);
	if (spi->height > PMFS_MAX_HEIGHT || dpi->height > PMFS_MAX_HEIGHT) {
		err = -EUCLEAN;
		goto out;
	}
	/* a partial last block only at src's EOF (the kernel checked) */
	if (len % PMFS_BLOCK_SIZE && soff + len != spi->size) {
		err = -EINVAL;
		goto out;
	}
	if (dedupe) {
		for (uint64_t j = 0; j < nb; j++) {
			uint32_t n = (uint32_t)MIN(len - j * PMFS_BLOCK_SIZE,
						   PMFS_BLOCK_SIZE);

			if (!same_bytes(sb, spi, si + j, dpi, di + j, n)) {
				*same = 0;
				goto out;
			}
		}
	}
	while (i < nb) {
		struct pmfs_tx tx;

		err = pmfs_tx_begin(sb, &tx);
		if (err)
			break;
		err = pmfs_tx_add_inode(&tx, dpi);
		while (!err && i < nb && !tx_low(&tx)) {
			err = remap_block(&tx, spi, si + i, dpi, di + i);
			if (!err)
				i++;
		}
		if (!err && i == nb && doff + len > dpi->size)
			dpi->size = doff + len;
		if (!err && !dpi->root)
			dpi->height = 0;
		if (!err && !dedupe)
			stamp(dpi);
		err = pmfs_tx_end(&tx, err);
		if (err)
			break;
		pmfs_crash_point("remap: between transactions");
	}
out:
	pmfs_unlock2(src, dst);
	return err;
}
