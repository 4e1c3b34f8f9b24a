/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zuf.h - internal definitions of zuf.ko, the ZUFS kernel module.
 *
 * Layout of the module (one concern per file, as in fs/ext2 and fs/fuse):
 *   module.c     module init/exit
 *   zuf-root.c   the zuf-root control filesystem and its special files
 *   zuf-core.c   transport: per-CPU ZT channels, dispatch, page window
 *   mount.c      transport: the mount thread channel
 *   super.c      VFS glue: file system types registered by the server
 *   inode.c      VFS glue: inodes, attributes, symlinks, eviction
 *   namei.c      VFS glue: directory inode operations
 *   dir.c        VFS glue: readdir
 *   file.c       VFS glue: regular file read/write
 *   ioctl.c      VFS glue: application ioctls (NOOP, ECHO)
 *   xattr.c      VFS glue: extended attributes and POSIX ACLs
 *   fileattr.c   VFS glue: inode flags (FS_IOC_GETFLAGS, FSGETXATTR, ...)
 *   pmem.c       pmem mapped into the server, private mounts, exec buffers
 *   extcache.c   per-inode cache of pmem blocks (ZUFS_CAP_EXTCACHE)
 */
#ifndef __ZUF_H__
#define __ZUF_H__

#ifndef pr_fmt
#define pr_fmt(fmt) "zuf: " fmt
#endif

#include <linux/fs.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/pid.h>
#include <linux/llist.h>
#include <linux/workqueue.h>
#include <linux/pfn_t.h>
#include <linux/xarray.h>

#include "compat.h"
#include "zus_api.h"

/* ~~~~ zuf-root special files ~~~~ */
enum zuf_sf_type {
	ZUF_SF_NONE = 0,	/* opened, no role yet */
	ZUF_SF_SESSION,		/* ZU_IOC_HANDSHAKE: the server session */
	ZUF_SF_ZT,		/* ZU_IOC_INIT_THREAD */
	ZUF_SF_MOUNT,		/* ZU_IOC_MOUNT */
	ZUF_SF_PMEM,		/* ZU_IOC_GRAB_PMEM */
	ZUF_SF_PRIVATE,		/* ZU_IOC_PRIVATE_MOUNT */
	ZUF_SF_EBUFF,		/* ZU_IOC_ALLOC_BUFFER */
};

struct zuf_special_file {
	enum zuf_sf_type type;
	struct file *file;
};

/* ~~~~ one operation in flight from an application to the server ~~~~ */
struct zuf_dispatch_op {
	struct zufs_ioc_hdr *hdr;	/* request; the reply lands here */
	struct page **pages;		/* application pages for the window */
	unsigned int nump;
	bool pages_ro;
	u64 server_gen;			/* the server this op is meant for */
	struct completion done;
};

static inline void zuf_dispatch_init(struct zuf_dispatch_op *zdo,
				     struct zufs_ioc_hdr *hdr,
				     struct page **pages, unsigned int nump)
{
	zdo->hdr = hdr;
	zdo->pages = pages;
	zdo->nump = nump;
	zdo->pages_ro = false;
	zdo->server_gen = 0;
	init_completion(&zdo->done);
}

/* ~~~~ ZT: one server thread bound to one CPU, one channel ~~~~ */
enum zuf_zt_state {
	ZT_DEAD = 0,	/* no server thread */
	ZT_INIT,	/* thread attached, not yet waiting */
	ZT_IDLE,	/* server waits in WAIT_OPT: free for an application */
	ZT_BUSY,	/* an operation is handed over or being served */
};

struct zuf_zt {
	struct zuf_special_file sf;
	spinlock_t lock;
	enum zuf_zt_state state;
	int cpu;
	unsigned int chan;
	struct mm_struct *mm;		/* the server's, not referenced */
	void *cmd;			/* vmalloc_user command buffer */
	u32 cmd_size;
	unsigned long win_uaddr;	/* server address of the window */
	unsigned int mapped;		/* pages mapped in the window now */
	bool op_ready;
	bool brk;
	struct zuf_dispatch_op *zdo;	/* the op being served */
	wait_queue_head_t srv_wq;
};

/* ~~~~ the mount thread channel ~~~~ */
struct zuf_mount_thread {
	struct zuf_special_file sf;
	spinlock_t lock;
	bool has_op;
	bool brk;
	struct zufs_ioc_mount *zim;	/* op handed over, or being served */
	struct completion *done;
	wait_queue_head_t wq;
	struct mutex serialize;		/* one mount op at a time */
};

enum zuf_server_state {
	ZUF_SERVER_NONE = 0,
	ZUF_SERVER_READY,
	ZUF_SERVER_STOPPING,
};

/* ~~~~ the one zuf-root of this module ~~~~ */
struct zuf_root_info {
	struct mutex lock;		/* server attach/detach, fs types */
	enum zuf_server_state state;
	u64 server_gen;			/* bumped at every attach */
	struct pid *server_pid;		/* tgid of the attached server */
	struct zuf_special_file *session;
	u64 agreed_caps;
	u32 server_major, server_minor;

	unsigned int nr_cpus;		/* nr_cpu_ids */
	struct zuf_zt *zts;		/* [nr_cpus][ZUFS_MAX_ZT_CHANNELS] */
	wait_queue_head_t *cpu_wq;	/* [nr_cpus]: waiting for a free ZT */

	struct zuf_mount_thread mt;
	struct list_head fs_types;
};

extern struct zuf_root_info *zuf_root;

/* ~~~~ a file system type registered by the server ~~~~ */
struct zuf_fs_type {
	struct file_system_type vfs_fst;
	struct list_head list;
	char name[ZUFS_MAX_FS_NAME];
	u64 zus_zfi;
	u32 magic;
	u32 version;
	u32 fs_caps;
	u64 server_gen;
	bool registered;
};

static inline struct zuf_fs_type *ZUF_FST(struct file_system_type *fst)
{
	return container_of(fst, struct zuf_fs_type, vfs_fst);
}

/* ~~~~ a mounted superblock ~~~~ */
struct zuf_sb_info {
	struct zuf_fs_type *zft;
	u64 zus_sbi;
	u64 server_gen;
	bool mounted;		/* the server knows this superblock */
	struct zuf_pmem *pmem;	/* device filesystems: the t1 device */
	struct super_block *sb;
	struct llist_head evict_list;	/* EVICT_INODE to send */
	struct work_struct evict_work;
};

static inline struct zuf_sb_info *ZUF_SBI(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* ~~~~ inodes ~~~~ */
struct zuf_inode_info {
	struct inode vfs_inode;
	u64 zus_ii;
	struct timespec64 btime;
	u32 flags;		/* FS_*_FL as the server stores them */
	struct xarray ec;	/* extcache.c: block index -> pmem block */
	u64 ec_gen;		/* under the xa_lock of ec */
	unsigned long state;	/* ZUF_II_* bits */
};

/* mtime/ctime moved in the inode only, not yet sent (zuf_times_dirty) */
#define ZUF_II_TIMES_DIRTY	0

static inline struct zuf_inode_info *ZUF_II(struct inode *inode)
{
	return container_of(inode, struct zuf_inode_info, vfs_inode);
}

/* zuf-root.c */
int zuf_root_register(void);
void zuf_root_unregister(void);
bool zuf_is_server(struct zuf_root_info *zri);
int zuf_root_detach_server(struct zuf_root_info *zri);

/* zuf-core.c */
int zufc_zts_init(struct zuf_root_info *zri);
void zufc_zts_fini(struct zuf_root_info *zri);
int zufc_dispatch(struct zuf_root_info *zri, struct zuf_dispatch_op *zdo);
long zufc_zt_ioctl(struct file *file, unsigned int cmd, void __user *parg);
int zufc_zt_mmap(struct file *file, struct vm_area_struct *vma);
void zufc_zt_release(struct file *file);
void zufc_zt_release_slot(struct zuf_zt *zt);
void zufc_break_all(struct zuf_root_info *zri);
long zufc_numa_map(struct file *file, void __user *parg);
const char *zuf_op_name(u32 op);

/* mount.c */
void zufm_init(struct zuf_root_info *zri);
int zufm_dispatch(struct zuf_root_info *zri, u32 operation,
		  struct zufs_ioc_mount *zim);
long zufm_ioctl(struct file *file, void __user *parg);
void zufm_release(struct file *file);
void zufm_break(struct zuf_root_info *zri);

/* super.c */
int zuf_register_fs(struct zuf_root_info *zri,
		    struct zufs_ioc_register_fs *rfs);
void zuf_unregister_all_fs(struct zuf_root_info *zri);
void zuf_free_dead_fs(struct zuf_root_info *zri);

/* inode.c */
int zuf_inode_cache_init(void);
void zuf_inode_cache_fini(void);
struct inode *zuf_alloc_inode(struct super_block *sb);
void zuf_free_inode(struct inode *inode);
struct inode *zuf_iget_root(struct super_block *sb, u64 zus_ii,
			    const struct zufs_attr *attr);
struct inode *zuf_iget(struct super_block *sb, u64 zus_ii,
		       const struct zufs_attr *a);
int zuf_dispatch_op(struct super_block *sb, struct zufs_ioc_hdr *hdr,
		    u32 op, u32 size, u32 out_start, struct page **pages,
		    unsigned int nump, bool ro);
struct zufs_time zuf_now(struct inode *inode);
int zuf_update_attr(struct inode *inode, const struct zufs_attr *a);
void zuf_get_attr(struct inode *inode, struct zufs_attr *a);
void zuf_times_dirty(struct inode *inode);
int zuf_flush_times(struct inode *inode);
void zuf_set_inode_ops(struct inode *inode, u32 rdev);
int zuf_setattr(zuf_idmap_t *idmap, struct dentry *dentry,
		struct iattr *iattr);
int zuf_getattr(zuf_idmap_t *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags);
void zuf_evict_init(struct zuf_sb_info *sbi, struct super_block *sb);
void zuf_evict_flush(struct zuf_sb_info *sbi);
void zuf_evict_inode(struct inode *inode);

/* namei.c */
extern const struct inode_operations zuf_dir_iops;

/* dir.c */
extern const struct file_operations zuf_dir_fops;

/* file.c */
extern const struct file_operations zuf_file_fops;

/* dataio.c */
bool zuf_fastio(struct inode *inode);
ssize_t zuf_fast_rw(struct kiocb *kiocb, struct iov_iter *iter, bool write);
int zuf_fsync(struct file *file, loff_t start, loff_t end, int datasync);
int zuf_sync_fs(struct super_block *sb, int wait);
int zuf_file_mmap(struct file *file, struct vm_area_struct *vma);
void zuf_dax_truncate(struct inode *inode, loff_t size);
void zuf_dax_kill_mappings(struct super_block *sb);

/* extcache.c */
void zuf_ec_init(struct zuf_inode_info *zii);
bool zuf_ec_enabled(struct inode *inode);
u64 zuf_ec_gen(struct inode *inode);
void zuf_ec_invalidate(struct inode *inode);
void zuf_ec_destroy(struct inode *inode);
void zuf_ec_fill(struct inode *inode, u64 gen, u64 first, const u64 *bns,
		 u32 nr, u32 ret_flags);
bool zuf_ec_lookup(struct inode *inode, u64 first, u32 nr, bool write,
		   u64 *bns);
bool zuf_ec_write_ok(struct inode *inode, loff_t pos, size_t len);

/* space.c */
struct fiemap_extent_info;
long zuf_fallocate(struct file *file, int mode, loff_t offset, loff_t len);
loff_t zuf_llseek(struct file *file, loff_t offset, int whence);
int zuf_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
	       u64 start, u64 len);
ssize_t zuf_copy_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out,
			    size_t len, unsigned int flags);
loff_t zuf_remap_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out,
			    loff_t len, unsigned int remap_flags);

/* pmem.c */
struct zuf_pmem;
struct zuf_pmem *zuf_pmem_register(struct super_block *sb, u32 *id);
void zuf_pmem_unregister(struct zuf_pmem *pm);
u64 zuf_pmem_size(struct zuf_pmem *pm);
int zuf_pmem_kaddr(struct zuf_pmem *pm, u64 off, void **kaddr, pfn_t *pfn);
long zuf_pmem_kaddr_range(struct zuf_pmem *pm, u64 off, long nr, void **kaddr,
			  pfn_t *pfn);
bool zuf_pmem_fastio(struct zuf_pmem *pm);
void zuf_pmem_no_fastio(struct zuf_pmem *pm);
void zuf_pmem_puts_take(struct zuf_pmem *pm, struct zufs_put *puts, u32 *n);
bool zuf_pmem_puts_add(struct zuf_pmem *pm, const struct zufs_put *p);
long zuf_pmem_grab(struct file *file, void __user *parg);
long zuf_pmem_private_mount(struct file *file, void __user *parg);
void zuf_pmem_release(struct file *file);
int zuf_pmem_mmap(struct file *file, struct vm_area_struct *vma);
long zuf_ebuff_alloc(struct file *file, void __user *parg);
int zuf_ebuff_mmap(struct file *file, struct vm_area_struct *vma);
void zuf_ebuff_release(struct file *file);

/* ioctl.c */
long zuf_app_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* xattr.c */
struct posix_acl;
extern const struct xattr_handler *zuf_xattr_handlers[];
int zuf_setattr_fields(struct inode *inode, const struct zufs_attr *attr,
		       u32 mask);
ssize_t zuf_listxattr(struct dentry *dentry, char *buffer, size_t size);
#ifdef HAVE_GET_INODE_ACL
struct posix_acl *zuf_get_inode_acl(struct inode *inode, int type, bool rcu);
int zuf_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		struct posix_acl *acl, int type);
#else
struct posix_acl *zuf_get_acl(struct inode *inode, int type, bool rcu);
int zuf_set_acl(struct user_namespace *idmap, struct inode *inode,
		struct posix_acl *acl, int type);
#endif
int zuf_acl_chmod(zuf_idmap_t *idmap, struct dentry *dentry);
/* the first xattrs of a new inode: inherited ACLs, LSM labels */
struct zuf_init_xattrs {
	struct posix_acl *default_acl, *acl;
	unsigned int nr;
	struct {
		char *name;	/* whole: "security.selinux" */
		void *value;
		u32 len;
	} x[ZUFS_NI_XATTRS_MAX];
};
int zuf_ix_prepare(struct inode *dir, struct inode *inode,
		   const struct qstr *qstr, struct zuf_init_xattrs *zix);
int zuf_ix_window(const struct zuf_init_xattrs *zix, const char *head,
		  size_t head_len, u32 off, struct page ***pages,
		  unsigned int *nump, u32 *len);
void zuf_ix_pages_free(struct page **pages, unsigned int nump);
int zuf_ix_store(struct inode *inode, const struct zuf_init_xattrs *zix,
		 bool stored);
void zuf_ix_release(struct zuf_init_xattrs *zix);

/* fileattr.c */
struct fileattr;
void zuf_set_inode_flags(struct inode *inode, u32 flags);
int zuf_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int zuf_fileattr_set(zuf_idmap_t *idmap, struct dentry *dentry,
		     struct fileattr *fa);

/* The one check of every errno a server hands back. */
static inline int zuf_server_err(s32 err)
{
	if (err > 0 || err < -MAX_ERRNO)
		return -EIO;
	return err;
}

#endif /* __ZUF_H__ */
