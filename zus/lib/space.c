// SPDX-License-Identifier: BSD-3-Clause
/*
 * space.c - the space operations (ABI 1.3, ZUFS_CAP_SPACE): FALLOCATE,
 * SEEK (SEEK_DATA/SEEK_HOLE), FIEMAP and COPY, turned into calls of the
 * plugin's fallocate, llseek, fiemap and copy_range. ns.c checked the request's
 * lengths and capability; the plugin's answers are checked here before
 * they go back to the kernel (which checks them again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ns.h"

static void space_reply(struct zufs_ioc_hdr *hdr, size_t size)
{
	hdr->out_len = (__u32)(size - hdr->out_start);
}

static int space_fallocate(struct zufs_ioc_fallocate *zf)
{
	const __u32 known = ZUFS_FALLOC_KEEP_SIZE | ZUFS_FALLOC_PUNCH_HOLE |
			    ZUFS_FALLOC_COLLAPSE_RANGE |
			    ZUFS_FALLOC_ZERO_RANGE | ZUFS_FALLOC_INSERT_RANGE;
	struct zus_inode_info *ii;
	int err;

	if ((zf->mode & ~known) || !zf->hdr.len ||
	    zf->hdr.offset > INT64_MAX ||
	    zf->hdr.len > INT64_MAX - zf->hdr.offset)
		return -EINVAL;
	err = zus_ns_iget(zf->zus_ii, &ii);
	if (err)
		return err;
	if (!ii->op->fallocate)
		err = -EOPNOTSUPP;
	else
		err = zus_errno_sane(ii->op->fallocate(ii, (int)zf->mode,
						       zf->hdr.offset,
						       zf->hdr.len, &zf->now));
	if (!err)
		err = zus_ns_getattr(ii, &zf->attr);
	if (!err)
		space_reply(&zf->hdr, sizeof(*zf));
	zus_ns_iput(zf->zus_ii, ii);
	return err;
}

static int space_seek(struct zufs_ioc_seek *zs)
{
	struct zus_inode_info *ii;
	__s64 pos = -EINVAL;
	int err;

	if ((zs->whence != ZUFS_SEEK_DATA && zs->whence != ZUFS_SEEK_HOLE) ||
	    zs->hdr.offset > INT64_MAX)
		return -EINVAL;
	err = zus_ns_iget(zs->zus_ii, &ii);
	if (err)
		return err;
	if (!ii->op->llseek)
		err = -EOPNOTSUPP;
	else
		pos = ii->op->llseek(ii, (__s64)zs->hdr.offset,
				     (int)zs->whence);
	if (!err && pos < 0)
		err = zus_errno_sane(pos < -4095 ? -EIO : (int)pos);
	if (!err && (__u64)pos < zs->hdr.offset) {
		zus_err("%s: seek from %llu answered %lld",
			ii->sbi->zfi->name,
			(unsigned long long)zs->hdr.offset, (long long)pos);
		err = -EIO;
	}
	if (!err) {
		zs->pos = (__u64)pos;
		space_reply(&zs->hdr, sizeof(*zs));
	}
	zus_ns_iput(zs->zus_ii, ii);
	return err;
}

static int space_fiemap(struct zufs_ioc_fiemap *zf)
{
	struct zus_inode_info *ii;
	__u32 n = 0;
	int err;

	if (zf->hdr.offset > INT64_MAX || !zf->hdr.len)
		return -EINVAL;
	err = zus_ns_iget(zf->zus_ii, &ii);
	if (err)
		return err;
	memset(zf->ext, 0, sizeof(zf->ext));
	if (!ii->op->fiemap)
		err = -EOPNOTSUPP;
	else
		err = zus_errno_sane(ii->op->fiemap(ii, zf->hdr.offset,
						    zf->hdr.len, zf->ext,
						    ZUFS_FIEMAP_MAX, &n));
	if (!err && n > ZUFS_FIEMAP_MAX) {
		zus_err("%s: fiemap gave %u extents", ii->sbi->zfi->name, n);
		err = -EIO;
	}
	if (!err) {
		zf->count = n;
		zf->reserved = 0;
		space_reply(&zf->hdr, sizeof(*zf));
	}
	zus_ns_iput(zf->zus_ii, ii);
	return err;
}

/* Both inodes of a copy or clone, which must share one superblock:
 * 0 with both held (put them with zus_ns_iput), or -errno with none.
 */
static int space_get_pair(__u64 src_ii, __u64 dst_ii,
			  struct zus_inode_info **src,
			  struct zus_inode_info **dst)
{
	int err = zus_ns_iget(dst_ii, dst);

	if (err)
		return err;
	err = zus_ns_iget(src_ii, src);
	if (err) {
		zus_ns_iput(dst_ii, *dst);
		return err;
	}
	if ((*src)->sbi != (*dst)->sbi) {	/* one superblock only */
		zus_ns_iput(src_ii, *src);
		zus_ns_iput(dst_ii, *dst);
		return -EXDEV;
	}
	return 0;
}

static int space_copy(struct zufs_ioc_copy *zc)
{
	struct zus_inode_info *src, *dst;
	__u64 len = zc->hdr.len;
	ssize_t n = 0;
	int err;

	if (zc->src_off > INT64_MAX || zc->dst_off > INT64_MAX ||
	    len > INT64_MAX - zc->dst_off || len > INT64_MAX - zc->src_off)
		return -EINVAL;
	err = space_get_pair(zc->src_ii, zc->dst_ii, &src, &dst);
	if (err)
		return err;
	if (!dst->op->copy_range)
		err = -EOPNOTSUPP;
	else if (len)
		n = dst->op->copy_range(src, zc->src_off, dst, zc->dst_off,
					len, &zc->now);
	if (!err && n < 0)
		err = zus_errno_sane(n < -4095 ? -EIO : (int)n);
	if (!err && (__u64)n > len) {
		zus_err("%s: copy of %llu bytes did %zd", dst->sbi->zfi->name,
			(unsigned long long)len, n);
		err = -EIO;
	}
	if (!err)
		err = zus_ns_getattr(dst, &zc->attr);
	if (!err) {
		zc->done = (__u64)n;
		space_reply(&zc->hdr, sizeof(*zc));
	}
	zus_ns_iput(zc->src_ii, src);
	zus_ns_iput(zc->dst_ii, dst);
	return err;
}

static int space_clone(struct zufs_ioc_clone *zc)
{
	struct zus_inode_info *src, *dst;
	__u64 len = zc->hdr.len;
	int err, same = 1;

	if ((zc->flags & ~ZUFS_CLONE_DEDUPE) || !len ||
	    zc->src_off > INT64_MAX || zc->dst_off > INT64_MAX ||
	    len > INT64_MAX - zc->dst_off || len > INT64_MAX - zc->src_off)
		return -EINVAL;
	err = space_get_pair(zc->src_ii, zc->dst_ii, &src, &dst);
	if (err)
		return err;
	if (!dst->op->remap)
		err = -EOPNOTSUPP;
	else
		err = zus_errno_sane(dst->op->remap(src, zc->src_off, dst,
						    zc->dst_off, len,
						    zc->flags & ZUFS_CLONE_DEDUPE,
						    &same, &zc->now));
	if (!err)
		err = zus_ns_getattr(dst, &zc->attr);
	if (!err) {
		zc->same = same ? 1 : 0;
		space_reply(&zc->hdr, sizeof(*zc));
	}
	zus_ns_iput(zc->src_ii, src);
	zus_ns_iput(zc->dst_ii, dst);
	return err;
}

int zus_space_dispatch(struct zus_zt *zt, struct zufs_ioc_hdr *hdr)
{
	(void)zt;
	switch (hdr->operation) {
	case ZUFS_OP_FALLOCATE:
		return space_fallocate((void *)hdr);
	case ZUFS_OP_SEEK:
		return space_seek((void *)hdr);
	case ZUFS_OP_FIEMAP:
		return space_fiemap((void *)hdr);
	case ZUFS_OP_COPY:
		return space_copy((void *)hdr);
	case ZUFS_OP_CLONE:
		return space_clone((void *)hdr);
	}
	return -EOPNOTSUPP;
}
