// SPDX-License-Identifier: BSD-3-Clause
/* t_config.c - zusd's config file parser and command line. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <zus/zus_server.h>

#include "../../zusd/config.h"
#include "unit.h"

static char cfgpath[64];

static void write_cfg(const char *text)
{
	FILE *f;

	strcpy(cfgpath, "/tmp/zus-unit-cfg-XXXXXX");
	close(mkstemp(cfgpath));
	f = fopen(cfgpath, "w");
	fputs(text, f);
	fclose(f);
}

struct read_arg {
	struct zusd_config *cfg;
	const char *path;
	bool must;
};

static int do_read(void *p)
{
	struct read_arg *a = p;

	return zusd_config_read(a->cfg, a->path, a->must);
}

/* Parse text; on error the message is in err (if not NULL). */
static int parse(const char *text, struct zusd_config *cfg, char *err,
		 size_t size)
{
	struct read_arg a = { cfg, cfgpath, true };
	char tmp[512];
	int ret;

	write_cfg(text);
	zusd_config_init(cfg);
	ret = unit_capture_stderr(err ? err : tmp, err ? size : sizeof(tmp),
				  do_read, &a);
	unlink(cfgpath);
	return ret;
}

static void t_good(void)
{
	struct zusd_config c;

	CHECK_EQ(parse("# comment\n\n  plugins = zutest, pmemfs other # x\n"
		       "plugin_path=/a:/b\nchannels = 3\ncommand_buffer = 128K\n"
		       "log_level = debug\nzuf_root = /tmp/zr\n", &c, NULL, 0), 0);
	CHECK_EQ(c.nplugins, 3);
	CHECK_STR(c.plugins[0], "zutest");
	CHECK_STR(c.plugins[1], "pmemfs");
	CHECK_STR(c.plugins[2], "other");
	CHECK_STR(c.plugin_path, "/a:/b");
	CHECK_EQ(c.channels, 3);
	CHECK_EQ(c.command_buffer, 128 * 1024);
	CHECK_EQ(c.log_level, ZUS_LOG_DEBUG);
	CHECK_STR(c.zuf_root, "/tmp/zr");
	zusd_config_free(&c);

	/* defaults, an empty file, and a '#' inside a value */
	CHECK_EQ(parse("\n", &c, NULL, 0), 0);
	CHECK_EQ(c.nplugins, 0);
	CHECK_EQ(c.channels, 1);
	CHECK_EQ(c.command_buffer, ZUFS_CMD_DEFAULT);
	CHECK_EQ(c.log_level, ZUS_LOG_INFO);
	CHECK(c.zuf_root == NULL && c.plugin_path == NULL);
	zusd_config_free(&c);
	CHECK_EQ(parse("plugin_path = /x#y\n", &c, NULL, 0), 0);
	CHECK_STR(c.plugin_path, "/x#y");
	zusd_config_free(&c);
}

/* Each bad line gives one message naming file:line. */
static void bad(const char *text, unsigned int line, const char *needle)
{
	struct zusd_config c;
	char err[512], where[128];

	CHECK_EQ(parse(text, &c, err, sizeof(err)), -1);
	snprintf(where, sizeof(where), "zusd: %s:%u: ", cfgpath, line);
	CHECK(!strncmp(err, where, strlen(where)));
	CHECK(strstr(err, needle) != NULL);
	CHECK(strchr(err, '\n') == err + strlen(err) - 1);	/* one line */
	zusd_config_free(&c);
}

static void t_bad(void)
{
	bad("colour = blue\n", 1, "unknown key 'colour'");
	bad("# x\nchannels = 0\n", 2, "bad value '0' for channels");
	bad("channels = 9\n", 1, "expected 1..8");
	bad("channels = 2x\n", 1, "bad value '2x'");
	bad("\n\n\ncommand_buffer = 3000\n", 4, "command_buffer");
	bad("command_buffer = 2M\n", 1, "command_buffer");
	bad("command_buffer = 6K\n", 1, "command_buffer");
	bad("log_level = loud\n", 1, "log_level");
	bad("zuf_root = relative\n", 1, "absolute path");
	bad("plugins =\n", 1, "missing value for plugins");
	bad("plugins = ok, b@d\n", 1, "bad plugin name 'b@d'");
	bad("just words\n", 1, "expected 'key = value'");
	bad(" = value\n", 1, "missing key");
}

static void t_sizes(void)
{
	CHECK_EQ(zusd_parse_size("4096"), 4096);
	CHECK_EQ(zusd_parse_size("64K"), 65536);
	CHECK_EQ(zusd_parse_size("1M"), 1 << 20);
	CHECK_EQ(zusd_parse_size("1MiB"), 1 << 20);
	CHECK_EQ(zusd_parse_size("1G"), -1);
	CHECK_EQ(zusd_parse_size("-1"), -1);
	CHECK_EQ(zusd_parse_size("K"), -1);
}

static void t_missing(void)
{
	struct zusd_config c;
	struct read_arg a = { &c, "/nonexistent/zufs.conf", false };
	char err[256];

	zusd_config_init(&c);
	CHECK_EQ(unit_capture_stderr(err, sizeof(err), do_read, &a), 0);
	a.must = true;
	CHECK_EQ(unit_capture_stderr(err, sizeof(err), do_read, &a), -1);
	CHECK(strstr(err, "zusd: cannot read /nonexistent/zufs.conf") == err);
}

struct opt_arg {
	struct zusd_config *cfg;
	int argc;
	char **argv;
};

static int do_opts(void *p)
{
	struct opt_arg *a = p;

	return zusd_options(a->argc, a->argv, a->cfg);
}

static int opts(struct zusd_config *c, char *out, size_t size, ...)
{
	char *argv[16] = { "zusd" };
	struct opt_arg a = { c, 1, argv };
	va_list ap;
	char *s;

	va_start(ap, size);
	while ((s = va_arg(ap, char *)))
		argv[a.argc++] = s;
	va_end(ap);
	zusd_config_init(c);
	return unit_capture_stderr(out, size, do_opts, &a);
}

static void t_options(void)
{
	struct zusd_config c;
	char err[2048], cfgarg[80];

	/* flags win over the config file */
	write_cfg("plugins = a\nchannels = 2\nlog_level = warn\nplugin_path = /cfg\n");
	snprintf(cfgarg, sizeof(cfgarg), "%s", cfgpath);
	unsetenv("ZUS_PLUGIN_PATH");
	CHECK_EQ(opts(&c, err, sizeof(err), "-c", cfgarg, "-n", "4", "-p", "x",
		      "--plugin", "y,z", "-v", NULL), ZUSD_RUN);
	CHECK_EQ(c.channels, 4);
	CHECK_EQ(c.nplugins, 3);
	CHECK_STR(c.plugins[0], "x");
	CHECK_STR(c.plugins[2], "z");
	CHECK_EQ(c.log_level, ZUS_LOG_DEBUG);
	CHECK_STR(c.plugin_path, "/cfg");
	zusd_config_free(&c);

	/* $ZUS_PLUGIN_PATH beats the file, --plugin-path beats both */
	setenv("ZUS_PLUGIN_PATH", "/env", 1);
	CHECK_EQ(opts(&c, err, sizeof(err), "-c", cfgarg, NULL), ZUSD_RUN);
	CHECK_STR(c.plugin_path, "/env");
	CHECK_EQ(c.channels, 2);
	zusd_config_free(&c);
	CHECK_EQ(opts(&c, err, sizeof(err), "-c", cfgarg, "-P", "/cli", NULL),
		 ZUSD_RUN);
	CHECK_STR(c.plugin_path, "/cli");
	zusd_config_free(&c);
	unsetenv("ZUS_PLUGIN_PATH");
	unlink(cfgpath);

	CHECK_EQ(opts(&c, err, sizeof(err), "-c", "/nonexistent", NULL),
		 ZUSD_EXIT_USAGE);
	CHECK_EQ(opts(&c, err, sizeof(err), "--bogus", NULL), ZUSD_EXIT_USAGE);
	CHECK(strstr(err, "--help") != NULL);
	CHECK_EQ(opts(&c, err, sizeof(err), "stray", NULL), ZUSD_EXIT_USAGE);
	CHECK_EQ(opts(&c, err, sizeof(err), "-c", "/dev/null", "--channels",
		      "99", NULL), ZUSD_EXIT_USAGE);
	CHECK(strstr(err, "zusd: --channels: bad value '99'") == err);
	CHECK_EQ(opts(&c, err, sizeof(err), "-c", "/dev/null", "-b", "1M",
		      "-r", "/zr", "-q", NULL), ZUSD_RUN);
	CHECK_EQ(c.command_buffer, 1 << 20);
	CHECK_STR(c.zuf_root, "/zr");
	CHECK_EQ(c.log_level, ZUS_LOG_ERR);
	zusd_config_free(&c);
}

static void t_help(void)
{
	struct zusd_config c;
	char err[64];
	FILE *saved = stdout;

	stdout = fopen("/dev/null", "w");
	CHECK_EQ(opts(&c, err, sizeof(err), "--help", NULL), ZUSD_EXIT_OK);
	CHECK_EQ(opts(&c, err, sizeof(err), "--version", NULL), ZUSD_EXIT_OK);
	fclose(stdout);
	stdout = saved;
}

void t_config(void)
{
	t_good();
	t_bad();
	t_sizes();
	t_missing();
	t_options();
	t_help();
}
