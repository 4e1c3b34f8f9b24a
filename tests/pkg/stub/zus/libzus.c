// SPDX-License-Identifier: BSD-3-Clause
#include "zus.h"

int zus_stub_info(struct zus_stub_info *info)
{
	info->abi_major = ZUFS_ABI_MAJOR;
	info->abi_minor = ZUFS_ABI_MINOR;
	return 0;
}
