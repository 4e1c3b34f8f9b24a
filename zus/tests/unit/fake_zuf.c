// SPDX-License-Identifier: BSD-3-Clause
/*
 * fake_zuf.c - see fake_zuf.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fake_zuf.h"

#define FK_SLOTS (64 * ZUFS_MAX_ZT_CHANNELS)
#define FK_FILES 512

enum { R_NONE, R_SESSION, R_ZT, R_MOUNT };

struct fk_zt {
	bool used;
	ino_t ino;
	void *cmd;		/* our view of the command buffer */
	size_t cmd_size;
	void *win;		/* our view of the application window */
	bool waiting, busy, op_ready, delivered, reply_ready, brk;
};

struct fk_mount {
	ino_t ino;
	bool waiting, busy, op_ready, delivered, reply_ready, brk;
	struct zufs_ioc_mount req, reply;
};

static struct {
	bool armed;
	struct fk_config cfg;
	ino_t session;
	cpu_set_t online;
	unsigned int cpus[CPU_SETSIZE], ncpus;
	struct fk_zt zt[FK_SLOTS];
	unsigned int nzt, bad_affinity;
	struct fk_mount mt;
	struct zufs_ioc_register_fs reg[8];
	unsigned int nreg;
	int fail_wait;
	ino_t files[FK_FILES];
	int roles[FK_FILES];
} fk;
static pthread_mutex_t fk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fk_cond = PTHREAD_COND_INITIALIZER;

/* ~~~~ bookkeeping ~~~~ */

static void zt_unmap(struct fk_zt *z)
{
	if (z->cmd)
		munmap(z->cmd, z->cmd_size);
	if (z->win)
		munmap(z->win, ZUFS_APP_WINDOW_SIZE);
	memset(z, 0, sizeof(*z));
}

void fk_reset(const struct fk_config *cfg)
{
	unsigned int i;

	pthread_mutex_lock(&fk_lock);
	for (i = 0; i < FK_SLOTS; i++)
		zt_unmap(&fk.zt[i]);
	memset(&fk.mt, 0, sizeof(fk.mt));
	fk.cfg = cfg ? *cfg : (struct fk_config){ 0 };
	if (!fk.cfg.kernel_major)
		fk.cfg.kernel_major = ZUFS_ABI_MAJOR;
	if (!fk.cfg.kernel_caps)
		fk.cfg.kernel_caps = ZUFS_CAPS_ALL;
	fk.session = 0;
	fk.nzt = fk.bad_affinity = fk.nreg = 0;
	fk.fail_wait = 0;
	memset(fk.files, 0, sizeof(fk.files));
	memset(fk.roles, 0, sizeof(fk.roles));
	sched_getaffinity(0, sizeof(fk.online), &fk.online);
	fk.ncpus = 0;
	for (i = 0; i < 64 && fk.ncpus < 64; i++)
		if (CPU_ISSET(i, &fk.online))
			fk.cpus[fk.ncpus++] = i;
	fk.armed = true;
	pthread_mutex_unlock(&fk_lock);
}

void fk_disarm(void)
{
	fk_reset(NULL);
	fk.armed = false;
}

unsigned int fk_ncpus(void) { return fk.ncpus; }
unsigned int fk_cpu(unsigned int i) { return fk.cpus[i]; }
unsigned int fk_zt_count(void) { return fk.nzt; }
unsigned int fk_bad_affinity(void) { return fk.bad_affinity; }
unsigned int fk_registered(void) { return fk.nreg; }
const char *fk_registered_name(unsigned int i) { return fk.reg[i].name; }
__u64 fk_registered_zfi(unsigned int i) { return fk.reg[i].zus_zfi; }

void fk_fail_wait(int err)
{
	pthread_mutex_lock(&fk_lock);
	fk.fail_wait = err;
	pthread_cond_broadcast(&fk_cond);
	pthread_mutex_unlock(&fk_lock);
}

/* The role of the file behind fd (keyed by its inode: fds get reused). */
static int *file_role(int fd, ino_t *ino)
{
	struct stat st;
	unsigned int i, free_slot = FK_FILES;

	if (fstat(fd, &st))
		return NULL;
	*ino = st.st_ino;
	for (i = 0; i < FK_FILES; i++) {
		if (fk.files[i] == st.st_ino)
			return &fk.roles[i];
		if (!fk.files[i] && free_slot == FK_FILES)
			free_slot = i;
	}
	if (free_slot == FK_FILES)
		return NULL;
	fk.files[free_slot] = st.st_ino;
	return &fk.roles[free_slot];
}

static void deadline(struct timespec *ts, int sec)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += sec;
}

/* ~~~~ session ioctls ~~~~ */

static int fk_handshake(int *role, ino_t ino, struct zufs_ioc_handshake *hs)
{
	hs->kernel_major = fk.cfg.kernel_major;
	hs->kernel_minor = 0;
	hs->kernel_caps = fk.cfg.kernel_caps;
	hs->agreed_caps = hs->caps & fk.cfg.kernel_caps;
	snprintf(hs->kernel_version, sizeof(hs->kernel_version), "fake");
	hs->num_cpus = CPU_SETSIZE;
	hs->max_channels = ZUFS_MAX_ZT_CHANNELS;
	if (hs->major != fk.cfg.kernel_major)
		return -EPROTO;
	if (fk.session)
		return -EBUSY;
	fk.session = ino;
	*role = R_SESSION;
	return 0;
}

static int fk_numa_map(struct zufs_ioc_numa_map *nm)
{
	unsigned int i;

	memset(nm, 0, sizeof(*nm));
	nm->possible_cpus = 64;
	nm->online_cpus = fk.ncpus;
	nm->possible_nodes = nm->online_nodes = 1;
	nm->max_cpu_per_node = fk.ncpus;
	for (i = 0; i < ZUFS_MAX_CPUS; i++)
		nm->cpu_to_node[i] = i < 64 && CPU_ISSET(i, &fk.online) ?
				     0 : ZUFS_NODE_NONE;
	return 0;
}

static int fk_register(struct zufs_ioc_register_fs *r)
{
	if (fk.nreg >= 8)
		return -ENOSPC;
	fk.reg[fk.nreg++] = *r;
	return 0;
}

/* ~~~~ ZT ioctls ~~~~ */

static int fk_init_thread(int fd, int *role, ino_t ino,
			  struct zufs_ioc_init_thread *it)
{
	struct fk_zt *z;
	cpu_set_t set;
	unsigned int cpu;
	size_t size;

	if (fk.cfg.fail_init_thread)
		return -fk.cfg.fail_init_thread;
	sched_getaffinity(0, sizeof(set), &set);
	if (CPU_COUNT(&set) != 1) {
		fk.bad_affinity++;
		return -EINVAL;
	}
	for (cpu = 0; !CPU_ISSET(cpu, &set); cpu++)
		;
	if (it->channel_no >= ZUFS_MAX_ZT_CHANNELS || cpu >= 64)
		return -EINVAL;
	z = &fk.zt[cpu * ZUFS_MAX_ZT_CHANNELS + it->channel_no];
	if (z->used)
		return -EBUSY;
	size = it->max_command ?: ZUFS_CMD_DEFAULT;
	size = size < ZUFS_CMD_MIN ? ZUFS_CMD_MIN :
	       size > ZUFS_CMD_MAX ? ZUFS_CMD_MAX : size;
	size = (size + 4095) & ~4095UL;
	if (ftruncate(fd, ZUFS_ZT_APP_OFFSET + ZUFS_APP_WINDOW_SIZE))
		return -errno;
	z->cmd = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	z->win = mmap(NULL, ZUFS_APP_WINDOW_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, ZUFS_ZT_APP_OFFSET);
	if (z->cmd == MAP_FAILED || z->win == MAP_FAILED)
		abort();
	z->cmd_size = size;
	z->used = true;
	z->ino = ino;
	*role = R_ZT;
	it->cpu = cpu;
	it->max_command = (__u32)size;
	fk.nzt++;
	return 0;
}

static struct fk_zt *zt_by_ino(ino_t ino)
{
	unsigned int i;

	for (i = 0; i < FK_SLOTS; i++)
		if (fk.zt[i].used && fk.zt[i].ino == ino)
			return &fk.zt[i];
	return NULL;
}

static void put_break(struct zufs_ioc_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->operation = ZUFS_OP_BREAK;
	hdr->in_len = sizeof(*hdr);
}

/* Called with fk_lock held; drops it while waiting. */
static int fk_wait_opt(struct fk_zt *z)
{
	if (z->busy && z->delivered && !z->reply_ready) {
		z->reply_ready = true;
		pthread_cond_broadcast(&fk_cond);
	}
	z->waiting = true;
	pthread_cond_broadcast(&fk_cond);
	while (!z->op_ready && !z->brk && !fk.fail_wait)
		pthread_cond_wait(&fk_cond, &fk_lock);
	z->waiting = false;
	if (fk.fail_wait)
		return -fk.fail_wait;
	if (z->op_ready) {
		z->op_ready = false;
		z->delivered = true;
		return 0;
	}
	z->brk = false;
	put_break(z->cmd);
	return 0;
}

/* ~~~~ mount thread ~~~~ */

static int fk_mount(int *role, ino_t ino, struct zufs_ioc_mount *zim)
{
	struct fk_mount *m = &fk.mt;

	if (*role == R_NONE) {
		if (m->ino)
			return -EBUSY;
		m->ino = ino;
		*role = R_MOUNT;
	} else if (m->ino != ino) {
		return -EINVAL;
	}
	if (m->busy && m->delivered && !m->reply_ready &&
	    zim->hdr.operation != ZUFS_OP_NULL) {
		m->reply = *zim;
		m->reply_ready = true;
	}
	m->waiting = true;
	pthread_cond_broadcast(&fk_cond);
	while (!m->op_ready && !m->brk)
		pthread_cond_wait(&fk_cond, &fk_lock);
	m->waiting = false;
	if (m->op_ready) {
		m->op_ready = false;
		m->delivered = true;
		*zim = m->req;
		return 0;
	}
	m->brk = false;
	put_break(&zim->hdr);
	return 0;
}

static void fk_break_all(void)
{
	unsigned int i;

	for (i = 0; i < FK_SLOTS; i++)
		if (fk.zt[i].used)
			fk.zt[i].brk = true;
	if (fk.mt.ino)
		fk.mt.brk = true;
	pthread_cond_broadcast(&fk_cond);
}

/* ~~~~ the ioctl entry ~~~~ */

static int fk_ioctl(int fd, unsigned long req, void *arg)
{
	ino_t ino;
	int *role = file_role(fd, &ino);
	struct fk_zt *z;

	if (!role)
		return -EBADF;
	if (req == ZU_IOC_HANDSHAKE)
		return *role ? -EINVAL : fk_handshake(role, ino, arg);
	if (!fk.session)
		return -EPERM;
	switch (req) {
	case ZU_IOC_REGISTER_FS:
		return *role == R_SESSION ? fk_register(arg) : -EINVAL;
	case ZU_IOC_BREAK_ALL:
		if (*role != R_SESSION)
			return -EINVAL;
		fk_break_all();
		return 0;
	case ZU_IOC_NUMA_MAP:
		return fk_numa_map(arg);
	case ZU_IOC_INIT_THREAD:
		return *role ? -EINVAL : fk_init_thread(fd, role, ino, arg);
	case ZU_IOC_WAIT_OPT:
		z = zt_by_ino(ino);
		return z ? fk_wait_opt(z) : -EINVAL;
	case ZU_IOC_MOUNT:
		return fk_mount(role, ino, arg);
	}
	return -ENOTTY;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fk.armed || _IOC_TYPE(req) != ZUFS_IOC_MAGIC)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	pthread_mutex_lock(&fk_lock);
	ret = fk_ioctl(fd, req, arg);
	pthread_mutex_unlock(&fk_lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* ~~~~ the application side ~~~~ */

static int wait_for(bool *cond_true, bool want, struct timespec *dl)
{
	while (*cond_true != want)
		if (pthread_cond_timedwait(&fk_cond, &fk_lock, dl) == ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

static void zt_take_reply(struct fk_zt *z, struct zufs_ioc_hdr *hdr)
{
	struct zufs_ioc_hdr *s = z->cmd;

	hdr->err = s->err;
	hdr->out_len = s->out_len;
	if (s->out_len > hdr->out_max - hdr->out_start) {
		hdr->err = -EIO;
		hdr->out_len = 0;
	}
	memcpy((char *)hdr + hdr->out_start, (char *)z->cmd + hdr->out_start,
	       hdr->out_len);
}

int fk_dispatch(unsigned int cpu, unsigned int chan, struct zufs_ioc_hdr *hdr,
		void *buf, size_t len, unsigned int pg_offset)
{
	struct fk_zt *z = &fk.zt[cpu * ZUFS_MAX_ZT_CHANNELS + chan];
	struct zufs_ioc_hdr *s;
	struct timespec dl;
	int err;

	deadline(&dl, 5);
	pthread_mutex_lock(&fk_lock);
	while (!z->used || !z->waiting || z->busy)
		if (pthread_cond_timedwait(&fk_cond, &fk_lock, &dl) == ETIMEDOUT)
			goto timeout;
	s = z->cmd;
	z->busy = true;
	z->delivered = z->reply_ready = false;
	/* (zuf.ko refuses in_len > 4096; tests send bad ones on purpose) */
	memcpy(z->cmd, hdr, hdr->in_len <= z->cmd_size ? hdr->in_len :
						       sizeof(*hdr));
	s->err = 0;
	s->out_len = 0;
	s->flags = buf ? ZUFS_H_HAS_PAGES : 0;
	if (buf)
		memcpy((char *)z->win + pg_offset, buf, len);
	z->op_ready = true;
	pthread_cond_broadcast(&fk_cond);
	err = wait_for(&z->reply_ready, true, &dl);
	if (!err) {
		zt_take_reply(z, hdr);
		if (buf)
			memcpy(buf, (char *)z->win + pg_offset, len);
	}
	z->busy = false;
	pthread_cond_broadcast(&fk_cond);
	pthread_mutex_unlock(&fk_lock);
	return err ? err : hdr->err;
timeout:
	pthread_mutex_unlock(&fk_lock);
	return -ETIMEDOUT;
}

int fk_mount_call(struct zufs_ioc_mount *zim)
{
	struct fk_mount *m = &fk.mt;
	struct timespec dl;
	int err;

	deadline(&dl, 5);
	pthread_mutex_lock(&fk_lock);
	while (!m->waiting || m->busy)
		if (pthread_cond_timedwait(&fk_cond, &fk_lock, &dl) == ETIMEDOUT)
			goto timeout;
	m->busy = true;
	m->delivered = m->reply_ready = false;
	m->req = *zim;
	m->op_ready = true;
	pthread_cond_broadcast(&fk_cond);
	err = wait_for(&m->reply_ready, true, &dl);
	if (!err)
		*zim = m->reply;
	m->busy = false;
	pthread_cond_broadcast(&fk_cond);
	pthread_mutex_unlock(&fk_lock);
	return err ? err : zim->hdr.err;
timeout:
	pthread_mutex_unlock(&fk_lock);
	return -ETIMEDOUT;
}
