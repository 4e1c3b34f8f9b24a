// SPDX-License-Identifier: BSD-3-Clause
/*
 * xattr.c - extended attributes (and so POSIX ACLs): one 4 KiB block per
 * inode, named by inode.xattr (FORMAT.md, "Extended attributes").
 *
 * A change builds the new block in DRAM, writes it to a freshly
 * allocated block (unlogged, flushed at commit) and swaps inode.xattr in
 * the same transaction that frees the old block, so a crash leaves the
 * old or the new set of attributes, never a mix. The block counts in
 * inode.blocks (st_blocks) and in statfs like any other.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "pmfs_int.h"

#ifndef ENODATA
#define ENODATA 61
#endif

#define XATTR_CREATE_FL		1U	/* = ZUFS_XATTR_CREATE */
#define XATTR_REPLACE_FL	2U	/* = ZUFS_XATTR_REPLACE */
#define XATTR_REMOVE_FL		4U	/* = ZUFS_XATTR_REMOVE */

static size_t xentry_size(size_t name_len, size_t value_len)
{
	return ALIGN_UP(PMFS_XENTRY_HDR + name_len + value_len, 4);
}

uint32_t pmfs_xblock_csum(const struct pmfs_xblock *xb)
{
	struct pmfs_xblock h = *xb;
	uint32_t crc;

	h.csum = 0;
	crc = pmfs_crc32c(0, &h, sizeof(h));
	return pmfs_crc32c(crc, xb + 1, xb->used);
}

/* Is the block of ino sound? Returns NULL or a one-line reason. */
const char *pmfs_xblock_check(const struct pmfs_xblock *xb, uint64_t ino)
{
	const char *p = (const char *)(xb + 1), *end;
	uint32_t n = 0;

	if (xb->magic != PMFS_XBLOCK_MAGIC)
		return "bad magic";
	if (xb->ino != ino)
		return "owned by another inode";
	if (xb->used > PMFS_XATTR_SPACE || !xb->used || !xb->count)
		return "bad size";
	if (xb->csum != pmfs_xblock_csum(xb))
		return "bad checksum";
	end = p + xb->used;
	while (p < end) {
		const struct pmfs_xentry *e = (const void *)p;

		if ((size_t)(end - p) < PMFS_XENTRY_HDR || !e->name_len ||
		    xentry_size(e->name_len, e->value_len) > (size_t)(end - p) ||
		    memchr(e->data, 0, e->name_len))
			return "bad entry";
		p += xentry_size(e->name_len, e->value_len);
		n++;
	}
	return n == xb->count ? NULL : "bad entry count";
}

/* The inode's block, checked; NULL if it has none. */
static int xblock_get(struct pmfs_sb *sb, uint64_t ino,
		      const struct pmfs_inode *pi,
		      const struct pmfs_xblock **xbp)
{
	const struct pmfs_xblock *xb;

	*xbp = NULL;
	if (!pi->xattr)
		return 0;
	if ((pi->xattr & PMFS_PTR_FLAGS) || !pmfs_blk_ok(sb, pi->xattr))
		return -EUCLEAN;
	xb = pmfs_ptr(sb, pi->xattr);
	if (pmfs_xblock_check(xb, ino))
		return -EUCLEAN;
	*xbp = xb;
	return 0;
}

#define XFOR_EACH(xb, e, p) \
	for (p = (const char *)((xb) + 1); \
	     p < (const char *)((xb) + 1) + (xb)->used && \
	     (e = (const void *)p, 1); \
	     p += xentry_size(e->name_len, e->value_len))

static const struct pmfs_xentry *xfind(const struct pmfs_xblock *xb,
				       const char *name, size_t len)
{
	const struct pmfs_xentry *e;
	const char *p;

	if (!xb)
		return NULL;
	XFOR_EACH(xb, e, p)
		if (e->name_len == len && !memcmp(e->data, name, len))
			return e;
	return NULL;
}

static int xattr_supported(struct pmfs_sb *sb)
{
	return (sb->ps->feature_ro_compat & PMFS_FEATURE_RO_COMPAT_XATTR) ?
	       0 : -EOPNOTSUPP;
}

ssize_t pmfs_getxattr(struct pmfs_ii *ii, const char *name, void *buf,
		      size_t size)
{
	const struct pmfs_xblock *xb;
	const struct pmfs_xentry *e;
	size_t len = strlen(name);
	ssize_t r;

	r = xattr_supported(ii->sb);
	if (r)
		return r;
	pthread_rwlock_rdlock(&ii->lock);
	r = xblock_get(ii->sb, ii->ino, ii->pi, &xb);
	if (r)
		goto out;
	e = xfind(xb, name, len);
	if (!e) {
		r = -ENODATA;
		goto out;
	}
	r = e->value_len;
	if (size && (size_t)r > size)
		r = -ERANGE;
	else if (size)
		memcpy(buf, e->data + e->name_len, e->value_len);
out:
	pthread_rwlock_unlock(&ii->lock);
	return r;
}

ssize_t pmfs_listxattr(struct pmfs_ii *ii, char *buf, size_t size)
{
	const struct pmfs_xblock *xb;
	const struct pmfs_xentry *e;
	const char *p;
	ssize_t r;
	size_t n = 0;

	r = xattr_supported(ii->sb);
	if (r)
		return r;
	pthread_rwlock_rdlock(&ii->lock);
	r = xblock_get(ii->sb, ii->ino, ii->pi, &xb);
	if (r || !xb)
		goto out;
	XFOR_EACH(xb, e, p) {
		if (size) {
			if (n + e->name_len + 1 > size) {
				r = -ERANGE;
				goto out;
			}
			memcpy(buf + n, e->data, e->name_len);
			buf[n + e->name_len] = 0;
		}
		n += e->name_len + 1u;
	}
	r = (ssize_t)n;
out:
	pthread_rwlock_unlock(&ii->lock);
	return r;
}

/* Drop the inode's xattr block in tx (release of the inode). */
int pmfs_xattr_drop(struct pmfs_tx *tx, struct pmfs_inode *pi)
{
	uint64_t old = pi->xattr;
	int err;

	if (!old)
		return 0;
	err = pmfs_tx_add_inode(tx, pi);
	if (err)
		return err;
	pi->xattr = 0;
	if (pi->blocks)
		pi->blocks--;
	if ((old & PMFS_PTR_FLAGS) || !pmfs_blk_ok(tx->sb, old))
		return 0;	/* damaged: fsck finds the block */
	return pmfs_free_blocks(tx, old, 1);
}

/* Append name=value to the new block nb (*used bytes of entries so far). */
static int xentry_add(struct pmfs_xblock *nb, size_t *used, const char *name,
		      size_t len, const void *value, size_t size)
{
	struct pmfs_xentry *ne = (void *)((char *)(nb + 1) + *used);
	size_t n = xentry_size(len, size);

	if (*used + n > PMFS_XATTR_SPACE)
		return -ENOSPC;
	ne->name_len = (uint8_t)len;
	ne->value_len = (uint16_t)size;
	memcpy(ne->data, name, len);
	if (size)
		memcpy(ne->data + len, value, size);
	*used += n;
	nb->used = (uint32_t)*used;
	nb->count++;
	return 0;
}

/* Seal nb as ino's block and write it to a new block of tx: *noff. */
static int xblock_write(struct pmfs_tx *tx, struct pmfs_xblock *nb,
			uint64_t ino, uint64_t goal, uint64_t *noff)
{
	int err;

	nb->magic = PMFS_XBLOCK_MAGIC;
	nb->ino = ino;
	nb->csum = pmfs_xblock_csum(nb);
	err = pmfs_alloc_block(tx, goal, noff);
	if (!err) {
		void *dst = pmfs_ptr(tx->sb, *noff);

		pmem_memcpy_nodrain(dst, nb, PMFS_BLOCK_SIZE);
		pmfs_tx_dirty(tx, dst, PMFS_BLOCK_SIZE);
	}
	return err;
}

int pmfs_xattr_init(struct pmfs_tx *tx, struct pmfs_inode *pi, uint64_t ino,
		    const struct pmfs_xattr_in *x, unsigned int nr)
{
	struct pmfs_sb *sb = tx->sb;
	struct pmfs_xblock *nb;
	size_t used = 0;
	uint64_t noff;
	unsigned int i;
	int err;

	if (!nr)
		return 0;
	if (xattr_supported(sb)) {
		for (i = 0; i < nr; i++)
			if (strncmp(x[i].name, "security.", 9))
				return -EOPNOTSUPP;
		return 0;	/* LSM labels: as ext2 without xattrs */
	}
	nb = calloc(1, PMFS_BLOCK_SIZE);
	if (!nb)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		size_t len = strlen(x[i].name);

		err = -ERANGE;
		if (!len || len > PMFS_NAME_MAX)
			goto out;
		err = -EEXIST;
		if (xfind(nb->count ? nb : NULL, x[i].name, len))
			goto out;
		err = xentry_add(nb, &used, x[i].name, len, x[i].value,
				 x[i].size);
		if (err)
			goto out;
	}
	err = xblock_write(tx, nb, ino, 0, &noff);
	if (!err) {
		pi->xattr = noff;
		pi->blocks++;
	}
out:
	free(nb);
	return err;
}

int pmfs_setxattr(struct pmfs_ii *ii, const char *name, const void *value,
		  size_t size, uint32_t flags)
{
	struct pmfs_sb *sb = ii->sb;
	struct pmfs_inode *pi = ii->pi;
	size_t len = strlen(name), used = 0;
	const struct pmfs_xblock *old;
	const struct pmfs_xentry *e, *found;
	struct pmfs_xblock *nb;
	uint64_t noff = 0, ooff;
	struct pmfs_tx tx;
	const char *p;
	char *q;
	int err;

	err = xattr_supported(sb);
	if (err)
		return err;
	if (!len || len > PMFS_NAME_MAX)
		return len ? -ERANGE : -EINVAL;
	if (!(flags & XATTR_REMOVE_FL) &&
	    xentry_size(len, size) > PMFS_XATTR_SPACE)
		return -ENOSPC;		/* never fits the block */
	if (sb->rdonly)
		return -EROFS;
	nb = calloc(1, PMFS_BLOCK_SIZE);
	if (!nb)
		return -ENOMEM;

	pthread_rwlock_wrlock(&ii->lock);
	ooff = pi->xattr;
	err = xblock_get(sb, ii->ino, pi, &old);
	if (err)
		goto out;
	found = xfind(old, name, len);
	if (found && (flags & XATTR_CREATE_FL)) {
		err = -EEXIST;
		goto out;
	}
	if (!found && (flags & (XATTR_REPLACE_FL | XATTR_REMOVE_FL))) {
		err = -ENODATA;
		goto out;
	}
	/* the new block: every other entry, then the new one */
	q = (char *)(nb + 1);
	if (old) {
		XFOR_EACH(old, e, p) {
			size_t n = xentry_size(e->name_len, e->value_len);

			if (e == found)
				continue;
			memcpy(q + used, e, n);
			used += n;
			nb->count++;
		}
	}
	if (!(flags & XATTR_REMOVE_FL)) {
		err = xentry_add(nb, &used, name, len, value, size);
		if (err)
			goto out;
	}
	nb->used = (uint32_t)used;

	err = pmfs_tx_begin(sb, &tx);
	if (err)
		goto out;
	if (used)
		err = xblock_write(&tx, nb, ii->ino, ooff, &noff);
	if (!err)
		err = pmfs_tx_add_inode(&tx, pi);
	if (!err && ooff)
		err = pmfs_free_blocks(&tx, ooff, 1);
	if (!err) {
		pi->xattr = noff;
		if (!ooff && noff)
			pi->blocks++;
		else if (ooff && !noff)
			pi->blocks--;
		pmfs_now(&pi->ctime);
		pi->version++;
	}
	err = pmfs_tx_end(&tx, err);
out:
	pthread_rwlock_unlock(&ii->lock);
	free(nb);
	return err;
}
