// SPDX-License-Identifier: BSD-3-Clause
/* t_plugin.c - loading the zutest plugin with dlopen through libzus. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include <zus/zus_server.h>

#include "unit.h"

static const char *plugin_dir(void)
{
	const char *d = getenv("ZUS_TEST_PLUGIN_DIR");

	return d ? d : ".";
}

struct load_arg {
	struct zus_server *s;
	const char *name;
	const char *path;
	bool all;
};

static int do_load(void *p)
{
	struct load_arg *a = p;

	if (a->all)
		return zus_server_load_all_plugins(a->s, a->path);
	return zus_server_load_plugin(a->s, a->name, a->path);
}

static int load(struct zus_server *s, const char *name, const char *path,
		char *err, size_t size)
{
	struct load_arg a = { s, name, path, false };

	return unit_capture_stderr(err, size, do_load, &a);
}

void t_plugin(void)
{
	struct zus_server_opts o = { .prog = "zusd" };
	struct zus_server *s = zus_server_new(&o);
	char err[1024], path[4096], multi[4200];
	struct load_arg all;

	zus_set_log_level(ZUS_LOG_INFO);
	CHECK(s != NULL);
	CHECK_EQ(zus_server_fs_count(s), 0);
	/* by name, through a search path whose first entry does not exist */
	snprintf(multi, sizeof(multi), "/nonexistent::%s", plugin_dir());
	CHECK_EQ(load(s, "zutest", multi, err, sizeof(err)), 0);
	CHECK(strstr(err, "zusd: loaded plugin zutest") == err);
	CHECK_EQ(zus_server_fs_count(s), 1);
	CHECK_STR(zus_server_fs_name(s, 0), "zutest");
	CHECK(zus_server_fs_name(s, 1) == NULL);
	/* twice: ignored with a warning */
	CHECK_EQ(load(s, "zutest", plugin_dir(), err, sizeof(err)), 0);
	CHECK(strstr(err, "already loaded") != NULL);
	CHECK_EQ(zus_server_fs_count(s), 1);
	/* missing */
	CHECK_EQ(load(s, "nosuchfs", plugin_dir(), err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "zusd: plugin nosuchfs not found") == err);
	/* a shared object that is not a plugin */
	CHECK_EQ(load(s, "notaplugin", plugin_dir(), err, sizeof(err)),
		 -ENOEXEC);
	CHECK(strstr(err, "not a zus plugin") != NULL);
	/* a file that is not a shared object */
	CHECK_EQ(load(s, "/etc/hostname", NULL, err, sizeof(err)), -ENOEXEC);
	CHECK(strstr(err, "zusd: cannot load plugin hostname") == err);
	/* by path */
	snprintf(path, sizeof(path), "%s/zutest.so", plugin_dir());
	CHECK_EQ(load(s, path, NULL, err, sizeof(err)), 0);
	CHECK_EQ(zus_server_fs_count(s), 1);
	zus_server_free(s);

	/* load_all: zutest registers, notaplugin fails the whole load */
	s = zus_server_new(&o);
	all = (struct load_arg){ s, NULL, plugin_dir(), true };
	CHECK_EQ(unit_capture_stderr(err, sizeof(err), do_load, &all), -ENOEXEC);
	zus_server_free(s);
	s = zus_server_new(&o);
	all.s = s;
	all.path = "/nonexistent";
	CHECK_EQ(unit_capture_stderr(err, sizeof(err), do_load, &all), -ENOENT);
	CHECK(strstr(err, "zusd: no plugins found in /nonexistent") == err);
	zus_server_free(s);
}
