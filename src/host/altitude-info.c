/*
 * altitude-info: prints the runtime's version and the API it provides, read
 * from libfltmgr's own dynamic symbol table, grouped by Windows component.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wdm.h>

struct component {
	const char *prefix;
	const char *what;
	unsigned count;
};

static struct component components[] = {
	{ "Flt", "Filter Manager (fltKernel.h)", 0 },
	{ "Fs", "file-system runtime", 0 },
	{ "Ke", "kernel: IRQL, dispatcher objects, waits, timers", 0 },
	{ "Ex", "executive: pool, locks, work items", 0 },
	{ "Ps", "processes and threads", 0 },
	{ "Ob", "object manager", 0 },
	{ "Io", "I/O manager", 0 },
	{ "Mm", "memory manager", 0 },
	{ "Zw", "system services", 0 },
	{ "Rtl", "runtime library", 0 },
	{ "Dbg", "debug output", 0 },
	{ "altitude_", "Altitude host and test-harness API", 0 },
};

static struct component *component_of(const char *name)
{
	for (size_t i = 0; i < RTL_NUMBER_OF(components); i++) {
		if (strncmp(name, components[i].prefix, strlen(components[i].prefix)) == 0)
			return &components[i];
	}
	return NULL;
}

/* Counts the defined global functions of the ELF image at `path`. */
static int count_exports(const char *path, int verbose)
{
	struct stat st;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	void *map = MAP_FAILED;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *strtab;
		size_t n;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sym = (const Elf64_Sym *)((const char *)map + sh[i].sh_offset);
		strtab = (const char *)map + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (size_t j = 0; j < n; j++) {
			struct component *c;
			const char *name = strtab + sym[j].st_name;

			if (sym[j].st_shndx == SHN_UNDEF || ELF64_ST_BIND(sym[j].st_info) != STB_GLOBAL ||
			    ELF64_ST_TYPE(sym[j].st_info) != STT_FUNC)
				continue;
			c = component_of(name);
			if (c == NULL)
				continue;
			c->count++;
			if (verbose)
				printf("  %s\n", name);
		}
	}
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	int verbose = argc > 1 && strcmp(argv[1], "--list") == 0;
	unsigned total = 0;
	Dl_info info;

	if (argc > 1 && !verbose) {
		fprintf(stderr, "usage: %s [--list]\n", argv[0]);
		return 2;
	}
	if (!dladdr((void *)KeGetCurrentIrql, &info) || info.dli_fname == NULL) {
		fprintf(stderr, "altitude-info: cannot locate libfltmgr\n");
		return 1;
	}
	printf("Altitude %s: the Windows Filter Manager programming model in user space\n",
	       ALTITUDE_VERSION);
	printf("runtime: %s\n", info.dli_fname);
	if (count_exports(info.dli_fname, verbose) < 0) {
		fprintf(stderr, "altitude-info: cannot read %s\n", info.dli_fname);
		return 1;
	}
	printf("exported routines by component:\n");
	for (size_t i = 0; i < RTL_NUMBER_OF(components); i++) {
		if (components[i].count == 0)
			continue;
		printf("  %-10s %4u  %s\n", components[i].prefix, components[i].count,
		       components[i].what);
		total += components[i].count;
	}
	printf("  %-10s %4u\n", "total", total);
	printf("current IRQL of this thread: %u (PASSIVE_LEVEL)\n", KeGetCurrentIrql());
	return 0;
}
