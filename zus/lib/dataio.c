// SPDX-License-Identifier: BSD-3-Clause
/*
 * dataio.c - the fast data path and sync (ABI 1.3, ZUFS_CAP_FASTIO and
 * ZUFS_CAP_SYNC): GET_BLOCK, PUT_BLOCK and FSYNC, turned into calls of
 * the plugin's get_block, put_block, fsync and sync_fs. Every request may
 * carry puts the kernel queued (zus_api.h); they are handled first. ns.c
 * checked the request's lengths and capability; the plugin's answers are
 * checked here before they go back to the kernel (which checks them
 * again against the device). ABI 1.4 (ZUFS_CAP_EXTCACHE): the plugin's
 * ZUFS_GB_CACHE and ZUFS_GB_CACHE_RO reach the kernel only when agreed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ns.h"

static void dataio_puts(const struct zufs_put *puts, __u32 nputs)
{
	if (nputs > ZUFS_PUTS_MAX)
		nputs = ZUFS_PUTS_MAX;
	for (__u32 i = 0; i < nputs; i++) {
		struct zus_inode_info *ii;

		if (!puts[i].zus_ii || zus_ns_iget(puts[i].zus_ii, &ii))
			continue;	/* gone since: nothing to release */
		if (ii->op->put_block)
			ii->op->put_block(ii, &puts[i]);
		zus_ns_iput(puts[i].zus_ii, ii);
	}
}

static int dataio_get_block(struct zufs_ioc_get_block *zg, bool extcache)
{
	const __u32 known = ZUFS_GB_WRITE | ZUFS_GB_MMAP;
	const __u32 ret_known = ZUFS_GB_NEW | ZUFS_GB_PUT_NOW |
				ZUFS_GB_CACHE | ZUFS_GB_CACHE_RO;
	struct zus_get_block gb;
	struct zus_inode_info *ii;
	__u64 first, last;
	int err;

	dataio_puts(zg->puts, zg->nputs);
	if ((zg->flags & ~known) || !zg->hdr.len ||
	    zg->hdr.offset > INT64_MAX ||
	    zg->hdr.len > INT64_MAX - zg->hdr.offset)
		return -EINVAL;
	err = zus_ns_iget(zg->zus_ii, &ii);
	if (err)
		return err;
	if (!ii->op->get_block) {
		err = -EOPNOTSUPP;
		goto out;
	}
	memset(&gb, 0, sizeof(gb));
	gb.offset = zg->hdr.offset;
	gb.len = zg->hdr.len;
	gb.flags = zg->flags;
	gb.max = ZUFS_GB_MAX;
	gb.now = &zg->now;
	gb.bns = zg->bns;
	memset(zg->bns, 0, sizeof(zg->bns));
	err = zus_errno_sane(ii->op->get_block(ii, &gb));
	if (err)
		goto out;
	first = gb.offset >> (ii->sbi->s_blocksize_bits ?: 12);
	last = (gb.offset + gb.len - 1) >> (ii->sbi->s_blocksize_bits ?: 12);
	if (!gb.nr || gb.nr > ZUFS_GB_MAX || gb.nr > last - first + 1 ||
	    (gb.ret_flags & ~ret_known) ||
	    (gb.ret_flags & (ZUFS_GB_CACHE | ZUFS_GB_CACHE_RO)) ==
	    ZUFS_GB_CACHE_RO) {
		zus_err("%s: get_block of inode %llu at %llu answered %u blocks",
			ii->sbi->zfi->name, (unsigned long long)ii->ino,
			(unsigned long long)gb.offset, gb.nr);
		err = -EIO;
		goto out;
	}
	/* A kernel without ZUFS_CAP_EXTCACHE does not know the bits. */
	if (!extcache)
		gb.ret_flags &= ~(ZUFS_GB_CACHE | ZUFS_GB_CACHE_RO);
	zg->nr = gb.nr;
	zg->ret_flags = gb.ret_flags;
	err = zus_ns_getattr(ii, &zg->attr);
	if (!err)
		zg->hdr.out_len = (__u32)(sizeof(*zg) - zg->hdr.out_start);
out:
	zus_ns_iput(zg->zus_ii, ii);
	return err;
}

static int dataio_fsync(struct zufs_ioc_fsync *zf)
{
	const __u32 known = ZUFS_FSYNC_DATASYNC | ZUFS_FSYNC_FS;
	struct zus_inode_info *ii;
	__u64 end;
	int err;

	dataio_puts(zf->puts, zf->nputs);
	if (zf->flags & ~known)
		return -EINVAL;
	err = zus_ns_iget(zf->zus_ii, &ii);
	if (err)
		return err;
	if (zf->flags & ZUFS_FSYNC_FS) {
		struct zus_sb_info *sbi = ii->sbi;

		if (sbi->op && sbi->op->sync_fs)
			err = zus_errno_sane(sbi->op->sync_fs(sbi, 1));
	} else if (ii->op->fsync) {
		end = zf->hdr.len && zf->hdr.len - 1 <= UINT64_MAX - zf->hdr.offset ?
		      zf->hdr.offset + zf->hdr.len - 1 : UINT64_MAX;
		err = zus_errno_sane(ii->op->fsync(ii, zf->hdr.offset, end,
				     !!(zf->flags & ZUFS_FSYNC_DATASYNC)));
	}
	zus_ns_iput(zf->zus_ii, ii);
	return err;
}

int zus_dataio_dispatch(struct zus_zt *zt, struct zufs_ioc_hdr *hdr)
{
	switch (hdr->operation) {
	case ZUFS_OP_GET_BLOCK:
		return dataio_get_block((void *)hdr, zt && zt->srv &&
			(zt->srv->hs.agreed_caps & ZUFS_CAP_EXTCACHE));
	case ZUFS_OP_PUT_BLOCK: {
		struct zufs_ioc_put_block *pb = (void *)hdr;

		dataio_puts(pb->puts, pb->nputs);
		return 0;
	}
	case ZUFS_OP_FSYNC:
		return dataio_fsync((void *)hdr);
	default:
		return -EOPNOTSUPP;
	}
}
