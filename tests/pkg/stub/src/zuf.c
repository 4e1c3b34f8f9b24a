// SPDX-License-Identifier: GPL-2.0
/* Packaging-test stand-in for zuf.ko: zuf-root only, no protocol. */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#define ZUFR_MAGIC 0x5A554652

static int zufr_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr files[] = { { "" } };

	return simple_fill_super(sb, ZUFR_MAGIC, files);
}

static int zufr_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, zufr_fill_super);
}

static const struct fs_context_operations zufr_ctx_ops = {
	.get_tree = zufr_get_tree,
};

static int zufr_init_fs_context(struct fs_context *fc)
{
	fc->ops = &zufr_ctx_ops;
	return 0;
}

static struct file_system_type zufr_type = {
	.owner = THIS_MODULE,
	.name = "zuf",
	.init_fs_context = zufr_init_fs_context,
	.kill_sb = kill_litter_super,
};

static int __init zuf_init(void)
{
	int err = sysfs_create_mount_point(fs_kobj, "zuf");

	if (err)
		return err;
	err = register_filesystem(&zufr_type);
	if (err)
		sysfs_remove_mount_point(fs_kobj, "zuf");
	return err;
}

static void __exit zuf_exit(void)
{
	unregister_filesystem(&zufr_type);
	sysfs_remove_mount_point(fs_kobj, "zuf");
}

module_init(zuf_init);
module_exit(zuf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ZUFS packaging-test stand-in");
MODULE_VERSION(ZUFS_VERSION);
MODULE_ALIAS_FS("zuf");
