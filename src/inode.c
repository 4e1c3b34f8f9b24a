// SPDX-License-Identifier: GPL-2.0
/*
 * inode.c - inodes of ZUFS mounts, filled from what the server reports.
 */
#include "zuf.h"

#include <linux/slab.h>
#include <linux/uidgid.h>

static struct kmem_cache *zuf_inode_cachep;

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
	return zuf_inode_cachep ? 0 : -ENOMEM;
}

void zuf_inode_cache_fini(void)
{
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
	return &zii->vfs_inode;
}

void zuf_free_inode(struct inode *inode)
{
	kmem_cache_free(zuf_inode_cachep, ZUF_II(inode));
}

static struct timespec64 zuf_ts(const struct zufs_time *t)
{
	struct timespec64 ts = {
		.tv_sec = t->sec,
		.tv_nsec = t->nsec < NSEC_PER_SEC ? t->nsec : 0,
	};

	return ts;
}

/* Fill @inode from server attributes; rejects what cannot be valid. */
static int zuf_set_attr(struct inode *inode, const struct zufs_attr *a)
{
	kuid_t uid = make_kuid(&init_user_ns, a->uid);
	kgid_t gid = make_kgid(&init_user_ns, a->gid);

	if (!uid_valid(uid) || !gid_valid(gid) || a->mode > 0xffff ||
	    a->size > MAX_LFS_FILESIZE)
		return -EIO;
	inode->i_ino = a->ino;
	inode->i_mode = a->mode;
	inode->i_uid = uid;
	inode->i_gid = gid;
	set_nlink(inode, a->nlink);
	i_size_write(inode, a->size);
	inode->i_blocks = a->blocks;
	inode->i_generation = a->generation;
	zuf_inode_set_times(inode, zuf_ts(&a->atime), zuf_ts(&a->mtime),
			    zuf_ts(&a->ctime));
	return 0;
}

static const struct inode_operations zuf_dir_iops = {
	.lookup		= simple_lookup,
};

static const struct file_operations zuf_dir_fops = {
	.open		= dcache_dir_open,
	.release	= dcache_dir_close,
	.llseek		= dcache_dir_lseek,
	.read		= generic_read_dir,
	.iterate_shared	= dcache_readdir,
	.unlocked_ioctl	= zuf_app_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

struct inode *zuf_iget_root(struct super_block *sb, u64 zus_ii,
			    const struct zufs_attr *attr)
{
	struct inode *inode;
	int err;

	if (!S_ISDIR(attr->mode) || !zus_ii) {
		pr_err("%s: server gave an invalid root inode\n",
		       sb->s_type->name);
		return ERR_PTR(-EIO);
	}
	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	err = zuf_set_attr(inode, attr);
	if (err) {
		iput(inode);
		return ERR_PTR(err);
	}
	if (inode->i_nlink < 2)
		set_nlink(inode, 2);
	ZUF_II(inode)->zus_ii = zus_ii;
	inode->i_op = &zuf_dir_iops;
	inode->i_fop = &zuf_dir_fops;
	return inode;
}
