// SPDX-License-Identifier: BSD-3-Clause
#include "zus.h"

int zus_plugin_init(void);
int zus_plugin_init(void)
{
	struct zus_stub_info i;

	return zus_stub_info(&i);
}
