// SPDX-License-Identifier: BSD-3-Clause
/*
 * journal.c - undo journal: an array of per-transaction slots on pmem.
 *
 * A transaction owns one slot. Before a metadata range is changed, its old
 * contents are appended to the slot as an entry stamped with the slot's
 * generation and a crc32c, and persisted (one fence per entry). Allocator
 * bits are logged logically (which bits to set/clear to undo), so
 * concurrent transactions touching the same bitmap word never undo each
 * other's work. Commit flushes every changed range, drains, and then
 * increments the slot's generation with one 8-byte persistent store: that
 * store is the commit point, it invalidates all entries at once.
 * Recovery (mount) undoes, in reverse order, the valid entries of every
 * slot, then bumps its generation.
 */
#include <stdlib.h>
#include "pmfs_int.h"

#define JE_HDR	sizeof(struct pmfs_jentry)

static char *slot_base(char *base, const struct pmfs_super *ps, uint32_t s)
{
	return base + ps->journal_off + (uint64_t)s * ps->journal_slot_size;
}

static uint32_t slot_max_entries(const struct pmfs_super *ps)
{
	return (ps->journal_slot_size - sizeof(struct pmfs_jslot)) / JE_HDR;
}

int pmfs_journal_init(struct pmfs_sb *sb)
{
	uint32_t n = sb->ps->journal_slots;

	sb->jfree = calloc(n, sizeof(*sb->jfree));
	sb->jpos = calloc((uint64_t)n * slot_max_entries(sb->ps),
			  sizeof(*sb->jpos));
	if (!sb->jfree || !sb->jpos) {
		free(sb->jfree);
		free(sb->jpos);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		sb->jfree[i] = n - 1 - i;
	sb->njfree = n;
	pthread_mutex_init(&sb->jlock, NULL);
	pthread_cond_init(&sb->jcond, NULL);
	return 0;
}

void pmfs_journal_fini(struct pmfs_sb *sb)
{
	free(sb->jfree);
	free(sb->jpos);
	sb->jfree = NULL;
	sb->jpos = NULL;
	pthread_mutex_destroy(&sb->jlock);
	pthread_cond_destroy(&sb->jcond);
}

/* ~~~~ rollback of one slot (recovery and abort) ~~~~ */
static void undo_bits(char *base, const struct pmfs_super *ps,
		      struct pmfs_sb *sb, const struct pmfs_jentry *je,
		      const void *data)
{
	uint64_t v[2];
	uint64_t *pmap;
	uint64_t nbits;

	if (je->len != sizeof(v))
		return;
	memcpy(v, data, sizeof(v));
	if (je->off == PMFS_BM_INODES) {
		pmap = (uint64_t *)(base + ps->ibitmap_off);
		nbits = ps->ninodes;
	} else if (je->off == PMFS_BM_BLOCKS) {
		pmap = (uint64_t *)(base + ps->bbitmap_off);
		nbits = ps->nblocks;
	} else {
		return;
	}
	if (v[0] >= nbits || v[1] > nbits - v[0])
		return;
	if (sb) {
		struct pmfs_bitmap *bm = je->off == PMFS_BM_INODES ?
					 &sb->ibm : &sb->bbm;
		struct pmfs_run r = { (uint32_t)je->off, v[0], v[1] };

		pthread_mutex_lock(&bm->lock);
		pmfs_pbits_set(pmap, v[0], v[1], je->type == PMFS_JE_BITS_SET);
		pthread_mutex_unlock(&bm->lock);
		if (je->type == PMFS_JE_BITS_CLEAR)
			pmfs_bitmap_undo_alloc(sb, &r);
	} else {
		pmfs_pbits_set(pmap, v[0], v[1], je->type == PMFS_JE_BITS_SET);
	}
}

/* Returns the number of valid entries undone (0 = slot was idle). */
/* pos: room for slot_max_entries() positions. */
static int slot_rollback(char *base, const struct pmfs_super *ps, uint32_t s,
			 struct pmfs_sb *sb, bool dry_run, uint32_t *pos)
{
	char *sbase = slot_base(base, ps, s);
	struct pmfs_jslot *js = (struct pmfs_jslot *)sbase;
	uint32_t size = ps->journal_slot_size;
	uint32_t n = 0, p = sizeof(*js);

	while (p + JE_HDR <= size) {
		struct pmfs_jentry je;
		uint32_t crc;

		memcpy(&je, sbase + p, JE_HDR);
		if (je.gen != js->gen || je.len > size - p - JE_HDR)
			break;
		crc = je.csum;
		je.csum = 0;
		if (pmfs_crc32c(pmfs_crc32c(0, &je, JE_HDR), sbase + p + JE_HDR,
				je.len) != crc)
			break;
		pos[n++] = p;
		p += JE_HDR + ALIGN_UP(je.len, 8);
	}
	if (dry_run || n == 0)
		return (int)n;
	while (n--) {
		struct pmfs_jentry *je = (struct pmfs_jentry *)(sbase + pos[n]);
		const char *data = sbase + pos[n] + JE_HDR;

		switch (je->type) {
		case PMFS_JE_BYTES:
			if (je->off < ps->size && je->len <= ps->size - je->off)
				pmem_memcpy_nodrain(base + je->off, data,
						    je->len);
			break;
		case PMFS_JE_BITS_CLEAR:
		case PMFS_JE_BITS_SET:
			undo_bits(base, ps, sb, je, data);
			break;
		}
	}
	/* persist bitmaps touched by bit entries: flush both bitmaps lazily
	 * by range would need bookkeeping; they are small, flush whole.
	 */
	pmem_flush(base + ps->ibitmap_off,
		   (uint64_t)ps->ibitmap_blocks * PMFS_BLOCK_SIZE);
	pmem_flush(base + ps->bbitmap_off,
		   (uint64_t)ps->bbitmap_blocks * PMFS_BLOCK_SIZE);
	pmem_drain();
	return 1;
}

static void slot_retire(char *sbase)
{
	struct pmfs_jslot *js = (struct pmfs_jslot *)sbase;

	__atomic_store_n(&js->gen, js->gen + 1, __ATOMIC_RELEASE);
	pmem_persist(&js->gen, sizeof(js->gen));
}

int pmfs_journal_recover(char *base, const struct pmfs_super *ps, bool dry_run)
{
	uint32_t *pos = malloc(sizeof(*pos) * slot_max_entries(ps));
	int total = 0;

	if (!pos)
		return -ENOMEM;
	for (uint32_t s = 0; s < ps->journal_slots; s++) {
		char *sbase = slot_base(base, ps, s);
		struct pmfs_jslot *js = (struct pmfs_jslot *)sbase;
		int r;

		if (js->magic != PMFS_JSLOT_MAGIC) {
			if (dry_run) {
				free(pos);
				return -EUCLEAN;
			}
			/* a torn or damaged slot header: reinitialize */
			js->gen = 1;
			js->magic = PMFS_JSLOT_MAGIC;
			pmem_persist(js, sizeof(*js));
			continue;
		}
		r = slot_rollback(base, ps, s, NULL, dry_run, pos);
		if (r > 0) {
			total++;
			if (!dry_run)
				slot_retire(sbase);
		}
	}
	free(pos);
	return total;
}

/* ~~~~ transactions ~~~~ */
int pmfs_tx_begin(struct pmfs_sb *sb, struct pmfs_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	if (sb->rdonly)
		return -EROFS;
	tx->sb = sb;
	pthread_mutex_lock(&sb->jlock);
	while (sb->njfree == 0)
		pthread_cond_wait(&sb->jcond, &sb->jlock);
	tx->slot = sb->jfree[--sb->njfree];
	pthread_mutex_unlock(&sb->jlock);
	tx->sbase = slot_base(sb->base, sb->ps, tx->slot);
	tx->gen = ((struct pmfs_jslot *)tx->sbase)->gen;
	tx->used = sizeof(struct pmfs_jslot);
	return 0;
}

static int grow(void **v, uint32_t *cap, uint32_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, ncap * elem);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

uint32_t pmfs_tx_space(const struct pmfs_tx *tx)
{
	uint32_t size = tx->sb->ps->journal_slot_size;

	return tx->error ? 0 : size - tx->used;
}

static int append(struct pmfs_tx *tx, uint16_t type, uint64_t off,
		  const void *data, uint32_t len)
{
	struct pmfs_jentry je = {
		.gen = tx->gen, .off = off, .len = len, .type = type,
	};
	uint32_t need = JE_HDR + ALIGN_UP(len, 8);
	char *dst = tx->sbase + tx->used;

	if (tx->error)
		return tx->error;
	if (need > pmfs_tx_space(tx)) {
		tx->error = -ENOSPC;
		return tx->error;
	}
	je.csum = pmfs_crc32c(pmfs_crc32c(0, &je, JE_HDR), data, len);
	pmem_memcpy_nodrain(dst + JE_HDR, data, len);
	pmem_memcpy_nodrain(dst, &je, JE_HDR);
	pmem_drain();
	tx->used += need;
	pmfs_crash_point("journal: entry persisted");
	return 0;
}

static bool range_has(const struct pmfs_range *v, uint32_t n, uint64_t off,
		      uint32_t len)
{
	/* recent ranges are the likely hits */
	for (uint32_t i = n; i-- > 0;)
		if (off >= v[i].off && off + len <= v[i].off + v[i].len)
			return true;
	return false;
}

void pmfs_tx_dirty(struct pmfs_tx *tx, const void *p, size_t len)
{
	uint64_t off = pmfs_off(tx->sb, p);

	if (range_has(tx->dirty, tx->ndirty, off, (uint32_t)len))
		return;
	if (grow((void **)&tx->dirty, &tx->cdirty, tx->ndirty,
		 sizeof(*tx->dirty))) {
		/* cannot remember it: flush now, the commit drains */
		pmem_flush(p, len);
		return;
	}
	tx->dirty[tx->ndirty++] = (struct pmfs_range){ off, (uint32_t)len };
}

int pmfs_tx_add(struct pmfs_tx *tx, const void *p, size_t len)
{
	uint64_t off = pmfs_off(tx->sb, p);
	int err;

	if (tx->error)
		return tx->error;
	if (range_has(tx->logged, tx->nlogged, off, (uint32_t)len))
		return 0;
	if (grow((void **)&tx->logged, &tx->clogged, tx->nlogged,
		 sizeof(*tx->logged)))
		return tx->error = -ENOMEM;
	err = append(tx, PMFS_JE_BYTES, off, p, (uint32_t)len);
	if (err)
		return err;
	tx->logged[tx->nlogged++] = (struct pmfs_range){ off, (uint32_t)len };
	pmfs_tx_dirty(tx, p, len);
	return 0;
}

int pmfs_tx_add_inode(struct pmfs_tx *tx, struct pmfs_inode *pi)
{
	int err = pmfs_tx_add(tx, pi, PMFS_INODE_CORE);

	if (err)
		return err;
	for (uint32_t i = 0; i < tx->ninodes; i++)
		if (tx->inodes[i] == pi)
			return 0;
	if (tx->ninodes == ARRAY_SIZE(tx->inodes))
		return tx->error = -EINVAL;	/* a bug: too many inodes */
	tx->inodes[tx->ninodes++] = pi;
	return 0;
}

int pmfs_tx_log_bits(struct pmfs_tx *tx, int type, uint32_t which,
		     uint64_t start, uint64_t count)
{
	uint64_t v[2] = { start, count };
	struct pmfs_run r = { which, start, count };
	int err;

	if (type == PMFS_JE_BITS_CLEAR) {
		err = grow((void **)&tx->allocs, &tx->callocs, tx->nallocs,
			   sizeof(r));
	} else {
		err = grow((void **)&tx->frees, &tx->cfrees, tx->nfrees,
			   sizeof(r));
	}
	if (err)
		return tx->error = err;
	err = append(tx, (uint16_t)type, which, v, sizeof(v));
	if (err)
		return err;
	if (type == PMFS_JE_BITS_CLEAR)
		tx->allocs[tx->nallocs++] = r;
	else
		tx->frees[tx->nfrees++] = r;
	return 0;
}

static void tx_release(struct pmfs_tx *tx)
{
	struct pmfs_sb *sb = tx->sb;

	if (tx->orphan_locked)
		pthread_mutex_unlock(&sb->orphan_lock);
	pthread_mutex_lock(&sb->jlock);
	sb->jfree[sb->njfree++] = tx->slot;
	pthread_cond_signal(&sb->jcond);
	pthread_mutex_unlock(&sb->jlock);
	free(tx->logged);
	free(tx->dirty);
	free(tx->allocs);
	free(tx->frees);
	memset(tx, 0, sizeof(*tx));
}

int pmfs_tx_commit(struct pmfs_tx *tx)
{
	struct pmfs_sb *sb = tx->sb;

	if (tx->error) {
		int err = tx->error;

		pmfs_tx_abort(tx);
		return err;
	}
	for (uint32_t i = 0; i < tx->ninodes; i++)
		tx->inodes[i]->csum = pmfs_inode_csum(tx->inodes[i]);
	for (uint32_t i = 0; i < tx->ndirty; i++)
		pmem_flush(sb->base + tx->dirty[i].off, tx->dirty[i].len);
	pmem_drain();
	pmfs_crash_point("commit: before");
	slot_retire(tx->sbase);
	pmfs_crash_point("commit: after");
	for (uint32_t i = 0; i < tx->nfrees; i++)
		pmfs_bitmap_commit_free(sb, &tx->frees[i]);
	tx_release(tx);
	return 0;
}

void pmfs_tx_abort(struct pmfs_tx *tx)
{
	struct pmfs_sb *sb = tx->sb;

	if (!sb)
		return;
	/* make sure what we wrote so far is ordered before the undo */
	pmem_drain();
	slot_rollback(sb->base, sb->ps, tx->slot, sb, false,
		      sb->jpos + (uint64_t)tx->slot * slot_max_entries(sb->ps));
	slot_retire(tx->sbase);
	tx_release(tx);
}

int pmfs_tx_end(struct pmfs_tx *tx, int err)
{
	if (err) {
		pmfs_tx_abort(tx);
		return err;
	}
	return pmfs_tx_commit(tx);
}
