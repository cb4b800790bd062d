/*
 * mem.h - the agent's allocator: jemalloc in release builds (linked in), libc
 * malloc under sanitizers. One seam for fault injection.
 */
#ifndef FOTOS_MEM_H
#define FOTOS_MEM_H

#include <stddef.h>

void *fotos_malloc(size_t n);
void *fotos_calloc(size_t n, size_t size);
void *fotos_realloc(void *p, size_t n);
void fotos_free(void *p);

#endif
