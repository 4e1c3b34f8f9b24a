/* SPDX-License-Identifier: BSD-3-Clause */
/* Packaging-test stand-in for libzus. */
#ifndef ZUS_STUB_H
#define ZUS_STUB_H
#include "zus_api.h"
struct zus_stub_info {
	unsigned int abi_major;
	unsigned int abi_minor;
};
int zus_stub_info(struct zus_stub_info *info);
#endif
