// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-bench-fuse MOUNTPOINT [-f] [FUSE OPTIONS]
 *
 * The FUSE peer of zufs-bench: a libfuse3 low-level server with a root
 * directory and one file, "file", whose attributes are answered from
 * memory. Entry and attribute timeouts are 0, so every stat() of
 * MOUNTPOINT/file goes to this server (LOOKUP and/or GETATTR), which is the
 * round trip zufs-bench measures. Single-threaded session loop. Without -f
 * it daemonizes once mounted; unmount with fusermount3 -u MOUNTPOINT.
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int serve(struct fuse_args *args, struct fuse_cmdline_opts *o)
{
	struct fuse_session *se;
	int ret = 1;

	se = fuse_session_new(args, &bf_ops, sizeof(bf_ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se))
		goto destroy;
	if (fuse_session_mount(se, o->mountpoint))
		goto handlers;
	fuse_daemonize(o->foreground);
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
	if (fuse_parse_cmdline(&args, &o))
		return 2;
	if (o.show_help || !o.mountpoint) {
		printf("Usage: %s MOUNTPOINT [-f] [FUSE OPTIONS]\n", argv[0]);
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
