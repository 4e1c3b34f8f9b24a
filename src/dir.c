// SPDX-License-Identifier: GPL-2.0
/*
 * dir.c - reading directories. The server fills a page with records and
 * gives each entry a stable cookie; f_pos is that cookie, so positions
 * stay valid while the directory changes (telldir/seekdir).
 */
#include "zuf.h"

#include <linux/highmem.h>
#include <linux/slab.h>

/* Emit the records of one page; false when the caller's buffer is full. */
static int zuf_emit_page(struct inode *dir, struct dir_context *ctx,
			 const u8 *buf, const struct zufs_ioc_readdir *zrd)
{
	size_t off = 0;
	u32 i;

	for (i = 0; i < zrd->nents; i++) {
		const struct zufs_dirent *de = (const void *)(buf + off);

		if (off + sizeof(*de) > PAGE_SIZE ||
		    de->reclen < sizeof(*de) + de->name_len ||
		    (de->reclen & 7) || off + de->reclen > PAGE_SIZE ||
		    !de->name_len || de->pos < 2 || de->pos > LLONG_MAX ||
		    de->type > 15 || !de->ino ||
		    memchr(de->name, '/', de->name_len) ||
		    memchr(de->name, 0, de->name_len)) {
			pr_err_ratelimited("%s: server gave a bad directory entry in inode %lu\n",
					   dir->i_sb->s_type->name, dir->i_ino);
			return -EIO;
		}
		ctx->pos = de->pos;
		if (!dir_emit(ctx, de->name, de->name_len, de->ino, de->type))
			return 0;
		off += de->reclen;
	}
	return 1;
}

static int zuf_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct zufs_ioc_readdir *zrd;
	struct page *page;
	int ret = 0;

	if (!dir_emit_dots(file, ctx))
		return 0;
	if (ctx->pos > LLONG_MAX - 1)
		return 0;	/* past the end */

	zrd = kzalloc(sizeof(*zrd), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if (!zrd || !page) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		memset(zrd, 0, sizeof(*zrd));
		zrd->dir_ii = ZUF_II(dir)->zus_ii;
		zrd->pos = ctx->pos;
		zrd->hdr.len = PAGE_SIZE;
		ret = zuf_dispatch_op(dir->i_sb, &zrd->hdr, ZUFS_OP_READDIR,
				      sizeof(*zrd),
				      offsetof(struct zufs_ioc_readdir, pos),
				      &page, 1, false);
		if (ret)
			break;
		if (zrd->pos < 2 || zrd->pos > LLONG_MAX ||
		    zrd->nents > PAGE_SIZE / sizeof(struct zufs_dirent) ||
		    (zrd->more && !zrd->nents)) {
			ret = -EIO;
			break;
		}
		ret = zuf_emit_page(dir, ctx, page_address(page), zrd);
		if (ret <= 0)
			break;
		ctx->pos = zrd->pos;
		ret = 0;
		if (!zrd->more) {
			ctx->pos = LLONG_MAX;	/* the end */
			break;
		}
	}
out:
	kfree(zrd);
	if (page)
		__free_page(page);
	return ret;
}

/* Positions are the server's cookies: anything up to LLONG_MAX. */
static loff_t zuf_dir_llseek(struct file *file, loff_t offset, int whence)
{
	return generic_file_llseek_size(file, offset, whence, LLONG_MAX,
					i_size_read(file_inode(file)));
}

const struct file_operations zuf_dir_fops = {
	.llseek		= zuf_dir_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= zuf_readdir,
	.fsync		= noop_fsync,
	.unlocked_ioctl	= zuf_app_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
