/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zus.h - the libzus plugin API: how a filesystem plugs into zusd.
 *
 * A ZUFS filesystem is a shared object ("plugin") that zusd loads with
 * dlopen(3) from its plugin directory ($(LIBDIR)/zus by default, or the
 * directories in $ZUS_PLUGIN_PATH, or `plugin_path` in /etc/zufs.conf).
 * The objects mirror the kernel's VFS, so a kernel filesystem author should
 * feel at home:
 *
 *   VFS                        libzus
 *   struct file_system_type    struct zus_fs_info       + zus_zfi_operations
 *   struct super_block         struct zus_sb_info       + zus_sbi_operations
 *   struct inode               struct zus_inode_info    + zus_inode_operations
 *   register_filesystem()      zus_register_fs()
 *   module_init()              ZUS_PLUGIN_INIT()
 *
 * libzus owns the transport: the server session with zuf.ko, one ZT thread
 * per (CPU, channel), the mount thread, registration of the filesystem
 * types. It calls the plugin's operations from those threads:
 *   - zus_zfi_operations and the mount-related zus_sbi_operations (statfs,
 *     remount, show_options) from the single mount thread, one at a time;
 *   - everything else (echo, inode operations) from the ZT threads, i.e.
 *     concurrently from as many threads as there are CPUs x channels.
 *     Protect shared state yourself; the thread that runs an operation is
 *     pinned to the CPU of the application that asked for it, so per-CPU
 *     data (sched_getcpu()) is cheap and cache friendly.
 * An operation returns 0 or a negative errno (-ENOENT, ...), which the
 * application sees as the result of its system call.
 *
 * How to write a plugin
 * ---------------------
 * (fs/zutest/zutest.c in the zus sources is the complete, readable example.)
 *
 *	#include <zus/zus.h>
 *
 *	struct myfs_sbi {
 *		struct zus_sb_info sbi;		// embed, like a VFS sb_info
 *		struct zus_inode_info root;
 *	};
 *
 *	static struct zus_sb_info *myfs_sbi_alloc(const struct zus_fs_info *zfi)
 *	{
 *		struct myfs_sbi *m = calloc(1, sizeof(*m));
 *
 *		return m ? &m->sbi : NULL;
 *	}
 *	static void myfs_sbi_free(struct zus_sb_info *sbi)
 *	{
 *		free(zus_container_of(sbi, struct myfs_sbi, sbi));
 *	}
 *	static int myfs_sbi_init(struct zus_sb_info *sbi,
 *				 const struct zus_mount_args *args)
 *	{
 *		... parse args->options, set sbi->op and sbi->z_root ...
 *		return 0;
 *	}
 *	static const struct zus_zfi_operations myfs_zfi_ops = {
 *		.sbi_alloc = myfs_sbi_alloc, .sbi_free = myfs_sbi_free,
 *		.sbi_init = myfs_sbi_init,
 *	};
 *	static const struct zus_fs_info myfs = {
 *		.name = "myfs", .magic = 0x4d594653, .version = 1,
 *		.op = &myfs_zfi_ops,
 *	};
 *	static int myfs_init(struct zus_plugin_ctx *ctx)
 *	{
 *		return zus_register_fs(ctx, &myfs);
 *	}
 *	ZUS_PLUGIN_INIT(myfs_init)
 *
 * Build it as a shared object against libzus and install it where zusd
 * finds it:
 *
 *	cc -fPIC -shared -o myfs.so myfs.c $(pkg-config --cflags --libs libzus)
 *	install -m 644 myfs.so $(pkg-config --variable=plugindir libzus)/
 *
 * then name it in /etc/zufs.conf (`plugins = myfs`) and restart zusd;
 * `mount -t myfs none /mnt` now reaches your code.
 *
 * Versioning: ZUS_PLUGIN_API_VERSION is bumped on any incompatible change
 * of this header; zusd refuses plugins built for another version with a
 * one-line message. The wire protocol with the kernel is zus_api.h.
 */
#ifndef ZUS_ZUS_H
#define ZUS_ZUS_H

#include <stddef.h>
#include <sys/types.h>
#include "zus_api.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZUS_PLUGIN_API_VERSION	1

#define zus_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct zus_fs_info;
struct zus_sb_info;
struct zus_inode_info;
struct zus_plugin_ctx;

/* ~~~~ Mount arguments (MOUNT and REMOUNT) ~~~~ */
struct zus_mount_args {
	const char *options;	/* "a=b,c" as given to mount(8), "" if none */
	const char *dev_path;	/* "" for filesystems without a device */
	__u32 sb_flags;		/* ZUFS_M_RDONLY, ZUFS_M_SILENT */
	__u32 pmem_id;		/* for ZU_IOC_GRAB_PMEM, 0 = no device */
	__u64 pmem_size;	/* bytes, 0 = no device */
	__u32 num_cpu;
	__u32 num_channels;
	const struct zufs_mount_info *zmi;	/* the raw request */
};

/* ~~~~ Filesystem type: like struct file_system_type ~~~~ */
struct zus_zfi_operations {
	/* Allocate a superblock; usually a struct of your own that embeds
	 * struct zus_sb_info. Return NULL on ENOMEM.
	 */
	struct zus_sb_info *(*sbi_alloc)(const struct zus_fs_info *zfi);
	/* Free what sbi_alloc returned (after sbi_fini, or a failed init). */
	void (*sbi_free)(struct zus_sb_info *sbi);
	/* Mount: set sbi->op and sbi->z_root (the root inode, its op must
	 * have getattr), optionally s_blocksize_bits, s_time_gran,
	 * s_maxbytes. sbi->zfi and sbi->sb_flags are set already.
	 */
	int (*sbi_init)(struct zus_sb_info *sbi,
			const struct zus_mount_args *args);
	/* Umount, and server shutdown with the fs still mounted. Optional. */
	int (*sbi_fini)(struct zus_sb_info *sbi);
};

struct zus_fs_info {
	const char *name;	/* fs type, shorter than ZUFS_MAX_FS_NAME */
	__u32 magic;		/* statfs f_type */
	__u32 version;		/* informational, e.g. on-media format */
	__u32 fs_caps;		/* ZUFS_FSC_* of zus_api.h */
	__u32 reserved;
	const struct zus_zfi_operations *op;
	void *private_data;	/* for the plugin */
};

/* ~~~~ Superblock: like struct super_block ~~~~ */
struct zus_sbi_operations {
	/* Mount thread. All optional. */
	int (*statfs)(struct zus_sb_info *sbi, struct zufs_statfs *st);
	/* Accepting (NULL) keeps the current options. */
	int (*remount)(struct zus_sb_info *sbi,
		       const struct zus_mount_args *args);
	/* Write the options as /proc/mounts shows them: ",a=b,c" (leading
	 * comma per option). Return the length or a negative errno.
	 * NULL: nothing is shown.
	 */
	int (*show_options)(struct zus_sb_info *sbi, char *buf, size_t size);

	/* ZT threads. */
	/* ZUFS_OP_ECHO: buf is (part of) the application's buffer, len
	 * bytes mapped read-write; buf[k] is byte i = first + k of the whole
	 * application buffer (first > 0 when the kernel split a large
	 * request). Check every byte == zufs_echo_pattern(seed_in, i)
	 * (-EILSEQ on the first mismatch), then store
	 * zufs_echo_pattern(seed_out, i); *checked = bytes verified.
	 * NULL: -EOPNOTSUPP.
	 */
	int (*echo)(struct zus_sb_info *sbi, void *buf, size_t len,
		    __u64 first, __u32 seed_in, __u32 seed_out,
		    __u64 *checked);

	/* Inodes. Declared for the inode operations of a later ABI minor
	 * (pmemfs); not dispatched by the 1.0 transport yet.
	 */
	int (*iget)(struct zus_sb_info *sbi, __u64 ino,
		    struct zus_inode_info **ii);
	int (*new_inode)(struct zus_sb_info *sbi, struct zus_inode_info *dir,
			 __u32 mode, __u32 uid, __u32 gid, __u32 rdev,
			 const char *symname, struct zus_inode_info **ii);
	int (*free_inode)(struct zus_inode_info *ii);
	int (*sync_fs)(struct zus_sb_info *sbi, int wait);
};

struct zus_sb_info {
	const struct zus_sbi_operations *op;	/* set by the plugin */
	const struct zus_fs_info *zfi;		/* set by libzus */
	struct zus_inode_info *z_root;		/* set by sbi_init */
	__u32 sb_flags;				/* ZUFS_M_*, kept by libzus */
	__u32 s_blocksize_bits;			/* 0 = 12 */
	__u32 s_time_gran;			/* ns, 0 = 1 */
	__u32 reserved;
	__u64 s_maxbytes;			/* 0 = 2^63 - 1 */
	void *private_data;			/* for the plugin */
	void *_libzus[4];			/* libzus private */
};

/* ~~~~ Inode: like struct inode ~~~~ */

/* zus_inode_operations.setattr valid bits */
#define ZUS_ATTR_MODE	(1U << 0)
#define ZUS_ATTR_UID	(1U << 1)
#define ZUS_ATTR_GID	(1U << 2)
#define ZUS_ATTR_SIZE	(1U << 3)
#define ZUS_ATTR_ATIME	(1U << 4)
#define ZUS_ATTR_MTIME	(1U << 5)
#define ZUS_ATTR_CTIME	(1U << 6)
#define ZUS_ATTR_FLAGS	(1U << 7)

/* readdir callback: return non-zero to stop (buffer full). */
typedef int (*zus_filldir_t)(void *ctx, const char *name, size_t len,
			     __u64 ino, __u32 type, __u64 next_pos);

/* Only getattr is used by the 1.0 transport (root inode at mount); the
 * rest are the VFS operations a pmem filesystem needs, to be dispatched by
 * the inode operations of a later ABI minor. All return 0 / -errno unless
 * said otherwise.
 */
struct zus_inode_operations {
	int (*getattr)(struct zus_inode_info *ii, struct zufs_attr *attr);
	int (*setattr)(struct zus_inode_info *ii, const struct zufs_attr *attr,
		       __u32 valid);
	void (*evict)(struct zus_inode_info *ii);
	/* namespace */
	int (*lookup)(struct zus_inode_info *dir, const char *name, size_t len,
		      __u64 *ino);
	int (*add_dentry)(struct zus_inode_info *dir,
			  struct zus_inode_info *ii, const char *name,
			  size_t len);
	int (*remove_dentry)(struct zus_inode_info *dir,
			     struct zus_inode_info *ii, const char *name,
			     size_t len);
	int (*rename)(struct zus_inode_info *old_dir, const char *old_name,
		      size_t old_len, struct zus_inode_info *new_dir,
		      const char *new_name, size_t new_len, __u32 flags);
	int (*readdir)(struct zus_inode_info *dir, __u64 pos,
		       zus_filldir_t filldir, void *ctx);
	int (*get_link)(struct zus_inode_info *ii, char *buf, size_t size);
	/* data: read/write return bytes done or -errno */
	ssize_t (*read)(struct zus_inode_info *ii, void *buf, size_t len,
			__u64 offset);
	ssize_t (*write)(struct zus_inode_info *ii, const void *buf,
			 size_t len, __u64 offset);
	int (*get_block)(struct zus_inode_info *ii, __u64 index, int write,
			 __u64 *pmem_bn);
	int (*fallocate)(struct zus_inode_info *ii, int mode, __u64 offset,
			 __u64 len);
	__s64 (*llseek)(struct zus_inode_info *ii, __s64 offset, int whence);
	int (*fsync)(struct zus_inode_info *ii, __u64 start, __u64 end,
		     int datasync);
	/* extended attributes */
	ssize_t (*getxattr)(struct zus_inode_info *ii, const char *name,
			    void *buf, size_t size);
	int (*setxattr)(struct zus_inode_info *ii, const char *name,
			const void *val, size_t size, int flags);
	ssize_t (*listxattr)(struct zus_inode_info *ii, char *buf, size_t size);
};

struct zus_inode_info {
	const struct zus_inode_operations *op;
	struct zus_sb_info *sbi;
	__u64 ino;
	void *private_data;	/* for the plugin */
	void *_libzus[2];	/* libzus private */
};

/* ~~~~ Registration ~~~~ */

/* Register a filesystem type (from the plugin's init function). zfi must
 * stay valid until the plugin is unloaded (a static const is typical).
 * Returns 0, -EINVAL (bad name or operations) or -EEXIST.
 */
int zus_register_fs(struct zus_plugin_ctx *ctx, const struct zus_fs_info *zfi);

/* The plugin entry point: ZUS_PLUGIN_INIT(fn) exports the symbols zusd
 * looks for: int zus_plugin_init(struct zus_plugin_ctx *), calling fn, and
 * the API version the plugin was compiled for.
 */
#define ZUS_PLUGIN_INIT(fn)						\
	__attribute__((visibility("default")))				\
	const unsigned int zus_plugin_api_version = ZUS_PLUGIN_API_VERSION; \
	__attribute__((visibility("default")))				\
	int zus_plugin_init(struct zus_plugin_ctx *ctx)			\
	{								\
		return fn(ctx);						\
	}

/* ~~~~ Helpers ~~~~ */

/* Log levels of zus_log(); zusd's log_level picks which are printed. */
enum zus_log_level {
	ZUS_LOG_ERR = 0,
	ZUS_LOG_WARN = 1,
	ZUS_LOG_INFO = 2,
	ZUS_LOG_DEBUG = 3,
};

/* One line to stderr, prefixed "zusd: " (journald collects it). */
void zus_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define zus_err(...)	zus_log(ZUS_LOG_ERR, __VA_ARGS__)
#define zus_warn(...)	zus_log(ZUS_LOG_WARN, __VA_ARGS__)
#define zus_info(...)	zus_log(ZUS_LOG_INFO, __VA_ARGS__)
#define zus_dbg(...)	zus_log(ZUS_LOG_DEBUG, __VA_ARGS__)

/* The current time, as struct zufs_time (CLOCK_REALTIME). */
void zus_time_now(struct zufs_time *t);

#ifdef __cplusplus
}
#endif

#endif /* ZUS_ZUS_H */
