// SPDX-License-Identifier: GPL-2.0
/*
 * mount.c - the mount thread channel.
 *
 * Mount, umount, remount, statfs and show_options go to one server thread
 * that loops in ZU_IOC_MOUNT. They are rare, so they are serialized by a
 * mutex instead of being spread over the per-CPU ZTs; the server's reply
 * is copied field by field, only what the operation may answer.
 */
#include "zuf.h"

#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

void zufm_init(struct zuf_root_info *zri)
{
	struct zuf_mount_thread *mt = &zri->mt;

	spin_lock_init(&mt->lock);
	init_waitqueue_head(&mt->wq);
	mutex_init(&mt->serialize);
}

int zufm_dispatch(struct zuf_root_info *zri, u32 operation,
		  struct zufs_ioc_mount *zim)
{
	struct zuf_mount_thread *mt = &zri->mt;
	DECLARE_COMPLETION_ONSTACK(done);

	zim->hdr.operation = operation;
	zim->hdr.in_len = sizeof(*zim);
	zim->hdr.out_start = 0;
	zim->hdr.out_max = sizeof(*zim);
	zim->hdr.err = 0;
	zim->zmi.num_cpu = zri->nr_cpus;
	zim->zmi.num_channels = ZUFS_MAX_ZT_CHANNELS;

	mutex_lock(&mt->serialize);
	spin_lock(&mt->lock);
	if (!mt->sf.file || READ_ONCE(zri->state) != ZUF_SERVER_READY) {
		spin_unlock(&mt->lock);
		mutex_unlock(&mt->serialize);
		return -EIO;
	}
	mt->zim = zim;
	mt->done = &done;
	mt->has_op = true;
	spin_unlock(&mt->lock);
	wake_up(&mt->wq);

	if (wait_for_completion_killable(&done))
		wait_for_completion_state(&done, TASK_IDLE);
	mutex_unlock(&mt->serialize);
	return zim->hdr.err;
}

/* Take what the server may answer to @op from @r into @zim. */
static void zufm_take_reply(struct zufs_ioc_mount *zim,
			    const struct zufs_ioc_mount *r)
{
	struct zufs_mount_info *zmi = &zim->zmi;
	const struct zufs_mount_info *rmi = &r->zmi;

	zim->hdr.err = zuf_server_err(r->hdr.err);
	if (zim->hdr.err != r->hdr.err)
		pr_err_ratelimited("server answered %s with invalid error %d\n",
				   zuf_op_name(zim->hdr.operation), r->hdr.err);
	if (zim->hdr.err)
		return;

	switch (zim->hdr.operation) {
	case ZUFS_M_MOUNT:
		zmi->zus_sbi = rmi->zus_sbi;
		zmi->zus_ii = rmi->zus_ii;
		zmi->root = rmi->root;
		zmi->s_blocksize_bits = rmi->s_blocksize_bits;
		zmi->s_time_gran = rmi->s_time_gran;
		zmi->s_maxbytes = rmi->s_maxbytes;
		break;
	case ZUFS_M_STATFS:
		zim->statfs = r->statfs;
		break;
	case ZUFS_M_SHOW_OPTIONS:
		memcpy(zmi->options, rmi->options, sizeof(zmi->options));
		zmi->options[sizeof(zmi->options) - 1] = 0;
		zmi->options_len = strlen(zmi->options);
		break;
	default:
		break;
	}
}

static void zufm_complete(struct zuf_mount_thread *mt, int err,
			  const struct zufs_ioc_mount *reply)
{
	struct zufs_ioc_mount *zim;
	struct completion *done;

	spin_lock(&mt->lock);
	zim = mt->zim;
	done = mt->done;
	if (mt->has_op || !zim) {	/* nothing in service */
		spin_unlock(&mt->lock);
		return;
	}
	mt->zim = NULL;
	mt->done = NULL;
	spin_unlock(&mt->lock);

	if (reply)
		zufm_take_reply(zim, reply);
	else
		zim->hdr.err = err;
	complete(done);
}

long zufm_ioctl(struct file *file, void __user *parg)
{
	struct zuf_root_info *zri = zuf_root;
	struct zuf_mount_thread *mt = &zri->mt;
	struct zufs_ioc_mount *zim, *buf;
	long err = 0;

	if (!file->private_data) {
		spin_lock(&mt->lock);
		if (mt->sf.file) {
			spin_unlock(&mt->lock);
			pr_err("a mount thread is already attached\n");
			return -EBUSY;
		}
		mt->sf.type = ZUF_SF_MOUNT;
		mt->sf.file = file;
		mt->brk = false;
		spin_unlock(&mt->lock);
		file->private_data = &mt->sf;
	} else if (file->private_data != &mt->sf) {
		return -EINVAL;
	}

	buf = kmalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/* The answer to the operation in service, if there is one. */
	if (copy_from_user(buf, parg, sizeof(*buf)))
		zufm_complete(mt, -EFAULT, NULL);
	else if (buf->hdr.operation != ZUFS_OP_NULL)
		zufm_complete(mt, 0, buf);

	err = wait_event_interruptible(mt->wq, READ_ONCE(mt->has_op) ||
						READ_ONCE(mt->brk));
	if (err) {
		err = -EINTR;
		goto out;
	}

	spin_lock(&mt->lock);
	if (mt->has_op) {
		mt->has_op = false;
		zim = mt->zim;
		spin_unlock(&mt->lock);
		if (copy_to_user(parg, zim, sizeof(*zim))) {
			zufm_complete(mt, -EFAULT, NULL);
			err = -EFAULT;
		}
		goto out;
	}
	mt->brk = false;
	spin_unlock(&mt->lock);

	memset(buf, 0, sizeof(buf->hdr));
	buf->hdr.operation = ZUFS_OP_BREAK;
	buf->hdr.in_len = sizeof(buf->hdr);
	if (copy_to_user(parg, &buf->hdr, sizeof(buf->hdr)))
		err = -EFAULT;
out:
	kfree(buf);
	return err;
}

void zufm_break(struct zuf_root_info *zri)
{
	struct zuf_mount_thread *mt = &zri->mt;

	spin_lock(&mt->lock);
	if (mt->sf.file)
		mt->brk = true;
	spin_unlock(&mt->lock);
	wake_up(&mt->wq);
}

void zufm_release(struct file *file)
{
	struct zuf_mount_thread *mt = &zuf_root->mt;
	struct zufs_ioc_mount *zim;
	struct completion *done;

	spin_lock(&mt->lock);
	zim = mt->zim;
	done = mt->done;
	mt->zim = NULL;
	mt->done = NULL;
	mt->has_op = false;
	mt->brk = false;
	mt->sf.file = NULL;
	spin_unlock(&mt->lock);

	if (zim) {
		pr_err("mount thread exited during %s: EIO\n",
		       zuf_op_name(zim->hdr.operation));
		zim->hdr.err = -EIO;
		complete(done);
	}
}
