// SPDX-License-Identifier: GPL-2.0
/*
 * space.c - the space of regular files: fallocate, lseek SEEK_DATA and
 * SEEK_HOLE, FIEMAP, copy_file_range (ZUFS_CAP_SPACE).
 *
 * The server owns the block map; the kernel checks the arguments the way
 * the VFS and ext4 do, drops whatever it maps of a range whose blocks
 * change (page cache or DAX entries, user mappings) under the inode lock
 * and the mapping's invalidate lock, and validates every answer.
 */
#include "zuf.h"

#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/mm.h>
#include <linux/slab.h>

static bool zuf_has_space(void)
{
	return zuf_root->agreed_caps & ZUFS_CAP_SPACE;
}

#define ZUF_FALLOC_MODES (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | \
			  FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE | \
			  FALLOC_FL_INSERT_RANGE)

static_assert(FALLOC_FL_KEEP_SIZE == ZUFS_FALLOC_KEEP_SIZE);
static_assert(FALLOC_FL_PUNCH_HOLE == ZUFS_FALLOC_PUNCH_HOLE);
static_assert(FALLOC_FL_COLLAPSE_RANGE == ZUFS_FALLOC_COLLAPSE_RANGE);
static_assert(FALLOC_FL_ZERO_RANGE == ZUFS_FALLOC_ZERO_RANGE);
static_assert(FALLOC_FL_INSERT_RANGE == ZUFS_FALLOC_INSERT_RANGE);

/* Inode locked: the checks ext4 makes that need the size. */
static int zuf_falloc_check(struct inode *inode, int mode, loff_t offset,
			    loff_t len)
{
	loff_t size = i_size_read(inode);
	unsigned int bmask = i_blocksize(inode) - 1;

	if (!(mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)))
		return 0;
	if ((offset | len) & bmask)
		return -EINVAL;
	if (mode & FALLOC_FL_COLLAPSE_RANGE)
		return offset + len >= size ? -EINVAL : 0;
	if (offset >= size)
		return -EINVAL;
	if (len > inode->i_sb->s_maxbytes - size)
		return -EFBIG;
	return 0;
}

long zuf_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file_inode(file);
	struct zufs_ioc_fallocate *zf;
	bool shifts, changes;
	int err;

	if (!zuf_has_space() || (mode & ~ZUF_FALLOC_MODES))
		return -EOPNOTSUPP;
	if (!S_ISREG(inode->i_mode))
		return -EOPNOTSUPP;
	zf = kzalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	shifts = mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE);
	changes = shifts || (mode & (FALLOC_FL_PUNCH_HOLE |
				     FALLOC_FL_ZERO_RANGE));

	inode_lock(inode);
	err = zuf_falloc_check(inode, mode, offset, len);
	if (err)
		goto out;
	err = file_remove_privs(file);
	if (err)
		goto out;
	inode_dio_wait(inode);
	filemap_invalidate_lock(inode->i_mapping);
	/* Nothing may keep mapping blocks the server frees or moves. */
	if (changes)
		truncate_pagecache_range(inode, offset,
					 shifts ? LLONG_MAX : offset + len - 1);
	zf->zus_ii = ZUF_II(inode)->zus_ii;
	zf->mode = mode;
	zf->now = zuf_now(inode);
	zf->hdr.offset = offset;
	zf->hdr.len = len;
	err = zuf_dispatch_op(inode->i_sb, &zf->hdr, ZUFS_OP_FALLOCATE,
			      sizeof(*zf),
			      offsetof(struct zufs_ioc_fallocate, attr),
			      NULL, 0, false);
	/* every mode may free, zero by reallocation, or move blocks */
	zuf_ec_invalidate(inode);
	if (!err)
		err = zuf_update_attr(inode, &zf->attr);
	filemap_invalidate_unlock(inode->i_mapping);
out:
	inode_unlock(inode);
	kfree(zf);
	return err;
}

loff_t zuf_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct zufs_ioc_seek *zs;
	loff_t size, pos;
	int err;

	if ((whence != SEEK_DATA && whence != SEEK_HOLE) || !zuf_has_space())
		return generic_file_llseek(file, offset, whence);
	zs = kzalloc(sizeof(*zs), GFP_KERNEL);
	if (!zs)
		return -ENOMEM;
	inode_lock_shared(inode);
	size = i_size_read(inode);
	if (offset < 0 || offset >= size) {
		err = -ENXIO;
		goto out;
	}
	zs->zus_ii = ZUF_II(inode)->zus_ii;
	zs->whence = whence == SEEK_DATA ? ZUFS_SEEK_DATA : ZUFS_SEEK_HOLE;
	zs->hdr.offset = offset;
	err = zuf_dispatch_op(inode->i_sb, &zs->hdr, ZUFS_OP_SEEK, sizeof(*zs),
			      offsetof(struct zufs_ioc_seek, pos), NULL, 0,
			      false);
	if (err)
		goto out;
	if (zs->pos < offset || zs->pos > size ||
	    (whence == SEEK_DATA && zs->pos == size)) {
		pr_err_ratelimited("%s: server answered seek from %lld with %llu (size %lld)\n",
				   inode->i_sb->s_type->name, offset, zs->pos,
				   size);
		err = -EIO;
	}
out:
	pos = zs->pos;
	inode_unlock_shared(inode);
	kfree(zs);
	if (err)
		return err;
	return vfs_setpos(file, pos, inode->i_sb->s_maxbytes);
}

/* One answer of the server is sane: ordered, aligned, known flags. */
static bool zuf_fiemap_ok(struct inode *inode,
			  const struct zufs_fiemap_extent *e, u64 prev_end)
{
	u64 bmask = i_blocksize(inode) - 1;

	return e->length && !((e->logical | e->physical | e->length) & bmask) &&
	       e->logical >= prev_end &&
	       e->logical + e->length > e->logical &&
	       e->physical + e->length > e->physical &&
	       !(e->flags & ~(ZUFS_FE_LAST | ZUFS_FE_UNWRITTEN |
			      ZUFS_FE_SHARED));
}

int zuf_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
	       u64 start, u64 len)
{
	struct zufs_ioc_fiemap *zf;
	u64 end, prev_end = 0;
	int err;

	if (!zuf_has_space())
		return -EOPNOTSUPP;
	err = fiemap_prep(inode, fieinfo, start, &len, FIEMAP_FLAG_SYNC);
	if (err)
		return err;
	zf = kmalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	end = start + len;
	inode_lock_shared(inode);
	while (start < end) {
		unsigned int i;

		memset(zf, 0, sizeof(*zf));
		zf->zus_ii = ZUF_II(inode)->zus_ii;
		zf->hdr.offset = start;
		zf->hdr.len = end - start;
		err = zuf_dispatch_op(inode->i_sb, &zf->hdr, ZUFS_OP_FIEMAP,
				      sizeof(*zf),
				      offsetof(struct zufs_ioc_fiemap, count),
				      NULL, 0, false);
		if (err)
			break;
		if (zf->count > ZUFS_FIEMAP_MAX) {
			err = -EIO;
			break;
		}
		for (i = 0; i < zf->count; i++) {
			const struct zufs_fiemap_extent *e = &zf->ext[i];
			u32 flags = 0;

			if (!zuf_fiemap_ok(inode, e, prev_end) ||
			    e->logical >= end ||
			    e->logical + e->length <= start) {
				pr_err_ratelimited("%s: server gave a bad extent for inode %lu\n",
						   inode->i_sb->s_type->name,
						   inode->i_ino);
				err = -EIO;
				break;
			}
			if (e->flags & ZUFS_FE_LAST)
				flags |= FIEMAP_EXTENT_LAST;
			if (e->flags & ZUFS_FE_UNWRITTEN)
				flags |= FIEMAP_EXTENT_UNWRITTEN;
			if (e->flags & ZUFS_FE_SHARED)
				flags |= FIEMAP_EXTENT_SHARED;
			prev_end = e->logical + e->length;
			err = fiemap_fill_next_extent(fieinfo, e->logical,
						      e->physical, e->length,
						      flags);
			if (err)
				break;
		}
		if (err || zf->count < ZUFS_FIEMAP_MAX)
			break;
		start = prev_end;
	}
	inode_unlock_shared(inode);
	kfree(zf);
	return err < 0 ? err : 0;	/* 1: the user's array is full */
}

/*
 * COPY of len bytes, pos_in of in to pos_out of out; the caller holds both
 * inode locks and both invalidate locks and dropped what out maps of the
 * range. Returns bytes copied (short at in's EOF or out of space) or -errno.
 */
static ssize_t zuf_send_copy(struct inode *in, loff_t pos_in,
			     struct inode *out, loff_t pos_out, u64 len)
{
	struct zufs_ioc_copy *zc;
	ssize_t ret;

	zc = kzalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -ENOMEM;
	zc->dst_ii = ZUF_II(out)->zus_ii;
	zc->src_ii = ZUF_II(in)->zus_ii;
	zc->src_off = pos_in;
	zc->dst_off = pos_out;
	zc->now = zuf_now(out);
	zc->hdr.len = len;
	ret = zuf_dispatch_op(out->i_sb, &zc->hdr, ZUFS_OP_COPY, sizeof(*zc),
			      offsetof(struct zufs_ioc_copy, done), NULL, 0,
			      false);
	zuf_ec_invalidate(out);	/* written, copied on write or punched */
	if (!ret && zc->done > len) {
		pr_err_ratelimited("%s: server claims %llu bytes of a %llu byte copy\n",
				   out->i_sb->s_type->name, zc->done, len);
		ret = -EIO;
	}
	if (!ret)
		ret = zuf_update_attr(out, &zc->attr);
	if (!ret)
		ret = zc->done;
	kfree(zc);
	return ret;
}

/*
 * CLONE (dedupe: compare first) of len bytes, pos_in of in to pos_out of
 * out, locked and unmapped as for COPY and with in's range unmapped too.
 * Returns 0, -EBADE when a dedupe found different bytes, or -errno.
 */
static int zuf_send_clone(struct inode *in, loff_t pos_in, struct inode *out,
			  loff_t pos_out, u64 len, bool dedupe)
{
	struct zufs_ioc_clone *zc;
	int err;

	zc = kzalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -ENOMEM;
	zc->dst_ii = ZUF_II(out)->zus_ii;
	zc->src_ii = ZUF_II(in)->zus_ii;
	zc->src_off = pos_in;
	zc->dst_off = pos_out;
	zc->flags = dedupe ? ZUFS_CLONE_DEDUPE : 0;
	zc->now = zuf_now(out);
	zc->hdr.len = len;
	err = zuf_dispatch_op(out->i_sb, &zc->hdr, ZUFS_OP_CLONE, sizeof(*zc),
			      offsetof(struct zufs_ioc_clone, same), NULL, 0,
			      false);
	/* the source's blocks are shared now, the destination's replaced */
	zuf_ec_invalidate(in);
	zuf_ec_invalidate(out);
	if (!err && (zc->same > 1 || (!dedupe && !zc->same))) {
		pr_err_ratelimited("%s: server answered a clone with same = %u\n",
				   out->i_sb->s_type->name, zc->same);
		err = -EIO;
	}
	if (!err)
		err = zuf_update_attr(out, &zc->attr);
	if (!err && !zc->same)
		err = -EBADE;
	kfree(zc);
	return err;
}

/*
 * copy_file_range between two files of one ZUFS mount, done by the server.
 * Where both offsets sit at the same place in a block, the whole blocks in
 * between are shared copy on write (CLONE, as XFS and btrfs do for
 * copy_file_range and cp): a copy of a large file takes no time and no
 * space. The rest, or all of it when the server cannot clone, is copied
 * pmem to pmem (COPY). Anything else (another filesystem) gets -EXDEV and
 * the VFS falls back to its generic copy.
 */
ssize_t zuf_copy_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out,
			    size_t len, unsigned int flags)
{
	struct inode *in = file_inode(file_in), *out = file_inode(file_out);
	u64 bs = i_blocksize(out), done = 0, head, mid;
	loff_t size_in;
	ssize_t ret;

	if (flags)
		return -EINVAL;
	if (in->i_sb != out->i_sb || !zuf_has_space())
		return -EXDEV;
	if (!S_ISREG(in->i_mode) || !S_ISREG(out->i_mode))
		return -EINVAL;
	lock_two_nondirectories(in, out);
	/* the VFS looked at the size without the lock */
	size_in = i_size_read(in);
	len = pos_in < size_in ? min_t(u64, len, size_in - pos_in) : 0;
	if (!len) {
		ret = 0;
		goto out;
	}
	ret = file_remove_privs(file_out);
	if (ret)
		goto out;
	inode_dio_wait(out);
	filemap_invalidate_lock_two(in->i_mapping, out->i_mapping);
	/* no mapping may keep writing into source blocks that get shared */
	unmap_mapping_range(in->i_mapping, pos_in, len, 0);
	truncate_pagecache_range(out, pos_out, pos_out + len - 1);

	head = len;
	mid = 0;
	if ((pos_in & (bs - 1)) == (pos_out & (bs - 1))) {
		head = min_t(u64, len, (bs - (pos_in & (bs - 1))) & (bs - 1));
		mid = round_down(len - head, bs);
	}
	if (head) {
		ret = zuf_send_copy(in, pos_in, out, pos_out, head);
		if (ret < 0)
			goto unlock;
		done = ret;
		if (done < head)
			goto unlock;
	}
	if (mid) {
		ret = zuf_send_clone(in, pos_in + done, out, pos_out + done,
				     mid, false);
		if (!ret)
			done += mid;
		else if (ret != -EOPNOTSUPP)	/* else: copy it */
			goto unlock;
	}
	if (done < len) {
		ret = zuf_send_copy(in, pos_in + done, out, pos_out + done,
				    len - done);
		if (ret >= 0)
			done += ret;
	}
unlock:
	filemap_invalidate_unlock_two(in->i_mapping, out->i_mapping);
	if (done)
		ret = done;
out:
	unlock_two_nondirectories(in, out);
	return ret;
}

/*
 * FICLONE, FICLONERANGE and FIDEDUPERANGE: the server shares the blocks,
 * copy on write. The VFS compares a dedupe range through the page cache,
 * which a DAX filesystem has not: the server compares under its locks.
 */
loff_t zuf_remap_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out,
			    loff_t len, unsigned int remap_flags)
{
	struct inode *in = file_inode(file_in), *out = file_inode(file_out);
	bool dedupe = remap_flags & REMAP_FILE_DEDUP;
	loff_t ret, bs = i_blocksize(out), size_in, size_out;

	if (remap_flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_ADVISORY))
		return -EINVAL;
	if (in->i_sb != out->i_sb)
		return -EXDEV;
	if (!zuf_has_space())
		return -EOPNOTSUPP;
	lock_two_nondirectories(in, out);
	filemap_invalidate_lock_two(in->i_mapping, out->i_mapping);
	size_in = i_size_read(in);
	size_out = i_size_read(out);
	if (dedupe) {
		/* both ranges inside EOF; a partial block only at both EOFs */
		if (pos_in + len > size_in || pos_out + len > size_out) {
			ret = -EINVAL;
			goto out;
		}
		if (pos_in + len != size_in || pos_out + len != size_out)
			len = round_down(len, bs);
	}
	ret = generic_remap_file_range_prep(file_in, pos_in, file_out, pos_out,
					    &len, remap_flags &
					    ~REMAP_FILE_DEDUP);
	if (ret < 0 || !len)
		goto out;
	/* a partial last block (src's EOF) must not land inside dst */
	if ((len & (bs - 1)) && pos_out + len < size_out) {
		ret = -EINVAL;
		goto out;
	}
	/*
	 * No mapping may keep writing into blocks that become shared (the
	 * next write fault copies); private copies of the source and of a
	 * deduped range hold the same bytes and stay.
	 */
	unmap_mapping_range(in->i_mapping, pos_in, len, 0);
	if (dedupe)
		unmap_mapping_range(out->i_mapping, pos_out, len, 0);
	else
		truncate_pagecache_range(out, pos_out, pos_out + len - 1);
	ret = zuf_send_clone(in, pos_in, out, pos_out, len, dedupe);
	if (!ret)
		ret = len;
out:
	filemap_invalidate_unlock_two(in->i_mapping, out->i_mapping);
	unlock_two_nondirectories(in, out);
	return ret;
}
