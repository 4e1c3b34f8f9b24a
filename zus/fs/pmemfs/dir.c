// SPDX-License-Identifier: BSD-3-Clause
/*
 * dir.c - directories: a hash trie of 4 KiB blocks.
 *
 * Names hash (keyed SipHash-2-4) to 64 bits; the top 54 bits are the key.
 * Inner nodes are 512 pointers indexed by 9 key bits per level (at most 6
 * levels); leaves hold variable-length records chained by rec_len (ext2
 * style). A leaf that fixes pbits key bits covers a contiguous, aligned
 * run of slots in its node (extendible hashing inside each node), so a
 * split allocates two new leaves and repoints half of that run, or, when
 * the leaf owned a single slot, hangs a new node there. Lookup, insert and
 * remove cost O(depth) block visits plus one leaf scan; no operation is
 * linear in the directory size, and DRAM use is nil.
 *
 * readdir walks leaves in key order. An entry's position (cookie) is
 * 3 + (key << 7 | minor): stable while the entry exists, whatever splits
 * happen; minor tells apart the (astronomically rare) names sharing a key.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>
#include "pmfs_int.h"

#define KEY_BITS	PMFS_DIR_MAX_PBITS
#define KEY_END		(1ULL << KEY_BITS)
#define MAX_LEVELS	(KEY_BITS / PMFS_MAP_SHIFT)
#define MAX_REC		((PMFS_BLOCK_SIZE - PMFS_DLEAF_HDR) / 40 + 1)

static uint64_t key_of(uint64_t h)
{
	return h >> PMFS_DIR_HASH_SHIFT;
}

static uint64_t cookie_of(uint64_t h, uint8_t minor)
{
	return PMFS_DIR_COOKIE_BASE + ((key_of(h) << PMFS_DIR_MINOR_BITS) | minor);
}

static unsigned node_idx(uint64_t key, unsigned level)
{
	return (key >> (KEY_BITS - PMFS_MAP_SHIFT * (level + 1))) &
	       (PMFS_PTRS_PER_BLOCK - 1);
}

static uint32_t rec_used(const struct pmfs_dirent *de)
{
	return de->ino ? ALIGN_UP(PMFS_DIRENT_HDR + de->name_len, 8) : 0;
}

static bool rec_ok(uint32_t off, uint32_t rl)
{
	return rl >= PMFS_DIRENT_HDR && rl % 8 == 0 &&
	       off + rl <= PMFS_BLOCK_SIZE;
}

uint64_t pmfs_dir_hash(const struct pmfs_sb *sb, const char *name, size_t len)
{
	return pmfs_siphash(sb->hkey, name, len);
}

uint32_t pmfs_dirent_csum(const struct pmfs_dirent *de)
{
	uint32_t c = pmfs_crc32c(0, de, 16);

	c = pmfs_crc32c(c, &de->name_len, 3);
	return pmfs_crc32c(c, de->name, de->name_len);
}

struct dpath {
	uint64_t *ref;			/* the pointer to the leaf */
	uint64_t *node;			/* node holding ref, NULL: inode */
	int level;			/* level of node, -1 for the inode */
	struct pmfs_dleaf *leaf;	/* NULL: empty */
};

static int descend(struct pmfs_sb *sb, struct pmfs_inode *dir, uint64_t key,
		   struct dpath *p)
{
	uint64_t ptr;
	uint16_t pb;

	p->ref = &dir->root;
	p->node = NULL;
	p->level = -1;
	p->leaf = NULL;
	ptr = *p->ref;
	while (ptr & PMFS_PTR_NODE) {
		if (!pmfs_blk_ok(sb, ptr) || p->level + 1 >= MAX_LEVELS)
			return -EUCLEAN;
		p->level++;
		p->node = pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS);
		p->ref = &p->node[node_idx(key, (unsigned)p->level)];
		ptr = *p->ref;
	}
	if (!ptr)
		return 0;
	if (!pmfs_blk_ok(sb, ptr) || (ptr & PMFS_PTR_FLAGS))
		return -EUCLEAN;
	p->leaf = pmfs_ptr(sb, ptr);
	pb = p->leaf->pbits;
	if (p->leaf->magic != PMFS_DLEAF_MAGIC || pb > KEY_BITS)
		return -EUCLEAN;
	if (p->level < 0 ? pb != 0 :
	    (pb <= PMFS_MAP_SHIFT * p->level ||
	     pb > PMFS_MAP_SHIFT * (p->level + 1)))
		return -EUCLEAN;
	if (pb && p->leaf->prefix != key >> (KEY_BITS - pb))
		return -EUCLEAN;
	return 0;
}

/* Iterate the records of a leaf; returns -EUCLEAN on a broken chain. */
#define for_each_rec(leaf, de, off, rl) \
	for (off = PMFS_DLEAF_HDR; \
	     off < PMFS_BLOCK_SIZE && \
	     (de = (struct pmfs_dirent *)((char *)(leaf) + off), \
	      rl = de->rec_len, 1); \
	     off += rl)

static int leaf_find(struct pmfs_dleaf *leaf, uint64_t h, const char *name,
		     size_t len, struct pmfs_dfound *f)
{
	struct pmfs_dirent *de, *prev = NULL;
	uint32_t off, rl;

	for_each_rec(leaf, de, off, rl) {
		if (!rec_ok(off, rl) || (de->ino && rec_used(de) > rl))
			return -EUCLEAN;
		if (de->ino && de->hash == h && de->name_len == len &&
		    !memcmp(de->name, name, len)) {
			f->de = de;
			f->prev = prev;
			f->leaf = leaf;
			return 0;
		}
		prev = de;
	}
	return -ENOENT;
}

int pmfs_dir_find(struct pmfs_sb *sb, struct pmfs_inode *dir,
		  const char *name, size_t len, struct pmfs_dfound *f)
{
	uint64_t h = pmfs_dir_hash(sb, name, len);
	struct dpath p;
	int err = descend(sb, dir, key_of(h), &p);

	if (err)
		return err;
	if (!p.leaf)
		return -ENOENT;
	return leaf_find(p.leaf, h, name, len, f);
}

/* ~~~~ insert ~~~~ */
static void leaf_init(void *buf, uint16_t pbits, uint64_t prefix,
		      uint64_t dir_ino)
{
	struct pmfs_dleaf *l = buf;
	struct pmfs_dirent *de = (void *)((char *)buf + PMFS_DLEAF_HDR);

	memset(buf, 0, PMFS_BLOCK_SIZE);
	l->magic = PMFS_DLEAF_MAGIC;
	l->pbits = pbits;
	l->prefix = prefix;
	l->dir_ino = dir_ino;
	de->rec_len = PMFS_BLOCK_SIZE - PMFS_DLEAF_HDR;
}

/* Append a copy of de to a leaf being built in DRAM. */
static void leaf_append(char *buf, uint32_t *pos, uint32_t *last,
			const struct pmfs_dirent *de)
{
	uint32_t u = rec_used(de);
	struct pmfs_dirent *n = (void *)(buf + *pos);

	memcpy(n, de, PMFS_DIRENT_HDR + de->name_len);
	n->rec_len = (uint16_t)u;
	*last = *pos;
	*pos += u;
}

static void leaf_close(char *buf, uint32_t pos, uint32_t last)
{
	struct pmfs_dirent *de = (void *)(buf + last);

	if (pos == PMFS_DLEAF_HDR)
		return;		/* leaf_init's free record stays */
	de->rec_len = (uint16_t)(PMFS_BLOCK_SIZE - last);
}

static int split(struct pmfs_tx *tx, struct pmfs_inode *dir, uint64_t dir_ino,
		 struct dpath *p)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_dleaf *L = p->leaf;
	uint16_t pb = L->pbits, q = pb + 1;
	uint64_t P = L->prefix, offA, offB, offN, *slots;
	uint32_t posA = PMFS_DLEAF_HDR, posB = PMFS_DLEAF_HDR, lastA = 0,
		 lastB = 0, off, rl;
	char *bufA, *bufB;
	struct pmfs_dirent *de;
	int err;

	if (pb >= KEY_BITS)
		return -ENOSPC;	/* 54 equal hash bits in a full leaf */
	bufA = malloc(2 * PMFS_BLOCK_SIZE);
	if (!bufA)
		return -ENOMEM;
	bufB = bufA + PMFS_BLOCK_SIZE;
	leaf_init(bufA, q, P << 1, dir_ino);
	leaf_init(bufB, q, (P << 1) | 1, dir_ino);
	for_each_rec(L, de, off, rl) {
		if (!rec_ok(off, rl)) {
			free(bufA);
			return -EUCLEAN;
		}
		if (!de->ino)
			continue;
		if ((key_of(de->hash) >> (KEY_BITS - q)) & 1)
			leaf_append(bufB, &posB, &lastB, de);
		else
			leaf_append(bufA, &posA, &lastA, de);
	}
	leaf_close(bufA, posA, lastA);
	leaf_close(bufB, posB, lastB);

	err = pmfs_alloc_block(tx, pmfs_off(sb, L), &offA);
	if (!err)
		err = pmfs_alloc_block(tx, offA, &offB);
	if (err)
		goto out;
	pmem_memcpy_nodrain(pmfs_ptr(sb, offA), bufA, PMFS_BLOCK_SIZE);
	pmem_memcpy_nodrain(pmfs_ptr(sb, offB), bufB, PMFS_BLOCK_SIZE);
	dir->blocks += 1;

	if (pb % PMFS_MAP_SHIFT == 0) {
		/* the leaf owns one pointer: hang a new node there */
		uint64_t *n = (uint64_t *)bufA;

		err = pmfs_alloc_block(tx, offB, &offN);
		if (err)
			goto out;
		for (int i = 0; i < PMFS_PTRS_PER_BLOCK; i++)
			n[i] = i < PMFS_PTRS_PER_BLOCK / 2 ? offA : offB;
		pmem_memcpy_nodrain(pmfs_ptr(sb, offN), n, PMFS_BLOCK_SIZE);
		err = pmfs_tx_add(tx, p->ref, 8);
		if (err)
			goto out;
		*p->ref = offN | PMFS_PTR_NODE;
		dir->blocks++;
	} else {
		unsigned d = pb - PMFS_MAP_SHIFT * (unsigned)p->level;
		unsigned group = PMFS_PTRS_PER_BLOCK >> d;
		unsigned start = (unsigned)(P & ((1U << d) - 1)) * group;

		if (!p->node || p->level != (pb - 1) / PMFS_MAP_SHIFT) {
			err = -EUCLEAN;
			goto out;
		}
		slots = &p->node[start];
		err = pmfs_tx_add(tx, slots, group * 8);
		if (err)
			goto out;
		for (unsigned i = 0; i < group; i++)
			slots[i] = i < group / 2 ? offA : offB;
	}
	err = pmfs_free_blocks(tx, pmfs_off(sb, L), 1);
out:
	free(bufA);
	return err;
}

static int pick_minor(struct pmfs_dleaf *leaf, uint64_t key, uint8_t *minor)
{
	uint64_t used[2] = { 0, 0 };
	struct pmfs_dirent *de;
	uint32_t off, rl;

	for_each_rec(leaf, de, off, rl) {
		if (!rec_ok(off, rl))
			return -EUCLEAN;
		if (de->ino && key_of(de->hash) == key && de->minor < 128)
			used[de->minor / 64] |= 1ULL << (de->minor % 64);
	}
	for (unsigned m = 0; m < 128; m++)
		if (!(used[m / 64] & (1ULL << (m % 64)))) {
			*minor = (uint8_t)m;
			return 0;
		}
	return -ENOSPC;
}

static void fill_rec(struct pmfs_dirent *de, uint64_t h, uint64_t ino,
		     const char *name, size_t len, unsigned type, uint8_t minor)
{
	de->hash = h;
	de->ino = ino;
	de->name_len = (uint8_t)len;
	de->type = (uint8_t)type;
	de->minor = minor;
	memset(de->reserved, 0, sizeof(de->reserved));
	memcpy(de->name, name, len);
	de->csum = pmfs_dirent_csum(de);
}

static int leaf_insert(struct pmfs_tx *tx, struct pmfs_dleaf *leaf, uint64_t h,
		       const char *name, size_t len, uint64_t ino,
		       unsigned type, uint8_t minor)
{
	uint32_t need = ALIGN_UP(PMFS_DIRENT_HDR + len, 8), off, rl;
	struct pmfs_dirent *de;
	int err;

	for_each_rec(leaf, de, off, rl) {
		uint32_t u = rec_used(de);

		if (!rec_ok(off, rl) || u > rl)
			return -EUCLEAN;
		if (rl - u < need)
			continue;
		if (!u) {
			/* a free record (only ever the first one) */
			err = pmfs_tx_add(tx, de, PMFS_DIRENT_HDR);
			if (err)
				return err;
			fill_rec(de, h, ino, name, len, type, minor);
			pmfs_tx_dirty(tx, de, PMFS_DIRENT_HDR + len);
		} else {
			struct pmfs_dirent *n = (void *)((char *)de + u);

			n->rec_len = (uint16_t)(rl - u);
			fill_rec(n, h, ino, name, len, type, minor);
			pmfs_tx_dirty(tx, n, PMFS_DIRENT_HDR + len);
			err = pmfs_tx_add(tx, &de->rec_len, 2);
			if (err)
				return err;
			de->rec_len = (uint16_t)u;
		}
		return 0;
	}
	return 1;	/* full */
}

int pmfs_dir_add(struct pmfs_tx *tx, struct pmfs_inode *dir, uint64_t dir_ino,
		 const char *name, size_t len, uint64_t ino, unsigned type)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t h = pmfs_dir_hash(sb, name, len), key = key_of(h), off;
	struct dpath p;
	uint8_t minor;
	int err;

	err = pmfs_tx_add_inode(tx, dir);
	if (err)
		return err;
	for (int tries = 0; tries < 2 * KEY_BITS; tries++) {
		err = descend(sb, dir, key, &p);
		if (err)
			return err;
		if (!p.leaf) {
			if (dir->root)
				return -EUCLEAN;
			char *buf = malloc(PMFS_BLOCK_SIZE);

			if (!buf)
				return -ENOMEM;
			leaf_init(buf, 0, 0, dir_ino);
			err = pmfs_alloc_block(tx, 0, &off);
			if (!err)
				pmem_memcpy_nodrain(pmfs_ptr(sb, off), buf,
						    PMFS_BLOCK_SIZE);
			free(buf);
			if (err)
				return err;
			dir->root = off;
			dir->blocks++;
			continue;
		}
		err = pick_minor(p.leaf, key, &minor);
		if (err)
			return err;
		err = leaf_insert(tx, p.leaf, h, name, len, ino, type, minor);
		if (err <= 0) {
			if (!err)
				dir->dir_count++;
			return err;
		}
		err = split(tx, dir, dir_ino, &p);
		if (err)
			return err;
	}
	return -EUCLEAN;
}

int pmfs_dir_del(struct pmfs_tx *tx, struct pmfs_inode *dir,
		 struct pmfs_dfound *f)
{
	int err = pmfs_tx_add_inode(tx, dir);

	if (err)
		return err;
	if (f->prev) {
		err = pmfs_tx_add(tx, &f->prev->rec_len, 2);
		if (err)
			return err;
		f->prev->rec_len = (uint16_t)(f->prev->rec_len + f->de->rec_len);
	} else {
		err = pmfs_tx_add(tx, &f->de->ino, 8);
		if (err)
			return err;
		f->de->ino = 0;
	}
	if (dir->dir_count)
		dir->dir_count--;
	if (!dir->dir_count && dir->root && !(dir->root & PMFS_PTR_NODE)) {
		/* an empty single-leaf directory gives its block back */
		err = pmfs_free_blocks(tx, dir->root, 1);
		if (err)
			return err;
		dir->root = 0;
		if (dir->blocks)
			dir->blocks--;
	}
	return 0;
}

int pmfs_dir_set(struct pmfs_tx *tx, struct pmfs_dirent *de, uint64_t ino,
		 unsigned type)
{
	int err = pmfs_tx_add(tx, de, PMFS_DIRENT_HDR);

	if (err)
		return err;
	de->ino = ino;
	de->type = (uint8_t)type;
	de->csum = pmfs_dirent_csum(de);
	return 0;
}

/* ~~~~ free a whole directory ~~~~ */
#define DFREE_MARGIN	(4096 + 256)

static int dfree_rec(struct pmfs_tx *tx, struct pmfs_inode *dir, uint64_t *ref,
		     int depth)
{
	struct pmfs_sb *sb = tx->sb;
	uint64_t ptr = *ref, *node;
	int err;

	if (!ptr)
		return 1;
	if (!pmfs_blk_ok(sb, ptr) || depth > MAX_LEVELS) {
		err = pmfs_tx_add(tx, ref, 8);
		if (!err)
			*ref = 0;
		return err ? err : 1;
	}
	if (!(ptr & PMFS_PTR_NODE)) {
		/* a leaf reached through a single pointer */
		if (pmfs_tx_space(tx) < DFREE_MARGIN)
			return 0;
		err = pmfs_free_blocks(tx, ptr, 1);
		if (!err)
			err = pmfs_tx_add(tx, ref, 8);
		if (err)
			return err;
		*ref = 0;
		if (dir->blocks)
			dir->blocks--;
		return 1;
	}
	node = pmfs_ptr(sb, ptr & ~PMFS_PTR_FLAGS);
	for (unsigned i = 0; i < PMFS_PTRS_PER_BLOCK;) {
		uint64_t c = node[i];
		unsigned j = i + 1;

		if (!c) {
			i++;
			continue;
		}
		if (c & PMFS_PTR_NODE) {
			int r = dfree_rec(tx, dir, &node[i], depth + 1);

			if (r <= 0)
				return r;
			i++;
			continue;
		}
		/* a leaf owns a run of equal pointers: clear them together */
		while (j < PMFS_PTRS_PER_BLOCK && node[j] == c)
			j++;
		if (pmfs_tx_space(tx) < DFREE_MARGIN)
			return 0;
		if (pmfs_blk_ok(sb, c))
			err = pmfs_free_blocks(tx, c, 1);
		else
			err = 0;
		if (!err)
			err = pmfs_tx_add(tx, &node[i], (j - i) * 8);
		if (err)
			return err;
		memset(&node[i], 0, (j - i) * 8);
		if (dir->blocks)
			dir->blocks--;
		i = j;
	}
	if (pmfs_tx_space(tx) < DFREE_MARGIN)
		return 0;
	err = pmfs_free_blocks(tx, ptr & ~PMFS_PTR_FLAGS, 1);
	if (!err)
		err = pmfs_tx_add(tx, ref, 8);
	if (err)
		return err;
	*ref = 0;
	if (dir->blocks)
		dir->blocks--;
	return 1;
}

int pmfs_dir_free(struct pmfs_tx *tx, struct pmfs_inode *dir)
{
	int err = pmfs_tx_add_inode(tx, dir);

	if (err)
		return err;
	return dfree_rec(tx, dir, &dir->root, 0);
}

/* ~~~~ readdir ~~~~ */
struct rd_ent {
	uint64_t cookie;
	const struct pmfs_dirent *de;
};

static int rd_cmp(const void *a, const void *b)
{
	const struct rd_ent *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

int pmfs_readdir(struct pmfs_ii *ii, uint64_t pos, pmfs_filldir_t fill,
		 void *ctx)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *dir = ii->pi;
	struct rd_ent ents[MAX_REC];
	int err = 0;

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	pthread_rwlock_rdlock(&ii->lock);
	if (pos == 0) {
		if (fill(ctx, ".", 1, ii->ino, DT_DIR, 1))
			goto out;
		pos = 1;
	}
	if (pos == 1) {
		if (fill(ctx, "..", 2, dir->parent, DT_DIR, 2))
			goto out;
		pos = 2;
	}
	if (pos < PMFS_DIR_COOKIE_BASE)
		pos = PMFS_DIR_COOKIE_BASE;
	if (!dir->nlink)
		goto out;	/* removed */
	for (;;) {
		uint64_t key = (pos - PMFS_DIR_COOKIE_BASE) >>
			       PMFS_DIR_MINOR_BITS, next;
		struct pmfs_dirent *de;
		uint32_t off, rl, n = 0;
		struct dpath p;

		if (key >= KEY_END)
			break;
		err = descend(sb, dir, key, &p);
		if (err || !p.leaf)
			break;
		for_each_rec(p.leaf, de, off, rl) {
			if (!rec_ok(off, rl) || n == MAX_REC) {
				err = -EUCLEAN;
				goto out;
			}
			if (!de->ino)
				continue;
			uint64_t c = cookie_of(de->hash, de->minor);

			if (c >= pos)
				ents[n++] = (struct rd_ent){ c, de };
		}
		qsort(ents, n, sizeof(ents[0]), rd_cmp);
		for (uint32_t i = 0; i < n; i++) {
			de = (struct pmfs_dirent *)ents[i].de;
			if (fill(ctx, de->name, de->name_len, de->ino,
				 de->type, ents[i].cookie + 1))
				goto out;
		}
		if (p.leaf->pbits == 0)
			break;
		next = (p.leaf->prefix + 1) << (KEY_BITS - p.leaf->pbits);
		if (next >= KEY_END)
			break;
		pos = PMFS_DIR_COOKIE_BASE + (next << PMFS_DIR_MINOR_BITS);
	}
out:
	pthread_rwlock_unlock(&ii->lock);
	return err;
}
