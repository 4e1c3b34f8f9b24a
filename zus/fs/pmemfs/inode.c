// SPDX-License-Identifier: BSD-3-Clause
/*
 * inode.c - inodes: the table on pmem, the DRAM cache of inodes in use,
 * the orphan list, release of unlinked inodes, getattr/setattr.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "pmfs_int.h"

#define IHASH_SIZE	4096U

int pmfs_icache_init(struct pmfs_sb *sb)
{
	sb->ihash_size = IHASH_SIZE;
	sb->ihash = calloc(IHASH_SIZE, sizeof(*sb->ihash));
	if (!sb->ihash)
		return -ENOMEM;
	pthread_mutex_init(&sb->icache_lock, NULL);
	return 0;
}

static void ii_free(struct pmfs_ii *ii)
{
	pthread_rwlock_destroy(&ii->lock);
	free(ii);
}

void pmfs_icache_fini(struct pmfs_sb *sb)
{
	if (!sb->ihash)
		return;
	for (uint32_t i = 0; i < sb->ihash_size; i++) {
		while (sb->ihash[i]) {
			struct pmfs_ii *ii = sb->ihash[i];

			sb->ihash[i] = ii->hnext;
			ii_free(ii);
		}
	}
	free(sb->ihash);
	sb->ihash = NULL;
	pthread_mutex_destroy(&sb->icache_lock);
}

static uint32_t ihash(const struct pmfs_sb *sb, uint64_t ino)
{
	return (uint32_t)((ino * 0x9E3779B97F4A7C15ULL) >> 40) % sb->ihash_size;
}

static int iget_common(struct pmfs_sb *sb, uint64_t ino, bool allow_unlinked,
		       struct pmfs_ii **iip)
{
	struct pmfs_ii *ii, **bucket;
	struct pmfs_inode *pi;

	if (!pmfs_ino_ok(sb, ino))
		return -ESTALE;
	pi = pmfs_pi(sb, ino);
	pthread_mutex_lock(&sb->icache_lock);
	bucket = &sb->ihash[ihash(sb, ino)];
	for (ii = *bucket; ii; ii = ii->hnext)
		if (ii->ino == ino) {
			ii->refcount++;
			pthread_mutex_unlock(&sb->icache_lock);
			*iip = ii;
			return 0;
		}
	if (!pmfs_test_bit(sb->ibm.map, ino) || !pi->mode ||
	    (!pi->nlink && !allow_unlinked)) {
		pthread_mutex_unlock(&sb->icache_lock);
		return -ESTALE;
	}
	if (!pmfs_inode_csum_ok(pi)) {
		pthread_mutex_unlock(&sb->icache_lock);
		return -EUCLEAN;
	}
	ii = calloc(1, sizeof(*ii));
	if (!ii) {
		pthread_mutex_unlock(&sb->icache_lock);
		return -ENOMEM;
	}
	ii->sb = sb;
	ii->ino = ino;
	ii->pi = pi;
	ii->refcount = 1;
	pthread_rwlock_init(&ii->lock, NULL);
	ii->hnext = *bucket;
	*bucket = ii;
	sb->icount++;
	pthread_mutex_unlock(&sb->icache_lock);
	*iip = ii;
	return 0;
}

int pmfs_iget(struct pmfs_sb *sb, uint64_t ino, struct pmfs_ii **iip)
{
	return iget_common(sb, ino, false, iip);
}

int pmfs_iget_any(struct pmfs_sb *sb, uint64_t ino, struct pmfs_ii **iip)
{
	return iget_common(sb, ino, true, iip);
}

struct pmfs_ii *pmfs_ii_new(struct pmfs_sb *sb, uint64_t ino)
{
	struct pmfs_ii *ii;

	return iget_common(sb, ino, true, &ii) ? NULL : ii;
}

struct pmfs_ii *pmfs_igrab(struct pmfs_ii *ii)
{
	pthread_mutex_lock(&ii->sb->icache_lock);
	ii->refcount++;
	pthread_mutex_unlock(&ii->sb->icache_lock);
	return ii;
}

void pmfs_iput(struct pmfs_ii *ii)
{
	struct pmfs_sb *sb;
	struct pmfs_ii **pp;

	if (!ii)
		return;
	sb = ii->sb;
	pthread_mutex_lock(&sb->icache_lock);
	if (--ii->refcount) {
		pthread_mutex_unlock(&sb->icache_lock);
		return;
	}
	for (pp = &sb->ihash[ihash(sb, ii->ino)]; *pp; pp = &(*pp)->hnext)
		if (*pp == ii) {
			*pp = ii->hnext;
			break;
		}
	sb->icount--;
	pthread_mutex_unlock(&sb->icache_lock);
	if (!sb->rdonly && ii->pi->mode && !ii->pi->nlink)
		pmfs_inode_release(sb, ii->ino);	/* else: next mount */
	ii_free(ii);
}

uint64_t pmfs_ino(const struct pmfs_ii *ii)
{
	return ii->ino;
}

struct pmfs_sb *pmfs_ii_sb(const struct pmfs_ii *ii)
{
	return ii->sb;
}

void **pmfs_ii_private(struct pmfs_ii *ii)
{
	return &ii->priv;
}

/* ~~~~ locking several inodes: ascending ino, duplicates once ~~~~ */
static int ii_cmp(const void *a, const void *b)
{
	const struct pmfs_ii *x = *(struct pmfs_ii * const *)a;
	const struct pmfs_ii *y = *(struct pmfs_ii * const *)b;

	if (!x || !y)
		return !x - !y;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void pmfs_lock_many(struct pmfs_ii **v, int n)
{
	struct pmfs_ii *s[8];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), ii_cmp);
	for (int i = 0; i < n; i++)
		if (s[i] && (i == 0 || s[i] != s[i - 1]))
			pthread_rwlock_wrlock(&s[i]->lock);
}

void pmfs_unlock_many(struct pmfs_ii **v, int n)
{
	struct pmfs_ii *s[8];

	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), ii_cmp);
	for (int i = 0; i < n; i++)
		if (s[i] && (i == 0 || s[i] != s[i - 1]))
			pthread_rwlock_unlock(&s[i]->lock);
}

void pmfs_lock2(struct pmfs_ii *a, struct pmfs_ii *b)
{
	struct pmfs_ii *v[2] = { a, b };

	pmfs_lock_many(v, 2);
}

void pmfs_unlock2(struct pmfs_ii *a, struct pmfs_ii *b)
{
	struct pmfs_ii *v[2] = { a, b };

	pmfs_unlock_many(v, 2);
}

/* ~~~~ allocation ~~~~ */
int pmfs_inode_alloc(struct pmfs_tx *tx, uint32_t mode, uint32_t uid,
		     uint32_t gid, uint32_t rdev, uint64_t *ino)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_inode *pi;
	int err = pmfs_alloc_ino(tx, ino);

	if (err)
		return err;
	pi = pmfs_pi(sb, *ino);
	err = pmfs_tx_add_inode(tx, pi);
	if (err)
		return err;
	memset(pi, 0, PMFS_INODE_CORE);
	pi->mode = mode;
	pi->uid = uid;
	pi->gid = gid;
	pi->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	pi->nlink = S_ISDIR(mode) ? 2 : 1;
	pi->generation = atomic_fetch_add(&sb->gen_counter, 1);
	pmfs_now(&pi->btime);
	pi->atime = pi->mtime = pi->ctime = pi->btime;
	return 0;
}

/* ~~~~ orphan list: doubly linked through the inodes, head in sb_dyn ~~~~
 * The orphan lock is taken by the first list change of a transaction and
 * held until it commits or aborts, so no two uncommitted transactions
 * ever touch the list.
 */
static void orphan_lock(struct pmfs_tx *tx)
{
	if (!tx->orphan_locked) {
		pthread_mutex_lock(&tx->sb->orphan_lock);
		tx->orphan_locked = true;
	}
}

bool pmfs_orphan_on_list(struct pmfs_sb *sb, uint64_t ino)
{
	bool r;

	pthread_mutex_lock(&sb->orphan_lock);
	r = pmfs_pi(sb, ino)->orphan_prev || sb->dyn->orphan_head == ino;
	pthread_mutex_unlock(&sb->orphan_lock);
	return r;
}

int pmfs_orphan_add(struct pmfs_tx *tx, uint64_t ino)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_inode *pi = pmfs_pi(sb, ino);
	uint64_t head;
	int err;

	orphan_lock(tx);
	head = sb->dyn->orphan_head;
	if (head == ino || pi->orphan_prev)
		return 0;
	err = pmfs_tx_add(tx, &pi->orphan_next, 16);
	if (!err && head)
		err = pmfs_tx_add(tx, &pmfs_pi(sb, head)->orphan_prev, 8);
	if (!err)
		err = pmfs_tx_add(tx, &sb->dyn->orphan_head, 8);
	if (err)
		return err;
	pi->orphan_next = head;
	pi->orphan_prev = 0;
	if (head)
		pmfs_pi(sb, head)->orphan_prev = ino;
	sb->dyn->orphan_head = ino;
	return 0;
}

int pmfs_orphan_del(struct pmfs_tx *tx, uint64_t ino)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_inode *pi = pmfs_pi(sb, ino);
	uint64_t next, prev;
	int err;

	orphan_lock(tx);
	next = pi->orphan_next;
	prev = pi->orphan_prev;
	if (!prev && sb->dyn->orphan_head != ino)
		return 0;	/* not listed */
	if ((next && !pmfs_ino_ok(sb, next)) || (prev && !pmfs_ino_ok(sb, prev)))
		return -EUCLEAN;
	err = pmfs_tx_add(tx, &pi->orphan_next, 16);
	if (!err)
		err = prev ? pmfs_tx_add(tx, &pmfs_pi(sb, prev)->orphan_next, 8) :
			     pmfs_tx_add(tx, &sb->dyn->orphan_head, 8);
	if (!err && next)
		err = pmfs_tx_add(tx, &pmfs_pi(sb, next)->orphan_prev, 8);
	if (err)
		return err;
	if (prev)
		pmfs_pi(sb, prev)->orphan_next = next;
	else
		sb->dyn->orphan_head = next;
	if (next)
		pmfs_pi(sb, next)->orphan_prev = prev;
	pi->orphan_next = pi->orphan_prev = 0;
	return 0;
}

/* Free everything of an unlinked inode, in as many transactions as it
 * takes; the last one frees the inode and takes it off the orphan list.
 */
int pmfs_inode_release(struct pmfs_sb *sb, uint64_t ino)
{
	struct pmfs_inode *pi = pmfs_pi(sb, ino);
	int r, err;

	for (;;) {
		struct pmfs_tx tx;

		err = pmfs_tx_begin(sb, &tx);
		if (err)
			return err;
		if (S_ISDIR(pi->mode))
			r = pmfs_dir_free(&tx, pi);
		else if (S_ISREG(pi->mode) || S_ISLNK(pi->mode))
			r = pmfs_map_truncate(&tx, pi, 0);
		else
			r = 1;
		if (r == 1) {
			r = pmfs_tx_add_inode(&tx, pi);
			if (!r)
				r = pmfs_xattr_drop(&tx, pi);
			if (!r)
				r = pmfs_orphan_del(&tx, ino);
			if (!r)
				r = pmfs_free_ino(&tx, ino);
			if (!r) {
				uint32_t gen = pi->generation;

				memset(pi, 0, PMFS_INODE_CORE);
				pi->generation = gen;
				r = 1;
			}
		}
		err = pmfs_tx_end(&tx, r < 0 ? r : 0);
		if (err)
			return err;
		if (r == 1)
			return 0;
		pmfs_crash_point("release: between transactions");
	}
}

/* Mount: finish what unclean stops left on the orphan list. */
int pmfs_orphans_process(struct pmfs_sb *sb)
{
	uint64_t ino = sb->dyn->orphan_head, steps = 0;
	int err;

	while (ino) {
		struct pmfs_inode *pi;
		uint64_t next;

		if (!pmfs_ino_ok(sb, ino) || ++steps > sb->ninodes ||
		    !pmfs_pi(sb, ino)->mode ||
		    !pmfs_test_bit(sb->ibm.map, ino))
			return -EUCLEAN;
		pi = pmfs_pi(sb, ino);
		next = pi->orphan_next;
		if (!pi->nlink) {
			err = pmfs_inode_release(sb, ino);
		} else {
			struct pmfs_tx tx;

			err = pmfs_truncate(sb, ino, pi->size);
			if (!err)
				err = pmfs_tx_begin(sb, &tx);
			if (!err)
				err = pmfs_tx_end(&tx, pmfs_orphan_del(&tx, ino));
		}
		if (err)
			return err;
		sb->mi.orphans_released++;
		ino = next;
	}
	return 0;
}

/* ~~~~ attributes ~~~~ */
int pmfs_getattr(struct pmfs_ii *ii, struct pmfs_attr *a)
{
	struct pmfs_inode *pi = ii->pi;

	pthread_rwlock_rdlock(&ii->lock);
	a->ino = ii->ino;
	a->size = pi->size;
	a->blocks = pi->blocks * (PMFS_BLOCK_SIZE / 512);
	a->generation = pi->generation;
	a->mode = pi->mode;
	a->nlink = pi->nlink;
	a->uid = pi->uid;
	a->gid = pi->gid;
	a->rdev = pi->rdev;
	a->flags = pi->flags;
	a->atime = pi->atime;
	a->mtime = pi->mtime;
	a->ctime = pi->ctime;
	a->btime = pi->btime;
	pthread_rwlock_unlock(&ii->lock);
	return 0;
}

int pmfs_setattr(struct pmfs_ii *ii, const struct pmfs_attr *a, uint32_t valid)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	struct pmfs_tx tx;
	int err = 0;

	if (valid & ~(PMFS_ATTR_MODE | PMFS_ATTR_UID | PMFS_ATTR_GID |
		      PMFS_ATTR_SIZE | PMFS_ATTR_ATIME | PMFS_ATTR_MTIME |
		      PMFS_ATTR_CTIME | PMFS_ATTR_FLAGS))
		return -EINVAL;
	if (sb->rdonly)
		return -EROFS;
	if (valid & PMFS_ATTR_SIZE) {
		if (S_ISDIR(pi->mode))
			return -EISDIR;
		if (!S_ISREG(pi->mode))
			return -EINVAL;
		if (a->size > PMFS_MAX_FILE_SIZE)
			return -EFBIG;
	}
	if ((valid & PMFS_ATTR_ATIME && a->atime.nsec >= 1000000000U) ||
	    (valid & PMFS_ATTR_MTIME && a->mtime.nsec >= 1000000000U) ||
	    (valid & PMFS_ATTR_CTIME && a->ctime.nsec >= 1000000000U))
		return -EINVAL;
	pthread_rwlock_wrlock(&ii->lock);
	if (valid & PMFS_ATTR_SIZE) {
		err = pmfs_truncate(sb, ii->ino, a->size);
		if (err)
			goto out;
	}
	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	err = pmfs_tx_add_inode(&tx, pi);
	if (!err) {
		if (valid & PMFS_ATTR_MODE)
			pi->mode = (pi->mode & S_IFMT) | (a->mode & 07777);
		if (valid & PMFS_ATTR_UID)
			pi->uid = a->uid;
		if (valid & PMFS_ATTR_GID)
			pi->gid = a->gid;
		if (valid & PMFS_ATTR_ATIME)
			pi->atime = a->atime;
		if (valid & PMFS_ATTR_MTIME)
			pi->mtime = a->mtime;
		if (valid & PMFS_ATTR_FLAGS)
			pi->flags = a->flags;
		if (valid & PMFS_ATTR_CTIME)
			pi->ctime = a->ctime;
		else
			pmfs_now(&pi->ctime);
		pi->version++;
	}
	err = pmfs_tx_end(&tx, err);
out:
	pthread_rwlock_unlock(&ii->lock);
	return err;
}
