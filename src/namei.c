// SPDX-License-Identifier: GPL-2.0
/*
 * namei.c - directory inode operations: lookup, create, mkdir, mknod,
 * symlink, link, unlink, rmdir, rename and O_TMPFILE, each one operation
 * of the server. Permission checks are the VFS's, before we are called;
 * every inode the server changed comes back in its reply and is updated.
 */
#include "zuf.h"

#include <linux/highmem.h>
#include <linux/namei.h>
#include <linux/slab.h>

static int zuf_set_name(struct zufs_str *zs, const struct qstr *q)
{
	if (q->len > ZUFS_NAME_MAX)
		return -ENAMETOOLONG;
	zs->len = q->len;
	memcpy(zs->name, q->name, q->len);
	zs->name[q->len] = 0;
	return 0;
}

static u64 zuf_ii(struct inode *inode)
{
	return ZUF_II(inode)->zus_ii;
}

static struct dentry *zuf_lookup(struct inode *dir, struct dentry *dentry,
				 unsigned int flags)
{
	struct zufs_ioc_lookup *zl;
	struct inode *inode = NULL;
	int err;

	if (dentry->d_name.len > ZUFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	zl = kzalloc(sizeof(*zl), GFP_KERNEL);
	if (!zl)
		return ERR_PTR(-ENOMEM);
	zl->dir_ii = zuf_ii(dir);
	zuf_set_name(&zl->name, &dentry->d_name);
	err = zuf_dispatch_op(dir->i_sb, &zl->hdr, ZUFS_OP_LOOKUP, sizeof(*zl),
			      offsetof(struct zufs_ioc_lookup, zus_ii),
			      NULL, 0, false);
	if (!err)
		inode = zuf_iget(dir->i_sb, zl->zus_ii, &zl->attr);
	else if (err == -ENOENT)
		inode = NULL;	/* a negative dentry */
	else
		inode = ERR_PTR(err);
	kfree(zl);
	return d_splice_alias(inode, dentry);
}

/* Take back the name of a new inode whose creation failed after all. */
static void zuf_unlink_new(struct inode *dir, struct dentry *dentry,
			   struct inode *inode)
{
	struct zufs_ioc_unlink *zu;

	if (!dentry)
		return;		/* O_TMPFILE: freed at eviction */
	zu = kzalloc(sizeof(*zu), GFP_KERNEL);
	if (!zu)
		return;
	zuf_set_name(&zu->name, &dentry->d_name);
	zu->dir_ii = zuf_ii(dir);
	zu->zus_ii = zuf_ii(inode);
	zu->now = zuf_now(dir);
	zu->flags = S_ISDIR(inode->i_mode) ? ZUFS_UNLINK_DIR : 0;
	if (!zuf_dispatch_op(dir->i_sb, &zu->hdr, ZUFS_OP_UNLINK, sizeof(*zu),
			     offsetof(struct zufs_ioc_unlink, attr),
			     NULL, 0, false))
		zuf_update_attr(dir, &zu->dir_attr);
	kfree(zu);
}

/* Does the server take the first xattrs in NEW_INODE (ZUFS_NI_XATTRS)? */
static bool zuf_ni_xattrs(struct super_block *sb)
{
	return (READ_ONCE(zuf_root->agreed_caps) & ZUFS_CAP_NI_XATTR) &&
	       (ZUF_FST(sb->s_type)->fs_caps & ZUFS_FSC_NI_XATTR);
}

/*
 * Create an inode: the VFS inode is made first so inode_init_owner()
 * decides owner, group and mode (setgid directories included); the server
 * then allocates it and gives it its number. Its first xattrs (inherited
 * ACLs, LSM labels) go with NEW_INODE when the server takes them there,
 * so the name never appears without them; otherwise they are stored
 * right after it, and a failure removes the name again.
 */
static struct inode *zuf_new_inode(zuf_idmap_t *idmap, struct inode *dir,
				   struct dentry *dentry, umode_t mode,
				   dev_t rdev, const char *symname)
{
	struct super_block *sb = dir->i_sb;
	bool ni_xattrs = zuf_ni_xattrs(sb);
	struct zufs_ioc_new_inode *zni;
	struct zuf_init_xattrs zix;
	struct page **pages = NULL;
	unsigned int nump = 0;
	struct inode *inode;
	size_t symlen = 0;
	int err;

	memset(&zix, 0, sizeof(zix));
	zni = kzalloc(sizeof(*zni), GFP_KERNEL);
	inode = new_inode(sb);
	if (!zni || !inode) {
		err = -ENOMEM;
		goto fail;
	}
	inode_init_owner(idmap, inode, dir, mode);
	inode->i_rdev = rdev;
	zuf_inode_set_times(inode, current_time(inode), current_time(inode),
			    current_time(inode));
	ZUF_II(inode)->btime = current_time(inode);
	err = zuf_ix_prepare(dir, inode, dentry ? &dentry->d_name : NULL,
			     &zix);
	if (err)
		goto fail;

	if (dentry) {
		err = zuf_set_name(&zni->name, &dentry->d_name);
		if (err)
			goto fail;
	} else {
		zni->flags |= ZUFS_NI_TMPFILE;
	}
	if (symname) {
		symlen = strlen(symname);
		if (symlen >= PAGE_SIZE) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		zni->symlink_len = symlen;
	}
	if (symname || (zix.nr && ni_xattrs)) {
		bool send = zix.nr && ni_xattrs;
		u32 off = send ? ALIGN(symlen, 8) : symlen, len;

		err = zuf_ix_window(send ? &zix : NULL, symname, symlen, off,
				    &pages, &nump, &len);
		if (err)
			goto fail;
		if (send) {
			zni->hdr.offset = off;
			zni->hdr.len = len;
			zni->flags |= ZUFS_NI_XATTRS;
		}
	}
	zni->dir_ii = zuf_ii(dir);
	zuf_get_attr(inode, &zni->attr);
	zni->attr.ino = 0;
	zni->attr.nlink = 0;

	err = zuf_dispatch_op(sb, &zni->hdr, ZUFS_OP_NEW_INODE, sizeof(*zni),
			      offsetof(struct zufs_ioc_new_inode, attr),
			      pages, nump, true);
	if (err)
		goto fail;
	if (!zni->zus_ii || !zni->attr.ino ||
	    ((zni->attr.mode ^ mode) & S_IFMT)) {
		err = -EIO;
		goto fail;
	}
	inode->i_ino = zni->attr.ino;
	ZUF_II(inode)->zus_ii = zni->zus_ii;
	err = zuf_update_attr(inode, &zni->attr);
	if (!err)
		err = zuf_update_attr(dir, &zni->dir_attr);
	if (err)
		goto fail_created;
	if (symname) {
		inode->i_link = kmemdup_nul(symname, symlen, GFP_KERNEL);
		if (!inode->i_link) {
			err = -ENOMEM;
			goto fail_created;
		}
	}
	zuf_set_inode_ops(inode, zni->attr.rdev);
	err = zuf_ix_store(inode, &zix, zni->flags & ZUFS_NI_XATTRS);
	if (err) {
		zuf_unlink_new(dir, dentry, inode);
		goto fail_created;
	}
	err = insert_inode_locked(inode);
	if (err) {
		pr_err_ratelimited("%s: server reused inode number %lu\n",
				   sb->s_type->name, inode->i_ino);
		err = -EIO;
		goto fail_created;
	}
	kfree(zni);
	zuf_ix_pages_free(pages, nump);
	zuf_ix_release(&zix);
	return inode;

fail_created:
	/* The server made it; eviction with nlink 0 tells it to free it. */
	clear_nlink(inode);
fail:
	if (inode) {
		if (!ZUF_II(inode)->zus_ii)
			make_bad_inode(inode);
		iput(inode);
	}
	kfree(zni);
	zuf_ix_pages_free(pages, nump);
	zuf_ix_release(&zix);
	return ERR_PTR(err);
}

static int zuf_instantiate(zuf_idmap_t *idmap, struct inode *dir,
			   struct dentry *dentry, umode_t mode, dev_t rdev,
			   const char *symname)
{
	struct inode *inode = zuf_new_inode(idmap, dir, dentry, mode, rdev,
					    symname);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate_new(dentry, inode);
	return 0;
}

static int zuf_create(zuf_idmap_t *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return zuf_instantiate(idmap, dir, dentry, mode, 0, NULL);
}

static int zuf_mknod(zuf_idmap_t *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return zuf_instantiate(idmap, dir, dentry, mode, rdev, NULL);
}

static int zuf_mkdir(zuf_idmap_t *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode)
{
	return zuf_instantiate(idmap, dir, dentry, S_IFDIR | mode, 0, NULL);
}

static int zuf_symlink(zuf_idmap_t *idmap, struct inode *dir,
		       struct dentry *dentry, const char *symname)
{
	return zuf_instantiate(idmap, dir, dentry, S_IFLNK | 0777, 0, symname);
}

static int zuf_tmpfile(zuf_idmap_t *idmap, struct inode *dir,
		       struct file *file, umode_t mode)
{
	struct inode *inode = zuf_new_inode(idmap, dir, NULL, mode, 0, NULL);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	/* d_tmpfile() drops the link count we give it to the server's 0. */
	set_nlink(inode, 1);
	d_tmpfile(file, inode);
	unlock_new_inode(inode);
	return finish_open_simple(file, 0);
}

static int zuf_link(struct dentry *old_dentry, struct inode *dir,
		    struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	struct zufs_ioc_link *zl;
	int err;

	zl = kzalloc(sizeof(*zl), GFP_KERNEL);
	if (!zl)
		return -ENOMEM;
	err = zuf_set_name(&zl->name, &dentry->d_name);
	if (err)
		goto out;
	zl->dir_ii = zuf_ii(dir);
	zl->zus_ii = zuf_ii(inode);
	zl->now = zuf_now(dir);
	err = zuf_dispatch_op(dir->i_sb, &zl->hdr, ZUFS_OP_LINK, sizeof(*zl),
			      offsetof(struct zufs_ioc_link, attr),
			      NULL, 0, false);
	if (err)
		goto out;
	err = zuf_update_attr(inode, &zl->attr);
	if (!err)
		err = zuf_update_attr(dir, &zl->dir_attr);
	if (err)
		goto out;
	inode->i_state &= ~I_LINKABLE;
	ihold(inode);
	d_instantiate(dentry, inode);
out:
	kfree(zl);
	return err;
}

static int zuf_remove(struct inode *dir, struct dentry *dentry, u32 flags)
{
	struct inode *inode = d_inode(dentry);
	struct zufs_ioc_unlink *zu;
	int err;

	zu = kzalloc(sizeof(*zu), GFP_KERNEL);
	if (!zu)
		return -ENOMEM;
	zuf_set_name(&zu->name, &dentry->d_name);
	zu->dir_ii = zuf_ii(dir);
	zu->zus_ii = zuf_ii(inode);
	zu->now = zuf_now(dir);
	zu->flags = flags;
	err = zuf_dispatch_op(dir->i_sb, &zu->hdr, ZUFS_OP_UNLINK, sizeof(*zu),
			      offsetof(struct zufs_ioc_unlink, attr),
			      NULL, 0, false);
	if (!err)
		err = zuf_update_attr(inode, &zu->attr);
	if (!err)
		err = zuf_update_attr(dir, &zu->dir_attr);
	kfree(zu);
	return err;
}

static int zuf_unlink(struct inode *dir, struct dentry *dentry)
{
	return zuf_remove(dir, dentry, 0);
}

static int zuf_rmdir(struct inode *dir, struct dentry *dentry)
{
	return zuf_remove(dir, dentry, ZUFS_UNLINK_DIR);
}

static int zuf_rename(zuf_idmap_t *idmap, struct inode *old_dir,
		      struct dentry *old_dentry, struct inode *new_dir,
		      struct dentry *new_dentry, unsigned int flags)
{
	struct inode *old_inode = d_inode(old_dentry);
	struct inode *new_inode = d_inode(new_dentry);
	struct zufs_ioc_rename *zr;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	zr = kzalloc(sizeof(*zr), GFP_KERNEL);
	if (!zr)
		return -ENOMEM;
	err = zuf_set_name(&zr->new_name, &new_dentry->d_name);
	if (err)
		goto out;
	zuf_set_name(&zr->old_name, &old_dentry->d_name);
	zr->old_dir_ii = zuf_ii(old_dir);
	zr->new_dir_ii = zuf_ii(new_dir);
	zr->old_ii = zuf_ii(old_inode);
	zr->new_ii = new_inode ? zuf_ii(new_inode) : 0;
	zr->now = zuf_now(old_dir);
	zr->flags = ((flags & RENAME_NOREPLACE) ? ZUFS_RENAME_NOREPLACE : 0) |
		    ((flags & RENAME_EXCHANGE) ? ZUFS_RENAME_EXCHANGE : 0) |
		    ((flags & RENAME_WHITEOUT) ? ZUFS_RENAME_WHITEOUT : 0);
	err = zuf_dispatch_op(old_dir->i_sb, &zr->hdr, ZUFS_OP_RENAME,
			      sizeof(*zr),
			      offsetof(struct zufs_ioc_rename, old_dir_attr),
			      NULL, 0, false);
	if (err)
		goto out;
	err = zuf_update_attr(old_dir, &zr->old_dir_attr);
	if (!err && new_dir != old_dir)
		err = zuf_update_attr(new_dir, &zr->new_dir_attr);
	if (!err)
		err = zuf_update_attr(old_inode, &zr->old_attr);
	if (!err && new_inode)
		err = zuf_update_attr(new_inode, &zr->new_attr);
out:
	kfree(zr);
	return err;
}

const struct inode_operations zuf_dir_iops = {
	.lookup		= zuf_lookup,
	.create		= zuf_create,
	.link		= zuf_link,
	.unlink		= zuf_unlink,
	.symlink	= zuf_symlink,
	.mkdir		= zuf_mkdir,
	.rmdir		= zuf_rmdir,
	.mknod		= zuf_mknod,
	.rename		= zuf_rename,
	.tmpfile	= zuf_tmpfile,
	.setattr	= zuf_setattr,
	.getattr	= zuf_getattr,
	.update_time	= zuf_update_time,
	ZUF_XATTR_IOPS,
};
