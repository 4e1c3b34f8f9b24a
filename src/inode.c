// SPDX-License-Identifier: GPL-2.0
/*
 * inode.c - inodes of ZUFS mounts: the inode cache, attributes as the
 * server reports them, setattr/getattr, symlink bodies and eviction.
 */
#include "zuf.h"

#include <linux/highmem.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>

static struct kmem_cache *zuf_inode_cachep;
static struct workqueue_struct *zuf_evict_wq;

static void zuf_inode_init_once(void *p)
{
	struct zuf_inode_info *zii = p;

	inode_init_once(&zii->vfs_inode);
}

int zuf_inode_cache_init(void)
{
	zuf_inode_cachep = kmem_cache_create("zuf_inode_cache",
					     sizeof(struct zuf_inode_info), 0,
					     SLAB_RECLAIM_ACCOUNT |
					     SLAB_ACCOUNT,
					     zuf_inode_init_once);
	if (!zuf_inode_cachep)
		return -ENOMEM;
	zuf_evict_wq = alloc_workqueue("zuf_evict", WQ_MEM_RECLAIM, 0);
	if (!zuf_evict_wq) {
		kmem_cache_destroy(zuf_inode_cachep);
		return -ENOMEM;
	}
	return 0;
}

void zuf_inode_cache_fini(void)
{
	destroy_workqueue(zuf_evict_wq);
	rcu_barrier();	/* free_inode is called after an RCU grace period */
	kmem_cache_destroy(zuf_inode_cachep);
}

struct inode *zuf_alloc_inode(struct super_block *sb)
{
	struct zuf_inode_info *zii;

	zii = alloc_inode_sb(sb, zuf_inode_cachep, GFP_KERNEL);
	if (!zii)
		return NULL;
	zii->zus_ii = 0;
	zii->btime.tv_sec = 0;
	zii->btime.tv_nsec = 0;
	zii->flags = 0;
	zii->state = 0;
	zuf_ec_init(zii);
	return &zii->vfs_inode;
}

void zuf_free_inode(struct inode *inode)
{
	if (S_ISLNK(inode->i_mode))
		kfree(inode->i_link);
	kmem_cache_free(zuf_inode_cachep, ZUF_II(inode));
}

/* ~~~~ dispatch of an operation about one superblock ~~~~ */

int zuf_dispatch_op(struct super_block *sb, struct zufs_ioc_hdr *hdr,
		    u32 op, u32 size, u32 out_start, struct page **pages,
		    unsigned int nump, bool ro)
{
	struct zuf_dispatch_op zdo;
	int err;

	hdr->operation = op;
	hdr->in_len = size;
	hdr->out_start = out_start;
	hdr->out_max = size;
	zuf_dispatch_init(&zdo, hdr, pages, nump);
	zdo.pages_ro = ro;
	zdo.server_gen = ZUF_SBI(sb)->server_gen;
	err = zufc_dispatch(zuf_root, &zdo);
	if (err)
		return err;
	if (out_start < size && hdr->out_len != size - out_start) {
		pr_err_ratelimited("%s: server answered %s with %u bytes, not %u\n",
				   sb->s_type->name, zuf_op_name(op),
				   hdr->out_len, size - out_start);
		return -EIO;
	}
	return 0;
}

/* ~~~~ attributes ~~~~ */

struct zufs_time zuf_now(struct inode *inode)
{
	struct timespec64 ts = current_time(inode);
	struct zufs_time t = { .sec = ts.tv_sec, .nsec = ts.tv_nsec };

	return t;
}

static struct timespec64 zuf_ts(const struct zufs_time *t)
{
	struct timespec64 ts = {
		.tv_sec = t->sec,
		.tv_nsec = t->nsec,
	};

	return ts;
}

static struct zufs_time zuf_zt(struct timespec64 ts)
{
	struct zufs_time t = { .sec = ts.tv_sec, .nsec = ts.tv_nsec };

	return t;
}

static bool zuf_valid_mode(u32 mode)
{
	if (mode > 0xffff)
		return false;
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

static bool zuf_valid_attr(const struct zufs_attr *a)
{
	return a->ino && zuf_valid_mode(a->mode) &&
	       a->size <= MAX_LFS_FILESIZE &&
	       a->atime.nsec < NSEC_PER_SEC && a->mtime.nsec < NSEC_PER_SEC &&
	       a->ctime.nsec < NSEC_PER_SEC && a->btime.nsec < NSEC_PER_SEC &&
	       uid_valid(make_kuid(&init_user_ns, a->uid)) &&
	       gid_valid(make_kgid(&init_user_ns, a->gid));
}

/* Take the server's view of an inode we hold; its type never changes. */
int zuf_update_attr(struct inode *inode, const struct zufs_attr *a)
{
	struct timespec64 mt = zuf_ts(&a->mtime), ct = zuf_ts(&a->ctime);

	if (!zuf_valid_attr(a) || a->ino != inode->i_ino ||
	    ((a->mode ^ inode->i_mode) & S_IFMT)) {
		pr_err_ratelimited("%s: server gave invalid attributes for inode %lu\n",
				   inode->i_sb->s_type->name, inode->i_ino);
		return -EIO;
	}
	if (is_sxid(a->mode))	/* see SB_NOSEC in zuf_fill_super */
		inode->i_flags &= ~S_NOSEC;
	inode->i_mode = a->mode;
	inode->i_uid = make_kuid(&init_user_ns, a->uid);
	inode->i_gid = make_kgid(&init_user_ns, a->gid);
	set_nlink(inode, a->nlink);
	i_size_write(inode, a->size);
	inode->i_blocks = a->blocks;
	inode->i_generation = a->generation;
	if (test_bit(ZUF_II_TIMES_DIRTY, &ZUF_II(inode)->state)) {
		/* the server has not seen the newer times of cached writes */
		struct timespec64 at0, mt0, ct0;

		zuf_inode_get_times(inode, &at0, &mt0, &ct0);
		if (timespec64_compare(&mt0, &mt) > 0)
			mt = mt0;
		if (timespec64_compare(&ct0, &ct) > 0)
			ct = ct0;
	}
	zuf_inode_set_times(inode, zuf_ts(&a->atime), mt, ct);
	ZUF_II(inode)->btime = zuf_ts(&a->btime);
	zuf_set_inode_flags(inode, a->flags);
	return 0;
}

/* The fields of @inode the server stores, as a zufs_attr. */
void zuf_get_attr(struct inode *inode, struct zufs_attr *a)
{
	struct timespec64 at, mt, ct;

	memset(a, 0, sizeof(*a));
	a->ino = inode->i_ino;
	a->mode = inode->i_mode;
	a->uid = from_kuid(&init_user_ns, inode->i_uid);
	a->gid = from_kgid(&init_user_ns, inode->i_gid);
	a->nlink = inode->i_nlink;
	a->size = i_size_read(inode);
	a->blocks = inode->i_blocks;
	a->generation = inode->i_generation;
	a->rdev = new_encode_dev(inode->i_rdev);
	zuf_inode_get_times(inode, &at, &mt, &ct);
	a->atime = zuf_zt(at);
	a->mtime = zuf_zt(mt);
	a->ctime = zuf_zt(ct);
	a->btime = zuf_zt(ZUF_II(inode)->btime);
	a->flags = ZUF_II(inode)->flags;
}

/* ~~~~ setattr / getattr ~~~~ */

int zuf_setattr(zuf_idmap_t *idmap, struct dentry *dentry,
		struct iattr *iattr)
{
	struct inode *inode = d_inode(dentry);
	struct zufs_ioc_setattr *zsa;
	struct zufs_attr old;
	unsigned int v = iattr->ia_valid;
	int err;

	err = setattr_prepare(idmap, dentry, iattr);
	if (err)
		return err;
	zsa = kzalloc(sizeof(*zsa), GFP_KERNEL);
	if (!zsa)
		return -ENOMEM;

	/* The VFS computes the new values (suid/sgid clearing, UTIME_NOW,
	 * ctime) into the inode; the server stores them or we roll back.
	 */
	zuf_get_attr(inode, &old);
	setattr_copy(idmap, inode, iattr);
	zuf_get_attr(inode, &zsa->attr);
	if (v & ATTR_SIZE)
		zsa->attr.size = iattr->ia_size;
	zsa->zus_ii = ZUF_II(inode)->zus_ii;
	zsa->mask = ((v & ATTR_MODE) ? ZUFS_ATTR_MODE : 0) |
		    ((v & ATTR_UID) ? ZUFS_ATTR_UID : 0) |
		    ((v & ATTR_GID) ? ZUFS_ATTR_GID : 0) |
		    ((v & ATTR_SIZE) ? ZUFS_ATTR_SIZE : 0) |
		    ((v & ATTR_ATIME) ? ZUFS_ATTR_ATIME : 0) |
		    ((v & ATTR_MTIME) ? ZUFS_ATTR_MTIME : 0) |
		    ((v & ATTR_CTIME) ? ZUFS_ATTR_CTIME : 0);

	/* No DAX fault maps a block while its size changes; mappings past
	 * the new end go before the server frees the blocks.
	 */
	if (v & ATTR_SIZE) {
		filemap_invalidate_lock(inode->i_mapping);
		if (iattr->ia_size < old.size)
			zuf_dax_truncate(inode, iattr->ia_size);
	}
	err = zuf_dispatch_op(inode->i_sb, &zsa->hdr, ZUFS_OP_SETATTR,
			      sizeof(*zsa),
			      offsetof(struct zufs_ioc_setattr, attr),
			      NULL, 0, false);
	if (v & ATTR_SIZE) {
		if (!err)
			truncate_pagecache(inode, iattr->ia_size);
		/* blocks past the size are gone (or zeroed, or reallocated) */
		zuf_ec_invalidate(inode);
		filemap_invalidate_unlock(inode->i_mapping);
	}
	if (err) {
		/* exactly the old values, not newer dirty times */
		bool dirty = test_and_clear_bit(ZUF_II_TIMES_DIRTY,
						&ZUF_II(inode)->state);

		zuf_update_attr(inode, &old);
		if (dirty)
			set_bit(ZUF_II_TIMES_DIRTY, &ZUF_II(inode)->state);
		goto out;
	}
	err = zuf_update_attr(inode, &zsa->attr);
	if (!err && (v & ATTR_MODE))
		err = zuf_acl_chmod(idmap, dentry);
out:
	kfree(zsa);
	return err;
}

int zuf_getattr(zuf_idmap_t *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);

	zuf_generic_fillattr(idmap, request_mask, inode, stat);
	stat->btime = ZUF_II(inode)->btime;
	stat->result_mask |= STATX_BTIME;
	return 0;
}

/*
 * ->update_time: the VFS moves a time stamp with no other change (atime
 * from read, readdir and readlink, as relatime/strictatime decide). The
 * server stores it: a SETATTR of the times only, ctime passed as it is so
 * the server does not stamp it. Only the times are taken back from the
 * reply (nothing here holds the inode lock).
 */
/* SETATTR of the times in @mask (ZUFS_ATTR_*TIME), as given. */
static int zuf_send_times(struct inode *inode, u32 mask, struct timespec64 at,
			  struct timespec64 mt, struct timespec64 ct)
{
	struct zufs_ioc_setattr *zsa;
	int err;

	zsa = kzalloc(sizeof(*zsa), GFP_NOFS);
	if (!zsa)
		return -ENOMEM;
	zuf_get_attr(inode, &zsa->attr);
	zsa->attr.atime = zuf_zt(at);
	zsa->attr.mtime = zuf_zt(mt);
	zsa->attr.ctime = zuf_zt(ct);
	zsa->zus_ii = ZUF_II(inode)->zus_ii;
	zsa->mask = mask;
	err = zuf_dispatch_op(inode->i_sb, &zsa->hdr, ZUFS_OP_SETATTR,
			      sizeof(*zsa),
			      offsetof(struct zufs_ioc_setattr, attr),
			      NULL, 0, false);
	kfree(zsa);
	return err;
}

int zuf_store_times(struct inode *inode, struct timespec64 now, int flags)
{
	struct timespec64 at, mt, ct;
	int err;

	if (!(flags & (S_ATIME | S_MTIME | S_CTIME)))
		return 0;
	zuf_inode_get_times(inode, &at, &mt, &ct);
	if (flags & S_ATIME)
		at = now;
	if (flags & S_MTIME)
		mt = now;
	if (flags & S_CTIME)
		ct = now;
	err = zuf_send_times(inode, ZUFS_ATTR_CTIME |
			     ((flags & S_ATIME) ? ZUFS_ATTR_ATIME : 0) |
			     ((flags & S_MTIME) ? ZUFS_ATTR_MTIME : 0),
			     at, mt, ct);
	if (!err)
		zuf_inode_set_times(inode, at, mt, ct);
	return err;
}

/*
 * A write that skipped the server (the extent cache, inode locked) moves
 * mtime/ctime in the inode only and marks it dirty; the server gets them
 * from ->write_inode (sync, syncfs, umount, writeback of inodes dirty for
 * dirty_expire_centisecs) or fsync, like a disk filesystem's inode times.
 * Replies of the server meanwhile keep the newer times (zuf_update_attr).
 */
void zuf_times_dirty(struct inode *inode)
{
	struct timespec64 now, at, mt, ct;

	if (IS_NOCMTIME(inode))
		return;
	now = current_time(inode);
	zuf_inode_get_times(inode, &at, &mt, &ct);
	if (timespec64_equal(&now, &mt) && timespec64_equal(&now, &ct))
		return;
	zuf_inode_set_times(inode, at, now, now);
	smp_mb__before_atomic();	/* the times, then the bit */
	set_bit(ZUF_II_TIMES_DIRTY, &ZUF_II(inode)->state);
	mark_inode_dirty_sync(inode);
}

/* Send the times zuf_times_dirty moved to the server (SETATTR). */
int zuf_flush_times(struct inode *inode)
{
	unsigned long *state = &ZUF_II(inode)->state;
	struct timespec64 at, mt, ct;
	int err;

	if (!test_and_clear_bit(ZUF_II_TIMES_DIRTY, state))
		return 0;
	zuf_inode_get_times(inode, &at, &mt, &ct);
	err = zuf_send_times(inode, ZUFS_ATTR_MTIME | ZUFS_ATTR_CTIME,
			     at, mt, ct);
	if (err)	/* e.g. a dead server: the next sync or fsync says so */
		set_bit(ZUF_II_TIMES_DIRTY, state);
	return err;
}

/* ~~~~ symlinks ~~~~ */

static const char *zuf_get_link(struct dentry *dentry, struct inode *inode,
				struct delayed_call *done)
{
	struct zufs_ioc_get_symlink *zgs;
	struct page *page;
	char *target;
	int err;

	if (inode->i_link)
		return inode->i_link;
	if (!dentry)
		return ERR_PTR(-ECHILD);	/* not in RCU walk */

	zgs = kzalloc(sizeof(*zgs), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!zgs || !page) {
		err = -ENOMEM;
		goto out;
	}
	zgs->zus_ii = ZUF_II(inode)->zus_ii;
	zgs->hdr.len = PAGE_SIZE;
	err = zuf_dispatch_op(inode->i_sb, &zgs->hdr, ZUFS_OP_GET_SYMLINK,
			      sizeof(*zgs),
			      offsetof(struct zufs_ioc_get_symlink, len),
			      &page, 1, false);
	if (err)
		goto out;
	if (!zgs->len || zgs->len >= PAGE_SIZE) {
		err = -EIO;
		goto out;
	}
	target = kmemdup_nul(page_address(page), zgs->len, GFP_KERNEL);
	if (!target) {
		err = -ENOMEM;
		goto out;
	}
	if (cmpxchg(&inode->i_link, NULL, target))
		kfree(target);	/* another reader cached it first */
out:
	kfree(zgs);
	if (page)
		__free_page(page);
	return err ? ERR_PTR(err) : inode->i_link;
}

/* ~~~~ operation tables ~~~~ */

static const struct inode_operations zuf_file_iops = {
	.setattr	= zuf_setattr,
	.getattr	= zuf_getattr,
	.update_time	= zuf_update_time,
	ZUF_XATTR_IOPS,
	.fiemap		= zuf_fiemap,
};

static const struct inode_operations zuf_symlink_iops = {
	.get_link	= zuf_get_link,
	.setattr	= zuf_setattr,
	.getattr	= zuf_getattr,
	.update_time	= zuf_update_time,
	.listxattr	= zuf_listxattr,
};

static const struct inode_operations zuf_special_iops = {
	.setattr	= zuf_setattr,
	.getattr	= zuf_getattr,
	.update_time	= zuf_update_time,
	ZUF_XATTR_IOPS,
};

void zuf_set_inode_ops(struct inode *inode, u32 rdev)
{
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &zuf_file_iops;
		inode->i_fop = &zuf_file_fops;
		break;
	case S_IFDIR:
		inode->i_op = &zuf_dir_iops;
		inode->i_fop = &zuf_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &zuf_symlink_iops;
		break;
	default:
		inode->i_op = &zuf_special_iops;
		init_special_inode(inode, inode->i_mode, new_decode_dev(rdev));
		break;
	}
}

/* An inode the server named: the cached one, or a new one from @a. */
struct inode *zuf_iget(struct super_block *sb, u64 zus_ii,
		       const struct zufs_attr *a)
{
	struct inode *inode;
	int err;

	if (!zus_ii || !zuf_valid_attr(a)) {
		pr_err_ratelimited("%s: server named an invalid inode\n",
				   sb->s_type->name);
		return ERR_PTR(-EIO);
	}
	inode = iget_locked(sb, a->ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW)) {
		if (ZUF_II(inode)->zus_ii != zus_ii) {
			pr_err_ratelimited("%s: server gave inode %llu two handles\n",
					   sb->s_type->name, a->ino);
			iput(inode);
			return ERR_PTR(-EIO);
		}
		err = zuf_update_attr(inode, a);
		if (err) {
			iput(inode);
			return ERR_PTR(err);
		}
		return inode;
	}
	ZUF_II(inode)->zus_ii = zus_ii;
	inode->i_mode = a->mode;
	err = zuf_update_attr(inode, a);
	if (err) {
		ZUF_II(inode)->zus_ii = 0;	/* nothing to evict */
		iget_failed(inode);
		return ERR_PTR(err);
	}
	zuf_set_inode_ops(inode, a->rdev);
	unlock_new_inode(inode);
	return inode;
}

struct inode *zuf_iget_root(struct super_block *sb, u64 zus_ii,
			    const struct zufs_attr *attr)
{
	if (!S_ISDIR(attr->mode)) {
		pr_err("%s: server gave a root inode that is not a directory\n",
		       sb->s_type->name);
		return ERR_PTR(-EIO);
	}
	return zuf_iget(sb, zus_ii, attr);
}

/* ~~~~ eviction ~~~~
 * EVICT_INODE is sent from a workqueue: evict_inode may run in memory
 * reclaim, even in a server thread's page fault, and must not wait for
 * the server there.
 */
struct zuf_evict {
	struct llist_node node;
	u64 zus_ii;
	u32 flags;
};

static void zuf_evict_one(struct super_block *sb, struct zuf_evict *ze)
{
	struct zufs_ioc_evict_inode zei = {
		.zus_ii	= ze->zus_ii,
		.flags	= ze->flags,
	};

	zuf_dispatch_op(sb, &zei.hdr, ZUFS_OP_EVICT_INODE, sizeof(zei),
			sizeof(zei), NULL, 0, false);
}

static void zuf_evict_work(struct work_struct *work)
{
	struct zuf_sb_info *sbi = container_of(work, struct zuf_sb_info,
					       evict_work);
	struct llist_node *list = llist_del_all(&sbi->evict_list);
	struct zuf_evict *ze, *n;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(ze, n, list, node) {
		zuf_evict_one(sbi->sb, ze);
		kfree(ze);
	}
}

void zuf_evict_init(struct zuf_sb_info *sbi, struct super_block *sb)
{
	sbi->sb = sb;
	init_llist_head(&sbi->evict_list);
	INIT_WORK(&sbi->evict_work, zuf_evict_work);
}

/* Send every pending eviction: before UMOUNT. */
void zuf_evict_flush(struct zuf_sb_info *sbi)
{
	flush_work(&sbi->evict_work);
	zuf_evict_work(&sbi->evict_work);
}

void zuf_evict_inode(struct inode *inode)
{
	struct zuf_sb_info *sbi = ZUF_SBI(inode->i_sb);
	u64 zus_ii = ZUF_II(inode)->zus_ii;
	struct zuf_evict *ze;

	truncate_inode_pages_final(&inode->i_data);
	zuf_ec_destroy(inode);
	clear_inode(inode);
	if (!zus_ii)
		return;

	ze = kmalloc(sizeof(*ze), GFP_NOFS | __GFP_NOFAIL);
	ze->zus_ii = zus_ii;
	ze->flags = inode->i_nlink ? 0 : ZUFS_EVICT_DELETE;
	llist_add(&ze->node, &sbi->evict_list);
	queue_work(zuf_evict_wq, &sbi->evict_work);
}
