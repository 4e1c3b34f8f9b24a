// SPDX-License-Identifier: GPL-2.0
/*
 * zuf-core.c - the ZT channels: how an application's call reaches a server
 * thread on the same CPU and comes back.
 *
 * Each (CPU, channel) slot holds at most one server thread ("ZT"), bound to
 * that CPU, sleeping in ZU_IOC_WAIT_OPT. An application thread grabs an idle
 * ZT of its own CPU, hands it the operation and sleeps on a completion; the
 * server thread wakes, the kernel copies the request into the ZT's command
 * buffer and maps the application's pages into the ZT's window, the server
 * answers by calling WAIT_OPT again, which validates and copies the reply,
 * unmaps the pages and completes the application. One wake-up each way, no
 * queue. All command-buffer and window accesses happen in the server
 * thread's own context, so no lock is held across them.
 */
#include "zuf.h"

#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

const char *zuf_op_name(u32 op)
{
	switch (op) {
	case ZUFS_OP_NULL:		return "NULL";
	case ZUFS_OP_BREAK:		return "BREAK";
	case ZUFS_OP_NOOP:		return "NOOP";
	case ZUFS_OP_ECHO:		return "ECHO";
	case ZUFS_M_MOUNT:		return "MOUNT";
	case ZUFS_M_UMOUNT:		return "UMOUNT";
	case ZUFS_M_REMOUNT:		return "REMOUNT";
	case ZUFS_M_STATFS:		return "STATFS";
	case ZUFS_M_SHOW_OPTIONS:	return "SHOW_OPTIONS";
	default:			return "UNKNOWN";
	}
}

static struct zuf_zt *zt_slot(struct zuf_root_info *zri, int cpu,
			      unsigned int chan)
{
	return &zri->zts[cpu * ZUFS_MAX_ZT_CHANNELS + chan];
}

/* ~~~~ init / fini ~~~~ */

int zufc_zts_init(struct zuf_root_info *zri)
{
	unsigned int i, n;

	zri->nr_cpus = nr_cpu_ids;
	n = zri->nr_cpus * ZUFS_MAX_ZT_CHANNELS;
	zri->zts = kvcalloc(n, sizeof(*zri->zts), GFP_KERNEL);
	zri->cpu_wq = kvcalloc(zri->nr_cpus, sizeof(*zri->cpu_wq), GFP_KERNEL);
	if (!zri->zts || !zri->cpu_wq) {
		zufc_zts_fini(zri);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		spin_lock_init(&zri->zts[i].lock);
		init_waitqueue_head(&zri->zts[i].srv_wq);
	}
	for (i = 0; i < zri->nr_cpus; i++)
		init_waitqueue_head(&zri->cpu_wq[i]);
	return 0;
}

void zufc_zts_fini(struct zuf_root_info *zri)
{
	kvfree(zri->zts);
	kvfree(zri->cpu_wq);
	zri->zts = NULL;
	zri->cpu_wq = NULL;
}

/* ~~~~ the application window ~~~~ */

static vm_fault_t zt_win_fault(struct vm_fault *vmf)
{
	/* Only pages of an operation in service are ever present. */
	return VM_FAULT_SIGBUS;
}

static int zt_no_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static void zt_win_close(struct vm_area_struct *vma)
{
	struct zuf_zt *zt = vma->vm_private_data;

	spin_lock(&zt->lock);
	if (zt->win_uaddr == vma->vm_start)
		zt->win_uaddr = 0;
	spin_unlock(&zt->lock);
}

static const struct vm_operations_struct zt_win_vm_ops = {
	.fault		= zt_win_fault,
	.close		= zt_win_close,
	.may_split	= zt_no_split,
};

static const struct vm_operations_struct zt_cmd_vm_ops = {
	.may_split	= zt_no_split,
};

/* Caller holds mmap_read_lock(mm). */
static struct vm_area_struct *zt_window(struct zuf_zt *zt)
{
	struct vm_area_struct *vma;

	if (!zt->win_uaddr)
		return NULL;
	vma = vma_lookup(zt->mm, zt->win_uaddr);
	if (!vma || vma->vm_ops != &zt_win_vm_ops ||
	    vma->vm_private_data != zt || vma->vm_start != zt->win_uaddr)
		return NULL;
	return vma;
}

static void zt_unmap_pages(struct zuf_zt *zt)
{
	struct vm_area_struct *vma;

	if (!zt->mapped)
		return;
	mmap_read_lock(zt->mm);
	vma = zt_window(zt);
	if (vma)
		zap_vma_ptes(vma, vma->vm_start,
			     (unsigned long)zt->mapped << PAGE_SHIFT);
	mmap_read_unlock(zt->mm);
	zt->mapped = 0;
}

static int zt_map_pages(struct zuf_zt *zt, struct zuf_dispatch_op *zdo)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	pgprot_t prot;
	unsigned int i;
	int err = 0;

	if (zdo->nump > ZUFS_APP_WINDOW_PAGES)
		return -E2BIG;

	mmap_read_lock(zt->mm);
	vma = zt_window(zt);
	if (!vma || vma_pages(vma) < zdo->nump) {
		mmap_read_unlock(zt->mm);
		pr_err_ratelimited("ZT cpu %d chan %u has no application window mapped\n",
				   zt->cpu, zt->chan);
		return -EFAULT;
	}
	prot = zdo->pages_ro ? vm_get_page_prot(VM_READ | VM_SHARED) :
			       vma->vm_page_prot;
	addr = vma->vm_start;
	for (i = 0; i < zdo->nump; i++, addr += PAGE_SIZE) {
		vm_fault_t ret = vmf_insert_pfn_prot(vma, addr,
					page_to_pfn(zdo->pages[i]), prot);

		if (ret != VM_FAULT_NOPAGE) {
			err = -ENOMEM;
			break;
		}
	}
	zt->mapped = i;
	mmap_read_unlock(zt->mm);
	if (err)
		zt_unmap_pages(zt);
	return err;
}

/* ~~~~ mmap of a ZT file: the command buffer and the window ~~~~ */

int zufc_zt_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_special_file *sf = file->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	struct zuf_zt *zt;
	int err;

	if (!sf || sf->type != ZUF_SF_ZT)
		return -EINVAL;
	zt = container_of(sf, struct zuf_zt, sf);
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	if (off == ZUFS_ZT_CMD_OFFSET) {
		if (size != zt->cmd_size)
			return -EINVAL;
		err = remap_vmalloc_range(vma, zt->cmd, 0);
		if (err)
			return err;
		zuf_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &zt_cmd_vm_ops;
		return 0;
	}
	if (off != ZUFS_ZT_APP_OFFSET || size != ZUFS_APP_WINDOW_SIZE)
		return -EINVAL;

	spin_lock(&zt->lock);
	if (zt->win_uaddr) {
		spin_unlock(&zt->lock);
		return -EBUSY;
	}
	zt->win_uaddr = vma->vm_start;
	spin_unlock(&zt->lock);

	zuf_vm_flags_set(vma, VM_PFNMAP | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_DONTDUMP | VM_IO);
	zuf_vm_flags_clear(vma, VM_MAYEXEC | VM_EXEC);
	vma->vm_private_data = zt;
	vma->vm_ops = &zt_win_vm_ops;
	return 0;
}

/* ~~~~ ZU_IOC_INIT_THREAD ~~~~ */

static long zt_init(struct file *file, void __user *parg)
{
	struct zuf_root_info *zri = zuf_root;
	struct zufs_ioc_init_thread zi;
	struct zuf_zt *zt;
	void *cmd;
	u32 size;
	int cpu;

	if (copy_from_user(&zi, parg, sizeof(zi)))
		return -EFAULT;
	if (current->nr_cpus_allowed != 1) {
		pr_err("ZT thread %d must be bound to exactly one CPU\n",
		       task_pid_nr(current));
		return -EINVAL;
	}
	if (zi.channel_no >= ZUFS_MAX_ZT_CHANNELS)
		return -EINVAL;
	cpu = cpumask_first(current->cpus_ptr);
	if (cpu >= zri->nr_cpus)
		return -EINVAL;

	size = clamp_t(u32, zi.max_command ?: ZUFS_CMD_DEFAULT,
		       ZUFS_CMD_MIN, ZUFS_CMD_MAX);
	size = PAGE_ALIGN(size);
	cmd = vmalloc_user(size);
	if (!cmd)
		return -ENOMEM;

	zt = zt_slot(zri, cpu, zi.channel_no);
	spin_lock(&zt->lock);
	if (zt->state != ZT_DEAD) {
		spin_unlock(&zt->lock);
		vfree(cmd);
		pr_err("ZT cpu %d channel %u is already served\n", cpu,
		       zi.channel_no);
		return -EBUSY;
	}
	zt->state = ZT_INIT;
	zt->cpu = cpu;
	zt->chan = zi.channel_no;
	zt->mm = current->mm;
	zt->cmd = cmd;
	zt->cmd_size = size;
	zt->win_uaddr = 0;
	zt->mapped = 0;
	zt->op_ready = false;
	zt->brk = false;
	zt->zdo = NULL;
	zt->sf.type = ZUF_SF_ZT;
	zt->sf.file = file;
	spin_unlock(&zt->lock);

	if (cmpxchg(&file->private_data, NULL, &zt->sf)) {
		zufc_zt_release_slot(zt);
		return -EINVAL;
	}

	zi.cpu = cpu;
	zi.max_command = size;
	zi.hdr.err = 0;
	if (copy_to_user(parg, &zi, sizeof(zi)))
		return -EFAULT;
	return 0;
}

/* ~~~~ the server side of an operation ~~~~ */

/* Copy the request in: runs in the server thread. */
static void zt_deliver(struct zuf_zt *zt, struct zuf_dispatch_op *zdo)
{
	struct zufs_ioc_hdr *shdr = zt->cmd;

	memcpy(zt->cmd, zdo->hdr, zdo->hdr->in_len);
	shdr->err = 0;
	shdr->out_len = 0;
	shdr->flags = zdo->hdr->flags & ZUFS_H_INTR;
	if (zdo->nump)
		shdr->flags |= ZUFS_H_HAS_PAGES |
			       (zdo->pages_ro ? ZUFS_H_PAGES_RO : 0);
}

/* Validate and copy the reply out, then complete the application. */
static void zt_finish(struct zuf_zt *zt)
{
	struct zuf_dispatch_op *zdo = zt->zdo;
	struct zufs_ioc_hdr *shdr = zt->cmd;
	struct zufs_ioc_hdr *hdr = zdo->hdr;
	s32 err = READ_ONCE(shdr->err);
	u32 out_len = READ_ONCE(shdr->out_len);

	if (zuf_server_err(err) != err) {
		pr_err_ratelimited("server answered %s with invalid error %d\n",
				   zuf_op_name(hdr->operation), err);
		err = -EIO;
	}
	if (out_len > hdr->out_max - hdr->out_start) {
		pr_err_ratelimited("server reply to %s too long: %u > %u\n",
				   zuf_op_name(hdr->operation), out_len,
				   hdr->out_max - hdr->out_start);
		err = -EIO;
		out_len = 0;
	}
	if (out_len)
		memcpy((u8 *)hdr + hdr->out_start,
		       (u8 *)zt->cmd + hdr->out_start, out_len);
	hdr->err = err;
	hdr->out_len = out_len;

	zt_unmap_pages(zt);

	spin_lock(&zt->lock);
	zt->zdo = NULL;
	spin_unlock(&zt->lock);
	complete(&zdo->done);
}

static void zt_fail(struct zuf_zt *zt, struct zuf_dispatch_op *zdo, int err)
{
	zdo->hdr->err = err;
	zdo->hdr->out_len = 0;
	spin_lock(&zt->lock);
	zt->zdo = NULL;
	spin_unlock(&zt->lock);
	complete(&zdo->done);
}

static void zt_put_break(struct zuf_zt *zt)
{
	struct zufs_ioc_hdr *shdr = zt->cmd;

	memset(shdr, 0, sizeof(*shdr));
	shdr->operation = ZUFS_OP_BREAK;
	shdr->in_len = sizeof(*shdr);
}

static long zt_wait_opt(struct zuf_zt *zt)
{
	struct zuf_root_info *zri = zuf_root;
	struct zuf_dispatch_op *zdo;
	int err;

	if (current->mm != zt->mm)
		return -EINVAL;

	/* The server answers the operation it was serving, if any. */
	if (zt->zdo && !zt->op_ready)
		zt_finish(zt);

again:
	spin_lock(&zt->lock);
	if (zt->state != ZT_BUSY || !zt->zdo)
		zt->state = ZT_IDLE;
	spin_unlock(&zt->lock);
	if (wq_has_sleeper(&zri->cpu_wq[zt->cpu]))
		wake_up(&zri->cpu_wq[zt->cpu]);

	err = wait_event_interruptible(zt->srv_wq,
				       READ_ONCE(zt->op_ready) ||
				       READ_ONCE(zt->brk));
	if (err)
		return -EINTR;

	spin_lock(&zt->lock);
	if (zt->op_ready) {
		zt->op_ready = false;
		zdo = zt->zdo;
		spin_unlock(&zt->lock);

		zt_deliver(zt, zdo);
		if (zdo->nump) {
			err = zt_map_pages(zt, zdo);
			if (err) {
				zt_fail(zt, zdo, err);
				goto again;
			}
		}
		return 0;
	}
	/* A break: stop being grabbable, tell the server to stop. */
	zt->brk = false;
	zt->state = ZT_INIT;
	spin_unlock(&zt->lock);
	zt_put_break(zt);
	return 0;
}

/* Detach a slot from its (dying) server thread; fail what it served. */
void zufc_zt_release_slot(struct zuf_zt *zt)
{
	struct zuf_root_info *zri = zuf_root;
	struct zuf_dispatch_op *zdo;
	void *cmd;

	spin_lock(&zt->lock);
	zdo = zt->zdo;
	cmd = zt->cmd;
	zt->zdo = NULL;
	zt->cmd = NULL;
	zt->state = ZT_DEAD;
	zt->op_ready = false;
	zt->brk = false;
	zt->win_uaddr = 0;
	zt->mapped = 0;
	zt->sf.file = NULL;
	spin_unlock(&zt->lock);

	if (zdo) {
		pr_err_ratelimited("server thread of cpu %d exited during %s: EIO to the application\n",
				   zt->cpu, zuf_op_name(zdo->hdr->operation));
		zdo->hdr->err = -EIO;
		zdo->hdr->out_len = 0;
		complete(&zdo->done);
	}
	vfree(cmd);
	wake_up_all(&zri->cpu_wq[zt->cpu]);
}

void zufc_zt_release(struct file *file)
{
	struct zuf_special_file *sf = file->private_data;

	zufc_zt_release_slot(container_of(sf, struct zuf_zt, sf));
}

long zufc_zt_ioctl(struct file *file, unsigned int cmd, void __user *parg)
{
	struct zuf_special_file *sf = file->private_data;

	switch (cmd) {
	case ZU_IOC_INIT_THREAD:
		if (sf)
			return -EINVAL;
		return zt_init(file, parg);
	case ZU_IOC_WAIT_OPT:
		if (!sf || sf->type != ZUF_SF_ZT)
			return -EINVAL;
		return zt_wait_opt(container_of(sf, struct zuf_zt, sf));
	default:
		return -ENOTTY;
	}
}

/* ~~~~ BREAK_ALL: wake every ZT of the server with ZUFS_OP_BREAK ~~~~ */

void zufc_break_all(struct zuf_root_info *zri)
{
	unsigned int i, n = zri->nr_cpus * ZUFS_MAX_ZT_CHANNELS;

	for (i = 0; i < n; i++) {
		struct zuf_zt *zt = &zri->zts[i];

		spin_lock(&zt->lock);
		if (zt->state == ZT_DEAD) {
			spin_unlock(&zt->lock);
			continue;
		}
		zt->brk = true;
		spin_unlock(&zt->lock);
		wake_up(&zt->srv_wq);
	}
	for (i = 0; i < zri->nr_cpus; i++)
		wake_up_all(&zri->cpu_wq[i]);
}

/* ~~~~ the application side ~~~~ */

static struct zuf_zt *zt_try_grab(struct zuf_root_info *zri, int cpu,
				  struct zuf_dispatch_op *zdo)
{
	unsigned int c;

	for (c = 0; c < ZUFS_MAX_ZT_CHANNELS; c++) {
		struct zuf_zt *zt = zt_slot(zri, cpu, c);

		if (READ_ONCE(zt->state) != ZT_IDLE)
			continue;
		spin_lock(&zt->lock);
		if (zt->state == ZT_IDLE) {
			zt->state = ZT_BUSY;
			zt->zdo = zdo;
			zt->op_ready = true;
			spin_unlock(&zt->lock);
			return zt;
		}
		spin_unlock(&zt->lock);
	}
	return NULL;
}

static bool zt_cpu_served(struct zuf_root_info *zri, int cpu)
{
	unsigned int c;

	for (c = 0; c < ZUFS_MAX_ZT_CHANNELS; c++) {
		enum zuf_zt_state s = READ_ONCE(zt_slot(zri, cpu, c)->state);

		if (s == ZT_IDLE || s == ZT_BUSY)
			return true;
	}
	return false;
}

static bool zt_cpu_has_idle(struct zuf_root_info *zri, int cpu)
{
	unsigned int c;

	for (c = 0; c < ZUFS_MAX_ZT_CHANNELS; c++)
		if (READ_ONCE(zt_slot(zri, cpu, c)->state) == ZT_IDLE)
			return true;
	return false;
}

/* The CPU whose channels this caller uses: its own, if served. */
static int zt_target_cpu(struct zuf_root_info *zri)
{
	int cpu = raw_smp_processor_id();
	int c;

	if (zt_cpu_served(zri, cpu))
		return cpu;
	for_each_online_cpu(c)
		if (c < zri->nr_cpus && zt_cpu_served(zri, c))
			return c;
	return -1;
}

static bool zri_serving(struct zuf_root_info *zri, u64 gen)
{
	return READ_ONCE(zri->state) == ZUF_SERVER_READY &&
	       (!gen || READ_ONCE(zri->server_gen) == gen);
}

static struct zuf_zt *zt_grab(struct zuf_root_info *zri,
			      struct zuf_dispatch_op *zdo)
{
	int cpu = -1;

	for (;;) {
		struct zuf_zt *zt;
		int err;

		if (!zri_serving(zri, zdo->server_gen))
			return ERR_PTR(-EIO);
		/* Once woken from a CPU's queue, stay with that CPU even if we
		 * now run elsewhere: the wake-up was for one of its channels,
		 * and taking it elsewhere would leave its other waiters asleep
		 * beside an idle channel.
		 */
		if (cpu < 0 || !zt_cpu_served(zri, cpu))
			cpu = zt_target_cpu(zri);
		if (cpu < 0)
			return ERR_PTR(-EIO);
		zt = zt_try_grab(zri, cpu, zdo);
		if (zt)
			return zt;

		/* Every channel of this CPU is busy: sleep until one frees.
		 * Exclusive: a freed channel wakes one waiter, not all.
		 */
		err = wait_event_killable_exclusive(zri->cpu_wq[cpu],
				zt_cpu_has_idle(zri, cpu) ||
				!zt_cpu_served(zri, cpu) ||
				!zri_serving(zri, zdo->server_gen));
		if (err) {
			wake_up(&zri->cpu_wq[cpu]);	/* pass the wake-up on */
			return ERR_PTR(-EINTR);
		}
	}
}

int zufc_dispatch(struct zuf_root_info *zri, struct zuf_dispatch_op *zdo)
{
	struct zufs_ioc_hdr *hdr = zdo->hdr;
	struct zuf_zt *zt;

	if (hdr->in_len < sizeof(*hdr) || hdr->in_len > ZUFS_CMD_MIN ||
	    hdr->out_start > hdr->out_max || hdr->out_max > ZUFS_CMD_MIN)
		return -EINVAL;

	zt = zt_grab(zri, zdo);
	if (IS_ERR(zt))
		return PTR_ERR(zt);
	wake_up(&zt->srv_wq);

	if (wait_for_completion_killable(&zdo->done)) {
		/* The server uses our pages: wait it out, tell it we left. */
		spin_lock(&zt->lock);
		if (zt->zdo == zdo)
			hdr->flags |= ZUFS_H_INTR;
		spin_unlock(&zt->lock);
		wait_for_completion_state(&zdo->done, TASK_IDLE);
	}
	return hdr->err;
}

/* ~~~~ ZU_IOC_NUMA_MAP ~~~~ */

long zufc_numa_map(struct file *file, void __user *parg)
{
	struct zufs_ioc_numa_map *nm;
	unsigned int *per_node;
	unsigned int i, max = 0;
	long err = 0;
	int cpu;

	nm = kzalloc(sizeof(*nm), GFP_KERNEL);
	per_node = kcalloc(nr_node_ids, sizeof(*per_node), GFP_KERNEL);
	if (!nm || !per_node) {
		err = -ENOMEM;
		goto out;
	}
	nm->possible_cpus = num_possible_cpus();
	nm->online_cpus = num_online_cpus();
	nm->possible_nodes = num_possible_nodes();
	nm->online_nodes = num_online_nodes();
	for (i = 0; i < ZUFS_MAX_CPUS; i++)
		nm->cpu_to_node[i] = ZUFS_NODE_NONE;
	for_each_online_cpu(cpu) {
		int node = cpu_to_node(cpu);

		if (cpu >= ZUFS_MAX_CPUS)
			break;
		nm->cpu_to_node[cpu] = node;
		if (node >= 0 && node < nr_node_ids)
			max = max(max, ++per_node[node]);
	}
	for (i = 1; i < nr_node_ids; i++)
		if (per_node[i] && per_node[i] != per_node[0])
			nm->nodes_not_symmetrical = 1;
	nm->max_cpu_per_node = max;
	if (copy_to_user(parg, nm, sizeof(*nm)))
		err = -EFAULT;
out:
	kfree(per_node);
	kfree(nm);
	return err;
}
