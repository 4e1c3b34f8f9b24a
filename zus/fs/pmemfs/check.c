// SPDX-License-Identifier: BSD-3-Clause
/*
 * check.c - the filesystem checker behind fsck.pmemfs (and the tests).
 *
 * Passes:
 *  1. superblock (primary, else the backup), journal (roll back)
 *  2. inodes: checksum, mode, block maps, directory tries and xattr
 *     blocks; every block claimed once (a second claim is cut off);
 *     directory entries checked
 *     (checksum, hash, key prefix, target, type) and counted as links
 *  3. connectivity: link counts, "..", orphan list, unattached inodes
 *  4. bitmaps against what was found (leaked / unmarked blocks and inodes);
 *     INCOMPAT_REFLINK: the refcount table against the references of every
 *     data block, and PMFS_PTR_SHARED on every pointer of a shared block
 *  5. repairs that need the allocator (rebuilding damaged directories,
 *     /lost+found, orphan release) run on a mount of the repaired image;
 *     a final read-only pass must then come out clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <dirent.h>
#include "pmfs_int.h"

#define IS_FREE		0
#define IS_VALID	1
#define IS_BAD		2

struct ent {
	uint64_t ino;
	uint8_t type, len;
	char name[PMFS_NAME_MAX + 1];
};

struct rebuild {
	uint64_t ino;
	struct ent *ents;
	uint32_t n, cap;
};

struct ck {
	char *base;
	uint64_t rsize;
	bool repair, quiet;
	struct pmfs_super sbc;
	struct pmfs_sb fsb;		/* enough of a pmfs_sb for helpers */
	uint64_t nblocks, ninodes;
	uint64_t *bused, *iused;
	uint8_t *ist;
	uint32_t *links, *subdirs;
	uint64_t *dparent;
	uint8_t *onorphan;
	uint32_t *refs;			/* REFLINK: data pointers per block */
	uint64_t *noflag;		/* a data pointer without SHARED */
	uint64_t *claimed;		/* blocks claimed by the current dir */
	uint64_t nclaimed, cclaimed;
	struct rebuild *rb;
	uint32_t nrb, crb;
	struct rebuild cur;		/* entries of the current directory */
	bool cur_bad;
	uint64_t *attach;		/* to /lost+found */
	uint64_t nattach;
	bool orphan_rebuild;
	uint64_t orphans;
	void (*report)(void *, const char *);
	void (*progress)(void *, uint64_t, uint64_t);
	void *ctx;
	struct pmfs_check_result *res;
};

static void say(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct ck *c, bool fixable, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct ck *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (c->quiet || !c->report)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->report(c->ctx, buf);
}

static void problem(struct ck *c, bool fixable, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	c->res->errors++;
	if (fixable && c->repair)
		c->res->fixed++;
	if (c->quiet || !c->report)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf) - 12)
		strcat(buf, fixable && c->repair ? ": fixed" :
		       (c->repair ? ": NOT fixed" : ""));
	c->report(c->ctx, buf);
}

static void setbit(uint64_t *m, uint64_t b)
{
	m[b / 64] |= 1ULL << (b % 64);
}

static void clrbit(uint64_t *m, uint64_t b)
{
	m[b / 64] &= ~(1ULL << (b % 64));
}

static void persist_inode(struct ck *c, struct pmfs_inode *pi)
{
	(void)c;
	pi->csum = pmfs_inode_csum(pi);
	pmem_persist(pi, sizeof(*pi));
}

static void persist8(uint64_t *p, uint64_t v)
{
	*p = v;
	pmem_persist(p, 8);
}

/* ~~~~ superblock ~~~~ */
static int check_super(struct ck *c)
{
	struct pmfs_super *pri = (struct pmfs_super *)c->base;
	struct pmfs_super *bak = (struct pmfs_super *)(c->base +
				 PMFS_SB_BACKUP_BLOCK * PMFS_BLOCK_SIZE);
	char err[256], err2[256];
	int r;

	if (c->rsize < PMFS_MIN_SIZE) {
		say(c, "device too small to hold pmemfs");
		return -EINVAL;
	}
	r = pmfs_super_validate(pri, c->rsize, true, err, sizeof(err));
	if (!r) {
		c->sbc = *pri;
		if (memcmp(pri, bak, sizeof(*pri))) {
			problem(c, true, "backup superblock differs from the "
				"primary");
			if (c->repair)
				pmem_memcpy_persist(bak, pri, sizeof(*pri));
		}
		return 0;
	}
	if (pri->magic != PMFS_SB_MAGIC && bak->magic != PMFS_SB_MAGIC) {
		say(c, "%s", err);
		return -EINVAL;	/* not ours at all: operational error */
	}
	if (pmfs_super_validate(bak, c->rsize, true, err2, sizeof(err2))) {
		say(c, "superblock: %s; backup superblock: %s", err, err2);
		return -EUCLEAN;
	}
	problem(c, true, "primary superblock: %s; using the backup", err);
	c->sbc = *bak;
	if (c->repair)
		pmem_memcpy_persist(pri, bak, sizeof(*pri));
	return 0;
}

/* ~~~~ block claims ~~~~ */
static bool claim(struct ck *c, uint64_t ptr, uint64_t ino, bool dir)
{
	uint64_t b = (ptr & ~PMFS_PTR_FLAGS) / PMFS_BLOCK_SIZE;

	if (pmfs_test_bit(c->bused, b)) {
		problem(c, true, "inode %llu: block %llu is claimed twice",
			(unsigned long long)ino, (unsigned long long)b);
		return false;
	}
	setbit(c->bused, b);
	if (dir) {
		if (c->nclaimed == c->cclaimed) {
			uint64_t n = c->cclaimed ? c->cclaimed * 2 : 64;
			void *p = realloc(c->claimed, n * 8);

			if (!p)
				return true;
			c->claimed = p;
			c->cclaimed = n;
		}
		c->claimed[c->nclaimed++] = b;
	}
	return true;
}

/* Returns blocks counted under *slot; cuts bad pointers. */
static uint64_t walk_map(struct ck *c, uint64_t ino, uint64_t *slot,
			 unsigned level)
{
	uint64_t ptr = *slot, n = 1, flags = ptr & PMFS_PTR_FLAGS;
	bool data = level == 0 && c->refs;
	uint64_t b = (ptr & ~PMFS_PTR_FLAGS) / PMFS_BLOCK_SIZE;

	if (!ptr)
		return 0;
	if ((flags && !(data && flags == PMFS_PTR_SHARED)) ||
	    !pmfs_blk_ok(&c->fsb, ptr)) {
		problem(c, true, "inode %llu: invalid block pointer 0x%llx",
			(unsigned long long)ino, (unsigned long long)ptr);
		if (c->repair)
			persist8(slot, 0);
		return 0;
	}
	if (data && c->refs[b]) {
		/* another reference of a data block (reflink) */
		if (c->refs[b] < UINT32_MAX)
			c->refs[b]++;
		if (!flags)
			setbit(c->noflag, b);
		return 1;
	}
	if (!claim(c, ptr, ino, false)) {
		if (c->repair)
			persist8(slot, 0);
		return 0;
	}
	if (data) {
		c->refs[b] = 1;
		if (!flags)
			setbit(c->noflag, b);
	}
	if (level) {
		uint64_t *node = pmfs_ptr(&c->fsb, ptr);

		for (int i = 0; i < PMFS_PTRS_PER_BLOCK; i++)
			n += walk_map(c, ino, &node[i], level - 1);
	}
	return n;
}

/* ~~~~ directories ~~~~ */
static void cur_add(struct ck *c, const struct pmfs_dirent *de, uint8_t type)
{
	struct rebuild *r = &c->cur;

	if (r->n == r->cap) {
		uint32_t n = r->cap ? r->cap * 2 : 64;
		void *p = realloc(r->ents, n * sizeof(*r->ents));

		if (!p) {
			c->cur_bad = true;
			return;
		}
		r->ents = p;
		r->cap = n;
	}
	r->ents[r->n].ino = de->ino;
	r->ents[r->n].type = type;
	r->ents[r->n].len = de->name_len;
	memcpy(r->ents[r->n].name, de->name, de->name_len);
	r->ents[r->n].name[de->name_len] = 0;
	r->n++;
}

static void check_entry(struct ck *c, uint64_t dino, struct pmfs_dleaf *leaf,
			struct pmfs_dirent *de)
{
	uint64_t key, h;
	struct pmfs_inode *ti;
	uint8_t type;

	if (!de->name_len || memchr(de->name, '/', de->name_len) ||
	    memchr(de->name, 0, de->name_len) ||
	    (de->name_len == 1 && de->name[0] == '.') ||
	    (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.')) {
		problem(c, true, "directory %llu: entry with an invalid name",
			(unsigned long long)dino);
		c->cur_bad = true;
		return;
	}
	if (de->csum != pmfs_dirent_csum(de)) {
		problem(c, true, "directory %llu: entry '%.*s': bad checksum",
			(unsigned long long)dino, de->name_len, de->name);
		c->cur_bad = true;
		return;
	}
	h = pmfs_dir_hash(&c->fsb, de->name, de->name_len);
	key = h >> PMFS_DIR_HASH_SHIFT;
	if (h != de->hash || (leaf->pbits &&
	    key >> (PMFS_DIR_MAX_PBITS - leaf->pbits) != leaf->prefix)) {
		problem(c, true, "directory %llu: entry '%.*s': wrong hash or "
			"position", (unsigned long long)dino, de->name_len,
			de->name);
		c->cur_bad = true;
		return;
	}
	if (de->ino < PMFS_ROOT_INO || de->ino >= c->ninodes ||
	    c->ist[de->ino] != IS_VALID) {
		problem(c, true, "directory %llu: entry '%.*s' points to a "
			"%s inode %llu", (unsigned long long)dino, de->name_len,
			de->name, de->ino < c->ninodes && c->ist[de->ino] ==
			IS_BAD ? "damaged" : "free/invalid",
			(unsigned long long)de->ino);
		c->cur_bad = true;
		return;
	}
	ti = pmfs_pi(&c->fsb, de->ino);
	type = (uint8_t)pmfs_mode_to_dt(ti->mode);
	if (S_ISDIR(ti->mode)) {
		if (de->ino == PMFS_ROOT_INO || c->dparent[de->ino]) {
			problem(c, true, "directory %llu: entry '%.*s' is an "
				"extra link to directory %llu",
				(unsigned long long)dino, de->name_len, de->name,
				(unsigned long long)de->ino);
			c->cur_bad = true;
			return;
		}
		c->dparent[de->ino] = dino;
		c->subdirs[dino]++;
	}
	if (type != de->type) {
		problem(c, true, "directory %llu: entry '%.*s': wrong type",
			(unsigned long long)dino, de->name_len, de->name);
		c->cur_bad = true;
	}
	c->links[de->ino]++;
	cur_add(c, de, type);
}

static void walk_leaf(struct ck *c, uint64_t dino, struct pmfs_dleaf *leaf)
{
	uint32_t off = PMFS_DLEAF_HDR;

	while (off < PMFS_BLOCK_SIZE) {
		struct pmfs_dirent *de = (void *)((char *)leaf + off);
		uint32_t rl = de->rec_len;

		if (rl < PMFS_DIRENT_HDR || rl % 8 || off + rl > PMFS_BLOCK_SIZE ||
		    (de->ino && ALIGN_UP(PMFS_DIRENT_HDR + de->name_len, 8U) > rl)) {
			problem(c, true, "directory %llu: broken record chain",
				(unsigned long long)dino);
			c->cur_bad = true;
			return;
		}
		if (de->ino)
			check_entry(c, dino, leaf, de);
		off += rl;
	}
}

/* node is at level lvl (0 = referenced by the inode); its key prefix npre
 * has 9 * lvl bits.
 */
static void walk_dnode(struct ck *c, uint64_t dino, uint64_t *node, int lvl,
		       uint64_t npre)
{
	for (unsigned i = 0; i < PMFS_PTRS_PER_BLOCK;) {
		uint64_t ptr = node[i];
		unsigned j = i + 1;

		if (!ptr || !pmfs_blk_ok(&c->fsb, ptr)) {
			problem(c, true, "directory %llu: bad index pointer",
				(unsigned long long)dino);
			c->cur_bad = true;
			i++;
			continue;
		}
		if (ptr & PMFS_PTR_NODE) {
			if (lvl + 1 >= PMFS_DIR_MAX_PBITS / PMFS_MAP_SHIFT ||
			    (ptr & PMFS_PTR_FLAGS) != PMFS_PTR_NODE) {
				problem(c, true, "directory %llu: index too deep",
					(unsigned long long)dino);
				c->cur_bad = true;
			} else if (claim(c, ptr, dino, true)) {
				walk_dnode(c, dino, pmfs_ptr(&c->fsb, ptr &
					   ~PMFS_PTR_FLAGS), lvl + 1,
					   (npre << PMFS_MAP_SHIFT) | i);
			} else {
				c->cur_bad = true;
			}
			i++;
			continue;
		}
		while (j < PMFS_PTRS_PER_BLOCK && node[j] == ptr)
			j++;
		struct pmfs_dleaf *leaf = pmfs_ptr(&c->fsb, ptr & ~PMFS_PTR_FLAGS);
		unsigned base = PMFS_MAP_SHIFT * (unsigned)lvl;
		unsigned d = leaf->pbits > base ? leaf->pbits - base : 0;
		unsigned group = d && d <= PMFS_MAP_SHIFT ?
				 PMFS_PTRS_PER_BLOCK >> d : 0;

		if ((ptr & PMFS_PTR_FLAGS) || leaf->magic != PMFS_DLEAF_MAGIC ||
		    !group || i % group || j - i != group ||
		    leaf->prefix != ((npre << d) | (i >> (PMFS_MAP_SHIFT - d)))) {
			problem(c, true, "directory %llu: damaged index leaf",
				(unsigned long long)dino);
			c->cur_bad = true;
		} else if (claim(c, ptr, dino, true)) {
			walk_leaf(c, dino, leaf);
		} else {
			c->cur_bad = true;
		}
		i = j;
	}
}

static void walk_dir(struct ck *c, uint64_t dino, struct pmfs_inode *pi)
{
	uint64_t ptr = pi->root;

	c->cur.n = 0;
	c->cur.ino = dino;
	c->cur_bad = false;
	c->nclaimed = 0;
	if (ptr && !pmfs_blk_ok(&c->fsb, ptr)) {
		problem(c, true, "directory %llu: bad index root",
			(unsigned long long)dino);
		c->cur_bad = true;
	} else if (ptr & PMFS_PTR_NODE) {
		if ((ptr & PMFS_PTR_FLAGS) != PMFS_PTR_NODE ||
		    !claim(c, ptr, dino, true))
			c->cur_bad = true;
		else
			walk_dnode(c, dino, pmfs_ptr(&c->fsb, ptr &
				   ~PMFS_PTR_FLAGS), 0, 0);
	} else if (ptr) {
		struct pmfs_dleaf *leaf = pmfs_ptr(&c->fsb, ptr);

		if ((ptr & PMFS_PTR_FLAGS) || leaf->magic != PMFS_DLEAF_MAGIC ||
		    leaf->pbits != 0) {
			problem(c, true, "directory %llu: damaged index leaf",
				(unsigned long long)dino);
			c->cur_bad = true;
		} else if (claim(c, ptr, dino, true)) {
			walk_leaf(c, dino, leaf);
		} else {
			c->cur_bad = true;
		}
	}
	if (!c->cur_bad && c->cur.n != pi->dir_count) {
		problem(c, true, "directory %llu: entry count %llu, found %u",
			(unsigned long long)dino,
			(unsigned long long)pi->dir_count, c->cur.n);
		if (c->repair) {
			pi->dir_count = c->cur.n;
			persist_inode(c, pi);
		}
	}
	if (!c->cur_bad)
		return;
	/* rebuild later from the good entries; free the old index */
	for (uint64_t k = 0; k < c->nclaimed; k++)
		clrbit(c->bused, c->claimed[k]);
	if (c->nrb == c->crb) {
		uint32_t n = c->crb ? c->crb * 2 : 8;
		void *p = realloc(c->rb, n * sizeof(*c->rb));

		if (!p)
			return;
		c->rb = p;
		c->crb = n;
	}
	c->rb[c->nrb++] = c->cur;
	memset(&c->cur, 0, sizeof(c->cur));
}

/* ~~~~ inodes ~~~~ */
static bool mode_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK:
	case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

static void scan_inodes(struct ck *c)
{
	const uint64_t *pbm = (uint64_t *)(c->base + c->sbc.ibitmap_off);

	for (uint64_t ino = PMFS_ROOT_INO; ino < c->ninodes; ino++) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);
		bool marked = pmfs_test_bit(pbm, ino);

		if (!pi->mode) {
			c->ist[ino] = IS_FREE;
			continue;
		}
		if (!pmfs_inode_csum_ok(pi) || !mode_ok(pi->mode) ||
		    pi->height > PMFS_MAX_HEIGHT) {
			if (!marked) {
				c->ist[ino] = IS_FREE;	/* stale: harmless */
				continue;
			}
			problem(c, true, "inode %llu: %s; clearing it",
				(unsigned long long)ino,
				!pmfs_inode_csum_ok(pi) ? "bad checksum" :
				"invalid mode or map");
			c->ist[ino] = IS_BAD;
			continue;
		}
		if (!marked) {
			/* a valid-looking inode the bitmap calls free: a
			 * leftover of an old file unless referenced (below)
			 */
			c->ist[ino] = IS_FREE;
			continue;
		}
		c->ist[ino] = IS_VALID;
	}
}

/* ~~~~ xattr blocks ~~~~ */
/* Returns the blocks counted (0 or 1); drops a bad block's attributes. */
static uint64_t walk_xattr(struct ck *c, uint64_t ino, struct pmfs_inode *pi)
{
	uint64_t ptr = pi->xattr;
	const char *why;

	if (!ptr)
		return 0;
	if (!(c->sbc.feature_ro_compat & PMFS_FEATURE_RO_COMPAT_XATTR)) {
		why = "present without the XATTR feature";
	} else if ((ptr & PMFS_PTR_FLAGS) || !pmfs_blk_ok(&c->fsb, ptr)) {
		why = "invalid pointer";
	} else if (!claim(c, ptr, ino, false)) {
		why = "shared with another owner";
	} else {
		why = pmfs_xblock_check(pmfs_ptr(&c->fsb, ptr), ino);
		if (!why)
			return 1;
		clrbit(c->bused, ptr / PMFS_BLOCK_SIZE);	/* dropped */
	}
	problem(c, true, "inode %llu: xattr block 0x%llx: %s; dropping the "
		"extended attributes", (unsigned long long)ino,
		(unsigned long long)ptr, why);
	if (c->repair) {
		pi->xattr = 0;
		persist_inode(c, pi);
	}
	return 0;
}

static void walk_inodes(struct ck *c)
{
	for (uint64_t ino = PMFS_ROOT_INO; ino < c->ninodes; ino++) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);
		uint64_t n = 0;

		if (c->progress && !(ino & 1023))
			c->progress(c->ctx, ino, c->ninodes);
		if (c->ist[ino] != IS_VALID)
			continue;
		n = walk_xattr(c, ino, pi);
		if (S_ISDIR(pi->mode)) {
			walk_dir(c, ino, pi);
			n += c->nclaimed;
			if (c->nrb && c->rb[c->nrb - 1].ino == ino)
				n = pi->blocks;		/* rebuilt later */
		} else if (S_ISREG(pi->mode) ||
			   (S_ISLNK(pi->mode) && !(pi->iflags & PMFS_IF_INLINE))) {
			n += walk_map(c, ino, &pi->root, pi->height);
		}
		if (n != pi->blocks) {
			problem(c, true, "inode %llu: block count %llu, found "
				"%llu", (unsigned long long)ino,
				(unsigned long long)pi->blocks,
				(unsigned long long)n);
			if (c->repair) {
				pi->blocks = n;
				persist_inode(c, pi);
			}
		}
	}
}

static bool reachable(struct ck *c, uint64_t ino)
{
	for (uint64_t steps = 0; steps < c->ninodes; steps++) {
		if (ino == PMFS_ROOT_INO)
			return true;
		ino = c->dparent[ino];
		if (!ino)
			return false;
	}
	return false;
}

static void check_orphans(struct ck *c)
{
	struct pmfs_sb_dyn *dyn = (void *)(c->base +
				  PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);
	uint64_t ino = dyn->orphan_head, prev = 0, steps = 0;

	while (ino) {
		struct pmfs_inode *pi;

		if (ino >= c->ninodes || ino < PMFS_ROOT_INO ||
		    c->ist[ino] != IS_VALID || c->onorphan[ino] ||
		    ++steps > c->ninodes) {
			problem(c, true, "orphan list is damaged");
			c->orphan_rebuild = true;
			return;
		}
		pi = pmfs_pi(&c->fsb, ino);
		if (pi->orphan_prev != prev) {
			problem(c, true, "orphan list: bad back link at inode "
				"%llu", (unsigned long long)ino);
			c->orphan_rebuild = true;
			return;
		}
		c->onorphan[ino] = 1;
		prev = ino;
		ino = pi->orphan_next;
	}
}

static void check_links(struct ck *c)
{
	struct pmfs_inode *root = pmfs_pi(&c->fsb, PMFS_ROOT_INO);

	if (c->ist[PMFS_ROOT_INO] != IS_VALID || !S_ISDIR(root->mode)) {
		problem(c, true, "root directory is damaged: recreating it");
		if (c->repair) {
			memset(root, 0, sizeof(*root));
			root->mode = S_IFDIR | 0755;
			root->nlink = 2;
			root->parent = PMFS_ROOT_INO;
			pmfs_now(&root->ctime);
			root->mtime = root->atime = root->btime = root->ctime;
			persist_inode(c, root);
		}
		c->ist[PMFS_ROOT_INO] = IS_VALID;
	}
	for (uint64_t ino = PMFS_ROOT_INO; ino < c->ninodes; ino++) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);
		bool isdir = S_ISDIR(pi->mode);
		uint64_t want;

		if (c->ist[ino] != IS_VALID)
			continue;
		if (ino != PMFS_ROOT_INO && !c->links[ino]) {
			if (!pi->nlink || (S_ISREG(pi->mode) && !pi->size &&
					   !pi->blocks)) {
				/* an orphan: released at mount */
				c->orphans++;
				if (!c->onorphan[ino]) {
					problem(c, true, "inode %llu: unlinked "
						"but not on the orphan list",
						(unsigned long long)ino);
					c->orphan_rebuild = true;
				}
				if (pi->nlink && c->repair) {
					pi->nlink = 0;
					persist_inode(c, pi);
				}
				continue;
			}
			problem(c, true, "inode %llu is not in any directory: "
				"moving it to /lost+found",
				(unsigned long long)ino);
			c->attach[c->nattach++] = ino;
			c->links[ino] = 1;
			if (isdir)
				c->dparent[ino] = PMFS_ROOT_INO; /* via l+f */
		}
		if (isdir && ino != PMFS_ROOT_INO && !reachable(c, ino))
			problem(c, false, "directory %llu is not reachable from "
				"the root (loop)", (unsigned long long)ino);
		want = isdir ? 2 + c->subdirs[ino] : c->links[ino];
		if (pi->nlink != want) {
			problem(c, true, "inode %llu: link count %u, should be "
				"%llu", (unsigned long long)ino, pi->nlink,
				(unsigned long long)want);
			if (c->repair) {
				pi->nlink = (uint32_t)want;
				persist_inode(c, pi);
			}
		}
		if (isdir && ino != PMFS_ROOT_INO && c->dparent[ino] &&
		    pi->parent != c->dparent[ino] && !c->onorphan[ino]) {
			bool attached = false;

			for (uint64_t k = 0; k < c->nattach; k++)
				attached |= c->attach[k] == ino;
			if (!attached) {
				problem(c, true, "directory %llu: '..' is %llu, "
					"should be %llu",
					(unsigned long long)ino,
					(unsigned long long)pi->parent,
					(unsigned long long)c->dparent[ino]);
				if (c->repair) {
					pi->parent = c->dparent[ino];
					persist_inode(c, pi);
				}
			}
		}
		if (c->onorphan[ino] && pi->nlink && c->links[ino])
			c->orphans++;	/* truncate pending */
	}
}

static void rebuild_orphans(struct ck *c)
{
	struct pmfs_sb_dyn *dyn = (void *)(c->base +
				  PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);
	uint64_t head = 0;

	for (uint64_t ino = c->ninodes; ino-- > PMFS_ROOT_INO + 1;) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);
		bool want = c->ist[ino] == IS_VALID && !pi->nlink;

		if (!want) {
			if (c->ist[ino] == IS_VALID &&
			    (pi->orphan_next || pi->orphan_prev)) {
				pi->orphan_next = pi->orphan_prev = 0;
				pmem_persist(&pi->orphan_next, 16);
			}
			continue;
		}
		pi->orphan_next = head;
		pi->orphan_prev = 0;
		if (head)
			pmfs_pi(&c->fsb, head)->orphan_prev = ino;
		pmem_persist(&pi->orphan_next, 16);
		head = ino;
	}
	if (head)
		pmem_persist(&pmfs_pi(&c->fsb, head)->orphan_next, 16);
	persist8(&dyn->orphan_head, head);
}

/* ~~~~ refcounts (INCOMPAT_REFLINK) ~~~~ */

/* Set PMFS_PTR_SHARED on the data pointers of shared blocks. */
static void fix_flags(struct ck *c, uint64_t *slot, unsigned level)
{
	uint64_t ptr = *slot, b = (ptr & ~PMFS_PTR_FLAGS) / PMFS_BLOCK_SIZE;

	if (!ptr || !pmfs_blk_ok(&c->fsb, ptr))
		return;
	if (!level) {
		if (c->refs[b] > 1 && !(ptr & PMFS_PTR_SHARED))
			persist8(slot, ptr | PMFS_PTR_SHARED);
		return;
	}
	for (int i = 0; i < PMFS_PTRS_PER_BLOCK; i++)
		fix_flags(c, (uint64_t *)pmfs_ptr(&c->fsb, ptr &
			  ~PMFS_PTR_FLAGS) + i, level - 1);
}

static void check_refcounts(struct ck *c)
{
	uint32_t *t = (uint32_t *)(c->base + c->sbc.refcount_off);
	uint64_t bad = 0, unflagged = 0;

	if (!c->refs)
		return;
	for (uint64_t b = 0; b < c->nblocks; b++) {
		uint32_t want = c->refs[b] > 1 ? c->refs[b] : 0;

		if (c->refs[b] > 1 && pmfs_test_bit(c->noflag, b))
			unflagged++;
		if (t[b] == want)
			continue;
		if (bad++ < 10)
			problem(c, true, "block %llu: refcount %u, %u "
				"references found", (unsigned long long)b,
				t[b], c->refs[b]);
		if (c->repair) {
			t[b] = want;
			pmem_persist(&t[b], sizeof(*t));
		}
	}
	if (bad > 10)
		problem(c, true, "%llu more blocks with a wrong refcount",
			(unsigned long long)bad - 10);
	if (!unflagged)
		return;
	problem(c, true, "%llu shared blocks have pointers without the "
		"shared flag", (unsigned long long)unflagged);
	if (!c->repair)
		return;
	for (uint64_t ino = PMFS_ROOT_INO; ino < c->ninodes; ino++) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);
		uint64_t root = pi->root;

		if (c->ist[ino] != IS_VALID || !S_ISREG(pi->mode) ||
		    pi->height > PMFS_MAX_HEIGHT)
			continue;
		fix_flags(c, &pi->root, pi->height);
		if (pi->root != root)
			persist_inode(c, pi);	/* the root is in the inode */
	}
}

/* ~~~~ bitmaps ~~~~ */
static void compare_bitmap(struct ck *c, const char *what, uint64_t *media,
			   const uint64_t *want, uint64_t nbits, uint64_t words)
{
	uint64_t leaked = 0, missing = 0, first_l = 0, first_m = 0;

	for (uint64_t b = 0; b < nbits; b++) {
		int m = pmfs_test_bit(media, b), w = pmfs_test_bit(want, b);

		if (m && !w && !leaked++)
			first_l = b;
		if (!m && w && !missing++)
			first_m = b;
	}
	if (leaked)
		problem(c, true, "%llu %s marked in use but unused (first %llu)",
			(unsigned long long)leaked, what,
			(unsigned long long)first_l);
	if (missing)
		problem(c, true, "%llu %s in use but marked free (first %llu)",
			(unsigned long long)missing, what,
			(unsigned long long)first_m);
	if ((leaked || missing) && c->repair)
		pmem_memcpy_persist(media, want, words * 8);
}

static void check_bitmaps(struct ck *c)
{
	uint64_t iw = (uint64_t)c->sbc.ibitmap_blocks * PMFS_BLOCK_SIZE / 8;
	uint64_t bw = (uint64_t)c->sbc.bbitmap_blocks * PMFS_BLOCK_SIZE / 8;

	for (uint64_t ino = 0; ino < c->ninodes; ino++)
		if (ino <= PMFS_ROOT_INO || c->ist[ino] == IS_VALID)
			setbit(c->iused, ino);
	for (uint64_t b = c->ninodes; b < iw * 64; b++)
		setbit(c->iused, b);
	for (uint64_t b = 0; b < c->sbc.data_off / PMFS_BLOCK_SIZE; b++)
		setbit(c->bused, b);
	for (uint64_t b = c->nblocks; b < bw * 64; b++)
		setbit(c->bused, b);
	compare_bitmap(c, "inodes",
		       (uint64_t *)(c->base + c->sbc.ibitmap_off), c->iused,
		       c->ninodes, iw);
	compare_bitmap(c, "blocks",
		       (uint64_t *)(c->base + c->sbc.bbitmap_off), c->bused,
		       c->nblocks, bw);
	c->res->inodes_used = 0;
	for (uint64_t ino = PMFS_ROOT_INO; ino < c->ninodes; ino++)
		c->res->inodes_used += c->ist[ino] == IS_VALID;
	c->res->blocks_used = 0;
	for (uint64_t b = c->sbc.data_off / PMFS_BLOCK_SIZE; b < c->nblocks; b++)
		c->res->blocks_used += pmfs_test_bit(c->bused, b);
}

static void clear_bad_inodes(struct ck *c)
{
	for (uint64_t ino = PMFS_ROOT_INO + 1; ino < c->ninodes; ino++) {
		struct pmfs_inode *pi = pmfs_pi(&c->fsb, ino);

		if (c->ist[ino] == IS_VALID)
			continue;
		if (pi->mode && (c->ist[ino] == IS_BAD ||
		    !pmfs_test_bit((uint64_t *)(c->base + c->sbc.ibitmap_off),
				   ino))) {
			pmem_memset_persist(pi, 0, sizeof(*pi));
		}
	}
}

/* ~~~~ repairs on a mounted image ~~~~ */
static int mounted_repairs(struct ck *c, bool is_pmem)
{
	struct pmfs_sb *sb;
	struct pmfs_ii *root = NULL, *lf = NULL;
	char err[256];
	uint64_t lfino;
	int r;

	r = pmfs_mount(c->base, c->rsize, is_pmem, 0, &sb, err, sizeof(err));
	if (r) {
		say(c, "cannot mount for repairs: %s", err);
		return r;
	}
	if (sb->mi.orphans_released)
		say(c, "released %u orphan inodes", sb->mi.orphans_released);
	for (uint32_t i = 0; i < c->nrb && !r; i++) {
		struct rebuild *rb = &c->rb[i];
		struct pmfs_inode *pi = pmfs_pi(sb, rb->ino);
		struct pmfs_tx tx;

		r = pmfs_tx_begin(sb, &tx);
		if (r)
			break;
		r = pmfs_tx_add_inode(&tx, pi);
		if (!r) {
			pi->root = 0;
			pi->blocks = pi->xattr ? 1 : 0;	/* the xattr block */
			pi->dir_count = 0;
		}
		r = pmfs_tx_end(&tx, r);
		for (uint32_t k = 0; k < rb->n && !r; k++) {
			r = pmfs_tx_begin(sb, &tx);
			if (r)
				break;
			r = pmfs_dir_add(&tx, pi, rb->ino, rb->ents[k].name,
					 rb->ents[k].len, rb->ents[k].ino,
					 rb->ents[k].type);
			r = pmfs_tx_end(&tx, r);
		}
		if (!r)
			say(c, "directory %llu rebuilt with %u entries",
			    (unsigned long long)rb->ino, rb->n);
	}
	if (!r && c->nattach) {
		r = pmfs_iget(sb, PMFS_ROOT_INO, &root);
		if (!r)
			r = pmfs_lookup(root, "lost+found", 10, &lfino);
		if (r == -ENOENT) {
			struct pmfs_new n = { .mode = S_IFDIR | 0700 };

			r = pmfs_create(root, "lost+found", 10, &n, &lf);
		} else if (!r) {
			r = pmfs_iget(sb, lfino, &lf);
			if (!r && !S_ISDIR(lf->pi->mode))
				r = -ENOTDIR;
		}
		for (uint64_t k = 0; k < c->nattach && !r; k++) {
			uint64_t ino = c->attach[k];
			struct pmfs_inode *pi = pmfs_pi(sb, ino);
			struct pmfs_tx tx;
			char name[32];

			snprintf(name, sizeof(name), "#%llu",
				 (unsigned long long)ino);
			r = pmfs_tx_begin(sb, &tx);
			if (r)
				break;
			r = pmfs_dir_add(&tx, lf->pi, lf->ino, name, strlen(name),
					 ino, pmfs_mode_to_dt(pi->mode));
			if (!r && S_ISDIR(pi->mode)) {
				r = pmfs_tx_add_inode(&tx, pi);
				if (!r)
					r = pmfs_tx_add_inode(&tx, lf->pi);
				if (!r) {
					pi->parent = lf->ino;
					lf->pi->nlink++;
				}
			}
			r = pmfs_tx_end(&tx, r);
		}
		if (r)
			say(c, "cannot attach to /lost+found: %s", strerror(-r));
	}
	pmfs_iput(lf);
	pmfs_iput(root);
	pmfs_unmount(sb);
	return r;
}

static void ck_free(struct ck *c)
{
	free(c->bused);
	free(c->iused);
	free(c->ist);
	free(c->links);
	free(c->subdirs);
	free(c->dparent);
	free(c->onorphan);
	free(c->claimed);
	free(c->refs);
	free(c->noflag);
	free(c->attach);
	for (uint32_t i = 0; i < c->nrb; i++)
		free(c->rb[i].ents);
	free(c->rb);
	free(c->cur.ents);
}

static int check_pass(struct ck *c, bool is_pmem, bool private_map)
{
	struct pmfs_sb_dyn *dyn;
	int r;

	r = check_super(c);
	if (r)
		return r;
	c->nblocks = c->sbc.nblocks;
	c->ninodes = c->sbc.ninodes;
	c->fsb.base = c->base;
	c->fsb.ps = &c->sbc;
	c->fsb.nblocks = c->nblocks;
	c->fsb.ninodes = c->ninodes;
	c->fsb.itable = (void *)(c->base + c->sbc.itable_off);
	c->fsb.hkey[0] = c->sbc.hash_seed[0];
	c->fsb.hkey[1] = c->sbc.hash_seed[1];
	dyn = (void *)(c->base + PMFS_DYN_BLOCK * PMFS_BLOCK_SIZE);

	r = pmfs_journal_recover(c->base, &c->sbc, true);
	if (r == -EUCLEAN) {
		problem(c, true, "journal slot headers are damaged");
		if (c->repair || private_map)
			pmfs_journal_recover(c->base, &c->sbc, false);
	} else if (r > 0) {
		if (c->repair || private_map) {
			say(c, "journal: rolled back %d unfinished "
			    "transaction(s)", r);
			pmfs_journal_recover(c->base, &c->sbc, false);
			c->res->journal_replayed = (uint32_t)r;
		} else {
			problem(c, false, "journal holds %d unfinished "
				"transaction(s): mount or run fsck -y first", r);
		}
	} else if (r < 0) {
		return r;
	}
	r = 0;	/* a rollback count is not this pass's result */
	if (dyn->state != PMFS_STATE_CLEAN)
		say(c, "filesystem was not cleanly unmounted");

	c->bused = calloc(c->sbc.bbitmap_blocks, PMFS_BLOCK_SIZE);
	c->iused = calloc(c->sbc.ibitmap_blocks, PMFS_BLOCK_SIZE);
	c->ist = calloc(c->ninodes, 1);
	c->links = calloc(c->ninodes, 4);
	c->subdirs = calloc(c->ninodes, 4);
	c->dparent = calloc(c->ninodes, 8);
	c->onorphan = calloc(c->ninodes, 1);
	c->attach = calloc(c->ninodes, 8);
	if (!c->bused || !c->iused || !c->ist || !c->links || !c->subdirs ||
	    !c->dparent || !c->onorphan || !c->attach)
		return -ENOMEM;
	if (c->sbc.feature_incompat & PMFS_FEATURE_INCOMPAT_REFLINK) {
		c->refs = calloc(c->nblocks, 4);
		c->noflag = calloc(c->sbc.bbitmap_blocks, PMFS_BLOCK_SIZE);
		if (!c->refs || !c->noflag)
			return -ENOMEM;
	}

	scan_inodes(c);
	walk_inodes(c);
	check_orphans(c);
	check_links(c);
	if (c->repair) {
		clear_bad_inodes(c);
		if (c->orphan_rebuild)
			rebuild_orphans(c);
	}
	check_refcounts(c);
	check_bitmaps(c);
	if (c->progress)
		c->progress(c->ctx, c->ninodes, c->ninodes);
	if (c->orphans)
		say(c, "%llu orphan inode(s) pending release at mount",
		    (unsigned long long)c->orphans);
	if (c->repair && (c->nrb || c->nattach || c->orphans))
		r = mounted_repairs(c, is_pmem);
	return r;
}

int pmfs_check(void *base, uint64_t region_size, int is_pmem, unsigned flags,
	       void (*report)(void *ctx, const char *msg),
	       void (*progress)(void *ctx, uint64_t done, uint64_t total),
	       void *ctx, struct pmfs_check_result *res)
{
	struct ck c = {
		.base = base, .rsize = region_size,
		.repair = flags & PMFS_CHECK_REPAIR,
		.quiet = flags & PMFS_CHECK_QUIET,
		.report = report, .progress = progress, .ctx = ctx, .res = res,
	};
	struct pmfs_check_result again = { 0 };
	int r;

	memset(res, 0, sizeof(*res));
	r = check_pass(&c, is_pmem, flags & PMFS_CHECK_PRIVATE);
	ck_free(&c);
	if (r || !c.repair || !res->errors)
		return r;
	/* verify the repairs */
	memset(&c, 0, sizeof(c));
	c.base = base;
	c.rsize = region_size;
	c.quiet = false;
	c.report = report;
	c.ctx = ctx;
	c.res = &again;
	r = check_pass(&c, is_pmem, false);
	ck_free(&c);
	if (!r && again.errors) {
		say(&c, "%u problem(s) remain after repair", again.errors);
		res->fixed = res->fixed > again.errors ?
			     res->fixed - again.errors : 0;
	}
	res->inodes_used = again.inodes_used;
	res->blocks_used = again.blocks_used;
	return r;
}
