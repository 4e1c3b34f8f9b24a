// SPDX-License-Identifier: BSD-3-Clause
/*
 * zt.c - the ZT threads: one per (online CPU, channel).
 *
 * Each thread binds itself to its CPU, opens a zuf-root file, calls
 * ZU_IOC_INIT_THREAD, maps its command buffer and application window and
 * then serves operations: every return of ZU_IOC_WAIT_OPT delivers one in
 * the command buffer; the answer (hdr.err, hdr.out_len) is written in place
 * and handed back by the next ZU_IOC_WAIT_OPT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ns.h"
#include "zus_private.h"

/* ~~~~ operations ~~~~ */

/*
 * The reply payload: the kernel copies hdr.out_len bytes from hdr.out_start.
 * An operation's out fields sit at [off, off + len) of its struct; report
 * the part of them that lies at or after out_start and within out_max.
 */
static void zt_reply(struct zufs_ioc_hdr *hdr, __u32 off, __u32 len)
{
	__u32 end = off + len;

	if (hdr->out_start > off || end > hdr->out_max)
		return;
	hdr->out_len = end - hdr->out_start;
}

static int zt_echo(struct zus_server *s, struct zus_zt *zt,
		   struct zufs_ioc_echo *ze)
{
	__u64 len = ze->hdr.len, checked = 0;
	struct zus_sb_info *sbi;
	int err;

	if (ze->hdr.in_len < sizeof(*ze) || ze->pg_offset >= 4096 ||
	    ze->pg_offset + len > ZUFS_APP_WINDOW_SIZE)
		return -EINVAL;
	if (len && (!zt->win || !(ze->hdr.flags & ZUFS_H_HAS_PAGES)))
		return -EINVAL;
	if (len && (ze->hdr.flags & ZUFS_H_PAGES_RO))
		return -EFAULT;		/* ECHO writes the buffer */
	sbi = zus_sbi_find(s, ze->zus_sbi);
	if (!sbi)
		return -EINVAL;
	if (!sbi->op || !sbi->op->echo)
		return -EOPNOTSUPP;
	/* hdr.offset: index of the first window byte in the app's buffer */
	err = sbi->op->echo(sbi, (char *)zt->win + ze->pg_offset, len,
			    ze->hdr.offset, ze->seed_in, ze->seed_out,
			    &checked);
	ze->checked = checked;
	zt_reply(&ze->hdr, offsetof(struct zufs_ioc_echo, checked),
		 sizeof(ze->checked));
	return zus_errno_sane(err);
}

/* The request and reply limits the kernel gave fit our buffer. */
static bool zt_hdr_valid(const struct zufs_ioc_hdr *hdr, size_t size)
{
	return hdr->in_len >= sizeof(*hdr) && hdr->in_len <= size &&
	       hdr->out_max <= size && hdr->out_start <= hdr->out_max;
}

void zus_zt_dispatch(struct zus_server *s, struct zus_zt *zt,
		     struct zufs_ioc_hdr *hdr)
{
	int err;

	hdr->out_len = 0;
	if (!zt_hdr_valid(hdr, zt->cmd_size)) {
		zus_warn("ZT cpu %u: operation 0x%x with bad lengths (in %u, out %u..%u)",
			 zt->cpu, hdr->operation, hdr->in_len,
			 hdr->out_start, hdr->out_max);
		hdr->err = -EINVAL;
		return;
	}
	switch (hdr->operation) {
	case ZUFS_OP_NOOP:
		err = 0;
		break;
	case ZUFS_OP_ECHO:
		err = zt_echo(s, zt, (struct zufs_ioc_echo *)hdr);
		break;
	default:	/* namespace and data operations (ns.c) */
		err = zus_ns_dispatch(s, zt, hdr);
		break;
	}
	hdr->err = err;
}

/* ~~~~ thread ~~~~ */

static int zt_bind(struct zus_zt *zt)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(zt->cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		zus_err("ZT cpu %u: cannot bind to the CPU: %s", zt->cpu,
			strerror(err));
	return -err;
}

static int zt_mmap(struct zus_zt *zt, bool window)
{
	void *p;
	int err;

	p = mmap(NULL, zt->cmd_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 zt->fd, ZUFS_ZT_CMD_OFFSET);
	if (p == MAP_FAILED)
		goto fail;
	zt->cmd = p;
	if (!window)
		return 0;
	p = mmap(NULL, ZUFS_APP_WINDOW_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, zt->fd, ZUFS_ZT_APP_OFFSET);
	if (p == MAP_FAILED)
		goto fail;
	zt->win = p;
	return 0;
fail:
	err = errno;
	zus_err("ZT cpu %u: mmap of the %s failed: %s", zt->cpu,
		zt->cmd ? "application window" : "command buffer",
		strerror(err));
	return -err;
}

static int zt_init(struct zus_zt *zt)
{
	struct zus_server *s = zt->srv;
	struct zufs_ioc_init_thread it;
	int err;

	err = zt_bind(zt);
	if (err)
		return err;
	zt->fd = zus_open_root(s);
	if (zt->fd < 0) {
		zus_err("ZT cpu %u: cannot open %s: %s", zt->cpu, s->zuf_root,
			strerror(-zt->fd));
		return zt->fd;
	}
	memset(&it, 0, sizeof(it));
	it.channel_no = zt->channel;
	it.max_command = s->max_command;
	if (ioctl(zt->fd, ZU_IOC_INIT_THREAD, &it) < 0) {
		err = -errno;
		zus_err("ZT cpu %u channel %u: ZU_IOC_INIT_THREAD: %s",
			zt->cpu, zt->channel, strerror(-err));
		return err;
	}
	if (it.max_command < sizeof(struct zufs_ioc_hdr) ||
	    it.max_command > ZUFS_CMD_MAX) {
		zus_err("ZT cpu %u: kernel gave a command buffer of %u bytes",
			zt->cpu, it.max_command);
		return -EPROTO;
	}
	zt->cmd_size = it.max_command;
	return zt_mmap(zt, s->hs.agreed_caps & ZUFS_CAP_ZT_WINDOW);
}

static void zt_report(struct zus_zt *zt, int err)
{
	struct zus_server *s = zt->srv;

	pthread_mutex_lock(&s->lock);
	s->zt_reported++;
	if (err && !s->zt_error)
		s->zt_error = err;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void zt_loop(struct zus_zt *zt)
{
	struct zus_server *s = zt->srv;
	struct zufs_ioc_hdr *hdr = zt->cmd;

	for (;;) {
		if (ioctl(zt->fd, ZU_IOC_WAIT_OPT, 0) < 0) {
			if (errno == EINTR && !zus_stopping(s))
				continue;
			if (!zus_stopping(s)) {
				zus_err("ZT cpu %u channel %u: ZU_IOC_WAIT_OPT: %s",
					zt->cpu, zt->channel, strerror(errno));
				zus_server_fatal(s);
			}
			return;
		}
		if (hdr->operation == ZUFS_OP_BREAK)
			return;
		zus_zt_dispatch(s, zt, hdr);
	}
}

static void *zt_thread(void *arg)
{
	struct zus_zt *zt = arg;
	int err = zt_init(zt);

	zt_report(zt, err);
	if (!err)
		zt_loop(zt);
	return NULL;
}

/* ~~~~ start and release ~~~~ */

static int zts_create(struct zus_server *s)
{
	sigset_t old;
	unsigned int i;
	int err = 0;

	zus_block_signals(&old);
	for (i = 0; i < s->nzt; i++) {
		struct zus_zt *zt = &s->zts[i];

		err = -pthread_create(&zt->thread, NULL, zt_thread, zt);
		if (err) {
			zus_err("cannot create ZT thread %u: %s", i,
				strerror(-err));
			break;
		}
		zt->created = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/*
 * Start ZT threads on every CPU and channel and wait until each has done
 * ZU_IOC_INIT_THREAD (or failed).
 */
int zus_zts_start(struct zus_server *s)
{
	unsigned int i, created = 0;
	int err;

	s->nzt = s->ncpus * s->channels;
	s->zts = calloc(s->nzt, sizeof(*s->zts));
	if (!s->zts)
		return -ENOMEM;
	for (i = 0; i < s->nzt; i++) {
		s->zts[i].srv = s;
		s->zts[i].fd = -1;
		s->zts[i].cpu = s->cpus[i / s->channels];
		s->zts[i].channel = i % s->channels;
	}
	err = zts_create(s);
	for (i = 0; i < s->nzt; i++)
		created += s->zts[i].created;
	pthread_mutex_lock(&s->lock);
	while (s->zt_reported < created)
		pthread_cond_wait(&s->cond, &s->lock);
	if (!err)
		err = s->zt_error;
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* Unmap and close what the (joined) ZT threads left. */
void zus_zts_release(struct zus_server *s)
{
	unsigned int i;

	for (i = 0; i < s->nzt; i++) {
		struct zus_zt *zt = &s->zts[i];

		if (zt->created && !zt->joined)
			continue;	/* still running: leave it alone */
		if (zt->win)
			munmap(zt->win, ZUFS_APP_WINDOW_SIZE);
		if (zt->cmd)
			munmap(zt->cmd, zt->cmd_size);
		if (zt->fd >= 0)
			close(zt->fd);
		zt->win = zt->cmd = NULL;
		zt->fd = -1;
	}
}

unsigned int zus_server_zt_count(const struct zus_server *s)
{
	return s->started ? s->nzt : 0;
}
