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

#define ZUS_PLUGIN_API_VERSION	3	/* 3: space, fast IO, xattr operations */

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
	/* Mount: set sbi->op and sbi->z_root (the root inode, with ino,
	 * op->getattr and op->evict), optionally s_blocksize_bits,
	 * s_time_gran, s_maxbytes, s_max_links. sbi->zfi and sbi->sb_flags
	 * are set already.
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

	/* ZT threads: the inode behind an inode number (1..ZUS_INO_MAX) the
	 * kernel names, for any inode that exists, also one whose link count
	 * is 0 while the kernel still holds it. Returns a new reference
	 * (released by ii->op->evict), -ESTALE/-ENOENT if there is no such
	 * inode. Needed for the namespace operations (see below).
	 */
	int (*iget)(struct zus_sb_info *sbi, __u64 ino,
		    struct zus_inode_info **ii);
	/* syncfs(2), sync(2) (ZUFS_CAP_SYNC): everything durable. NULL:
	 * every operation is durable when it returns.
	 */
	int (*sync_fs)(struct zus_sb_info *sbi, int wait);
};

struct zus_sb_info {
	const struct zus_sbi_operations *op;	/* set by the plugin */
	const struct zus_fs_info *zfi;		/* set by libzus */
	struct zus_inode_info *z_root;		/* set by sbi_init */
	__u32 sb_flags;				/* ZUFS_M_*, kept by libzus */
	__u32 s_blocksize_bits;			/* 0 = 12 */
	__u32 s_time_gran;			/* ns, 0 = 1 */
	__u32 s_max_links;			/* 0 = none the VFS enforces */
	__u64 s_maxbytes;			/* 0 = 2^63 - 1 */
	void *private_data;			/* for the plugin */
	void *_libzus[4];			/* libzus private */
};

/* ~~~~ Inode: like struct inode ~~~~
 *
 * The kernel names an inode by its number: libzus keeps a table of the
 * inodes the kernel holds (DRAM follows the kernel's inode cache, not the
 * filesystem size). An operation on an inode that is not in the table gets
 * it from sbi->op->iget; when the kernel drops the inode (EVICT_INODE)
 * libzus releases its reference with ii->op->evict. sbi->z_root is the root
 * for the whole mount and is never evicted by libzus (sbi_fini does it).
 * The plugin allocates struct zus_inode_info (usually embedded in its own
 * inode struct), sets op, sbi and ino, and frees it in evict.
 *
 * Every operation below is called from the ZT threads, concurrently, with
 * each zus_inode_info it receives referenced for the duration of the call.
 * Permission checks (mode bits, ownership, sticky directories) are done by
 * the kernel before it asks; the plugin enforces its own limits (ENOSPC,
 * EMLINK, ENOTEMPTY, EEXIST, ENOENT, ENAMETOOLONG). Operations that change
 * an inode stamp `now` (the kernel's clock) on it, and every change is
 * durable when the operation returns. Names are len bytes (1..255) and
 * also NUL terminated.
 */

/* Inode numbers the kernel can be given: 1..ZUS_INO_MAX. */
#define ZUS_INO_MAX	((1ULL << 48) - 1)

/* zus_inode_operations.setattr valid bits (= ZUFS_ATTR_* of zus_api.h) */
#define ZUS_ATTR_MODE	ZUFS_ATTR_MODE
#define ZUS_ATTR_UID	ZUFS_ATTR_UID
#define ZUS_ATTR_GID	ZUFS_ATTR_GID
#define ZUS_ATTR_SIZE	ZUFS_ATTR_SIZE
#define ZUS_ATTR_ATIME	ZUFS_ATTR_ATIME
#define ZUS_ATTR_MTIME	ZUFS_ATTR_MTIME
#define ZUS_ATTR_CTIME	ZUFS_ATTR_CTIME
#define ZUS_ATTR_FLAGS	ZUFS_ATTR_FLAGS

/* An extended attribute a new inode is created with (ZUFS_FSC_NI_XATTR). */
struct zus_xattr {
	const char *name;	/* whole ("security.selinux"), NUL terminated */
	const void *value;
	__u32 size;		/* bytes of value, up to ZUFS_XATTR_SIZE_MAX */
	__u32 reserved;
};

/* What create() makes. */
struct zus_new_inode {
	__u32 mode;		/* S_IF* type and permission bits */
	__u32 uid;
	__u32 gid;
	__u32 rdev;		/* S_IFCHR, S_IFBLK: new_encode_dev() */
	__u32 flags;		/* FS_*_FL */
	__u32 symlen;		/* S_IFLNK: strlen(symname), 1..4095 */
	const char *symname;	/* S_IFLNK: the target, NUL terminated */
	struct zufs_time now;	/* all four times of the new inode */
	/* Only for plugins whose zus_fs_info.fs_caps has ZUFS_FSC_NI_XATTR
	 * (ABI 1.5): the inode's first extended attributes (inherited ACLs,
	 * LSM labels; distinct names of system.posix_acl_* and security.*).
	 * create() makes the inode with all of them in the same crash-safe
	 * step as its name, or fails (e.g. -ENOSPC) and makes nothing.
	 */
	const struct zus_xattr *xattrs;
	__u32 nr_xattrs;	/* 0..ZUFS_NI_XATTRS_MAX */
	__u32 reserved;
};

/* get_block: the blocks from offset / block size on, for a range of len
 * bytes (len > 0). Fill bns[0..nr) (nr 1..max, no more blocks than the
 * range touches) with each block's byte offset on the device, 0 for a
 * hole (not for ZUFS_GB_WRITE). flags (ZUFS_GB_*): WRITE allocates holes
 * zero filled (and unshares shared blocks) and, unless MMAP, sets the
 * size to at least the end of the range covered and mtime/ctime to
 * *now, all durable on return. ret_flags: ZUFS_GB_NEW when a block was
 * allocated or moved, ZUFS_GB_PUT_NOW to have put_block called as soon as
 * the kernel's copy is done. ZUFS_GB_CACHE (ABI 1.4, opt-in): the kernel
 * may keep these blocks and read and write them without asking again (no
 * put_block then), so a plugin sets it only if it moves, frees or shares
 * blocks of a file nowhere but in the operations zus_api.h lists there;
 * with ZUFS_GB_CACHE_RO too when any block of the answer is shared (the
 * kernel must ask before writing). libzus drops both for a kernel that
 * did not agree to ZUFS_CAP_EXTCACHE.
 */
struct zus_get_block {
	__u64 offset;
	__u64 len;
	__u32 flags;
	__u32 max;
	const struct zufs_time *now;	/* WRITE */
	__u64 *bns;
	__u32 nr;			/* out */
	__u32 ret_flags;		/* out */
};

/* readdir callback: one entry; next_pos is the position to continue
 * after it. Returns non-zero when the reply is full: stop there.
 */
typedef int (*zus_filldir_t)(void *ctx, const char *name, size_t len,
			     __u64 ino, __u32 type, __u64 next_pos);

/* All return 0 or a negative errno unless said otherwise. */
struct zus_inode_operations {
	/* Required: the attributes (ino, type and permissions, nlink,
	 * size, blocks in 512-byte units, times incl. btime).
	 */
	int (*getattr)(struct zus_inode_info *ii, struct zufs_attr *attr);
	/* Store the fields of attr named in valid (ZUS_ATTR_*); the kernel
	 * computed them (setuid/setgid clearing, UTIME_NOW, ctime).
	 * ZUS_ATTR_SIZE truncates or extends (holes).
	 */
	int (*setattr)(struct zus_inode_info *ii, const struct zufs_attr *attr,
		       __u32 valid);
	/* libzus drops its reference: free ii (and, when the inode's link
	 * count is 0 and nobody else holds it, the inode on the media).
	 */
	void (*evict)(struct zus_inode_info *ii);

	/* ~~ directories ~~ */
	/* name -> inode number; -ENOENT if there is none. NULL: every
	 * lookup is -ENOENT (an empty directory).
	 */
	int (*lookup)(struct zus_inode_info *dir, const char *name,
		      size_t len, __u64 *ino);
	/* Make a new inode and its entry name in dir, in one step (mkdir,
	 * mknod, create, symlink). name == NULL: an O_TMPFILE regular file
	 * without a name and with link count 0, freed when evicted unless
	 * link() names it first. *ii gets a new reference.
	 */
	int (*create)(struct zus_inode_info *dir, const char *name, size_t len,
		      const struct zus_new_inode *ni,
		      struct zus_inode_info **ii);
	/* A new name for ii (a hard link, or the first one of a tmpfile). */
	int (*link)(struct zus_inode_info *dir, struct zus_inode_info *ii,
		    const char *name, size_t len, const struct zufs_time *now);
	/* Remove name (which names ii) from dir. flags ZUFS_UNLINK_DIR:
	 * rmdir, ii is a directory that must be empty (-ENOTEMPTY).
	 */
	int (*unlink)(struct zus_inode_info *dir, struct zus_inode_info *ii,
		      const char *name, size_t len, __u32 flags,
		      const struct zufs_time *now);
	/* flags: ZUFS_RENAME_NOREPLACE, _EXCHANGE, _WHITEOUT (zus_api.h). */
	int (*rename)(struct zus_inode_info *old_dir, const char *old_name,
		      size_t old_len, struct zus_inode_info *new_dir,
		      const char *new_name, size_t new_len, __u32 flags,
		      const struct zufs_time *now);
	/* Call filldir for the entries from position pos on (0 and 1 are
	 * "." and "..", which libzus never asks for: pos >= 2), until it
	 * returns non-zero or the directory ends. Positions are the
	 * plugin's, below 2^63, and stay valid while the directory changes
	 * (telldir/seekdir). NULL: an empty directory.
	 */
	int (*readdir)(struct zus_inode_info *dir, __u64 pos,
		       zus_filldir_t filldir, void *ctx);

	/* ~~ symlinks ~~ */
	/* The target into buf (size bytes); returns its length (no NUL
	 * needed) or -errno.
	 */
	int (*get_link)(struct zus_inode_info *ii, char *buf, size_t size);

	/* ~~ regular files: return bytes done or -errno ~~ */
	/* Holes read as zeros; short at the end of the file, 0 past it. */
	ssize_t (*read)(struct zus_inode_info *ii, void *buf, size_t len,
			__u64 offset);
	/* Extends the file past its end; data and size durable on return.
	 * Out of space after some bytes: the bytes written.
	 */
	ssize_t (*write)(struct zus_inode_info *ii, const void *buf,
			 size_t len, __u64 offset, const struct zufs_time *now);

	/* ~~ the fast path (ZUFS_CAP_FASTIO; zus_api.h, GET_BLOCK) ~~ */
	/* Where the blocks of gb->offset.. are on the device: see struct
	 * zus_get_block. NULL: the kernel uses read/write for the mount.
	 */
	int (*get_block)(struct zus_inode_info *ii, struct zus_get_block *gb);
	/* The kernel is done with blocks a get_block returned (put->done
	 * bytes copied). Optional.
	 */
	void (*put_block)(struct zus_inode_info *ii,
			  const struct zufs_put *put);
	/* ~~ space (ZUFS_CAP_SPACE; NULL: -EOPNOTSUPP) ~~ */
	/* fallocate(2): mode is ZUFS_FALLOC_* (the FALLOC_FL_* values); the
	 * kernel checked the combinations, alignment and ranges against the
	 * size; now stamps mtime/ctime.
	 */
	int (*fallocate)(struct zus_inode_info *ii, int mode, __u64 offset,
			 __u64 len, const struct zufs_time *now);
	/* whence ZUFS_SEEK_DATA or ZUFS_SEEK_HOLE from offset (< size):
	 * the position (see zus_api.h) or -ENXIO.
	 */
	__s64 (*llseek)(struct zus_inode_info *ii, __s64 offset, int whence);
	/* Up to max extents overlapping [offset, offset + len) into ext, in
	 * file order (zus_api.h, FIEMAP); *count = how many.
	 */
	int (*fiemap)(struct zus_inode_info *ii, __u64 offset, __u64 len,
		      struct zufs_fiemap_extent *ext, __u32 max,
		      __u32 *count);
	/* copy_file_range between two regular files of this superblock
	 * (src may be dst; the ranges do not overlap): bytes copied, short
	 * at src's EOF or when space runs out after some; holes stay holes.
	 */
	ssize_t (*copy_range)(struct zus_inode_info *src, __u64 src_off,
			      struct zus_inode_info *dst, __u64 dst_off,
			      __u64 len, const struct zufs_time *now);
	/* FICLONERANGE/FIDEDUPERANGE (zus_api.h, CLONE): share the blocks
	 * of [src_off, src_off + len) of src at dst_off of dst; dedupe:
	 * only if equal, else *same = 0. 0 or -errno.
	 */
	int (*remap)(struct zus_inode_info *src, __u64 src_off,
		     struct zus_inode_info *dst, __u64 dst_off, __u64 len,
		     int dedupe, int *same, const struct zufs_time *now);
	/* ~~ sync (ZUFS_CAP_SYNC) ~~ */
	/* fsync(2), fdatasync(2), sync_file_range(2), O_SYNC writes: make
	 * [start, end] (end inclusive, ~0 = to the end) and the inode's
	 * metadata durable (datasync: what reading the data back needs).
	 * NULL: every operation is durable when it returns.
	 */
	int (*fsync)(struct zus_inode_info *ii, __u64 start, __u64 end,
		     int datasync);
	/* ~~ extended attributes (ZUFS_CAP_XATTR; NULL: -EOPNOTSUPP) ~~
	 * name is whole ("user.x", "system.posix_acl_access"), 1..255
	 * bytes; the kernel checked namespaces and permissions.
	 * getxattr: the value into buf (size 0: only its length); returns
	 * the length, -ENODATA (none) or -ERANGE (size too small).
	 * setxattr: flags ZUFS_XATTR_CREATE (-EEXIST), _REPLACE (-ENODATA),
	 * _REMOVE (val NULL, size 0; -ENODATA if none); -ENOSPC when the
	 * inode's attribute space is full; now stamps ctime.
	 * listxattr: every name followed by a NUL; sizes as getxattr.
	 */
	ssize_t (*getxattr)(struct zus_inode_info *ii, const char *name,
			    void *buf, size_t size);
	int (*setxattr)(struct zus_inode_info *ii, const char *name,
			const void *val, size_t size, __u32 flags,
			const struct zufs_time *now);
	ssize_t (*listxattr)(struct zus_inode_info *ii, char *buf, size_t size);
};

struct zus_inode_info {
	const struct zus_inode_operations *op;
	struct zus_sb_info *sbi;
	__u64 ino;		/* 1..ZUS_INO_MAX */
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
