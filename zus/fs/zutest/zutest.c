// SPDX-License-Identifier: BSD-3-Clause
/*
 * zutest.c - the transport test filesystem, and the example plugin.
 *
 * "mount -t zutest none /mnt" gives an empty root directory. The point of
 * zutest is the ZT transport: the application ioctls ZUFS_IOC_NOOP and
 * ZUFS_IOC_ECHO on any file of the mount travel to the server and back
 * (NOOP is answered by libzus itself; ECHO lands in zutest_echo below).
 * It is also the smallest complete plugin: read it top to bottom to see
 * what a filesystem provides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zus/zus.h>

#define ZUTEST_MAGIC	0x5a555453	/* "ZUTS" */
#define ZUTEST_ROOT_INO	1
#define ZUTEST_BLOCKS	262144		/* 1 GiB of 4 KiB blocks, pretend */
#define ZUTEST_FILES	65536

/* Our superblock: libzus's zus_sb_info embedded, plus our own state. */
struct zutest_sbi {
	struct zus_sb_info sbi;
	struct zus_inode_info root;
	struct zufs_time mount_time;
	char options[ZUFS_MOUNT_OPTIONS_MAX];	/* as mounted: "a=b,c" */
};

static struct zutest_sbi *ZSBI(struct zus_sb_info *sbi)
{
	return zus_container_of(sbi, struct zutest_sbi, sbi);
}

/* ~~~~ the root inode ~~~~ */

static int zutest_getattr(struct zus_inode_info *ii, struct zufs_attr *attr)
{
	struct zutest_sbi *zs = ZSBI(ii->sbi);

	attr->ino = ii->ino;
	attr->mode = S_IFDIR | 0755;
	attr->nlink = 2;
	attr->uid = 0;
	attr->gid = 0;
	attr->size = 4096;
	attr->blocks = 8;
	attr->atime = zs->mount_time;
	attr->mtime = zs->mount_time;
	attr->ctime = zs->mount_time;
	attr->btime = zs->mount_time;
	return 0;
}

static const struct zus_inode_operations zutest_dir_ops = {
	.getattr = zutest_getattr,
};

/* ~~~~ superblock operations ~~~~ */

static int zutest_statfs(struct zus_sb_info *sbi, struct zufs_statfs *st)
{
	st->bsize = 4096;
	st->frsize = 4096;
	st->blocks = ZUTEST_BLOCKS;
	st->bfree = ZUTEST_BLOCKS - 1;
	st->bavail = ZUTEST_BLOCKS - 1;
	st->files = ZUTEST_FILES;
	st->ffree = ZUTEST_FILES - 1;
	st->fsid = (__u64)(uintptr_t)sbi;
	st->namelen = 255;
	return 0;
}

/* New options replace the old ones; none keeps them. */
static int zutest_remount(struct zus_sb_info *sbi,
			  const struct zus_mount_args *args)
{
	struct zutest_sbi *zs = ZSBI(sbi);

	if (args->options[0])
		snprintf(zs->options, sizeof(zs->options), "%s", args->options);
	return 0;
}

/* "a=b,c" is shown as ",a=b,c" (the VFS prints it after "rw"). */
static int zutest_show_options(struct zus_sb_info *sbi, char *buf,
			       size_t size)
{
	const char *o = ZSBI(sbi)->options;
	size_t n = 0, len;

	while (*o) {
		len = strcspn(o, ",");
		if (len && n + len + 2 <= size) {
			buf[n++] = ',';
			memcpy(buf + n, o, len);
			n += len;
		}
		o += len + (o[len] == ',');
	}
	buf[n] = 0;
	return (int)n;
}

/* Check the application's bytes, then answer with our own pattern. */
static int zutest_echo(struct zus_sb_info *sbi, void *buf, size_t len,
		       __u64 first, __u32 seed_in, __u32 seed_out,
		       __u64 *checked)
{
	unsigned char *b = buf;
	size_t i;

	(void)sbi;
	for (i = 0; i < len; i++) {
		if (b[i] != zufs_echo_pattern(seed_in, first + i)) {
			*checked = i;
			return -EILSEQ;
		}
	}
	for (i = 0; i < len; i++)
		b[i] = zufs_echo_pattern(seed_out, first + i);
	*checked = len;
	return 0;
}

static const struct zus_sbi_operations zutest_sbi_ops = {
	.statfs = zutest_statfs,
	.remount = zutest_remount,
	.show_options = zutest_show_options,
	.echo = zutest_echo,
};

/* ~~~~ filesystem type: mount and umount ~~~~ */

static struct zus_sb_info *zutest_sbi_alloc(const struct zus_fs_info *zfi)
{
	struct zutest_sbi *zs = calloc(1, sizeof(*zs));

	(void)zfi;
	return zs ? &zs->sbi : NULL;
}

static void zutest_sbi_free(struct zus_sb_info *sbi)
{
	free(ZSBI(sbi));
}

static int zutest_sbi_init(struct zus_sb_info *sbi,
			   const struct zus_mount_args *args)
{
	struct zutest_sbi *zs = ZSBI(sbi);

	if (strlen(args->options) >= sizeof(zs->options))
		return -EINVAL;
	strcpy(zs->options, args->options);
	zus_time_now(&zs->mount_time);
	zs->root.op = &zutest_dir_ops;
	zs->root.sbi = sbi;
	zs->root.ino = ZUTEST_ROOT_INO;
	sbi->op = &zutest_sbi_ops;
	sbi->z_root = &zs->root;
	sbi->s_blocksize_bits = 12;
	sbi->s_time_gran = 1;
	zus_dbg("zutest: mounted with \"%s\"", zs->options);
	return 0;
}

static int zutest_sbi_fini(struct zus_sb_info *sbi)
{
	(void)sbi;
	return 0;
}

static const struct zus_zfi_operations zutest_zfi_ops = {
	.sbi_alloc = zutest_sbi_alloc,
	.sbi_free = zutest_sbi_free,
	.sbi_init = zutest_sbi_init,
	.sbi_fini = zutest_sbi_fini,
};

static const struct zus_fs_info zutest_fs = {
	.name = "zutest",
	.magic = ZUTEST_MAGIC,
	.version = 1,
	.fs_caps = 0,			/* no device */
	.op = &zutest_zfi_ops,
};

/* ~~~~ plugin entry ~~~~ */

static int zutest_init(struct zus_plugin_ctx *ctx)
{
	return zus_register_fs(ctx, &zutest_fs);
}

ZUS_PLUGIN_INIT(zutest_init)
