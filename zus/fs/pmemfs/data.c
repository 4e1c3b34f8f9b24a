// SPDX-License-Identifier: BSD-3-Clause
/*
 * data.c - per-inode block maps and file data.
 *
 * A block map is a radix tree of 4 KiB nodes holding 512 little-endian
 * 64-bit block pointers (byte offsets, low 12 bits flags, 0 = hole), of
 * height pmfs_inode.height: height 0 means root points at data block 0
 * itself, height h maps 512^h blocks. New nodes and data blocks are
 * written without undo (a rollback frees them); only pointers into
 * existing nodes are logged.
 */
#include <stdlib.h>
#include <limits.h>
#include <sys/stat.h>
#include "pmfs_int.h"

static uint64_t cap(unsigned h)
{
	return 1ULL << (PMFS_MAP_SHIFT * h);
}

static uint64_t *node_of(struct pmfs_sb *sb, uint64_t ptr)
{
	return pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS);
}

uint64_t pmfs_map_lookup(struct pmfs_sb *sb, const struct pmfs_inode *pi,
			 uint64_t index)
{
	unsigned h = pi->height;
	uint64_t ptr = pi->root;

	if (h > PMFS_MAX_HEIGHT || index >= cap(h))
		return 0;
	for (unsigned level = h; level > 0; level--) {
		if (!ptr || !pmfs_blk_ok(sb, ptr))
			return 0;
		ptr = node_of(sb, ptr)[(index >> (PMFS_MAP_SHIFT * (level - 1))) &
				       (PMFS_PTRS_PER_BLOCK - 1)];
	}
	return ptr && pmfs_blk_ok(sb, ptr) ? ptr : 0;
}

int pmfs_map_new_node(struct pmfs_tx *tx, struct pmfs_inode *pi,
		      uint64_t *off)
{
	int err = pmfs_alloc_meta(tx, off);

	if (err)
		return err;
	pmem_memset_nodrain(pmfs_ptr(tx->sb, *off), 0, PMFS_BLOCK_SIZE);
	pi->blocks++;
	return 0;
}

int pmfs_map_create(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t index,
		    uint64_t *ptr, bool *is_new)
{
	return pmfs_map_create_run(tx, pi, index, NULL, ptr, is_new);
}

int pmfs_map_create_run(struct pmfs_tx *tx, struct pmfs_inode *pi,
			uint64_t index, struct pmfs_run_alloc *ra,
			uint64_t *ptr, bool *is_new)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t goal = 0, *slot, off;
	bool fresh = false;
	int err;

	*is_new = false;
	if (index >= cap(PMFS_MAX_HEIGHT))
		return -EFBIG;
	err = pmfs_tx_add_inode(tx, pi);
	if (err)
		return err;
	if (index > 0) {
		goal = pmfs_map_lookup(sb, pi, index - 1);
		if (goal)
			goal = (goal & ~PMFS_PTR_FLAGS) + PMFS_BLOCK_SIZE;
	}
	while (index >= cap(pi->height)) {
		if (!pi->root) {
			while (index >= cap(pi->height))
				pi->height++;
			break;
		}
		err = pmfs_map_new_node(tx, pi, &off);
		if (err)
			return err;
		((uint64_t *)pmfs_ptr(sb, off))[0] = pi->root;
		pmfs_tx_dirty(tx, pmfs_ptr(sb, off), 8);
		pi->root = off;
		pi->height++;
	}
	slot = &pi->root;
	for (unsigned level = pi->height; level > 0; level--) {
		if (!*slot) {
			err = pmfs_map_new_node(tx, pi, &off);
			if (err)
				return err;
			if (!fresh)
				err = pmfs_tx_add(tx, slot, 8);
			if (err)
				return err;
			*slot = off;
			pmfs_tx_dirty(tx, slot, 8);
			fresh = true;
		} else if (!pmfs_blk_ok(sb, *slot)) {
			return -EUCLEAN;
		} else {
			fresh = false;
		}
		slot = &node_of(sb, *slot)[(index >> (PMFS_MAP_SHIFT * (level - 1))) &
					   (PMFS_PTRS_PER_BLOCK - 1)];
	}
	if (!*slot) {
		if (!ra) {
			uint64_t one;

			err = pmfs_alloc_data(tx, goal, index, 1, &off, &one);
		} else {
			if (!ra->left)
				err = pmfs_alloc_data(tx, goal, index,
						      ra->want ?: 1,
						      &ra->off, &ra->left);
			if (!err) {
				off = ra->off;
				ra->off += PMFS_BLOCK_SIZE;
				ra->left--;
				if (ra->want)
					ra->want--;
			}
		}
		if (!err && !fresh)
			err = pmfs_tx_add(tx, slot, 8);
		if (err)
			return err;
		*slot = off;
		pmfs_tx_dirty(tx, slot, 8);
		pi->blocks++;
		*is_new = true;
	} else if (!pmfs_blk_ok(sb, *slot)) {
		return -EUCLEAN;
	} else if (*slot & PMFS_PTR_SHARED) {
		/* copy on write: callers see a new block number */
		err = pmfs_unshare(tx, pi, slot, fresh);
		if (err)
			return err;
	}
	*ptr = *slot & ~PMFS_PTR_FLAGS;
	return 0;
}

/* ~~~~ truncate ~~~~ */
#define FREE_COST	(2 * sizeof(struct pmfs_jentry) + 24)

static int clear_slot(struct pmfs_tx *tx, uint64_t *slot)
{
	int err = pmfs_tx_add(tx, slot, 8);

	if (err)
		return err;
	*slot = 0;
	return 0;
}

/* A level-1 node wholly past the end: free its data blocks as runs. */
static int free_leaf_node(struct pmfs_tx *tx, struct pmfs_inode *pi,
			  uint64_t *node, bool *done)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t runs = 0, start = 0, len = 0, n = 0;
	int err;

	*done = false;
	for (int i = 0; i < PMFS_PTRS_PER_BLOCK; i++) {
		uint64_t p = node[i] & ~PMFS_PTR_FLAGS;

		if (node[i] & PMFS_PTR_SHARED)
			return 0;	/* slot by slot: refcounts */
		if (!p || !pmfs_blk_ok(sb, p))
			continue;
		if (!len || p != start + len * PMFS_BLOCK_SIZE) {
			runs++;
			start = p;
			len = 0;
		}
		len++;
	}
	if (pmfs_tx_space(tx) < (runs + 2) * FREE_COST + 1024)
		return 0;	/* caller goes slot by slot */
	len = 0;
	for (int i = 0; i <= PMFS_PTRS_PER_BLOCK; i++) {
		uint64_t p = i < PMFS_PTRS_PER_BLOCK ?
			     node[i] & ~PMFS_PTR_FLAGS : 0;

		if (p && !pmfs_blk_ok(sb, p))
			p = 0;
		if (len && p == start + len * PMFS_BLOCK_SIZE) {
			len++;
			continue;
		}
		if (len) {
			err = pmfs_free_blocks(tx, start, len);
			if (err)
				return err;
			n += len;
		}
		start = p;
		len = p ? 1 : 0;
	}
	pi->blocks -= MIN(n, pi->blocks);
	*done = true;
	return 0;
}

static int trunc_rec(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t *slot,
		     unsigned level, uint64_t base, uint64_t keep)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t ptr = *slot, span, first = 0, *node;
	bool whole = base >= keep, done;
	int err;

	if (!ptr)
		return 1;
	if (!pmfs_blk_ok(sb, ptr)) {
		err = clear_slot(tx, slot);	/* corrupt: drop it */
		return err ? err : 1;
	}
	if (pmfs_tx_space(tx) < 4 * FREE_COST + 512)
		return 0;
	if (level == 0) {
		err = pmfs_block_put(tx, ptr);
		if (!err)
			err = clear_slot(tx, slot);
		if (err)
			return err;
		if (pi->blocks)
			pi->blocks--;
		return 1;
	}
	node = node_of(sb, ptr);
	if (level == 1 && whole) {
		err = free_leaf_node(tx, pi, node, &done);
		if (err)
			return err;
		if (done)
			goto free_node;
	}
	span = cap(level - 1);
	if (!whole)
		first = (keep - base) / span;
	for (uint64_t i = first; i < PMFS_PTRS_PER_BLOCK; i++) {
		int r = trunc_rec(tx, pi, &node[i], level - 1, base + i * span,
				  keep);

		if (r <= 0)
			return r;
	}
	if (!whole)
		return 1;
free_node:
	err = pmfs_free_blocks(tx, ptr & ~PMFS_PTR_FLAGS, 1);
	if (!err)
		err = clear_slot(tx, slot);
	if (err)
		return err;
	if (pi->blocks)
		pi->blocks--;
	return 1;
}

int pmfs_map_truncate(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t keep)
{
	int r;

	if (pi->height > PMFS_MAX_HEIGHT)
		return -EUCLEAN;
	if (!pi->root || keep >= cap(pi->height))
		return 1;
	r = pmfs_tx_add_inode(tx, pi);
	if (r)
		return r;
	r = trunc_rec(tx, pi, &pi->root, pi->height, 0, keep);
	if (r == 1 && !pi->root)
		pi->height = 0;
	return r;
}

static int zero_tail(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t size)
{
	uint64_t ptr, in = size % PMFS_BLOCK_SIZE;
	char *blk;
	int err;

	if (!in)
		return 0;
	ptr = pmfs_map_lookup(tx->sb, pi, size / PMFS_BLOCK_SIZE);
	if (!ptr)
		return 0;
	if (ptr & PMFS_PTR_SHARED) {
		bool is_new;

		err = pmfs_map_create(tx, pi, size / PMFS_BLOCK_SIZE, &ptr,
				      &is_new);
		if (err)
			return err;
	}
	blk = pmfs_ptr(tx->sb, ptr & ~PMFS_PTR_FLAGS);
	err = pmfs_tx_add(tx, blk + in, PMFS_BLOCK_SIZE - in);
	if (err)
		return err;
	memset(blk + in, 0, PMFS_BLOCK_SIZE - in);
	return 0;
}

/* Caller holds the inode's write lock. */
int pmfs_truncate(struct pmfs_sb *sb, uint64_t ino, uint64_t size)
{
	struct pmfs_inode *pi = pmfs_pi(sb, ino);
	uint64_t keep = DIV_UP(size, PMFS_BLOCK_SIZE);
	bool listed = false;
	struct pmfs_tx tx;
	int r, err;

	if (size > PMFS_MAX_FILE_SIZE)
		return -EFBIG;
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		return err;
	err = pmfs_tx_add_inode(&tx, pi);
	if (!err && size < pi->size)
		err = zero_tail(&tx, pi, size);
	if (err)
		return pmfs_tx_end(&tx, err);
	pi->size = size;
	pmfs_now(&pi->mtime);
	pi->ctime = pi->mtime;
	pi->version++;
	r = pmfs_map_truncate(&tx, pi, keep);
	if (r == 0 && !pmfs_orphan_on_list(sb, ino)) {
		/* more than one transaction: finish at mount if we crash */
		err = pmfs_orphan_add(&tx, ino);
		listed = true;
	}
	err = pmfs_tx_end(&tx, r < 0 ? r : err);
	if (err)
		return err;
	while (r == 0) {
		pmfs_crash_point("truncate: between transactions");
		err = pmfs_tx_begin(sb, &tx);
		if (err)
			return err;
		r = pmfs_map_truncate(&tx, pi, keep);
		if (r == 1 && listed)
			err = pmfs_orphan_del(&tx, ino);
		err = pmfs_tx_end(&tx, r < 0 ? r : err);
		if (err)
			return err;
	}
	return 0;
}

/* Write into the map (inode logged by pmfs_map_create). */
int pmfs_data_write(struct pmfs_tx *tx, struct pmfs_inode *pi,
		    const void *buf, size_t len, uint64_t off)
{
	const char *src = buf;

	while (len) {
		uint64_t index = off / PMFS_BLOCK_SIZE, ptr;
		uint32_t in = off % PMFS_BLOCK_SIZE;
		uint32_t n = (uint32_t)MIN(len, PMFS_BLOCK_SIZE - in);
		bool is_new;
		char *blk;
		int err = pmfs_map_create(tx, pi, index, &ptr, &is_new);

		if (err)
			return err;
		blk = pmfs_ptr(tx->sb, ptr);
		if (is_new && in)
			pmem_memset_nodrain(blk, 0, in);
		if (is_new && in + n < PMFS_BLOCK_SIZE)
			pmem_memset_nodrain(blk + in + n, 0,
					    PMFS_BLOCK_SIZE - in - n);
		pmem_memcpy_nodrain(blk + in, src, n);
		src += n;
		off += n;
		len -= n;
	}
	if (off > pi->size)
		pi->size = off;
	return 0;
}

/* ~~~~ public data API ~~~~ */
#define WRITE_CHUNK	(128U * PMFS_BLOCK_SIZE)

ssize_t pmfs_read(struct pmfs_ii *ii, void *buf, size_t len, uint64_t off)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	char *dst = buf;
	size_t done = 0;

	if (S_ISDIR(pi->mode))
		return -EISDIR;
	if (!S_ISREG(pi->mode))
		return -EINVAL;
	pthread_rwlock_rdlock(&ii->lock);
	if (off >= pi->size)
		len = 0;
	else
		len = MIN(len, pi->size - off);
	while (done < len) {
		uint64_t index = (off + done) / PMFS_BLOCK_SIZE;
		uint32_t in = (off + done) % PMFS_BLOCK_SIZE;
		size_t n = MIN(len - done, PMFS_BLOCK_SIZE - in);
		uint64_t ptr = pmfs_map_lookup(sb, pi, index);

		if (ptr)
			memcpy(dst + done, (char *)pmfs_ptr(sb, ptr &
					   ~PMFS_PTR_FLAGS) + in, n);
		else
			memset(dst + done, 0, n);
		done += n;
	}
	pthread_rwlock_unlock(&ii->lock);
	return (ssize_t)done;
}

ssize_t pmfs_write(struct pmfs_ii *ii, const void *buf, size_t len,
		   uint64_t off)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	const char *src = buf;
	size_t done = 0, chunk = WRITE_CHUNK;
	int err = 0;

	if (S_ISDIR(pi->mode))
		return -EISDIR;
	if (!S_ISREG(pi->mode))
		return -EINVAL;
	if (sb->rdonly)
		return -EROFS;
	if (off >= PMFS_MAX_FILE_SIZE || len > PMFS_MAX_FILE_SIZE - off)
		return -EFBIG;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	pthread_rwlock_wrlock(&ii->lock);
	while (done < len) {
		size_t n = MIN(len - done, chunk -
			       (off + done) % PMFS_BLOCK_SIZE);
		struct pmfs_tx tx;

		err = pmfs_tx_begin(sb, &tx);
		if (err)
			break;
		err = pmfs_data_write(&tx, pi, src + done, n, off + done);
		if (!err) {
			pmfs_now(&pi->mtime);
			pi->ctime = pi->mtime;
			pi->version++;
		}
		err = pmfs_tx_end(&tx, err);
		if (err == -ENOSPC && chunk > PMFS_BLOCK_SIZE) {
			chunk /= 2;	/* write what still fits */
			continue;
		}
		if (err)
			break;
		done += n;
	}
	pthread_rwlock_unlock(&ii->lock);
	return done ? (ssize_t)done : err;
}

int pmfs_get_block(struct pmfs_ii *ii, uint64_t index, int create,
		   uint64_t *pmem_off)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	struct pmfs_tx tx;
	uint64_t ptr;
	bool is_new;
	int err;

	if (!S_ISREG(pi->mode))
		return -EINVAL;
	if (index >= PMFS_MAX_FILE_SIZE / PMFS_BLOCK_SIZE)
		return -EFBIG;
	pthread_rwlock_rdlock(&ii->lock);
	ptr = pmfs_map_lookup(sb, pi, index);
	pthread_rwlock_unlock(&ii->lock);
	*pmem_off = ptr & ~PMFS_PTR_FLAGS;
	if (!create || (ptr && !(ptr & PMFS_PTR_SHARED)))
		return 0;
	pthread_rwlock_wrlock(&ii->lock);
	err = pmfs_tx_begin(sb, &tx);
	if (!err) {
		err = pmfs_map_create(&tx, pi, index, &ptr, &is_new);
		if (!err && is_new)
			pmem_memset_nodrain(pmfs_ptr(sb, ptr), 0,
					    PMFS_BLOCK_SIZE);
		err = pmfs_tx_end(&tx, err);
	}
	pthread_rwlock_unlock(&ii->lock);
	if (!err)
		*pmem_off = ptr;
	return err;
}

/* Map up to n blocks from index on in one transaction (see below). */
static int get_blocks_tx(struct pmfs_ii *ii, uint64_t index, uint32_t n,
			 uint64_t end, unsigned flags, uint64_t *offs,
			 unsigned *ret_flags)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	struct pmfs_run_alloc ra = { 0 };
	struct pmfs_tx tx;
	uint32_t i;
	int err = pmfs_tx_begin(sb, &tx);

	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		uint64_t old = pmfs_map_lookup(sb, pi, index + i) &
			       ~PMFS_PTR_FLAGS, ptr;
		bool is_new;

		/* Each row of holes as one run of blocks, not block by
		 * block (files growing side by side would take every other
		 * block), and never across blocks the file has: the run
		 * keeps the row's alignment (pmfs_alloc_data).
		 */
		if (!old && !ra.left) {
			ra.want = 1;
			while (i + ra.want < n &&
			       !pmfs_map_lookup(sb, pi, index + i + ra.want))
				ra.want++;
		}
		err = pmfs_map_create_run(&tx, pi, index + i, &ra, &ptr,
					  &is_new);
		if (err)
			break;
		/* The kernel copies the data after we answer: a crash in
		 * between must show zeros, never old contents of the block.
		 */
		if (!old)
			pmem_memset_nodrain(pmfs_ptr(sb, ptr), 0,
					    PMFS_BLOCK_SIZE);
		if (ptr != old)
			*ret_flags |= PMFS_GB_NEW;
		offs[i] = ptr;
	}
	if (!err && ra.left)	/* never: the run is no longer than the holes */
		err = pmfs_free_blocks(&tx, ra.off, ra.left);
	if (!err) {
		if (!(flags & PMFS_GB_MMAP)) {
			uint64_t covered = (index + n) * PMFS_BLOCK_SIZE;

			if (MIN(end, covered) > pi->size)
				pi->size = MIN(end, covered);
		}
		pmfs_now(&pi->mtime);
		pi->ctime = pi->mtime;
		pi->version++;
	}
	return pmfs_tx_end(&tx, err);
}

/*
 * The fast path: where the blocks of [off, off + len) are, at most max
 * of them. PMFS_GB_WRITE allocates holes (zeroed; pmfs_map_create unshares
 * shared blocks) and, unless PMFS_GB_MMAP, extends the size to the end of
 * the range covered, with mtime/ctime, durable on return. offs[i] is the
 * byte offset of block i on the device, 0 for a hole. A read sets
 * PMFS_GB_SHARED when any block answered is shared (a write's blocks
 * never are). Blocks of a file move, are freed or become shared only in
 * pmfs_write, a writing pmfs_get_blocks, truncate, fallocate, copy
 * (destination), reflink (both files) and the deletion of the inode: the
 * kernel may cache these answers (plugin.c sets ZUFS_GB_CACHE).
 */
int pmfs_get_blocks(struct pmfs_ii *ii, uint64_t off, uint64_t len,
		    unsigned flags, uint64_t *offs, uint32_t max,
		    uint32_t *nr, unsigned *ret_flags)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	uint64_t index = off / PMFS_BLOCK_SIZE, end;
	uint32_t n, chunk;
	int err;

	*nr = 0;
	*ret_flags = 0;
	if (S_ISDIR(pi->mode))
		return -EISDIR;
	if (!S_ISREG(pi->mode))
		return -EINVAL;
	if (!len || off >= PMFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (len > PMFS_MAX_FILE_SIZE - off)
		len = PMFS_MAX_FILE_SIZE - off;
	end = off + len;
	n = (uint32_t)MIN((uint64_t)max, DIV_UP(end, PMFS_BLOCK_SIZE) - index);
	if (!(flags & PMFS_GB_WRITE)) {
		pthread_rwlock_rdlock(&ii->lock);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t ptr = pmfs_map_lookup(sb, pi, index + i);

			if (ptr & PMFS_PTR_SHARED)
				*ret_flags |= PMFS_GB_SHARED;
			offs[i] = ptr & ~PMFS_PTR_FLAGS;
		}
		pthread_rwlock_unlock(&ii->lock);
		*nr = n;
		return 0;
	}
	if (sb->rdonly)
		return -EROFS;
	pthread_rwlock_wrlock(&ii->lock);
	/* Out of space (or journal room): fewer blocks, down to one. */
	for (chunk = n;; chunk = DIV_UP(chunk, 2)) {
		err = get_blocks_tx(ii, index, chunk, end, flags, offs,
				    ret_flags);
		if (err != -ENOSPC || chunk == 1)
			break;
	}
	pthread_rwlock_unlock(&ii->lock);
	if (!err)
		*nr = chunk;
	return err;
}

void *pmfs_base(const struct pmfs_sb *sb)
{
	return sb->base;
}
