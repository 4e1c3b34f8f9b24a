// SPDX-License-Identifier: BSD-3-Clause
/*
 * config.c - the /etc/zufs.conf parser.
 *
 * Format: "key = value" lines; '#' starts a comment (at the start of a line
 * or after whitespace); blank lines are ignored. Keys:
 *   plugins        = NAME[, NAME...]   plugins to load (default: all)
 *   plugin_path    = DIR[:DIR...]      where plugins are searched
 *   channels       = 1..8              ZT channels per CPU
 *   command_buffer = SIZE              4K..1M, multiple of 4K (64K default)
 *   log_level      = error|warn|info|debug
 *   zuf_root       = /sys/fs/zuf       where zuf-root is mounted
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zus/zus_server.h>

#include "config.h"

/* "zusd: /etc/zufs.conf:12: unknown key 'foo'" */
static void __attribute__((format(printf, 2, 3)))
cfg_err(const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "zusd: %s: %s\n", where, msg);
}

void zusd_config_init(struct zusd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channels = 1;
	cfg->command_buffer = ZUFS_CMD_DEFAULT;
	cfg->log_level = ZUS_LOG_INFO;
}

static void plugins_clear(struct zusd_config *cfg)
{
	while (cfg->nplugins)
		free(cfg->plugins[--cfg->nplugins]);
}

void zusd_config_free(struct zusd_config *cfg)
{
	plugins_clear(cfg);
	free(cfg->plugin_path);
	free(cfg->zuf_root);
	cfg->plugin_path = cfg->zuf_root = NULL;
}

long long zusd_parse_size(const char *s)
{
	static const char *const suffix[] = { "", "K", "M", "KiB", "MiB",
					      "k", "KB", "MB" };
	static const int shift[] = { 0, 10, 20, 10, 20, 10, 10, 20 };
	unsigned long long v;
	unsigned int i;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > (1ULL << 40))
		return -1;
	for (i = 0; i < sizeof(shift) / sizeof(shift[0]); i++)
		if (!strcmp(end, suffix[i]))
			return (long long)(v << shift[i]);
	return -1;
}

static int set_uint(unsigned int *v, const char *val, unsigned int min,
		    unsigned int max, const char *key, const char *where)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || n < min ||
	    n > max) {
		cfg_err(where, "bad value '%s' for %s (expected %u..%u)", val,
			key, min, max);
		return -1;
	}
	*v = (unsigned int)n;
	return 0;
}

static int set_cmd_size(struct zusd_config *cfg, const char *val,
			const char *where)
{
	long long n = zusd_parse_size(val);

	if (n < ZUFS_CMD_MIN || n > ZUFS_CMD_MAX || n % 4096) {
		cfg_err(where, "bad value '%s' for command_buffer (expected a multiple of 4K from 4K to 1M)",
			val);
		return -1;
	}
	cfg->command_buffer = (unsigned int)n;
	return 0;
}

static bool plugin_name_ok(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("_-./+", n[i]))
			return false;
	return len > 0;
}

/* "a, b c" -> plugins[] (replaces any earlier list). */
static int set_plugins(struct zusd_config *cfg, const char *val,
		       const char *where)
{
	const char *p = val;
	size_t len;

	plugins_clear(cfg);
	while (*p) {
		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (!plugin_name_ok(p, len) || cfg->nplugins >= ZUSD_MAX_PLUGINS) {
			cfg_err(where, "bad plugin name '%.*s' in plugins", (int)len, p);
			return -1;
		}
		cfg->plugins[cfg->nplugins] = strndup(p, len);
		if (!cfg->plugins[cfg->nplugins++])
			return -1;
		p += len;
	}
	if (!cfg->nplugins) {
		cfg_err(where, "plugins: empty list");
		return -1;
	}
	return 0;
}

static int set_string(char **dst, const char *val, bool absolute,
		      const char *key, const char *where)
{
	if (absolute && val[0] != '/') {
		cfg_err(where, "bad value '%s' for %s (expected an absolute path)",
			val, key);
		return -1;
	}
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : -1;
}

int zusd_config_set(struct zusd_config *cfg, const char *key,
		    const char *value, const char *where)
{
	if (!*value) {
		cfg_err(where, "missing value for %s", key);
		return -1;
	}
	if (!strcmp(key, "plugins"))
		return set_plugins(cfg, value, where);
	if (!strcmp(key, "plugin_path"))
		return set_string(&cfg->plugin_path, value, false, key, where);
	if (!strcmp(key, "channels"))
		return set_uint(&cfg->channels, value, 1, ZUFS_MAX_ZT_CHANNELS,
				key, where);
	if (!strcmp(key, "command_buffer"))
		return set_cmd_size(cfg, value, where);
	if (!strcmp(key, "zuf_root"))
		return set_string(&cfg->zuf_root, value, true, key, where);
	if (!strcmp(key, "log_level")) {
		int l = zus_log_level_from_name(value);

		if (l < 0) {
			cfg_err(where, "bad value '%s' for log_level (expected error, warn, info or debug)",
				value);
			return -1;
		}
		cfg->log_level = l;
		return 0;
	}
	cfg_err(where, "unknown key '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Cut a comment: '#' at the start or after whitespace. */
static void strip_comment(char *s)
{
	char *h;

	for (h = strchr(s, '#'); h; h = strchr(h + 1, '#'))
		if (h == s || isspace((unsigned char)h[-1])) {
			*h = 0;
			return;
		}
}

static int parse_line(struct zusd_config *cfg, char *line, const char *where)
{
	char *eq, *key;

	strip_comment(line);
	line = trim(line);
	if (!*line)
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		cfg_err(where, "expected 'key = value', got '%s'", line);
		return -1;
	}
	*eq = 0;
	key = trim(line);
	if (!*key) {
		cfg_err(where, "missing key before '='");
		return -1;
	}
	return zusd_config_set(cfg, key, trim(eq + 1), where);
}

int zusd_config_read(struct zusd_config *cfg, const char *path, bool must_exist)
{
	char *line = NULL, where[4200];
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t n;
	int err = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "zusd: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	cfg->config_file = path;
	while (!err && (n = getline(&line, &cap, f)) >= 0) {
		snprintf(where, sizeof(where), "%s:%u", path, ++lineno);
		if ((size_t)n != strlen(line)) {
			cfg_err(where, "line contains a NUL byte");
			err = -1;
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		err = parse_line(cfg, line, where);
	}
	free(line);
	fclose(f);
	return err;
}
