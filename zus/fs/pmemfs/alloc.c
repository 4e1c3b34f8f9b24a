// SPDX-License-Identifier: BSD-3-Clause
/*
 * alloc.c - block and inode allocators.
 *
 * Both are bitmaps on pmem (1 bit per 4 KiB block / per inode), copied to
 * DRAM at mount with a per-group (32768 bits) free count as summary, so a
 * search skips full groups without touching them. See pmfs_int.h for how
 * frees are deferred to commit.
 */
#include <stdlib.h>
#include "pmfs_int.h"

void pmfs_pbits_set(uint64_t *pmap, uint64_t start, uint64_t count, int val)
{
	uint64_t end = start + count, b = start;

	if (!count)
		return;
	while (b < end) {
		uint64_t w = b / 64, lo = b % 64;
		uint64_t n = MIN(64 - lo, end - b);
		uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << lo;

		if (val)
			pmap[w] |= mask;
		else
			pmap[w] &= ~mask;
		b += n;
	}
	pmem_flush(&pmap[start / 64], ((end - 1) / 64 - start / 64 + 1) * 8);
}

static uint64_t popcount_range(const uint64_t *map, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (uint64_t b = from; b < to; b++)
		n += pmfs_test_bit(map, b);
	return n;
}

int pmfs_bitmap_init(struct pmfs_sb *sb, struct pmfs_bitmap *bm, int which,
		     uint64_t *pmap, uint64_t nbits, uint64_t first)
{
	uint64_t words = DIV_UP(nbits, 64);

	(void)sb;
	memset(bm, 0, sizeof(*bm));
	bm->which = which;
	bm->nbits = nbits;
	bm->first = first;
	bm->pmap = pmap;
	bm->ngroups = DIV_UP(nbits, PMFS_BITS_PER_GROUP);
	bm->map = malloc(words * 8);
	bm->group_free = calloc(bm->ngroups, sizeof(*bm->group_free));
	if (!bm->map || !bm->group_free) {
		free(bm->map);
		free(bm->group_free);
		return -ENOMEM;
	}
	memcpy(bm->map, pmap, words * 8);
	/* bits past the end and below first are never handed out */
	for (uint64_t b = nbits; b < words * 64; b++)
		bm->map[b / 64] |= 1ULL << (b % 64);
	for (uint64_t b = 0; b < first && b < nbits; b++)
		bm->map[b / 64] |= 1ULL << (b % 64);
	for (uint64_t g = 0; g < bm->ngroups; g++) {
		uint64_t from = g * PMFS_BITS_PER_GROUP;
		uint64_t to = MIN(from + PMFS_BITS_PER_GROUP, nbits);
		uint64_t used = 0;

		if (from % 64 == 0 && to % 64 == 0) {
			for (uint64_t w = from / 64; w < to / 64; w++)
				used += (uint64_t)__builtin_popcountll(bm->map[w]);
		} else {
			used = popcount_range(bm->map, from, to);
		}
		bm->group_free[g] = (uint32_t)(to - from - used);
		bm->nfree += to - from - used;
	}
	bm->hint = first;
	pthread_mutex_init(&bm->lock, NULL);
	return 0;
}

void pmfs_bitmap_fini(struct pmfs_bitmap *bm)
{
	if (!bm->map)
		return;
	free(bm->map);
	free(bm->group_free);
	bm->map = NULL;
	pthread_mutex_destroy(&bm->lock);
}

/* Lowest free bit in [from, to) or UINT64_MAX. */
static uint64_t scan(const struct pmfs_bitmap *bm, uint64_t from, uint64_t to)
{
	uint64_t b = from;

	while (b < to) {
		uint64_t w = bm->map[b / 64] | ((1ULL << (b % 64)) - 1);

		if (w != ~0ULL) {
			uint64_t r = (b & ~63ULL) + (uint64_t)__builtin_ctzll(~w);

			return r < to ? r : UINT64_MAX;
		}
		b = (b & ~63ULL) + 64;
	}
	return UINT64_MAX;
}

/* Free bits in a row from b, counting up to max. */
static uint64_t run_free(const struct pmfs_bitmap *bm, uint64_t b, uint64_t max)
{
	uint64_t n = 0;

	while (n < max && b + n < bm->nbits &&
	       !(bm->map[(b + n) / 64] & (1ULL << ((b + n) % 64))))
		n++;
	return n;
}

/*
 * The first bit at or after goal (the hint when goal is out of range),
 * wrapping round, in groups with at least need free bits: with rem
 * PMFS_NO_ALIGN any free bit; else, among the first ALIGN_SCAN
 * candidates, one that is rem modulo PMFS_DATA_ALIGN with need free bits
 * in a row from it. UINT64_MAX when there is none. Groups are whole
 * multiples of PMFS_DATA_ALIGN bits.
 */
#define ALIGN_SCAN	16384	/* candidates: 32 GiB of device */
static uint64_t find_bits(struct pmfs_bitmap *bm, uint64_t goal, uint64_t rem,
			  uint64_t need)
{
	uint64_t g0, tried = 0;

	if (goal < bm->first || goal >= bm->nbits)
		goal = bm->hint < bm->nbits ? bm->hint : bm->first;
	g0 = goal / PMFS_BITS_PER_GROUP;
	for (uint64_t i = 0; i <= bm->ngroups; i++) {
		uint64_t g = (g0 + i) % bm->ngroups;
		uint64_t from = g * PMFS_BITS_PER_GROUP;
		uint64_t to = MIN(from + PMFS_BITS_PER_GROUP, bm->nbits);
		uint64_t c;

		if (bm->group_free[g] < need)
			continue;
		if (i == 0)
			from = goal;
		if (from < bm->first)
			from = bm->first;
		if (rem == PMFS_NO_ALIGN) {
			c = scan(bm, from, to);
			if (c != UINT64_MAX)
				return c;
			continue;
		}
		c = from - from % PMFS_DATA_ALIGN + rem;
		if (c < from)
			c += PMFS_DATA_ALIGN;
		for (; c < to; c += PMFS_DATA_ALIGN) {
			if (run_free(bm, c, need) == need)
				return c;
			if (++tried == ALIGN_SCAN)
				return UINT64_MAX;
		}
	}
	return UINT64_MAX;
}

static void dram_set(struct pmfs_bitmap *bm, uint64_t start, uint64_t count,
		     int val)
{
	for (uint64_t b = start; b < start + count; b++) {
		uint64_t m = 1ULL << (b % 64);
		int cur = !!(bm->map[b / 64] & m);

		if (cur == val)
			continue;
		if (val) {
			bm->map[b / 64] |= m;
			bm->group_free[b / PMFS_BITS_PER_GROUP]--;
			bm->nfree--;
		} else {
			bm->map[b / 64] &= ~m;
			bm->group_free[b / PMFS_BITS_PER_GROUP]++;
			bm->nfree++;
		}
	}
}

/*
 * Up to want free bits in a row: *n (1..want) bits from *bit, in the DRAM
 * map at once and on pmem when the journal has the record. The first is
 * goal when it is free; else, when rem is not PMFS_NO_ALIGN, the first bit
 * at or after goal that is rem modulo PMFS_DATA_ALIGN with room for
 * MIN(want, PMFS_ALIGN_NEED); else the first free bit at or after goal
 * (find_bits).
 */
static int alloc_bits(struct pmfs_tx *tx, struct pmfs_bitmap *bm,
		      uint64_t goal, uint64_t rem, uint64_t want,
		      uint64_t *bit, uint64_t *n)
{
	uint64_t b = UINT64_MAX, got;
	int err;

	pthread_mutex_lock(&bm->lock);
	if (bm->nfree && rem != PMFS_NO_ALIGN) {
		if (goal >= bm->first && run_free(bm, goal, 1))
			b = goal;
		else
			b = find_bits(bm, goal, rem,
				      MIN(want, PMFS_ALIGN_NEED));
	}
	if (bm->nfree && b == UINT64_MAX)
		b = find_bits(bm, goal, PMFS_NO_ALIGN, 1);
	if (b == UINT64_MAX) {
		pthread_mutex_unlock(&bm->lock);
		return -ENOSPC;
	}
	got = run_free(bm, b, want);
	dram_set(bm, b, got, 1);
	bm->hint = b + got;
	pthread_mutex_unlock(&bm->lock);

	err = pmfs_tx_log_bits(tx, PMFS_JE_BITS_CLEAR, (uint32_t)bm->which,
			       b, got);
	pthread_mutex_lock(&bm->lock);
	if (err)
		dram_set(bm, b, got, 0);
	else
		pmfs_pbits_set(bm->pmap, b, got, 1);
	pthread_mutex_unlock(&bm->lock);
	if (!err) {
		*bit = b;
		*n = got;
	}
	return err;
}

static int alloc_bit(struct pmfs_tx *tx, struct pmfs_bitmap *bm, uint64_t goal,
		     uint64_t *bit)
{
	uint64_t n;

	return alloc_bits(tx, bm, goal, PMFS_NO_ALIGN, 1, bit, &n);
}

static int free_bits(struct pmfs_tx *tx, struct pmfs_bitmap *bm,
		     uint64_t start, uint64_t count)
{
	int err;

	if (start < bm->first || start >= bm->nbits ||
	    count > bm->nbits - start)
		return -EUCLEAN;
	err = pmfs_tx_log_bits(tx, PMFS_JE_BITS_SET, (uint32_t)bm->which,
			       start, count);
	if (err)
		return err;
	pthread_mutex_lock(&bm->lock);
	pmfs_pbits_set(bm->pmap, start, count, 0);
	pthread_mutex_unlock(&bm->lock);
	return 0;
}

void pmfs_bitmap_undo_alloc(struct pmfs_sb *sb, const struct pmfs_run *r)
{
	struct pmfs_bitmap *bm = r->which == PMFS_BM_INODES ? &sb->ibm : &sb->bbm;

	pthread_mutex_lock(&bm->lock);
	dram_set(bm, r->start, r->count, 0);
	pthread_mutex_unlock(&bm->lock);
}

void pmfs_bitmap_commit_free(struct pmfs_sb *sb, const struct pmfs_run *r)
{
	pmfs_bitmap_undo_alloc(sb, r);
}

int pmfs_alloc_block(struct pmfs_tx *tx, uint64_t goal, uint64_t *off)
{
	uint64_t b;
	int err = alloc_bit(tx, &tx->sb->bbm, goal / PMFS_BLOCK_SIZE, &b);

	if (!err)
		*off = b * PMFS_BLOCK_SIZE;
	return err;
}

int pmfs_alloc_meta(struct pmfs_tx *tx, uint64_t *off)
{
	return pmfs_alloc_block(tx, tx->sb->bbm.first * PMFS_BLOCK_SIZE, off);
}

int pmfs_alloc_data(struct pmfs_tx *tx, uint64_t goal, uint64_t index,
		    uint64_t want, uint64_t *off, uint64_t *got)
{
	uint64_t b;
	int err;

	if (!want)
		return -EINVAL;
	err = alloc_bits(tx, &tx->sb->bbm, goal / PMFS_BLOCK_SIZE,
			 index % PMFS_DATA_ALIGN, want, &b, got);
	if (!err)
		*off = b * PMFS_BLOCK_SIZE;
	return err;
}

int pmfs_free_blocks(struct pmfs_tx *tx, uint64_t off, uint64_t count)
{
	return free_bits(tx, &tx->sb->bbm, off / PMFS_BLOCK_SIZE, count);
}

int pmfs_alloc_ino(struct pmfs_tx *tx, uint64_t *ino)
{
	return alloc_bit(tx, &tx->sb->ibm, 0, ino);
}

int pmfs_free_ino(struct pmfs_tx *tx, uint64_t ino)
{
	return free_bits(tx, &tx->sb->ibm, ino, 1);
}
