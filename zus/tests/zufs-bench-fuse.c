// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-bench-fuse [--backing=DIR] MOUNTPOINT [-f] [FUSE OPTIONS]
 *
 * The FUSE peer of zufs-bench: a libfuse3 low-level server with a root
 * directory and one file, "file", whose attributes are answered from
 * memory. Entry and attribute timeouts are 0, so every stat() of
 * MOUNTPOINT/file goes to this server (LOOKUP and/or GETATTR), which is the
 * round trip zufs-bench measures. Single-threaded session loop. Without -f
 * it daemonizes once mounted; unmount with fusermount3 -u MOUNTPOINT.
 *
 * With --backing=DIR it is instead the FUSE peer of `make bench-io`: a
 * passthrough of the flat directory DIR (regular files only; put it on
 * tmpfs for a memory-backed filesystem) with lookup, getattr, setattr,
 * create, open, read, write, fsync, unlink, readdir and statfs, served by
 * a multi-threaded session loop. Files are opened with direct_io: like
 * ZUFS, which has no page cache, every read and write goes to the server
 * (up to 1 MiB per request), so the two data paths compare.
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define FILE_INO 2
static const char file_name[] = "file";
static time_t start_time;

static int fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atime = st->st_mtime = st->st_ctime = start_time;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (ino == FILE_INO) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = 4096;
		return 0;
	}
	return -1;
}

static void bf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, file_name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FILE_INO;
	e.attr_timeout = 0.0;
	e.entry_timeout = 0.0;
	fill_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void bf_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (fill_stat(ino, &st))
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, 0.0);
}

static const struct fuse_lowlevel_ops bf_ops = {
	.lookup = bf_lookup,
	.getattr = bf_getattr,
};

/*
 * Passthrough mode. FUSE inode numbers are slots of a table of names in
 * the backing directory (slot + 2; 1 is the root); a name keeps its slot
 * for the life of the server, so a number always means the same name.
 */
#define PT_SLOTS 1024
static int pt_dir = -1;		/* the backing directory */
static char *pt_names[PT_SLOTS];
static unsigned int pt_used;
static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of @name, added when new; 0 when the table is full. */
static fuse_ino_t pt_ino(const char *name)
{
	fuse_ino_t ino = 0;
	unsigned int i;

	pthread_mutex_lock(&pt_lock);
	for (i = 0; i < pt_used; i++) {
		if (!strcmp(pt_names[i], name)) {
			ino = i + 2;
			goto out;
		}
	}
	if (pt_used < PT_SLOTS) {
		pt_names[pt_used] = strdup(name);
		if (pt_names[pt_used])
			ino = ++pt_used + 1;
	}
out:
	pthread_mutex_unlock(&pt_lock);
	return ino;
}

/* The name of @ino (the table only grows: the pointer stays valid). */
static const char *pt_name(fuse_ino_t ino)
{
	const char *name = NULL;

	pthread_mutex_lock(&pt_lock);
	if (ino >= 2 && ino - 2 < pt_used)
		name = pt_names[ino - 2];
	pthread_mutex_unlock(&pt_lock);
	return name;
}

static int pt_stat(fuse_ino_t ino, struct stat *st)
{
	const char *name;

	if (ino == FUSE_ROOT_ID) {
		if (fstat(pt_dir, st))
			return errno;
	} else {
		name = pt_name(ino);
		if (!name)
			return ENOENT;
		if (fstatat(pt_dir, name, st, AT_SYMLINK_NOFOLLOW))
			return errno;
		if (!S_ISREG(st->st_mode))
			return ENOENT;
	}
	st->st_ino = ino;
	return 0;
}

static void pt_reply_entry(fuse_req_t req, const char *name,
			   struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int err;

	memset(&e, 0, sizeof(e));
	e.ino = pt_ino(name);
	if (!e.ino) {
		err = ENOSPC;
		goto fail;
	}
	err = pt_stat(e.ino, &e.attr);
	if (err)
		goto fail;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	if (fi) {
		fi->direct_io = 1;
		if (fuse_reply_create(req, &e, fi))
			close(fi->fh);
	} else {
		fuse_reply_entry(req, &e);
	}
	return;
fail:
	if (fi)
		close(fi->fh);
	fuse_reply_err(req, err);
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct stat st;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fstatat(pt_dir, name, &st, AT_SYMLINK_NOFOLLOW)) {
		fuse_reply_err(req, errno);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	pt_reply_entry(req, name, NULL);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int err;

	(void)fi;
	err = pt_stat(ino, &st);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, 1.0);
}

static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	const char *name = pt_name(ino);
	struct timespec ts[2];
	struct stat st;
	int err = 0, fd;

	if (!name) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EPERM : ENOENT);
		return;
	}
	if (to_set & FUSE_SET_ATTR_MODE &&
	    fchmodat(pt_dir, name, attr->st_mode & 07777, 0))
		err = errno;
	if (!err && to_set & FUSE_SET_ATTR_SIZE) {
		fd = fi ? (int)fi->fh : openat(pt_dir, name, O_WRONLY);
		if (fd < 0 || ftruncate(fd, attr->st_size))
			err = errno;
		if (!fi && fd >= 0)
			close(fd);
	}
	if (!err && to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (utimensat(pt_dir, name, ts, AT_SYMLINK_NOFOLLOW))
			err = errno;
	}
	if (!err)
		err = pt_stat(ino, &st);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, 1.0);
}

static void pt_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	int fd;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!S_ISREG(mode | S_IFREG) || strchr(name, '/')) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fd = openat(pt_dir, name, (fi->flags & ~O_DIRECT) | O_CREAT | O_NOFOLLOW,
		    mode & 07777);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = fd;
	pt_reply_entry(req, name, fi);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const char *name = pt_name(ino);
	int fd;

	if (!name) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fd = openat(pt_dir, name, (fi->flags & ~(O_DIRECT | O_CREAT)) | O_NOFOLLOW);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = fd;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi))
		close(fd);
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void pt_write_buf(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_bufvec *in, off_t off,
			 struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	ssize_t n;

	(void)ino;
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = fi->fh;
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in, 0);
	if (n < 0)
		fuse_reply_err(req, -n);
	else
		fuse_reply_write(req, n);
}

static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void pt_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	close(fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int err;

	(void)ino;
	err = datasync ? fdatasync(fi->fh) : fsync(fi->fh);
	fuse_reply_err(req, err ? errno : 0);
}

static void pt_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_err(req, unlinkat(pt_dir, name, 0) ? errno : 0);
}

static void pt_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	DIR *d;
	int fd;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fd = openat(pt_dir, ".", O_RDONLY | O_DIRECTORY);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		fuse_reply_err(req, errno);
		if (fd >= 0)
			close(fd);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi))
		closedir(d);
}

/*
 * Regular files only, as lookup sees them. Offsets are positions: 1 after
 * ".", 2 after "..", 2 + k after the k-th file (the directory is read from
 * its start each time: the backing directories of a benchmark are small).
 */
static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	char *buf = malloc(size), *p = buf;
	size_t left = size, n;
	struct dirent *de;
	struct stat st;
	off_t pos = 0;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&st, 0, sizeof(st));
	rewinddir(d);
	for (;;) {
		const char *name;

		if (pos < 2) {
			name = pos ? ".." : ".";
			st.st_ino = FUSE_ROOT_ID;
			st.st_mode = S_IFDIR;
		} else {
			de = readdir(d);
			if (!de)
				break;
			if (de->d_type != DT_REG)
				continue;
			name = de->d_name;
			st.st_ino = pt_ino(name);
			if (!st.st_ino)
				continue;
			st.st_mode = S_IFREG;
		}
		pos++;
		if (pos <= off)
			continue;
		n = fuse_add_direntry(req, p, left, name, &st, pos);
		if (n > left)
			break;
		p += n;
		left -= n;
	}
	fuse_reply_buf(req, buf, size - left);
	free(buf);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	closedir((DIR *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	if (fstatvfs(pt_dir, &sv))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_write = 1 << 20;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init = pt_init,
	.lookup = pt_lookup,
	.getattr = pt_getattr,
	.setattr = pt_setattr,
	.create = pt_create,
	.open = pt_open,
	.read = pt_read,
	.write_buf = pt_write_buf,
	.flush = pt_flush,
	.release = pt_release,
	.fsync = pt_fsync,
	.unlink = pt_unlink,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.releasedir = pt_releasedir,
	.statfs = pt_statfs,
};

static int serve(struct fuse_args *args, struct fuse_cmdline_opts *o)
{
	bool pt = pt_dir >= 0;
	struct fuse_loop_config lc = { .clone_fd = 0, .max_idle_threads = 8 };
	struct fuse_session *se;
	int ret = 1;

	if (pt)
		se = fuse_session_new(args, &pt_ops, sizeof(pt_ops), NULL);
	else
		se = fuse_session_new(args, &bf_ops, sizeof(bf_ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se))
		goto destroy;
	if (fuse_session_mount(se, o->mountpoint))
		goto handlers;
	fuse_daemonize(o->foreground);
	if (pt)
		ret = fuse_session_loop_mt(se, &lc) ? 1 : 0;
	else
		ret = fuse_session_loop(se) ? 1 : 0;
	fuse_session_unmount(se);
handlers:
	fuse_remove_signal_handlers(se);
destroy:
	fuse_session_destroy(se);
	return ret;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts o;
	int ret;

	start_time = time(NULL);
	if (argc > 1 && !strncmp(argv[1], "--backing=", 10)) {
		pt_dir = open(argv[1] + 10, O_RDONLY | O_DIRECTORY);
		if (pt_dir < 0) {
			perror(argv[1] + 10);
			return 2;
		}
		/* Hide it from libfuse's option parser. */
		args.argv[1] = args.argv[0];
		args.argv++;
		args.argc--;
	}
	if (fuse_parse_cmdline(&args, &o))
		return 2;
	if (o.show_help || !o.mountpoint) {
		printf("Usage: %s [--backing=DIR] MOUNTPOINT [-f] [FUSE OPTIONS]\n",
		       argv[0]);
		fuse_cmdline_help();
		ret = o.show_help ? 0 : 2;
	} else if (o.show_version) {
		printf("FUSE library version %s\n", fuse_pkgversion());
		ret = 0;
	} else {
		ret = serve(&args, &o);
	}
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
