// SPDX-License-Identifier: GPL-2.0
/*
 * file.c - regular files: read and write through the server.
 *
 * The application's pages are mapped into the server thread's window for
 * the operation (zero copy): the plugin copies between them and its
 * media. Buffers that are not user memory (kernel iterators) go through
 * bounce pages. No page cache is used, so O_DIRECT needs nothing more, and
 * a write is durable when the server answers it (see zus_api.h).
 */
#include "zuf.h"

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uio.h>

struct zuf_rw {
	struct page **pages;
	bool bounce;
};

static int zuf_rw_init(struct zuf_rw *rw, struct iov_iter *iter)
{
	rw->bounce = !user_backed_iter(iter);
	rw->pages = kvcalloc(ZUFS_APP_WINDOW_PAGES, sizeof(*rw->pages),
			     GFP_KERNEL);
	return rw->pages ? 0 : -ENOMEM;
}

static void zuf_rw_fini(struct zuf_rw *rw)
{
	kvfree(rw->pages);
}

static void zuf_put_pages(struct zuf_rw *rw, unsigned int nump)
{
	unsigned int i;

	for (i = 0; i < nump; i++) {
		if (rw->bounce)
			__free_page(rw->pages[i]);
		else
			put_page(rw->pages[i]);
		rw->pages[i] = NULL;
	}
}

/* Up to a window of @iter: pages to map and where the data starts. */
static ssize_t zuf_get_pages(struct zuf_rw *rw, struct iov_iter *iter,
			     bool write, unsigned int *nump, size_t *pgoff)
{
	size_t len = min_t(size_t, iov_iter_count(iter), ZUFS_APP_WINDOW_SIZE);
	unsigned int i, n;
	ssize_t got;

	if (!rw->bounce) {
		got = iov_iter_get_pages2(iter, rw->pages, len,
					  ZUFS_APP_WINDOW_PAGES, pgoff);
		if (got > 0)
			*nump = DIV_ROUND_UP(*pgoff + got, PAGE_SIZE);
		return got;
	}

	*pgoff = 0;
	n = DIV_ROUND_UP(len, PAGE_SIZE);
	for (i = 0; i < n; i++) {
		size_t part = min_t(size_t, len - i * PAGE_SIZE, PAGE_SIZE);

		rw->pages[i] = alloc_page(GFP_KERNEL);
		if (!rw->pages[i]) {
			zuf_put_pages(rw, i);
			return -ENOMEM;
		}
		/* Writes take the data now; reads copy out afterwards. */
		if (write && copy_page_from_iter(rw->pages[i], 0, part, iter) != part) {
			zuf_put_pages(rw, i + 1);
			return -EFAULT;
		}
	}
	*nump = n;
	return len;
}

/* One window-sized piece: returns bytes done, 0 at EOF, or -errno. */
static ssize_t zuf_rw_piece(struct inode *inode, struct zuf_rw *rw,
			    struct iov_iter *iter, loff_t pos, bool write,
			    size_t *asked)
{
	struct zufs_ioc_io *io;
	unsigned int nump = 0, i;
	size_t pgoff = 0;
	ssize_t len, ret;

	len = zuf_get_pages(rw, iter, write, &nump, &pgoff);
	if (len <= 0)
		return len ?: -EFAULT;
	*asked = len;
	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!io) {
		ret = -ENOMEM;
		goto out;
	}
	io->zus_ii = ZUF_II(inode)->zus_ii;
	io->pg_offset = pgoff;
	io->hdr.offset = pos;
	io->hdr.len = len;
	if (write)
		io->now = zuf_now(inode);
	ret = zuf_dispatch_op(inode->i_sb, &io->hdr,
			      write ? ZUFS_OP_WRITE : ZUFS_OP_READ, sizeof(*io),
			      offsetof(struct zufs_ioc_io, done), rw->pages,
			      nump, write);
	if (write)
		zuf_ec_invalidate(inode);	/* it may copy shared blocks */
	if (ret)
		goto out;
	if (io->done > len) {
		pr_err_ratelimited("%s: server claims %llu bytes of a %zd byte IO\n",
				   inode->i_sb->s_type->name, io->done, len);
		ret = -EIO;
		goto out;
	}
	ret = zuf_update_attr(inode, &io->attr);
	if (ret)
		goto out;
	ret = io->done;
	if (rw->bounce && !write) {
		size_t left = ret;

		for (i = 0; i < nump && left; i++) {
			size_t part = min_t(size_t, left, PAGE_SIZE);

			if (copy_page_to_iter(rw->pages[i], 0, part, iter) != part) {
				ret = -EFAULT;
				break;
			}
			left -= part;
		}
	}
out:
	/* What the server did not take goes back to the iterator. */
	if (!rw->bounce || write)
		iov_iter_revert(iter, len - max_t(ssize_t, ret, 0));
	zuf_put_pages(rw, nump);
	kfree(io);
	return ret;
}

static ssize_t zuf_rw(struct kiocb *kiocb, struct iov_iter *iter, bool write)
{
	struct inode *inode = file_inode(kiocb->ki_filp);
	loff_t pos = kiocb->ki_pos;
	ssize_t done = 0, ret = 0;
	struct zuf_rw rw;

	if (zuf_rw_init(&rw, iter))
		return -ENOMEM;
	while (iov_iter_count(iter)) {
		size_t asked = 0;

		if (!write && pos >= i_size_read(inode))
			break;	/* the kernel's size is the server's */
		ret = zuf_rw_piece(inode, &rw, iter, pos, write, &asked);
		if (ret <= 0)
			break;
		pos += ret;
		done += ret;
		/* Short: EOF for a read, a full device for a write. */
		if ((size_t)ret < asked)
			break;
		ret = 0;
	}
	zuf_rw_fini(&rw);
	kiocb->ki_pos = pos;
	return done ?: ret;
}

/* The fast path when the plugin takes it, else READ/WRITE. */
static ssize_t zuf_do_rw(struct kiocb *kiocb, struct iov_iter *iter,
			 bool write)
{
	struct inode *inode = file_inode(kiocb->ki_filp);
	ssize_t ret;

	if (zuf_fastio(inode)) {
		ret = zuf_fast_rw(kiocb, iter, write);
		if (ret != -EOPNOTSUPP)
			return ret;
	}
	return zuf_rw(kiocb, iter, write);
}

static ssize_t zuf_read_iter(struct kiocb *kiocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(kiocb->ki_filp);
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	if (kiocb->ki_flags & IOCB_NOWAIT) {
		if (!inode_trylock_shared(inode))
			return -EAGAIN;
	} else {
		inode_lock_shared(inode);
	}
	ret = zuf_do_rw(kiocb, to, false);
	inode_unlock_shared(inode);
	if (ret >= 0)
		file_accessed(kiocb->ki_filp);	/* atime, as relatime & co say */
	return ret;
}

static ssize_t zuf_write_iter(struct kiocb *kiocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(kiocb->ki_filp);
	ssize_t ret;

	if (kiocb->ki_flags & IOCB_NOWAIT) {
		if (!inode_trylock(inode))
			return -EAGAIN;
	} else {
		inode_lock(inode);
	}
	ret = generic_write_checks(kiocb, from);	/* O_APPEND, limits */
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(kiocb->ki_filp);
	if (ret)
		goto out;
	ret = zuf_do_rw(kiocb, from, true);
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(kiocb, ret);	/* O_SYNC, RWF_DSYNC */
	return ret;
}

static int zuf_file_open(struct inode *inode, struct file *file)
{
	/* No page cache: direct IO is what every IO already is. RWF_NOWAIT
	 * gives EAGAIN instead of waiting for the inode lock.
	 */
	file->f_mode |= FMODE_CAN_ODIRECT | FMODE_NOWAIT;
	return generic_file_open(inode, file);
}

const struct file_operations zuf_file_fops = {
	.open		= zuf_file_open,
	.llseek		= zuf_llseek,
	.fallocate	= zuf_fallocate,
	.copy_file_range = zuf_copy_file_range,
	.remap_file_range = zuf_remap_file_range,
	.read_iter	= zuf_read_iter,
	.write_iter	= zuf_write_iter,
	.fsync		= zuf_fsync,
	.mmap		= zuf_file_mmap,
	ZUF_FOPS_MAP_SYNC,
	.unlocked_ioctl	= zuf_app_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
