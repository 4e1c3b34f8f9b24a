// SPDX-License-Identifier: BSD-3-Clause
/*
 * mount.c - the mount thread: MOUNT, UMOUNT, REMOUNT, STATFS, SHOW_OPTIONS.
 *
 * One thread owns a zuf-root file and loops in ZU_IOC_MOUNT; each return
 * delivers one operation in struct zufs_ioc_mount, the answer goes back in
 * the same struct with the next call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ns.h"
#include "zus_private.h"

static struct zus_fs_entry *fs_find(struct zus_server *s, __u64 h)
{
	struct zus_fs_entry *e;

	for (e = s->fs; e; e = e->next)
		if ((__u64)(uintptr_t)e == h)
			return e;
	return NULL;
}

static void mount_args(struct zus_mount_args *a, struct zufs_mount_info *zmi)
{
	zmi->options[ZUFS_MOUNT_OPTIONS_MAX - 1] = 0;
	zmi->dev_path[ZUFS_DEV_PATH_MAX - 1] = 0;
	memset(a, 0, sizeof(*a));
	a->options = zmi->options;
	a->dev_path = zmi->dev_path;
	a->sb_flags = zmi->sb_flags;
	a->pmem_id = zmi->pmem_id;
	a->pmem_size = zmi->pmem_size;
	a->num_cpu = zmi->num_cpu;
	a->num_channels = zmi->num_channels;
	a->zmi = zmi;
}

/* Root inode and superblock parameters into the MOUNT answer. */
static int mount_reply(struct zus_sb_info *sbi, struct zufs_mount_info *zmi)
{
	struct zus_inode_info *root = sbi->z_root;
	int err;

	if (!root || !root->op || !root->op->getattr) {
		zus_err("%s: sbi_init set no root inode with getattr",
			sbi->zfi->name);
		return -EINVAL;
	}
	if (!root->sbi)
		root->sbi = sbi;
	memset(&zmi->root, 0, sizeof(zmi->root));
	err = zus_errno_sane(root->op->getattr(root, &zmi->root));
	if (err)
		return err;
	zmi->zus_sbi = (__u64)(uintptr_t)sbi;
	zmi->zus_ii = (__u64)(uintptr_t)root;
	zmi->s_blocksize_bits = sbi->s_blocksize_bits ?: 12;
	zmi->s_time_gran = sbi->s_time_gran ?: 1;
	zmi->s_maxbytes = sbi->s_maxbytes ?: (__u64)INT64_MAX;
	return 0;
}

static int do_mount(struct zus_server *s, struct zufs_mount_info *zmi)
{
	struct zus_fs_entry *e = fs_find(s, zmi->zus_zfi);
	const struct zus_fs_info *zfi;
	struct zus_mount_args args;
	struct zus_sb_info *sbi;
	int err;

	if (!e) {
		zus_err("mount: unknown filesystem handle 0x%llx",
			(unsigned long long)zmi->zus_zfi);
		return -EINVAL;
	}
	zfi = e->zfi;
	sbi = zfi->op->sbi_alloc(zfi);
	if (!sbi)
		return -ENOMEM;
	sbi->zfi = zfi;
	sbi->sb_flags = zmi->sb_flags;
	mount_args(&args, zmi);
	err = zus_errno_sane(zfi->op->sbi_init(sbi, &args));
	if (err) {
		zfi->op->sbi_free(sbi);
		return err;
	}
	err = mount_reply(sbi, zmi);
	if (!err)
		err = zus_ns_mount(sbi, zmi);	/* root handle, inode table */
	if (err) {
		zus_sbi_destroy(sbi);
		return err;
	}
	zus_sbi_add(s, sbi);
	zus_dbg("%s: mounted (options \"%s\")", zfi->name, args.options);
	return 0;
}

static int do_umount(struct zus_server *s, struct zufs_mount_info *zmi)
{
	struct zus_sb_info *sbi = zus_sbi_find(s, zmi->zus_sbi);

	if (!sbi)
		return -EINVAL;
	zus_sbi_del(s, sbi);
	zus_dbg("%s: unmounted", sbi->zfi->name);
	zus_sbi_destroy(sbi);
	return 0;
}

static int do_remount(struct zus_sb_info *sbi, struct zufs_mount_info *zmi)
{
	struct zus_mount_args args;
	int err = 0;

	mount_args(&args, zmi);
	if (sbi->op && sbi->op->remount)
		err = zus_errno_sane(sbi->op->remount(sbi, &args));
	if (!err)
		sbi->sb_flags = zmi->sb_flags;
	return err;
}

static int do_statfs(struct zus_sb_info *sbi, struct zufs_statfs *st)
{
	memset(st, 0, sizeof(*st));
	if (!sbi->op || !sbi->op->statfs)
		return -ENOSYS;
	return zus_errno_sane(sbi->op->statfs(sbi, st));
}

static int do_show_options(struct zus_sb_info *sbi, struct zufs_mount_info *zmi)
{
	int n = 0;

	memset(zmi->options, 0, sizeof(zmi->options));
	if (sbi->op && sbi->op->show_options)
		n = sbi->op->show_options(sbi, zmi->options,
					  sizeof(zmi->options));
	if (n < 0) {
		zmi->options_len = 0;
		zmi->options[0] = 0;
		return zus_errno_sane(n);
	}
	if (n >= ZUFS_MOUNT_OPTIONS_MAX)
		n = ZUFS_MOUNT_OPTIONS_MAX - 1;
	zmi->options[n] = 0;
	zmi->options_len = (__u32)strlen(zmi->options);
	return 0;
}

int zus_mount_dispatch(struct zus_server *s, struct zufs_ioc_mount *zim)
{
	struct zufs_mount_info *zmi = &zim->zmi;
	struct zus_sb_info *sbi;

	zim->hdr.out_len = 0;
	switch (zim->hdr.operation) {
	case ZUFS_M_MOUNT:
		return do_mount(s, zmi);
	case ZUFS_M_UMOUNT:
		return do_umount(s, zmi);
	}
	sbi = zus_sbi_find(s, zmi->zus_sbi);
	if (!sbi) {
		zus_err("mount operation 0x%x: unknown superblock handle 0x%llx",
			zim->hdr.operation, (unsigned long long)zmi->zus_sbi);
		return -EINVAL;
	}
	switch (zim->hdr.operation) {
	case ZUFS_M_REMOUNT:
		return do_remount(sbi, zmi);
	case ZUFS_M_STATFS:
		return do_statfs(sbi, &zim->statfs);
	case ZUFS_M_SHOW_OPTIONS:
		return do_show_options(sbi, zmi);
	}
	zus_warn("mount thread: unknown operation 0x%x", zim->hdr.operation);
	return -EOPNOTSUPP;
}

static void mount_loop(struct zus_server *s, int fd)
{
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));

	if (!zim) {
		zus_err("mount thread: out of memory");
		zus_server_fatal(s);
		return;
	}
	zim->hdr.operation = ZUFS_OP_NULL;
	for (;;) {
		if (ioctl(fd, ZU_IOC_MOUNT, zim) < 0) {
			if (errno == EINTR && !zus_stopping(s))
				continue;
			if (!zus_stopping(s)) {
				zus_err("mount thread: ZU_IOC_MOUNT: %s",
					strerror(errno));
				zus_server_fatal(s);
			}
			break;
		}
		if (zim->hdr.operation == ZUFS_OP_BREAK)
			break;
		zim->hdr.err = zus_mount_dispatch(s, zim);
	}
	free(zim);
}

static void *mount_thread(void *arg)
{
	struct zus_server *s = arg;
	int fd = zus_open_root(s);

	pthread_mutex_lock(&s->lock);
	s->mount_fd = fd;
	s->mount_ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (fd < 0)
		return NULL;
	mount_loop(s, fd);
	zus_dbg("mount thread: stopped");
	return NULL;
}

/* Start the mount thread; returns once it has its zuf-root file. */
int zus_mount_thread_start(struct zus_server *s)
{
	sigset_t old;
	int err;

	zus_block_signals(&old);
	err = -pthread_create(&s->mount_thread, NULL, mount_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		zus_err("cannot create the mount thread: %s", strerror(-err));
		return err;
	}
	s->mount_created = true;
	pthread_mutex_lock(&s->lock);
	while (!s->mount_ready)
		pthread_cond_wait(&s->cond, &s->lock);
	err = s->mount_fd < 0 ? s->mount_fd : 0;
	pthread_mutex_unlock(&s->lock);
	if (err)
		zus_err("mount thread: cannot open %s: %s", s->zuf_root,
			strerror(-err));
	return err;
}
