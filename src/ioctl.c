// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.c - application ioctls that reach the server through a ZT:
 * ZUFS_IOC_NOOP (a bare round trip) and ZUFS_IOC_ECHO (the application's
 * buffer mapped into the server and transformed there, both ways checked).
 */
#include "zuf.h"

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

static void zuf_sb_dispatch_init(struct zuf_dispatch_op *zdo,
				 struct super_block *sb,
				 struct zufs_ioc_hdr *hdr,
				 struct page **pages, unsigned int nump)
{
	zuf_dispatch_init(zdo, hdr, pages, nump);
	zdo->server_gen = ZUF_SBI(sb)->server_gen;
}

static long zuf_ioc_noop(struct super_block *sb)
{
	struct zufs_ioc_hdr hdr = {
		.operation	= ZUFS_OP_NOOP,
		.in_len		= sizeof(hdr),
		.out_start	= sizeof(hdr),
		.out_max	= sizeof(hdr),
		.offset		= ZUF_SBI(sb)->zus_sbi,
	};
	struct zuf_dispatch_op zdo;

	zuf_sb_dispatch_init(&zdo, sb, &hdr, NULL, 0);
	return zufc_dispatch(zuf_root, &zdo);
}

/* One window-sized piece of an ECHO. */
static long zuf_echo_piece(struct super_block *sb, struct page **pages,
			   const struct zufs_ioc_app_echo *ae, u64 done,
			   u64 *checked)
{
	unsigned long addr = ae->buf + done;
	unsigned int pgoff = offset_in_page(addr);
	u64 len = min_t(u64, ae->len - done, ZUFS_APP_WINDOW_SIZE - pgoff);
	unsigned int nump = DIV_ROUND_UP(pgoff + len, PAGE_SIZE);
	struct zufs_ioc_echo ze = {
		.hdr = {
			.operation	= ZUFS_OP_ECHO,
			.in_len		= sizeof(ze),
			.out_start	= offsetof(struct zufs_ioc_echo, checked),
			.out_max	= sizeof(ze),
			.offset		= done,
			.len		= len,
		},
		.zus_sbi	= ZUF_SBI(sb)->zus_sbi,
		.pg_offset	= pgoff,
		.seed_in	= ae->seed_in,
		.seed_out	= ae->seed_out,
	};
	struct zuf_dispatch_op zdo;
	long err;
	int n;

	n = pin_user_pages_fast(addr & PAGE_MASK, nump, FOLL_WRITE, pages);
	if (n != nump) {
		if (n > 0)
			unpin_user_pages(pages, n);
		return -EFAULT;
	}
	zuf_sb_dispatch_init(&zdo, sb, &ze.hdr, pages, nump);
	err = zufc_dispatch(zuf_root, &zdo);
	unpin_user_pages_dirty_lock(pages, nump, true);
	if (err)
		return err;
	if (ze.hdr.out_len != sizeof(ze.checked) || ze.checked > len) {
		pr_err_ratelimited("server gave an invalid ECHO reply\n");
		return -EIO;
	}
	*checked = ze.checked;
	return len;
}

static long zuf_ioc_echo(struct super_block *sb, void __user *parg)
{
	struct zufs_ioc_app_echo ae;
	struct page **pages;
	u64 done = 0, total = 0;
	long ret = 0;

	if (copy_from_user(&ae, parg, sizeof(ae)))
		return -EFAULT;
	if (!ae.len || ae.len > ZUFS_APP_ECHO_MAX ||
	    ae.buf + ae.len < ae.buf)
		return -EINVAL;
	pages = kvmalloc_array(ZUFS_APP_WINDOW_PAGES, sizeof(*pages),
			       GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (done < ae.len) {
		u64 checked = 0;

		ret = zuf_echo_piece(sb, pages, &ae, done, &checked);
		if (ret < 0)
			break;
		total += checked;
		done += ret;
		ret = 0;
	}
	kvfree(pages);
	ae.checked = total;
	if (copy_to_user(parg, &ae, sizeof(ae)))
		return -EFAULT;
	return ret;
}

long zuf_app_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct super_block *sb = file_inode(file)->i_sb;

	switch (cmd) {
	case ZUFS_IOC_NOOP:
		return zuf_ioc_noop(sb);
	case ZUFS_IOC_ECHO:
		return zuf_ioc_echo(sb, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}
