/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * zus_api.h - the ZUFS protocol: the one ABI shared by zuf.ko (kernel) and
 * zus (the user-mode server, libzus and its plugins).
 *
 * This header is compiled unchanged by both sides. Only fixed-width types
 * are used, every struct is explicitly padded, and the size and key offsets
 * of every struct are pinned by static asserts at the end of this file.
 * Server objects travel as opaque __u64 handles, never as pointers.
 *
 * Protocol history
 * ----------------
 * 1.0 (zufs 0.1.0)
 *   - first contact: ZU_IOC_HANDSHAKE, major/minor and capability words
 *   - zuf-root special files: server session, ZT threads, mount thread,
 *     pmem grab, private mount, exec buffer
 *   - per-CPU ZT channels: ZU_IOC_INIT_THREAD, ZU_IOC_WAIT_OPT,
 *     ZU_IOC_BREAK_ALL; command buffer and application-page window mmaps
 *   - ZU_IOC_REGISTER_FS, ZU_IOC_NUMA_MAP
 *   - mount thread: MOUNT, UMOUNT, REMOUNT, STATFS, SHOW_OPTIONS
 *   - operations NOOP and ECHO (transport tests, benchmarks)
 * 1.1 (zufs 0.1.0)
 *   - ZUFS_CAP_NAMESPACE: LOOKUP, NEW_INODE, LINK, UNLINK, RENAME, READDIR,
 *     GET_SYMLINK, SETATTR, EVICT_INODE; struct zufs_str, zufs_dirent;
 *     zufs_mount_info.s_max_links, btime in every reply's attributes
 * 1.2 (zufs 0.1.0)
 *   - ZUFS_CAP_RW: READ and WRITE through the application window
 *     (struct zufs_ioc_io)
 *
 * 1.3 (zufs 0.1.0)
 *   - ZUFS_CAP_FASTIO: GET_BLOCK/PUT_BLOCK (zuf.ko copies to and from pmem
 *     itself; DAX mmap), ZUFS_CAP_SYNC: FSYNC
 *   - ZUFS_CAP_SPACE: FALLOCATE, SEEK (SEEK_DATA/SEEK_HOLE), FIEMAP, COPY
 *     (copy_file_range in the server), CLONE (reflink and dedupe)
 *   - ZUFS_CAP_XATTR: GETXATTR, SETXATTR, LISTXATTR (xattrs and POSIX ACLs)
 *
 * 1.4 (unreleased)
 *   - ZUFS_CAP_EXTCACHE: GET_BLOCK ret_flags ZUFS_GB_CACHE and
 *     ZUFS_GB_CACHE_RO: the kernel may keep the blocks of a reply and use
 *     them without asking again (no layout change); a write from the
 *     cache reaches the server only as a later SETATTR of mtime/ctime
 *
 * 1.5 (unreleased)
 *   - ZUFS_CAP_NI_XATTR: NEW_INODE may carry the new inode's first
 *     extended attributes (inherited POSIX ACLs, LSM labels) as
 *     struct zufs_ni_xattr records (ZUFS_NI_XATTRS), for filesystem types
 *     registered with ZUFS_FSC_NI_XATTR: created with them or not at all
 *
 * 1.0 to 1.2 were development steps before the first release (zufs
 * 0.1.0), and 1.1 changed the layout of zufs_mount_info; the first released
 * protocol is 1.2, and the rules below hold from it on.
 *
 * Compatibility rules
 * -------------------
 * A different ZUFS_ABI_MAJOR is refused by both sides at first contact.
 * A newer minor on either side works: the kernel answers the handshake with
 * its own version and the intersection of both capability words, and
 * neither side uses a feature outside that intersection. New operations and
 * new trailing struct members are introduced with a new minor and a new
 * capability bit; existing layouts never change within a major.
 *
 * Overview of the flow
 * --------------------
 * 1. The server opens /sys/fs/zuf with O_TMPFILE|O_RDWR; every such file is
 *    a "special file" that takes exactly one role through its first ioctl.
 * 2. ZU_IOC_HANDSHAKE on the first file makes it the server session. Only
 *    one server per zuf-root: a second handshake gets EBUSY. All other
 *    server roles are refused (EPERM) before the handshake and from other
 *    processes than the server's. Closing the session file (or the death of
 *    the server) ends the session: waiting applications get EIO, registered
 *    filesystem types are unregistered, mounts return EIO until unmounted.
 * 3. ZU_IOC_REGISTER_FS on the session file, once per filesystem type.
 * 4. One thread per zuf-root file in ZU_IOC_MOUNT (the mount thread).
 * 5. One ZT thread per (CPU, channel): the thread pins itself to one CPU
 *    (sched_setaffinity), opens a file, ZU_IOC_INIT_THREAD, mmaps the
 *    command buffer (offset ZUFS_ZT_CMD_OFFSET) and the application window
 *    (offset ZUFS_ZT_APP_OFFSET), both MAP_SHARED, then loops in
 *    ZU_IOC_WAIT_OPT. Each return of WAIT_OPT delivers one operation in the
 *    command buffer (struct zufs_ioc_hdr first); the server writes its reply
 *    into the same buffer and calls WAIT_OPT again, which hands the reply to
 *    the waiting application and sleeps until the next operation.
 *    WAIT_OPT returning with hdr.operation == ZUFS_OP_BREAK means: stop.
 *
 * All ioctls below are refused without CAP_SYS_ADMIN.
 */
#ifndef _LINUX_ZUS_API_H
#define _LINUX_ZUS_API_H

#include <linux/types.h>
#include <linux/ioctl.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define ZUFS_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#define zufs_offsetof(t, m) offsetof(t, m)
#else
#include <stddef.h>
#define ZUFS_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#define zufs_offsetof(t, m) offsetof(t, m)
#endif

/* ~~~~ Versions and capabilities ~~~~ */

#define ZUFS_ABI_MAJOR		1
#define ZUFS_ABI_MINOR		5

/* Capability bits exchanged at first contact (ZU_IOC_HANDSHAKE). */
#define ZUFS_CAP_ZT_WINDOW	(1ULL << 0)	/* app pages mapped into ZTs */
#define ZUFS_CAP_NUMA_MAP	(1ULL << 1)	/* ZU_IOC_NUMA_MAP */
#define ZUFS_CAP_PRIVATE_MOUNT	(1ULL << 2)	/* ZU_IOC_PRIVATE_MOUNT */
#define ZUFS_CAP_PMEM		(1ULL << 3)	/* ZU_IOC_GRAB_PMEM + mmap */
#define ZUFS_CAP_EXEC_BUFFER	(1ULL << 4)	/* ZU_IOC_ALLOC_BUFFER */
#define ZUFS_CAP_NAMESPACE	(1ULL << 5)	/* 1.1: namespace operations */
#define ZUFS_CAP_RW		(1ULL << 6)	/* 1.2: READ, WRITE */
#define ZUFS_CAP_FASTIO		(1ULL << 7)	/* 1.3: GET_BLOCK, PUT_BLOCK */
#define ZUFS_CAP_SYNC		(1ULL << 8)	/* 1.3: FSYNC */
#define ZUFS_CAP_SPACE		(1ULL << 9)	/* 1.3: FALLOCATE, SEEK, ... */
#define ZUFS_CAP_XATTR		(1ULL << 10)	/* 1.3: xattr operations */
#define ZUFS_CAP_EXTCACHE	(1ULL << 11)	/* 1.4: GET_BLOCK may be cached */
#define ZUFS_CAP_NI_XATTR	(1ULL << 12)	/* 1.5: xattrs in NEW_INODE */
/* Everything this version of the header knows about. */
#define ZUFS_CAPS_ALL		(ZUFS_CAP_ZT_WINDOW | ZUFS_CAP_NUMA_MAP | \
				 ZUFS_CAP_PRIVATE_MOUNT | ZUFS_CAP_PMEM | \
				 ZUFS_CAP_EXEC_BUFFER | ZUFS_CAP_NAMESPACE | \
				 ZUFS_CAP_RW | ZUFS_CAP_FASTIO | ZUFS_CAP_SYNC | \
				 ZUFS_CAP_SPACE | ZUFS_CAP_XATTR | \
				 ZUFS_CAP_EXTCACHE | ZUFS_CAP_NI_XATTR)

/* ~~~~ Fixed names and limits ~~~~ */

#define ZUFS_ROOT_FSTYPE	"zuf"
#define ZUFS_ROOT_PATH		"/sys/fs/zuf"
#define ZUFS_ROOT_MAGIC		0x5A554652	/* "ZUFR" */

#define ZUFS_MAX_FS_NAME	16	/* incl. NUL: "pmemfs" */
#define ZUFS_MAX_ZT_CHANNELS	8	/* channels per CPU */
#define ZUFS_MAX_CPUS		1024	/* NUMA map size */
#define ZUFS_NODE_NONE		0xFFFF	/* cpu not possible / offline */
#define ZUFS_MOUNT_OPTIONS_MAX	1024	/* incl. NUL */
#define ZUFS_DEV_PATH_MAX	256	/* incl. NUL */
#define ZUFS_VERSION_STR_MAX	32	/* incl. NUL */

/* Command buffer: per ZT, kernel allocated, mmapped by the server. */
#define ZUFS_CMD_MIN		4096U
#define ZUFS_CMD_MAX		(1024U * 1024U)
#define ZUFS_CMD_DEFAULT	(64U * 1024U)

/* Application window: per ZT; one dispatch maps at most this many bytes of
 * application pages into it. Larger requests are split by the kernel.
 */
#define ZUFS_APP_WINDOW_PAGES	1024U
#define ZUFS_APP_WINDOW_SIZE	(ZUFS_APP_WINDOW_PAGES * 4096U)

/* mmap offsets of a ZT file (page aligned, in bytes). */
#define ZUFS_ZT_CMD_OFFSET	0ULL
#define ZUFS_ZT_APP_OFFSET	(1ULL << 30)

/* ~~~~ The header of every operation ~~~~ */

/* hdr.flags */
#define ZUFS_H_INTR		(1U << 0)  /* the application got a fatal signal */
#define ZUFS_H_HAS_PAGES	(1U << 1)  /* app pages are in the window */
#define ZUFS_H_PAGES_RO		(1U << 2)  /* ... mapped read-only */

/*
 * Kernel -> server: operation, in_len (bytes of request, header included),
 * out_max (the largest reply the kernel will accept, header included),
 * out_start (where the reply payload starts: the offset of the first
 * member marked "out" in the operation's struct, or sizeof(struct) when it
 * has none). A successful reply fills exactly [out_start, out_max):
 * out_len = out_max - out_start, or the kernel fails the call with EIO.
 * Server -> kernel: err (0 or a negative errno) and out_len (bytes of reply
 * payload written starting at out_start). The kernel checks
 * out_start + out_len <= out_max and errno ranges before using anything.
 */
struct zufs_ioc_hdr {
	__s32 err;
	__u32 operation;	/* enum e_zufs_operation */
	__u32 in_len;
	__u32 out_start;
	__u32 out_len;
	__u32 out_max;
	__u32 flags;		/* ZUFS_H_* */
	__u32 reserved;
	__u64 offset;		/* per operation, e.g. a file offset */
	__u64 len;		/* per operation, e.g. an IO length */
};

/* ~~~~ Operations ~~~~
 *
 * Numbering by ranges so later minors add operations without renumbering:
 *   0x0000-0x00ff  transport and test
 *   0x0100-0x01ff  mount thread (also in enum e_mount_operation)
 *   0x0200-0x03ff  namespace and inode operations
 *   0x0400-0x05ff  data path (read/write, mmap, fallocate, ...)
 *   0x0600-0x06ff  attributes (xattr, acl, flags, ioctl pass-through)
 *   0x0700-0x07ff  reserved
 */
enum e_zufs_operation {
	ZUFS_OP_NULL		= 0,
	ZUFS_OP_BREAK		= 1,	/* WAIT_OPT: the server must stop */
	ZUFS_OP_NOOP		= 2,	/* answer with err = 0 */
	ZUFS_OP_ECHO		= 3,	/* struct zufs_ioc_echo */

	/* 1.1, ZUFS_CAP_NAMESPACE */
	ZUFS_OP_LOOKUP		= 0x0200,	/* struct zufs_ioc_lookup */
	ZUFS_OP_NEW_INODE	= 0x0201,	/* struct zufs_ioc_new_inode */
	ZUFS_OP_LINK		= 0x0202,	/* struct zufs_ioc_link */
	ZUFS_OP_UNLINK		= 0x0203,	/* struct zufs_ioc_unlink */
	ZUFS_OP_RENAME		= 0x0204,	/* struct zufs_ioc_rename */
	ZUFS_OP_READDIR		= 0x0205,	/* struct zufs_ioc_readdir */
	ZUFS_OP_GET_SYMLINK	= 0x0206,	/* struct zufs_ioc_get_symlink */
	ZUFS_OP_SETATTR		= 0x0207,	/* struct zufs_ioc_setattr */
	ZUFS_OP_EVICT_INODE	= 0x0208,	/* struct zufs_ioc_evict_inode */

	/* 1.2, ZUFS_CAP_RW */
	ZUFS_OP_READ		= 0x0400,	/* struct zufs_ioc_io */
	ZUFS_OP_WRITE		= 0x0401,	/* struct zufs_ioc_io */

	/* 1.3, ZUFS_CAP_FASTIO and ZUFS_CAP_SYNC: 0x0402-0x040f */
	/* @@FASTIO-OPS@@ */
	ZUFS_OP_GET_BLOCK	= 0x0402,	/* struct zufs_ioc_get_block */
	ZUFS_OP_PUT_BLOCK	= 0x0403,	/* struct zufs_ioc_put_block */
	ZUFS_OP_FSYNC		= 0x0404,	/* struct zufs_ioc_fsync */

	/* 1.3, ZUFS_CAP_SPACE: 0x0410-0x041f */
	ZUFS_OP_FALLOCATE	= 0x0410,	/* struct zufs_ioc_fallocate */
	ZUFS_OP_SEEK		= 0x0411,	/* struct zufs_ioc_seek */
	ZUFS_OP_FIEMAP		= 0x0412,	/* struct zufs_ioc_fiemap */
	ZUFS_OP_COPY		= 0x0413,	/* struct zufs_ioc_copy */
	ZUFS_OP_CLONE		= 0x0414,	/* struct zufs_ioc_clone */
	/* @@SPACE-OPS@@ */

	/* 1.3, ZUFS_CAP_XATTR: 0x0600-0x060f */
	ZUFS_OP_GETXATTR	= 0x0600,	/* struct zufs_ioc_xattr */
	ZUFS_OP_SETXATTR	= 0x0601,	/* struct zufs_ioc_xattr */
	ZUFS_OP_LISTXATTR	= 0x0602,	/* struct zufs_ioc_xattr */
	/* @@XATTR-OPS@@ */

	ZUFS_OP_MAX_OPT		= 0x0800,
};

/* Mount-thread operations (ZU_IOC_MOUNT). */
enum e_mount_operation {
	ZUFS_M_MOUNT		= 0x0100,
	ZUFS_M_UMOUNT		= 0x0101,
	ZUFS_M_REMOUNT		= 0x0102,
	ZUFS_M_STATFS		= 0x0103,
	ZUFS_M_SHOW_OPTIONS	= 0x0104,
};

/* ~~~~ Common types ~~~~ */

struct zufs_time {
	__s64 sec;
	__u32 nsec;
	__u32 reserved;
};

/* Inode attributes as the server reports them. */
struct zufs_attr {
	__u64 ino;
	__u64 size;
	__u64 blocks;		/* in 512-byte units */
	__u64 generation;
	__u32 mode;
	__u32 nlink;
	__u32 uid;		/* in the init user namespace */
	__u32 gid;
	__u32 rdev;		/* new_encode_dev() */
	__u32 flags;		/* FS_*_FL */
	struct zufs_time atime;
	struct zufs_time mtime;
	struct zufs_time ctime;
	struct zufs_time btime;
};

/* ~~~~ ZU_IOC_HANDSHAKE: first contact ~~~~
 * in (server): major, minor, caps, version string (informational)
 * out (kernel): kernel_major, kernel_minor, kernel_caps and agreed_caps
 *   (= caps & kernel_caps), kernel version string, num_cpus (possible).
 * On a major mismatch the ioctl fails with EPROTO and fills the kernel_*
 * fields so the server can name both versions; the kernel logs one line.
 */
struct zufs_ioc_handshake {
	struct zufs_ioc_hdr hdr;
	__u32 major;
	__u32 minor;
	__u64 caps;
	char version[ZUFS_VERSION_STR_MAX];
	__u32 kernel_major;
	__u32 kernel_minor;
	__u64 kernel_caps;
	__u64 agreed_caps;
	char kernel_version[ZUFS_VERSION_STR_MAX];
	__u32 num_cpus;
	__u32 max_channels;	/* ZUFS_MAX_ZT_CHANNELS of the kernel */
};

/* ~~~~ ZU_IOC_REGISTER_FS ~~~~ (on the server session file) */

/* zufs_ioc_register_fs.fs_caps */
#define ZUFS_FSC_REQUIRES_DEV	(1U << 0)  /* mount takes a pmem device */
#define ZUFS_FSC_NO_ECHO	(1U << 1)  /* ECHO is not implemented */
/* 1.5, only with ZUFS_CAP_NI_XATTR agreed: NEW_INODE honours ZUFS_NI_XATTRS */
#define ZUFS_FSC_NI_XATTR	(1U << 2)

struct zufs_ioc_register_fs {
	struct zufs_ioc_hdr hdr;
	__u64 zus_zfi;		/* server handle of the fs type */
	char name[ZUFS_MAX_FS_NAME];
	__u32 magic;		/* statfs f_type */
	__u32 version;		/* of the plugin/on-media format, informational */
	__u32 fs_caps;		/* ZUFS_FSC_* */
	__u32 reserved;
};

/* ~~~~ ZU_IOC_NUMA_MAP ~~~~ */
struct zufs_ioc_numa_map {
	struct zufs_ioc_hdr hdr;
	__u32 possible_cpus;
	__u32 online_cpus;
	__u32 possible_nodes;
	__u32 online_nodes;
	__u32 max_cpu_per_node;
	__u32 nodes_not_symmetrical;
	__u16 cpu_to_node[ZUFS_MAX_CPUS];	/* ZUFS_NODE_NONE if offline */
};

/* ~~~~ ZU_IOC_INIT_THREAD ~~~~
 * The calling thread must be bound to exactly one CPU; the kernel uses that
 * CPU. in: channel_no (< max_channels), max_command (command buffer size,
 * clamped to [ZUFS_CMD_MIN, ZUFS_CMD_MAX] and rounded to pages).
 * out: cpu, max_command actually allocated.
 */
struct zufs_ioc_init_thread {
	struct zufs_ioc_hdr hdr;
	__u32 channel_no;
	__u32 max_command;
	__u32 cpu;
	__u32 reserved;
};

/* ~~~~ Mount thread: ZU_IOC_MOUNT ~~~~
 * The mount thread calls ZU_IOC_MOUNT with a buffer of
 * sizeof(struct zufs_ioc_mount). On the first call hdr.operation must be
 * ZUFS_OP_NULL. Each return delivers one mount operation; the server writes
 * the answer into the same struct and calls ZU_IOC_MOUNT again.
 */

/* zufs_mount_info.sb_flags */
#define ZUFS_M_RDONLY		(1U << 0)
#define ZUFS_M_SILENT		(1U << 1)

struct zufs_mount_info {
	/* in */
	__u64 zus_zfi;		/* the fs type's server handle */
	__u32 num_cpu;
	__u32 num_channels;
	__u32 sb_flags;		/* ZUFS_M_* */
	__u32 pmem_id;		/* for ZU_IOC_GRAB_PMEM; 0 = no device */
	__u64 pmem_size;	/* bytes of the device, 0 = no device */
	/* out (MOUNT) */
	__u64 zus_sbi;		/* server handle of the superblock */
	__u64 zus_ii;		/* server handle of the root inode */
	struct zufs_attr root;	/* root inode attributes */
	__u32 s_blocksize_bits;
	__u32 s_time_gran;	/* nanoseconds */
	__u64 s_maxbytes;
	__u32 s_max_links;	/* 1.1: 0 = no limit the VFS must enforce */
	__u32 reserved2;
	/* in (MOUNT, REMOUNT) / out (SHOW_OPTIONS): NUL terminated */
	__u32 options_len;	/* bytes used in options, NUL excluded */
	__u32 reserved;
	char options[ZUFS_MOUNT_OPTIONS_MAX];
	char dev_path[ZUFS_DEV_PATH_MAX];	/* in (MOUNT) */
};

struct zufs_statfs {
	__u64 blocks;
	__u64 bfree;
	__u64 bavail;
	__u64 files;
	__u64 ffree;
	__u64 fsid;
	__u32 bsize;
	__u32 frsize;
	__u32 namelen;
	__u32 flags;
};

struct zufs_ioc_mount {
	struct zufs_ioc_hdr hdr;
	struct zufs_mount_info zmi;
	struct zufs_statfs statfs;	/* out (STATFS) */
};

/* ~~~~ ZUFS_OP_ECHO ~~~~ (a ZT operation, for tests and benchmarks)
 * The application's buffer (len bytes, starting at byte pg_offset of the
 * first page) is mapped into the ZT's application window
 * (ZUFS_H_HAS_PAGES). Requests larger than the window are split by the
 * kernel: hdr.len is the length of this piece and hdr.offset its position
 * in the application's whole buffer. For i in [0, hdr.len) the server must
 * check window byte pg_offset + i equals
 * zufs_echo_pattern(seed_in, hdr.offset + i), then overwrite it with
 * zufs_echo_pattern(seed_out, hdr.offset + i). Mismatch: err = -EILSEQ.
 * Reply: out_start = offsetof(checked); `checked` = bytes verified,
 * out_len = 8.
 */
struct zufs_ioc_echo {
	struct zufs_ioc_hdr hdr;
	__u64 zus_sbi;
	__u32 pg_offset;
	__u32 seed_in;
	__u32 seed_out;
	__u32 reserved;
	__u64 checked;		/* out: bytes verified */
};

static inline __u8 zufs_echo_pattern(__u32 seed, __u64 i)
{
	__u64 x = (i + 1) * 0x9E3779B97F4A7C15ULL + seed;

	return (__u8)((x >> 32) ^ (x >> 13) ^ seed);
}

/* ~~~~ NOOP ~~~~: hdr only (out_start = out_max = sizeof(hdr)); the
 * superblock's zus_sbi is in hdr.offset. Answer err = 0, out_len = 0.
 */

/* ~~~~ Namespace operations (1.1, ZUFS_CAP_NAMESPACE) ~~~~
 *
 * Inodes are named by the server's handle (zus_ii) and carry the server's
 * inode number in zufs_attr.ino. The kernel caches inodes and dentries and
 * keeps them right from the attributes every reply carries: any inode an
 * operation changed comes back in the reply (the new or linked inode, the
 * directories, a replaced rename target). The kernel decides times: `now`
 * is the time to stamp on every inode the operation changes. Permission
 * checks (mode, ownership, sticky directories, setgid inheritance) are done
 * by the kernel before it asks; the server enforces the filesystem's own
 * limits (ENOSPC, EMLINK, ENOTEMPTY, EEXIST, ENOENT, name length).
 * The kernel stops holding an inode with EVICT_INODE; after it, the server
 * needs no memory for that inode. An inode evicted with nlink 0 is freed.
 * zus_ii must name the inode for as long as it exists, across evictions
 * (e.g. its inode number): the kernel may hold a handle an eviction of an
 * earlier instance of the same inode is still on its way for.
 */
#define ZUFS_NAME_MAX		255

struct zufs_str {
	__u32 len;		/* bytes, no NUL: 1..ZUFS_NAME_MAX */
	__u32 reserved;
	char name[ZUFS_NAME_MAX + 1];	/* NUL terminated as well */
};

/* LOOKUP: -ENOENT for a negative entry. */
struct zufs_ioc_lookup {
	struct zufs_ioc_hdr hdr;
	__u64 dir_ii;
	struct zufs_str name;
	/* out */
	__u64 zus_ii;
	struct zufs_attr attr;
};

/* NEW_INODE: create, mkdir, mknod, symlink and O_TMPFILE.
 * in attr: mode (with type), uid, gid, rdev, flags and the times (= now).
 * A symlink's target (symlink_len bytes, no NUL) is in the application
 * window (ZUFS_H_HAS_PAGES), at offset 0. ZUFS_NI_TMPFILE: no name, the
 * inode starts with nlink 0 and is freed at eviction unless LINKed first.
 * ZUFS_NI_XATTRS (1.5, ZUFS_CAP_NI_XATTR and the type's ZUFS_FSC_NI_XATTR):
 * the new inode's first extended attributes are in the window too, at
 * hdr.offset (a multiple of 8, at or past the symlink target), hdr.len
 * bytes: 1..ZUFS_NI_XATTRS_MAX records, each a struct zufs_ni_xattr, the
 * name (name_len bytes, then a NUL), the value (value_len bytes), padded
 * with zeros to a multiple of 8 (zufs_ni_xattr_size). Names are whole
 * ("system.posix_acl_access", "security.selinux"), distinct, and only of
 * the system.posix_acl_* and security. namespaces. The server creates the
 * inode with all of them or fails the operation (e.g. -ENOSPC) and leaves
 * nothing behind: a crash never shows the new name without them.
 */
#define ZUFS_NI_TMPFILE		(1U << 0)
#define ZUFS_NI_XATTRS		(1U << 1)
#define ZUFS_NI_XATTRS_MAX	8U
struct zufs_ni_xattr {
	__u32 value_len;	/* up to ZUFS_XATTR_SIZE_MAX */
	__u8 name_len;		/* 1..ZUFS_NAME_MAX */
	__u8 reserved[3];
};

static inline __u32 zufs_ni_xattr_size(__u32 name_len, __u32 value_len)
{
	return (__u32)((sizeof(struct zufs_ni_xattr) + name_len + 1 +
			value_len + 7) & ~7UL);
}
struct zufs_ioc_new_inode {
	struct zufs_ioc_hdr hdr;
	__u64 dir_ii;
	struct zufs_str name;
	__u32 flags;		/* ZUFS_NI_* */
	__u32 symlink_len;
	struct zufs_attr attr;	/* in as above; out: the new inode */
	/* out */
	__u64 zus_ii;
	struct zufs_attr dir_attr;
};

/* LINK: a new name for zus_ii (also links an O_TMPFILE inode). */
struct zufs_ioc_link {
	struct zufs_ioc_hdr hdr;
	__u64 dir_ii;
	__u64 zus_ii;
	struct zufs_str name;
	struct zufs_time now;
	/* out */
	struct zufs_attr attr;
	struct zufs_attr dir_attr;
};

/* UNLINK: unlink and (ZUFS_UNLINK_DIR) rmdir of an empty directory. */
#define ZUFS_UNLINK_DIR		(1U << 0)
struct zufs_ioc_unlink {
	struct zufs_ioc_hdr hdr;
	__u64 dir_ii;
	__u64 zus_ii;
	struct zufs_str name;
	struct zufs_time now;
	__u32 flags;
	__u32 reserved;
	/* out */
	struct zufs_attr attr;
	struct zufs_attr dir_attr;
};

/* RENAME: flags are the renameat2() flags the server supports:
 * ZUFS_RENAME_NOREPLACE, _EXCHANGE, _WHITEOUT (a whiteout is a character
 * device 0:0 left at the old name). new_ii is the inode the new name held
 * (0 if none); when it is replaced its attributes come back in new_attr.
 */
#define ZUFS_RENAME_NOREPLACE	(1U << 0)
#define ZUFS_RENAME_EXCHANGE	(1U << 1)
#define ZUFS_RENAME_WHITEOUT	(1U << 2)
struct zufs_ioc_rename {
	struct zufs_ioc_hdr hdr;
	__u64 old_dir_ii;
	__u64 new_dir_ii;
	__u64 old_ii;
	__u64 new_ii;
	struct zufs_str old_name;
	struct zufs_str new_name;
	struct zufs_time now;
	__u32 flags;
	__u32 reserved;
	/* out */
	struct zufs_attr old_dir_attr;
	struct zufs_attr new_dir_attr;
	struct zufs_attr old_attr;
	struct zufs_attr new_attr;
};

/* READDIR: the server writes struct zufs_dirent records (8-byte aligned)
 * into the application window, at most hdr.len bytes, starting with the
 * entry at cookie pos. Cookies are the server's stable positions, >= 2
 * (0 and 1 are "." and ".."), below 2^63, valid while the directory
 * changes (telldir/seekdir). Out: nents, pos = the cookie after the last
 * entry written, more = 0 at the end of the directory.
 */
struct zufs_dirent {
	__u64 ino;
	__u64 pos;		/* this entry's own cookie */
	__u16 reclen;		/* whole record, 8-byte aligned */
	__u8 type;		/* DT_* */
	__u8 name_len;
	__u32 reserved;
	char name[];		/* name_len bytes, no NUL needed */
};

struct zufs_ioc_readdir {
	struct zufs_ioc_hdr hdr;
	__u64 dir_ii;
	__u64 pos;		/* in: start cookie; out: next cookie */
	__u32 nents;		/* out */
	__u32 more;		/* out */
};

/* GET_SYMLINK: the target (len bytes, no NUL) into the window. */
struct zufs_ioc_get_symlink {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 len;		/* out */
	__u32 reserved;
};

/* SETATTR: attr holds the complete new values the kernel computed for
 * the fields named in mask; ZUFS_ATTR_SIZE truncates (up or down).
 * Out: attr = the inode afterwards.
 */
#define ZUFS_ATTR_MODE		(1U << 0)
#define ZUFS_ATTR_UID		(1U << 1)
#define ZUFS_ATTR_GID		(1U << 2)
#define ZUFS_ATTR_SIZE		(1U << 3)
#define ZUFS_ATTR_ATIME		(1U << 4)
#define ZUFS_ATTR_MTIME		(1U << 5)
#define ZUFS_ATTR_CTIME		(1U << 6)
#define ZUFS_ATTR_FLAGS		(1U << 7)
struct zufs_ioc_setattr {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 mask;		/* ZUFS_ATTR_* */
	__u32 reserved;
	struct zufs_attr attr;
};

/* EVICT_INODE: the kernel dropped the inode; ZUFS_EVICT_DELETE when its
 * nlink is 0 (free it now).
 */
#define ZUFS_EVICT_DELETE	(1U << 0)
struct zufs_ioc_evict_inode {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 flags;
	__u32 reserved;
};

/* ~~~~ Data: READ and WRITE (1.2, ZUFS_CAP_RW) ~~~~
 * The application's buffer is in the window (ZUFS_H_HAS_PAGES; read-only
 * for WRITE), starting at byte pg_offset; hdr.offset is the file offset,
 * hdr.len the byte count (at most the window). READ copies file bytes to
 * the window: holes read as zeros, a read reaching EOF is short (done <
 * len; 0 at or past EOF). WRITE copies the window into the file at
 * hdr.offset (the kernel resolves O_APPEND), extending the file past EOF;
 * the data and the new size are durable when the reply is sent. ENOSPC
 * after some bytes: done = bytes written, err = 0; none: err = -ENOSPC.
 * `now` stamps mtime/ctime of a WRITE. Out: done, attr (size, blocks,
 * times afterwards).
 */
struct zufs_ioc_io {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 pg_offset;
	__u32 flags;		/* reserved, 0 */
	struct zufs_time now;
	/* out */
	__u64 done;
	struct zufs_attr attr;
};

/* ~~~~ Fast IO, DAX and sync (1.3, ZUFS_CAP_FASTIO, ZUFS_CAP_SYNC) ~~~~ */
/* @@FASTIO-STRUCTS@@ */
/*
 * The fast path: instead of READ/WRITE through the window, the kernel asks
 * the server where the blocks of a range are on the t1 device (the pmem
 * the mount was given, see ZU_IOC_GRAB_PMEM) and copies between the
 * application and pmem itself (writes with non-temporal stores and a
 * fence). A plugin opts in by answering GET_BLOCK; -EOPNOTSUPP makes the
 * kernel use READ/WRITE for that mount.
 *
 * Puts: blocks a GET_BLOCK returned stay the server's concern (e.g. held
 * against copy-on-write or freeing) until the kernel puts them. A put does
 * not cost a round trip: the kernel queues it and the next GET_BLOCK,
 * PUT_BLOCK or FSYNC of that superblock carries the queued puts in its
 * `puts` array (the server handles them first). A GET_BLOCK reply with
 * ZUFS_GB_PUT_NOW makes the kernel send PUT_BLOCK as soon as its copy is
 * done. A put's `done` is the number of bytes the kernel actually copied
 * (a write that faulted half way is short).
 */
#define ZUFS_PUTS_MAX		8	/* puts one request carries */

struct zufs_put {
	__u64 zus_ii;		/* 0: an empty slot */
	__u64 index;		/* first block (file offset / block size) */
	__u32 count;		/* blocks */
	__u32 flags;		/* ZUFS_GB_WRITE if they were got for writing */
	__u64 done;		/* bytes the kernel copied */
};

/* GET_BLOCK: hdr.offset (file byte offset) and hdr.len (bytes, > 0) name
 * the range; the server answers for the blocks from hdr.offset / block
 * size on, at most ZUFS_GB_MAX and at most what the range touches, in
 * bns[]: the byte offset of the block on the t1 device (block aligned,
 * inside the device), or 0 for a hole (reads only). ZUFS_GB_WRITE
 * allocates holes (zero filled; shared blocks are copied first) and,
 * unless ZUFS_GB_MMAP, sets size = max(size, end of the range covered)
 * and stamps mtime/ctime with `now`: the new blocks and the metadata are
 * durable when the reply is sent. ZUFS_GB_MMAP: a page fault (no size
 * change; a write fault stamps mtime/ctime). Out: nr (1..ZUFS_GB_MAX),
 * ret_flags (ZUFS_GB_NEW: at least one block was allocated or moved, so
 * mappings of the range must be dropped; ZUFS_GB_PUT_NOW), attr.
 */
#define ZUFS_GB_MAX		128

#define ZUFS_GB_WRITE		(1U << 0)
#define ZUFS_GB_MMAP		(1U << 1)
/* ret_flags */
#define ZUFS_GB_NEW		(1U << 0)
#define ZUFS_GB_PUT_NOW		(1U << 1)
/*
 * 1.4, only with ZUFS_CAP_EXTCACHE agreed (@@EXTCACHE@@):
 * ZUFS_GB_CACHE: the kernel may keep bns[] (not the holes) and use them
 * for later reads, read faults and writes of those blocks without a
 * GET_BLOCK (and without puts), until it changes the file's mapping
 * itself. The server promises that the blocks of a file move, get freed
 * or become shared only in operations the kernel sends for that file:
 * WRITE and GET_BLOCK with ZUFS_GB_WRITE (allocation, copy on write),
 * SETATTR of the size, FALLOCATE, COPY (destination), CLONE (source and
 * destination), EVICT_INODE; the kernel drops what it keeps of the file
 * in all of these (and the range of a reply with ZUFS_GB_NEW).
 * ZUFS_GB_CACHE_RO (with ZUFS_GB_CACHE): some block of the reply is
 * shared (reflink): the blocks may be cached for reading only; a write
 * must ask with ZUFS_GB_WRITE. Without it every block of the reply may be
 * written in place (allocated and not shared).
 * A write from the cache does not reach the server: the kernel uses it
 * only when the write changes no size, moves mtime/ctime in its inode and
 * sends them later, as a SETATTR of ZUFS_ATTR_MTIME | ZUFS_ATTR_CTIME,
 * at fsync, syncfs/sync, umount or inode writeback.
 */
#define ZUFS_GB_CACHE		(1U << 2)
#define ZUFS_GB_CACHE_RO	(1U << 3)

struct zufs_ioc_get_block {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 flags;		/* ZUFS_GB_* */
	__u32 nputs;		/* valid entries in puts */
	struct zufs_time now;
	struct zufs_put puts[ZUFS_PUTS_MAX];
	/* out */
	__u32 nr;
	__u32 ret_flags;
	struct zufs_attr attr;
	__u64 bns[ZUFS_GB_MAX];
};

/* PUT_BLOCK: only the carried puts (the reply is hdr only). */
struct zufs_ioc_put_block {
	struct zufs_ioc_hdr hdr;
	__u32 nputs;
	__u32 reserved;
	struct zufs_put puts[ZUFS_PUTS_MAX];
};

/* FSYNC: make the data and metadata of [hdr.offset, hdr.offset + hdr.len)
 * of zus_ii durable (hdr.len 0: to the end). ZUFS_FSYNC_DATASYNC: the
 * metadata needed to read the data back is enough. ZUFS_FSYNC_FS: syncfs
 * of the whole superblock (zus_ii names any inode of it, e.g. the root).
 * Carries queued puts like GET_BLOCK.
 */
#define ZUFS_FSYNC_DATASYNC	(1U << 0)
#define ZUFS_FSYNC_FS		(1U << 1)

struct zufs_ioc_fsync {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 flags;		/* ZUFS_FSYNC_* */
	__u32 nputs;
	struct zufs_put puts[ZUFS_PUTS_MAX];
};

/* ~~~~ Space (1.3, ZUFS_CAP_SPACE) ~~~~ */
/* FALLOCATE: the range is [hdr.offset, hdr.offset + hdr.len), mode the
 * fallocate(2) mode (ZUFS_FALLOC_*, the FALLOC_FL_* values). The kernel
 * checked what the VFS and ext4 check: known mode bits and combinations,
 * hdr.len > 0, for COLLAPSE and INSERT block alignment, COLLAPSE ending
 * before EOF, INSERT starting before EOF and not passing s_maxbytes.
 * Default mode: blocks allocated for the range read as zeros, the size
 * grows to the end of the range (not with KEEP_SIZE). PUNCH_HOLE (always
 * with KEEP_SIZE): the range reads as zeros, whole blocks in it are freed.
 * ZERO_RANGE: the range reads as zeros and is allocated. COLLAPSE_RANGE:
 * the range is removed, what follows moves down, the size shrinks by len.
 * INSERT_RANGE: a hole of len bytes at hdr.offset, what follows moves up.
 * `now` stamps mtime/ctime. Out: attr afterwards.
 */
#define ZUFS_FALLOC_KEEP_SIZE		0x01
#define ZUFS_FALLOC_PUNCH_HOLE		0x02
#define ZUFS_FALLOC_COLLAPSE_RANGE	0x08
#define ZUFS_FALLOC_ZERO_RANGE		0x10
#define ZUFS_FALLOC_INSERT_RANGE	0x20
struct zufs_ioc_fallocate {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 mode;		/* ZUFS_FALLOC_* */
	__u32 reserved;
	struct zufs_time now;
	/* out */
	struct zufs_attr attr;
};

/* SEEK: lseek SEEK_DATA (ZUFS_SEEK_DATA) or SEEK_HOLE (ZUFS_SEEK_HOLE)
 * from hdr.offset (< the size; the kernel answers ENXIO itself past EOF).
 * Out: pos = the first byte >= hdr.offset that is data (resp. in a hole;
 * EOF counts as a hole), pos < size for DATA, <= size for HOLE; -ENXIO
 * when there is no data from hdr.offset on.
 */
#define ZUFS_SEEK_DATA		3
#define ZUFS_SEEK_HOLE		4
struct zufs_ioc_seek {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 whence;		/* ZUFS_SEEK_* */
	__u32 reserved;
	/* out */
	__u64 pos;
};

/* FIEMAP: the extents of the file overlapping [hdr.offset, hdr.offset +
 * hdr.len), in file order, at most ZUFS_FIEMAP_MAX per call (the kernel
 * asks again from the end of the last one when count is the maximum).
 * An extent is a run of blocks contiguous in the file and on the device,
 * all with the same flags: logical and physical (byte offset on the t1
 * device) block aligned, length a multiple of the block size. The first
 * may start before hdr.offset. ZUFS_FE_LAST marks the file's last extent.
 */
#define ZUFS_FIEMAP_MAX		32
#define ZUFS_FE_LAST		(1U << 0)	/* FIEMAP_EXTENT_LAST */
#define ZUFS_FE_UNWRITTEN	(1U << 1)	/* FIEMAP_EXTENT_UNWRITTEN */
#define ZUFS_FE_SHARED		(1U << 2)	/* FIEMAP_EXTENT_SHARED */
struct zufs_fiemap_extent {
	__u64 logical;
	__u64 physical;
	__u64 length;
	__u32 flags;		/* ZUFS_FE_* */
	__u32 reserved;
};

struct zufs_ioc_fiemap {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	/* out */
	__u32 count;
	__u32 reserved;
	struct zufs_fiemap_extent ext[ZUFS_FIEMAP_MAX];
};

/* COPY: copy_file_range(2) inside the server, between two regular files
 * of one superblock: hdr.len bytes from src_off of src_ii to dst_off of
 * dst_ii (the kernel checked the ranges as generic_copy_file_checks does:
 * not overlapping within one file, not past s_maxbytes). Source bytes past
 * its size are not copied: done is short then (0 at or past its EOF). A
 * hole in the source stays a hole where the destination had none or is
 * punched where it had data, so a sparse file stays sparse. The
 * destination grows to dst_off + done. Out of space after some bytes:
 * done = bytes copied, err = 0; none: err = -ENOSPC. `now` stamps the
 * destination's mtime/ctime. Out: done, attr (of the destination).
 */
struct zufs_ioc_copy {
	struct zufs_ioc_hdr hdr;
	__u64 dst_ii;
	__u64 src_ii;
	__u64 src_off;
	__u64 dst_off;
	struct zufs_time now;
	/* out */
	__u64 done;
	struct zufs_attr attr;
};
/* CLONE: FICLONE/FICLONERANGE (reflink) and FIDEDUPERANGE: the blocks of
 * [src_off, src_off + hdr.len) of src_ii become shared, copy on write,
 * with [dst_off, dst_off + hdr.len) of dst_ii (one superblock; the kernel
 * checked as generic_remap_file_range_prep does: offsets block aligned,
 * hdr.len > 0 and block aligned unless it ends at src's EOF, no overlap
 * within one file). Holes of src punch dst. The destination grows to
 * dst_off + hdr.len. ZUFS_CLONE_DEDUPE: only when the bytes of the two
 * ranges are equal (compared by the server under its locks), else
 * same = 0 and nothing changes. -EOPNOTSUPP: the filesystem cannot share
 * blocks. `now` stamps the destination's mtime/ctime (not for DEDUPE).
 * Out: same, attr (of the destination).
 */
#define ZUFS_CLONE_DEDUPE	(1U << 0)
struct zufs_ioc_clone {
	struct zufs_ioc_hdr hdr;
	__u64 dst_ii;
	__u64 src_ii;
	__u64 src_off;
	__u64 dst_off;
	__u32 flags;		/* ZUFS_CLONE_* */
	__u32 reserved;
	struct zufs_time now;
	/* out */
	__u32 same;
	__u32 reserved2;
	struct zufs_attr attr;
};
/* @@SPACE-STRUCTS@@ */

/* ~~~~ Extended attributes (1.3, ZUFS_CAP_XATTR) ~~~~ */
/* Names are whole ("user.x", "system.posix_acl_access"), 1..255 bytes,
 * also NUL terminated. The value or the name list is in the application
 * window at offset 0, hdr.len bytes (ZUFS_H_HAS_PAGES; read-only for SET).
 * GETXATTR: the value into the window; hdr.len 0 asks only for its size.
 *   -ENODATA: no such attribute; -ERANGE: hdr.len (non-zero) too small.
 * LISTXATTR: every name, each followed by a NUL, into the window; sizes as
 *   for GETXATTR (name is unused).
 * SETXATTR: value of hdr.len bytes (up to ZUFS_XATTR_SIZE_MAX); flags
 *   ZUFS_XATTR_CREATE (-EEXIST if it exists), ZUFS_XATTR_REPLACE
 *   (-ENODATA if not), ZUFS_XATTR_REMOVE (remove it, -ENODATA if none).
 *   -ENOSPC: the inode's attribute space is full. `now` stamps ctime.
 * Out: size (bytes of value or list, also when only asked for the size),
 * attr (the inode afterwards).
 */
#define ZUFS_XATTR_CREATE	(1U << 0)	/* = XATTR_CREATE */
#define ZUFS_XATTR_REPLACE	(1U << 1)	/* = XATTR_REPLACE */
#define ZUFS_XATTR_REMOVE	(1U << 2)
#define ZUFS_XATTR_SIZE_MAX	65536U		/* = XATTR_SIZE_MAX */
#define ZUFS_XATTR_LIST_MAX	65536U		/* = XATTR_LIST_MAX */
struct zufs_ioc_xattr {
	struct zufs_ioc_hdr hdr;
	__u64 zus_ii;
	__u32 flags;		/* ZUFS_XATTR_* */
	__u32 reserved;
	struct zufs_time now;
	struct zufs_str name;
	/* out */
	__u32 size;
	__u32 reserved2;
	struct zufs_attr attr;
};
/* @@XATTR-STRUCTS@@ */

/* ~~~~ Application ioctls on any file of a ZUFS mount ~~~~
 * These let tools and tests reach the server through the ZT path.
 */
struct zufs_ioc_app_echo {
	__u64 buf;		/* user address */
	__u64 len;		/* bytes, up to ZUFS_APP_ECHO_MAX */
	__u32 seed_in;
	__u32 seed_out;
	__u64 checked;		/* out */
};
#define ZUFS_APP_ECHO_MAX	(64ULL << 20)

/* ~~~~ pmem and private mount ~~~~ */

/* ZU_IOC_GRAB_PMEM: in pmem_id (from zufs_mount_info); out size. The file
 * then maps the device with mmap(MAP_SHARED), offset 0..size.
 */
struct zufs_ioc_pmem {
	struct zufs_ioc_hdr hdr;
	__u32 pmem_id;
	__u32 block_size;	/* out: 4096 */
	__u64 size;		/* out: bytes */
	__u64 reserved;
};

/* ZU_IOC_PRIVATE_MOUNT: in dev_path and flags; the kernel opens the block
 * device exclusively (EBUSY if mounted or held), requires DAX (EOPNOTSUPP
 * without it) and the file maps the device as with GRAB_PMEM. No VFS
 * superblock is created; closing the file releases the device.
 */
#define ZUFS_PRIV_RDONLY	(1U << 0)
struct zufs_ioc_private_mount {
	struct zufs_ioc_hdr hdr;
	char dev_path[ZUFS_DEV_PATH_MAX];
	__u32 flags;		/* ZUFS_PRIV_* */
	__u32 block_size;	/* out */
	__u64 size;		/* out: bytes */
	__u32 dax;		/* out: 1 if the device supports DAX */
	__u32 reserved;
};

/* ZU_IOC_ALLOC_BUFFER: a kernel buffer of size bytes (page multiple, at
 * most ZUFS_CMD_MAX) that the server maps with mmap at offset 0.
 */
struct zufs_ioc_alloc_buffer {
	struct zufs_ioc_hdr hdr;
	__u32 size;
	__u32 reserved;
};

/* ~~~~ ioctl numbers ~~~~ */
#define ZUFS_IOC_MAGIC	0xF5

/* server side, on zuf-root special files */
#define ZU_IOC_HANDSHAKE	_IOWR(ZUFS_IOC_MAGIC, 1, struct zufs_ioc_handshake)
#define ZU_IOC_REGISTER_FS	_IOWR(ZUFS_IOC_MAGIC, 2, struct zufs_ioc_register_fs)
#define ZU_IOC_MOUNT		_IOWR(ZUFS_IOC_MAGIC, 3, struct zufs_ioc_mount)
#define ZU_IOC_NUMA_MAP		_IOR(ZUFS_IOC_MAGIC, 4, struct zufs_ioc_numa_map)
#define ZU_IOC_INIT_THREAD	_IOWR(ZUFS_IOC_MAGIC, 5, struct zufs_ioc_init_thread)
#define ZU_IOC_WAIT_OPT		_IO(ZUFS_IOC_MAGIC, 6)
#define ZU_IOC_BREAK_ALL	_IO(ZUFS_IOC_MAGIC, 7)
#define ZU_IOC_GRAB_PMEM	_IOWR(ZUFS_IOC_MAGIC, 8, struct zufs_ioc_pmem)
#define ZU_IOC_PRIVATE_MOUNT	_IOWR(ZUFS_IOC_MAGIC, 9, struct zufs_ioc_private_mount)
#define ZU_IOC_ALLOC_BUFFER	_IOWR(ZUFS_IOC_MAGIC, 10, struct zufs_ioc_alloc_buffer)

/* application side, on files of a ZUFS mount */
#define ZUFS_IOC_NOOP		_IO(ZUFS_IOC_MAGIC, 64)
#define ZUFS_IOC_ECHO		_IOWR(ZUFS_IOC_MAGIC, 65, struct zufs_ioc_app_echo)

/* ~~~~ Layout pins: a change here is an ABI change ~~~~ */
#define ZUFS_PIN_SIZE(t, n) \
	ZUFS_STATIC_ASSERT(sizeof(struct t) == (n), "ABI: size of " #t)
#define ZUFS_PIN_OFF(t, m, n) \
	ZUFS_STATIC_ASSERT(zufs_offsetof(struct t, m) == (n), "ABI: " #t "." #m)

ZUFS_PIN_SIZE(zufs_ioc_hdr, 48);
ZUFS_PIN_OFF(zufs_ioc_hdr, operation, 4);
ZUFS_PIN_OFF(zufs_ioc_hdr, out_len, 16);
ZUFS_PIN_OFF(zufs_ioc_hdr, offset, 32);
ZUFS_PIN_SIZE(zufs_time, 16);
ZUFS_PIN_SIZE(zufs_attr, 120);
ZUFS_PIN_OFF(zufs_attr, mode, 32);
ZUFS_PIN_OFF(zufs_attr, atime, 56);
ZUFS_PIN_SIZE(zufs_ioc_handshake, 160);
ZUFS_PIN_OFF(zufs_ioc_handshake, kernel_major, 96);
ZUFS_PIN_OFF(zufs_ioc_handshake, agreed_caps, 112);
ZUFS_PIN_SIZE(zufs_ioc_register_fs, 88);
ZUFS_PIN_OFF(zufs_ioc_register_fs, name, 56);
ZUFS_PIN_SIZE(zufs_ioc_numa_map, 2120);
ZUFS_PIN_OFF(zufs_ioc_numa_map, cpu_to_node, 72);
ZUFS_PIN_SIZE(zufs_ioc_init_thread, 64);
ZUFS_PIN_SIZE(zufs_mount_info, 1480);
ZUFS_PIN_OFF(zufs_mount_info, zus_sbi, 32);
ZUFS_PIN_OFF(zufs_mount_info, root, 48);
ZUFS_PIN_OFF(zufs_mount_info, options, 200);
ZUFS_PIN_SIZE(zufs_statfs, 64);
ZUFS_PIN_SIZE(zufs_ioc_mount, 1592);
ZUFS_PIN_OFF(zufs_ioc_mount, statfs, 1528);
ZUFS_PIN_SIZE(zufs_ioc_echo, 80);
ZUFS_PIN_SIZE(zufs_ioc_app_echo, 32);
ZUFS_PIN_SIZE(zufs_ioc_pmem, 72);
ZUFS_PIN_SIZE(zufs_ioc_private_mount, 328);
ZUFS_PIN_SIZE(zufs_ioc_alloc_buffer, 56);
ZUFS_PIN_SIZE(zufs_str, 264);
ZUFS_PIN_SIZE(zufs_ioc_lookup, 448);
ZUFS_PIN_OFF(zufs_ioc_lookup, zus_ii, 320);
ZUFS_PIN_SIZE(zufs_ioc_new_inode, 576);
ZUFS_PIN_SIZE(zufs_ni_xattr, 8);
ZUFS_PIN_OFF(zufs_ioc_new_inode, attr, 328);
ZUFS_PIN_SIZE(zufs_ioc_link, 584);
ZUFS_PIN_SIZE(zufs_ioc_unlink, 592);
ZUFS_PIN_SIZE(zufs_ioc_rename, 1112);
ZUFS_PIN_OFF(zufs_ioc_rename, new_name, 344);
ZUFS_PIN_SIZE(zufs_dirent, 24);
ZUFS_PIN_OFF(zufs_dirent, name, 24);
ZUFS_PIN_SIZE(zufs_ioc_readdir, 72);
ZUFS_PIN_SIZE(zufs_ioc_get_symlink, 64);
ZUFS_PIN_SIZE(zufs_ioc_setattr, 184);
ZUFS_PIN_SIZE(zufs_ioc_evict_inode, 64);
ZUFS_PIN_SIZE(zufs_ioc_io, 208);
ZUFS_PIN_OFF(zufs_ioc_io, done, 80);
/* @@FASTIO-PINS@@ */
ZUFS_PIN_SIZE(zufs_put, 32);
ZUFS_PIN_SIZE(zufs_ioc_get_block, 1488);
ZUFS_PIN_OFF(zufs_ioc_get_block, puts, 80);
ZUFS_PIN_OFF(zufs_ioc_get_block, nr, 336);
ZUFS_PIN_OFF(zufs_ioc_get_block, bns, 464);
ZUFS_PIN_SIZE(zufs_ioc_put_block, 312);
ZUFS_PIN_SIZE(zufs_ioc_fsync, 320);
ZUFS_PIN_SIZE(zufs_ioc_fallocate, 200);
ZUFS_PIN_OFF(zufs_ioc_fallocate, attr, 80);
ZUFS_PIN_SIZE(zufs_ioc_seek, 72);
ZUFS_PIN_OFF(zufs_ioc_seek, pos, 64);
ZUFS_PIN_SIZE(zufs_fiemap_extent, 32);
ZUFS_PIN_SIZE(zufs_ioc_fiemap, 1088);
ZUFS_PIN_OFF(zufs_ioc_fiemap, count, 56);
ZUFS_PIN_SIZE(zufs_ioc_copy, 224);
ZUFS_PIN_OFF(zufs_ioc_copy, done, 96);
ZUFS_PIN_SIZE(zufs_ioc_clone, 232);
ZUFS_PIN_OFF(zufs_ioc_clone, same, 104);
/* @@SPACE-PINS@@ */
ZUFS_PIN_SIZE(zufs_ioc_xattr, 472);
ZUFS_PIN_OFF(zufs_ioc_xattr, name, 80);
ZUFS_PIN_OFF(zufs_ioc_xattr, size, 344);
/* @@XATTR-PINS@@ */

#endif /* _LINUX_ZUS_API_H */
