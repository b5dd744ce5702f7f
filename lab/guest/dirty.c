/*
 * dirty: keeps rewriting a fixed amount of the lab guest's memory, as fast as it can.
 *
 * dirty MIB: allocates MIB MiB and writes one word in every 4 KiB page of it, over
 * and over, each sweep with a new value, so that every page is dirty again at each
 * pass of a live migration's pre-copy. With a migration bandwidth below what that
 * needs, the data remaining at the start of each pass never falls: the migration
 * does not converge (the stall tests). It runs at the lowest priority (nice 19): the
 * guest agent and the echo responder keep their share of the one vCPU.
 * Build: gcc -static -O2 -o dirty dirty.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGE 4096

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 0;
	size_t size = (size_t)mib << 20;
	volatile unsigned long *memory;
	unsigned long sweep = 0;

	if (mib <= 0) {
		fprintf(stderr, "usage: dirty MIB (MIB > 0)\n");
		return 2;
	}
	if (nice(19) == -1)
		perror("dirty: nice");
	memory = malloc(size);
	if (memory == NULL) {
		perror("dirty");
		return 1;
	}
	for (;;) {
		sweep++;
		for (size_t offset = 0; offset < size; offset += PAGE)
			memory[offset / sizeof(*memory)] = sweep;
	}
}
