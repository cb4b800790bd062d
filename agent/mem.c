/*
 * mem.c - the agent's allocator seam. Release builds link jemalloc, which
 * replaces malloc for the whole agent; sanitizer builds use libc's.
 */
#include <stdlib.h>

#include "mem.h"

void *fotos_malloc(size_t n)
{
	return malloc(n);
}

void *fotos_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *fotos_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

void fotos_free(void *p)
{
	free(p);
}
