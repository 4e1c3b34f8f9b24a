// SPDX-License-Identifier: BSD-3-Clause
/*
 * tsc-khz - print this machine's TSC frequency in kHz (median of 5 runs of
 * 50 ms against CLOCK_MONOTONIC_RAW).
 *
 * A QEMU TCG guest reads the host's TSC. When the host is busy, the guest
 * kernel's PIT calibration can come out far off (seen: 134.8 MHz for a
 * 2 GHz TSC: guest time then runs 15 times too fast, RCU and hung-task
 * reports follow). crash.sh passes tsc_early_khz=<this> on the guest's
 * command line so the kernel skips that calibration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	struct timespec d = { 0, 50 * 1000 * 1000 };
	double khz[5];

	for (int i = 0; i < 5; i++) {
		double t0 = now();
		unsigned long long c0 = __rdtsc();
		double t1;
		unsigned long long c1;

		nanosleep(&d, NULL);
		c1 = __rdtsc();
		t1 = now();
		khz[i] = (double)(c1 - c0) / (t1 - t0) / 1000.0;
	}
	qsort(khz, 5, sizeof(khz[0]), cmp);
	if (khz[2] < 1000.0) {
		fprintf(stderr, "tsc-khz: implausible TSC frequency %.0f kHz\n",
			khz[2]);
		return 1;
	}
	printf("%.0f\n", khz[2]);
	return 0;
}
