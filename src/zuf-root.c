// SPDX-License-Identifier: GPL-2.0
/*
 * zuf-root.c - the control filesystem mounted at /sys/fs/zuf.
 *
 * Its root directory only creates O_TMPFILE "special files". Each special
 * file takes exactly one role through its first ioctl (see zus_api.h):
 * the server session (ZU_IOC_HANDSHAKE), a ZT thread, the mount thread,
 * a pmem mapping, a private mount or an exec buffer.
 */
#include "zuf.h"

#include <linux/capability.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

struct zuf_root_info *zuf_root;

bool zuf_is_server(struct zuf_root_info *zri)
{
	return READ_ONCE(zri->state) == ZUF_SERVER_READY &&
	       READ_ONCE(zri->server_pid) == task_tgid(current);
}

/* ~~~~ the server session ~~~~ */

static const char *zufr_upgrade_hint(u32 server_major)
{
	return server_major > ZUFS_ABI_MAJOR ? "zufs-dkms" : "zus";
}

static long zufr_handshake(struct file *file, void __user *parg)
{
	struct zuf_root_info *zri = zuf_root;
	struct zufs_ioc_handshake *hs;
	struct zuf_special_file *sf;
	long err = 0;

	if (file->private_data)
		return -EINVAL;
	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!hs || !sf) {
		err = -ENOMEM;
		goto out;
	}
	if (copy_from_user(hs, parg, sizeof(*hs))) {
		err = -EFAULT;
		goto out;
	}
	hs->version[sizeof(hs->version) - 1] = 0;
	hs->kernel_major = ZUFS_ABI_MAJOR;
	hs->kernel_minor = ZUFS_ABI_MINOR;
	hs->kernel_caps = ZUFS_CAPS_ALL;
	hs->agreed_caps = hs->caps & ZUFS_CAPS_ALL;
	strscpy(hs->kernel_version, ZUFS_VERSION, sizeof(hs->kernel_version));
	hs->num_cpus = zri->nr_cpus;
	hs->max_channels = ZUFS_MAX_ZT_CHANNELS;

	if (hs->major != ZUFS_ABI_MAJOR) {
		pr_err("ABI mismatch: zuf.ko speaks ZUFS ABI %u.%u but server pid %d speaks %u.%u; upgrade the %s package\n",
		       ZUFS_ABI_MAJOR, ZUFS_ABI_MINOR, task_tgid_nr(current),
		       hs->major, hs->minor, zufr_upgrade_hint(hs->major));
		hs->hdr.err = -EPROTO;
		err = copy_to_user(parg, hs, sizeof(*hs)) ? -EFAULT : -EPROTO;
		goto out;
	}

	mutex_lock(&zri->lock);
	if (zri->state != ZUF_SERVER_NONE) {
		pid_t cur = pid_nr(zri->server_pid);

		mutex_unlock(&zri->lock);
		pr_err("server pid %d refused: pid %d is already attached to zuf-root\n",
		       task_tgid_nr(current), cur);
		err = -EBUSY;
		goto out;
	}
	sf->type = ZUF_SF_SESSION;
	sf->file = file;
	file->private_data = sf;
	zri->session = sf;
	zri->server_pid = get_pid(task_tgid(current));
	zri->server_gen++;
	zri->agreed_caps = hs->agreed_caps;
	zri->server_major = hs->major;
	zri->server_minor = hs->minor;
	__module_get(THIS_MODULE);	/* no rmmod while a server is attached */
	WRITE_ONCE(zri->state, ZUF_SERVER_READY);
	mutex_unlock(&zri->lock);
	sf = NULL;

	pr_info("server pid %d attached: %s, ZUFS ABI %u.%u (kernel %u.%u)\n",
		task_tgid_nr(current), hs->version, hs->major, hs->minor,
		ZUFS_ABI_MAJOR, ZUFS_ABI_MINOR);
	hs->hdr.err = 0;
	if (copy_to_user(parg, hs, sizeof(*hs)))
		err = -EFAULT;
out:
	kfree(sf);
	kfree(hs);
	return err;
}

/* The session ended: close, exit or death of the server. */
int zuf_root_detach_server(struct zuf_root_info *zri)
{
	pid_t pid;

	mutex_lock(&zri->lock);
	if (zri->state == ZUF_SERVER_NONE) {
		mutex_unlock(&zri->lock);
		return 0;
	}
	WRITE_ONCE(zri->state, ZUF_SERVER_NONE);
	zufc_break_all(zri);
	zufm_break(zri);
	zuf_unregister_all_fs(zri);
	pid = pid_nr(zri->server_pid);
	put_pid(zri->server_pid);
	WRITE_ONCE(zri->server_pid, NULL);
	zri->session = NULL;
	mutex_unlock(&zri->lock);

	pr_info("server pid %d detached\n", pid);
	module_put(THIS_MODULE);
	return 0;
}

static long zufr_register_fs_ioctl(struct file *file, void __user *parg)
{
	struct zufs_ioc_register_fs rfs;
	int err;

	if (copy_from_user(&rfs, parg, sizeof(rfs)))
		return -EFAULT;
	err = zuf_register_fs(zuf_root, &rfs);
	rfs.hdr.err = err;
	if (copy_to_user(parg, &rfs, sizeof(rfs)))
		return -EFAULT;
	return err;
}

static long zufr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct zuf_special_file *sf = file->private_data;
	void __user *parg = (void __user *)arg;
	struct zuf_root_info *zri = zuf_root;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (cmd == ZU_IOC_HANDSHAKE)
		return zufr_handshake(file, parg);

	/* Everything else but a private mount is the attached server's. */
	if (cmd != ZU_IOC_PRIVATE_MOUNT && !zuf_is_server(zri))
		return -EPERM;

	switch (cmd) {
	case ZU_IOC_REGISTER_FS:
		if (!sf || sf->type != ZUF_SF_SESSION)
			return -EINVAL;
		return zufr_register_fs_ioctl(file, parg);
	case ZU_IOC_BREAK_ALL:
		if (!sf || sf->type != ZUF_SF_SESSION)
			return -EINVAL;
		WRITE_ONCE(zri->state, ZUF_SERVER_STOPPING);
		zufc_break_all(zri);
		zufm_break(zri);
		return 0;
	case ZU_IOC_NUMA_MAP:
		return zufc_numa_map(file, parg);
	case ZU_IOC_INIT_THREAD:
	case ZU_IOC_WAIT_OPT:
		return zufc_zt_ioctl(file, cmd, parg);
	case ZU_IOC_MOUNT:
		return zufm_ioctl(file, parg);
	case ZU_IOC_GRAB_PMEM:
		return zuf_pmem_grab(file, parg);
	case ZU_IOC_PRIVATE_MOUNT:
		return zuf_pmem_private_mount(file, parg);
	case ZU_IOC_ALLOC_BUFFER:
		return zuf_ebuff_alloc(file, parg);
	default:
		return -ENOTTY;
	}
}

static int zufr_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_special_file *sf = file->private_data;

	if (!sf)
		return -EINVAL;
	switch (sf->type) {
	case ZUF_SF_ZT:
		return zufc_zt_mmap(file, vma);
	case ZUF_SF_PMEM:
	case ZUF_SF_PRIVATE:
		return zuf_pmem_mmap(file, vma);
	case ZUF_SF_EBUFF:
		return zuf_ebuff_mmap(file, vma);
	default:
		return -EINVAL;
	}
}

static int zufr_release(struct inode *inode, struct file *file)
{
	struct zuf_special_file *sf = file->private_data;

	if (!sf)
		return 0;
	switch (sf->type) {
	case ZUF_SF_SESSION:
		zuf_root_detach_server(zuf_root);
		kfree(sf);
		break;
	case ZUF_SF_ZT:
		zufc_zt_release(file);
		break;
	case ZUF_SF_MOUNT:
		zufm_release(file);
		break;
	case ZUF_SF_PMEM:
	case ZUF_SF_PRIVATE:
		zuf_pmem_release(file);
		break;
	case ZUF_SF_EBUFF:
		zuf_ebuff_release(file);
		break;
	default:
		break;
	}
	return 0;
}

static const struct file_operations zufr_special_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= zufr_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= zufr_mmap,
	.release	= zufr_release,
	.llseek		= noop_llseek,
};

/* ~~~~ the root directory: O_TMPFILE only ~~~~ */

static int zufr_tmpfile(zuf_idmap_t *idmap, struct inode *dir,
			struct file *file, umode_t mode)
{
	struct inode *inode;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	inode = new_inode(dir->i_sb);
	if (!inode)
		return -ENOMEM;
	inode->i_ino = get_next_ino();
	inode->i_mode = S_IFREG | (mode & 0600);
	inode->i_uid = current_fsuid();
	inode->i_gid = current_fsgid();
	zuf_inode_set_times(inode, current_time(inode), current_time(inode),
			    current_time(inode));
	inode->i_fop = &zufr_special_fops;
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
}

static const struct inode_operations zufr_dir_iops = {
	.lookup		= simple_lookup,
	.tmpfile	= zufr_tmpfile,
};

static const struct super_operations zufr_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
};

static int zufr_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;

	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = ZUFS_ROOT_MAGIC;
	sb->s_op = &zufr_sops;
	sb->s_time_gran = 1;
	sb->s_fs_info = zuf_root;

	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = 1;
	root->i_mode = S_IFDIR | 0755;
	zuf_inode_set_times(root, current_time(root), current_time(root),
			    current_time(root));
	root->i_op = &zufr_dir_iops;
	root->i_fop = &simple_dir_operations;
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

static int zufr_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	/* "source" is handled by the VFS; zuf-root takes no options. */
	if (!strcmp(param->key, "source"))
		return -ENOPARAM;
	pr_err("zuf-root: unknown mount option '%s'\n", param->key);
	return -EINVAL;
}

static int zufr_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, zufr_fill_super);
}

static const struct fs_context_operations zufr_context_ops = {
	.parse_param	= zufr_parse_param,
	.get_tree	= zufr_get_tree,
};

static int zufr_init_fs_context(struct fs_context *fc)
{
	fc->ops = &zufr_context_ops;
	return 0;
}

static void zufr_kill_sb(struct super_block *sb)
{
	kill_litter_super(sb);
}

static struct file_system_type zufr_type = {
	.owner			= THIS_MODULE,
	.name			= ZUFS_ROOT_FSTYPE,
	.init_fs_context	= zufr_init_fs_context,
	.kill_sb		= zufr_kill_sb,
};

int zuf_root_register(void)
{
	struct zuf_root_info *zri;
	int err;

	zri = kzalloc(sizeof(*zri), GFP_KERNEL);
	if (!zri)
		return -ENOMEM;
	mutex_init(&zri->lock);
	INIT_LIST_HEAD(&zri->fs_types);
	zufm_init(zri);
	err = zufc_zts_init(zri);
	if (err)
		goto fail_free;
	zuf_root = zri;

	err = sysfs_create_mount_point(fs_kobj, "zuf");
	if (err)
		goto fail_zts;
	err = register_filesystem(&zufr_type);
	if (err)
		goto fail_mp;
	return 0;

fail_mp:
	sysfs_remove_mount_point(fs_kobj, "zuf");
fail_zts:
	zufc_zts_fini(zri);
	zuf_root = NULL;
fail_free:
	kfree(zri);
	return err;
}

void zuf_root_unregister(void)
{
	unregister_filesystem(&zufr_type);
	sysfs_remove_mount_point(fs_kobj, "zuf");
	zuf_free_dead_fs(zuf_root);
	zufc_zts_fini(zuf_root);
	kfree(zuf_root);
	zuf_root = NULL;
}
