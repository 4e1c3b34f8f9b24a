// SPDX-License-Identifier: BSD-3-Clause
/*
 * plugin.c - loading filesystem plugins and registering their fs types.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zus_private.h"

#ifndef ZUS_PLUGIN_DIR
#define ZUS_PLUGIN_DIR "/usr/lib/zus"
#endif

const char *zus_default_plugin_path(void)
{
	return ZUS_PLUGIN_DIR;
}

typedef int (*zus_plugin_init_fn)(struct zus_plugin_ctx *ctx);

static struct zus_fs_entry *fs_by_name(struct zus_server *s, const char *name)
{
	struct zus_fs_entry *e;

	for (e = s->fs; e; e = e->next)
		if (!strcmp(e->zfi->name, name))
			return e;
	return NULL;
}

static int zfi_valid(const struct zus_fs_info *zfi)
{
	const struct zus_zfi_operations *op = zfi->op;
	size_t len;

	if (!zfi->name)
		return 0;
	len = strlen(zfi->name);
	if (!len || len >= ZUFS_MAX_FS_NAME || strpbrk(zfi->name, " \t\n,/"))
		return 0;
	return op && op->sbi_alloc && op->sbi_free && op->sbi_init;
}

int zus_register_fs(struct zus_plugin_ctx *ctx, const struct zus_fs_info *zfi)
{
	struct zus_server *s = ctx ? ctx->srv : NULL;
	struct zus_fs_entry *e, **tail;

	if (!s || !zfi || !zfi_valid(zfi)) {
		zus_err("plugin %s: invalid filesystem type (name must be 1-%d characters; sbi_alloc, sbi_free and sbi_init are required)",
			ctx && ctx->plugin ? ctx->plugin->name : "?",
			ZUFS_MAX_FS_NAME - 1);
		return -EINVAL;
	}
	if (s->started)
		return -EBUSY;
	if (fs_by_name(s, zfi->name)) {
		zus_err("plugin %s: filesystem type %s is already registered",
			ctx->plugin->name, zfi->name);
		return -EEXIST;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->zfi = zfi;
	e->plugin = ctx->plugin;
	for (tail = &s->fs; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	zus_dbg("plugin %s: filesystem type %s", ctx->plugin->name, zfi->name);
	return 0;
}

/* Drop the fs types registered by plugin p. */
static void fs_drop_plugin(struct zus_server *s, struct zus_plugin *p)
{
	struct zus_fs_entry **pe = &s->fs, *e;

	while ((e = *pe)) {
		if (e->plugin == p) {
			*pe = e->next;
			free(e);
		} else {
			pe = &e->next;
		}
	}
}

static void plugin_free(struct zus_plugin *p)
{
	if (p->dl)
		dlclose(p->dl);
	free(p->name);
	free(p->path);
	free(p);
}

/* The file of plugin NAME in a colon-separated search path, or NULL. */
static char *plugin_find(const char *name, const char *path)
{
	const char *d = path, *end;
	char *file;

	if (strchr(name, '/'))
		return strdup(name);
	while (*d) {
		end = strchrnul(d, ':');
		if (end > d) {
			if (asprintf(&file, "%.*s/%s.so", (int)(end - d), d, name) < 0)
				return NULL;
			if (!access(file, R_OK))
				return file;
			free(file);
		}
		d = *end ? end + 1 : end;
	}
	return NULL;
}

/* "dir/zutest.so" -> "zutest" */
static char *plugin_name(const char *name)
{
	const char *b = strrchr(name, '/');
	size_t len;

	b = b ? b + 1 : name;
	len = strlen(b);
	if (len > 3 && !strcmp(b + len - 3, ".so"))
		len -= 3;
	return strndup(b, len);
}

static struct zus_plugin *plugin_by_name(struct zus_server *s, const char *n)
{
	struct zus_plugin *p;

	for (p = s->plugins; p; p = p->next)
		if (!strcmp(p->name, n))
			return p;
	return NULL;
}

static int plugin_check_api(struct zus_plugin *p, zus_plugin_init_fn *init)
{
	const unsigned int *api = dlsym(p->dl, "zus_plugin_api_version");

	*init = (zus_plugin_init_fn)dlsym(p->dl, "zus_plugin_init");
	if (!*init) {
		zus_err("plugin %s (%s) has no zus_plugin_init(): not a zus plugin (use ZUS_PLUGIN_INIT)",
			p->name, p->path);
		return -ENOEXEC;
	}
	if (!api || *api != ZUS_PLUGIN_API_VERSION) {
		zus_err("plugin %s (%s) was built for zus plugin API %u, this libzus provides %u; rebuild the plugin",
			p->name, p->path, api ? *api : 0, ZUS_PLUGIN_API_VERSION);
		return -ENOEXEC;
	}
	return 0;
}

static int plugin_open(struct zus_server *s, struct zus_plugin *p)
{
	struct zus_plugin_ctx ctx = { .srv = s, .plugin = p };
	zus_plugin_init_fn init;
	int err;

	p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		zus_err("cannot load plugin %s: %s", p->name, dlerror());
		return -ENOEXEC;
	}
	err = plugin_check_api(p, &init);
	if (err)
		return err;
	err = zus_errno_sane(init(&ctx));
	if (err) {
		zus_err("plugin %s: initialisation failed: %s", p->name,
			strerror(-err));
		fs_drop_plugin(s, p);
	}
	return err;
}

int zus_server_load_plugin(struct zus_server *s, const char *name,
			   const char *search_path)
{
	const char *path = search_path ? search_path : zus_default_plugin_path();
	struct zus_plugin *p;
	int err;

	if (s->started)
		return -EBUSY;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->name = plugin_name(name);
	p->path = plugin_find(name, path);
	if (!p->name || !p->path) {
		err = p->name ? -ENOENT : -ENOMEM;
		zus_err("plugin %s not found (looked for %s.so in %s)", name,
			p->name ? p->name : name, path);
		goto fail;
	}
	if (plugin_by_name(s, p->name)) {
		zus_warn("plugin %s is already loaded; ignoring %s", p->name,
			 p->path);
		plugin_free(p);
		return 0;
	}
	err = plugin_open(s, p);
	if (err)
		goto fail;
	p->next = s->plugins;
	s->plugins = p;
	zus_info("loaded plugin %s (%s)", p->name, p->path);
	return 0;
fail:
	plugin_free(p);
	return err;
}

static int so_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 3 && d->d_name[0] != '.' &&
	       !strcmp(d->d_name + len - 3, ".so");
}

static int load_dir(struct zus_server *s, const char *dir, size_t dlen,
		    unsigned int *loaded)
{
	struct dirent **list;
	char *d = strndup(dir, dlen), *file;
	int n, i, err = 0;

	if (!d)
		return -ENOMEM;
	n = scandir(d, &list, so_filter, alphasort);
	for (i = 0; i < n; i++) {
		if (!err && asprintf(&file, "%s/%s", d, list[i]->d_name) >= 0) {
			err = zus_server_load_plugin(s, file, NULL);
			*loaded += !err;
			free(file);
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	free(d);
	return err;
}

int zus_server_load_all_plugins(struct zus_server *s, const char *search_path)
{
	const char *d = search_path ? search_path : zus_default_plugin_path();
	const char *end;
	unsigned int loaded = 0;
	int err;

	for (; *d; d = *end ? end + 1 : end) {
		end = strchrnul(d, ':');
		if (end == d)
			continue;
		err = load_dir(s, d, end - d, &loaded);
		if (err)
			return err;
	}
	if (!loaded) {
		zus_err("no plugins found in %s",
			search_path ? search_path : zus_default_plugin_path());
		return -ENOENT;
	}
	return 0;
}

void zus_plugins_unload(struct zus_server *s)
{
	struct zus_plugin *p;

	while (s->fs) {
		struct zus_fs_entry *e = s->fs;

		s->fs = e->next;
		free(e);
	}
	while ((p = s->plugins)) {
		s->plugins = p->next;
		plugin_free(p);
	}
}

unsigned int zus_server_fs_count(const struct zus_server *s)
{
	const struct zus_fs_entry *e;
	unsigned int n = 0;

	for (e = s->fs; e; e = e->next)
		n++;
	return n;
}

const char *zus_server_fs_name(const struct zus_server *s, unsigned int i)
{
	const struct zus_fs_entry *e;

	for (e = s->fs; e && i; e = e->next)
		i--;
	return e ? e->zfi->name : NULL;
}
