/*
 * seqlock.h - single-writer, many-reader seqlock over 64-bit atomic words,
 * correct for readers in other processes under the C11 memory model
 * (Boehm, "Can Seqlocks Get Along with Programming Language Memory Models?").
 *
 * The writer is the agent's event-loop thread only. Readers never write the
 * region, never block the writer, and retry until they copy a consistent
 * version or run out of spins (-EAGAIN; the caller then checks liveness).
 * Payload words are atomics so that the racing reads are not data races
 * (TSan clean, and the compiler may not invent or tear loads).
 */
#ifndef FOTOS_SEQLOCK_H
#define FOTOS_SEQLOCK_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fotos_abi.h"

/* Tries before giving up with -EAGAIN: a writer holds a section for well
 * under a microsecond, so this many failed tries means it is stuck or the
 * reader is starved; the caller then checks the agent's liveness. */
#define FOTOS_READ_SPINS	(1u << 14)

static inline void fotos_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Writer: begin a section (sequence goes odd). */
static inline void seqlock_write_begin(struct fotos_seq_region *r)
{
	uint64_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);

	atomic_store_explicit(&r->seq, s + 1, memory_order_relaxed);
	/* Pairs with the reader's acquire fence: payload stores below cannot
	 * become visible before the odd sequence. */
	atomic_thread_fence(memory_order_release);
}

/* Writer: end a section (sequence goes even, publishing the payload). */
static inline void seqlock_write_end(struct fotos_seq_region *r)
{
	uint64_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);

	/* Pairs with the reader's acquire load of the first sequence. */
	atomic_store_explicit(&r->seq, s + 1, memory_order_release);
}

/*
 * The one writer function: copy nwords 64-bit words from src into the
 * payload starting at word first, inside a write section.
 */
static inline void seqlock_write(struct fotos_seq_region *r, size_t first,
				 const void *src, size_t nwords)
{
	const unsigned char *p = src;
	size_t k;

	seqlock_write_begin(r);
	for (k = 0; k < nwords; k++) {
		uint64_t v;

		memcpy(&v, p + 8 * k, 8);
		atomic_store_explicit(&r->w[first + k], v, memory_order_relaxed);
	}
	seqlock_write_end(r);
}

/*
 * Reader: copy words [0, nwords) into dst. If count_word is not (size_t)-1,
 * the payload word at that index holds a count in its low 32 bits that
 * selects how many trailing records of rec_words words follow head_words
 * (clamped to max_recs), so a 3-member view copies 3 members, not 64.
 * Returns the number of words copied, or -EAGAIN if no consistent copy was
 * seen within FOTOS_READ_SPINS tries.
 */
static inline long seqlock_read(const struct fotos_seq_region *r, void *dst,
				size_t head_words, size_t count_word,
				size_t rec_words, size_t max_recs)
{
	uint64_t *out = dst;
	unsigned int i;

	for (i = 0; i < FOTOS_READ_SPINS; i++) {
		uint64_t s0, n, k;

		/* Pairs with seqlock_write_end's release store. */
		s0 = atomic_load_explicit(&r->seq, memory_order_acquire);
		if (s0 & 1) {
			fotos_cpu_relax();
			continue;
		}
		n = head_words;
		if (count_word != (size_t)-1) {
			uint64_t c = atomic_load_explicit(&r->w[count_word],
							  memory_order_relaxed) & 0xffffffffu;
			/* Clamp before use: a torn count must not overrun dst. */
			if (c > max_recs)
				c = max_recs;
			n += c * rec_words;
		}
		for (k = 0; k < n; k++)
			out[k] = atomic_load_explicit(&r->w[k], memory_order_relaxed);
		/* Keeps the payload loads above the re-check; pairs with the
		 * writer's release fence after the odd store. */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&r->seq, memory_order_relaxed) == s0)
			return (long)n;
	}
	return -EAGAIN;
}

#endif
