// SPDX-License-Identifier: GPL-2.0
/*
 * pmem.c - persistent memory mapped straight into user space.
 *
 * A mount of a device filesystem registers its DAX device under a small
 * id that the server uses with ZU_IOC_GRAB_PMEM; tools such as mkfs get a
 * device exclusively, without a VFS superblock, with ZU_IOC_PRIVATE_MOUNT.
 * Either way the special file then maps the device with mmap: page faults
 * insert the device's pfns, no page cache is involved. When the mount or
 * the private mount ends, every such mapping is zapped and later accesses
 * get SIGBUS, so a server can never touch a device it no longer owns.
 */
#include "zuf.h"

#include <linux/dax.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

struct zuf_pmem {
	struct kref kref;
	struct rw_semaphore sem;	/* faults vs. kill */
	u32 id;
	bool dead;
	bool rdonly;
	struct dax_device *dax;
	void *holder;
	u64 start_off;			/* bytes into the DAX device */
	u64 size;
	struct zuf_bdev zb;		/* private mounts own the bdev */
	bool owns_bdev;
	struct list_head files;		/* zuf_pmem_file mapping it */
	spinlock_t files_lock;
	struct super_block *sb;		/* mounts: until unregistered */
	bool no_fastio;			/* the plugin answers READ/WRITE */
	spinlock_t puts_lock;		/* queued puts (dataio.c) */
	u32 nputs;
	struct zufs_put puts[ZUFS_PUTS_MAX];
};

struct zuf_pmem_file {
	struct zuf_special_file sf;
	struct zuf_pmem *pmem;
	struct list_head link;
};

static DEFINE_IDR(zuf_pmem_idr);
static DEFINE_MUTEX(zuf_pmem_mutex);

static void zuf_pmem_free(struct kref *kref)
{
	struct zuf_pmem *pm = container_of(kref, struct zuf_pmem, kref);

	if (pm->dax)
		fs_put_dax(pm->dax, pm->holder);
	if (pm->owns_bdev)
		zuf_bdev_close(&pm->zb, pm->rdonly);
	kfree(pm);
}

static struct zuf_pmem *zuf_pmem_alloc(struct block_device *bdev,
				       void *holder, bool rdonly)
{
	struct zuf_pmem *pm = kzalloc(sizeof(*pm), GFP_KERNEL);

	if (!pm)
		return ERR_PTR(-ENOMEM);
	kref_init(&pm->kref);
	init_rwsem(&pm->sem);
	INIT_LIST_HEAD(&pm->files);
	spin_lock_init(&pm->files_lock);
	spin_lock_init(&pm->puts_lock);
	pm->holder = holder;
	pm->rdonly = rdonly;
	pm->dax = fs_dax_get_by_bdev(bdev, &pm->start_off, holder, NULL);
	if (IS_ERR_OR_NULL(pm->dax)) {
		pm->dax = NULL;
		kfree(pm);
		return ERR_PTR(-EOPNOTSUPP);
	}
	pm->size = bdev_nr_bytes(bdev) & PAGE_MASK;
	return pm;
}

/* Stop every mapping of @pm; later faults get SIGBUS. */
static void zuf_pmem_kill(struct zuf_pmem *pm)
{
	struct zuf_pmem_file *pf;

	down_write(&pm->sem);
	pm->dead = true;
	up_write(&pm->sem);

	spin_lock(&pm->files_lock);
	list_for_each_entry(pf, &pm->files, link)
		unmap_mapping_range(file_inode(pf->sf.file)->i_mapping,
				    0, 0, 1);
	spin_unlock(&pm->files_lock);
}

/* ~~~~ mounts: register the device for the server ~~~~ */

struct zuf_pmem *zuf_pmem_register(struct super_block *sb, u32 *id)
{
	/* A read-only mount may become read-write (remount): only a device
	 * that is itself read-only gets a read-only mapping.
	 */
	struct zuf_pmem *pm = zuf_pmem_alloc(sb->s_bdev, sb,
					     bdev_read_only(sb->s_bdev));
	int ret;

	if (IS_ERR(pm))
		return pm;
	mutex_lock(&zuf_pmem_mutex);
	ret = idr_alloc(&zuf_pmem_idr, pm, 1, INT_MAX, GFP_KERNEL);
	mutex_unlock(&zuf_pmem_mutex);
	if (ret < 0) {
		kref_put(&pm->kref, zuf_pmem_free);
		return ERR_PTR(ret);
	}
	pm->id = ret;
	pm->sb = sb;
	*id = ret;
	return pm;
}

void zuf_pmem_unregister(struct zuf_pmem *pm)
{
	mutex_lock(&zuf_pmem_mutex);
	idr_remove(&zuf_pmem_idr, pm->id);
	pm->sb = NULL;
	mutex_unlock(&zuf_pmem_mutex);
	zuf_pmem_kill(pm);
	kref_put(&pm->kref, zuf_pmem_free);
}

u64 zuf_pmem_size(struct zuf_pmem *pm)
{
	return pm->size;
}

/*
 * The kernel address (and optionally the pfn) of @nr blocks from byte @off
 * of the device on; returns how many of them (1..nr) are contiguous there,
 * or -EIO. The caller holds dax_read_lock() while it uses them.
 */
long zuf_pmem_kaddr_range(struct zuf_pmem *pm, u64 off, long nr, void **kaddr,
			  pfn_t *pfn)
{
	long got;

	if (off >= pm->size || !PAGE_ALIGNED(off) || nr < 1)
		return -EIO;
	nr = min_t(u64, nr, (pm->size - off) >> PAGE_SHIFT);
	got = dax_direct_access(pm->dax, (pm->start_off + off) >> PAGE_SHIFT,
				nr, DAX_ACCESS, kaddr, pfn);
	return got < 1 ? -EIO : min(got, nr);
}

/* The same for the one block at byte @off: 0 or -EIO. */
int zuf_pmem_kaddr(struct zuf_pmem *pm, u64 off, void **kaddr, pfn_t *pfn)
{
	return zuf_pmem_kaddr_range(pm, off, 1, kaddr, pfn) < 0 ? -EIO : 0;
}

bool zuf_pmem_fastio(struct zuf_pmem *pm)
{
	return !READ_ONCE(pm->no_fastio);
}

void zuf_pmem_no_fastio(struct zuf_pmem *pm)
{
	WRITE_ONCE(pm->no_fastio, true);
}

/* The queued puts, emptied into @puts (ZUFS_PUTS_MAX entries). */
void zuf_pmem_puts_take(struct zuf_pmem *pm, struct zufs_put *puts, u32 *n)
{
	spin_lock(&pm->puts_lock);
	*n = pm->nputs;
	memcpy(puts, pm->puts, pm->nputs * sizeof(*puts));
	pm->nputs = 0;
	spin_unlock(&pm->puts_lock);
}

/* Queue a put; false when the queue is full (send it now). */
bool zuf_pmem_puts_add(struct zuf_pmem *pm, const struct zufs_put *p)
{
	bool ok = false;

	spin_lock(&pm->puts_lock);
	if (pm->nputs < ZUFS_PUTS_MAX) {
		pm->puts[pm->nputs++] = *p;
		ok = true;
	}
	spin_unlock(&pm->puts_lock);
	return ok;
}

/* ~~~~ the special files ~~~~ */

static void zuf_pmem_attach(struct file *file, struct zuf_pmem_file *pf,
			    struct zuf_pmem *pm, enum zuf_sf_type type)
{
	pf->sf.type = type;
	pf->sf.file = file;
	pf->pmem = pm;
	spin_lock(&pm->files_lock);
	list_add(&pf->link, &pm->files);
	spin_unlock(&pm->files_lock);
	file->private_data = &pf->sf;
}

long zuf_pmem_grab(struct file *file, void __user *parg)
{
	struct zufs_ioc_pmem zp;
	struct zuf_pmem_file *pf;
	struct zuf_pmem *pm;

	if (file->private_data)
		return -EINVAL;
	if (copy_from_user(&zp, parg, sizeof(zp)))
		return -EFAULT;
	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;

	mutex_lock(&zuf_pmem_mutex);
	pm = idr_find(&zuf_pmem_idr, zp.pmem_id);
	if (pm)
		kref_get(&pm->kref);
	mutex_unlock(&zuf_pmem_mutex);
	if (!pm) {
		kfree(pf);
		return -ENODEV;
	}
	zuf_pmem_attach(file, pf, pm, ZUF_SF_PMEM);

	zp.hdr.err = 0;
	zp.size = pm->size;
	zp.block_size = PAGE_SIZE;
	return copy_to_user(parg, &zp, sizeof(zp)) ? -EFAULT : 0;
}

long zuf_pmem_private_mount(struct file *file, void __user *parg)
{
	struct zufs_ioc_private_mount *zpm;
	struct zuf_pmem_file *pf = NULL;
	struct zuf_pmem *pm;
	struct zuf_bdev zb;
	bool rdonly;
	long err;

	if (file->private_data)
		return -EINVAL;
	zpm = kzalloc(sizeof(*zpm), GFP_KERNEL);
	if (!zpm)
		return -ENOMEM;
	if (copy_from_user(zpm, parg, sizeof(*zpm))) {
		err = -EFAULT;
		goto out;
	}
	zpm->dev_path[sizeof(zpm->dev_path) - 1] = 0;
	rdonly = zpm->flags & ZUFS_PRIV_RDONLY;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf) {
		err = -ENOMEM;
		goto out;
	}
	err = zuf_bdev_open(&zb, zpm->dev_path, rdonly, pf);
	if (err) {
		if (err == -EBUSY)
			pr_err("private mount of %s: device is busy (mounted?)\n",
			       zpm->dev_path);
		goto out;
	}
	pm = zuf_pmem_alloc(zb.bdev, pf, rdonly);
	if (IS_ERR(pm)) {
		err = PTR_ERR(pm);
		pr_err("private mount of %s: device has no DAX support\n",
		       zpm->dev_path);
		zuf_bdev_close(&zb, rdonly);
		goto out;
	}
	pm->zb = zb;
	pm->owns_bdev = true;
	zuf_pmem_attach(file, pf, pm, ZUF_SF_PRIVATE);
	pf = NULL;

	zpm->hdr.err = 0;
	zpm->size = pm->size;
	zpm->block_size = PAGE_SIZE;
	zpm->dax = 1;
	err = copy_to_user(parg, zpm, sizeof(*zpm)) ? -EFAULT : 0;
out:
	kfree(pf);
	kfree(zpm);
	return err;
}

void zuf_pmem_release(struct file *file)
{
	struct zuf_pmem_file *pf = container_of(file->private_data,
						struct zuf_pmem_file, sf);
	struct zuf_pmem *pm = pf->pmem;

	spin_lock(&pm->files_lock);
	list_del(&pf->link);
	spin_unlock(&pm->files_lock);
	if (pf->sf.type == ZUF_SF_PRIVATE)
		zuf_pmem_kill(pm);
	/* The server let go of a mounted device: it unmounts or it died.
	 * Either way applications must not keep its pmem mapped.
	 */
	mutex_lock(&zuf_pmem_mutex);
	if (pf->sf.type == ZUF_SF_PMEM && pm->sb)
		zuf_dax_kill_mappings(pm->sb);
	mutex_unlock(&zuf_pmem_mutex);
	kref_put(&pm->kref, zuf_pmem_free);
	kfree(pf);
}

static vm_fault_t zuf_pmem_fault(struct vm_fault *vmf)
{
	struct zuf_pmem_file *pf = vmf->vma->vm_private_data;
	struct zuf_pmem *pm = pf->pmem;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	void *kaddr;
	pfn_t pfn;
	int id;

	down_read(&pm->sem);
	if (pm->dead || vmf->pgoff >= (pm->size >> PAGE_SHIFT))
		goto out;
	id = dax_read_lock();
	if (dax_direct_access(pm->dax, (pm->start_off >> PAGE_SHIFT) + vmf->pgoff,
			      1, DAX_ACCESS, &kaddr, &pfn) == 1)
		ret = vmf_insert_mixed(vmf->vma, vmf->address, pfn);
	dax_read_unlock(id);
out:
	up_read(&pm->sem);
	return ret;
}

static const struct vm_operations_struct zuf_pmem_vm_ops = {
	.fault	= zuf_pmem_fault,
};

int zuf_pmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_pmem_file *pf = container_of(file->private_data,
						struct zuf_pmem_file, sf);

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (pf->pmem->rdonly) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		zuf_vm_flags_clear(vma, VM_MAYWRITE);
	}
	zuf_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_DONTDUMP);
	zuf_vm_flags_clear(vma, VM_MAYEXEC | VM_EXEC);
	vma->vm_private_data = pf;
	vma->vm_ops = &zuf_pmem_vm_ops;
	return 0;
}

/* ~~~~ exec buffers: kernel memory the server maps ~~~~ */

struct zuf_ebuff {
	struct zuf_special_file sf;
	void *buf;
	u32 size;
};

long zuf_ebuff_alloc(struct file *file, void __user *parg)
{
	struct zufs_ioc_alloc_buffer ab;
	struct zuf_ebuff *eb;

	if (file->private_data)
		return -EINVAL;
	if (copy_from_user(&ab, parg, sizeof(ab)))
		return -EFAULT;
	if (!ab.size || ab.size > ZUFS_CMD_MAX || !PAGE_ALIGNED(ab.size))
		return -EINVAL;
	eb = kzalloc(sizeof(*eb), GFP_KERNEL);
	if (!eb)
		return -ENOMEM;
	eb->buf = vmalloc_user(ab.size);
	if (!eb->buf) {
		kfree(eb);
		return -ENOMEM;
	}
	eb->size = ab.size;
	eb->sf.type = ZUF_SF_EBUFF;
	eb->sf.file = file;
	file->private_data = &eb->sf;
	return 0;
}

int zuf_ebuff_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_ebuff *eb = container_of(file->private_data,
					    struct zuf_ebuff, sf);

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != eb->size ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	zuf_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	return remap_vmalloc_range(vma, eb->buf, 0);
}

void zuf_ebuff_release(struct file *file)
{
	struct zuf_ebuff *eb = container_of(file->private_data,
					    struct zuf_ebuff, sf);

	vfree(eb->buf);
	kfree(eb);
}
