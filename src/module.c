// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - zuf.ko: the ZUFS feeder. Registers zuf-root (/sys/fs/zuf).
 */
#include "zuf.h"

#include <linux/module.h>

static int __init zuf_init(void)
{
	int err;

	err = zuf_inode_cache_init();
	if (err)
		return err;
	err = zuf_root_register();
	if (err) {
		zuf_inode_cache_fini();
		return err;
	}
#ifdef ZUF_FAULT_warn
	/* Built only for the VM harness self-test (make ZUF_FAULT=warn). */
	WARN_ON(1);
#endif
	pr_info("ZUFS %s loaded, ABI %u.%u\n", ZUFS_VERSION, ZUFS_ABI_MAJOR,
		ZUFS_ABI_MINOR);
	return 0;
}

static void __exit zuf_exit(void)
{
	zuf_root_unregister();
	zuf_inode_cache_fini();
	pr_info("ZUFS unloaded\n");
}

module_init(zuf_init);
module_exit(zuf_exit);

MODULE_AUTHOR("The ZUFS authors");
MODULE_DESCRIPTION("ZUFS: Zero-copy User-mode FileSystem feeder");
MODULE_LICENSE("GPL");
MODULE_VERSION(ZUFS_VERSION);
MODULE_ALIAS_FS("zuf");
