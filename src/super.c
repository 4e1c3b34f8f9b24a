// SPDX-License-Identifier: GPL-2.0
/*
 * super.c - file system types registered by the server, and their
 * superblocks: mount, umount, remount, statfs, show_options, each handed
 * to the server's mount thread.
 */
#include "zuf.h"

#include <linux/backing-dev.h>
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

struct zuf_fs_context {
	char *options;
	size_t len;
};

static int zuf_sb_dispatch(struct super_block *sb, u32 op,
			   struct zufs_ioc_mount *zim)
{
	struct zuf_sb_info *sbi = ZUF_SBI(sb);

	if (READ_ONCE(zuf_root->server_gen) != sbi->server_gen)
		return -EIO;	/* the server that knew this sb is gone */
	zim->zmi.zus_zfi = sbi->zft->zus_zfi;
	zim->zmi.zus_sbi = sbi->zus_sbi;
	return zufm_dispatch(zuf_root, op, zim);
}

static void zuf_put_super(struct super_block *sb)
{
	struct zuf_sb_info *sbi = ZUF_SBI(sb);
	struct zufs_ioc_mount *zim;
	int err;

	zuf_evict_flush(sbi);
	if (sbi->mounted) {
		sbi->mounted = false;
		zim = kzalloc(sizeof(*zim), GFP_KERNEL);
		if (zim) {
			err = zuf_sb_dispatch(sb, ZUFS_M_UMOUNT, zim);
			if (err && err != -EIO)
				pr_warn("%s: server failed umount: %d\n",
					sb->s_type->name, err);
			kfree(zim);
		}
	}
	/* Whatever the server did, its mappings of the device end here. */
	if (sbi->pmem) {
		zuf_pmem_unregister(sbi->pmem);
		sbi->pmem = NULL;
	}
}

static int zuf_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct zufs_ioc_mount *zim;
	struct zufs_statfs *st;
	int err;

	/* Space and inodes of files already unlinked are free: df after
	 * rm must not wait for the asynchronous EVICT_INODE.
	 */
	zuf_evict_flush(ZUF_SBI(sb));
	zim = kzalloc(sizeof(*zim), GFP_KERNEL);
	if (!zim)
		return -ENOMEM;
	err = zuf_sb_dispatch(sb, ZUFS_M_STATFS, zim);
	if (err)
		goto out;
	st = &zim->statfs;
	buf->f_type = sb->s_magic;
	buf->f_bsize = st->bsize ?: sb->s_blocksize;
	buf->f_frsize = st->frsize ?: buf->f_bsize;
	buf->f_blocks = st->blocks;
	buf->f_bfree = min(st->bfree, st->blocks);
	buf->f_bavail = min(st->bavail, buf->f_bfree);
	buf->f_files = st->files;
	buf->f_ffree = min(st->ffree, st->files);
	buf->f_namelen = clamp_t(u32, st->namelen ?: NAME_MAX, 1, NAME_MAX);
	buf->f_fsid = u64_to_fsid(st->fsid);
out:
	kfree(zim);
	return err;
}

static int zuf_show_options(struct seq_file *seq, struct dentry *root)
{
	struct zufs_ioc_mount *zim;
	const char *p;

	zim = kzalloc(sizeof(*zim), GFP_KERNEL);
	if (!zim)
		return -ENOMEM;
	if (zuf_sb_dispatch(root->d_sb, ZUFS_M_SHOW_OPTIONS, zim))
		goto out;	/* a dead server shows no options */
	p = zim->zmi.options;
	if (*p && *p != ',')
		seq_putc(seq, ',');
	for (; *p; p++)		/* keep /proc/mounts parseable */
		if (isgraph(*p) && *p != '\\')
			seq_putc(seq, *p);
out:
	kfree(zim);
	return 0;
}

static int zuf_write_inode(struct inode *inode, struct writeback_control *wbc)
{
	return zuf_flush_times(inode);
}

static const struct super_operations zuf_sops = {
	.alloc_inode	= zuf_alloc_inode,
	.free_inode	= zuf_free_inode,
	.evict_inode	= zuf_evict_inode,
	.write_inode	= zuf_write_inode,
	.put_super	= zuf_put_super,
	.statfs		= zuf_statfs,
	.sync_fs	= zuf_sync_fs,
	.show_options	= zuf_show_options,
};

static void zuf_copy_options(struct zufs_mount_info *zmi,
			     const struct zuf_fs_context *ctx)
{
	memcpy(zmi->options, ctx->options, ctx->len);
	zmi->options[ctx->len] = 0;
	zmi->options_len = ctx->len;
}

static int zuf_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct zuf_fs_type *zft = ZUF_FST(fc->fs_type);
	struct zuf_fs_context *ctx = fc->fs_private;
	struct zufs_mount_info *zmi;
	struct zufs_ioc_mount *zim;
	struct zuf_sb_info *sbi;
	struct inode *root;
	u32 bits;
	int err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	zim = kzalloc(sizeof(*zim), GFP_KERNEL);
	if (!sbi || !zim) {
		kfree(sbi);
		err = -ENOMEM;
		goto out;
	}
	sbi->zft = zft;
	sbi->server_gen = zft->server_gen;
	zuf_evict_init(sbi, sb);
	sb->s_fs_info = sbi;
	sb->s_magic = zft->magic;
	sb->s_op = &zuf_sops;
	/* Once a write found no setuid/setgid bit and no security.capability
	 * to remove, the VFS marks the inode S_NOSEC and later writes skip the
	 * check (a getxattr round trip each) until a chmod or a security.*
	 * xattr clears it; every change of those goes through this kernel.
	 */
	sb->s_flags |= SB_NOSEC;
	/* Writeback reaches ->write_inode (times of cached writes) only
	 * through a bdi that does writeback: the device's, else our own.
	 */
	if (sb->s_bdi == &noop_backing_dev_info) {
		err = super_setup_bdi(sb);
		if (err)
			goto out;
	}
	if (zuf_root->agreed_caps & ZUFS_CAP_XATTR) {
		sb->s_xattr = zuf_xattr_handlers;
		sb->s_flags |= SB_POSIXACL;
	}

	zmi = &zim->zmi;
	zuf_copy_options(zmi, ctx);
	if (sb_rdonly(sb))
		zmi->sb_flags |= ZUFS_M_RDONLY;
	if (fc->sb_flags & SB_SILENT)
		zmi->sb_flags |= ZUFS_M_SILENT;
	if (sb->s_bdev) {
		sbi->pmem = zuf_pmem_register(sb, &zmi->pmem_id);
		if (IS_ERR(sbi->pmem)) {
			err = PTR_ERR(sbi->pmem);
			sbi->pmem = NULL;
			errorf(fc, "%s: %s has no DAX support", zft->name,
			       fc->source);
			goto out;
		}
		strscpy(zmi->dev_path, fc->source ?: "", sizeof(zmi->dev_path));
		zmi->pmem_size = zuf_pmem_size(sbi->pmem);
	}

	err = zuf_sb_dispatch(sb, ZUFS_M_MOUNT, zim);
	if (err) {
		errorf(fc, "%s: the server refused the mount: %d",
		       zft->name, err);
		goto out;
	}
	sbi->zus_sbi = zmi->zus_sbi;
	sbi->mounted = true;

	bits = zmi->s_blocksize_bits ?: PAGE_SHIFT;
	if (bits < 9 || bits > PAGE_SHIFT) {
		pr_err("%s: server gave invalid block size bits %u\n",
		       zft->name, bits);
		err = -EIO;
		goto out;
	}
	if (sb->s_bdev) {
		if (!sb_set_blocksize(sb, 1 << bits)) {
			err = -EINVAL;
			goto out;
		}
	} else {
		sb->s_blocksize = 1 << bits;
		sb->s_blocksize_bits = bits;
	}
	sb->s_time_gran = (zmi->s_time_gran && zmi->s_time_gran <= NSEC_PER_SEC)
			  ? zmi->s_time_gran : 1;
	sb->s_maxbytes = (zmi->s_maxbytes && zmi->s_maxbytes <= MAX_LFS_FILESIZE)
			 ? zmi->s_maxbytes : MAX_LFS_FILESIZE;
	sb->s_max_links = zmi->s_max_links;

	root = zuf_iget_root(sb, zmi->zus_ii, &zmi->root);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto out;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		err = -ENOMEM;
out:
	kfree(zim);
	return err;
}

static int zuf_get_tree(struct fs_context *fc)
{
	struct zuf_fs_type *zft = ZUF_FST(fc->fs_type);

	if (READ_ONCE(zuf_root->server_gen) != zft->server_gen ||
	    READ_ONCE(zuf_root->state) != ZUF_SERVER_READY)
		return invalf(fc, "%s: its ZUFS server is not running",
			      zft->name);
	if (zft->fs_caps & ZUFS_FSC_REQUIRES_DEV)
		return get_tree_bdev(fc, zuf_fill_super);
	return get_tree_nodev(fc, zuf_fill_super);
}

/* Options go to the server as one string "a=1,b,c=x". */
static int zuf_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct zuf_fs_context *ctx = fc->fs_private;
	size_t need;

	if (!strcmp(param->key, "source"))
		return -ENOPARAM;
	if (param->type != fs_value_is_flag &&
	    param->type != fs_value_is_string)
		return invalf(fc, "%s: option '%s' must be a string",
			      fc->fs_type->name, param->key);
	need = (ctx->len ? 1 : 0) + strlen(param->key) +
	       (param->string ? 1 + strlen(param->string) : 0);
	if (ctx->len + need >= ZUFS_MOUNT_OPTIONS_MAX)
		return invalf(fc, "%s: mount options too long",
			      fc->fs_type->name);
	ctx->len += scnprintf(ctx->options + ctx->len,
			      ZUFS_MOUNT_OPTIONS_MAX - ctx->len, "%s%s%s%s",
			      ctx->len ? "," : "", param->key,
			      param->string ? "=" : "",
			      param->string ?: "");
	return 0;
}

static int zuf_reconfigure(struct fs_context *fc)
{
	struct super_block *sb = fc->root->d_sb;
	struct zuf_fs_context *ctx = fc->fs_private;
	struct zufs_ioc_mount *zim;
	int err;

	sync_filesystem(sb);
	zim = kzalloc(sizeof(*zim), GFP_KERNEL);
	if (!zim)
		return -ENOMEM;
	zuf_copy_options(&zim->zmi, ctx);
	if (fc->sb_flags & SB_RDONLY)
		zim->zmi.sb_flags |= ZUFS_M_RDONLY;
	err = zuf_sb_dispatch(sb, ZUFS_M_REMOUNT, zim);
	kfree(zim);
	if (err)
		return invalf(fc, "%s: the server refused the remount: %d",
			      sb->s_type->name, err);
	return 0;
}

static void zuf_free_fc(struct fs_context *fc)
{
	struct zuf_fs_context *ctx = fc->fs_private;

	if (ctx)
		kfree(ctx->options);
	kfree(ctx);
}

static const struct fs_context_operations zuf_context_ops = {
	.parse_param	= zuf_parse_param,
	.get_tree	= zuf_get_tree,
	.reconfigure	= zuf_reconfigure,
	.free		= zuf_free_fc,
};

static int zuf_init_fs_context(struct fs_context *fc)
{
	struct zuf_fs_context *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->options = kzalloc(ZUFS_MOUNT_OPTIONS_MAX, GFP_KERNEL);
	if (!ctx->options) {
		kfree(ctx);
		return -ENOMEM;
	}
	fc->fs_private = ctx;
	fc->ops = &zuf_context_ops;
	return 0;
}

static void zuf_kill_sb(struct super_block *sb)
{
	struct zuf_sb_info *sbi = ZUF_SBI(sb);

	if (sb->s_bdev)
		kill_block_super(sb);
	else
		kill_anon_super(sb);
	if (sbi) {
		/* When fill_super failed there was no put_super: evictions
		 * may still be queued and the pmem registered.
		 */
		zuf_evict_flush(sbi);
		if (sbi->pmem)
			zuf_pmem_unregister(sbi->pmem);
	}
	kfree(sbi);
}

/* ~~~~ registration by the server ~~~~ */

static bool zuf_valid_fs_name(const char *name)
{
	const char *p;

	if (!*name)
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

int zuf_register_fs(struct zuf_root_info *zri,
		    struct zufs_ioc_register_fs *rfs)
{
	struct zuf_fs_type *zft;
	int err;

	if (strnlen(rfs->name, sizeof(rfs->name)) == sizeof(rfs->name) ||
	    !zuf_valid_fs_name(rfs->name)) {
		pr_err("server registered an invalid filesystem name\n");
		return -EINVAL;
	}
	if (rfs->fs_caps & ~(ZUFS_FSC_REQUIRES_DEV | ZUFS_FSC_NO_ECHO |
			      ZUFS_FSC_NI_XATTR))
		return -EINVAL;

	zft = kzalloc(sizeof(*zft), GFP_KERNEL);
	if (!zft)
		return -ENOMEM;
	strscpy(zft->name, rfs->name, sizeof(zft->name));
	zft->zus_zfi = rfs->zus_zfi;
	zft->magic = rfs->magic;
	zft->version = rfs->version;
	zft->fs_caps = rfs->fs_caps;
	zft->vfs_fst.owner = THIS_MODULE;
	zft->vfs_fst.name = zft->name;
	zft->vfs_fst.init_fs_context = zuf_init_fs_context;
	zft->vfs_fst.kill_sb = zuf_kill_sb;
	if (zft->fs_caps & ZUFS_FSC_REQUIRES_DEV)
		zft->vfs_fst.fs_flags = FS_REQUIRES_DEV;

	mutex_lock(&zri->lock);
	if (zri->state != ZUF_SERVER_READY) {
		err = -EIO;
		goto fail;
	}
	zft->server_gen = zri->server_gen;
	err = register_filesystem(&zft->vfs_fst);
	if (err) {
		pr_err("cannot register filesystem type %s: %s\n", zft->name,
		       err == -EBUSY ? "the name is taken" : "error");
		goto fail;
	}
	zft->registered = true;
	list_add(&zft->list, &zri->fs_types);
	mutex_unlock(&zri->lock);
	pr_info("registered filesystem type %s (version %u)\n", zft->name,
		zft->version);
	return 0;

fail:
	mutex_unlock(&zri->lock);
	kfree(zft);
	return err;
}

/*
 * The server left: no new mounts of its types. Mounted superblocks keep
 * pointing at their zuf_fs_type (and answer EIO), so the structs are only
 * freed when the module goes, when nothing can be mounted any more.
 * Caller holds zri->lock.
 */
void zuf_unregister_all_fs(struct zuf_root_info *zri)
{
	struct zuf_fs_type *zft;

	list_for_each_entry(zft, &zri->fs_types, list) {
		if (!zft->registered)
			continue;
		unregister_filesystem(&zft->vfs_fst);
		zft->registered = false;
		pr_info("unregistered filesystem type %s\n", zft->name);
	}
}

void zuf_free_dead_fs(struct zuf_root_info *zri)
{
	struct zuf_fs_type *zft, *n;

	list_for_each_entry_safe(zft, n, &zri->fs_types, list) {
		if (zft->registered)
			unregister_filesystem(&zft->vfs_fst);
		list_del(&zft->list);
		kfree(zft);
	}
}
