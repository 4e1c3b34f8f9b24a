// SPDX-License-Identifier: GPL-2.0
/*
 * dataio.c - the fast data path (ZUFS_CAP_FASTIO), DAX mmap and sync.
 *
 * GET_BLOCK asks the server where the blocks of a range live on the t1
 * device; zuf.ko then copies between the application and pmem itself,
 * through the kernel mapping of the device the mount holds (writes with
 * non-temporal stores and a fence, reads with machine-check safe copies).
 * Every block offset the server hands back is checked against the device.
 *
 * Puts ride along: the release of the blocks of a GET_BLOCK is queued per
 * superblock and carried by the next GET_BLOCK/PUT_BLOCK/FSYNC, unless the
 * server asks for it at once (ZUFS_GB_PUT_NOW) or the queue is full.
 *
 * mmap of a regular file maps pmem pages straight into the application:
 * shared mappings are VM_PFNMAP (faults insert the pmem pfn; the first
 * write to a page asks the server to allocate or unshare it in
 * pfn_mkwrite), private mappings are VM_MIXEDMAP with copy on write done
 * by the mm from the read-only pmem pte. No page cache is ever involved.
 */
#include "zuf.h"

#include <linux/dax.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/uio.h>

/* ~~~~ the put queue (kept with the mount's pmem) ~~~~ */

/* Send the queued puts now (and @extra, if any). */
static int zuf_puts_send(struct super_block *sb, const struct zufs_put *extra)
{
	struct zufs_ioc_put_block *pb;
	int err;

	pb = kzalloc(sizeof(*pb), GFP_KERNEL | __GFP_NOFAIL);
	zuf_pmem_puts_take(ZUF_SBI(sb)->pmem, pb->puts, &pb->nputs);
	if (extra && pb->nputs < ZUFS_PUTS_MAX)
		pb->puts[pb->nputs++] = *extra;
	if (!pb->nputs) {
		kfree(pb);
		return 0;
	}
	err = zuf_dispatch_op(sb, &pb->hdr, ZUFS_OP_PUT_BLOCK, sizeof(*pb),
			      sizeof(*pb), NULL, 0, false);
	kfree(pb);
	return err;
}

static void zuf_put_queue(struct super_block *sb, u64 zus_ii, u64 index,
			  u32 count, u32 flags, u64 done, bool now)
{
	struct zufs_put p = {
		.zus_ii = zus_ii, .index = index, .count = count,
		.flags = flags, .done = done,
	};

	if (!now && zuf_pmem_puts_add(ZUF_SBI(sb)->pmem, &p))
		return;
	/* A dead server has nothing to release: the error is not ours. */
	zuf_puts_send(sb, &p);
}

/* ~~~~ GET_BLOCK ~~~~ */

/* Off: read/write go through the window (READ/WRITE) even when the plugin
 * offers GET_BLOCK, and mmap is refused (for comparisons and debugging).
 */
static bool fastio = true;
module_param(fastio, bool, 0644);
MODULE_PARM_DESC(fastio, "use GET_BLOCK and copy to/from pmem in the kernel when the server offers it (default on)");

bool zuf_fastio(struct inode *inode)
{
	struct zuf_sb_info *sbi = ZUF_SBI(inode->i_sb);

	return READ_ONCE(fastio) && sbi->pmem && zuf_pmem_fastio(sbi->pmem) &&
	       inode->i_sb->s_blocksize == PAGE_SIZE &&
	       (zuf_root->agreed_caps & ZUFS_CAP_FASTIO);
}

/*
 * Blocks of [pos, pos + len) (len > 0). Returns the number of blocks in
 * gb->bns, all checked, or -errno. Writes (not faults) update the inode
 * from the reply.
 */
static int zuf_get_block(struct inode *inode, struct zufs_ioc_get_block *gb,
			 loff_t pos, size_t len, u32 flags)
{
	struct super_block *sb = inode->i_sb;
	struct zuf_sb_info *sbi = ZUF_SBI(sb);
	u64 first = pos >> PAGE_SHIFT;
	u64 last = (pos + len - 1) >> PAGE_SHIFT;
	u64 psize = zuf_pmem_size(sbi->pmem);
	u64 gen = zuf_ec_gen(inode);
	u32 i, nr;
	int err;

	memset(gb, 0, offsetof(struct zufs_ioc_get_block, nr));
	gb->zus_ii = ZUF_II(inode)->zus_ii;
	gb->flags = flags;
	gb->hdr.offset = pos;
	gb->hdr.len = len;
	if (flags & ZUFS_GB_WRITE)
		gb->now = zuf_now(inode);
	zuf_pmem_puts_take(sbi->pmem, gb->puts, &gb->nputs);
	err = zuf_dispatch_op(sb, &gb->hdr, ZUFS_OP_GET_BLOCK, sizeof(*gb),
			      offsetof(struct zufs_ioc_get_block, nr), NULL, 0,
			      false);
	if (err == -EOPNOTSUPP) {
		/* The plugin copies itself: READ/WRITE from now on. */
		zuf_pmem_no_fastio(sbi->pmem);
		return err;
	}
	if (err)
		return err;
	nr = gb->nr;
	if (!nr || nr > ZUFS_GB_MAX || nr > last - first + 1)
		goto bad;
	for (i = 0; i < nr; i++) {
		u64 bn = gb->bns[i];

		if (!bn && !(flags & ZUFS_GB_WRITE))
			continue;	/* a hole */
		if (!bn || !PAGE_ALIGNED(bn) || bn >= psize)
			goto bad;
	}
	zuf_ec_fill(inode, gen, first, gb->bns, nr, gb->ret_flags);
	if ((flags & ZUFS_GB_WRITE) || (gb->ret_flags & ZUFS_GB_NEW)) {
		err = zuf_update_attr(inode, &gb->attr);
		if (err)
			return err;
	}
	return nr;
bad:
	pr_err_ratelimited("%s: server answered GET_BLOCK of inode %lu at %lld with %u invalid blocks\n",
			   sb->s_type->name, inode->i_ino, pos, nr);
	return -EIO;
}

/* ~~~~ read and write ~~~~ */

/*
 * Copy up to @n bytes from byte @off of the @nr device-contiguous blocks
 * from @bn on (@bn 0: holes, read as zeros). Returns bytes copied; *fault
 * tells a short copy (a fault on the user's buffer, a bad device range)
 * from one the device's mapping cut at fewer contiguous blocks.
 */
static size_t zuf_copy_blocks(struct zuf_pmem *pm, u64 bn, long nr,
			      size_t off, size_t n, struct iov_iter *iter,
			      bool write, bool *fault)
{
	size_t got = 0;
	void *kaddr;
	long avail;
	int id;

	if (!bn) {
		got = iov_iter_zero(n, iter);
		*fault = got < n;
		return got;
	}
	id = dax_read_lock();
	avail = zuf_pmem_kaddr_range(pm, bn, nr, &kaddr, NULL);
	if (avail > 0) {
		n = min_t(size_t, n, (size_t)avail * PAGE_SIZE - off);
		if (write)
			got = _copy_from_iter_flushcache(kaddr + off, n, iter);
		else
			got = _copy_mc_to_iter(kaddr + off, n, iter);
	}
	dax_read_unlock(id);
	*fault = got < n || avail <= 0;
	return got;
}

/* Blocks bns[i..] that follow each other on the device (or holes). */
static int zuf_run(const u64 *bns, int i, int nr)
{
	int run = 1;

	while (i + run < nr &&
	       (bns[i] ? bns[i + run] == bns[i] + (u64)run * PAGE_SIZE :
			 !bns[i + run]))
		run++;
	return run;
}

/* The server made the file as long as the whole write; it came up short. */
static void zuf_trim_size(struct inode *inode, loff_t old_size, loff_t end)
{
	struct zufs_ioc_setattr *zsa;
	loff_t size = max(old_size, end);

	if (i_size_read(inode) <= size)
		return;
	zsa = kzalloc(sizeof(*zsa), GFP_KERNEL);
	if (!zsa)
		return;
	zuf_get_attr(inode, &zsa->attr);
	zsa->attr.size = size;
	zsa->zus_ii = ZUF_II(inode)->zus_ii;
	zsa->mask = ZUFS_ATTR_SIZE;
	if (!zuf_dispatch_op(inode->i_sb, &zsa->hdr, ZUFS_OP_SETATTR,
			     sizeof(*zsa), offsetof(struct zufs_ioc_setattr, attr),
			     NULL, 0, false))
		zuf_update_attr(inode, &zsa->attr);
	zuf_ec_invalidate(inode);	/* blocks past the size are freed */
	kfree(zsa);
}

/*
 * An IO served from the extent cache goes in pieces of up to this many
 * blocks, looked up into an array on the stack: no allocation per IO.
 */
#define ZUF_EC_STACK	64

/* The GET_BLOCK request of one IO, allocated at its first use. */
static struct zufs_ioc_get_block *zuf_gb_get(struct zufs_ioc_get_block **gb)
{
	if (!*gb)
		*gb = kmalloc(sizeof(**gb), GFP_KERNEL);
	return *gb;
}

/*
 * The fast path of read_iter/write_iter (inode locked by the caller).
 * Returns bytes done, or -errno when none; -EOPNOTSUPP before anything
 * was done means the plugin wants READ/WRITE. Blocks all in the extent
 * cache are done ZUF_EC_STACK at a time, allocating nothing and asking
 * the server nothing; the GET_BLOCK request is allocated when needed.
 */
ssize_t zuf_fast_rw(struct kiocb *kiocb, struct iov_iter *iter, bool write)
{
	struct inode *inode = file_inode(kiocb->ki_filp);
	struct super_block *sb = inode->i_sb;
	struct zuf_pmem *pm = ZUF_SBI(sb)->pmem;
	struct zufs_ioc_get_block *gb = NULL;
	u64 sbns[ZUF_EC_STACK];
	loff_t pos = kiocb->ki_pos;
	loff_t old_size = i_size_read(inode);
	ssize_t done = 0;
	int err = 0;

	while (iov_iter_count(iter)) {
		size_t len = iov_iter_count(iter), copied = 0;
		u32 flags = write ? ZUFS_GB_WRITE : 0, ret_flags = 0;
		loff_t isize = i_size_read(inode);
		bool short_copy = false, cached;
		u64 *bns = sbns;
		int nr;

		if (!write) {
			if (pos >= isize)
				break;
			len = min_t(u64, len, isize - pos);
		}
		len = min_t(size_t, len, (size_t)ZUFS_GB_MAX * PAGE_SIZE -
					 offset_in_page(pos));
		cached = zuf_ec_enabled(inode) &&
			 (!write || zuf_ec_write_ok(inode, pos, len));
		if (cached) {
			size_t clen = min_t(size_t, len,
					    (size_t)ZUF_EC_STACK * PAGE_SIZE -
					    offset_in_page(pos));

			nr = DIV_ROUND_UP(offset_in_page(pos) + clen,
					  PAGE_SIZE);
			cached = zuf_ec_lookup(inode, pos >> PAGE_SHIFT, nr,
					       write, bns);
			if (cached)
				len = clen;
		}
		if (!cached) {
			if (!zuf_gb_get(&gb)) {
				err = -ENOMEM;
				break;
			}
			nr = zuf_get_block(inode, gb, pos, len, flags);
			if (nr < 0) {
				err = nr;
				break;
			}
			bns = gb->bns;
			ret_flags = gb->ret_flags;
		}
		/* one copy per run of blocks contiguous on the device */
		while (copied < len) {
			size_t at = offset_in_page(pos) + copied;
			size_t off = offset_in_page(at), n, got;
			int i = at >> PAGE_SHIFT, run;

			if (i >= nr)
				break;	/* the server gave fewer blocks */
			run = zuf_run(bns, i, nr);
			n = min_t(size_t, (size_t)run * PAGE_SIZE - off,
				  len - copied);
			got = zuf_copy_blocks(pm, bns[i], run, off, n, iter,
					      write, &short_copy);
			copied += got;
			if (short_copy)
				break;
		}
		if (write)
			wmb();	/* the non-temporal stores reach pmem */
		if ((ret_flags & ZUFS_GB_NEW) &&
		    mapping_mapped(inode->i_mapping))
			unmap_mapping_range(inode->i_mapping,
					    pos & PAGE_MASK,
					    PAGE_ALIGN(pos + len) - (pos & PAGE_MASK), 0);
		if (!cached)
			zuf_put_queue(sb, gb->zus_ii, pos >> PAGE_SHIFT, nr,
				      flags, copied, ret_flags & ZUFS_GB_PUT_NOW);
		else if (write && copied)
			zuf_times_dirty(inode);
		pos += copied;
		done += copied;
		if (short_copy) {
			if (write)
				zuf_trim_size(inode, old_size, pos);
			if (!copied && !done)
				err = -EFAULT;
			break;
		}
		if (!write && pos >= i_size_read(inode))
			break;
	}
	kfree(gb);
	kiocb->ki_pos = pos;
	return done ?: err;
}

/* ~~~~ fsync, syncfs ~~~~ */

static int zuf_dispatch_fsync(struct super_block *sb, u64 zus_ii, loff_t start,
			      loff_t end, u32 flags)
{
	struct zufs_ioc_fsync *zf;
	int err;

	if (!(zuf_root->agreed_caps & ZUFS_CAP_SYNC))
		return 0;	/* a server without SYNC is durable at reply */
	zf = kzalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	zf->zus_ii = zus_ii;
	zf->flags = flags;
	zf->hdr.offset = start;
	zf->hdr.len = (end == LLONG_MAX || end < start) ? 0 : end - start + 1;
	if (ZUF_SBI(sb)->pmem)
		zuf_pmem_puts_take(ZUF_SBI(sb)->pmem, zf->puts, &zf->nputs);
	err = zuf_dispatch_op(sb, &zf->hdr, ZUFS_OP_FSYNC, sizeof(*zf),
			      sizeof(*zf), NULL, 0, false);
	kfree(zf);
	return err == -EOPNOTSUPP ? 0 : err;
}

/* Write back the CPU caches over a file's pmem mapped with write access. */
static int zuf_dax_writeback(struct inode *inode, loff_t start, loff_t end)
{
	struct zuf_pmem *pm = ZUF_SBI(inode->i_sb)->pmem;
	struct zufs_ioc_get_block *gb;
	loff_t isize = i_size_read(inode);
	loff_t pos = start & PAGE_MASK;
	int err = 0;

	if (end > isize - 1)
		end = isize - 1;
	if (pos > end)
		return 0;
	gb = kmalloc(sizeof(*gb), GFP_KERNEL);
	if (!gb)
		return -ENOMEM;
	while (pos <= end) {
		size_t len = min_t(u64, end - pos + 1,
				   (u64)ZUFS_GB_MAX * PAGE_SIZE);
		int nr = zuf_get_block(inode, gb, pos, len, 0), i;

		if (nr < 0) {
			err = nr;
			break;
		}
		for (i = 0; i < nr; i++) {
			void *kaddr;
			int id;

			if (!gb->bns[i])
				continue;
			id = dax_read_lock();
			if (!zuf_pmem_kaddr(pm, gb->bns[i], &kaddr, NULL))
				arch_wb_cache_pmem(kaddr, PAGE_SIZE);
			dax_read_unlock(id);
		}
		zuf_put_queue(inode->i_sb, gb->zus_ii, pos >> PAGE_SHIFT, nr, 0,
			      0, gb->ret_flags & ZUFS_GB_PUT_NOW);
		pos += (loff_t)nr << PAGE_SHIFT;
	}
	kfree(gb);
	wmb();
	return err;
}

int zuf_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file_inode(file);
	int err;

	/* times of writes through the extent cache */
	err = zuf_flush_times(inode);

	/* Stores through a shared writable mapping may sit in the CPU
	 * caches: write them back while such a mapping exists (msync).
	 */
	if (!err && mapping_writably_mapped(inode->i_mapping) &&
	    zuf_fastio(inode))
		err = zuf_dax_writeback(inode, start, end);
	if (!err)
		err = zuf_dispatch_fsync(inode->i_sb, ZUF_II(inode)->zus_ii,
					 start, end,
					 datasync ? ZUFS_FSYNC_DATASYNC : 0);
	return err;
}

int zuf_sync_fs(struct super_block *sb, int wait)
{
	struct zuf_sb_info *sbi = ZUF_SBI(sb);
	struct inode *root = sb->s_root ? d_inode(sb->s_root) : NULL;

	if (!wait || !root || !sbi->mounted || sb_rdonly(sb))
		return 0;
	return zuf_dispatch_fsync(sb, ZUF_II(root)->zus_ii, 0, LLONG_MAX,
				  ZUFS_FSYNC_FS);
}

/* ~~~~ DAX mmap ~~~~ */

static vm_fault_t zuf_fault_err(int err)
{
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/* The block behind @vmf's page; *pfn is the zero page for a hole. */
static vm_fault_t zuf_dax_block(struct vm_fault *vmf, bool write,
				unsigned long *pfn)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct super_block *sb = inode->i_sb;
	struct zufs_ioc_get_block *gb;
	u32 flags = ZUFS_GB_MMAP | (write ? ZUFS_GB_WRITE : 0);
	vm_fault_t ret = 0;
	pfn_t pf;
	void *kaddr;
	bool cached;
	int nr, id;

	if (vmf->pgoff >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		return VM_FAULT_SIGBUS;
	gb = kmalloc(sizeof(*gb), GFP_KERNEL);
	if (!gb)
		return VM_FAULT_OOM;
	/* A write fault goes to the server: it stamps mtime/ctime. */
	cached = !write && zuf_ec_enabled(inode) &&
		 zuf_ec_lookup(inode, vmf->pgoff, 1, false, gb->bns);
	if (cached) {
		gb->ret_flags = 0;
		nr = 1;
	} else {
		nr = zuf_get_block(inode, gb, (loff_t)vmf->pgoff << PAGE_SHIFT,
				   PAGE_SIZE, flags);
	}
	if (nr < 0) {
		ret = zuf_fault_err(nr);
		goto out;
	}
	if (!gb->bns[0]) {
		*pfn = page_to_pfn(ZERO_PAGE(0));
	} else {
		id = dax_read_lock();
		if (zuf_pmem_kaddr(ZUF_SBI(sb)->pmem, gb->bns[0], &kaddr, &pf))
			ret = VM_FAULT_SIGBUS;
		else
			*pfn = pfn_t_to_pfn(pf);
		dax_read_unlock(id);
	}
	if (!ret && (gb->ret_flags & ZUFS_GB_NEW))
		unmap_mapping_range(inode->i_mapping,
				    (loff_t)vmf->pgoff << PAGE_SHIFT,
				    PAGE_SIZE, 0);
	if (!cached)
		zuf_put_queue(sb, gb->zus_ii, vmf->pgoff, 1, flags, PAGE_SIZE,
			      gb->ret_flags & ZUFS_GB_PUT_NOW);
out:
	kfree(gb);
	return ret;
}

static vm_fault_t zuf_dax_insert(struct vm_fault *vmf, unsigned long pfn,
				 bool write)
{
	struct vm_area_struct *vma = vmf->vma;

	if (vma->vm_flags & VM_SHARED) {
		pgprot_t prot = write ? vm_get_page_prot(vma->vm_flags) :
					vma->vm_page_prot;

		return vmf_insert_pfn_prot(vma, vmf->address, pfn, prot);
	}
	/* Private: read-only; a write copies (the mm does, from this pte). */
	return vmf_insert_mixed(vma, vmf->address,
				pfn_to_pfn_t(pfn) /* no refcount taken */);
}

static vm_fault_t zuf_dax_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	bool write = (vmf->flags & FAULT_FLAG_WRITE) &&
		     (vma->vm_flags & VM_SHARED);
	unsigned long pfn = 0;
	vm_fault_t ret;

	/* mtime/ctime: the server stamps them in a write GET_BLOCK */
	if (write)
		sb_start_pagefault(inode->i_sb);
	filemap_invalidate_lock_shared(inode->i_mapping);
	ret = zuf_dax_block(vmf, write, &pfn);
	if (!ret)
		ret = zuf_dax_insert(vmf, pfn, write);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (write)
		sb_end_pagefault(inode->i_sb);
	/* A private write fault (vmf->cow_page) retries on the read-only
	 * pte just inserted, and the mm copies the page then.
	 */
	return ret;
}

/* First write to a read-only pte of a shared mapping (pmem or zero page). */
static vm_fault_t zuf_dax_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long pfn = 0;
	vm_fault_t ret;

	sb_start_pagefault(inode->i_sb);
	filemap_invalidate_lock_shared(inode->i_mapping);
	ret = zuf_dax_block(vmf, true, &pfn);
	if (!ret) {
		/* The block may be new or moved (copy on write): replace. */
		zap_vma_ptes(vma, addr, PAGE_SIZE);
		ret = vmf_insert_pfn_prot(vma, addr, pfn,
					  vm_get_page_prot(vma->vm_flags));
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	sb_end_pagefault(inode->i_sb);
	return ret;
}

static const struct vm_operations_struct zuf_dax_vm_ops = {
	.fault		= zuf_dax_fault,
	.pfn_mkwrite	= zuf_dax_pfn_mkwrite,
};

int zuf_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(file);

	if (!zuf_fastio(inode))
		return -ENODEV;	/* no pmem behind this mount */
	file_accessed(file);
	if (vma->vm_flags & VM_SHARED)
		zuf_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND);
	else
		zuf_vm_flags_set(vma, VM_MIXEDMAP);
	vma->vm_ops = &zuf_dax_vm_ops;
	return 0;
}

/*
 * Truncate: called with the invalidate lock held exclusively around the
 * size change, so no fault maps a block being freed.
 */
void zuf_dax_truncate(struct inode *inode, loff_t size)
{
	unmap_mapping_range(inode->i_mapping, PAGE_ALIGN(size), 0, 1);
}

/*
 * The server of @sb is gone: every application mapping of its pmem ends
 * (later accesses fault, the faults fail with SIGBUS).
 */
void zuf_dax_kill_mappings(struct super_block *sb)
{
	struct inode *inode, *toput = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !S_ISREG(inode->i_mode) ||
		    !mapping_mapped(inode->i_mapping)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);

		unmap_mapping_range(inode->i_mapping, 0, 0, 1);
		iput(toput);
		toput = inode;
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);
}
