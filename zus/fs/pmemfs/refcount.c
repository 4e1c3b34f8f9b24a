// SPDX-License-Identifier: BSD-3-Clause
/*
 * refcount.c - shared data blocks (reflink, INCOMPAT_REFLINK).
 *
 * The refcount table holds one little-endian uint32_t per block of the
 * filesystem: 0 for a block with at most one reference, N for a block N > 1
 * block map pointers point at. Every such pointer carries PMFS_PTR_SHARED;
 * the flag may stay on the last pointer of a block whose count dropped
 * back to 0 (we cannot find it cheaply): a write then just clears it. All
 * changes of the table are undo-logged in the caller's transaction with the
 * pointer changes that go with them.
 */
#include "pmfs_int.h"

static uint32_t *count_of(struct pmfs_sb *sb, uint64_t ptr)
{
	return &sb->refcnt[(ptr & ~PMFS_PTR_FLAGS) / PMFS_BLOCK_SIZE];
}

static int set_count(struct pmfs_tx *tx, uint32_t *c, uint32_t v)
{
	int err = pmfs_tx_add(tx, c, sizeof(*c));

	if (err)
		return err;
	*c = v;
	return 0;
}

/* Drop one reference of the data block ptr points at: free it with the
 * last one.
 */
int pmfs_block_put(struct pmfs_tx *tx, uint64_t ptr)
{
	struct pmfs_sb *sb = tx->sb;
	uint32_t *c;

	if (!(ptr & PMFS_PTR_SHARED) || !sb->refcnt ||
	    !*count_of(sb, ptr))
		return pmfs_free_blocks(tx, ptr & ~PMFS_PTR_FLAGS, 1);
	c = count_of(sb, ptr);
	return set_count(tx, c, *c == 2 ? 0 : *c - 1);
}

/* One more reference to the data block ptr points at. */
int pmfs_block_share(struct pmfs_tx *tx, uint64_t ptr)
{
	struct pmfs_sb *sb = tx->sb;
	uint32_t *c;

	if (!sb->refcnt)
		return -EOPNOTSUPP;
	c = count_of(sb, ptr);
	if (*c == UINT32_MAX)
		return -EMLINK;
	return set_count(tx, c, *c ? *c + 1 : 2);
}

/*
 * Copy on write: *slot (a data pointer of pi carrying PMFS_PTR_SHARED)
 * becomes a block of its own, a copy of the shared one (or the same block
 * without the flag when the others are gone). fresh: the slot is in a node
 * made in this transaction (nothing to log).
 */
int pmfs_unshare(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t *slot,
		 bool fresh)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t old = *slot, off = old & ~PMFS_PTR_FLAGS, nb;
	int err;

	(void)pi;
	if (!fresh) {
		err = pmfs_tx_add(tx, slot, 8);
		if (err)
			return err;
	}
	if (!sb->refcnt || !*count_of(sb, old)) {
		*slot = old & ~PMFS_PTR_SHARED;
		pmfs_tx_dirty(tx, slot, 8);
		return 0;
	}
	err = pmfs_alloc_block(tx, off, &nb);
	if (err)
		return err;
	/* a new block: no undo needed, the commit drains the copy */
	pmem_memcpy_nodrain(pmfs_ptr(sb, nb), pmfs_ptr(sb, off),
			    PMFS_BLOCK_SIZE);
	err = pmfs_block_put(tx, old);
	if (err)
		return err;
	*slot = nb | (old & PMFS_PTR_FLAGS & ~PMFS_PTR_SHARED);
	pmfs_tx_dirty(tx, slot, 8);
	return 0;
}
